//! The third book (`examples/ambulance` and `examples/send`) over generated files and
//! hand-made ones full of edge cases, checked against an independent calculation of every
//! measure, period and breakdown value written directly from the book's definitions
//! (`third-book.md`), in plain Rust, with no part of the compiler or engine. The generator
//! (`tests/common/third_book.rs`) is the tests' own: files written with the quirks of files
//! written by others, timestamps across midnight and the night the clocks go forward, and
//! every threshold hit exactly.

#[path = "common/third_book.rs"]
mod third_book;

use chrono::{Months, NaiveDate, NaiveDateTime};
use scorebook::engine::{self, RunOptions};
use scorebook::project;
use scorebook::results::ResultRow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

type Row = HashMap<String, String>;

/// A CSV file read as text, by header (a byte-order mark and CRLF line ends allowed).
fn read(dir: &Path, name: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join(format!("{name}.csv"))).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(|h| h.trim().to_string()).collect();
    reader.records().map(|r| headers.iter().cloned().zip(r.unwrap().iter().map(String::from)).collect()).collect()
}

fn text<'a>(row: &'a Row, col: &str) -> Option<&'a str> {
    row.get(col).map(String::as_str).filter(|s| !s.trim().is_empty())
}

fn timestamp(row: &Row, col: &str) -> Option<NaiveDateTime> {
    text(row, col).map(|s| NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").unwrap())
}

fn iso_date(row: &Row, col: &str) -> Option<NaiveDate> {
    text(row, col).map(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").unwrap())
}

fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(Months::new(n)).unwrap()
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// PERCENTILE.INC: h = p(n - 1), k = floor(h), x[k] + (h - k)(x[k+1] - x[k]).
fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return None;
    }
    let h = p * (n - 1) as f64;
    let k = h.floor() as usize;
    Some(if k + 1 < n { v[k] + (h - k as f64) * (v[k + 1] - v[k]) } else { v[k] })
}

/// (numerator, denominator, value) of a percent: the two counts (or sums), 100 × n / d.
fn percent(num: f64, den: f64) -> (Option<f64>, Option<f64>, Option<f64>) {
    (Some(num), Some(den), (den != 0.0).then(|| 100.0 * num / den))
}

fn figure(value: Option<f64>) -> (Option<f64>, Option<f64>, Option<f64>) {
    (None, None, value)
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
        _ => false,
    }
}

// ------------------------------------------------------------------------------ ambulance

struct Ambulance {
    incidents: Vec<Row>,
    handovers: Vec<Row>,
}

impl Ambulance {
    fn read(dir: &Path) -> Ambulance {
        Ambulance { incidents: read(dir, "incidents"), handovers: read(dir, "handovers") }
    }

    /// The responded incidents of category `c` whose clock started on a day in [s, e], with
    /// their response seconds and area.
    fn responded(&self, c: &str, s: NaiveDate, e: NaiveDate) -> Vec<(f64, Option<String>)> {
        self.incidents
            .iter()
            .filter(|r| text(r, "category") == Some(c))
            .filter_map(|r| {
                let start = timestamp(r, "clock_start")?;
                let arrival = timestamp(r, "first_arrival")?;
                let day = start.date();
                (s <= day && day <= e)
                    .then(|| ((arrival - start).num_seconds() as f64, text(r, "area").map(String::from)))
            })
            .collect()
    }

