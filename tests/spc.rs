//! `scorebook spc` over two years of generated data for the council book: the table in every
//! format, the same monthly values as `run`, limits as their definition gives them, and the
//! charts rendered in Chromium (in the SPC page and in the HTML book).

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod common;

fn scorebook() -> Command {
    let mut cmd = Command::cargo_bin("scorebook").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Two years of the council book's sources, to 2014-03-31 (generated once for the file).
fn data() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        scorebook()
            .args(["synth", "--children", "20000", "--to", "2014-03-31", "--out"])
            .arg(dir.path())
            .assert()
            .code(0);
        dir
    })
    .path()
}

fn spc(extra: &[&str]) -> String {
    let out = scorebook()
        .args(["spc", "rules", "--as-of", "2014-03-31", "--data"])
        .arg(data())
        .args(extra)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

fn table(csv: &str) -> Vec<Vec<String>> {
    csv.lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect()
}

fn number(cell: &str) -> Option<f64> {
    (!cell.is_empty()).then(|| cell.parse().unwrap())
}

#[test]
fn the_table_has_24_months_of_every_measure_and_limits_by_their_definition() {
    let csv = spc(&[]);
    assert_eq!(
        csv.lines().next().unwrap(),
        "ref,period_label,period_start,period_end,value,mean,lpl,upl,lower_2sigma,upper_2sigma,special_cause,rule,variation,assurance"
    );
    let rows = table(&csv);
    let project = scorebook::project::check_paths(&[PathBuf::from("rules")]).unwrap().1.project.unwrap();
    assert_eq!(rows.len(), 24 * project.measures.len());
    let months: Vec<&str> = rows.iter().filter(|r| r[0] == "3.2").map(|r| r[1].as_str()).collect();
    assert_eq!((months[0], months[23]), ("2012-04", "2014-03"));

    // 3.2 (repeat referrals) recomputed from its own values: mean ± 2.66 mean moving range.
    let series: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "3.2").collect();
    let values: Vec<f64> = series.iter().filter_map(|r| number(&r[4])).collect();
    assert!(values.len() >= 12, "{values:?}");
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let amr = values.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / (values.len() - 1) as f64;
    for r in &series {
        let close = |cell: &str, want: f64| assert!((number(cell).unwrap() - want).abs() < 1e-9, "{r:?}");
        close(&r[5], mean);
        close(&r[6], mean - 2.66 * amr);
        close(&r[7], mean + 2.66 * amr);
        close(&r[8], mean - 2.0 * 2.66 / 3.0 * amr);
        close(&r[9], mean + 2.0 * 2.66 / 3.0 * amr);
        // A point beyond a limit is a special cause of that rule.
        if let Some(v) = number(&r[4]) {
            if v > mean + 2.66 * amr || v < mean - 2.66 * amr {
                assert_eq!(r[11], "outside_limits", "{r:?}");
            }
        }
        assert!(["common_cause", "special_cause_improvement", "special_cause_concern"].contains(&r[12].as_str()));
    }
    // 2.3 counts from 1 July only: nine months of values, a run chart without limits.
    let late: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "2.3").collect();
    assert!(late.iter().all(|r| r[5].is_empty() && r[11].is_empty() && r[12].is_empty()), "{late:?}");
}

