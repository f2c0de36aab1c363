//! `scorebook run` and `compile` as a data team runs them.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn scorebook() -> Command {
    let mut cmd = Command::cargo_bin("scorebook").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

/// A copy of the edge fixtures, to break.
fn fixture_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir("tests/fixtures/edge").unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    dir
}

/// Runs scorebook, expects success, and returns what it printed.
fn stdout_of<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(args: I) -> String {
    String::from_utf8(scorebook().args(args).assert().code(0).get_output().stdout.clone()).unwrap()
}

fn run_args<'a>(data: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["run", "rules", "--data", data, "--as-of", "2013-09-30"];
    a.extend_from_slice(extra);
    a
}

#[test]
fn csv_output_has_the_contract_columns() {
    let text = stdout_of(run_args("tests/fixtures/edge", &["--format", "csv"]));
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "ref,title,theme,unit,period_kind,period_label,period_start,period_end,numerator,denominator,value,target,rag,direction,judgement,benchmark_sn,benchmark_england,breakdown,breakdown_value,as_of,benchmark_la,benchmark_sn_neighbours,ci_low,ci_high,compared_england,compared_sn,funnel,definition_version"
    );
    assert_eq!(
        lines.next().unwrap(),
        "1.1a,Number of children in need at point in time,Setting the scene,count,year,2012-13,2012-04-01,2013-03-31,,,1,,,up,improving,2711,,,,2013-09-30,,,0.025317807984289887,5.571643390938897,not_compared,lower,,1"
    );
    assert!(text.contains("\n2.1a,% initial assessments completed within 10 working days of referral,Quality of practice,percent,month,2013-09,2013-09-01,2013-09-30,2,3,66.66666666666667,"));
    assert_eq!(text.lines().count(), 1 + 32 * 10);
}

#[test]
fn json_output_carries_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("book.json");
    let manifest = dir.path().join("manifest.json");
    scorebook()
        .args(run_args(
            "tests/fixtures/edge",
            &["--format", "json", "--out", out.to_str().unwrap(), "--manifest", manifest.to_str().unwrap()],
        ))
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&out).unwrap();
    // Keys in one order whatever the build's features (Ballista's turn on serde_json's
    // preserve_order): the top level's and the options' sorted, as a default build writes them.
    let at = |key: &str| text.find(&format!("\n  \"{key}\": ")).unwrap_or_else(|| panic!("{key}"));
    let top = ["data_quality", "files", "manifest", "results", "warnings"].map(at);
    assert!(top.windows(2).all(|w| w[0] < w[1]), "{top:?}");
    let options = ["data", "engine", "format", "measures", "memory_limit", "on_bad_rows", "paths"]
        .map(|k| text.find(&format!("\"{k}\": ")).unwrap_or_else(|| panic!("{k}")));
    assert!(options.windows(2).all(|w| w[0] < w[1]), "{options:?}");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let m = &doc["manifest"];
    assert_eq!(m["tool"], "scorebook");
    assert_eq!(m["as_of"], "2013-09-30");
    assert_eq!(m["rules_sha256"].as_str().unwrap().len(), 64);
    let referrals = m["inputs"].as_array().unwrap().iter().find(|i| i["source"] == "referrals").unwrap();
    assert_eq!(referrals["rows"], 9);
    assert_eq!(referrals["bytes"], std::fs::metadata("tests/fixtures/edge/referrals.csv").unwrap().len());
    assert_eq!(doc["results"].as_array().unwrap().len(), 320);
    assert_eq!(doc["results"][0]["numerator"], serde_json::Value::Null);
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    assert_eq!(written["rules_sha256"], m["rules_sha256"]);
}

#[test]
fn parquet_output_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("book.parquet");
    scorebook()
        .args(run_args("tests/fixtures/edge", &["--format", "parquet", "--out", out.to_str().unwrap()]))
        .assert()
        .code(0);
    let file = std::fs::File::open(&out).unwrap();
    let reader = datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<_> = reader.map(Result::unwrap).collect();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 320);
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{DataType, Date32Type};
    let schema = batches[0].schema();
    let type_of = |c: &str| schema.field_with_name(c).unwrap().data_type().clone();
    for c in ["period_start", "period_end", "as_of"] {
        assert_eq!(type_of(c), DataType::Date32, "{c}");
    }
    assert_eq!((type_of("value"), type_of("ref")), (DataType::Float64, DataType::Utf8));
    let day = |c: &str| batches[0].column_by_name(c).unwrap().as_primitive::<Date32Type>().value_as_date(0).unwrap();
    let first = stdout_of(run_args("tests/fixtures/edge", &["--format", "csv"]));
    let first: Vec<&str> = first.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(day("period_start").to_string(), first[6]);
    assert_eq!(day("period_end").to_string(), first[7]);
    assert_eq!(day("as_of").to_string(), first[19]);
}

