//! The SSDA903 book (`examples/ssda903`) over generated returns and a hand-made one full of
//! edge cases, checked against an independent calculation of every measure, period and
//! breakdown value written directly from the book's definitions (docs/books.md's section on the
//! SSDA903 book, and each measure as `examples/ssda903` states it), in plain Rust, with no part
//! of the compiler or engine.

use chrono::{Datelike, Months, NaiveDate};
use scorebook::engine::{self, RunOptions};
use scorebook::project;
use scorebook::results::ResultRow;
use scorebook::synth::{self, OutputFormat, SynthOptions};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

type Row = HashMap<String, String>;

/// Every file of a return, read as text: the return's own column names, `dd/mm/yyyy` dates.
fn tables(dir: &Path) -> HashMap<String, Vec<Row>> {
    let mut out = HashMap::new();
    for name in ["header", "episodes", "missing", "reviews", "oc3", "population"] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.csv"))).unwrap();
        let text = text.trim_start_matches('\u{feff}');
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers: Vec<String> = reader.headers().unwrap().iter().map(|h| h.trim().to_string()).collect();
        let rows = reader
            .records()
            .map(|r| headers.iter().cloned().zip(r.unwrap().iter().map(|c| c.trim().to_string())).collect())
            .collect();
        out.insert(name.to_string(), rows);
    }
    out
}

fn text<'a>(row: &'a Row, col: &str) -> Option<&'a str> {
    row.get(col).map(String::as_str).filter(|s| !s.is_empty())
}

fn date(row: &Row, col: &str) -> Option<NaiveDate> {
    text(row, col).map(|s| NaiveDate::parse_from_str(s, "%d/%m/%Y").unwrap())
}

/// add_months(d, n), clamped to the month's last day.
fn add_months(d: NaiveDate, n: i32) -> NaiveDate {
    if n >= 0 {
        d.checked_add_months(Months::new(n as u32)).unwrap()
    } else {
        d.checked_sub_months(Months::new((-n) as u32)).unwrap()
    }
}

/// Age at d: the largest n >= 0 with add_months(dob, 12n) <= d.
fn age(dob: Option<NaiveDate>, d: NaiveDate) -> Option<i32> {
    let dob = dob.filter(|b| *b <= d)?;
    let mut n = 0;
    while add_months(dob, 12 * (n + 1)) <= d {
        n += 1;
    }
    Some(n)
}

fn age_band(age: Option<i32>) -> Option<&'static str> {
    Some(match age? {
        0 => "under 1",
        1..=4 => "1 to 4",
        5..=9 => "5 to 9",
        10..=15 => "10 to 15",
        _ => "16 and over",
    })
}

struct Return {
    t: HashMap<String, Vec<Row>>,
    /// Care episodes: every episode but short breaks (a missing legal status is kept).
    care: Vec<Row>,
    /// Each child's care episodes.
    by_child: HashMap<String, Vec<Row>>,
    dob: HashMap<String, Option<NaiveDate>>,
    sex: HashMap<String, Option<String>>,
}

impl Return {
    fn read(dir: &Path) -> Return {
        let t = tables(dir);
        let care: Vec<Row> =
            t["episodes"].iter().filter(|r| !matches!(text(r, "LS"), Some("V3" | "V4"))).cloned().collect();
        let mut by_child: HashMap<String, Vec<Row>> = HashMap::new();
        for r in &care {
            if let Some(c) = text(r, "CHILD") {
                by_child.entry(c.to_string()).or_default().push(r.clone());
            }
        }
        let mut dob = HashMap::new();
        let mut sex = HashMap::new();
        for r in &t["header"] {
            let child = r["CHILD"].clone();
            dob.insert(child.clone(), date(r, "DOB"));
            sex.insert(child, text(r, "SEX").map(String::from));
        }
        Return { t, care, by_child, dob, sex }
    }

    fn open_at(r: &Row, d: NaiveDate) -> bool {
        date(r, "DECOM").is_some_and(|s| s <= d) && date(r, "DEC").is_none_or(|x| x > d)
    }

    /// Children looked after at d.
    fn looked_after(&self, d: NaiveDate) -> BTreeSet<String> {
        self.care.iter().filter(|r| Self::open_at(r, d)).filter_map(|r| text(r, "CHILD").map(String::from)).collect()
    }

