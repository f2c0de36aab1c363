//! The corpus of example files, run through every stage:
//! valid files check clean, format to the same AST and IR, and format idempotently;
//! each invalid file raises the diagnostic its name starts with, rendered as users see it.

use scorebook::diagnostics::{render, Code};
use scorebook::{format, project, syntax};
use std::path::{Path, PathBuf};

fn files_in(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ind"))
        .collect();
    files.sort();
    files
}

/// Each valid example is a project of its own; the shipped rules are one project.
fn valid_projects() -> Vec<Vec<PathBuf>> {
    let mut projects: Vec<Vec<PathBuf>> = files_in("tests/corpus/valid").into_iter().map(|f| vec![f]).collect();
    projects.push(files_in("rules"));
    projects.push(files_in("examples/dfe-benchmarks"));
    projects.push(files_in("examples/ssda903"));
    projects.push(files_in("examples/ambulance"));
    projects.push(files_in("examples/send"));
    projects.push(files_in("examples/public-health"));
    projects
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn format_text(path: &Path, text: &str) -> String {
    let module =
        syntax::parse(scorebook::span::FileId(0), text).unwrap_or_else(|d| panic!("{}: {d:?}", path.display()));
    format::format_module(&module, text)
}

#[test]
fn valid_files_check_without_problems() {
    for files in valid_projects() {
        let (sources, checked) = project::check_paths(&files).unwrap();
        let shown = render::render_all(&checked.diagnostics, &sources, render::Format::Human, false);
        assert!(checked.diagnostics.is_empty(), "{files:?}:\n{shown}");
        assert!(checked.project.is_some());
    }
}

#[test]
fn formatting_keeps_the_ast_and_is_idempotent() {
    for files in valid_projects() {
        for path in files {
            let text = read(&path);
            let before = syntax::parse(scorebook::span::FileId(0), &text).unwrap();
            let once = format_text(&path, &text);
            let after = syntax::parse(scorebook::span::FileId(0), &once).unwrap();
            assert_eq!(before.items, after.items, "{}: formatting changed the AST", path.display());
            let comments =
                |m: &syntax::ast::Module| m.comments.iter().map(|c| c.text.trim_end().to_string()).collect::<Vec<_>>();
            assert_eq!(
                comments(&before),
                comments(&after),
                "{}: formatting lost or reordered comments",
                path.display()
            );
            let twice = format_text(&path, &once);
            assert_eq!(once, twice, "{}: formatting is not idempotent", path.display());
        }
    }
}

fn as_refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect()
}

#[test]
fn formatting_keeps_the_checked_ir() {
    for files in valid_projects() {
        let originals: Vec<(String, String)> = files.iter().map(|p| (p.display().to_string(), read(p))).collect();
        let formatted: Vec<(String, String)> =
            files.iter().zip(&originals).map(|(p, (_, t))| (p.display().to_string(), format_text(p, t))).collect();
        let (_, before) = project::check_texts(&as_refs(&originals));
        let (_, after) = project::check_texts(&as_refs(&formatted));
        let (before, after) = (before.project.expect("valid"), after.project.expect("valid"));
        assert_eq!(before, after, "{files:?}: formatting changed the checked IR");
    }
}

#[test]
fn shipped_rules_are_formatted() {
    for dir in ["rules", "examples/dfe-benchmarks", "examples/ssda903", "examples/ambulance", "examples/send"] {
        for path in files_in(dir) {
            let text = read(&path);
            assert_eq!(
                format_text(&path, &text),
                text,
                "{} is not formatted; run `scorebook fmt {dir}`",
                path.display()
            );
        }
    }
}

