//! Standardised figures (`examples/public-health`): every figure of the book — events,
//! population, DSR and Dobson's limits; observed, expected, ISR and ISRate with exact and
//! Byar's limits; at 95% and 99.8% — computed here from the generated deaths, populations and
//! England's rates, independently of scorebook, and compared with `run`;
//! PHEindicatormethods' published worked example reproduced from case-level rows; and the
//! refusal of a band without population.

use assert_cmd::Command;
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;

mod common;
use common::{number, run_csv as run};
#[path = "common/funnel_rates.rs"]
mod funnel_rates;
#[path = "common/public_health.rs"]
mod public_health;
use public_health::{Death, ESP2013};

const RULES: &str = "examples/public-health";

fn close(got: Option<f64>, want: Option<f64>, at: &str) {
    match (got, want) {
        (Some(g), Some(w)) => assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{at}: got {g}, want {w}"),
        (g, w) => assert_eq!(g, w, "{at}"),
    }
}

/// The financial year's first day for a period ending on `end`.
fn year_start(end: NaiveDate) -> NaiveDate {
    let year = if end.month() >= 4 { end.year() } else { end.year() - 1 };
    NaiveDate::from_ymd_opt(year, 4, 1).unwrap()
}

#[test]
fn standardised_figures_and_their_limits_match_an_independent_reckoning() {
    let mut compared = 0;
    let mut exact = 0;
    let mut funnels = 0;
    let mut od_periods = HashMap::new();
    // Many deaths, and few: months of fewer than 10 (no DSR; the ISR's exact limits).
    for (deaths, seed) in [(4_000, 11), (250, 12)] {
        compared_on(deaths, seed, &mut compared, &mut exact, &mut funnels, &mut od_periods);
    }
    // PH.6: periods whose practices are over-dispersed (widened limits), and periods whose are not.
    println!("PH.6: {od_periods:?} periods with (true) and without (false) widened limits");
    assert!(od_periods.get(&true).copied().unwrap_or(0) > 0 && od_periods.get(&false).copied().unwrap_or(0) > 0);
    assert!(funnels > 5, "{funnels} practices outside the funnel's limits");
    println!("{compared} rows of standardised figures match the independent reckoning ({exact} exact limits)");
    assert!(compared > 200);
    assert!(exact > 10, "{exact} rows with exact limits");
}

/// A practice of PH.6 in one period: its deaths at home x of n, the whole's proportion, its row.
type PracticeUnit<'r> = (f64, f64, f64, &'r HashMap<String, String>);

