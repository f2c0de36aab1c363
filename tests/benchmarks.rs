//! Benchmarks taken from published LA-level data in DfE's format: England, the statistical
//! neighbours' mean or median (suppressed neighbours left out and counted), the LA's own value.

use scorebook::config::Config;
use scorebook::engine::{self, RunOptions};
use scorebook::project;
use std::path::{Path, PathBuf};

/// The published-benchmark fixture's measures, as of 30 September 2013.
fn run_fixture(measures: &[&str]) -> engine::RunOutput {
    let dir = Path::new("tests/fixtures/published");
    let project = project::check_paths(&[dir.join("book.ind")]).unwrap().1.project.unwrap();
    let config = Config::read(&dir.join("scorebook.toml")).unwrap();
    let options = RunOptions {
        as_of: Some("2013-09-30".parse().unwrap()),
        data_dir: Some(PathBuf::from(dir)),
        measures: measures.iter().map(|m| m.to_string()).collect(),
        ..RunOptions::default()
    };
    tokio::runtime::Runtime::new().unwrap().block_on(engine::run(&project, Some(&config), &options)).unwrap()
}

#[test]
fn published_benchmarks_from_the_latest_year_ending_by_the_period_end() {
    let out = run_fixture(&["1.1a", "1.1a-median"]);
    let row = |r: &str, p: &str| out.rows.iter().find(|x| x.reference == r && x.period_label == p).unwrap();

    // Year ending 31 March 2013 serves 2012-13 and every period of 2013-14 up to September.
    for p in ["2012-13", "2013-09", "2013-14 YTD"] {
        let r = row("1.1a", p);
        assert_eq!(r.benchmark_england, Some(378600.0), "{p}");
        assert_eq!(r.benchmark_la, Some(1569.0), "{p}");
        // Central Bedfordshire's figure is suppressed (`c`): three neighbours are used.
        assert_eq!(r.benchmark_sn, Some(3700.0), "{p}");
        assert_eq!(r.benchmark_sn_neighbours, Some(3.0), "{p}");
        assert_eq!(row("1.1a-median", p).benchmark_sn, Some(4100.0), "{p}");
    }
    // In line with the benchmark: 2 children (Sept) → compared with August's 3, further from 3,700.
    let sept = row("1.1a", "2013-09");
    assert_eq!(
        (
            sept.value,
            sept.direction.map(scorebook::judgement::Direction::name),
            sept.judgement.map(scorebook::judgement::Judgement::name)
        ),
        (Some(2.0), Some("down"), Some("worsening"))
    );
}

#[test]
fn published_counts_per_head_of_the_previous_mid_year_population() {
    let out = run_fixture(&["1.1b"]);
    let row = |p: &str| out.rows.iter().find(|x| x.reference == "1.1b" && x.period_label == p).unwrap();
    let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-9);
    for p in ["2012-13", "2013-09"] {
        let r = row(p);
        // Year ending March 2013 divides by mid-2012: England's own row (no area code).
        assert!(close(r.benchmark_england, 378_600.0 / 11_000_000.0 * 1e4), "{p}: {:?}", r.benchmark_england);
        assert!(close(r.benchmark_la, 1569.0 / 80_000.0 * 1e4), "{p}: {:?}", r.benchmark_la);
        // Neighbours: 300 (896), 200 (850), 164 (919, whose mid-2012 is `x`, so mid-2011);
        // Central Bedfordshire's count is suppressed. The median of three is 200.
        assert!(close(r.benchmark_sn, 200.0), "{p}: {:?}", r.benchmark_sn);
        assert_eq!(r.benchmark_sn_neighbours, Some(3.0), "{p}");
    }
    // The authority's own rate: mid-2013 for 2013-14's periods, mid-2012 for 2012-13.
    assert_eq!(row("2012-13").denominator, Some(80_000.0));
    assert_eq!(row("2013-09").denominator, Some(81_000.0));
    // Year ending 2012 needs mid-2011, which only Hertfordshire has.
    assert!(out.warnings.iter().any(|w| w.contains("3 published figures had no population")), "{:?}", out.warnings);
}

#[test]
fn a_neighbour_list_without_an_la_code_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scorebook.toml");
    std::fs::write(&path, "[benchmarks]\nneighbours = \"n.csv\"\n").unwrap();
    let err = Config::read(&path).unwrap().benchmark_settings().unwrap_err().to_string();
    assert!(err.contains("neighbours needs la_code"), "{err}");
}

#[test]
fn a_published_source_without_dfe_columns_is_refused_with_what_to_declare() {
    let dir = Path::new("tests/fixtures/published");
    let copy = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(dir.join("book.ind")).unwrap();
    let without: String = text.lines().filter(|l| !l.contains("old_la_code")).map(|l| format!("{l}\n")).collect();
    std::fs::write(copy.path().join("book.ind"), without).unwrap();
    let project = project::check_paths(&[copy.path().join("book.ind")]).unwrap().1.project.unwrap();
    let config = Config::read(&dir.join("scorebook.toml")).unwrap();
    let options = RunOptions {
        as_of: Some("2013-09-30".parse().unwrap()),
        data_dir: Some(PathBuf::from(dir)),
        measures: vec!["1.1a".into()],
        ..RunOptions::default()
    };
    let failed = tokio::runtime::Runtime::new().unwrap().block_on(engine::run(&project, Some(&config), &options));
    let Err(engine::RunError::Refused(refusal)) = failed else { panic!("not refused: {:?}", failed.err()) };
    assert_eq!(refusal.message, "source `dfe_b1` gives published benchmarks but has no `old_la_code` column");
    assert_eq!(
        refusal.help.as_deref(),
        Some("declare the columns of DfE's files (time_period, geographic_level, old_la_code)")
    );
}