#[test]
fn a_long_call_fills_each_line_with_its_arguments() {
    let text = "theme \"t\" {\n  measure m {\n    count distinct CHILD from episodes\n    by band = band(age(header.DOB, period_end), \"under 1\", 1, \"1 to 4\", 5, \"5 to 9\", 10, \"10 to 15\", 16, \"16 and over\")\n  }\n}\n";
    let formatted = format_text(Path::new("call.ind"), text);
    let by: Vec<&str> = formatted.lines().skip_while(|l| !l.trim_start().starts_with("by")).take(2).collect();
    assert_eq!(
        by,
        [
            "    by band = band(age(header.DOB, period_end), \"under 1\", 1, \"1 to 4\", 5, \"5 to 9\", 10, \"10 to 15\",",
            "                   16, \"16 and over\")",
        ],
        "{formatted}"
    );
}

#[test]
fn fmt_keeps_shipped_rules_and_long_conditions_within_100_columns() {
    let mut texts: Vec<(std::path::PathBuf, String)> = Vec::new();
    for dir in ["rules", "examples/dfe-benchmarks", "examples/ssda903", "examples/ambulance", "examples/send"] {
        texts.extend(files_in(dir).into_iter().map(|p| {
            let t = read(&p);
            (p, t)
        }));
    }
    let long = "source episodes \"Episodes\" {\n  CHILD text?\n  DECOM date?\n  DEC date?\n  RNE text?\n  LS text?\n  spans DECOM .. DEC\n}\n\
measure m {\n  ref \"1\"\n  title \"% of children looked after at the period end with 3 or more placements in the 12 months to the period end\"\n  percent of distinct CHILD from episodes\n  open at period end\n\
  where (exists episodes as o where o.CHILD = CHILD and o.DECOM <= add_months(period_end, -12) and o.RNE = \"S\") and LS = \"C2\" and RNE in (\"S\", \"P\", \"T\")\n\
  meeting (exists episodes as o where o.CHILD = CHILD and o.DECOM <= add_months(period_end, -12) and o.RNE = \"S\") or (count episodes as p where p.CHILD = CHILD and p.DECOM > add_months(period_end, -12)) >= 3\n\
  polarity none\n}\n";
    texts.push(("long.ind".into(), long.to_string()));
    for (path, text) in &texts {
        let formatted = format_text(path, text);
        for line in formatted.lines() {
            assert!(
                line.chars().count() <= 100,
                "{}: a line of {} columns:\n{line}",
                path.display(),
                line.chars().count()
            );
        }
        assert_eq!(format_text(path, &formatted), formatted, "{}: formatting twice changes it", path.display());
    }
    let formatted = format_text(Path::new("long.ind"), long);
    // Short conditions stay on one line; long ones break before `and`/`or`.
    assert!(
        formatted.contains("\n           and LS = \"C2\"\n           and RNE in (\"S\", \"P\", \"T\")\n"),
        "{formatted}"
    );
    assert!(formatted.contains("\n           or (count episodes as p\n"), "{formatted}");
    // A long title is written as strings one after another, read back as the same title.
    assert!(
        formatted.contains("  title    \"% of children looked after at the period end with 3 or more placements in the 12 \"\n           \"months to the period end\"\n"),
        "{formatted}"
    );
    let (_, checked) = project::check_texts(&[("long.ind", formatted.as_str())]);
    let shown = format!("{:?}", checked.diagnostics);
    let title = &checked.project.unwrap_or_else(|| panic!("{shown}")).measures[0].title;
    assert_eq!(
        title,
        "% of children looked after at the period end with 3 or more placements in the 12 months to the period end"
    );
}

fn expected_code(path: &Path) -> Code {
    let stem = path.file_stem().unwrap().to_string_lossy();
    let code = stem.split('-').next().unwrap();
    Code::parse(code).unwrap_or_else(|| panic!("{}: name must start with a diagnostic code", path.display()))
}

#[test]
fn invalid_files_raise_their_diagnostic() {
    for path in files_in("tests/corpus/invalid") {
        let code = expected_code(&path);
        let (sources, checked) = project::check_paths(std::slice::from_ref(&path)).unwrap();
        let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
        assert!(codes.contains(&code), "{}: expected {code}, got {codes:?}", path.display());
        let rendered = render::render_all(&checked.diagnostics, &sources, render::Format::Human, false);
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(name, rendered);
    }
}