#[test]
fn a_missing_file_is_named_and_nothing_is_written() {
    let dir = fixture_copy();
    std::fs::remove_file(dir.path().join("referrals.csv")).unwrap();
    let out = dir.path().join("book.csv");
    std::fs::write(&out, "previous output\n").unwrap();
    scorebook()
        .args(run_args(dir.path().to_str().unwrap(), &["--format", "csv", "--out", out.to_str().unwrap()]))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no data for source `referrals`"))
        .stderr(predicate::str::contains("referrals.csv"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous output\n");
}

#[test]
fn every_schema_mismatch_is_reported_at_once() {
    let dir = fixture_copy();
    let edit = |name: &str, from: &str, to: &str| {
        let p = dir.path().join(name);
        let text = std::fs::read_to_string(&p).unwrap().replacen(from, to, 1);
        std::fs::write(&p, text).unwrap();
    };
    edit("referrals.csv", "referral_date", "date_of_referral");
    edit("cp_plans.csv", "previous_plans", "prev");
    scorebook()
        .args(run_args(dir.path().to_str().unwrap(), &[]))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("(2 problems)"))
        .stderr(predicate::str::contains("referrals.csv: column `referral_date`: expected a column headed `referral_date` (date), found no such column"))
        .stderr(predicate::str::contains("cp_plans.csv: column `previous_plans`"));
}

#[test]
fn an_unparseable_value_names_file_line_and_column() {
    let dir = fixture_copy();
    let p = dir.path().join("referrals.csv");
    let text = std::fs::read_to_string(&p).unwrap().replace("r03,c2,2013-09-20", "r03,c2,20/09/2013");
    std::fs::write(&p, text).unwrap();
    scorebook()
        .args(run_args(dir.path().to_str().unwrap(), &[]))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("referrals.csv: 1 row cannot be read:"))
        .stderr(predicate::str::contains(
            "line 4, column `referral_date`: `20/09/2013` is not a date written YYYY-MM-DD",
        ));
    // Skipping the bad row runs the book and says so.
    scorebook()
        .args(run_args(dir.path().to_str().unwrap(), &["--on-bad-rows", "skip", "--format", "csv"]))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("referrals.csv: 1 bad row left out"));
}

#[test]
fn rules_with_errors_are_not_run() {
    scorebook()
        .args([
            "run",
            "tests/corpus/invalid/SB201-unknown-column.ind",
            "--data",
            "tests/fixtures/edge",
            "--as-of",
            "2013-09-30",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nothing was run"));
}

#[test]
fn one_measure_can_be_run_alone() {
    let text = stdout_of(run_args("tests/fixtures/edge", &["--format", "csv", "--measure", "3.2"]));
    assert_eq!(text.lines().count(), 11);
    assert!(text.lines().skip(1).all(|l| l.starts_with("3.2,")));
    scorebook()
        .args(run_args("tests/fixtures/edge", &["--measure", "nosuch"]))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: --measure nosuch: no measure has that ref or name"))
        .stderr(predicate::str::contains("help: the measures' refs are 1.1a, 1.1b,"))
        .stderr(predicate::str::contains("not supported").not());
}

#[test]
fn every_command_reads_the_as_of_date_of_scorebook_toml_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("scorebook.toml");
    std::fs::write(&config, "[project]\nas_of = \"30/09/2013\"\n").unwrap();
    let said = "as_of = \"30/09/2013\" is not a date; write it as \"YYYY-MM-DD\"";
    for command in [&["run", "rules", "--data", "tests/fixtures/edge"][..], &["compile", "rules", "--emit", "sql"]] {
        scorebook()
            .args(command)
            .args(["--config", config.to_str().unwrap()])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(said));
    }
}

#[test]
fn compile_emits_plans_and_sql() {
    scorebook()
        .args(["compile", "rules", "--emit", "plan", "--as-of", "2013-09-30", "--measure", "3.2"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("LeftSemi Join"))
        .stdout(predicate::str::contains(
            "count(CASE WHEN row.referral_date BETWEEN Date32(\"2013-09-01\") AND Date32(\"2013-09-30\")",
        ));
    for dialect in ["postgres", "mysql", "sqlite", "duckdb", "bigquery", "snowflake"] {
        scorebook()
            .args(["compile", "rules", "--emit", "sql", "--dialect", dialect, "--as-of", "2013-09-30"])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("SELECT"));
    }
}

