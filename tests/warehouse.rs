//! The warehouse script (`scorebook compile --emit script`) executed on real engines —
//! DuckDB and SQLite through Python, PostgreSQL through a server (`scripts/postgres.sh`) —
//! over the same files as a local run, every cell compared.
//!
//! An engine that is not installed is skipped with a message, unless `SCOREBOOK_ENGINES`
//! (a comma-separated list; `scripts/test.sh` sets it) requires it. PostgreSQL is reached at
//! `SCOREBOOK_POSTGRES` (a connection URL).

use assert_cmd::Command;
use std::collections::HashMap;
use std::path::Path;

mod common;
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

const HARNESS: &str = "tests/warehouse/run_script.py";

fn scorebook() -> Command {
    Command::cargo_bin("scorebook").unwrap()
}

fn required(engine: &str) -> bool {
    std::env::var("SCOREBOOK_ENGINES").is_ok_and(|v| v.split(',').any(|e| e.trim() == engine))
}

/// Can this machine run `engine`? Says why not, and fails if the engine is required.
fn available(engine: &str) -> bool {
    let module = match engine {
        "duckdb" => "duckdb",
        "sqlite" => "sqlite3",
        _ => "psycopg",
    };
    let python = std::process::Command::new("python3").args(["-c", &format!("import {module}")]).output();
    let mut missing = match python {
        Ok(o) if o.status.success() => None,
        _ => Some(format!("python3 with the `{module}` package")),
    };
    if engine == "postgres" && std::env::var("SCOREBOOK_POSTGRES").is_err() {
        missing = Some("a PostgreSQL server in SCOREBOOK_POSTGRES (eval \"$(bash scripts/postgres.sh start)\")".into());
    }
    match missing {
        None => true,
        Some(what) if required(engine) => panic!("{engine} is required (SCOREBOOK_ENGINES) but {what} is missing"),
        Some(what) => {
            eprintln!("skipping {engine}: {what} is missing (scripts/test.sh installs it)");
            false
        }
    }
}

type Table = HashMap<(String, String, String, String), HashMap<String, String>>;

fn parse(csv_text: &str) -> (Table, usize) {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let mut rows = 0;
    let mut table = Table::new();
    for record in reader.records() {
        let record = record.unwrap();
        let row: HashMap<String, String> =
            headers.iter().map(String::from).zip(record.iter().map(String::from)).collect();
        let key = ["ref", "period_label", "breakdown", "breakdown_value"].map(|c| row[c].clone());
        table.insert(key.into(), row);
        rows += 1;
    }
    (table, rows)
}

fn same(a: &str, b: &str) -> bool {
    a == b
        || match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
            _ => false,
        }
}

/// Runs the book locally and through `engine`, and compares every cell; returns (rows, cells).
fn compare(engine: &str, rules: &str, data: &Path, as_of: &str, schema: Option<&str>) -> (usize, usize) {
    compare_with(engine, rules, data, as_of, schema, &[])
}