#[test]
fn every_code_has_an_invalid_example() {
    let covered: Vec<Code> = files_in("tests/corpus/invalid").iter().map(|p| expected_code(p)).collect();
    let missing: Vec<&str> =
        Code::ALL.iter().filter(|c| c.raised_by_check() && !covered.contains(c)).map(|c| c.as_str()).collect();
    assert!(missing.is_empty(), "codes without an example in tests/corpus/invalid: {missing:?}");
}

/// Each invalid file is named after what triggers its code (`SB306-nested-exists`): the code's
/// explanation, as `explain` prints it, must speak of that (every word of the name, a plural
/// or other ending aside), so the explanation matches what a user who hit the code wrote.
#[test]
fn every_code_explains_what_triggers_it_in_the_corpus() {
    const SMALL: &[&str] = &[
        "a", "an", "the", "of", "on", "in", "to", "for", "by", "no", "not", "with", "without", "after", "two", "is",
        "or", "and",
    ];
    let mut unexplained = Vec::new();
    for path in files_in("tests/corpus/invalid") {
        let code = expected_code(&path);
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = code.render_explanation().to_lowercase();
        let words: Vec<String> =
            text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect();
        for word in stem.split('-').skip(1).filter(|w| !SMALL.contains(w)) {
            let stem_of = |w: &str| w.chars().take(5.max(w.len().saturating_sub(2)).min(w.len())).collect::<String>();
            let wanted = stem_of(word);
            if !words.iter().any(|w| w.starts_with(&wanted)) {
                unexplained.push(format!("{stem}: `{word}`"));
            }
        }
    }
    assert!(
        unexplained.is_empty(),
        "explanations that do not speak of what triggers them:\n{}",
        unexplained.join("\n")
    );
}

/// docs/diagnostics.md is every code's explanation and example; `SCOREBOOK_UPDATE_DOCS=1`
/// rewrites it after a change to src/diagnostics/codes.rs.
#[test]
fn the_diagnostics_page_is_generated_from_the_codes() {
    let page = scorebook::diagnostics::reference_markdown();
    if std::env::var_os("SCOREBOOK_UPDATE_DOCS").is_some() {
        std::fs::write("docs/diagnostics.md", &page).unwrap();
    }
    let on_disk = std::fs::read_to_string("docs/diagnostics.md").unwrap_or_default();
    assert!(
        on_disk == page,
        "docs/diagnostics.md is out of date: run `SCOREBOOK_UPDATE_DOCS=1 cargo test --test corpus`"
    );
    for code in Code::ALL {
        assert!(page.contains(&format!("\n## {code}: ")), "{code} is not on the page");
    }
}

#[test]
fn each_measure_has_the_interval_of_its_kind_unless_it_says_otherwise() {
    use scorebook::ir::{IntervalMethod, IntervalSpec};
    let (_, checked) = project::check_paths(&[PathBuf::from("tests/corpus/valid/everything.ind")]).unwrap();
    let project = checked.project.unwrap();
    let spec = |name: &str| project.measures.iter().find(|m| m.name == name).unwrap().interval;
    // A rate: the count's Poisson interval, at the measure's own level.
    assert_eq!(spec("referrals_rate"), IntervalSpec { method: Some(IntervalMethod::Poisson), confidence: Some(99.0) });
    // A percentage: Wilson's, named, at 99.8%.
    assert_eq!(spec("repeat_share"), IntervalSpec { method: Some(IntervalMethod::Wilson), confidence: Some(99.8) });
    // `interval none`, and a maximum, which has none; a count without the clause: Poisson at
    // the project's level.
    assert_eq!(spec("quick_nfa"), IntervalSpec { method: None, confidence: None });
    assert_eq!(spec("max_caseload").method, None);
    assert_eq!(spec("open_episodes"), IntervalSpec { method: Some(IntervalMethod::Poisson), confidence: None });
}