#[test]
fn requests_that_cannot_be_met_say_why_and_what_to_do() {
    scorebook()
        .args(["compile", "rules", "--emit", "script", "--dialect", "datafusion", "--as-of", "2013-09-30"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "a warehouse script is not written in DataFusion's dialect: `scorebook run` runs the plans in DataFusion directly\n  help: for a script choose --dialect postgres, duckdb, sqlite, mysql, bigquery or snowflake\n",
        ));
    // Refused before any connection is tried: the server named here does not exist.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("book.csv");
    scorebook()
        .args(["run", "rules", "--as-of", "2013-09-30", "--data", "tests/fixtures/edge"])
        .args(["--engine", "postgres://analyst@127.0.0.1:1/book", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: a run on PostgreSQL reads the sources from the server's tables\n  help: drop --data and --years (in Python: data, tables and years)\n",
        ));
    assert!(!out.exists());
}

#[test]
fn a_population_with_a_repeated_year_is_refused_before_it_divides() {
    let dir = fixture_copy();
    let population = dir.path().join("population.csv");
    let text = std::fs::read_to_string(&population).unwrap();
    let repeated = text.lines().nth(1).unwrap().replace("70000", "71000");
    std::fs::write(&population, format!("{text}{repeated}\n")).unwrap();
    scorebook()
        .args(["run", "rules", "--as-of", "2013-09-30", "--data"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "error: source `population`: 1 area, year and age group combination appears on more than one row\n  help: keep one row for each area, year and age group\n",
        ));
}

#[test]
fn the_data_can_be_bound_in_scorebook_toml() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("scorebook.toml");
    let data = std::fs::canonicalize("tests/fixtures/edge").unwrap();
    std::fs::write(
        &config,
        format!(
            "[project]\nas_of = \"2013-09-30\"\narea_code = \"E06000049\"\n\n[data]\ndir = {:?}\n",
            data.display().to_string()
        ),
    )
    .unwrap();
    let text =
        stdout_of(["run", "rules", "--config", config.to_str().unwrap(), "--format", "csv", "--measure", "1.1b"]);
    assert!(text.contains(",2012-13,2012-04-01,2013-03-31,1,75000,0.13333333333333333,"), "{text}");
    assert!(Path::new(&config).exists());
}

#[test]
fn suppression_shows_small_numbers_as_c() {
    let text = stdout_of(run_args(
        "tests/fixtures/edge",
        &["--format", "csv", "--suppress", "5", "--measure", "3.3", "--measure", "3.4"],
    ));
    let sept: Vec<&str> = text.lines().filter(|l| l.contains(",2013-09,")).collect();
    assert!(sept[0].starts_with("3.3,") && sept[0].contains(",2013-09-30,c,c,c,80,"), "{}", sept[0]);
    assert!(sept[1].starts_with("3.4,") && sept[1].contains(",2013-09-30,,,c,"), "{}", sept[1]);
    // Zero is not withheld.
    assert!(text.lines().any(|l| l.starts_with("3.4,") && l.contains(",2013-08,") && l.contains(",2013-08-31,,,0,")));
}

fn drill_args<'a>(period: &'a str, out: &'a Path) -> [&'a str; 10] {
    let out = out.to_str().unwrap();
    ["drill", "3.2", "--period", period, "--data", "tests/fixtures/edge", "--as-of", "2013-09-30", "--out", out]
}

#[test]
fn drill_writes_the_cases_behind_a_figure() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cases.csv");
    scorebook()
        .args(drill_args("2013-09", &out))
        .assert()
        .code(0)
        .stdout("")
        .stderr(predicate::str::contains("wrote 3 rows behind 3.2 for 2013-09, 1 of them in the numerator"));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        // The dates the definition computed and the `exists` it asked, beside the referral.
        "referral_id,child_id,referral_date,\"add_months(referral_date, -12)\",exists referrals as earlier,in_numerator\n\
         r02,c1,2013-09-14,2012-09-14,true,true\n\
         r03,c2,2013-09-20,2012-09-20,false,false\n\
         r05,c3,2013-09-14,2012-09-14,false,false\n"
    );
    // No row in the period: the columns still say what would be shown.
    scorebook()
        .args([
            "drill",
            "2.2a",
            "--period",
            "2013-09",
            "--data",
            "tests/fixtures/edge",
            "--as-of",
            "2013-09-30",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("wrote 0 rows behind 2.2a"));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "assessment_id,child_id,start_date,child_seen_date,completed_date,assessment_type,\
         \"working_days(start_date, completed_date)\",in_numerator\n"
    );
    scorebook()
        .args(drill_args("2013-10", &out))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no period `2013-10`"));
}

