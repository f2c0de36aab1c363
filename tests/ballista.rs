//! The shipped book through Ballista — a scheduler and an executor started in this process
//! (`--engine ballista-standalone`) — equals the local run on every value. Needs
//! `--features ballista` (scripts/test.sh runs it).

use scorebook::calendar::ReportingYear;
use scorebook::engine::{self, Cluster, RunOptions};
use scorebook::project;
use scorebook::results::ResultRow;
use scorebook::synth::{self, OutputFormat, SynthOptions};
use std::path::{Path, PathBuf};

#[path = "common/funnel_rates.rs"]
mod funnel_rates;
#[path = "common/housing.rs"]
mod housing;
#[path = "common/public_health.rs"]
mod public_health;
#[path = "common/reoffending.rs"]
mod reoffending;
#[path = "common/third_book.rs"]
mod third_book;

fn run(data: &Path, cluster: Cluster) -> Result<Vec<ResultRow>, engine::RunError> {
    run_book("rules", "2013-09-30", data, cluster)
}

fn run_book(book: &str, as_of: &str, data: &Path, cluster: Cluster) -> Result<Vec<ResultRow>, engine::RunError> {
    run_in(book, as_of, data, cluster, None)
}

fn run_in(
    book: &str,
    as_of: &str,
    data: &Path,
    cluster: Cluster,
    calendar: Option<ReportingYear>,
) -> Result<Vec<ResultRow>, engine::RunError> {
    let project = project::check_paths(&[PathBuf::from(book)]).unwrap().1.project.unwrap();
    let options = RunOptions {
        as_of: Some(as_of.parse().unwrap()),
        data_dir: Some(data.to_path_buf()),
        cluster,
        calendar,
        ..RunOptions::default()
    };
    let runtime = engine::runtime().unwrap();
    runtime.block_on(engine::run(&project, None, &options)).map(|out| out.rows)
}

fn generated(format: OutputFormat) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let opts = SynthOptions {
        children: 4_000,
        seed: 7,
        from: "2012-04-01".parse().unwrap(),
        to: "2013-09-30".parse().unwrap(),
        histories: Default::default(),
    };
    synth::write_tables(&synth::generate(&opts), dir.path(), format, synth::Layout::Contract).unwrap();
    dir
}

#[test]
fn the_shipped_book_on_ballista_standalone_equals_the_local_run() {
    let dir = generated(OutputFormat::Parquet);
    let local = run(dir.path(), Cluster::Local).unwrap();
    let remote = run(dir.path(), Cluster::BallistaStandalone).unwrap();
    assert_eq!(local.len(), remote.len());
    let mut values = 0;
    for (a, b) in local.iter().zip(&remote) {
        let label = format!("{} {}", a.reference, a.period_label);
        assert_eq!((&a.reference, &a.period_label), (&b.reference, &b.period_label));
        assert_eq!(a.numerator, b.numerator, "{label} numerator");
        assert_eq!(a.denominator, b.denominator, "{label} denominator");
        assert_eq!(a.value, b.value, "{label} value");
        assert_eq!((&a.rag, &a.direction, &a.judgement), (&b.rag, &b.direction, &b.judgement), "{label}");
        values += 3;
    }
    eprintln!("{} rows, {values} values equal", local.len());
    assert!(local.len() > 300 && local.iter().filter(|r| r.value.is_some_and(|v| v > 0.0)).count() > 200);
}

#[test]
fn books_in_the_calendar_and_academic_years_on_ballista_equal_the_local_run() {
    let dir = generated(OutputFormat::Parquet);
    for (year, as_of) in [(ReportingYear::Calendar, "2013-08-14"), (ReportingYear::Academic, "2013-09-30")] {
        let local = run_in("rules", as_of, dir.path(), Cluster::Local, Some(year)).unwrap();
        let remote = run_in("rules", as_of, dir.path(), Cluster::BallistaStandalone, Some(year)).unwrap();
        assert_eq!(local.len(), remote.len(), "{year:?}");
        for (a, b) in local.iter().zip(&remote) {
            let label = format!("{year:?} {} {}", a.reference, a.period_label);
            assert_eq!(
                (&a.reference, &a.period_label, a.period_start),
                (&b.reference, &b.period_label, b.period_start)
            );
            assert_eq!((a.numerator, a.denominator, a.value), (b.numerator, b.denominator, b.value), "{label}");
            assert_eq!((&a.direction, &a.judgement), (&b.direction, &b.judgement), "{label}");
        }
        let first = ymd_label(year);
        assert!(local.iter().any(|r| r.period_label == first), "{year:?}: a year labelled {first}");
    }
}