    /// The latest DECOM <= d of the child's care episodes whose RNE is one of `rne`.
    fn latest_start(&self, child: &str, d: NaiveDate, rne: &[&str]) -> Option<NaiveDate> {
        self.episodes_of(child)
            .iter()
            .filter(|r| text(r, "RNE").is_some_and(|x| rne.contains(&x)))
            .filter_map(|r| date(r, "DECOM"))
            .filter(|x| *x <= d)
            .max()
    }

    fn episodes_of(&self, child: &str) -> &[Row] {
        self.by_child.get(child).map_or(&[], Vec::as_slice)
    }

    fn child_age(&self, child: &str, d: NaiveDate) -> Option<i32> {
        age(self.dob.get(child).copied().flatten(), d)
    }

    fn population(&self, e: NaiveDate) -> Option<f64> {
        let p = if e.month() >= 4 { e.year() } else { e.year() - 1 };
        let mut by_year: BTreeMap<i32, f64> = BTreeMap::new();
        for r in self.t["population"].iter().filter(|r| text(r, "age_group") == Some("0-17")) {
            *by_year.entry(r["year"].parse().unwrap()).or_default() += r["population"].parse::<f64>().unwrap();
        }
        by_year.into_iter().filter(|(y, v)| *y <= p && *v > 0.0).map(|(_, v)| v).next_back()
    }
}

/// (numerator, denominator, value).
type Cell = (Option<f64>, Option<f64>, Option<f64>);

fn count(n: usize) -> Cell {
    (None, None, Some(n as f64))
}

fn share(num: usize, den: usize) -> Cell {
    (Some(num as f64), Some(den as f64), (den > 0).then(|| 100.0 * num as f64 / den as f64))
}

fn mean(values: &[f64]) -> Cell {
    (None, None, (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64))
}

fn median(values: &[f64]) -> Cell {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let m = match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    };
    (None, None, m)
}

const PLACEMENT: &[&str] = &["S", "P", "T", "U", "B"];