#[test]
fn drill_refuses_what_has_no_rows_saying_what_to_drill_into_instead() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cases.csv");
    let drill = |reference: &str, period: &str| {
        scorebook()
            .args(["drill", reference, "rules", "tests/fixtures/extra.ind", "--period", period])
            .args(["--data", "tests/fixtures/edge", "--as-of", "2013-09-30", "--out"])
            .arg(&out)
            .assert()
            .code(2)
    };
    drill("T4", "2013-09").stderr(predicate::str::contains(
        "error: measure `T4`: it is calculated from other measures and has no rows of its own\n  help: drill into the measures it is calculated from: cin_at_point, cp_at_point\n",
    ));
    drill("T6", "2013-08").stderr(predicate::str::contains(
        "error: measure `T6`: it counts no rows in 2013-08: the period ends before the measure's window starts\n  help: choose a later period\n",
    ));
    assert!(!out.exists());
}

#[test]
fn drill_counts_what_the_measure_counts_and_shows_each_breakdown() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cases.csv");
    // The rule files as every command takes them; `--rules` is the earlier spelling.
    let drill = |reference: &str| {
        let rules: &[&str] =
            if reference == "903.5" { &["--rules", "examples/ssda903"] } else { &["examples/ssda903"] };
        scorebook()
            .args(["drill", reference])
            .args(rules)
            .args(["--period", "2013-09", "--as-of", "2014-03-31"])
            .args(["--data", "tests/fixtures/ssda903", "--out"])
            .arg(&out)
            .assert()
            .code(0)
    };
    // A02 has two open care episodes (C2 and E1): two rows, one child.
    drill("903.1").stderr(predicate::str::contains(
        "wrote 9 rows behind 903.1 for 2013-09 (the figure counts 8 distinct `CHILD`) to",
    ));
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Every value the definition reads: the looked-up date of birth and sex too, and the age
    // at the period's end the band is computed from.
    assert_eq!(
        lines[0],
        "CHILD,DECOM,DEC,header.DOB,\"age(header.DOB, period_end)\",header.SEX,by_legal_status,by_age_band,by_sex"
    );
    assert!(lines.contains(&"A02,2010-01-01,,1997-09-30,16,2,C2,16 and over,female"), "{text}");
    assert!(lines.contains(&"A02,2012-05-01,,1997-09-30,16,2,E1,16 and over,female"), "{text}");
    drill("903.5")
        .stderr(predicate::str::contains("(the figure counts 8 distinct `CHILD`, 1 of them in the numerator)"));
    // The date 12 months before the period end the related rows are compared with, the count
    // of placements begun since and whether a placement was open then, each as written.
    let text = std::fs::read_to_string(&out).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert_eq!(
        header[..6],
        ["CHILD", "DECOM", "DEC", "\"add_months(period_end", " -12)\"", "count care_episodes as p"],
        "{text}"
    );
    assert_eq!(header[6], "exists care_episodes as o", "{text}");
    assert!(text.lines().skip(1).all(|l| l.split(',').nth(3) == Some("2012-09-30")), "{text}");
}

/// Every value a definition reads: columns of the row a filter reads, each lookup's key before
/// what it finds, named values after what they are computed from, and computed dates.
#[test]
fn drill_shows_every_value_the_definition_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cases.csv");
    let drill = |reference: &str| {
        scorebook()
            .args(["drill", reference, "examples/send", "--period", "2024-03", "--as-of", "2024-03-31"])
            .args(["--data", "tests/fixtures/send", "--out"])
            .arg(&out)
            .assert()
            .code(0);
        let text = std::fs::read_to_string(&out).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        (header, rows)
    };
    let (header, rows) = drill("SEN.1");
    let at = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no `{name}` in {header:?}"));
    // `excluding exception = "Y"` reads `exception`; the plan finds its request by `request_id`,
    // the request its child by `requests.child_id`.
    assert!(at("exception") < at("days_to_issue"));
    assert!(at("request_id") < at("requests.request_date"));
    assert!(at("requests.request_date") < at("days_to_issue"));
    assert!(at("requests.child_id") < at("requests.children.date_of_birth"));
    assert!(at("requests.children.date_of_birth") < at("age_at_request"));
    assert!(at("age_at_request") < at("requests.age_band"));
    let p04 = rows.iter().find(|r| &r[0] == "P04").unwrap();
    // A request the file does not have: its key is shown, nothing it would have found.
    assert_eq!((&p04[at("request_id")], &p04[at("requests.request_date")]), ("R99", ""));
    let p09 = rows.iter().find(|r| &r[0] == "P09").unwrap();
    assert_eq!(&p09[at("requests.age_band")], "16 to 25");
    assert_eq!(&p09[at("by_age_band")], "16 to 25");

    // The date 12 months after the child's previous request, which the request is compared with.
    let (header, rows) = drill("SEN.3");
    assert_eq!(
        header,
        [
            "request_id",
            "child_id",
            "request_date",
            "earlier.request_date",
            "add_months(earlier.request_date, 12)",
            "in_numerator"
        ]
    );
    let r04 = rows.iter().find(|r| &r[0] == "R04").unwrap();
    assert_eq!(r04.iter().collect::<Vec<_>>(), ["R04", "C000002", "2024-03-01", "2023-03-01", "2024-03-01", "true"]);
}

