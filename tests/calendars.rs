//! Reporting years other than the financial year (`[calendar] year`, `run --calendar`): the
//! council book's period rows in each calendar are computed here independently from the
//! calendar's definition, and its counts, cumulative windows, population years and targets
//! from the data files directly.

use assert_cmd::Command;
use chrono::{Datelike, Months, NaiveDate};
use std::collections::HashMap;
use std::path::Path;

fn scorebook() -> Command {
    Command::cargo_bin("scorebook").unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// One period as the result table gives it: kind, label, first day, last day.
type Period = (String, String, NaiveDate, NaiveDate);

/// The periods of a book as of `as_of` in a year starting on the first of `first_month`, from
/// the calendar's definition: the last complete year; each month of the as-of date's year
/// starting on or before it; its quarters likewise; the year to date. The last month and
/// quarter end at the as-of date.
fn expected_periods(as_of: NaiveDate, first_month: u32, name: &dyn Fn(i32) -> String) -> Vec<Period> {
    let start_year = if as_of.month() >= first_month { as_of.year() } else { as_of.year() - 1 };
    let start = NaiveDate::from_ymd_opt(start_year, first_month, 1).unwrap();
    let plus = |day: NaiveDate, months: u32| day.checked_add_months(Months::new(months)).unwrap();
    let before = |day: NaiveDate| day.pred_opt().unwrap();
    let mut out = vec![("year".to_string(), name(start_year - 1), plus(start, 0) - Months::new(12), before(start))];
    let mut month = start;
    while month <= as_of {
        let label = format!("{}-{:02}", month.year(), month.month());
        out.push(("month".into(), label, month, before(plus(month, 1)).min(as_of)));
        month = plus(month, 1);
    }
    for q in 0..4 {
        let first = plus(start, 3 * q);
        if first <= as_of {
            out.push((
                "quarter".into(),
                format!("{} Q{}", name(start_year), q + 1),
                first,
                before(plus(first, 3)).min(as_of),
            ));
        }
    }
    out.push(("ytd".into(), format!("{} YTD", name(start_year)), start, as_of));
    out
}

fn calendar_label(y: i32) -> String {
    y.to_string()
}

fn academic_label(y: i32) -> String {
    format!("{y}/{:02}", (y + 1) % 100)
}

fn financial_label(y: i32) -> String {
    format!("{y}-{:02}", (y + 1) % 100)
}

/// A calendar's name, an as-of date, the year's first month and how its years are labelled.
type Case = (&'static str, &'static str, u32, fn(i32) -> String);

/// Rows of a CSV file as maps from column to text.
fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| headers.iter().map(String::from).zip(r.unwrap().iter().map(String::from)).collect())
        .collect()
}

fn generated() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    scorebook().args(["synth", "--children", "5000", "--seed", "11", "--out"]).arg(dir.path()).assert().success();
    dir
}

/// The result table of the council book as of `as_of` with `args`.
fn book(data: &Path, as_of: &str, args: &[&str]) -> Vec<HashMap<String, String>> {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("book.csv");
    scorebook()
        .args(["run", "rules", "--as-of", as_of, "--format", "csv", "--out"])
        .arg(&file)
        .args(args)
        .arg("--data")
        .arg(data)
        .assert()
        .success();
    read_csv(&file)
}

/// The periods the result table holds, in its order, from the rows of one measure.
fn periods_of(rows: &[HashMap<String, String>], reference: &str) -> Vec<Period> {
    rows.iter()
        .filter(|r| r["ref"] == reference && r["breakdown"].is_empty())
        .map(|r| (r["period_kind"].clone(), r["period_label"].clone(), d(&r["period_start"]), d(&r["period_end"])))
        .collect()
}

fn figure(rows: &[HashMap<String, String>], reference: &str, label: &str, column: &str) -> Option<f64> {
    let row = rows
        .iter()
        .find(|r| r["ref"] == reference && r["period_label"] == label && r["breakdown"].is_empty())
        .unwrap_or_else(|| panic!("no row for {reference} {label}"));
    row[column].parse().ok()
}

