//! Spans merged and clipped (`tests/fixtures/housing`): continuous spells of bed and breakfast
//! stays, families there at each period's end, spells begun, nights inside each period and
//! families there more than six weeks in a period — every figure of every period computed here
//! from the generated stays, independently of scorebook, and compared with `run`.

use assert_cmd::Command;
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[path = "common/housing.rs"]
mod housing;
use housing::{nights_within, spells, Stay};

const RULES: &str = "tests/fixtures/housing/rules.ind";

fn run(data: &std::path::Path, as_of: &str) -> Vec<HashMap<String, String>> {
    let out = Command::cargo_bin("scorebook")
        .unwrap()
        .args(["run", RULES, "--as-of", as_of, "--format", "csv", "--data"])
        .arg(data)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| headers.iter().map(String::from).zip(r.unwrap().iter().map(String::from)).collect())
        .collect()
}

/// Is a span open on some day of `[from, to]`: started on or before `to`, not ended by `from`.
fn open_during(start: NaiveDate, end: Option<NaiveDate>, from: NaiveDate, to: NaiveDate) -> bool {
    start <= to && end.is_none_or(|e| e > from)
}

/// Every figure of the book for the window `[from, to]`, by ref (missing as `None`).
fn expected(stays: &[Stay], from: NaiveDate, to: NaiveDate) -> BTreeMap<&'static str, Option<f64>> {
    let spells = spells(stays);
    let open_at_end: BTreeSet<&String> =
        spells.iter().filter(|s| s.start <= to && s.end.is_none_or(|e| e > to)).map(|s| &s.family).collect();
    let begun = spells.iter().filter(|s| from <= s.start && s.start <= to).count();
    let during: Vec<_> = spells.iter().filter(|s| open_during(s.start, s.end, from, to)).collect();
    let mut by_family: BTreeMap<&String, i64> = BTreeMap::new();
    for s in &spells {
        *by_family.entry(&s.family).or_default() += nights_within(s.start, s.end, from, to);
    }
    let long: BTreeSet<&String> = during.iter().map(|s| &s.family).filter(|f| by_family[f] > 42).collect();
    let sum = |nights: Vec<i64>| (!nights.is_empty()).then(|| nights.iter().sum::<i64>() as f64);
    let nights = sum(during.iter().map(|s| nights_within(s.start, s.end, from, to)).collect());
    let unmerged = sum(stays
        .iter()
        .filter_map(|s| Some((s.arrived?, s.left)))
        .filter(|(a, l)| open_during(*a, *l, from, to))
        .map(|(a, l)| nights_within(a, l, from, to))
        .collect());
    BTreeMap::from([
        ("H1", Some(open_at_end.len() as f64)),
        ("H2", Some(begun as f64)),
        ("H3", Some(long.len() as f64)),
        ("H4", nights),
        ("H5", unmerged),
    ])
}

#[test]
fn merged_spells_and_nights_in_each_window_match_an_independent_reckoning() {
    let dir = tempfile::tempdir().unwrap();
    let stays = housing::write_stays(dir.path(), 400, 5);
    let merged = spells(&stays);
    assert!(merged.len() < stays.len() - 100, "the generated stays merge: {} into {}", stays.len(), merged.len());
    let mut compared = 0;
    for as_of in ["2013-09-30", "2013-12-31", "2013-11-14"] {
        let rows = run(dir.path(), as_of);
        assert!(!rows.is_empty());
        for r in &rows {
            let (from, to): (NaiveDate, NaiveDate) =
                (r["period_start"].parse().unwrap(), r["period_end"].parse().unwrap());
            let want = expected(&stays, from, to)[r["ref"].as_str()];
            let got = r["value"].parse::<f64>().ok();
            assert_eq!(got, want, "{} {} as of {as_of}", r["ref"], r["period_label"]);
            compared += 1;
        }
    }
    println!("{compared} figures equal the independent reckoning");
    // Merging matters: some period's nights differ when overlaps are counted twice.
    let rows = run(dir.path(), "2013-12-31");
    let value = |reference: &str, label: &str| {
        rows.iter()
            .find(|r| r["ref"] == reference && r["period_label"] == label)
            .and_then(|r| r["value"].parse::<f64>().ok())
    };
    assert!(value("H5", "2013-14 YTD") > value("H4", "2013-14 YTD"));
}