#[test]
fn years_run_whole_financial_years_of_a_published_table() {
    let example = ["run", "examples/dfe-benchmarks", "--config", "examples/dfe-benchmarks/scorebook.toml"];
    let text = stdout_of(example.iter().chain(&["--years", "2024..2025", "--measure", "CLA-rate", "--format", "csv"]));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let labels: std::collections::BTreeSet<&str> = rows.iter().map(|r| &r[5]).collect();
    assert_eq!(labels.into_iter().collect::<Vec<_>>(), ["2023-24", "2024-25"]);
    // Cheshire East (895), year ending March 2025: DfE publishes 66 per 10,000 (550 children, mid-2024 population 83,041).
    let ce = rows.iter().find(|r| &r[5] == "2024-25" && &r[18] == "895").unwrap();
    assert_eq!(ce[10].parse::<f64>().unwrap().round(), 66.0, "{ce:?}");

    scorebook()
        .args(example.iter().chain(&["--years", "2025..2013"]))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("runs backwards; write the earlier year first (2013..2025)"));
}

/// The rows of a complete CSV result, or a panic if the file is cut short or garbled.
fn complete_csv(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.starts_with("ref,title,") && text.ends_with('\n'), "not a whole result: {} bytes", text.len());
    let records: Vec<csv::StringRecord> =
        csv::Reader::from_reader(text.as_bytes()).records().map(|r| r.expect("every record whole")).collect();
    records.len()
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_the_previous_output_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("book.csv");
    std::fs::write(&out, "previous book\n").unwrap();
    for delay_ms in [0u64, 50, 150, 300, 600] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scorebook"))
            .args(run_args("tests/fixtures/edge", &["--format", "csv", "--out"]))
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
        child.wait().unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        if text != "previous book\n" {
            assert!(complete_csv(&out) > 0, "after {delay_ms} ms");
        }
    }
}

#[test]
fn two_runs_writing_one_file_leave_one_whole_result() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("book.csv");
    let args = |as_of| ["run", "rules", "--data", "tests/fixtures/edge", "--as-of", as_of, "--format", "csv"];
    let spawn = |as_of| {
        std::process::Command::new(env!("CARGO_BIN_EXE_scorebook"))
            .args(args(as_of))
            .arg("--out")
            .arg(&out)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn("2013-09-30"), spawn("2013-06-30"));
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    let rows = complete_csv(&out);
    let text = std::fs::read_to_string(&out).unwrap();
    let whole = |as_of| stdout_of(args(as_of));
    assert!(text == whole("2013-09-30") || text == whole("2013-06-30"), "{rows} rows, neither run's result");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn run_messages_say_what_was_written_and_only_what_is_suspicious() {
    let dir = tempfile::tempdir().unwrap();
    let run = |format: &str, file: &str| {
        let out = scorebook()
            .args(["run", "examples/ssda903", "--data", "tests/fixtures/ssda903", "--as-of", "2014-03-31"])
            .args(["--format", format, "--out"])
            .arg(dir.path().join(file))
            .assert()
            .code(0)
            .get_output()
            .stderr
            .clone();
        String::from_utf8(out).unwrap().replace(&dir.path().display().to_string(), "OUT")
    };
    insta::assert_snapshot!("run_messages_book", run("html", "book.html"));
    insta::assert_snapshot!("run_messages_csv", run("csv", "book.csv"));
}

#[test]
fn the_terminal_table_shows_target_rag_and_direction_coloured_on_request() {
    let args = ["run", "--data", "tests/fixtures/edge", "--as-of", "2013-09-30", "--measure", "3.2"];
    let plain = stdout_of(args);
    let header = plain.lines().next().unwrap();
    for column in ["value", "target", "rag", "direction"] {
        assert!(header.split_whitespace().any(|c| c == column), "{header}");
    }
    let september = plain.lines().find(|l| l.starts_with("3.2") && l.contains("2013-09 ")).unwrap();
    assert!(september.contains("  10.0  red  "), "{september}");
    assert!(!plain.contains('\u{1b}'), "NO_COLOR: no escapes");
    let coloured = scorebook().env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1").args(args).output().unwrap();
    let coloured = String::from_utf8(coloured.stdout).unwrap();
    assert!(coloured.contains("\u{1b}[1;31mred\u{1b}[0m"), "{coloured}");
    let forced_but_no_color =
        scorebook().env("NO_COLOR", "1").env("CLICOLOR_FORCE", "1").args(args).output().unwrap().stdout;
    assert!(!String::from_utf8(forced_but_no_color).unwrap().contains('\u{1b}'));
}