/// Rows of `file` whose `column` holds a date in [start, end] and that `keep`.
fn count_dated(
    rows: &[HashMap<String, String>],
    column: &str,
    start: NaiveDate,
    end: NaiveDate,
    keep: impl Fn(&HashMap<String, String>) -> bool,
) -> f64 {
    rows.iter().filter(|r| r[column].parse::<NaiveDate>().is_ok_and(|x| start <= x && x <= end) && keep(r)).count()
        as f64
}

/// Working days `a < d <= b`, weekdays less the England and Wales bank holidays.
fn working_days(a: NaiveDate, b: NaiveDate, holidays: &[NaiveDate]) -> i64 {
    let mut n = 0;
    let mut day = a.succ_opt().unwrap();
    while day <= b {
        if day.weekday().number_from_monday() <= 5 && !holidays.contains(&day) {
            n += 1;
        }
        day = day.succ_opt().unwrap();
    }
    n
}

#[test]
fn calendar_and_academic_books_have_their_calendars_periods_and_direct_counts() {
    let data = generated();
    let contacts = read_csv(&data.path().join("contacts.csv"));
    let icpcs = read_csv(&data.path().join("s47_enquiries.csv"));
    let cafs = read_csv(&data.path().join("early_help.csv"));
    let assessments = read_csv(&data.path().join("assessments.csv"));
    let population = read_csv(&data.path().join("population.csv"));
    let holidays: Vec<NaiveDate> = std::fs::read_to_string("../shared/data/bank-holidays-england-and-wales.csv")
        .or_else(|_| std::fs::read_to_string("src/calendar/bank-holidays-england-and-wales.csv"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split(',').next().and_then(|c| c.trim().parse().ok()))
        .collect();
    assert!(holidays.len() > 50);

    let cases: [Case; 5] = [
        ("calendar", "2013-08-14", 1, calendar_label),
        ("calendar", "2014-01-01", 1, calendar_label),
        ("academic", "2014-01-15", 9, academic_label),
        ("academic", "2013-08-31", 9, academic_label),
        ("financial", "2013-09-30", 4, financial_label),
    ];
    for (calendar, as_of, first_month, name) in cases {
        let rows = book(data.path(), as_of, &["--calendar", calendar]);
        let want = expected_periods(d(as_of), first_month, &name);
        assert_eq!(periods_of(&rows, "3.4"), want, "{calendar} as of {as_of}: the periods");
        // Every measure has the same periods (rate, snapshot, cumulative and derived alike).
        for reference in ["1.1b", "2.1b", "2.9", "4.2", "4.5"] {
            assert_eq!(periods_of(&rows, reference), want, "{calendar} as of {as_of}: {reference}");
        }
        let mut checked = 0;
        for (kind, label, start, end) in &want {
            let at = |col: &str| format!("{calendar} {as_of} {label} {col}");
            let contacts_in = count_dated(&contacts, "contact_date", *start, *end, |_| true);
            assert_eq!(figure(&rows, "3.4", label, "value"), Some(contacts_in), "{}", at("3.4"));
            let icpcs_in = count_dated(&icpcs, "icpc_date", *start, *end, |_| true);
            assert_eq!(figure(&rows, "1.3", label, "value"), Some(icpcs_in), "{}", at("1.3"));
            let cafs_in = count_dated(&cafs, "start_date", *start, *end, |_| true);
            assert_eq!(figure(&rows, "4.2", label, "value"), Some(cafs_in), "{}", at("4.2"));

            // 2.1b: cumulative from the start of the reporting year holding the period's end.
            let year_start = {
                let y = if end.month() >= first_month { end.year() } else { end.year() - 1 };
                NaiveDate::from_ymd_opt(y, first_month, 1).unwrap()
            };
            let initial = |r: &HashMap<String, String>| r["assessment_type"] == "initial";
            let denominator = count_dated(&assessments, "completed_date", year_start, *end, initial);
            let numerator = count_dated(&assessments, "completed_date", year_start, *end, |r| {
                initial(r)
                    && match (r["start_date"].parse(), r["completed_date"].parse()) {
                        (Ok(a), Ok(b)) => working_days(a, b, &holidays) <= 10,
                        _ => false,
                    }
            });
            assert_eq!(figure(&rows, "2.1b", label, "denominator"), Some(denominator), "{}", at("2.1b"));
            assert_eq!(figure(&rows, "2.1b", label, "numerator"), Some(numerator), "{}", at("2.1b"));

            // 1.1b: the 0-17 estimate for the year in which the reporting year holding the
            // period's end starts (the latest earlier year with one, failing that).
            let mid_year = year_start.year();
            let pop = population
                .iter()
                .filter(|r| r["age_group"] == "0-17")
                .filter_map(|r| Some((r["year"].parse::<i32>().ok()?, r["population"].parse::<f64>().ok()?)))
                .filter(|(y, p)| *y <= mid_year && *p > 0.0)
                .max_by_key(|(y, _)| *y)
                .map(|(_, p)| p);
            assert_eq!(figure(&rows, "1.1b", label, "denominator"), pop, "{}", at("1.1b"));

            // 4.2's 700 a year, pro-rated by the months the period covers.
            let months = months_covered(*start, *end);
            let target = figure(&rows, "4.2", label, "target").unwrap();
            assert!((target - 700.0 * months / 12.0).abs() < 1e-9, "{}: {target}", at("4.2 target"));
            if kind == "ytd" {
                assert_eq!(*start, year_start);
            }
            checked += 1;
        }
        println!("{calendar} as of {as_of}: {checked} periods, counts, windows, populations and targets match");
    }
}

/// Calendar months in [start, end], a month cut short counting the fraction of its days.
fn months_covered(start: NaiveDate, end: NaiveDate) -> f64 {
    let mut months = 0.0;
    let mut day = start;
    while day <= end {
        let first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap();
        let next = first.checked_add_months(Months::new(1)).unwrap();
        let in_month = (next - first).num_days() as f64;
        let last = next.pred_opt().unwrap().min(end);
        months += ((last - day).num_days() + 1) as f64 / in_month;
        day = next;
    }
    months
}

#[test]
fn direction_of_travel_compares_each_period_with_its_calendars_previous() {
    let data = generated();
    let contacts = read_csv(&data.path().join("contacts.csv"));
    let rows = book(data.path(), "2013-08-14", &["--calendar", "calendar"]);
    let count = |a: &str, b: &str| count_dated(&contacts, "contact_date", d(a), d(b), |_| true);
    // January's previous month is December; the year to date's, January to 14 August 2012;
    // the year's, 2011.
    for (label, now, before) in [
        ("2013-01", count("2013-01-01", "2013-01-31"), count("2012-12-01", "2012-12-31")),
        ("2013 YTD", count("2013-01-01", "2013-08-14"), count("2012-01-01", "2012-08-14")),
        ("2012", count("2012-01-01", "2012-12-31"), count("2011-01-01", "2011-12-31")),
        ("2013 Q1", count("2013-01-01", "2013-03-31"), count("2012-10-01", "2012-12-31")),
    ] {
        let row = rows.iter().find(|r| r["ref"] == "3.4" && r["period_label"] == label && r["breakdown"].is_empty());
        let direction = &row.unwrap()["direction"];
        let want = match now.partial_cmp(&before).unwrap() {
            std::cmp::Ordering::Greater => "up",
            std::cmp::Ordering::Less => "down",
            std::cmp::Ordering::Equal => "same",
        };
        assert_eq!(direction, want, "{label}: {now} against {before}");
    }
}

#[test]
fn scorebook_toml_sets_the_reporting_year_and_run_calendar_overrides_it() {
    let data = generated();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("scorebook.toml");
    std::fs::write(&config, "[calendar]\nyear = \"academic\"\n").unwrap();
    let with = |args: &[&str]| {
        let out = dir.path().join("book.csv");
        scorebook()
            .args(["run", "rules", "--as-of", "2013-10-31", "--format", "csv", "--measure", "3.4", "--config"])
            .arg(&config)
            .args(args)
            .arg("--data")
            .arg(data.path())
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        read_csv(&out).into_iter().map(|r| r["period_label"].clone()).collect::<Vec<_>>()
    };
    assert_eq!(with(&[]), ["2012/13", "2013-09", "2013-10", "2013/14 Q1", "2013/14 YTD"]);
    assert_eq!(with(&["--calendar", "financial"])[0], "2012-13");

    std::fs::write(&config, "[calendar]\nyear = \"fiscal\"\n").unwrap();
    let err = scorebook()
        .args(["run", "rules", "--as-of", "2013-10-31", "--config"])
        .arg(&config)
        .arg("--data")
        .arg(data.path())
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("scorebook.toml") && err.contains("[calendar] year") && err.contains("\"academic\""), "{err}");
    let err = scorebook().args(["run", "rules", "--calendar", "school"]).assert().failure().get_output().stderr.clone();
    assert!(String::from_utf8(err).unwrap().contains("\"calendar\" (January to December)"));
}

