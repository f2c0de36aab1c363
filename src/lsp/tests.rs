use super::complete;
use super::hover;
use super::workspace::Workspace;
use crate::check::resolution::Target;
use std::path::PathBuf;

const SOURCES: &str = r#"source referrals "Referrals to children's social care" {
  referral_id    text   key
  child_id       text
  referral_date  date?
}

population children_0_17 from population where age_group = "0-17"

source population {
  area_code   text
  year        int
  age_group   text
  population  int
}
"#;

const MEASURES: &str = r#"measure repeat_referrals {
  ref      "3.2"
  title    "% of referrals which are repeat referrals"
  percent of referrals
  in period by referral_date
  meeting  exists referrals as earlier
             where earlier.child_id = child_id
               and earlier.referral_date >= add_months(referral_date, -12)
               and earlier.referral_date < referral_date
  polarity low
}
"#;

/// A workspace of two open files in a folder that is not on disk.
fn workspace(measures: &str) -> (Workspace, PathBuf, PathBuf) {
    let folder = PathBuf::from("/nonexistent-scorebook-project");
    let (sources, rules) = (folder.join("sources.ind"), folder.join("measures.ind"));
    let mut w = Workspace::default();
    w.open.insert(sources.clone(), SOURCES.into());
    w.open.insert(rules.clone(), measures.into());
    (w, sources, rules)
}

fn offset_of(text: &str, needle: &str, nth: usize) -> usize {
    text.match_indices(needle).nth(nth).map(|(i, _)| i).expect("needle in text")
}

#[test]
fn names_resolve_to_their_definitions_across_files() {
    let (mut w, sources, rules) = workspace(MEASURES);
    let a = w.analysis(&rules);
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    let file = a.file_id(&rules).unwrap();
    // `earlier.child_id`: the column of the aliased source, defined in sources.ind.
    let at = offset_of(MEASURES, "earlier.child_id", 0) + "earlier.".len() + 2;
    let o = a.index.at(file, at).unwrap();
    assert_eq!(o.target, Target::Column { table: "referrals".into(), name: "child_id".into() });
    let def = a.index.definition(&o.target).unwrap();
    assert_eq!(a.files.get(def.span.file).path, sources);
    assert_eq!(&SOURCES[def.span.start..def.span.end], "child_id");
    // The alias itself is defined at `as earlier`.
    let o = a.index.at(file, offset_of(MEASURES, "earlier.referral_date", 0)).unwrap();
    assert!(matches!(&o.target, Target::Alias { name, source, .. } if name == "earlier" && source == "referrals"));
    assert_eq!(a.index.definition(&o.target).unwrap().span.start, offset_of(MEASURES, "earlier", 0));
    // Every use of referral_date: the declaration, `in period by`, and four in the condition.
    let target = Target::Column { table: "referrals".into(), name: "referral_date".into() };
    assert_eq!(a.index.references(&target).count(), 6);
    // A function call.
    let o = a.index.at(file, offset_of(MEASURES, "add_months", 0)).unwrap();
    assert_eq!(o.target, Target::Function("add_months".into()));
}

#[test]
fn hovers_say_what_a_name_is() {
    let (mut w, _, rules) = workspace(MEASURES);
    let a = w.analysis(&rules);
    let text = hover::of_target(a, &Target::Measure("repeat_referrals".into())).unwrap();
    assert!(text.starts_with("**3.2** % of referrals which are repeat referrals — `repeat_referrals`"), "{text}");
    assert!(text.contains("% of `referrals` rows with `referral_date` in the period meeting exists referrals as earlier where earlier.child_id = child_id"), "{text}");
    assert!(text.contains("- unit: percent\n- polarity: low is good"), "{text}");
    let column =
        hover::of_target(a, &Target::Column { table: "referrals".into(), name: "referral_date".into() }).unwrap();
    assert_eq!(column, "column `referral_date` of `referrals`: date, may be missing");
    let key = hover::of_target(a, &Target::Column { table: "referrals".into(), name: "referral_id".into() }).unwrap();
    assert_eq!(key, "column `referral_id` of `referrals`: text, always present, key");
    let f = hover::of_target(a, &Target::Function("add_months".into())).unwrap();
    assert!(f.starts_with("```\nadd_months(date, months)\n```"), "{f}");
    let source = hover::of_target(a, &Target::Source("referrals".into())).unwrap();
    assert!(source.starts_with("source `referrals`: Referrals to children's social care"), "{source}");
    assert!(source.contains("`referral_date` date?"), "{source}");
    let population = hover::of_target(a, &Target::Population("children_0_17".into())).unwrap();
    assert_eq!(population, "population `children_0_17`: from `population` where age_group = \"0-17\"");
}