fn compared_on(
    deaths: usize,
    seed: u64,
    compared: &mut usize,
    exact: &mut usize,
    funnels: &mut usize,
    od_periods: &mut HashMap<bool, usize>,
) {
    let (z95, z998) = (public_health::z(95.0), public_health::z(99.8));
    let dir = tempfile::tempdir().unwrap();
    let generated = public_health::generate(dir.path(), deaths, seed);
    for (confidence, config) in [(95.0, None), (99.8, Some("[statistics]\nconfidence = 99.8\n"))] {
        let z = public_health::z(confidence);
        let mut args = Vec::new();
        let config_path = dir.path().join("scorebook.toml");
        if let Some(text) = config {
            std::fs::write(&config_path, text).unwrap();
            args.extend(["--config".to_string(), config_path.to_str().unwrap().to_string()]);
        }
        for as_of in ["2012-09-30", "2013-11-15", "2014-03-31"] {
            let mut all = args.clone();
            all.extend(["--as-of".to_string(), as_of.to_string()]);
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
            let (rows, _) = run(RULES, dir.path(), &all);
            assert!(!rows.is_empty());
            // PH.6's practices, by period: (x, n, av) and the row.
            let mut over_dispersed: HashMap<String, Vec<PracticeUnit>> = HashMap::new();
            for r in &rows {
                let end: NaiveDate = r["period_end"].parse().unwrap();
                // Both measures are cumulative from the financial year's start.
                let start = year_start(end);
                let at = format!("{} {} as of {as_of} at {confidence}%", r["ref"], r["period_label"]);
                let want = match r["ref"].as_str() {
                    "PH.1" => generated.dsr(start, end, start.year(), 19, |_| true, z),
                    "PH.2" => generated.dsr(start, end, start.year(), 15, |d: &Death| d.cause == "cvd", z),
                    "PH.3" | "PH.4" => {
                        let (per, rate) = if r["ref"] == "PH.3" { (100.0, false) } else { (100_000.0, true) };
                        let want = generated.isr(start, end, start.year(), "cvd", per, rate, confidence, z);
                        close(number(r, "numerator"), Some(want.observed), &at);
                        close(number(r, "denominator"), Some(want.expected), &at);
                        close(number(r, "value"), Some(want.value), &at);
                        close(number(r, "ci_low"), Some(want.low), &at);
                        close(number(r, "ci_high"), Some(want.high), &at);
                        *exact += usize::from(want.observed < 10.0);
                        *compared += 1;
                        continue;
                    }
                    "PH.5" | "PH.6" => {
                        // Deaths at home or in a care home, by practice, each practice a unit
                        // of a funnel around all the deaths (with or without a practice).
                        let in_window = |d: &&Death| d.date >= start && d.date <= end;
                        let at_home = |d: &&&Death| matches!(d.place.as_deref(), Some("home" | "care home"));
                        let all: Vec<&Death> = generated.deaths.iter().filter(in_window).collect();
                        let unit: Vec<&Death> = match r["breakdown"].as_str() {
                            "" => all.clone(),
                            _ => all
                                .iter()
                                .copied()
                                .filter(|d| d.practice.as_deref().unwrap_or("") == r["breakdown_value"])
                                .collect(),
                        };
                        let (x, n) = (unit.iter().filter(at_home).count() as f64, unit.len() as f64);
                        close(number(r, "numerator"), Some(x), &at);
                        close(number(r, "denominator"), Some(n), &at);
                        close(number(r, "value"), (n > 0.0).then(|| 100.0 * x / n), &at);
                        let av = all.iter().filter(at_home).count() as f64 / all.len() as f64;
                        if r["ref"] == "PH.6" {
                            if !r["breakdown_value"].is_empty() {
                                over_dispersed.entry(r["period_label"].clone()).or_default().push((x, n, av, r));
                            } else {
                                assert_eq!(r["funnel"], "", "{at}");
                            }
                            *compared += 1;
                            continue;
                        }
                        let want = match r["breakdown_value"].as_str() {
                            "" => "",
                            _ if n == 0.0 => "",
                            _ => public_health::funnel_label(x, n, av, z95, z998),
                        };
                        assert_eq!(r["funnel"], want, "{at} {}", r["breakdown_value"]);
                        // PH.5's RAG rules read the label.
                        let rag = match want {
                            "" => "",
                            "Low (0.001)" => "red",
                            "Low (0.025)" => "amber",
                            _ => "green",
                        };
                        assert_eq!(r["rag"], rag, "{at} {}", r["breakdown_value"]);
                        *funnels += usize::from(!want.is_empty() && want != "Not significant");
                        *compared += 1;
                        continue;
                    }
                    other => panic!("unexpected measure {other}"),
                };
                close(number(r, "numerator"), Some(want.events), &at);
                close(number(r, "denominator"), Some(want.population), &at);
                close(number(r, "value"), want.value, &at);
                close(number(r, "ci_low"), want.low, &at);
                close(number(r, "ci_high"), want.high, &at);
                *compared += 1;
            }
            // PH.6: the practices of each period judged together, by this file's reckoning of
            // FunnelPlotR's winsorised limits, or PH.5's where they are not over-dispersed.
            for (period, units) in over_dispersed {
                let usable: Vec<_> = units.iter().filter(|(_, n, _, _)| *n > 0.0).collect();
                let od: Vec<public_health::OdUnit> =
                    usable.iter().map(|(x, n, av, _)| public_health::OdUnit::proportion(*x, *n, *av)).collect();
                let labels = public_health::overdispersed_labels(&od, false, z95, z998);
                *od_periods.entry(labels.is_some()).or_default() += 1;
                for (k, (x, n, av, r)) in usable.iter().enumerate() {
                    let want = match &labels {
                        Some(labels) => labels[k],
                        None => public_health::funnel_label(*x, *n, *av, z95, z998),
                    };
                    assert_eq!(r["funnel"], want, "PH.6 {period} as of {as_of} {}", r["breakdown_value"]);
                }
                for (_, _, _, r) in units.iter().filter(|(_, n, _, _)| *n == 0.0) {
                    assert_eq!(r["funnel"], "", "PH.6 {period} {}", r["breakdown_value"]);
                }
            }
        }
    }
}

