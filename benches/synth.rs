//! How long `synth` takes for a large authority: 1,000,000 children over 2012-04..2013-09 (with
//! two years of history), generated and written as CSV. Run with `cargo bench --bench synth`.

use scorebook::synth::{self, OutputFormat, SynthOptions};
use std::time::Instant;

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let opts = SynthOptions {
        children: 1_000_000,
        seed: 1,
        from: "2012-04-01".parse().unwrap(),
        to: "2013-09-30".parse().unwrap(),
        histories: Default::default(),
    };
    let started = Instant::now();
    let tables = synth::generate(&opts);
    let generated = started.elapsed();
    synth::write_tables(&tables, dir.path(), OutputFormat::Csv, synth::Layout::Contract)
        .expect("the tables are written");
    let total = started.elapsed();
    let rows: usize = tables.iter().map(|t| t.rows.len()).sum();
    let bytes: u64 = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    println!(
        "synth, 1,000,000 children: {rows} rows, {:.0} MB of CSV; generated in {:.1} s, written in {:.1} s, {:.1} s in all",
        bytes as f64 / 1e6,
        generated.as_secs_f64(),
        (total - generated).as_secs_f64(),
        total.as_secs_f64()
    );
}