/// While another measure has an error (the usual state while typing), a measure's hover still
/// gives its ref, title, unit, polarity and target from its own clauses.
#[test]
fn a_hover_keeps_what_the_measure_says_while_the_file_has_an_error_elsewhere() {
    let broken =
        format!("{MEASURES}\nmeasure typing {{\n  ref \"9\"\n  count referrals\n  where no_such_column = 1\n}}\n")
            .replace("  polarity low\n", "  polarity low\n  target   12.5%\n");
    let (mut w, _, rules) = workspace(&broken);
    let a = w.analysis(&rules);
    assert!(!a.diagnostics.is_empty(), "the other measure has an error");
    let text = hover::of_target(a, &Target::Measure("repeat_referrals".into())).unwrap();
    assert!(text.starts_with("**3.2** % of referrals which are repeat referrals — `repeat_referrals`"), "{text}");
    assert!(text.contains("- unit: percent\n- polarity: low is good\n- target: 12.5%"), "{text}");
    let typing = hover::of_target(a, &Target::Measure("typing".into())).unwrap();
    assert!(typing.starts_with("**9** — `typing`"), "{typing}");
    assert!(typing.contains("- unit: count"), "{typing}");
}

#[test]
fn completion_offers_what_fits_the_place() {
    let half = MEASURES.replace("in period by referral_date", "in period by ");
    let (mut w, _, rules) = workspace(&half);
    let a = w.analysis(&rules);
    let file = a.file_id(&rules).unwrap();
    let labels =
        |offset: usize| -> Vec<String> { complete::at(a, file, offset).into_iter().map(|i| i.label).collect() };
    let after_by = offset_of(&half, "in period by ", 0) + "in period by ".len();
    assert_eq!(labels(after_by), ["referral_id", "child_id", "referral_date"]);
    let after_polarity = offset_of(&half, "polarity ", 0) + "polarity ".len();
    assert_eq!(labels(after_polarity), ["high", "low", "in_line_with_benchmark", "none"]);
    let after_percent = offset_of(&half, "percent of ", 0) + "percent of ".len();
    assert_eq!(labels(after_percent), ["referrals", "population"]);
    let after_alias = offset_of(&half, "earlier.child_id", 0) + "earlier.".len();
    assert_eq!(labels(after_alias), ["referral_id", "child_id", "referral_date"]);
    let in_condition = offset_of(&half, "add_months", 0);
    let offered = labels(in_condition);
    assert!(offered.contains(&"child_id".to_string()) && offered.contains(&"working_days".to_string()), "{offered:?}");
    let line_start = offset_of(&half, "  polarity", 0) + 2;
    assert!(labels(line_start).contains(&"in period by".to_string()));
}

#[test]
fn a_half_typed_file_still_resolves_what_parses() {
    let (mut w, _, rules) = workspace("measure broken {\n  count referrals\n  where\n");
    let a = w.analysis(&rules);
    assert!(a.diagnostics.iter().any(|d| d.is_error()));
    assert!(a.project.is_none());
    // The sources file still parsed, and its names are indexed.
    assert!(a.index.definition(&Target::Source("referrals".into())).is_some());
}

const REACH: &str = r#"source requests {
  request_id    text      key
  child_id      text?
  requested_at  datetime  format "dd/mm/yyyy hh:mm"
  previous earlier by child_id order by requested_at
  let requested_on = date(requested_at)
}

measure repeats {
  ref      "R1"
  percent of requests
  in period by requested_on
  meeting  earlier.requested_at is not missing
  polarity low
}

measure waits {
  ref "R2"
  percentile 90 hours_between(earlier.requested_at, requested_at) of requests
  hidden
}
"#;