/// The rules of PHEindicatormethods' DSR vignette: one area's deaths and population in the
/// nineteen bands, as rows.
const VIGNETTE_RULES: &str = r#"
source deaths {
  death_id       text key
  date_of_death  date
  age_band       text
}
source population {
  year        int
  age_group   text
  population  int
}
population residents from population
measure dsr {
  ref "DSR"
  count deaths in period by date_of_death
  per 100000 residents standardised by age_band using esp2013
}
"#;

/// PHEindicatormethods' DSR vignette ("zero deaths for a specific age band within a small
/// geography") publishes, for these populations and deaths by band, a DSR of 8283.016 with
/// 95% limits 6570.819 and 10289.65 (`phe_dsr(df3, dths, pop)`): the same from case-level
/// rows, to the digits printed. Its 99.8% limits are not printed; they are checked against
/// this file's own reckoning.
#[test]
fn the_published_worked_example_is_reproduced_from_case_level_rows() {
    let dir = tempfile::tempdir().unwrap();
    let people = [30, 35, 35, 35, 40, 40, 45, 50, 50, 50, 60, 60, 70, 75, 70, 60, 20, 20, 15];
    let deaths: HashMap<&str, usize> = [
        ("0-4", 1),
        ("5-9", 1),
        ("25-29", 1),
        ("30-34", 1),
        ("35-39", 3),
        ("40-44", 3),
        ("45-49", 3),
        ("50-54", 3),
        ("55-59", 10),
        ("60-64", 10),
        ("65-69", 10),
        ("70-74", 10),
        ("75-79", 8),
        ("80-84", 8),
        ("85-89", 8),
        ("90+", 8),
    ]
    .into();
    let mut pop = String::from("year,age_group,population\n");
    let mut rows = String::from("death_id,date_of_death,age_band\n");
    let mut id = 0;
    for ((band, _), n) in ESP2013.iter().zip(people) {
        pop.push_str(&format!("2012,{band},{n}\n"));
        for k in 0..deaths.get(band).copied().unwrap_or(0) {
            id += 1;
            rows.push_str(&format!("d{id},2012-{:02}-15,{band}\n", 4 + k % 9));
        }
    }
    std::fs::write(dir.path().join("population.csv"), pop).unwrap();
    std::fs::write(dir.path().join("deaths.csv"), rows).unwrap();
    let rules = dir.path().join("dsr.ind");
    std::fs::write(&rules, VIGNETTE_RULES).unwrap();
    let rules = rules.to_str().unwrap();

    let year = |rows: &[HashMap<String, String>]| {
        rows.iter().find(|r| r["period_label"] == "2012-13").cloned().expect("the year's row")
    };
    let (at95, _) = run(rules, dir.path(), &["--as-of", "2013-09-30"]);
    let r = year(&at95);
    assert_eq!(number(&r, "numerator"), Some(88.0));
    assert_eq!(number(&r, "denominator"), Some(860.0));
    for (column, published) in [("value", 8283.016), ("ci_low", 6570.819), ("ci_high", 10289.65)] {
        let got = number(&r, column).unwrap();
        assert!((got - published).abs() / published < 5e-7, "{column}: {got} against the published {published}");
    }

    let config = dir.path().join("scorebook.toml");
    std::fs::write(&config, "[statistics]\nconfidence = 99.8\n").unwrap();
    let (at998, _) = run(rules, dir.path(), &["--as-of", "2013-09-30", "--config", config.to_str().unwrap()]);
    let r = year(&at998);
    let events: Vec<f64> = ESP2013.iter().map(|(b, _)| deaths.get(b).copied().unwrap_or(0) as f64).collect();
    let people: Vec<f64> = people.iter().map(|&p| f64::from(p)).collect();
    let weights: Vec<f64> = ESP2013.iter().map(|(_, w)| *w).collect();
    let want = public_health::dsr(&events, &people, &weights, 100_000.0, public_health::z(99.8));
    close(number(&r, "value"), want.value, "99.8% value");
    close(number(&r, "ci_low"), want.low, "99.8% low");
    close(number(&r, "ci_high"), want.high, "99.8% high");
}