/// The last complete year's label in the books above.
fn ymd_label(year: ReportingYear) -> &'static str {
    match year {
        ReportingYear::Calendar => "2012",
        ReportingYear::Academic => "2012/13",
        ReportingYear::Financial => "2012-13",
    }
}

/// Writes `rows` of `file` to `out` as Parquet.
fn write_rows(file: &Path, out: &Path, keep: impl Fn(usize) -> bool) {
    use datafusion::parquet::arrow::{arrow_reader::ParquetRecordBatchReaderBuilder, ArrowWriter};
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap()).unwrap().build().unwrap();
    let mut writer = None;
    let mut seen = 0;
    for batch in reader {
        let batch = batch.unwrap();
        let mask: datafusion::arrow::array::BooleanArray =
            (0..batch.num_rows()).map(|i| Some(keep(seen + i))).collect();
        seen += batch.num_rows();
        let kept = datafusion::arrow::compute::filter_record_batch(&batch, &mask).unwrap();
        let w = writer.get_or_insert_with(|| {
            ArrowWriter::try_new(std::fs::File::create(out).unwrap(), batch.schema(), None).unwrap()
        });
        w.write(&kept).unwrap();
    }
    writer.unwrap().close().unwrap();
}

#[test]
fn a_source_split_into_a_directory_of_parquet_files_gives_the_same_book() {
    let dir = generated(OutputFormat::Parquet);
    let whole = run(dir.path(), Cluster::Local).unwrap();
    // contacts.parquet becomes contacts/even.parquet and contacts/odd.parquet.
    let split = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, split.path().join(path.file_name().unwrap())).unwrap();
    }
    let contacts = split.path().join("contacts");
    std::fs::create_dir(&contacts).unwrap();
    let file = split.path().join("contacts.parquet");
    write_rows(&file, &contacts.join("even.parquet"), |i| i % 2 == 0);
    write_rows(&file, &contacts.join("odd.parquet"), |i| i % 2 == 1);
    std::fs::remove_file(&file).unwrap();
    let parts = run(split.path(), Cluster::BallistaStandalone).unwrap();
    let cells = |rows: &[ResultRow]| -> Vec<_> {
        rows.iter()
            .map(|r| (r.reference.clone(), r.period_label.clone(), r.numerator, r.denominator, r.value))
            .collect()
    };
    assert_eq!(cells(&parts), cells(&whole));
    let consultations = whole.iter().find(|r| r.reference == "3.4" && r.period_label == "2013-09").unwrap();
    assert!(consultations.value.is_some_and(|v| v > 10.0), "{:?}", consultations.value);
}

#[test]
fn a_cluster_refuses_csv_sources_with_what_to_do() {
    let dir = generated(OutputFormat::Csv);
    let err = run(dir.path(), Cluster::BallistaStandalone).unwrap_err().to_string();
    assert!(err.contains("a cluster reads sources from Parquet files"), "{err}");
    assert!(err.contains(".csv"), "{err}");
    assert!(err.contains("help: write the source as Parquet"), "{err}");
}

#[test]
fn an_unreachable_scheduler_is_named_with_what_to_do() {
    let dir = generated(OutputFormat::Parquet);
    let err = run(dir.path(), Cluster::Ballista("ballista://127.0.0.1:1".into())).unwrap_err().to_string();
    assert!(err.starts_with("connecting to the Ballista scheduler at ballista://127.0.0.1:1:"), "{err}");
    assert!(err.contains("help: start one"), "{err}");
}