#[test]
fn named_values_adjacent_rows_and_date_times_resolve_hover_and_complete() {
    let (mut w, _, rules) = workspace(REACH);
    let a = w.analysis(&rules);
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    let file = a.file_id(&rules).unwrap();
    // `in period by requested_on`: the named value, defined on its `let`.
    let at = offset_of(REACH, "in period by requested_on", 0) + "in period by ".len() + 2;
    let o = a.index.at(file, at).unwrap();
    assert_eq!(o.target, Target::Named { source: "requests".into(), name: "requested_on".into() });
    let def = a.index.definition(&o.target).unwrap();
    assert_eq!(def.span.start, offset_of(REACH, "requested_on = ", 0));
    let at = offset_of(REACH, "earlier.requested_at is", 0) + 2;
    let o = a.index.at(file, at).unwrap();
    assert_eq!(o.target, Target::Adjacent { table: "requests".into(), name: "earlier".into() });
    assert!(a.index.definition(&o.target).is_some());
    let hover = hover::of_target(a, &o.target).unwrap();
    assert!(hover.contains("just before this one in `requested_at` order"), "{hover}");
    let target = Target::Named { source: "requests".into(), name: "requested_on".into() };
    let hover = hover::of_target(a, &target).unwrap();
    assert!(hover.contains("named value `requested_on` of `requests` (a date)"), "{hover}");
    assert!(hover.contains("let requested_on = date(requested_at)"), "{hover}");
    let hover = hover::of_target(a, &Target::Function("hours_between".into())).unwrap();
    assert!(hover.contains("hours_between(from, to)"), "{hover}");
    let hover = hover::of_target(a, &Target::Measure("waits".into())).unwrap();
    assert!(hover.contains("percentile 90 of hours_between"), "{hover}");
    assert!(hover.contains("hidden"), "{hover}");
    let hover = hover::of_target(a, &Target::Column { table: "requests".into(), name: "requested_at".into() });
    assert!(hover.unwrap().contains("datetime"));

    // Completion, while the file being typed does not parse: a column's type in a source, an
    // adjacent row's columns, the named values with the columns.
    let (source_text, measure_text) = REACH.split_at(offset_of(REACH, "measure repeats", 0));
    let folder = PathBuf::from("/nonexistent-scorebook-project");
    let (sources, rules) = (folder.join("sources.ind"), folder.join("measures.ind"));
    let typing = source_text.replace("  child_id      text?\n", "  child_id      \n");
    let mut w = Workspace::default();
    w.open.insert(sources.clone(), typing.clone());
    w.open.insert(rules.clone(), measure_text.into());
    let a = w.analysis(&sources);
    let file = a.file_id(&sources).unwrap();
    let offered: Vec<String> =
        complete::at(a, file, offset_of(&typing, "child_id      \n", 0) + 14).into_iter().map(|i| i.label).collect();
    assert!(offered.contains(&"datetime".to_string()), "{offered:?}");

    let typing = measure_text.replace("meeting  earlier.requested_at is not missing", "meeting  earlier.");
    let mut w = Workspace::default();
    w.open.insert(sources, source_text.into());
    w.open.insert(rules.clone(), typing.clone());
    let a = w.analysis(&rules);
    let file = a.file_id(&rules).unwrap();
    let labels =
        |offset: usize| -> Vec<String> { complete::at(a, file, offset).into_iter().map(|i| i.label).collect() };
    let after_adjacent = offset_of(&typing, "earlier.\n", 0) + "earlier.".len();
    assert!(labels(after_adjacent).contains(&"requested_at".to_string()), "{:?}", labels(after_adjacent));
    let offered = labels(offset_of(&typing, "earlier.\n", 0));
    for wanted in ["requested_on", "seconds_between", "greatest", "date"] {
        assert!(offered.contains(&wanted.to_string()), "{wanted}: {offered:?}");
    }
}

#[test]
fn a_versions_clauses_resolve_and_the_hover_lists_each_version() {
    let versioned = MEASURES.replace(
        "  polarity low\n}",
        "  polarity low\n  version 2 from 2014-04-01 \"A referral with no child left out\" {\n    where child_id is not missing\n  }\n}",
    );
    let (mut w, _, rules) = workspace(&versioned);
    let a = w.analysis(&rules);
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    let file = a.file_id(&rules).unwrap();
    // `child_id` in the version's clause is the source's column.
    let at = offset_of(&versioned, "where child_id is", 0) + "where ".len() + 1;
    let o = a.index.at(file, at).unwrap();
    assert_eq!(o.target, Target::Column { table: "referrals".into(), name: "child_id".into() });
    let hover = hover::of_target(a, &Target::Measure("repeat_referrals".into())).unwrap();
    assert!(
        hover.contains(
            "- version 2 from 2014-04-01: A referral with no child left out (`where child_id is not missing`)"
        ),
        "{hover}"
    );
    // `version` is offered where a clause may stand.
    let at = offset_of(&versioned, "  polarity low", 0);
    let labels: Vec<String> = complete::at(a, file, at).into_iter().map(|c| c.label).collect();
    assert!(labels.iter().any(|l| l == "version"), "{labels:?}");
}