#[test]
fn fewer_than_ten_events_give_no_rate_and_age_groups_without_a_reference_rate_are_named() {
    let dir = tempfile::tempdir().unwrap();
    public_health::generate(dir.path(), 60, 5);
    let (rows, stderr) = run(RULES, dir.path(), &["--as-of", "2013-09-30"]);
    // The directly standardised rates; an indirectly standardised one has its exact limits.
    let direct = |r: &&HashMap<String, String>| r["ref"] == "PH.1" || r["ref"] == "PH.2";
    let few: Vec<&HashMap<String, String>> =
        rows.iter().filter(direct).filter(|r| number(r, "numerator").is_some_and(|n| n < 10.0)).collect();
    assert!(!few.is_empty(), "the generated deaths leave some periods with fewer than 10");
    for r in few {
        assert_eq!(r["value"], "", "{} {}", r["ref"], r["period_label"]);
        assert_eq!(r["ci_low"], "");
        assert!(stderr.contains(&format!("measure {}: fewer than 10 events in", r["ref"])), "{stderr}");
        assert!(stderr.contains(&r["period_label"]), "{stderr}");
    }
    let indirect =
        rows.iter().filter(|r| r["ref"] == "PH.3").filter(|r| number(r, "numerator").is_some_and(|n| n < 10.0));
    assert!(indirect.clone().count() > 0);
    for r in indirect {
        assert!(number(r, "value").is_some() && number(r, "ci_low").is_some(), "{r:?}");
    }
    assert!(!stderr.contains("measure PH.3: fewer"), "{stderr}");
    // The population's `0-17` row, which England's rates have no age group for, is said once.
    let said = "reference `england_cvd` gives no rate for age group \"0-17\" of population `residents` (from 2012-13)";
    assert_eq!(stderr.matches(said).count(), 1, "{stderr}");
    assert!(stderr.contains("so those people count in no expected events of PH.3, PH.4"), "{stderr}");
}