    fn expected(&self, reference: &str, s: NaiveDate, e: NaiveDate) -> (Option<f64>, Option<f64>, Option<f64>) {
        let times = |c| self.responded(c, s, e).into_iter().map(|(t, _)| t).collect::<Vec<f64>>();
        match reference {
            "AMB.1" => figure(mean(&times("C1"))),
            "AMB.2" => figure(percentile(&times("C1"), 0.9)),
            "AMB.3" => figure(mean(&times("C2"))),
            "AMB.4" => figure(percentile(&times("C2"), 0.9)),
            "AMB.5" => {
                let t = times("C2");
                percent(t.iter().filter(|x| **x <= 1080.0).count() as f64, t.len() as f64)
            }
            "AMB.6" => {
                let (mut lost, mut total) = (0.0, 0.0);
                for r in &self.handovers {
                    let (Some(a), Some(b)) = (timestamp(r, "arrival_at_hospital"), timestamp(r, "handover_complete"))
                    else {
                        continue;
                    };
                    if s <= a.date() && a.date() <= e {
                        let minutes = (b - a).num_seconds() as f64 / 60.0;
                        total += minutes;
                        lost += (minutes - 15.0).max(0.0);
                    }
                }
                percent(lost, total)
            }
            other => panic!("no measure {other} in the ambulance book"),
        }
    }

    /// AMB.1 by area: the mean of each area's responded Category 1 incidents.
    fn by_area(&self, s: NaiveDate, e: NaiveDate) -> BTreeMap<Option<String>, Vec<f64>> {
        let mut out: BTreeMap<Option<String>, Vec<f64>> = BTreeMap::new();
        for (t, area) in self.responded("C1", s, e) {
            out.entry(area).or_default().push(t);
        }
        out
    }
}

// ------------------------------------------------------------------------------ SEND

struct Send {
    requests: Vec<Row>,
    plans: Vec<Row>,
    /// child -> date of birth.
    dob: HashMap<String, Option<NaiveDate>>,
}

fn request_date(r: &Row) -> NaiveDate {
    NaiveDate::parse_from_str(r["request_date"].trim(), "%d/%m/%Y").unwrap()
}

impl Send {
    fn read(dir: &Path) -> Send {
        let dob = read(dir, "children").iter().map(|r| (r["child_id"].clone(), iso_date(r, "date_of_birth"))).collect();
        Send { requests: read(dir, "requests"), plans: read(dir, "plans"), dob }
    }

    fn request(&self, id: Option<&str>) -> Option<&Row> {
        let id = id?;
        self.requests.iter().find(|r| r["request_id"] == id)
    }

    /// The largest n >= 0 with add_months(dob, 12n) <= d; missing without a child, a date of
    /// birth, or with one after d.
    fn age(&self, child: Option<&str>, d: NaiveDate) -> Option<u32> {
        let dob = (*self.dob.get(child?)?)?;
        if dob > d {
            return None;
        }
        let mut n = 0;
        while add_months(dob, 12 * (n + 1)) <= d {
            n += 1;
        }
        Some(n)
    }

