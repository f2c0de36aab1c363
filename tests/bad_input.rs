//! Hostile and broken input: every data file in tests/bad_input/data/ is read against the
//! source in tests/bad_input/data/referrals.ind, and every rule file in
//! tests/bad_input/rules/ (plus a few generated ones too big to keep) is checked. Each case
//! asserts the exit code and what the message says: file, line, column, what is wrong and
//! how to fix it. No case may panic, and no message may show a child's id.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn scorebook() -> Command {
    let mut cmd = Command::cargo_bin("scorebook").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the referrals rules over one data file (copied in as `referrals.csv`).
fn run_data_file(name: &str) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(Path::new("tests/bad_input/data").join(name), dir.path().join("referrals.csv")).unwrap();
    run_dir(dir.path())
}

/// A data file that must be refused (exit 2) with a message saying all of `parts`.
fn refused(name: &str, parts: &[&str]) -> Outcome {
    let out = run_data_file(name);
    assert_eq!(out.code, 2, "{name}: {}", out.stderr);
    says(&out.stderr, parts);
    out
}

fn run_dir(dir: &Path) -> Outcome {
    outcome(
        scorebook()
            .args(["run", "tests/bad_input/data/referrals.ind", "--as-of", "2013-09-30", "--format", "csv", "--data"])
            .arg(dir),
    )
}

/// Runs a command to its end: never killed by a signal, never a panic.
fn outcome(command: &mut Command) -> Outcome {
    let out = command.output().unwrap();
    let outcome = Outcome {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
    outcome
}

fn value(stdout: &str, reference: &str, period: &str) -> String {
    let mut reader = csv::Reader::from_reader(stdout.as_bytes());
    let row = reader
        .records()
        .map(Result::unwrap)
        .find(|r| &r[0] == reference && &r[5] == period && r[17].is_empty())
        .unwrap_or_else(|| panic!("no row for {reference} {period}"));
    row[10].to_string()
}

/// Fails unless `text` holds every one of `parts`.
fn says(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "expected {p:?} in:\n{text}");
    }
}

#[test]
fn well_formed_variants_read_the_same() {
    // A byte-order mark, CRLF line ends and extra columns change nothing.
    // (file, referrals in September, children open at its end)
    for (name, referrals, open) in
        [("good.csv", "2", "1"), ("crlf.csv", "2", "2"), ("bom.csv", "1", "1"), ("extra-columns.csv", "1", "1")]
    {
        let out = run_data_file(name);
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        assert_eq!(value(&out.stdout, "R1", "2013-09"), referrals, "{name}");
        assert_eq!(value(&out.stdout, "R2", "2013-09"), open, "{name}");
    }
}

#[test]
fn a_missing_column_is_named_with_the_fix() {
    refused(
        "missing-column.csv",
        &[
            "referrals.csv: column `child_id`",
            "found no such column in the header",
            "help: rename the columns in the file, or declare their headers with `from \"Header\"`",
        ],
    );
}

#[test]
fn unreadable_dates_name_line_column_value_and_format() {
    refused(
        "unparseable-dates.csv",
        &[
            "referrals.csv: 2 rows cannot be read",
            "line 2, column `referral_date`: `2013-09-01` is not a date in the format dd/mm/yyyy",
            "line 3, column `referral_date`: `1 Sept 2013` is not a date in the format dd/mm/yyyy",
            "--on-bad-rows skip",
        ],
    );
    refused(
        "dates-out-of-range.csv",
        &["line 2, column `referral_date`: `31/02/2013`", "line 3", "`01/09/99999`", "line 4", "`00/09/2013`"],
    );
}

#[test]
fn month_first_dates_in_a_day_first_column_say_so() {
    let out = run_data_file("month-first-dates.csv");
    assert_eq!(out.code, 2);
    // 09/01/2013 reads either way and cannot be told apart; 09/13 and 09/30 cannot be day-first.
    says(
        &out.stderr,
        &[
            "2 rows cannot be read",
            "line 3, column `referral_date`: `09/13/2013` is not a date in the format dd/mm/yyyy; it reads as mm/dd/yyyy",
            "declare the column `format \"mm/dd/yyyy\"`",
            "line 4",
        ],
    );
}

#[test]
fn an_empty_file_and_a_header_only_file() {
    refused("empty.csv", &["referrals.csv: the file is empty; it needs at least a header row"]);

    let out = run_data_file("header-only.csv");
    assert_eq!(out.code, 0, "{}", out.stderr);
    says(&out.stderr, &["referrals.csv: a header and no rows"]);
    assert_eq!(value(&out.stdout, "R1", "2013-09"), "0");
}

#[test]
fn quoted_newlines_keep_line_numbers_true() {
    // The second record spans lines 2-3, so the bad third record is on line 4.
    refused("quoted-newline.csv", &["line 4, column `age`: `seven` is not a whole number"]);
}

#[test]
fn duplicate_keys_are_counted_without_showing_them() {
    let out = refused(
        "duplicate-keys.csv",
        &["source `referrals`: 1 value of the key (referral_id) appears on more than one row", "help:"],
    );
    assert!(!out.stderr.contains("r1"), "a key value was shown: {}", out.stderr);
}