/// A measure's total for the window [s, e], as the book's definition of the measure gives it.
fn expected(r: &Return, reference: &str, s: NaiveDate, e: NaiveDate) -> Cell {
    let within = |d: Option<NaiveDate>| d.is_some_and(|d| d >= s && d <= e);
    let children = |rows: Vec<&Row>| rows.iter().filter_map(|x| text(x, "CHILD")).collect::<BTreeSet<_>>().len();
    let looked_after = r.looked_after(e);
    let days_in_care: Vec<f64> = looked_after
        .iter()
        .filter_map(|c| r.latest_start(c, e, &["S"]))
        .map(|start| (e - start).num_days() as f64)
        .collect();
    match reference {
        "903.1" => count(looked_after.len()),
        "903.2" => {
            let pop = r.population(e);
            (Some(looked_after.len() as f64), pop, pop.map(|p| 10000.0 * looked_after.len() as f64 / p))
        }
        "903.3" => {
            count(children(r.care.iter().filter(|x| text(x, "RNE") == Some("S") && within(date(x, "DECOM"))).collect()))
        }
        "903.4" => count(children(
            r.care.iter().filter(|x| within(date(x, "DEC")) && text(x, "REC").is_some_and(|rec| rec != "X1")).collect(),
        )),
        "903.5" => {
            let w = add_months(e, -12);
            let at_w = r.looked_after(w);
            let three = looked_after
                .iter()
                .filter(|c| {
                    let moves = r
                        .episodes_of(c)
                        .iter()
                        .filter(|x| text(x, "RNE").is_some_and(|rne| PLACEMENT.contains(&rne)))
                        .filter(|x| date(x, "DECOM").is_some_and(|d| d > w && d <= e))
                        .count();
                    moves + usize::from(at_w.contains(*c)) >= 3
                })
                .count();
            share(three, looked_after.len())
        }
        "903.6" => {
            let den: Vec<&String> = looked_after
                .iter()
                .filter(|c| r.child_age(c, e).is_some_and(|a| a < 16))
                .filter(|c| r.latest_start(c, e, &["S"]).is_some_and(|d| d <= add_months(e, -30)))
                .collect();
            let num =
                den.iter().filter(|c| r.latest_start(c, e, PLACEMENT).is_some_and(|d| d <= add_months(e, -24))).count();
            share(num, den.len())
        }
        "903.7" => count(
            r.t["missing"].iter().filter(|x| text(x, "MISSING") == Some("M") && within(date(x, "MIS_START"))).count(),
        ),
        "903.8" => {
            let in_care: BTreeSet<&str> = r
                .care
                .iter()
                .filter(|x| date(x, "DECOM").is_some_and(|d| d <= e) && date(x, "DEC").is_none_or(|d| d > s))
                .filter_map(|x| text(x, "CHILD"))
                .collect();
            let went: BTreeSet<&str> = r.t["missing"]
                .iter()
                .filter(|x| text(x, "MISSING") == Some("M") && within(date(x, "MIS_START")))
                .filter_map(|x| text(x, "CHILD"))
                .collect();
            share(in_care.intersection(&went).count(), in_care.len())
        }
        "903.9" => mean(&days_in_care),
        "903.10" => median(&days_in_care),
        "903.11" => {
            let rows: Vec<&Row> = r.t["reviews"]
                .iter()
                .filter(|x| within(date(x, "REVIEW")) && text(x, "REVIEW_CODE") != Some("PN0"))
                .collect();
            let took_part = ["PN1", "PN2", "PN3", "PN4", "PN5", "PN6"];
            let num = rows.iter().filter(|x| text(x, "REVIEW_CODE").is_some_and(|c| took_part.contains(&c))).count();
            share(num, rows.len())
        }
        "903.12" => {
            let days: Vec<f64> = r.t["missing"]
                .iter()
                .filter(|x| matches!(text(x, "MISSING"), Some("M" | "A")) && within(date(x, "MIS_END")))
                .filter_map(|x| Some((date(x, "MIS_END")? - date(x, "MIS_START")?).num_days() as f64))
                .collect();
            mean(&days)
        }
        "903.13" => {
            let rows: Vec<&Row> = r.t["oc3"]
                .iter()
                .filter(|x| age(date(x, "DOB"), e).is_some_and(|a| (17..=21).contains(&a)))
                .filter(|x| !matches!(text(x, "IN_TOUCH"), Some("DIED" | "RHOM")))
                .collect();
            let num = rows.iter().filter(|x| text(x, "ACTIV").is_some_and(|a| a.starts_with(['F', 'P']))).count();
            share(num, rows.len())
        }
        other => panic!("no measure {other} in the SSDA903 book"),
    }
}

/// 903.1's children at e by breakdown value (`None`: no value).
fn breakdown(r: &Return, name: &str, e: NaiveDate) -> BTreeMap<Option<String>, usize> {
    let mut out: BTreeMap<Option<String>, BTreeSet<String>> = BTreeMap::new();
    for x in r.care.iter().filter(|x| Return::open_at(x, e)) {
        let Some(child) = text(x, "CHILD") else { continue };
        let value = match name {
            "legal_status" => text(x, "LS").map(String::from),
            "age_band" => age_band(r.child_age(child, e)).map(String::from),
            "sex" => match r.sex.get(child).cloned().flatten().as_deref() {
                Some("1") => Some("male".into()),
                Some("2") => Some("female".into()),
                _ => None,
            },
            other => panic!("no breakdown {other} of 903.1"),
        };
        out.entry(value).or_default().insert(child.to_string());
    }
    out.into_iter().map(|(k, v)| (k, v.len())).collect()
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
        _ => false,
    }
}

const REFS: [&str; 13] = [
    "903.1", "903.2", "903.3", "903.4", "903.5", "903.6", "903.7", "903.8", "903.9", "903.10", "903.11", "903.12",
    "903.13",
];