#[test]
fn the_book_takes_its_title_from_the_project_file_or_names_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("scorebook.toml");
    std::fs::write(&config, "[book]\ntitle = \"Looked-after children\"\nsubtitle = \"Corporate parenting board\"\n")
        .unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "examples/ssda903", "--data", "tests/fixtures/ssda903", "--as-of", "2014-03-31"];
        args.extend_from_slice(extra);
        args.extend(["--format", "markdown"]);
        stdout_of(args)
    };
    let titled = run(&["--config", config.to_str().unwrap()]);
    assert!(
        titled.starts_with("# Looked-after children\n\nCorporate parenting board\n\nAs of 2014-03-31.\n"),
        "{titled}"
    );
    // Without [book], the title names the project's folder.
    let named = run(&[]);
    assert!(named.starts_with("# ssda903 Performance Book\n"), "{named}");
}

#[test]
fn a_file_may_lack_an_optional_column_no_measure_reads() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir("tests/fixtures/ssda903").unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let drop_column = |name: &str| {
        let path = dir.path().join("episodes.csv");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let at = header.iter().position(|h| *h == name).unwrap();
        let keep = |line: &str| {
            let cells: Vec<&str> = line.split(',').collect();
            cells.iter().enumerate().filter(|(i, _)| *i != at).map(|(_, c)| *c).collect::<Vec<_>>().join(",")
        };
        let out: Vec<String> = std::iter::once(keep(&header.join(","))).chain(lines.map(keep)).collect();
        std::fs::write(&path, out.join("\n") + "\n").unwrap();
    };
    let run = || {
        scorebook()
            .args(["run", "examples/ssda903", "--as-of", "2014-03-31", "--format", "csv", "--data"])
            .arg(dir.path())
            .assert()
    };
    let before = run().code(0).get_output().stdout.clone();
    // PLACE is declared `text?` and no measure reads it: a warning, and the same book.
    drop_column("PLACE");
    let after = run()
        .code(0)
        .stderr(predicate::str::contains(
            "episodes.csv: no column `PLACE`; it is declared optional and no measure reads it, so it reads as missing",
        ))
        .get_output()
        .stdout
        .clone();
    assert_eq!(before, after);
    // LS is optional too, but the book reads it: still an error naming the column.
    drop_column("LS");
    run().code(2).stderr(predicate::str::contains("column `LS`: expected a column headed `LS` (text)"));
}

/// 2.1a in September 2013 is 2 of 3 (66.7%): its Wilson interval at 95% and its comparison with
/// the neighbours' 79.0 and England's 77.0 reach every output format.
#[test]
fn intervals_and_comparisons_reach_every_format() {
    // Wilson's limits, 100 × (2O + z² ± z√(z² + 4O(1 − O/n))) / (2(n + z²)), with the
    // operations in the order the plan writes them.
    let (low, high) = {
        let (o, n, z) = (2.0f64, 3.0f64, scorebook::statistics::z(95.0).unwrap());
        let spread = z * (z * z + 4.0 * o * (1.0 - o / n)).sqrt();
        let at = |s: f64| (2.0 * o + z * z + s) / (2.0 * (n + z * z)) * 100.0;
        (at(-spread), at(spread))
    };
    let dir = tempfile::tempdir().unwrap();
    let write = |format: &str, file: &str| {
        let out = dir.path().join(file);
        let args = ["--format", format, "--out", out.to_str().unwrap(), "--measure", "2.1a"];
        scorebook().args(run_args("tests/fixtures/edge", &args)).assert().code(0);
        out
    };

    let csv = std::fs::read_to_string(write("csv", "book.csv")).unwrap();
    let september = csv.lines().find(|l| l.starts_with("2.1a,") && l.contains(",month,2013-09,")).unwrap();
    assert!(september.ends_with(&format!(",{low},{high},similar,similar,,1")), "{september}");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(write("json", "book.json")).unwrap()).unwrap();
    let row = json["results"].as_array().unwrap().iter().find(|r| r["period_label"] == "2013-09").unwrap();
    assert_eq!((row["ci_low"].as_f64(), row["ci_high"].as_f64()), (Some(low), Some(high)));
    assert_eq!((&row["compared_england"], &row["compared_sn"]), (&"similar".into(), &"similar".into()));

    use datafusion::arrow::array::{AsArray, RecordBatch};
    use datafusion::arrow::datatypes::Float64Type;
    let file = std::fs::File::open(write("parquet", "book.parquet")).unwrap();
    let batches: Vec<RecordBatch> =
        datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let batch = &batches[0];
    let at = (0..batch.num_rows())
        .find(|&i| batch.column_by_name("period_label").unwrap().as_string::<i32>().value(i) == "2013-09")
        .unwrap();
    let number = |c: &str| batch.column_by_name(c).unwrap().as_primitive::<Float64Type>().value(at);
    assert_eq!((number("ci_low"), number("ci_high")), (low, high));
    assert_eq!(batch.column_by_name("compared_sn").unwrap().as_string::<i32>().value(at), "similar");

    let table = stdout_of(run_args("tests/fixtures/edge", &["--measure", "2.1a"]));
    assert!(table.lines().next().unwrap().contains("interval"), "{table}");
    let line = table.lines().find(|l| l.contains("2013-09 ")).unwrap();
    assert!(line.contains(" 66.7  20.8 to 93.9 ") && line.contains(" similar "), "{line}");

    let html = std::fs::read_to_string(write("html", "book.html")).unwrap();
    assert!(html.contains("title=\"95% confidence interval: 20.8 to 93.9\">66.7%<span class=\"ci\">20.8–93.9</span>"));
    assert!(html.contains("<td class=\"num cmp-similar\""));

    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = calamine::open_workbook(write("xlsx", "book.xlsx")).unwrap();
    let results = wb.worksheet_range("Results").unwrap();
    let header: Vec<String> = results.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    let col = |n: &str| header.iter().position(|c| c == n).unwrap();
    let row = results.rows().find(|r| r[col("period_label")] == Data::String("2013-09".into())).unwrap();
    assert_eq!((&row[col("ci_low")], &row[col("ci_high")]), (&Data::Float(low), &Data::Float(high)));
    assert_eq!(row[col("compared_england")], Data::String("similar".into()));

    // With disclosure control the interval goes with the value it would reveal.
    let out = dir.path().join("suppressed.csv");
    let args = ["--format", "csv", "--out", out.to_str().unwrap(), "--measure", "2.1a", "--suppress", "5"];
    scorebook().args(run_args("tests/fixtures/edge", &args)).assert().code(0);
    let text = std::fs::read_to_string(&out).unwrap();
    let september = text.lines().find(|l| l.contains(",month,2013-09,")).unwrap();
    assert!(september.ends_with(",,,not_compared,not_compared,,1"), "{september}");
}

