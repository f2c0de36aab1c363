//! Measures with versions (`tests/fixtures/versions/book.ind`), checked against the same
//! measures written out by hand, one plain book per set of definitions in force: each period of
//! the versioned run must equal, cell for cell, the plain book of the definitions in force at
//! the period's end; `definition_version` names that version; the direction is left unjudged
//! (judgement `definition_changed`) exactly where a version that computes differently (of the
//! measure or of one it is calculated from) took effect since the previous period.

use chrono::{Months, NaiveDate};
use scorebook::calendar::PeriodKind;
use scorebook::engine::{self, RunOptions};
use scorebook::judgement::Judgement;
use scorebook::project;
use scorebook::results::ResultRow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const BOOK: &str = "tests/fixtures/versions/book.ind";

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The fixture's measures as the definitions in force on `on` write them, with no versions.
fn plain_book(on: NaiveDate) -> String {
    let from = |d: &str| on >= day(d);
    let text = std::fs::read_to_string(BOOK).unwrap();
    let declarations = &text[..text.find("measure timely").unwrap()];
    let timescale = if from("2013-07-01") { 15 } else { 10 };
    let types = if from("2013-09-01") { r#"in ("initial", "combined")"# } else { r#"= "initial""# };
    let rag = if from("2013-07-01") {
        "green when value >= 75%, amber when value >= 55%, otherwise red"
    } else {
        "green when value >= 60%, amber when value >= 40%, otherwise red"
    };
    let nfa = if from("2013-08-01") { "excluding nfa" } else { "" };
    let repeats_target = if from("2013-06-01") { "15%" } else { "20%" };
    let since_april = if from("2013-06-01") { "cumulative from fy start" } else { "" };
    let per_assessment = if from("2013-08-01") { "referral_rate / timely" } else { "referrals_in_period / timely" };
    format!(
        r#"{declarations}
measure timely {{
  ref "V1"
  title "% initial assessments completed within the timescale"
  percent of assessments
  in period by completed_date
  where assessment_type {types}
  meeting working_days(start_date, completed_date) <= {timescale}
  polarity high
  rag {rag}
}}

measure referrals_in_period {{
  ref "V2"
  title "Referrals"
  count referrals
  in period by referral_date
  {nfa}
  polarity none
  by team
}}

measure referral_rate {{
  ref "V3"
  title "Referrals per 10,000 children"
  rate of referrals_in_period per 10000 children_0_17
  polarity low
  target 40
}}

measure repeats {{
  ref "V4"
  title "% of referrals within 12 months of an earlier one"
  percent of referrals
  in period by referral_date
  meeting exists referrals as earlier
    where earlier.child_id = child_id
      and earlier.referral_date < referral_date
      and earlier.referral_date >= add_months(referral_date, -12)
  polarity low
  target {repeats_target}
}}

measure referrals_since_april {{
  ref "V5"
  title "Referrals, months or since April"
  count referrals
  in period by referral_date
  {since_april}
  polarity none
}}

measure per_assessment {{
  ref "V6"
  title "Referrals per timely-assessment point"
  calculate {per_assessment}
  polarity none
}}
"#
    )
}

/// The version of each measure in force on `on`.
fn version(reference: &str, on: NaiveDate) -> u32 {
    let from = |d: &str| u32::from(on >= day(d));
    1 + match reference {
        "V1" => from("2013-07-01") + from("2013-09-01"),
        "V2" | "V3" | "V6" => from("2013-08-01"),
        "V4" | "V5" => from("2013-06-01"),
        other => panic!("{other}"),
    }
}

/// The dates from which each measure's values are computed differently: its own versions that
/// change more than its target or RAG rules, and those of the measures it is calculated from.
fn redefined(reference: &str) -> Vec<NaiveDate> {
    let dates: &[&str] = match reference {
        "V1" => &["2013-07-01", "2013-09-01"],
        "V2" | "V3" => &["2013-08-01"],
        "V4" => &[],
        "V5" => &["2013-06-01"],
        "V6" => &["2013-07-01", "2013-08-01", "2013-09-01"],
        other => panic!("{other}"),
    };
    dates.iter().map(|d| day(d)).collect()
}

/// The end of the period a row's direction compares it with.
fn previous_end(r: &ResultRow) -> NaiveDate {
    match r.period_kind {
        PeriodKind::Ytd => r.period_end.checked_sub_months(Months::new(12)).unwrap(),
        _ => r.period_start.pred_opt().unwrap(),
    }
}

fn run(project: &scorebook::ir::Project, data: &Path, as_of: &str) -> Vec<ResultRow> {
    let options = RunOptions { as_of: Some(day(as_of)), data_dir: Some(data.to_path_buf()), ..RunOptions::default() };
    engine::runtime().unwrap().block_on(engine::run(project, None, &options)).unwrap().rows
}

type Key = (String, String, Option<String>, Option<String>);

fn key(r: &ResultRow) -> Key {
    (r.reference.clone(), r.period_label.clone(), r.breakdown.clone(), r.breakdown_value.clone())
}

fn plain_rows(on: NaiveDate, data: &Path, as_of: &str) -> BTreeMap<Key, ResultRow> {
    let (_, checked) = project::check_texts(&[("book.ind", &plain_book(on))]);
    let project = checked.project.unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
    run(&project, data, as_of).into_iter().map(|r| (key(&r), r)).collect()
}

fn synth() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let opts = scorebook::synth::SynthOptions {
        children: 6_000,
        seed: 7,
        from: day("2011-04-01"),
        to: day("2014-03-31"),
        histories: Default::default(),
    };
    let tables = scorebook::synth::generate(&opts);
    scorebook::synth::write_tables(
        &tables,
        dir.path(),
        scorebook::synth::OutputFormat::Csv,
        scorebook::synth::Layout::Contract,
    )
    .unwrap();
    dir
}