#[test]
fn the_monthly_values_are_the_runs() {
    let spc_rows = table(&spc(&[]));
    let run = scorebook()
        .args(["run", "rules", "--as-of", "2014-03-31", "--format", "csv", "--data"])
        .arg(data())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let run = String::from_utf8(run).unwrap();
    let mut compared = 0;
    let mut reader = csv::Reader::from_reader(run.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    for record in reader.records() {
        let r = record.unwrap();
        if &r[at("period_kind")] != "month" || !r[at("breakdown")].is_empty() {
            continue;
        }
        let (reference, label, value) = (&r[at("ref")], &r[at("period_label")], &r[at("value")]);
        let spc = spc_rows.iter().find(|s| s[0] == reference && s[1] == label).unwrap();
        assert_eq!(spc[4], value, "{reference} {label}");
        compared += 1;
    }
    assert!(compared >= 12 * 30, "{compared}");
}

#[test]
fn json_carries_the_options_and_every_point() {
    let json: serde_json::Value =
        serde_json::from_str(&spc(&["--format", "json", "--baseline", "12", "--run-length", "6", "--screen-outliers"]))
            .unwrap();
    assert_eq!(json["as_of"], "2014-03-31");
    assert_eq!((json["baseline"].as_u64(), json["run_length"].as_u64()), (Some(12), Some(6)));
    assert_eq!(json["screen_outliers"], true);
    let points = json["points"].as_array().unwrap();
    let first = &points[0];
    for column in scorebook::spc::COLUMNS {
        assert!(first.get(*column).is_some(), "no {column} in {first}");
    }
}

#[test]
fn options_come_from_scorebook_toml_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("scorebook.toml");
    std::fs::write(&config, "[spc]\nmonths = 18\nbaseline = 12\n").unwrap();
    let csv = spc(&["--config", config.to_str().unwrap()]);
    assert_eq!(table(&csv).iter().filter(|r| r[0] == "3.2").count(), 18);
    // The baseline fixes the limits on the first 12 points.
    let series: Vec<Vec<String>> = table(&csv).into_iter().filter(|r| r[0] == "3.2").collect();
    let first: Vec<f64> = series.iter().filter_map(|r| number(&r[4])).take(12).collect();
    let mean = first.iter().sum::<f64>() / 12.0;
    assert!((number(&series[0][5]).unwrap() - mean).abs() < 1e-9);

    // [run] bounds the charts' run as it does the book's.
    std::fs::write(&config, "[run]\nmemory_limit = \"64KB\"\n").unwrap();
    scorebook()
        .args(["spc", "rules", "--as-of", "2014-03-31", "--config", config.to_str().unwrap(), "--data"])
        .arg(data())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("the run needed more memory than its limit of 64KB"));

    std::fs::write(&config, "[spc]\nrun_length = 9\n").unwrap();
    scorebook()
        .args(["spc", "rules", "--as-of", "2014-03-31", "--config", config.to_str().unwrap(), "--data"])
        .arg(data())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("[spc] run_length = 9: write 6, 7 or 8"));
    scorebook()
        .args(["spc", "rules", "--as-of", "2014-03-31", "--baseline", "8", "--data"])
        .arg(data())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--baseline 8: limits need a baseline of at least 12 points"));
}

#[test]
fn the_charts_render_in_chromium_and_the_book_links_to_them() {
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let page = out_dir.join("spc.html");
    let html = spc(&["--format", "html"]);
    std::fs::write(&page, &html).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"), "the page must not reach the network");
    let browser = common::Browser::new();
    let dom = browser.dom(&page);
    assert_eq!(dom.matches("<section class=\"spc\"").count(), 32);
    assert!(dom.contains("id=\"spc-3-2\""));
    assert!(dom.contains("<svg class=\"xmr\""));
    assert!(dom.contains("aria-label=\"variation: "), "no variation icon");
    assert!(dom.contains("aria-label=\"assurance: "), "no assurance icon");
    browser.screenshot(&page, &out_dir.join("spc.png"), 900, 1800);

    // The HTML book draws the same charts and links each measure's ref to its chart.
    let book = out_dir.join("book-with-charts.html");
    scorebook()
        .args(["run", "rules", "--as-of", "2014-03-31", "--format", "html", "--out"])
        .arg(&book)
        .arg("--data")
        .arg(data())
        .assert()
        .code(0);
    let book = std::fs::read_to_string(&book).unwrap();
    assert!(book.contains("<td><a href=\"#spc-3-2\" title=\"the SPC chart of 3.2\">3.2</a></td>"));
    assert!(book.contains("<section class=\"spc\" id=\"spc-3-2\">"));
}
