//! examples/dfe-benchmarks: indicators computed from DfE's published LA-level tables with the
//! rules language, checked against DfE's own published rates.
//!
//! DfE's rule: a rate per 10,000 for the year ending 31 March T divides the count by the ONS
//! mid-year estimate of children aged 0 to 17 for mid-(T-1), from unrounded figures, and
//! publishes it rounded to the nearest whole number (children looked after; halves away from
//! zero, though no LA-year falls on a half) or to one decimal place (children in need).

use scorebook::config::Config;
use scorebook::engine::{self, RunOptions};
use scorebook::project;
use scorebook::results::ResultRow;
use std::collections::HashMap;
use std::path::Path;

const DIR: &str = "examples/dfe-benchmarks";

fn run() -> Vec<ResultRow> {
    let dir = Path::new(DIR);
    let project = project::check_paths(&[dir.to_path_buf()]).unwrap().1.project.unwrap();
    let config = Config::read(&dir.join("scorebook.toml")).unwrap();
    let options = RunOptions { years: Some((2013, 2025)), ..RunOptions::default() };
    tokio::runtime::Runtime::new().unwrap().block_on(engine::run(&project, Some(&config), &options)).unwrap().rows
}

/// The published file's rows as maps from header to cell.
fn read(file: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(Path::new(DIR).join("data").join(file)).unwrap();
    let headers: Vec<String> =
        reader.headers().unwrap().iter().map(|h| h.trim_start_matches('\u{feff}').to_string()).collect();
    reader.records().map(|r| headers.iter().cloned().zip(r.unwrap().iter().map(str::to_string)).collect()).collect()
}

/// scorebook's value for a measure, an authority (old LA code) and a year ending 31 March.
fn by_la_year<'a>(rows: &'a [ResultRow], reference: &str) -> HashMap<(i32, String), &'a ResultRow> {
    use chrono::Datelike;
    rows.iter()
        .filter(|r| r.reference == reference && r.breakdown.as_deref() == Some("area_code"))
        .filter_map(|r| Some(((r.period_end.year(), r.breakdown_value.clone()?), r)))
        .collect()
}

fn number(s: &str) -> Option<f64> {
    s.parse().ok()
}

#[test]
fn reproduces_dfe_published_rates_of_children_looked_after() {
    let rows = run();
    let ours = by_la_year(&rows, "CLA-rate");
    let (mut compared, mut matched) = (0, 0);
    let mut mismatches = Vec::new();
    for r in read("cla_number_and_rate_per_10k_children.csv") {
        if r["geographic_level"] != "Local authority"
            || r["population_type"] != "Children looked after on 31 March each year"
        {
            continue;
        }
        let Some(published) = number(&r["rate_per_10000"]) else { continue };
        let year: i32 = r["time_period"].parse().unwrap();
        let Some(value) = ours.get(&(year, r["old_la_code"].clone())).and_then(|row| row.value) else {
            mismatches.push(format!("{year} {}: no value, DfE publishes {published}", r["la_name"]));
            continue;
        };
        compared += 1;
        if value.round() == published {
            matched += 1;
        } else {
            mismatches.push(format!("{year} {}: {value} vs {published}", r["la_name"]));
        }
    }
    println!("children looked after per 10,000: {matched} of {compared} LA-years match DfE's published rate_per_10000");
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert!(compared >= 750, "only {compared} LA-years compared");
}

#[test]
fn children_in_need_per_10000_from_b1_and_the_previous_mid_year() {
    let rows = run();
    let ours = by_la_year(&rows, "CIN-rate");
    let population: HashMap<(i32, String), f64> = read("ons_mid-year_population_estimates_2012_to_2024.csv")
        .into_iter()
        .filter(|r| r["geographic_level"] == "Local authority")
        .filter_map(|r| {
            Some(((r["time_period"].parse().ok()?, r["old_la_code"].clone()), number(&r["population_estimate"])?))
        })
        .collect();
    let mut checked = 0;
    for r in read("b1_children_in_need_2013_to_2025.csv") {
        if r["geographic_level"] != "Local authority" {
            continue;
        }
        let year: i32 = r["time_period"].parse().unwrap();
        let key = (year, r["old_la_code"].clone());
        let expected = number(&r["At31_episodes"])
            .zip(population.get(&(year - 1, key.1.clone())).filter(|p| **p > 0.0))
            .map(|(count, pop)| count / pop * 10_000.0);
        let got = ours.get(&key).and_then(|row| row.value);
        match (expected, got) {
            (Some(e), Some(g)) => {
                assert!((e - g).abs() < 1e-9, "{year} {}: expected {e}, got {g}", r["la_name"]);
                checked += 1;
            }
            (None, None) => {}
            // An LA without its own mid-year for that year falls back to its latest earlier one.
            (None, Some(_)) => assert!(number(&r["At31_episodes"]).is_some(), "{year} {}", r["la_name"]),
            (Some(e), None) => panic!("{year} {}: expected {e}, got nothing", r["la_name"]),
        }
    }
    println!(
        "children in need per 10,000: {checked} LA-years equal At31_episodes / mid-year (T-1) population × 10,000"
    );
    assert!(checked >= 1900, "only {checked} LA-years checked");
}