#[test]
fn each_period_is_the_version_in_force_at_its_end() {
    let generated = synth();
    let versioned = project::check_paths(&[PathBuf::from(BOOK)]).unwrap().1.project.unwrap();
    let mut changed = 0;
    let mut compared = 0;
    for (data, as_of) in [
        (generated.path(), "2013-09-30"),
        (generated.path(), "2014-03-31"),
        (Path::new("tests/fixtures/edge"), "2013-09-30"),
    ] {
        let rows = run(&versioned, data, as_of);
        // One plain book per set of versions in force, keyed by the versions.
        let mut plain: BTreeMap<Vec<u32>, BTreeMap<Key, ResultRow>> = BTreeMap::new();
        for r in &rows {
            let state: Vec<u32> = ["V1", "V2", "V4"].iter().map(|m| version(m, r.period_end)).collect();
            let expected = plain.entry(state).or_insert_with(|| plain_rows(r.period_end, data, as_of));
            let want = expected.get(&key(r)).unwrap_or_else(|| panic!("the plain book has no row {:?}", key(r)));
            let at = format!("{:?} as of {as_of}", key(r));
            assert_eq!(r.definition_version, version(&r.reference, r.period_end), "{at}");
            assert_eq!(
                (r.numerator, r.denominator, r.value, r.target, r.rag),
                (want.numerator, want.denominator, want.value, want.target, want.rag),
                "{at}"
            );
            let from = previous_end(r);
            if redefined(&r.reference).iter().any(|&d| from < d && d <= r.period_end) {
                assert_eq!(r.direction, None, "{at}");
                // The previous period's own value, where the book reports that period too.
                let previous = rows.iter().find(|p| {
                    (&p.reference, p.period_kind, &p.breakdown, &p.breakdown_value, p.period_end)
                        == (&r.reference, r.period_kind, &r.breakdown, &r.breakdown_value, from)
                });
                match previous.map(|p| r.value.is_some() && p.value.is_some()) {
                    // Both values present: the change is named; one missing: nothing to compare.
                    Some(true) => {
                        assert_eq!(r.judgement, Some(Judgement::DefinitionChanged), "{at}");
                        changed += 1;
                    }
                    Some(false) => assert_eq!(r.judgement, Some(Judgement::NotComparable), "{at}"),
                    None => assert!(
                        matches!(r.judgement, Some(Judgement::DefinitionChanged | Judgement::NotComparable)),
                        "{at}: {:?}",
                        r.judgement
                    ),
                }
            } else {
                assert_eq!((r.direction, r.judgement), (want.direction, want.judgement), "{at}");
            }
            compared += 1;
        }
        assert_eq!(rows.len(), plain.values().next().unwrap().len(), "rows as of {as_of}");
    }
    eprintln!("{compared} rows equal the plain books; {changed} name the change of definition");
    assert!(changed >= 20, "{changed}");
}