#[test]
fn the_ssda903_book_on_ballista_standalone_equals_the_local_run() {
    // Lookups, subsets, related rows, entities, medians and a breakdown by each period's age band.
    let dir = tempfile::tempdir().unwrap();
    let opts = SynthOptions {
        children: 800,
        seed: 5,
        from: "2012-04-01".parse().unwrap(),
        to: "2014-03-31".parse().unwrap(),
        histories: Default::default(),
    };
    synth::write_ssda903(&synth::generate_ssda903(&opts), dir.path(), OutputFormat::Parquet).unwrap();
    let local = run_book("examples/ssda903", "2014-03-31", dir.path(), Cluster::Local).unwrap();
    let remote = run_book("examples/ssda903", "2014-03-31", dir.path(), Cluster::BallistaStandalone).unwrap();
    let cells = |rows: &[ResultRow]| -> Vec<_> {
        rows.iter()
            .map(|r| {
                let key = (r.reference.clone(), r.period_label.clone(), r.breakdown.clone(), r.breakdown_value.clone());
                (key, r.numerator, r.denominator, r.value, r.rag, r.direction)
            })
            .collect()
    };
    assert_eq!(cells(&remote), cells(&local));
    assert!(local.len() > 13 * 10, "{} rows", local.len());
    println!("SSDA903 on Ballista: {} rows equal the local run", local.len());
}

#[test]
fn the_third_book_on_ballista_standalone_equals_the_local_run() {
    // Date-times, percentiles, a percent of two sums, lookups through lookups and previous rows.
    for (library, fixtures) in
        [("examples/ambulance", "tests/fixtures/ambulance"), ("examples/send", "tests/fixtures/send")]
    {
        let dir = tempfile::tempdir().unwrap();
        third_book::as_parquet(library, Path::new(fixtures), dir.path());
        let local = run_book(library, "2024-03-31", dir.path(), Cluster::Local).unwrap();
        let remote = run_book(library, "2024-03-31", dir.path(), Cluster::BallistaStandalone).unwrap();
        let cells = |rows: &[ResultRow]| -> Vec<_> {
            rows.iter()
                .map(|r| {
                    let key =
                        (r.reference.clone(), r.period_label.clone(), r.breakdown.clone(), r.breakdown_value.clone());
                    (key, r.numerator, r.denominator, r.value, r.rag, r.direction)
                })
                .collect()
        };
        assert_eq!(cells(&remote), cells(&local));
        assert!(local.iter().filter(|r| r.value.is_some()).count() > 20, "{library}: {} rows", local.len());
        println!("{library} on Ballista: {} rows equal the local run", local.len());
    }
}

#[test]
fn versions_on_ballista_standalone_equal_the_local_run() {
    // Each period by the version in force at its end; the direction not judged across a change.
    let dir = generated(OutputFormat::Parquet);
    let rules = "tests/fixtures/versions/book.ind";
    let local = run_book(rules, "2013-09-30", dir.path(), Cluster::Local).unwrap();
    let remote = run_book(rules, "2013-09-30", dir.path(), Cluster::BallistaStandalone).unwrap();
    assert_eq!(remote, local);
    let versions: std::collections::BTreeSet<u32> = local.iter().map(|r| r.definition_version).collect();
    assert_eq!(versions.into_iter().collect::<Vec<_>>(), [1, 2, 3]);
    let changed = Some(scorebook::judgement::Judgement::DefinitionChanged);
    assert!(local.iter().filter(|r| r.judgement == changed).count() >= 8, "{local:?}");
}

#[test]
fn merged_spans_on_ballista_standalone_equal_the_local_run() {
    // Spans merged per entity by window functions, nights clipped to each window.
    let rules = "tests/fixtures/housing/rules.ind";
    let csv = tempfile::tempdir().unwrap();
    housing::write_stays(csv.path(), 300, 9);
    let dir = tempfile::tempdir().unwrap();
    third_book::as_parquet(rules, csv.path(), dir.path());
    let local = run_book(rules, "2013-12-31", dir.path(), Cluster::Local).unwrap();
    let remote = run_book(rules, "2013-12-31", dir.path(), Cluster::BallistaStandalone).unwrap();
    let cells = |rows: &[ResultRow]| -> Vec<_> {
        rows.iter().map(|r| (r.reference.clone(), r.period_label.clone(), r.value, r.direction)).collect()
    };
    assert_eq!(cells(&remote), cells(&local));
    assert!(local.iter().filter(|r| r.value.is_some_and(|v| v > 0.0)).count() > 30, "{} rows", local.len());
}

