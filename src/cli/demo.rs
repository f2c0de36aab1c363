//! `scorebook demo`: the demo authority's data, its book as of 2013-09-30, and the reports.

use super::{exit, failed};
use crate::engine::{self, RunOptions};
use crate::synth::{self, OutputFormat, SynthOptions};
use crate::{demo, fsutil, project, results};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Where to write the data, the rules and the book.
    #[arg(long, default_value = "scorebook-demo")]
    out: PathBuf,
}

pub fn run(args: Args) -> u8 {
    let as_of = "2013-09-30".parse().expect("a date");
    let started = std::time::Instant::now();
    let rules = match demo::write_rules(&args.out) {
        Ok(r) => r,
        Err(e) => return failed(crate::fsutil::write_failed(&args.out, &e)),
    };
    let data = args.out.join("data");
    let options = SynthOptions {
        children: 80_000,
        seed: 2013,
        from: "2012-04-01".parse().expect("a date"),
        to: as_of,
        histories: Default::default(),
    };
    if let Err(e) = synth::write_tables(&synth::generate(&options), &data, OutputFormat::Csv, synth::Layout::Contract) {
        return failed(fsutil::write_failed(&data, &e));
    }
    let (_, checked) = match project::check_paths(std::slice::from_ref(&rules)) {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let Some(project) = checked.project else {
        return failed("the shipped rules do not check; this is a bug in scorebook");
    };
    let run_options = RunOptions { as_of: Some(as_of), data_dir: Some(data.clone()), ..RunOptions::default() };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let output = match runtime.block_on(engine::run(&project, None, &run_options)) {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    let heading = crate::book::Heading {
        title: "Improvement Board Performance Book".into(),
        subtitle: Some("The demo authority: 80,000 children, generated data".into()),
    };
    let mut book = crate::output::book_of(&project, &output.rows, heading);
    book.charts = super::spc::for_the_book(&runtime, &project, None, run_options.clone(), None);
    let html = args.out.join("book.html");
    let xlsx = args.out.join("book.xlsx");
    let csv = args.out.join("book.csv");
    let xlsx_bytes = match crate::book::to_xlsx(&book) {
        Ok(b) => b,
        Err(e) => return failed(e),
    };
    for (path, bytes) in [
        (&html, crate::book::to_html(&book).into_bytes()),
        (&xlsx, xlsx_bytes),
        (&csv, results::to_csv(&output.rows).into_bytes()),
    ] {
        if let Err(e) = fsutil::write_atomically(path, &bytes) {
            return failed(fsutil::write_failed(path, &e));
        }
    }
    print!("{}", results::to_table(&output.rows, super::use_colour(&std::io::stdout())));
    eprintln!(
        "\nthe demo authority (80,000 children), as of {as_of}: {} measures in {:.1}s\n  rules: {}\n  data:  {}\n  book:  {}, {}, {}",
        book.lines.len(),
        started.elapsed().as_secs_f64(),
        rules.display(),
        data.display(),
        html.display(),
        xlsx.display(),
        csv.display()
    );
    exit::CLEAN
}
