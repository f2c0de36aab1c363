//! Benchmarks taken from published LA-level data in DfE's format: England, the statistical
//! neighbours' mean or median (suppressed neighbours left out and counted), the LA's own value.

use scorebook::config::Config;
use scorebook::engine::{self, RunOptions};
use scorebook::project;
use std::path::{Path, PathBuf};

#[test]
fn published_benchmarks_from_the_latest_year_ending_by_the_period_end() {
    let dir = Path::new("tests/fixtures/published");
    let project = project::check_paths(&[dir.join("book.ind")]).unwrap().1.project.unwrap();
    let config = Config::read(&dir.join("scorebook.toml")).unwrap();
    let options = RunOptions {
        as_of: Some("2013-09-30".parse().unwrap()),
        data_dir: Some(PathBuf::from(dir)),
        ..RunOptions::default()
    };
    let out = tokio::runtime::Runtime::new().unwrap().block_on(engine::run(&project, Some(&config), &options)).unwrap();
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
        (sept.value, sept.direction.as_deref(), sept.judgement.as_deref()),
        (Some(2.0), Some("down"), Some("worsening"))
    );
}

#[test]
fn a_neighbour_list_without_an_la_code_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scorebook.toml");
    std::fs::write(&path, "[benchmarks]\nneighbours = \"n.csv\"\n").unwrap();
    let err = Config::read(&path).unwrap().benchmark_settings().unwrap_err().to_string();
    assert!(err.contains("neighbours needs la_code"), "{err}");
}