#[test]
fn ids_with_leading_zeros_stay_text() {
    let out = run_data_file("leading-zeros.csv");
    assert_eq!(out.code, 0, "{}", out.stderr);
    // 007, 7 and 0007 are three children.
    assert_eq!(value(&out.stdout, "R2", "2013-09"), "3");
}

#[test]
fn suppression_codes_are_missing_only_when_declared() {
    refused(
        "suppression-codes.csv",
        &["1 row cannot be read", "line 4, column `age`: `low` is not a whole number", "missing \"low\""],
    );
}

#[test]
fn a_missing_required_value_says_how_to_allow_it() {
    refused(
        "missing-required.csv",
        &["line 3, column `child_id`: is empty, and `child_id` may not be missing", "`text?`"],
    );
}

#[test]
fn crlf_files_give_true_line_numbers() {
    refused("crlf-bad-row.csv", &["1 row cannot be read", "line 3, column `age`: `seven` is not a whole number"]);
}

/// Inputs the data fuzzer (fuzz/) found problems with, read against its source.
#[test]
fn data_fuzz_regressions_stay_fixed() {
    let rules = std::fs::read_to_string("fuzz/data_source.ind").unwrap();
    let (_, checked) = scorebook::project::check_texts(&[("data_source.ind", rules.as_str())]);
    let source = checked.project.unwrap().sources.remove(0);
    let mut seen = 0;
    for entry in std::fs::read_dir("tests/fuzz_regressions/data").unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for skip in [false, true] {
            if let Ok((batches, report)) = scorebook::data::readers::read_csv_from(
                &bytes[..],
                Path::new("fuzz.csv"),
                &source,
                &scorebook::data::readers::Reading { skip_bad_rows: skip, ..Default::default() },
            ) {
                let kept: usize = batches.iter().map(|b| b.num_rows()).sum();
                assert_eq!(kept as u64 + report.bad_rows, report.rows);
                assert!(report.first_bad.iter().all(|b| b.line >= 2), "{:?}", report.first_bad);
            }
        }
        seen += 1;
    }
    assert!(seen >= 2);
}

#[test]
fn ragged_rows_and_non_utf8_name_the_line() {
    refused("short-row.csv", &["referrals.csv:2: this row has 5 fields and the header has 6"]);
    refused("not-utf8.csv", &["referrals.csv:2: field 2 is not UTF-8 text; save the file as UTF-8"]);
}

#[test]
fn data_quality_warnings_for_spans_and_dates_after_the_as_of_date() {
    let out = run_data_file("end-before-start.csv");
    assert_eq!(out.code, 0, "{}", out.stderr);
    says(
        &out.stderr,
        &["data quality (1 finding)", "1 of 2 `referrals` rows end (`closed_date`) before they start (measure R2)"],
    );

    let out = run_data_file("after-as-of.csv");
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Data that runs past the as-of date (a book re-run for an earlier date) is said once.
    says(
        &out.stderr,
        &["the data runs past the as-of date: rows dated after it are in no period (1 `referrals` (`referral_date`))"],
    );
    assert_eq!(out.stderr.matches("after").count(), 1, "{}", out.stderr);

    // A date after today is a mistake whatever the as-of date: a finding of its own.
    let dir = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string("tests/bad_input/data/after-as-of.csv").unwrap().replace("02/10/2013", "02/10/2999");
    std::fs::write(dir.path().join("referrals.csv"), text).unwrap();
    let out = run_dir(dir.path());
    assert_eq!(out.code, 0, "{}", out.stderr);
    says(&out.stderr, &["1 of 2 `referrals` rows have `referral_date` after today (measures R1, R2, R3)"]);
}

#[test]
fn data_quality_findings_are_in_the_json_result() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "referral_id,child_id,referral_date,closed_date,age,nfa\nr1,c1,01/09/2013,,7,\nr2,c2,02/09/2013,,7,true\n";
    std::fs::write(dir.path().join("referrals.csv"), text).unwrap();
    let out = scorebook()
        .args(["run", "tests/bad_input/data/referrals.ind", "--as-of", "2013-09-30", "--format", "json", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["data_quality"],
        serde_json::json!([{
            "measure": "R3", "source": "referrals", "column": "nfa", "finding": "missing", "rows": 1, "of_rows": 2,
            "suspicious": false
        }])
    );

    // On the terminal, a missing value in a column a condition reads is ordinary: listed with
    // --verbose only; a missing span end (`closed_date`, still open) is never a finding.
    let table = |verbose: bool| {
        let mut cmd = scorebook();
        cmd.args(["run", "tests/bad_input/data/referrals.ind", "--as-of", "2013-09-30", "--data"]).arg(dir.path());
        if verbose {
            cmd.arg("--verbose");
        }
        String::from_utf8(cmd.output().unwrap().stderr).unwrap()
    };
    let quiet = table(false);
    assert!(!quiet.contains("data quality"), "{quiet}");
    says(&quiet, &["(1 count of missing values in the columns conditions read: --verbose lists them)"]);
    let verbose = table(true);
    says(&verbose, &["data quality (1 finding):", "  1 of 2 `referrals` rows have no `nfa` (measure R3)"]);
    assert!(!verbose.contains("closed_date"), "{verbose}");
}

