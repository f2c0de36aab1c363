//! The whole book over generated data, checked against an independent calculation of every
//! measure written directly from the council book's definitions (the data contract in docs/books.md,
//! the reporting periods, and each measure as its title and comments in `rules/` state it), in
//! plain Rust, with no part of the compiler or engine.

use chrono::{Datelike, Months, NaiveDate, Weekday};
use scorebook::engine::{self, RunOptions};
use scorebook::project;
use scorebook::results::ResultRow;
use scorebook::synth::{self, OutputFormat, SynthOptions};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

type Rows = Vec<HashMap<String, String>>;

fn tables(dir: &std::path::Path) -> HashMap<String, Rows> {
    let mut out = HashMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        let rows = reader
            .records()
            .map(|r| headers.iter().cloned().zip(r.unwrap().iter().map(String::from)).collect())
            .collect();
        out.insert(name, rows);
    }
    out
}

fn date(row: &HashMap<String, String>, col: &str) -> Option<NaiveDate> {
    row.get(col).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap())
}

fn text<'a>(row: &'a HashMap<String, String>, col: &str) -> Option<&'a str> {
    row.get(col).map(String::as_str).filter(|s| !s.is_empty())
}

struct Calc {
    t: HashMap<String, Rows>,
    holidays: HashSet<NaiveDate>,
}

impl Calc {
    fn rows(&self, name: &str) -> &Rows {
        &self.t[name]
    }

    fn working_days(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        let (lo, hi, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
        let mut n = 0;
        let mut d = lo;
        while d < hi {
            d = d.succ_opt().unwrap();
            if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&d) {
                n += 1;
            }
        }
        sign * n
    }

    fn open_at(row: &HashMap<String, String>, e: NaiveDate) -> bool {
        date(row, "start_date").is_some_and(|s| s <= e) && date(row, "end_date").is_none_or(|x| x > e)
    }

    fn population(&self, e: NaiveDate) -> Option<f64> {
        let p = if e.month() >= 4 { e.year() } else { e.year() - 1 };
        let mut by_year: HashMap<i32, f64> = HashMap::new();
        for r in self.rows("population").iter().filter(|r| text(r, "age_group") == Some("0-17")) {
            *by_year.entry(r["year"].parse().unwrap()).or_default() += r["population"].parse::<f64>().unwrap();
        }
        by_year.into_iter().filter(|(y, v)| *y <= p && *v > 0.0).max_by_key(|(y, _)| *y).map(|(_, v)| v)
    }

    fn latest_snapshot(&self, s: NaiveDate, e: NaiveDate) -> Option<NaiveDate> {
        self.rows("workforce").iter().filter_map(|r| date(r, "snapshot_date")).filter(|d| *d >= s && *d <= e).max()
    }
}

/// (numerator, denominator, value) as the book's definition of each measure gives it.
type Cell = (Option<f64>, Option<f64>, Option<f64>);

fn count(n: usize) -> Cell {
    (None, None, Some(n as f64))
}

fn share(num: usize, den: usize) -> Cell {
    (Some(num as f64), Some(den as f64), (den > 0).then(|| 100.0 * num as f64 / den as f64))
}

fn rate(num: usize, pop: Option<f64>) -> Cell {
    (Some(num as f64), pop, pop.filter(|p| *p > 0.0).map(|p| 10000.0 * num as f64 / p))
}