#[test]
fn backcast_computes_every_period_with_the_latest_version() {
    let generated = synth();
    let mut versioned = project::check_paths(&[PathBuf::from(BOOK)]).unwrap().1.project.unwrap();
    versioned.backcast();
    let rows = run(&versioned, generated.path(), "2014-03-31");
    let latest = plain_rows(day("2099-01-01"), generated.path(), "2014-03-31");
    assert_eq!(rows.len(), latest.len());
    for r in &rows {
        let want = &latest[&key(r)];
        assert_eq!(r.definition_version, version(&r.reference, day("2099-01-01")), "{:?}", key(r));
        assert_eq!(ResultRow { definition_version: 1, ..r.clone() }, *want, "{:?}", key(r));
    }
}

/// The council rules with a version added to 2.1a: version 1's values for periods ending before
/// its date and version 2's from then on, each equal to running that version alone; every
/// other measure as before.
#[test]
fn a_version_of_a_council_measure_equals_each_version_run_alone() {
    let generated = synth();
    let timescale = "meeting   working_days(start_date, completed_date) <= 10\n    polarity  high\n    benchmark sn 79%, england 77%\n";
    let rules_with = |edit: &dyn Fn(&str) -> String| -> scorebook::ir::Project {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for e in std::fs::read_dir("rules").unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "ind") {
                let text = std::fs::read_to_string(&p).unwrap();
                let text = if p.ends_with("2-quality-of-practice.ind") { edit(&text) } else { text };
                let to = dir.path().join(p.file_name().unwrap());
                std::fs::write(&to, text).unwrap();
                paths.push(to);
            }
        }
        paths.sort();
        let checked = project::check_paths(&paths).unwrap().1;
        checked.project.unwrap_or_else(|| panic!("{:?}", checked.diagnostics))
    };
    let once = |text: &str, new: &str| {
        assert_eq!(text.matches(timescale).count(), 1);
        text.replacen(timescale, new, 1)
    };
    let versioned = rules_with(&|t| {
        once(
            t,
            &format!("{timescale}    version 2 from 2013-07-01 \"Timescale 10 to 15 working days\" {{\n      meeting working_days(start_date, completed_date) <= 15\n    }}\n"),
        )
    });
    let first = rules_with(&|t| t.to_string());
    let second = rules_with(&|t| once(t, &timescale.replace("<= 10", "<= 15")));
    for as_of in ["2013-09-30", "2014-03-31"] {
        let rows = run(&versioned, generated.path(), as_of);
        let alone: Vec<BTreeMap<Key, ResultRow>> = [&first, &second]
            .iter()
            .map(|p| run(p, generated.path(), as_of).into_iter().map(|r| (key(&r), r)).collect())
            .collect();
        assert_eq!(rows.len(), alone[0].len());
        let mut seen = [0, 0];
        for r in &rows {
            let v = if r.reference == "2.1a" && r.period_end >= day("2013-07-01") { 2 } else { 1 };
            let want = &alone[v as usize - 1][&key(r)];
            assert_eq!(r.definition_version, v, "{:?}", key(r));
            assert_eq!(
                (r.numerator, r.denominator, r.value),
                (want.numerator, want.denominator, want.value),
                "{:?}",
                key(r)
            );
            if r.reference == "2.1a" {
                seen[v as usize - 1] += 1;
            } else {
                assert_eq!(ResultRow { definition_version: 1, ..r.clone() }, *want, "{:?}", key(r));
            }
        }
        assert!(seen[0] >= 4 && seen[1] >= 4, "{seen:?}");
        // The two versions differ somewhere, or the comparison proves nothing.
        assert!(
            rows.iter().filter(|r| r.reference == "2.1a" && r.definition_version == 2).any(|r| {
                let k = key(r);
                alone[0][&k].value != alone[1][&k].value
            }),
            "version 2 changes no value as of {as_of}"
        );
    }
}