#[test]
fn a_wrong_type_in_row_one_million_is_found_and_counted() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("referrals.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(f, "referral_id,child_id,referral_date,closed_date,age,nfa").unwrap();
    for i in 1..=1_000_000u32 {
        let age = if i == 1_000_000 { "ten".to_string() } else { (i % 18).to_string() };
        writeln!(f, "r{i},c{i},01/09/2013,,{age},false").unwrap();
    }
    drop(f);
    let out = run_dir(dir.path());
    assert_eq!(out.code, 2);
    // The header is line 1, so data row 1,000,000 is line 1,000,001.
    says(&out.stderr, &["1 row cannot be read", "line 1000001, column `age`: `ten` is not a whole number"]);
}

#[test]
fn bad_rows_are_skipped_and_counted_on_request() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy("tests/bad_input/data/unparseable-dates.csv", dir.path().join("referrals.csv")).unwrap();
    let out = scorebook()
        .args(["run", "tests/bad_input/data/referrals.ind", "--as-of", "2013-09-30", "--format", "json"])
        .args(["--on-bad-rows", "skip", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    says(&String::from_utf8_lossy(&out.stderr), &["referrals.csv: 2 bad rows left out"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["files"][0]["bad_rows"], 2);
}

#[test]
fn ten_bad_rows_are_shown_and_the_rest_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("referral_id,child_id,referral_date,closed_date,age,nfa\n");
    for i in 0..25 {
        text.push_str(&format!("r{i},c{i},not a date,,7,false\n"));
    }
    std::fs::write(dir.path().join("referrals.csv"), text).unwrap();
    let out = run_dir(dir.path());
    assert_eq!(out.code, 2);
    says(&out.stderr, &["25 rows cannot be read", "line 11,", "... and 15 more"]);
    assert!(!out.stderr.contains("line 12,"), "{}", out.stderr);
}

// ------------------------------------------------------------------------------ rule files

fn check(path: &Path) -> Outcome {
    outcome(scorebook().arg("check").arg(path))
}

fn rules(name: &str) -> PathBuf {
    Path::new("tests/bad_input/rules").join(name)
}

#[test]
fn rule_files_with_errors_point_at_them() {
    let cases: &[(&str, &[&str])] = &[
        ("unterminated-string.ind", &["SB101", "unterminated-string.ind:5:7", "close it with `\"`"]),
        ("unknown-keyword.ind", &["SB102", "unknown-keyword.ind:5:3", "unknown keyword `countt`"]),
        ("not-utf8.ind", &["SB105", "not-utf8.ind:4:6", "byte 0xE9 is not valid UTF-8"]),
    ];
    for (name, expected) in cases {
        let out = check(&rules(name));
        assert_eq!(out.code, 1, "{name}: {}{}", out.stdout, out.stderr);
        says(&format!("{}{}", out.stdout, out.stderr), expected);
    }
}

#[test]
fn crlf_tabs_and_a_byte_order_mark_check_clean() {
    for name in ["crlf.ind", "tabs.ind", "bom.ind"] {
        let out = check(&rules(name));
        assert_eq!(out.code, 0, "{name}: {}{}", out.stdout, out.stderr);
    }
    let lf = std::fs::read_to_string(rules("tabs.ind")).unwrap();
    let crlf = std::fs::read_to_string(rules("crlf.ind")).unwrap();
    assert!(crlf.contains("\r\n") && !lf.contains('\r'));
}

#[test]
fn ten_thousand_levels_of_nesting_are_refused_not_overflowed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.ind");
    let depth = 10_000;
    let text = format!(
        "source s {{\n  id text key\n  n int\n}}\nmeasure m {{\n  ref \"1\"\n  title \"t\"\n  count s\n  where {}n = 1{}\n  polarity none\n}}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    std::fs::write(&path, text).unwrap();
    let out = check(&path);
    assert_eq!(out.code, 1);
    says(&format!("{}{}", out.stdout, out.stderr), &["SB106", "deep.ind:9:"]);
}

#[test]
fn a_ten_megabyte_rule_file_checks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.ind");
    let mut text = String::from("source s {\n  id text key\n  d  date\n}\n");
    let mut i = 0;
    while text.len() < 10 * 1024 * 1024 {
        text.push_str(&format!(
            "# measure {i}, with a comment long enough to make the file big without making it slow to check ........\n\
             measure m{i} {{\n  ref \"{i}\"\n  title \"Events, number {i}\"\n  count s\n  in period by d\n  polarity none\n}}\n"
        ));
        i += 1;
    }
    std::fs::write(&path, &text).unwrap();
    let out = check(&path);
    assert_eq!(out.code, 0, "{}", &out.stderr[..out.stderr.len().min(2000)]);
    says(&format!("{}{}", out.stdout, out.stderr), &[&format!("{i} measures: no problems")]);
}
