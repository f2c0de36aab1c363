//! `scorebook test`: a line per test, failures pointing at their expectation, JSON, JUnit and
//! coverage.

use assert_cmd::Command;

fn scorebook() -> Command {
    let mut cmd = Command::cargo_bin("scorebook").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn stdout(args: &[&str], code: i32) -> String {
    String::from_utf8(scorebook().args(args).assert().code(code).get_output().stdout.clone()).unwrap()
}

#[test]
fn shipped_rule_tests_pass() {
    let out = stdout(&["test", "rules"], 0);
    assert!(out.lines().filter(|l| l.starts_with("PASS ")).count() >= 7, "{out}");
    assert!(!out.contains("FAIL "));
    assert!(out.trim_end().ends_with(" passed, 0 failed"));
}

#[test]
fn the_third_book_and_the_forms_beyond_the_books_pass_their_tests() {
    for (path, tests) in [
        ("examples/ambulance", 5),
        ("examples/send", 6),
        ("examples/public-health", 3),
        ("tests/fixtures/reach.ind", 2),
    ] {
        let out = stdout(&["test", path], 0);
        assert!(out.trim_end().ends_with(&format!("{tests} passed, 0 failed")), "{path}: {out}");
    }
    // A hidden helper is tested like any measure, and coverage lists it.
    let out = stdout(&["test", "tests/fixtures/reach.ind", "--coverage"], 0);
    assert!(out.contains("R3     possible_sessions"), "{out}");
}

#[test]
fn a_failing_test_shows_expected_against_actual_at_the_expectation() {
    let out = stdout(&["test", "tests/fixtures/failing-test.ind"], 1);
    insta::assert_snapshot!("failing_test_report", out);
}

#[test]
fn an_expectation_without_a_row_says_what_the_run_has() {
    let out = stdout(&["test", "tests/fixtures/missing-row.ind"], 1);
    insta::assert_snapshot!("missing_row_report", out);
}

#[test]
fn rag_direction_and_judgement_words_may_be_quoted() {
    let out = stdout(&["test", "tests/fixtures/words-quoted-or-not.ind"], 0);
    assert!(out.contains("1 passed, 0 failed"), "{out}");
}

#[test]
fn filter_runs_matching_tests_only() {
    let out = stdout(&["test", "tests/fixtures/failing-test.ind", "--filter", "pass"], 0);
    assert!(out.contains("PASS tests/fixtures/failing-test.ind:21 passes"));
    assert!(out.trim_end().ends_with("1 passed, 0 failed"));
}

#[test]
fn json_report() {
    let out = stdout(&["test", "tests/fixtures/failing-test.ind", "--format", "json"], 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["passed"], 1);
    assert_eq!(doc["failed"], 1);
    let failing = &doc["tests"][1];
    assert_eq!(failing["name"], "fails");
    assert_eq!(failing["passed"], false);
    assert_eq!(
        failing["failures"][0],
        serde_json::json!({"expectation": "repeat_referrals for month 2013-09", "expected": "50%", "actual": "0%", "line": 42, "column": 3})
    );
    assert_eq!(failing["failures"].as_array().unwrap().len(), 2);
}

#[test]
fn junit_report() {
    let out = stdout(&["test", "tests/fixtures/failing-test.ind", "--format", "junit"], 1);
    assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"2\" failures=\"1\">"));
    assert!(out.contains("<testcase name=\"passes\" classname=\"tests/fixtures/failing-test.ind\" file=\"tests/fixtures/failing-test.ind\" line=\"21\"/>"));
    assert!(out.contains("<failure message=\"expected repeat_referrals for ytd numerator = 1, got 0\">tests/fixtures/failing-test.ind:44</failure>"));
}

#[test]
fn coverage_lists_every_measure() {
    let out = stdout(&["test", "rules", "--coverage"], 0);
    assert!(out.contains("3.2    repeat_referrals                             1  green, red"), "{out}");
    assert!(out.contains("1.1a   cin_at_point                                 1  -"), "{out}");
    assert!(out.lines().any(|l| l.ends_with(" of 32 measures tested")));
    let json = stdout(&["test", "rules", "--coverage", "--format", "json"], 0);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let cov = doc["coverage"].as_array().unwrap();
    assert_eq!(cov.len(), 32);
    assert_eq!(cov[0]["ref"], "1.1a");
}

#[test]
fn exists_compared_with_the_period_end_is_one_join_for_every_period() {
    let fixture = "tests/fixtures/exists-bounds.ind";
    let out = stdout(&["test", fixture], 0);
    assert!(out.trim_end().ends_with("1 passed, 0 failed"), "{out}");
    // Seven measures compare one date with the period's: three joins (the least start, the
    // greatest end, the least start plus a month) serve them in every period. The measure
    // comparing the period with two columns, relating the rows by key alone, counts the
    // matching rows of every period in one grouped aggregate joined by key, instead of a semi
    // join per period (10 as of October).
    let plan = stdout(&["compile", fixture, "--emit", "plan", "--as-of", "2013-10-31"], 0);
    let lines: Vec<&str> = plan.lines().map(str::trim_start).collect();
    let bounds: Vec<&str> = lines.iter().copied().filter(|l| l.contains(" AS bound]]")).collect();
    assert_eq!(bounds.len(), 3, "{bounds:#?}");
    assert!(bounds.iter().any(|l| l.contains("min(x.start_date) AS bound")));
    assert!(bounds.iter().any(|l| l.contains("max(x.end_date) AS bound")));
    assert_eq!(lines.iter().filter(|l| l.starts_with("Inner Join:")).count(), 3);
    assert_eq!(lines.iter().filter(|l| l.starts_with("LeftSemi Join:")).count(), 0);
    let counted: Vec<&str> =
        lines.iter().copied().filter(|l| l.starts_with("Aggregate: groupBy=[[x.referral_id AS k0]]")).collect();
    assert_eq!(counted.len(), 1, "{counted:#?}");
    assert_eq!(counted[0].matches("count(Int32(1)) FILTER").count(), 10, "{}", counted[0]);
    assert_eq!(lines.iter().filter(|l| l.starts_with("Left Join: row.referral_id = rel0.k0")).count(), 1);
}