#[test]
fn timings_say_where_the_run_went_and_change_nothing_else() {
    let plain = scorebook().args(run_args("tests/fixtures/edge", &["--format", "csv"])).assert().code(0);
    let timed = scorebook().args(run_args("tests/fixtures/edge", &["--format", "csv", "--timings"])).assert().code(0);
    let (plain, timed) = (plain.get_output(), timed.get_output());
    assert_eq!(plain.stdout, timed.stdout);
    let stderr = String::from_utf8(timed.stderr.clone()).unwrap();
    let table = stderr.split("timings:\n").nth(1).expect("a timings table after the run's messages");
    let stages: Vec<&str> = table.lines().map(|l| l.split("  ").find(|s| !s.is_empty()).unwrap().trim()).collect();
    for stage in [
        "find the data",
        "read CSV, side by side",
        "check keys referrals",
        "check keys, side by side",
        "compile",
        "data quality",
        "aggregate agg_referrals",
        "plan the cells",
        "compute the cells",
        "judge and lay out rows",
        "render csv",
        "write",
        "total",
    ] {
        assert!(stages.contains(&stage), "no `{stage}` in\n{table}");
    }
    assert!(table.lines().any(|l| l.starts_with("  aggregate agg_referrals") && l.ends_with("(side by side)")));
    // Every line but the total gives seconds and a share of the total.
    assert!(table
        .lines()
        .filter(|l| !l.trim_start().starts_with("total"))
        .all(|l| l.contains(" s ") && l.contains('%')));
}

#[test]
fn hidden_helpers_stay_out_of_the_book_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(format!("{name}.csv")), text).unwrap();
    write("schools", "school_id,phase\ns1,secondary\n");
    write("pupils", "pupil_id,school_id\np1,s1\n");
    write("sessions", "session_id,pupil_id,week_ending,possible,missed\na,p1,2024-03-08,10,2\n");
    write("attendances", "attendance_id,patient_id,arrived,departed\nx1,x,2024-03-01 10:00:00,2024-03-01 16:30:00\n");
    let run = |extra: &[&str]| {
        let out = scorebook()
            .args(["run", "tests/fixtures/reach.ind", "--as-of", "2024-03-31", "--format", "csv", "--data"])
            .arg(dir.path())
            .args(extra)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        text.lines().skip(1).map(|l| l.split(',').next().unwrap_or_default().to_string()).collect::<Vec<_>>()
    };
    let refs = run(&[]);
    assert!(refs.contains(&"R5".to_string()), "the measure reading the helpers: {refs:?}");
    assert!(!refs.contains(&"R3".to_string()) && !refs.contains(&"R4".to_string()), "{refs:?}");
    let asked = run(&["--measure", "R3"]);
    assert!(!asked.is_empty() && asked.iter().all(|r| r == "R3"), "{asked:?}");
}