/// [`compare`], both runs given `args` too (`--calendar academic`).
fn compare_with(
    engine: &str,
    rules: &str,
    data: &Path,
    as_of: &str,
    schema: Option<&str>,
    args: &[&str],
) -> (usize, usize) {
    let dir = tempfile::tempdir().unwrap();
    let types = common::types_json(rules, dir.path());
    let mut compile = scorebook();
    compile.args(["compile", rules, "--emit", "script", "--dialect", engine, "--as-of", as_of]).args(args);
    if let Some(s) = schema {
        compile.args(["--schema", s]);
    }
    let script = compile.assert().success().get_output().stdout.clone();
    let script_path = dir.path().join("book.sql");
    std::fs::write(&script_path, &script).unwrap();

    let local = local_csv(rules, data, as_of, args);
    let mut harness = std::process::Command::new("python3");
    harness.arg(HARNESS).arg(engine).arg(&script_path).arg(data).arg(&types);
    if engine == "postgres" {
        harness.arg(std::env::var("SCOREBOOK_POSTGRES").unwrap());
        harness.args(schema);
    }
    let out = harness.output().unwrap();
    assert!(out.status.success(), "{engine}: {}", String::from_utf8_lossy(&out.stderr));

    let (expected, rows) = parse(&String::from_utf8(local).unwrap());
    let (got, got_rows) = parse(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(got_rows, rows, "{engine}: row count");
    let mut cells = 0;
    for (key, want) in &expected {
        let have = got.get(key).unwrap_or_else(|| panic!("{engine}: no row {key:?}"));
        for (column, value) in want {
            let other = have.get(column).unwrap_or_else(|| panic!("{engine}: no column {column}"));
            assert!(same(value, other), "{engine}: {key:?} {column}: local {value:?}, {engine} {other:?}");
            cells += 1;
        }
    }
    (rows, cells)
}

/// The result table of a local run, as CSV.
fn local_csv(rules: &str, data: &Path, as_of: &str, args: &[&str]) -> Vec<u8> {
    let run = scorebook()
        .args(["run", rules, "--as-of", as_of, "--format", "csv"])
        .args(args)
        .arg("--data")
        .arg(data)
        .assert();
    run.success().get_output().stdout.clone()
}

fn the_shipped_book_on(engine: &str) {
    if !available(engine) {
        return;
    }
    for as_of in ["2013-09-30", "2013-04-30", "2014-03-31"] {
        let (rows, cells) = compare(engine, "rules", Path::new("tests/fixtures/edge"), as_of, None);
        println!("{engine}, edge fixtures as of {as_of}: {rows} rows, all {cells} cells match the local run");
    }
    // Judgement by RAG rules and by the default banding, and a derived measure written before
    // the measure it reads.
    let (rows, cells) =
        compare(engine, "tests/fixtures/dialects/book.ind", Path::new("tests/fixtures/edge"), "2013-09-30", None);
    println!("{engine}, tests/fixtures/dialects: {rows} rows, all {cells} cells match the local run");
    let synth = tempfile::tempdir().unwrap();
    scorebook().args(["synth", "--children", "6000", "--seed", "7", "--out"]).arg(synth.path()).assert().success();
    let (rows, cells) = compare(engine, "rules", synth.path(), "2013-09-30", None);
    println!("{engine}, generated data for 6,000 children: {rows} rows, all {cells} cells match the local run");
    // The other reporting years: periods, year starts and population years of their own.
    for (calendar, as_of) in [("calendar", "2013-08-14"), ("academic", "2014-01-15")] {
        let (rows, cells) = compare_with(engine, "rules", synth.path(), as_of, None, &["--calendar", calendar]);
        println!("{engine}, {calendar} year as of {as_of}: {rows} rows, all {cells} cells match the local run");
    }
}

/// The SSDA903 book (lookups, subsets, aggregates over related rows, measures over children,
/// ages, days, bands and medians) over the hand-made return of edge cases and a generated one.
fn the_ssda903_book_on(engine: &str) {
    if !available(engine) {
        return;
    }
    let book = "examples/ssda903";
    for as_of in ["2013-09-30", "2014-02-28"] {
        let (rows, cells) = compare(engine, book, Path::new("tests/fixtures/ssda903"), as_of, None);
        println!("{engine}, SSDA903 edge cases as of {as_of}: {rows} rows, all {cells} cells match the local run");
    }
    let generated = tempfile::tempdir().unwrap();
    scorebook()
        .args(["synth", "--dataset", "ssda903", "--children", "1500", "--seed", "5", "--to", "2014-03-31", "--out"])
        .arg(generated.path())
        .assert()
        .success();
    let (rows, cells) = compare(engine, book, generated.path(), "2014-03-31", None);
    println!("{engine}, a generated SSDA903 return: {rows} rows, all {cells} cells match the local run");
}

/// The third book (date-times, seconds between them and their dates, percentiles, a percent of
/// two sums, named values, lookups through lookups, previous rows by window functions) over
/// the hand-made files of edge cases and generated ones.
fn the_third_book_on(engine: &str) {
    if !available(engine) {
        return;
    }
    for (book, fixtures) in
        [("examples/ambulance", "tests/fixtures/ambulance"), ("examples/send", "tests/fixtures/send")]
    {
        for as_of in ["2024-03-31", "2023-10-31"] {
            let (rows, cells) = compare(engine, book, Path::new(fixtures), as_of, None);
            println!("{engine}, {book} edge cases as of {as_of}: {rows} rows, all {cells} cells match the local run");
        }
    }
    let generated = tempfile::tempdir().unwrap();
    third_book::generate_ambulance(generated.path(), 3, 3_000);
    third_book::generate_send(generated.path(), 3, 800);
    for book in ["examples/ambulance", "examples/send"] {
        let (rows, cells) = compare(engine, book, generated.path(), "2024-03-31", None);
        println!("{engine}, {book} over generated files: {rows} rows, all {cells} cells match the local run");
    }
}

/// Spans merged per entity by window functions, and nights clipped to each window
/// (`tests/fixtures/housing`), over generated stays.
fn the_housing_book_on(engine: &str) {
    if !available(engine) {
        return;
    }
    let generated = tempfile::tempdir().unwrap();
    housing::write_stays(generated.path(), 300, 9);
    for (as_of, args) in [("2013-12-31", &[][..]), ("2013-11-14", &["--calendar", "calendar"][..])] {
        let rules = "tests/fixtures/housing/rules.ind";
        let (rows, cells) = compare_with(engine, rules, generated.path(), as_of, None, args);
        println!("{engine}, merged B&B spells as of {as_of}: {rows} rows, all {cells} cells match the local run");
    }
}

/// Cohorts (`tests/fixtures/reoffending`): each offender's first disposal in the window by
/// window functions, then reoffending by `exists`, over generated offences. A book's cohorts
/// are all within their follow-up, so the rules are run here without it, every cohort final.
fn the_cohort_book_on(engine: &str) {
    if !available(engine) {
        return;
    }
    let generated = tempfile::tempdir().unwrap();
    reoffending::write_offences(generated.path(), 400, 4);
    let rules = std::fs::read_to_string("tests/fixtures/reoffending/rules.ind").unwrap();
    let unfollowed = rules.replace("follow up 12 months then 6 months", "");
    assert_ne!(rules, unfollowed);
    let path = generated.path().join("reoffending.ind");
    std::fs::write(&path, unfollowed).unwrap();
    for as_of in ["2013-09-30", "2014-01-15"] {
        let (rows, cells) = compare(engine, path.to_str().unwrap(), generated.path(), as_of, None);
        println!("{engine}, reoffending cohorts as of {as_of}: {rows} rows, all {cells} cells match the local run");
    }
}

/// The mean of named months' latest snapshots (`tests/fixtures/neet`), by academic year.
fn the_snapshot_book_on(engine: &str) {
    if !available(engine) {
        return;
    }
    let generated = tempfile::tempdir().unwrap();
    let mut text = String::from("record_id,person_id,snapshot_date,activity\n");
    let mut n = 0;
    for (year, month) in (0..24u32).map(|k| (2012 + (8 + k as i32) / 12, (8 + k) % 12 + 1)) {
        let first = chrono::NaiveDate::from_ymd_opt(year, month, 1).unwrap();
        let end = first.checked_add_months(chrono::Months::new(1)).unwrap().pred_opt().unwrap();
        for day in [first + chrono::Duration::days(9), end] {
            for p in 0..(15 + (month + chrono::Datelike::day0(&day)) % 11) {
                n += 1;
                let activity = if (p + month) % 6 == 0 { "neet" } else { "education" };
                text.push_str(&format!("r{n},p{p},{day},{activity}\n"));
            }
        }
    }
    std::fs::write(generated.path().join("tracking.csv"), text).unwrap();
    for as_of in ["2014-08-31", "2014-01-20"] {
        let rules = "tests/fixtures/neet/rules.ind";
        let args = ["--calendar", "academic"];
        let (rows, cells) = compare_with(engine, rules, generated.path(), as_of, None, &args);
        println!("{engine}, December to February snapshots as of {as_of}: {rows} rows, all {cells} cells match the local run");
    }
}

/// Directly standardised rates (`examples/public-health`): deaths counted band by band, the
/// population's bands, Dobson's limits; and funnels of rates by area.
fn the_public_health_book_on(engine: &str) {
    if !available(engine) {
        return;
    }
    let generated = tempfile::tempdir().unwrap();
    public_health::generate(generated.path(), 2_000, 8);
    for as_of in ["2013-03-31", "2013-11-30"] {
        let (rows, cells) = compare(engine, "examples/public-health", generated.path(), as_of, None);
        println!("{engine}, standardised rates as of {as_of}: {rows} rows, all {cells} cells match the local run");
    }
    // Funnels of crude and standardised rates by area (PHE's published test areas).
    let areas = tempfile::tempdir().unwrap();
    funnel_rates::generate(areas.path(), 5);
    let (rows, cells) = compare(engine, "tests/fixtures/funnel-rates", areas.path(), "2021-03-31", None);
    println!("{engine}, funnels of rates: {rows} rows, all {cells} cells match the local run");
}

/// Measures with versions (`tests/fixtures/versions`): each period by the version in force at
/// its end (its `definition_version`), RAG rules by version, the direction not judged across a
/// change; also `--backcast`, every period by the latest version.
fn the_versions_book_on(engine: &str) {
    if !available(engine) {
        return;
    }
    let rules = "tests/fixtures/versions/book.ind";
    let synth = tempfile::tempdir().unwrap();
    scorebook().args(["synth", "--children", "6000", "--seed", "7", "--out"]).arg(synth.path()).assert().success();
    for (data, as_of) in
        [(Path::new("tests/fixtures/edge"), "2013-09-30"), (synth.path(), "2013-09-30"), (synth.path(), "2014-03-31")]
    {
        for args in [&[][..], &["--backcast"][..]] {
            let (rows, cells) = compare_with(engine, rules, data, as_of, None, args);
            println!("{engine}, versions {args:?} as of {as_of}: {rows} rows, all {cells} cells match the local run");
        }
    }
}

#[test]
fn the_versions_book_on_each_warehouse_matches_the_local_run() {
    for engine in ["duckdb", "sqlite", "postgres"] {
        the_versions_book_on(engine);
    }
}

#[test]
fn the_housing_cohort_and_snapshot_books_on_duckdb_match_the_local_run() {
    the_public_health_book_on("duckdb");
    the_housing_book_on("duckdb");
    the_cohort_book_on("duckdb");
    the_snapshot_book_on("duckdb");
}

#[test]
fn the_housing_cohort_and_snapshot_books_on_sqlite_match_the_local_run() {
    the_public_health_book_on("sqlite");
    the_housing_book_on("sqlite");
    the_cohort_book_on("sqlite");
    the_snapshot_book_on("sqlite");
}

#[test]
fn the_housing_cohort_and_snapshot_books_on_postgres_match_the_local_run() {
    the_public_health_book_on("postgres");
    the_housing_book_on("postgres");
    the_cohort_book_on("postgres");
    the_snapshot_book_on("postgres");
}

#[test]
fn the_third_book_on_duckdb_matches_the_local_run() {
    the_third_book_on("duckdb");
}

#[test]
fn the_third_book_on_sqlite_matches_the_local_run() {
    the_third_book_on("sqlite");
}

#[test]
fn the_third_book_on_postgres_matches_the_local_run() {
    the_third_book_on("postgres");
}

#[test]
fn third_book_scripts_for_other_warehouses_take_seconds_and_previous_rows_their_own_way() {
    for (dialect, seconds) in [
        ("mysql", "TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', `row`.`first_arrival`)"),
        ("bigquery", "UNIX_SECONDS(TIMESTAMP(`row`.`first_arrival`))"),
        ("snowflake", "DATE_PART(epoch_second, \"row\".\"first_arrival\")"),
        ("sqlite", "CAST(strftime('%s', `row`.`first_arrival`) AS INTEGER)"),
        ("postgres", "date_part('epoch', \"row\".\"first_arrival\")"),
    ] {
        let script = |book: &str| {
            let out = scorebook()
                .args(["compile", book, "--emit", "script", "--dialect", dialect, "--as-of", "2024-03-31"])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone();
            String::from_utf8(out).unwrap()
        };
        let ambulance = script("examples/ambulance");
        assert!(ambulance.contains(seconds), "{dialect}: seconds from 1970 as {seconds}");
        assert!(!ambulance.contains("date_part('epoch'") || dialect == "postgres", "{dialect}");
        assert!(
            ambulance.contains("ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
            "{dialect}: percentiles by numbering the values"
        );
        let send = script("examples/send");
        assert!(send.to_lowercase().contains("lag("), "{dialect}: the previous request by LAG");
        assert!(send.to_lowercase().contains("first_value("), "{dialect}");
    }
}

#[test]
fn the_ssda903_book_on_duckdb_matches_the_local_run() {
    the_ssda903_book_on("duckdb");
}

#[test]
fn the_ssda903_book_on_sqlite_matches_the_local_run() {
    the_ssda903_book_on("sqlite");
}

#[test]
fn the_ssda903_book_on_postgres_matches_the_local_run() {
    the_ssda903_book_on("postgres");
}

#[test]
fn ssda903_scripts_for_other_warehouses_count_days_with_their_own_functions() {
    for (dialect, days) in [
        ("mysql", "DATEDIFF(CAST(`row`.`MIS_END` AS DATE), CAST(`row`.`MIS_START` AS DATE))"),
        ("bigquery", "DATE_DIFF(CAST(`row`.`MIS_END` AS DATE), CAST(`row`.`MIS_START` AS DATE), DAY)"),
        ("snowflake", "DATEDIFF(day, CAST(\"row\".\"MIS_START\" AS DATE), CAST(\"row\".\"MIS_END\" AS DATE))"),
    ] {
        let out = scorebook()
            .args(["compile", "examples/ssda903", "--emit", "script", "--dialect", dialect, "--as-of", "2013-09-30"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let script = String::from_utf8(out).unwrap();
        assert!(script.contains(days), "{dialect}: days between two dates as {days}");
        assert!(!script.contains("FILTER (WHERE"), "{dialect}");
        assert!(
            script.contains("ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
            "{dialect}: medians by numbering the values"
        );
    }
}

#[test]
fn the_shipped_book_on_duckdb_matches_the_local_run() {
    the_shipped_book_on("duckdb");
}

#[test]
fn the_shipped_book_on_sqlite_matches_the_local_run() {
    the_shipped_book_on("sqlite");
}

#[test]
fn the_shipped_book_on_postgres_matches_the_local_run() {
    the_shipped_book_on("postgres");
}

#[test]
fn postgres_reads_the_tables_from_the_named_schema_and_hostile_literals_stay_literals() {
    if !available("postgres") {
        return;
    }
    let (rows, _) = compare("postgres", "rules", Path::new("tests/fixtures/edge"), "2013-09-30", Some("warehouse"));
    assert!(rows > 300);
    // Text literals built to end the SQL string early count the three rows they name.
    let (rows, cells) = compare(
        "postgres",
        "tests/fixtures/hostile/hostile.ind",
        Path::new("tests/fixtures/hostile"),
        "2013-09-30",
        None,
    );
    println!("postgres, hostile literals: {rows} rows, {cells} cells match the local run");
}

#[test]
fn scripts_for_other_warehouses_have_no_filter_clause_and_name_their_schema() {
    for (dialect, interval) in
        [("mysql", "INTERVAL 15 MONTH"), ("bigquery", "INTERVAL '15' MONTH"), ("snowflake", "INTERVAL '15 MONTH'")]
    {
        let out = scorebook()
            .args([
                "compile",
                "rules",
                "--emit",
                "script",
                "--dialect",
                dialect,
                "--as-of",
                "2013-09-30",
                "--schema",
                "social_care",
            ])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let script = String::from_utf8(out).unwrap();
        assert!(!script.contains("FILTER (WHERE"), "{dialect}: FILTER is not SQL this engine reads");
        assert!(script.contains("count(CASE WHEN"), "{dialect}");
        assert!(script.contains(interval), "{dialect}: months as {interval}");
        assert!(script.contains("social_care"), "{dialect}: tables are read from the schema");
        assert!(script.contains("-- scorebook: result\nWITH scorebook_totals AS ("), "{dialect}");
    }
}

#[test]
fn run_with_a_postgres_engine_writes_the_same_book() {
    if !available("postgres") {
        return;
    }
    let url = std::env::var("SCOREBOOK_POSTGRES").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let types = common::types_json("rules", dir.path());
    let schema = format!("run_engine_{}", std::process::id());
    let harness = |args: &[&std::ffi::OsStr]| {
        let out = std::process::Command::new("python3").arg(HARNESS).args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    let data = Path::new("tests/fixtures/edge");
    harness(&["load".as_ref(), data.as_os_str(), types.as_os_str(), url.as_ref(), schema.as_ref()]);
    let remote = scorebook()
        .args(["run", "rules", "--as-of", "2013-09-30", "--format", "csv", "--engine", &url, "--schema", &schema])
        .output()
        .unwrap();
    harness(&["drop".as_ref(), url.as_ref(), schema.as_ref()]);
    assert!(remote.status.success(), "{}", String::from_utf8_lossy(&remote.stderr));
    let local = local_csv("rules", data, "2013-09-30", &[]);
    // The same text, every number formatted as a local run formats it; only the confidence
    // limits (square roots and powers, computed by the server) may differ in the last digits.
    let records = |bytes: &[u8]| -> Vec<csv::StringRecord> {
        csv::Reader::from_reader(bytes).records().map(Result::unwrap).collect()
    };
    let (remote, local) = (records(&remote.stdout), records(&local));
    assert_eq!(remote.len(), local.len());
    let header = scorebook::results::COLUMNS;
    for (r, l) in remote.iter().zip(&local) {
        assert_eq!(r.len(), l.len());
        for ((a, b), name) in r.iter().zip(l.iter()).zip(header) {
            let limit = *name == "ci_low" || *name == "ci_high";
            assert!(a == b || (limit && same(a, b)), "{name}: postgres {a:?}, local {b:?}\n{r:?}\n{l:?}");
        }
    }

    let refused = scorebook()
        .args(["run", "rules", "--as-of", "2013-09-30", "--engine", "postgres://nobody:secret@127.0.0.1:1/none"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let message = String::from_utf8(refused).unwrap();
    assert!(message.contains("cannot connect to postgres://nobody@127.0.0.1:1/none"), "{message}");
    assert!(!message.contains("secret"), "{message}");
}

#[test]
fn a_script_needs_a_warehouse_dialect() {
    let out = scorebook().args(["compile", "rules", "--emit", "script", "--as-of", "2013-09-30"]).assert().code(2);
    let message = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(message.contains("choose --dialect postgres, duckdb, sqlite, mysql, bigquery or snowflake"), "{message}");
}

/// The SQL for warehouses not run here, kept as snapshots for review: each dialect's calendar
/// statement, and the cells of a percentage with a look-back (`exists`, `add_months`) and of
/// one with working days.
#[test]
fn dialect_snapshots() {
    let book = "tests/fixtures/dialects/book.ind";
    for dialect in ["mysql", "bigquery", "snowflake", "postgres", "sqlite", "duckdb"] {
        let script = scorebook()
            .args(["compile", book, "--emit", "script", "--dialect", dialect, "--as-of", "2013-04-30"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let script = String::from_utf8(script).unwrap();
        let prelude = script.split("-- scorebook: result").next().unwrap();
        insta::assert_snapshot!(format!("calendar_{dialect}"), prelude);
        let cells = scorebook()
            .args(["compile", book, "--emit", "sql", "--dialect", dialect, "--as-of", "2013-04-30"])
            .args(["--measure", "D1", "--measure", "D2"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        insta::assert_snapshot!(format!("cells_{dialect}"), String::from_utf8(cells).unwrap());
    }
}