fn expected(c: &Calc, reference: &str, s: NaiveDate, e: NaiveDate) -> Cell {
    let fy_start = NaiveDate::from_ymd_opt(if e.month() >= 4 { e.year() } else { e.year() - 1 }, 4, 1).unwrap();
    let july = NaiveDate::from_ymd_opt(2013, 7, 1).unwrap();
    let within = |d: Option<NaiveDate>, a: NaiveDate, b: NaiveDate| d.is_some_and(|d| d >= a && d <= b);
    let distinct =
        |rows: Vec<&HashMap<String, String>>| rows.iter().map(|r| r["child_id"].clone()).collect::<BTreeSet<_>>().len();
    let not_short_break = |r: &HashMap<String, String>| !matches!(text(r, "legal_status"), Some("V3" | "V4"));
    let assessments =
        |kind: &'static str| c.rows("assessments").iter().filter(move |r| text(r, "assessment_type") == Some(kind));
    let timely = |kind: &'static str, a: NaiveDate, days: i64| {
        let rows: Vec<_> = assessments(kind).filter(|r| within(date(r, "completed_date"), a, e)).collect();
        let num = rows
            .iter()
            .filter(|r| c.working_days(date(r, "start_date").unwrap(), date(r, "completed_date").unwrap()) <= days)
            .count();
        share(num, rows.len())
    };
    let referrals: Vec<_> = c.rows("referrals").iter().filter(|r| within(date(r, "referral_date"), s, e)).collect();
    let teams = ["checs", "cat", "cin", "cp"];
    let latest = c.latest_snapshot(s, e);
    let snapshot: Vec<_> = c
        .rows("workforce")
        .iter()
        .filter(|r| {
            latest.is_some()
                && date(r, "snapshot_date") == latest
                && text(r, "team").is_some_and(|t| teams.contains(&t))
        })
        .collect();
    let filled: Vec<_> = snapshot.iter().filter(|r| text(r, "status") == Some("filled")).collect();
    match reference {
        "1.1a" => count(distinct(c.rows("cin_episodes").iter().filter(|r| Calc::open_at(r, e)).collect())),
        "1.1b" => {
            rate(distinct(c.rows("cin_episodes").iter().filter(|r| Calc::open_at(r, e)).collect()), c.population(e))
        }
        "1.2a" => count(distinct(c.rows("cp_plans").iter().filter(|r| Calc::open_at(r, e)).collect())),
        "1.2b" => rate(distinct(c.rows("cp_plans").iter().filter(|r| Calc::open_at(r, e)).collect()), c.population(e)),
        "1.3" => count(c.rows("s47_enquiries").iter().filter(|r| within(date(r, "icpc_date"), s, e)).count()),
        "1.4" => count(distinct(c.rows("private_fostering").iter().filter(|r| Calc::open_at(r, e)).collect())),
        "1.5" => count(distinct(c.rows("cse_plans").iter().filter(|r| Calc::open_at(r, e)).collect())),
        "1.6" => count(distinct(
            c.rows("cla_episodes").iter().filter(|r| Calc::open_at(r, e) && not_short_break(r)).collect(),
        )),
        "1.7" => count(distinct(
            c.rows("cla_episodes")
                .iter()
                .filter(|r| within(date(r, "start_date"), s, e) && not_short_break(r))
                .collect(),
        )),
        "2.1a" => timely("initial", s, 10),
        "2.1b" => timely("initial", fy_start, 10),
        "2.2a" => timely("core", s, 35),
        "2.2b" => timely("core", fy_start, 35),
        "2.3" | "2.4a" | "2.4b" if e < july => (None, None, None),
        "2.3" => {
            let rows: Vec<_> = assessments("combined").filter(|r| within(date(r, "start_date"), july, e)).collect();
            let num = rows
                .iter()
                .filter(|r| {
                    date(r, "child_seen_date")
                        .is_some_and(|seen| seen <= e && c.working_days(date(r, "start_date").unwrap(), seen) <= 10)
                })
                .count();
            share(num, rows.len())
        }
        "2.4a" => timely("combined", july, 35),
        "2.4b" => timely("combined", july, 45),
        "2.5" => count(
            c.rows("cp_plans")
                .iter()
                .filter(|r| {
                    Calc::open_at(r, e)
                        && date(r, "start_date").unwrap().checked_add_months(Months::new(15)).unwrap() < e
                })
                .count(),
        ),
        "2.9" => share(snapshot.iter().filter(|r| text(r, "status") == Some("vacant")).count(), snapshot.len()),
        "2.11" => share(
            filled
                .iter()
                .filter(|r| text(r, "contract") == Some("permanent") && text(r, "experienced") == Some("true"))
                .count(),
            filled.len(),
        ),
        "2.12" => (
            None,
            None,
            filled.iter().filter_map(|r| text(r, "caseload")).map(|x| x.parse::<f64>().unwrap()).reduce(f64::max),
        ),
        "3.1b" => rate(referrals.len(), c.population(e)),
        "3.2" => {
            let num = referrals
                .iter()
                .filter(|r| {
                    let d = date(r, "referral_date").unwrap();
                    let from = d.checked_sub_months(Months::new(12)).unwrap();
                    c.rows("referrals").iter().any(|o| {
                        o["child_id"] == r["child_id"] && date(o, "referral_date").is_some_and(|p| from <= p && p < d)
                    })
                })
                .count();
            share(num, referrals.len())
        }
        "3.3" => {
            let rows: Vec<_> = c
                .rows("contacts")
                .iter()
                .filter(|r| within(date(r, "contact_date"), s, e) && text(r, "contact_source") != Some("individual"))
                .collect();
            share(rows.iter().filter(|r| text(r, "contact_method") == Some("telephone")).count(), rows.len())
        }
        "3.4" => count(c.rows("contacts").iter().filter(|r| within(date(r, "contact_date"), s, e)).count()),
        "3.5" => {
            let num = referrals
                .iter()
                .filter(|r| {
                    !c.rows("assessments").iter().any(|a| {
                        text(a, "referral_id") == Some(r["referral_id"].as_str())
                            && matches!(text(a, "assessment_type"), Some("initial" | "combined"))
                            && date(a, "start_date").is_some_and(|d| d <= e)
                    })
                })
                .count();
            share(num, referrals.len())
        }
        "3.6" => {
            let rows: Vec<_> = assessments("initial").filter(|r| within(date(r, "completed_date"), s, e)).collect();
            share(rows.iter().filter(|r| text(r, "outcome") == Some("nfa")).count(), rows.len())
        }
        "3.7" => {
            let rows: Vec<_> = c.rows("cp_plans").iter().filter(|r| within(date(r, "start_date"), s, e)).collect();
            share(
                rows.iter()
                    .filter(|r| text(r, "previous_plans").is_some_and(|p| p.parse::<i64>().unwrap() >= 1))
                    .count(),
                rows.len(),
            )
        }
        "4.1" => rate(c.rows("early_help").iter().filter(|r| Calc::open_at(r, e)).count(), c.population(e)),
        "4.2" => count(c.rows("early_help").iter().filter(|r| within(date(r, "start_date"), s, e)).count()),
        "4.3" => {
            let rows: Vec<_> = c.rows("early_help").iter().filter(|r| Calc::open_at(r, e)).collect();
            share(rows.iter().filter(|r| text(r, "lead_agency").is_some_and(|a| a != "la")).count(), rows.len())
        }
        "4.4" => {
            let num = referrals
                .iter()
                .filter(|r| {
                    let d = date(r, "referral_date").unwrap();
                    c.rows("early_help")
                        .iter()
                        .any(|h| h["child_id"] == r["child_id"] && date(h, "start_date").is_some_and(|x| x < d))
                })
                .count();
            share(num, referrals.len())
        }
        "4.5" => {
            let all = c.rows("member_training");
            share(all.iter().filter(|r| date(r, "trained_date").is_some_and(|d| d <= e)).count(), all.len())
        }
        other => panic!("no independent calculation for {other}"),
    }
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
        _ => false,
    }
}