#[test]
fn a_population_file_of_one_area_needs_no_area_code_column() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for entry in std::fs::read_dir("tests/fixtures/edge").unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, data.join(path.file_name().unwrap())).unwrap();
    }
    let with_code = std::fs::read_to_string(data.join("population.csv")).unwrap();
    let without: String = with_code.lines().map(|l| l.split_once(',').unwrap().1.to_string() + "\n").collect();
    assert!(without.starts_with("year,age_group,population\n"));
    let config = dir.path().join("scorebook.toml");
    std::fs::write(&config, "[project]\narea_code = \"E06000049\"\n").unwrap();
    let rates = |file: &str| {
        let out = scorebook()
            .args(["run", "rules", "--as-of", "2013-09-30", "--measure", "1.1b", "--format", "csv", "--config"])
            .arg(&config)
            .arg("--data")
            .arg(&data)
            .assert()
            .success();
        let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        (String::from_utf8(out.get_output().stdout.clone()).unwrap(), format!("{file}: {stderr}"))
    };
    let (expected, _) = rates("with area codes");
    std::fs::write(data.join("population.csv"), without).unwrap();
    let (got, stderr) = rates("without");
    assert_eq!(got, expected, "the same denominators from the file of one area");
    assert!(stderr.contains("no column `area_code`, so the population is read as one area's"), "{stderr}");
    assert!(expected.contains(",75000,"), "{expected}");
}

#[path = "common/funnel_rates.rs"]
mod funnel_rates;
#[path = "common/public_health.rs"]
mod public_health;

/// `scorebook funnel`: the units and limit lines of each funnel plot as a long table (PHE's
/// published labels on the crude rate's areas), the plots as a page of their own, and a clear
/// error where no measure has a funnel.
#[test]
fn funnel_writes_each_plots_units_and_limits() {
    let data = tempfile::tempdir().unwrap();
    funnel_rates::generate(data.path(), 5);
    let at = data.path().to_str().unwrap();
    let text = stdout_of(["funnel", "tests/fixtures/funnel-rates", "--data", at, "--as-of", "2021-03-31"]);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["ref", "period_label", "kind", "name", "x_name", "denominator", "value", "funnel", "average"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let of = |reference: &'static str, kind: &'static str| {
        rows.iter().filter(move |r| &r[0] == reference && &r[2] == kind).collect::<Vec<_>>()
    };
    assert_eq!(of("FR.1", "unit").len(), 40);
    for r in of("FR.1", "unit") {
        let k: usize = r[3][1..].parse::<usize>().unwrap() - 1;
        assert_eq!((&r[1], &r[4]), ("2020-21 YTD", "population"));
        assert_eq!(&r[7], funnel_rates::PUBLISHED[k].2, "{}", &r[3]);
        assert_eq!(r[5].parse::<f64>().unwrap(), f64::from(funnel_rates::PUBLISHED[k].1));
    }
    for line in ["lower_95", "upper_95", "lower_998", "upper_998"] {
        assert!(of("FR.1", "limit").iter().filter(|r| &r[3] == line).count() > 50, "{line}");
    }
    assert_eq!(of("FR.4", "unit").len(), 40);
    assert!(of("FR.4", "unit").iter().all(|r| &r[4] == "expected events" && &r[8] == "100"));

    let page = data.path().join("funnels.html");
    scorebook()
        .args(["funnel", "tests/fixtures/funnel-rates", "--data", at, "--as-of", "2021-03-31", "--format", "html"])
        .arg("--out")
        .arg(&page)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("wrote 6 funnel plots (239 units)"));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("<svg class=\"funnel\"").count(), 6);

    // The public-health book's funnels are the percentage's (PH.5, and PH.6 with its limits
    // widened for over-dispersion); its DSRs have none.
    let deaths = tempfile::tempdir().unwrap();
    public_health::generate(deaths.path(), 400, 3);
    let json = stdout_of([
        "funnel",
        "examples/public-health",
        "--data",
        deaths.path().to_str().unwrap(),
        "--as-of",
        "2013-03-31",
        "--format",
        "json",
    ]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert!(rows.iter().all(|r| r["ref"] == "PH.5" || r["ref"] == "PH.6"));
    assert!(rows.iter().any(|r| r["kind"] == "unit" && r["funnel"].is_string() && r["value"].is_number()));
    scorebook()
        .args(["funnel", "examples/public-health", "--data", deaths.path().to_str().unwrap()])
        .args(["--as-of", "2013-03-31", "--measure", "PH.1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no measure has a funnel with judged units"));
}
