//! `compile --emit substrait`: the book's plan written as Substrait protobuf, read back into
//! DataFusion over the same tables, gives the same cells as the plan itself. Needs
//! `--features substrait` (scripts/test.sh runs it).

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::Float64Type;
use datafusion::prelude::ParquetReadOptions;
use scorebook::compile::{substrait, CALENDAR_TABLE};
use scorebook::engine::{self, RunOptions};
use scorebook::project;
use scorebook::synth::{self, OutputFormat, SynthOptions};
use std::path::PathBuf;
use std::sync::Arc;

#[path = "common/third_book.rs"]
mod third_book;

fn cells(batches: &[RecordBatch]) -> Vec<(String, Option<f64>)> {
    let batch = batches.iter().find(|b| b.num_rows() > 0).expect("one row");
    let schema = batch.schema();
    schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let col = batch.column(i).as_primitive::<Float64Type>();
            (f.name().clone(), (!col.is_null(0)).then(|| col.value(0)))
        })
        .collect()
}

/// Writes `book`'s totals plan as Substrait over the declared schemas, reads it back in a fresh
/// session that knows the Parquet files in `data` by name, and compares every cell with the
/// local run's; returns (cells, cells with a value, periods computed).
fn round_trip(book: &str, data: &std::path::Path, as_of: &str) -> (usize, usize, usize) {
    let project = project::check_paths(&[PathBuf::from(book)]).unwrap().1.project.unwrap();
    let options =
        RunOptions { as_of: Some(as_of.parse().unwrap()), data_dir: Some(data.to_path_buf()), ..RunOptions::default() };
    engine::runtime().unwrap().block_on(async {
        // The cells as a local run computes them, over the loaded tables.
        let p = engine::prepare(&project, None, &options).await.unwrap();
        let direct = p.ctx.execute_logical_plan(p.book.totals.clone()).await.unwrap().collect().await.unwrap();
        // What `compile --emit substrait` writes: the plan over the declared schemas.
        let declared =
            engine::warehouse::compile_declared(&project, &p.settings, &p.periods, p.as_of, &[None]).unwrap().remove(0);
        let holidays = &p.settings.holidays;
        let bytes = substrait::to_bytes(&declared.totals).unwrap();
        // A consumer that knows the tables by name: the Parquet files and the calendar.
        let consumer = engine::session();
        consumer.register_table(CALENDAR_TABLE, Arc::new(engine::calendar_table(holidays).unwrap())).unwrap();
        for entry in std::fs::read_dir(data).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            consumer.register_parquet(name, path.display().to_string(), ParquetReadOptions::default()).await.unwrap();
        }
        let read_back = substrait::from_bytes(&bytes, &consumer.state()).await.unwrap();
        let through = consumer.execute_logical_plan(read_back).await.unwrap().collect().await.unwrap();
        let (direct, through) = (cells(&direct), cells(&through));
        assert_eq!(direct.len(), through.len());
        assert_eq!(direct, through);
        let present = direct.iter().filter(|(_, v)| v.is_some()).count();
        eprintln!("{book}: {} bytes of Substrait; {} cells, {present} with a value, equal", bytes.len(), direct.len());
        (direct.len(), present, p.periods.all.len())
    })
}

#[test]
fn the_book_written_as_substrait_and_read_back_gives_the_same_cells() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SynthOptions {
        children: 3_000,
        seed: 11,
        from: "2012-04-01".parse().unwrap(),
        to: "2013-09-30".parse().unwrap(),
        histories: Default::default(),
    };
    synth::write_tables(&synth::generate(&opts), dir.path(), OutputFormat::Parquet, synth::Layout::Contract).unwrap();
    let (_, present, _) = round_trip("rules", dir.path(), "2013-09-30");
    assert!(present > 800, "{present} cells with a value");
}

#[test]
fn the_ssda903_book_written_as_substrait_and_read_back_gives_the_same_cells() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SynthOptions {
        children: 800,
        seed: 3,
        from: "2012-04-01".parse().unwrap(),
        to: "2014-03-31".parse().unwrap(),
        histories: Default::default(),
    };
    synth::write_ssda903(&synth::generate_ssda903(&opts), dir.path(), OutputFormat::Parquet).unwrap();
    let (cells, present, periods) = round_trip("examples/ssda903", dir.path(), "2014-03-31");
    assert_eq!(cells, 13 * periods * 3, "every measure's numerator, denominator and value in every period");
    assert!(present > 250, "{present} cells with a value");
}

#[test]
fn the_third_book_written_as_substrait_and_read_back_gives_the_same_cells() {
    // Date-times, percentiles, ratios of sums, lookups through lookups and previous rows.
    for (library, fixtures, measures) in
        [("examples/ambulance", "tests/fixtures/ambulance", 6), ("examples/send", "tests/fixtures/send", 4)]
    {
        let dir = tempfile::tempdir().unwrap();
        third_book::as_parquet(library, std::path::Path::new(fixtures), dir.path());
        let (cells, present, periods) = round_trip(library, dir.path(), "2024-03-31");
        assert_eq!(cells, measures * periods * 3, "{library}: every measure's cells in every period");
        assert!(present > 20, "{library}: {present} cells with a value");
    }
}

#[test]
fn compile_emits_substrait_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("book.substrait");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_scorebook"))
        .args(["compile", "rules", "--emit", "substrait", "--as-of", "2013-09-30", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.len() > 10_000, "{} bytes", bytes.len());
    // Named tables, resolved by the consumer.
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("scorebook_calendar") && text.contains("referrals"));
}