    fn age_band(&self, plan: &Row) -> Option<&'static str> {
        let request = self.request(text(plan, "request_id"))?;
        Some(match self.age(text(request, "child_id"), request_date(request))? {
            0..=4 => "under 5",
            5..=10 => "5 to 10",
            11..=15 => "11 to 15",
            16..=25 => "16 to 25",
            _ => return None,
        })
    }

    fn days_to_issue(&self, plan: &Row) -> Option<i64> {
        let request = self.request(text(plan, "request_id"))?;
        Some((iso_date(plan, "issue_date")? - request_date(request)).num_days())
    }

    fn issued(&self, s: NaiveDate, e: NaiveDate) -> Vec<&Row> {
        self.plans.iter().filter(|p| iso_date(p, "issue_date").is_some_and(|d| s <= d && d <= e)).collect()
    }

    /// The latest request_date of the child's other requests strictly before this one's.
    fn previous(&self, r: &Row) -> Option<NaiveDate> {
        let child = text(r, "child_id")?;
        let d = request_date(r);
        self.requests.iter().filter(|x| text(x, "child_id") == Some(child)).map(request_date).filter(|x| *x < d).max()
    }

    fn expected(&self, reference: &str, s: NaiveDate, e: NaiveDate) -> (Option<f64>, Option<f64>, Option<f64>) {
        let within = |p: &Row| self.days_to_issue(p).is_some_and(|d| d <= 140);
        match reference {
            "SEN.1" | "SEN.2" => {
                let plans: Vec<&Row> = self
                    .issued(s, e)
                    .into_iter()
                    .filter(|p| reference == "SEN.2" || text(p, "exception") != Some("Y"))
                    .collect();
                percent(plans.iter().filter(|p| within(p)).count() as f64, plans.len() as f64)
            }
            "SEN.3" => {
                let requests: Vec<&Row> = self.requests.iter().filter(|r| (s..=e).contains(&request_date(r))).collect();
                let repeats = requests
                    .iter()
                    .filter(|r| self.previous(r).is_some_and(|p| request_date(r) <= add_months(p, 12)))
                    .count();
                percent(repeats as f64, requests.len() as f64)
            }
            "SEN.4" => {
                let days: Vec<f64> =
                    self.issued(s, e).into_iter().filter_map(|p| self.days_to_issue(p)).map(|d| d as f64).collect();
                figure(median(&days))
            }
            other => panic!("no measure {other} in the SEND book"),
        }
    }

    /// SEN.1 by age band: (within, plans) of each band.
    fn by_age_band(&self, s: NaiveDate, e: NaiveDate) -> BTreeMap<Option<String>, (usize, usize)> {
        let mut out: BTreeMap<Option<String>, (usize, usize)> = BTreeMap::new();
        for p in self.issued(s, e).into_iter().filter(|p| text(p, "exception") != Some("Y")) {
            let entry = out.entry(self.age_band(p).map(String::from)).or_default();
            entry.1 += 1;
            if self.days_to_issue(p).is_some_and(|d| d <= 140) {
                entry.0 += 1;
            }
        }
        out
    }
}

// ------------------------------------------------------------------------------ running and checking

fn run(library: &str, dir: &Path, as_of: &str) -> Vec<ResultRow> {
    let project = project::check_paths(&[PathBuf::from(library)]).unwrap().1.project.unwrap();
    let options =
        RunOptions { as_of: Some(as_of.parse().unwrap()), data_dir: Some(dir.to_path_buf()), ..Default::default() };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(engine::run(&project, None, &options)).unwrap().rows
}

/// Every total row equals `expected`; returns the rows checked.
fn check_totals(
    rows: &[ResultRow],
    refs: &[&str],
    as_of: &str,
    expected: impl Fn(&str, NaiveDate, NaiveDate) -> (Option<f64>, Option<f64>, Option<f64>),
) -> usize {
    let totals: Vec<&ResultRow> = rows.iter().filter(|x| x.breakdown.is_none()).collect();
    let labels: BTreeSet<&str> = totals.iter().map(|x| x.period_label.as_str()).collect();
    assert_eq!(totals.len(), refs.len() * labels.len(), "every measure in every period");
    for x in &totals {
        assert!(refs.contains(&x.reference.as_str()), "{}", x.reference);
        let want = expected(&x.reference, x.period_start, x.period_end);
        let label = format!("{} {} (as of {as_of})", x.reference, x.period_label);
        assert!(same(x.numerator, want.0), "{label} numerator: {:?}, expected {:?}", x.numerator, want.0);
        assert!(same(x.denominator, want.1), "{label} denominator: {:?}, expected {:?}", x.denominator, want.1);
        assert!(same(x.value, want.2), "{label} value: {:?}, expected {:?}", x.value, want.2);
    }
    totals.len()
}

/// The periods of a run, as (start, end).
fn periods(rows: &[ResultRow]) -> BTreeSet<(NaiveDate, NaiveDate)> {
    rows.iter().map(|x| (x.period_start, x.period_end)).collect()
}