#[test]
fn years_and_scripts_follow_the_calendar() {
    let data = generated();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("years.csv");
    scorebook()
        .args([
            "run",
            "rules",
            "--years",
            "2012..2013",
            "--calendar",
            "calendar",
            "--measure",
            "3.4",
            "--format",
            "csv",
        ])
        .arg("--data")
        .arg(data.path())
        .arg("--out")
        .arg(&file)
        .assert()
        .success();
    let contacts = read_csv(&data.path().join("contacts.csv"));
    let rows = read_csv(&file);
    let labels: Vec<&str> = rows.iter().map(|r| r["period_label"].as_str()).collect();
    assert_eq!(labels, ["2012", "2013"]);
    for r in &rows {
        let y: i32 = r["period_label"].parse().unwrap();
        let (a, b) = (NaiveDate::from_ymd_opt(y, 1, 1).unwrap(), NaiveDate::from_ymd_opt(y, 12, 31).unwrap());
        assert_eq!(r["value"].parse::<f64>().unwrap(), count_dated(&contacts, "contact_date", a, b, |_| true));
    }
    let script = scorebook()
        .args(["compile", "rules", "--emit", "script", "--dialect", "duckdb", "--as-of", "2014-01-15"])
        .args(["--calendar", "academic"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let script = String::from_utf8(script).unwrap();
    assert!(script.contains("'2013/14 Q2'") && script.contains("'2012/13'"), "the script's periods are academic");
    assert!(!script.contains("'2013-14 Q2'"));
}

#[test]
fn test_blocks_name_periods_of_any_calendar_and_run_in_the_projects() {
    let dir = tempfile::tempdir().unwrap();
    let rules = r#"
source events {
  event_id    text key
  event_date  date
}

measure events_counted {
  ref      "E1"
  count events
  in period by event_date
  polarity none
}

measure since_year_start {
  ref      "E2"
  count events
  in period by event_date
  cumulative from year start
  polarity none
}

test "calendar-year periods" {
  given events {
    event_id | event_date
    e1       | 2012-12-31
    e2       | 2013-01-01
    e3       | 2013-03-31
    e4       | 2013-04-01
  }
  as of 2013-04-30
  expect events_counted for year 2012 value = 1
  expect events_counted for quarter 2013 Q1 value = 2
  expect events_counted for quarter 2013 Q2 value = 1
  expect events_counted for month 2013-01 value = 1
  expect events_counted for ytd value = 3
  expect since_year_start for month 2013-04 value = 3
}
"#;
    std::fs::write(dir.path().join("rules.ind"), rules).unwrap();
    let config = dir.path().join("scorebook.toml");
    std::fs::write(&config, "[calendar]\nyear = \"calendar\"\n").unwrap();
    scorebook().arg("check").arg(dir.path().join("rules.ind")).assert().success();
    let passed = scorebook().arg("test").arg(dir.path()).arg("--config").arg(&config).assert().success();
    let text = String::from_utf8(passed.get_output().stdout.clone()).unwrap();
    assert!(text.contains("1 passed") || text.contains("passed"), "{text}");

    // Run in the financial year instead, the calendar year's rows are not there.
    std::fs::write(&config, "").unwrap();
    let failed = scorebook().arg("test").arg(dir.path()).arg("--config").arg(&config).assert().failure();
    let text = String::from_utf8(failed.get_output().stdout.clone()).unwrap()
        + &String::from_utf8(failed.get_output().stderr.clone()).unwrap();
    assert!(text.contains("2013 Q1"), "{text}");

    // A year of the as-of date's reporting year is not over yet, in its own calendar.
    let early = rules.replace("for year 2012 value = 1", "for year 2013 value = 1");
    std::fs::write(dir.path().join("rules.ind"), early).unwrap();
    let refused = scorebook().arg("check").arg(dir.path().join("rules.ind")).assert().failure();
    let text = String::from_utf8(refused.get_output().stderr.clone()).unwrap()
        + &String::from_utf8(refused.get_output().stdout.clone()).unwrap();
    assert!(text.contains("2013 is not over by 2013-04-30") && text.contains("2013 YTD"), "{text}");
}

#[test]
fn a_measure_reported_by_another_year_has_that_years_periods_in_the_book() {
    let data = generated();
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir("rules").unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let extra = r#"
measure contacts_by_school_year {
  ref      "X.1"
  title    "Contacts in the school year"
  count contacts
  in period by contact_date
  reported by academic year
  polarity none
}

measure contacts_by_school_year_again {
  ref      "X.2"
  calculate contacts_by_school_year
  reported by academic year
  polarity none
}

test "the academic year's periods, beside the book's financial ones" {
  given contacts {
    contact_id | child_id | contact_date | contact_source | contact_method | outcome
    k1         | c1       | 2013-08-31   | police         | form           | nfa
    k2         | c2       | 2013-09-01   | police         | form           | nfa
    k3         | c3       | 2013-10-15   | police         | form           | nfa
  }
  as of 2013-10-31
  expect contacts_by_school_year for year 2012/13 = 1
  expect contacts_by_school_year for quarter 2013/14 Q1 = 2
  expect contacts_by_school_year_again for ytd = 2
  expect consultations for quarter 2013-14 Q2 = 2
  expect consultations for ytd = 3
}
"#;
    std::fs::write(dir.path().join("5-extra.ind"), extra).unwrap();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("book.csv");
    scorebook()
        .args(["run"])
        .arg(dir.path())
        .args(["--as-of", "2013-10-31", "--format", "csv", "--out"])
        .arg(&file)
        .arg("--data")
        .arg(data.path())
        .assert()
        .success();
    let rows = read_csv(&file);
    assert_eq!(periods_of(&rows, "3.4"), expected_periods(d("2013-10-31"), 4, &financial_label));
    let academic = expected_periods(d("2013-10-31"), 9, &academic_label);
    assert_eq!(periods_of(&rows, "X.1"), academic);
    assert_eq!(periods_of(&rows, "X.2"), academic);
    let contacts = read_csv(&data.path().join("contacts.csv"));
    for (_, label, start, end) in &academic {
        let n = count_dated(&contacts, "contact_date", *start, *end, |_| true);
        assert_eq!(figure(&rows, "X.1", label, "value"), Some(n), "X.1 {label}");
        assert_eq!(figure(&rows, "X.2", label, "value"), Some(n), "X.2 {label}");
    }
    // The book's measures keep their order, the other year's after them as declared.
    let order: Vec<&str> = rows.iter().map(|r| r["ref"].as_str()).fold(Vec::new(), |mut v, r| {
        if v.last() != Some(&r) {
            v.push(r);
        }
        v
    });
    assert_eq!(&order[order.len() - 2..], ["X.1", "X.2"]);
    assert_eq!(order.iter().filter(|r| **r == "X.1").count(), 1, "{order:?}");

    scorebook().arg("test").arg(dir.path()).assert().success();

    // A warehouse script is one year's: the mixed book is refused with what to do.
    let refused = scorebook()
        .arg("compile")
        .arg(dir.path())
        .args(["--emit", "script", "--dialect", "duckdb", "--as-of", "2013-10-31"])
        .assert()
        .failure();
    let err = String::from_utf8(refused.get_output().stderr.clone()).unwrap();
    assert!(err.contains("reported by different years") && err.contains("academic year: X.1, X.2"), "{err}");
    scorebook()
        .arg("compile")
        .arg(dir.path())
        .args(["--emit", "script", "--dialect", "duckdb", "--as-of", "2013-10-31", "--measure", "X.2"])
        .assert()
        .success();

    // A measure over another reports in its year.
    let mixed = extra.replace(
        "  calculate contacts_by_school_year\n  reported by academic year\n",
        "  calculate contacts_by_school_year\n",
    );
    std::fs::write(dir.path().join("5-extra.ind"), mixed).unwrap();
    let refused = scorebook().arg("check").arg(dir.path()).assert().failure();
    let output = refused.get_output();
    let err = String::from_utf8([output.stdout.clone(), output.stderr.clone()].concat()).unwrap();
    assert!(err.contains("is reported in the book's year") && err.contains("reported by academic year"), "{err}");
}

/// Month-end (and some mid-month) snapshots of young people's activity, September 2012 to
/// August 2014, written to `tracking.csv`; the rows as (snapshot date, NEET or not).
fn write_tracking(dir: &Path) -> Vec<(NaiveDate, bool)> {
    let mut rows = Vec::new();
    let mut text = String::from("record_id,person_id,snapshot_date,activity\n");
    let mut day = d("2012-09-30");
    let mut n = 0;
    for k in 0..24u32 {
        let month_end = day;
        for snapshot in [month_end - chrono::Duration::days(15), month_end] {
            // Every third month has a mid-month snapshot too, which the month's latest replaces.
            if snapshot != month_end && k % 3 != 0 {
                continue;
            }
            for p in 0..(20 + (k * 7 + snapshot.day()) % 13) {
                n += 1;
                let neet = (p * 5 + k + snapshot.day()) % 7 == 0;
                text.push_str(&format!("r{n},p{p},{snapshot},{}\n", if neet { "neet" } else { "education" }));
                rows.push((snapshot, neet));
            }
        }
        day = (day + chrono::Duration::days(1)).checked_add_months(Months::new(1)).unwrap().pred_opt().unwrap();
    }
    std::fs::write(dir.join("tracking.csv"), text).unwrap();
    rows
}

#[test]
fn the_mean_of_named_month_end_snapshots_matches_a_direct_reckoning() {
    let data = tempfile::tempdir().unwrap();
    let rows = write_tracking(data.path());
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("book.csv");
    scorebook()
        .args(["run", "tests/fixtures/neet/rules.ind", "--as-of", "2014-08-31", "--calendar", "academic"])
        .args(["--format", "csv", "--out"])
        .arg(&file)
        .arg("--data")
        .arg(data.path())
        .assert()
        .success();
    let book = read_csv(&file);
    let mut checked = 0;
    for r in &book {
        let (start, end) = (d(&r["period_start"]), d(&r["period_end"]));
        // The latest snapshot of each of December, January and February inside the window.
        let mut snapshots: Vec<NaiveDate> = Vec::new();
        for month in [12, 1, 2] {
            let latest = rows.iter().map(|(s, _)| *s).filter(|s| s.month() == month && start <= *s && *s <= end).max();
            snapshots.extend(latest);
        }
        snapshots.sort();
        snapshots.dedup();
        let count = |neet: bool| rows.iter().filter(|(s, n)| snapshots.contains(s) && (*n || !neet)).count() as f64;
        let k = snapshots.len() as f64;
        let (neet, all) = (count(true) / k, count(false) / k);
        let number = |c: &str| r[c].parse::<f64>().ok();
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-9);
        if snapshots.is_empty() {
            assert_eq!(number("value"), None, "{} {}", r["ref"], r["period_label"]);
        } else if r["ref"] == "N2" {
            assert!(close(number("value"), neet), "N2 {}: {:?} against {neet}", r["period_label"], number("value"));
        } else {
            assert!(close(number("numerator"), neet), "N1 {} numerator", r["period_label"]);
            assert!(close(number("denominator"), all), "N1 {} denominator", r["period_label"]);
            assert!(close(number("value"), 100.0 * neet / all), "N1 {} value", r["period_label"]);
        }
        checked += 1;
    }
    assert!(checked > 30);
    let year = book.iter().find(|r| r["ref"] == "N2" && r["period_label"] == "2013/14 YTD").unwrap();
    assert!(year["value"].parse::<f64>().unwrap() > 0.0);
}