#[test]
fn a_source_plan_drops_the_rows_no_period_looks_at_before_its_aggregates() {
    // As of 2014-03-31 the earliest window is 2011-12 (the previous period of the year).
    let plan = stdout(&["compile", "rules", "--emit", "plan", "--as-of", "2014-03-31"], 0);
    let filters: Vec<&str> = plan.lines().map(str::trim_start).filter(|l| l.starts_with("Filter: row.")).collect();
    assert!(
        filters.contains(&r#"Filter: row.contact_date BETWEEN Date32("2011-04-01") AND Date32("2014-03-31")"#),
        "{filters:#?}"
    );
    // Open-at-end measures keep the rows started by the last end and open after the first.
    assert!(filters.contains(
        &r#"Filter: row.start_date <= Date32("2014-03-31") AND (row.end_date IS NULL OR row.end_date > Date32("2012-03-31"))"#
    ));
    // Two date columns of one source (2.3 selects assessments by start, the rest by completion).
    assert!(filters.contains(
        &r#"Filter: row.completed_date BETWEEN Date32("2011-04-01") AND Date32("2014-03-31") OR row.start_date BETWEEN Date32("2013-07-01") AND Date32("2014-03-31")"#
    ));
}

#[test]
fn the_ssda903_book_tests_every_measure() {
    let out = stdout(&["test", "examples/ssda903", "--coverage"], 0);
    assert!(out.lines().any(|l| l == "13 of 13 measures tested"), "{out}");
    assert!(out.trim_end().ends_with("12 passed, 0 failed"), "{out}");
}

#[test]
fn tests_run_with_the_project_files_holidays_and_banding_as_run_does() {
    // tests/fixtures/settings/scorebook.toml closes 4 June 2013 and bands amber within 60%.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/settings");
    let here = |args: &[&str]| {
        let out = scorebook().current_dir(&dir).args(args).output().unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let (code, out) = here(&["test", "rules.ind"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.trim_end().ends_with("2 passed, 0 failed"), "{out}");
    // `run` counts the same: the closure day makes r2's second day its first working day.
    let (code, csv) = here(&["run", "rules.ind", "--data", ".", "--as-of", "2013-06-30", "--format", "csv"]);
    assert_eq!(code, Some(0));
    let june = csv.lines().find(|l| l.contains(",month,2013-06,")).unwrap();
    assert!(june.contains(",2013-06-01,2013-06-30,,,2,2,green,"), "{june}");

    // The same file given by --config from elsewhere; without it, weekdays and 10% banding.
    let rules = dir.join("rules.ind");
    let config = dir.join("scorebook.toml");
    let out = stdout(&["test", rules.to_str().unwrap(), "--config", config.to_str().unwrap()], 0);
    assert!(out.trim_end().ends_with("2 passed, 0 failed"), "{out}");
    let out = stdout(&["test", rules.to_str().unwrap()], 1);
    assert!(out.contains("expected quick for month 2013-06 = 2, got 1"), "{out}");
    assert!(out.contains("expected quick for month 2013-06 rag = amber, got red"), "{out}");
}

#[test]
fn coverage_columns_are_as_wide_as_the_longest_ref_and_name() {
    let dir = tempfile::tempdir().unwrap();
    let rules = r#"
source events {
  event_id    text key
  event_date  date
}

measure a_measure_whose_name_runs_well_past_forty_characters {
  ref      "PH.1.01-long"
  count events
  in period by event_date
  polarity none
}

measure short {
  ref      "S"
  count events
  in period by event_date
  polarity none
}

test "counts" {
  given events {
    event_id | event_date
    e1       | 2013-09-02
  }
  as of 2013-09-30
  expect short for month 2013-09 = 1
}
"#;
    let path = dir.path().join("rules.ind");
    std::fs::write(&path, rules).unwrap();
    let out = stdout(&["test", path.to_str().unwrap(), "--coverage"], 0);
    let lines: Vec<&str> = out.lines().collect();
    let header = lines.iter().position(|l| l.starts_with("ref ")).expect("a coverage table");
    // Each count ends where the header's `tests` ends.
    let end = lines[header].find("tests").unwrap() + "tests".len();
    for line in &lines[header + 1..header + 3] {
        assert_eq!(line[..end].trim_end().len(), end, "{line:?} under {:?}", lines[header]);
        assert!(line[..end].ends_with('1') || line[..end].ends_with('0'), "{line:?}");
    }
    assert!(lines[header + 1].starts_with("PH.1.01-long a_measure_whose_name_runs_well_past_forty_characters"));
}