/// Runs the book over `dir` as of `as_of` and checks every row; returns the rows checked.
fn check(dir: &Path, as_of: &str, years: Option<(i32, i32)>) -> usize {
    let project = project::check_paths(&[PathBuf::from("examples/ssda903")]).unwrap().1.project.unwrap();
    let options = RunOptions {
        as_of: years.is_none().then(|| as_of.parse().unwrap()),
        years,
        data_dir: Some(dir.to_path_buf()),
        ..Default::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rows: Vec<ResultRow> = rt.block_on(engine::run(&project, None, &options)).unwrap().rows;
    let data = Return::read(dir);
    let totals: Vec<&ResultRow> = rows.iter().filter(|x| x.breakdown.is_none()).collect();
    let labels: BTreeSet<&str> = totals.iter().map(|x| x.period_label.as_str()).collect();
    assert_eq!(totals.len(), REFS.len() * labels.len(), "every measure in every period");
    let periods: BTreeSet<(NaiveDate, NaiveDate)> = totals.iter().map(|x| (x.period_start, x.period_end)).collect();
    for x in &totals {
        assert!(REFS.contains(&x.reference.as_str()), "{}", x.reference);
        let want = expected(&data, &x.reference, x.period_start, x.period_end);
        let label = format!("{} {} (as of {as_of})", x.reference, x.period_label);
        assert!(same(x.numerator, want.0), "{label} numerator: {:?}, expected {:?}", x.numerator, want.0);
        assert!(same(x.denominator, want.1), "{label} denominator: {:?}, expected {:?}", x.denominator, want.1);
        assert!(same(x.value, want.2), "{label} value: {:?}, expected {:?}", x.value, want.2);
    }
    // Breakdowns: 903.1 only, every value with children present and right; others 0.
    let mut broken_down = 0;
    for name in ["legal_status", "age_band", "sex"] {
        for (start, end) in &periods {
            let want = breakdown(&data, name, *end);
            let got: Vec<&ResultRow> = rows
                .iter()
                .filter(|x| x.breakdown.as_deref() == Some(name) && x.period_end == *end && x.period_start == *start)
                .collect();
            assert!(got.iter().all(|x| x.reference == "903.1"), "only 903.1 is broken down");
            for (value, n) in &want {
                let row = got.iter().find(|x| &x.breakdown_value == value);
                let row = row.unwrap_or_else(|| panic!("903.1 by {name} {value:?} ending {end}: no row"));
                assert_eq!(row.value, Some(*n as f64), "903.1 by {name} {value:?} ending {end}");
            }
            for x in &got {
                if !want.contains_key(&x.breakdown_value) {
                    assert_eq!(x.value, Some(0.0), "903.1 by {name} {:?} ending {end}", x.breakdown_value);
                }
            }
            broken_down += got.len();
        }
    }
    totals.len() + broken_down
}

#[test]
fn the_book_over_generated_returns_matches_an_independent_calculation() {
    for (seed, to) in [(7, "2014-03-31"), (11, "2013-10-20")] {
        let dir = tempfile::tempdir().unwrap();
        let opts = SynthOptions {
            children: 2_500,
            seed,
            from: "2012-04-01".parse().unwrap(),
            to: to.parse().unwrap(),
            histories: Default::default(),
        };
        synth::write_ssda903(&synth::generate_ssda903(&opts), dir.path(), OutputFormat::Csv).unwrap();
        for as_of in ["2013-09-30", "2013-10-20", "2013-03-31"] {
            let rows = check(dir.path(), as_of, None);
            println!("seed {seed}, as of {as_of}: {rows} rows equal the independent calculation");
        }
    }
}

#[test]
fn whole_years_of_a_generated_return_match_an_independent_calculation() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SynthOptions {
        children: 1_500,
        seed: 3,
        from: "2011-04-01".parse().unwrap(),
        to: "2014-03-31".parse().unwrap(),
        histories: Default::default(),
    };
    synth::write_ssda903(&synth::generate_ssda903(&opts), dir.path(), OutputFormat::Csv).unwrap();
    let rows = check(dir.path(), "2014-03-31", Some((2011, 2014)));
    println!("years 2010-11 to 2013-14: {rows} rows equal the independent calculation");
}

#[test]
fn the_edge_case_return_matches_an_independent_calculation() {
    for as_of in ["2013-09-30", "2014-02-28", "2014-03-31", "2012-04-30"] {
        let rows = check(Path::new("tests/fixtures/ssda903"), as_of, None);
        println!("edge cases as of {as_of}: {rows} rows equal the independent calculation");
    }
}