#[test]
fn the_book_over_generated_data_matches_an_independent_calculation() {
    let dir = tempfile::tempdir().unwrap();
    let to: NaiveDate = "2013-10-15".parse().unwrap();
    let opts = SynthOptions {
        children: 12_000,
        seed: 42,
        from: "2012-04-01".parse().unwrap(),
        to,
        histories: Default::default(),
    };
    synth::write_tables(&synth::generate(&opts), dir.path(), OutputFormat::Csv, synth::Layout::Contract).unwrap();

    let project = project::check_paths(&[PathBuf::from("rules")]).unwrap().1.project.unwrap();
    let mut checked = 0;
    for as_of in ["2013-09-30", "2013-10-15", "2013-07-31"] {
        let options = RunOptions {
            as_of: Some(as_of.parse().unwrap()),
            data_dir: Some(dir.path().to_path_buf()),
            ..RunOptions::default()
        };
        let out = tokio::runtime::Runtime::new().unwrap().block_on(engine::run(&project, None, &options)).unwrap();
        let calc = Calc {
            t: tables(dir.path()),
            holidays: scorebook::calendar::working_days::HolidayList::england_and_wales().days.into_iter().collect(),
        };
        let rows: Vec<&ResultRow> = out.rows.iter().filter(|r| r.breakdown.is_none()).collect();
        assert_eq!(
            rows.len(),
            project.measures.len() * out.rows.iter().map(|r| &r.period_label).collect::<BTreeSet<_>>().len()
        );
        for r in rows {
            let (num, den, val) = expected(&calc, &r.reference, r.period_start, r.period_end);
            let label = format!("{} {} as of {as_of}", r.reference, r.period_label);
            assert!(same(r.numerator, num), "{label}: numerator {:?}, expected {num:?}", r.numerator);
            assert!(same(r.denominator, den), "{label}: denominator {:?}, expected {den:?}", r.denominator);
            assert!(same(r.value, val), "{label}: value {:?}, expected {val:?}", r.value);
            checked += 1;
        }
    }
    eprintln!("{checked} measure-periods match the independent calculation");
    assert!(checked > 900);
}