fn check_ambulance(dir: &Path, as_of: &str) -> usize {
    let rows = run("examples/ambulance", dir, as_of);
    let data = Ambulance::read(dir);
    let refs = ["AMB.1", "AMB.2", "AMB.3", "AMB.4", "AMB.5", "AMB.6"];
    let mut checked = check_totals(&rows, &refs, as_of, |r, s, e| data.expected(r, s, e));
    for (s, e) in periods(&rows) {
        let got: Vec<&ResultRow> =
            rows.iter().filter(|x| x.breakdown.is_some() && x.period_start == s && x.period_end == e).collect();
        assert!(got.iter().all(|x| x.reference == "AMB.1" && x.breakdown.as_deref() == Some("area")));
        let want = data.by_area(s, e);
        for (area, times) in &want {
            let row = got.iter().find(|x| &x.breakdown_value == area);
            let row = row.unwrap_or_else(|| panic!("AMB.1 by area {area:?} for {s}..{e}: no row (as of {as_of})"));
            assert!(same(row.value, mean(times)), "AMB.1 by area {area:?} for {s}..{e}: {:?}", row.value);
            assert_eq!((row.numerator, row.denominator), (None, None));
        }
        for x in &got {
            if !want.contains_key(&x.breakdown_value) {
                assert_eq!(x.value, None, "AMB.1 by area {:?} for {s}..{e}: no incidents", x.breakdown_value);
            }
        }
        checked += got.len();
    }
    checked
}

fn check_send(dir: &Path, as_of: &str) -> usize {
    let rows = run("examples/send", dir, as_of);
    let data = Send::read(dir);
    let refs = ["SEN.1", "SEN.2", "SEN.3", "SEN.4"];
    let mut checked = check_totals(&rows, &refs, as_of, |r, s, e| data.expected(r, s, e));
    for (s, e) in periods(&rows) {
        let got: Vec<&ResultRow> =
            rows.iter().filter(|x| x.breakdown.is_some() && x.period_start == s && x.period_end == e).collect();
        assert!(got.iter().all(|x| x.reference == "SEN.1" && x.breakdown.as_deref() == Some("age_band")));
        let want = data.by_age_band(s, e);
        for (band, (num, den)) in &want {
            let row = got.iter().find(|x| &x.breakdown_value == band);
            let row = row.unwrap_or_else(|| panic!("SEN.1 by age band {band:?} for {s}..{e}: no row (as of {as_of})"));
            let (n, d, v) = percent(*num as f64, *den as f64);
            assert_eq!((row.numerator, row.denominator), (n, d), "SEN.1 by age band {band:?} for {s}..{e}");
            assert!(same(row.value, v), "SEN.1 by age band {band:?} for {s}..{e}: {:?}", row.value);
        }
        for x in &got {
            if !want.contains_key(&x.breakdown_value) {
                assert_eq!((x.numerator, x.denominator, x.value), (Some(0.0), Some(0.0), None));
            }
        }
        checked += got.len();
    }
    checked
}

#[test]
fn the_ambulance_book_over_generated_files_matches_an_independent_calculation() {
    for seed in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        third_book::generate_ambulance(dir.path(), seed, 6_000);
        for as_of in ["2024-03-31", "2023-10-15", "2023-03-31"] {
            let rows = check_ambulance(dir.path(), as_of);
            println!("ambulance, seed {seed}, as of {as_of}: {rows} rows equal the independent calculation");
        }
    }
}

#[test]
fn the_send_book_over_generated_files_matches_an_independent_calculation() {
    for seed in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        third_book::generate_send(dir.path(), seed, 1_500);
        for as_of in ["2024-03-31", "2023-10-15", "2023-02-28"] {
            let rows = check_send(dir.path(), as_of);
            println!("SEND, seed {seed}, as of {as_of}: {rows} rows equal the independent calculation");
        }
    }
}

#[test]
fn the_edge_case_files_match_an_independent_calculation() {
    for as_of in ["2024-03-31", "2024-04-01", "2024-02-29", "2023-10-31"] {
        let rows = check_ambulance(Path::new("tests/fixtures/ambulance"), as_of);
        println!("ambulance edge cases as of {as_of}: {rows} rows equal the independent calculation");
        let rows = check_send(Path::new("tests/fixtures/send"), as_of);
        println!("SEND edge cases as of {as_of}: {rows} rows equal the independent calculation");
    }
}