#[test]
fn a_band_without_population_refuses_the_run_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    public_health::generate(dir.path(), 500, 5);
    let path = dir.path().join("population.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let gapped: String = text.lines().filter(|l| !l.starts_with("2012,85-89,")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, gapped).unwrap();
    let out = Command::cargo_bin("scorebook")
        .unwrap()
        .args(["run", RULES, "--as-of", "2013-09-30", "--format", "csv", "--data"])
        .arg(dir.path())
        .assert()
        .failure();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("population `residents` gives age group \"85-89\" no positive figure for 2012-13"),
        "{stderr}"
    );
    assert!(stderr.contains("esp2013"), "{stderr}");
    assert!(stderr.contains("PH.1"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Funnels of rates (`tests/fixtures/funnel-rates`), each area a unit over its own population:
/// the crude rates' labels are PHEindicatormethods' published ones for its 40 test areas; each
/// area's DSR is reckoned here band by band, and its label from PHE's method with this test's
/// own Poisson limits (D = 100,000 × O / DSR, av = Σ O / Σ D, the unit's limits against av × D).
#[test]
fn rate_funnels_give_phes_published_labels() {
    let dir = tempfile::tempdir().unwrap();
    let areas = funnel_rates::generate(dir.path(), 5);
    let (rows, _) = run("tests/fixtures/funnel-rates", dir.path(), &["--as-of", "2021-03-31"]);
    let (z95, z998) = (public_health::z(95.0), public_health::z(99.8));
    let weights: Vec<f64> = ESP2013.iter().map(|(_, w)| *w).collect();
    let published_total: f64 = funnel_rates::PUBLISHED.iter().map(|r| f64::from(r.0)).sum();
    let mut periods: Vec<&str> = rows.iter().map(|r| r["period_label"].as_str()).collect();
    periods.sort();
    periods.dedup();
    let (mut labelled, mut empty) = (0, 0);
    for period in periods {
        for reference in ["FR.1", "FR.2", "FR.3", "FR.4"] {
            let units: Vec<_> = rows
                .iter()
                .filter(|r| r["ref"] == reference && r["period_label"] == period && !r["breakdown_value"].is_empty())
                .collect();
            assert_eq!(units.len(), 40, "{reference} {period}: every area, the one without deaths included");
            let events: f64 = units.iter().map(|r| number(r, "numerator").unwrap()).sum();
            let k = |r: &HashMap<String, String>| r["breakdown_value"][1..].parse::<usize>().unwrap() - 1;
            if reference == "FR.4" {
                // Each area's deaths against those expected at England's rates in the latest
                // year up to the period's mid-year, and PHE's ratio funnel: O against E (no
                // average, so periods without deaths are judged too).
                let end: NaiveDate = units[0]["period_end"].parse().unwrap();
                let mid_year = year_start(end).year();
                let (_, (x, n)) = funnel_rates::ENGLAND.iter().rev().find(|(y, _)| *y <= mid_year).unwrap();
                for r in &units {
                    let a = &areas[k(r)];
                    let o: f64 = if events == 0.0 { 0.0 } else { a.events.iter().sum() };
                    let e: f64 = (0..19).map(|b| a.people[b] * (f64::from(x[b]) / f64::from(n[b]))).sum();
                    let at = format!("{period} {}", r["breakdown_value"]);
                    close(number(r, "numerator"), Some(o), &at);
                    close(number(r, "denominator"), Some(e), &at);
                    close(number(r, "value"), Some(o / e * 100.0), &at);
                    assert_eq!(r["funnel"], poisson_label(o, e, z95, z998), "{at}");
                    labelled += 1;
                }
                continue;
            }
            if events == 0.0 {
                // No deaths in the period: nothing to judge.
                assert!(units.iter().all(|r| r["funnel"].is_empty()), "{reference} {period}");
                empty += 1;
                continue;
            }
            assert_eq!(events, published_total, "{reference} {period}");
            if reference != "FR.3" {
                for r in &units {
                    let label = funnel_rates::PUBLISHED[k(r)].2;
                    assert_eq!(r["funnel"], label, "{reference} {period} {}", r["breakdown_value"]);
                    // FR.1's RAG rules read the label: high rates red, low green.
                    if reference == "FR.1" {
                        let rag = match label {
                            "High (0.001)" | "High (0.025)" => "red",
                            "Low (0.001)" | "Low (0.025)" => "green",
                            _ => "amber",
                        };
                        assert_eq!(r["rag"], rag, "{period} {}", r["breakdown_value"]);
                    }
                    labelled += 1;
                }
                continue;
            }
            // The DSR of each area, and PHE's funnel of them.
            let dsrs: Vec<_> =
                areas.iter().map(|a| public_health::dsr(&a.events, &a.people, &weights, 100_000.0, z95)).collect();
            let d: Vec<Option<f64>> =
                dsrs.iter().map(|x| x.value.filter(|v| *v > 0.0).map(|v| 100_000.0 * x.events / v)).collect();
            let av = dsrs.iter().map(|x| x.events).sum::<f64>() / d.iter().flatten().sum::<f64>();
            for r in &units {
                let (x, d) = (&dsrs[k(r)], d[k(r)]);
                close(number(r, "value"), x.value, &format!("{period} {}", r["breakdown_value"]));
                let want = d.map(|d| poisson_label(x.events, av * d, z95, z998));
                assert_eq!(r["funnel"], want.unwrap_or(""), "{period} {}", r["breakdown_value"]);
                labelled += 1;
            }
        }
    }
    // The measure's own rows have no funnel label, so no RAG from rules that read one.
    assert!(rows.iter().filter(|r| r["ref"] == "FR.1" && r["breakdown_value"].is_empty()).all(|r| r["rag"].is_empty()));
    println!("{labelled} areas' funnel labels match, {empty} periods without deaths");
    let (od_applied, od_fallen_back) = rate_funnels_over_dispersed(&rows, &areas, z95, z998);
    println!("over-dispersed: {od_applied} periods with widened limits, {od_fallen_back} without");
    // PHE's 40 areas are over-dispersed wherever their deaths fall; periods without deaths are not.
    assert!(od_applied >= 2 * 3, "{od_applied}");
    assert!(od_fallen_back > 0, "{od_fallen_back}");
    // The month, the quarter and the year holding the deaths.
    assert!(labelled >= 4 * 40 * 3, "{labelled}");
    assert!(empty > 0);
}

/// FR.5 (crude rate) and FR.6 (SMR) with `overdispersed`: each area's deaths against those
/// expected (av × population, or at England's rates), judged by this file's own reckoning of
/// FunnelPlotR's SHMI method (`public_health::overdispersed_labels`), or by PHE's limits where
/// the areas are not over-dispersed. The periods with widened limits, and those without.
fn rate_funnels_over_dispersed(
    rows: &[HashMap<String, String>],
    areas: &[funnel_rates::Area],
    z95: f64,
    z998: f64,
) -> (usize, usize) {
    let mut periods: Vec<&str> = rows.iter().map(|r| r["period_label"].as_str()).collect();
    periods.sort();
    periods.dedup();
    let (mut applied, mut fallen_back) = (0, 0);
    for period in periods {
        for reference in ["FR.5", "FR.6"] {
            let units: Vec<_> = rows
                .iter()
                .filter(|r| r["ref"] == reference && r["period_label"] == period && !r["breakdown_value"].is_empty())
                .collect();
            assert_eq!(units.len(), 40, "{reference} {period}");
            let k = |r: &HashMap<String, String>| r["breakdown_value"][1..].parse::<usize>().unwrap() - 1;
            let events: f64 = units.iter().map(|r| number(r, "numerator").unwrap()).sum();
            let observed = |r: &HashMap<String, String>| -> f64 {
                if events == 0.0 {
                    0.0
                } else {
                    areas[k(r)].events.iter().sum()
                }
            };
            let expected: Vec<f64> = if reference == "FR.6" {
                let end: NaiveDate = units[0]["period_end"].parse().unwrap();
                let mid_year = year_start(end).year();
                let (_, (x, n)) = funnel_rates::ENGLAND.iter().rev().find(|(y, _)| *y <= mid_year).unwrap();
                units
                    .iter()
                    .map(|r| (0..19).map(|b| areas[k(r)].people[b] * (f64::from(x[b]) / f64::from(n[b]))).sum())
                    .collect()
            } else {
                let people: Vec<f64> = units.iter().map(|r| areas[k(r)].people.iter().sum()).collect();
                let av = events / people.iter().sum::<f64>();
                people.iter().map(|p| av * p).collect()
            };
            if expected.iter().all(|e| *e == 0.0) {
                assert!(units.iter().all(|r| r["funnel"].is_empty()), "{reference} {period}");
                continue;
            }
            let od: Vec<public_health::OdUnit> =
                units.iter().zip(&expected).map(|(r, &e)| public_health::OdUnit::ratio(observed(r), e)).collect();
            let want: Vec<&str> = match public_health::overdispersed_labels(&od, true, z95, z998) {
                Some(labels) => {
                    applied += 1;
                    labels
                }
                None => {
                    fallen_back += 1;
                    units.iter().zip(&expected).map(|(r, &e)| poisson_label(observed(r), e, z95, z998)).collect()
                }
            };
            for (r, want) in units.iter().zip(want) {
                assert_eq!(r["funnel"], want, "{reference} {period} {}", r["breakdown_value"]);
            }
        }
    }
    (applied, fallen_back)
}

/// PHE's funnel label of `o` events against `e` expected (`funnel_ratio_significance`): their
/// Poisson limits at 99.8% and 95% wholly above or below `e`.
fn poisson_label(o: f64, e: f64, z95: f64, z998: f64) -> &'static str {
    let (low95, high95) = public_health::poisson_limits(o, 95.0, z95);
    let (low998, high998) = public_health::poisson_limits(o, 99.8, z998);
    if low998 > e {
        "High (0.001)"
    } else if low95 > e {
        "High (0.025)"
    } else if high998 < e {
        "Low (0.001)"
    } else if high95 < e {
        "Low (0.025)"
    } else {
        "Not significant"
    }
}