#[test]
fn cohorts_on_ballista_standalone_equal_the_local_run() {
    // Each offender's first disposal by window functions, followed up; whole years, some final.
    let rules = "tests/fixtures/reoffending/rules.ind";
    let csv = tempfile::tempdir().unwrap();
    reoffending::write_offences(csv.path(), 400, 4);
    let dir = tempfile::tempdir().unwrap();
    third_book::as_parquet(rules, csv.path(), dir.path());
    let project = project::check_paths(&[PathBuf::from(rules)]).unwrap().1.project.unwrap();
    let run = |cluster: Cluster| {
        let options = RunOptions {
            as_of: Some("2015-06-30".parse().unwrap()),
            years: Some((2011, 2014)),
            data_dir: Some(dir.path().to_path_buf()),
            cluster,
            ..RunOptions::default()
        };
        let runtime = engine::runtime().unwrap();
        runtime.block_on(engine::run(&project, None, &options)).unwrap().rows
    };
    let (local, remote) = (run(Cluster::Local), run(Cluster::BallistaStandalone));
    let cells = |rows: &[ResultRow]| -> Vec<_> {
        rows.iter()
            .map(|r| (r.reference.clone(), r.period_label.clone(), r.numerator, r.denominator, r.value))
            .collect()
    };
    assert_eq!(cells(&remote), cells(&local));
    let final_cohorts = local.iter().filter(|r| r.reference == "YJ1" && r.value.is_some()).count();
    assert_eq!(final_cohorts, 3, "2010-11 to 2012-13 are final by 2015-06-30, 2013-14 is not");
}

#[test]
fn standardised_figures_and_funnels_on_ballista_standalone_equal_the_local_run() {
    // Deaths counted band by band against the population's bands, with Dobson's limits.
    let rules = "examples/public-health";
    let csv = tempfile::tempdir().unwrap();
    public_health::generate(csv.path(), 2_000, 3);
    let dir = tempfile::tempdir().unwrap();
    third_book::as_parquet(rules, csv.path(), dir.path());
    let local = run_book(rules, "2013-11-30", dir.path(), Cluster::Local).unwrap();
    let remote = run_book(rules, "2013-11-30", dir.path(), Cluster::BallistaStandalone).unwrap();
    assert_eq!(cells(&remote), cells(&local));
    assert!(local.iter().filter(|r| r.ci_low.is_some()).count() > 10, "{} rows", local.len());
    assert!(local.iter().any(|r| r.funnel.is_some_and(|f| f != scorebook::funnel::Significance::NotSignificant)));
    // Funnels of crude and standardised rates by area, the units' average in a window.
    let rules = "tests/fixtures/funnel-rates";
    let csv = tempfile::tempdir().unwrap();
    funnel_rates::generate(csv.path(), 5);
    let dir = tempfile::tempdir().unwrap();
    third_book::as_parquet(rules, csv.path(), dir.path());
    let local = run_book(rules, "2021-03-31", dir.path(), Cluster::Local).unwrap();
    let remote = run_book(rules, "2021-03-31", dir.path(), Cluster::BallistaStandalone).unwrap();
    assert_eq!(cells(&remote), cells(&local));
    // Each area in the month, quarter and year to date of the deaths (FR.1, FR.2, FR.3 and
    // FR.5, whose limits are widened for over-dispersion), but the area without deaths, which
    // has no DSR; the SMRs' areas in every period (each has expected deaths).
    let ratio = |r: &&ResultRow| r.reference == "FR.4" || r.reference == "FR.6";
    let labelled = local.iter().filter(|r| r.funnel.is_some() && !ratio(r)).count();
    assert_eq!(labelled, 4 * 40 * 3 - 3);
    let smr: Vec<_> = local.iter().filter(|r| ratio(r) && r.breakdown_value.is_some()).collect();
    assert!(smr.len() >= 2 * 40 * 12 && smr.iter().all(|r| r.funnel.is_some()));
    // FR.1's RAG rules read the label.
    assert!(local.iter().filter(|r| r.reference == "FR.1" && r.funnel.is_some()).all(|r| r.rag.is_some()));
}

/// What two runs of a public-health book must agree on, row by row.
#[allow(clippy::type_complexity)]
fn cells(
    rows: &[ResultRow],
) -> Vec<(
    String,
    String,
    (Option<String>, Option<scorebook::funnel::Significance>, Option<scorebook::ir::RagColour>),
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
)> {
    rows.iter()
        .map(|r| {
            let unit = (r.breakdown_value.clone(), r.funnel, r.rag);
            (
                r.reference.clone(),
                r.period_label.clone(),
                unit,
                r.numerator,
                r.denominator,
                r.value,
                r.ci_low,
                r.ci_high,
            )
        })
        .collect()
}
