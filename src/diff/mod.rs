//! What changed between two revisions of a project's rules, measure by measure: each measure
//! classed from the checked IR (so a reformat or a comment is no change), with what changed
//! quoted from the rules in canonical form, and with data, what the change did to the numbers.
//!
//! The IR decides the class; the AST only words it. A measure's class is the weightiest of:
//! - `definition`: anything that can change a value — what it computes, its rows, window,
//!   breakdowns, unit, follow-up or year, a source, population, reference or calendar it reads
//!   (through lookups, subsets and related rows too), or a measure it is calculated from whose
//!   definition changed;
//! - `judgement`: polarity, target, RAG rules, benchmarks, interval, funnel;
//! - `metadata`: name, title, description, theme, precision, `hidden`, breakdown labels.

mod render;
pub mod revision;
mod values;
mod what;

pub use render::{to_json, to_markdown, to_text, COMMENT_LIMIT};
pub use values::{compare_values, PeriodChange, ValueChanges};

use crate::ir::{ExprKind, Measure, Project};
use crate::span::{FileId, SourceMap};
use crate::syntax::ast::Module;
use chrono::NaiveDate;
use std::collections::BTreeSet;

/// One revision of the rules, checked.
pub struct Revision {
    /// The revision as the user named it (`main`, `HEAD~1`), or `working tree`.
    pub name: String,
    /// The commit it resolved to; none for the working tree.
    pub commit: Option<String>,
    pub files: SourceMap,
    pub modules: Vec<(FileId, Module)>,
    pub project: Project,
}

/// How a measure changed, least to weightiest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    Unchanged,
    Metadata,
    Judgement,
    Definition,
    Added,
    Removed,
}

impl Change {
    pub const NAMES: &'static [&'static str] =
        &["unchanged", "metadata", "judgement", "definition", "added", "removed"];

    pub fn name(self) -> &'static str {
        Change::NAMES[self as usize]
    }

    pub fn parse(text: &str) -> Option<Change> {
        Some(match text {
            "unchanged" => Change::Unchanged,
            "metadata" => Change::Metadata,
            "judgement" => Change::Judgement,
            "definition" => Change::Definition,
            "added" => Change::Added,
            "removed" => Change::Removed,
            _ => return None,
        })
    }
}

/// One measure of either revision and how it changed.
pub struct MeasureDiff {
    pub reference: String,
    /// The head's title (the base's for a removed measure).
    pub title: String,
    pub change: Change,
    /// What changed, clause by clause: `meeting: <= 10 → <= 15`.
    pub what: Vec<String>,
    /// With data: the measure's values in both revisions, period by period.
    pub values: Option<ValueChanges>,
}

/// Every measure of the two revisions: the head's in its order, then those only the base has.
/// Measures are matched by ref, then by name (a ref changed is then a `metadata` change).
pub fn compare(base: &Revision, head: &Revision) -> Vec<MeasureDiff> {
    let mut matched: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    for h in &head.project.measures {
        let found = base
            .project
            .measures
            .iter()
            .position(|b| b.reference == h.reference)
            .or_else(|| base.project.measures.iter().position(|b| b.name == h.name))
            .filter(|i| !matched.contains(i));
        let Some(i) = found else {
            out.push(MeasureDiff {
                reference: h.reference.clone(),
                title: h.title.clone(),
                change: Change::Added,
                what: Vec::new(),
                values: None,
            });
            continue;
        };
        matched.push(i);
        let b = &base.project.measures[i];
        out.push(MeasureDiff {
            reference: h.reference.clone(),
            title: h.title.clone(),
            change: class(&base.project, &head.project, b, h),
            what: what::changed(base, head, b, h),
            values: None,
        });
    }
    for (i, b) in base.project.measures.iter().enumerate() {
        if !matched.contains(&i) {
            out.push(MeasureDiff {
                reference: b.reference.clone(),
                title: b.title.clone(),
                change: Change::Removed,
                what: Vec::new(),
                values: None,
            });
        }
    }
    out
}

/// The class of a measure present in both revisions.
fn class(base: &Project, head: &Project, b: &Measure, h: &Measure) -> Change {
    if defines_differently(base, head, b, h, &mut Vec::new()) {
        Change::Definition
    } else if judges_differently(b, h) {
        Change::Judgement
    } else if described_differently(b, h) || notes(b) != notes(h) {
        Change::Metadata
    } else {
        Change::Unchanged
    }
}

/// The versions' release notes.
fn notes(m: &Measure) -> Vec<&str> {
    m.versions.iter().map(|v| v.note.as_str()).collect()
}

/// A measure's definitions over time: each with the date it takes effect from (the first's
/// none), keeping only the versions whose definition `differs` from the one before.
fn timeline<'m>(m: &'m Measure, differs: &dyn Fn(&Measure, &Measure) -> bool) -> Vec<(Option<NaiveDate>, &'m Measure)> {
    let mut out: Vec<(Option<NaiveDate>, &Measure)> = vec![(None, m)];
    for v in &m.versions {
        if differs(out[out.len() - 1].1, &v.measure) {
            out.push((Some(v.from), &v.measure));
        }
    }
    out
}

/// Do two measures with versions differ over time: another date of a change, or a version
/// that `differs`?
fn differ_over_time(b: &Measure, h: &Measure, differs: &dyn Fn(&Measure, &Measure) -> bool) -> bool {
    let (x, y) = (timeline(b, differs), timeline(h, differs));
    x.len() != y.len() || x.iter().zip(&y).any(|((d, p), (e, q))| d != e || differs(p, q))
}

/// Can the two give different values, in any period? Their own definitions (version by
/// version), then what they read.
fn defines_differently(base: &Project, head: &Project, b: &Measure, h: &Measure, seen: &mut Vec<String>) -> bool {
    if !b.versions.is_empty() || !h.versions.is_empty() {
        let differs = |x: &Measure, y: &Measure| {
            let (x, y) = (Measure { versions: Vec::new(), ..x.clone() }, Measure { versions: Vec::new(), ..y.clone() });
            defines_differently(base, head, &x, &y, &mut seen.clone())
        };
        return differ_over_time(b, h, &differs);
    }
    fn breakdowns(m: &Measure) -> Vec<(&String, &crate::ir::Expr, &Vec<String>)> {
        m.breakdowns.iter().map(|x| (&x.name, &x.expr, &x.order)).collect()
    }
    if b.definition != h.definition
        || b.window != h.window
        || breakdowns(b) != breakdowns(h)
        || b.unit != h.unit
        || b.follow_up != h.follow_up
        || b.year != h.year
        || base.calendar != head.calendar
        || !inputs_changed(base, head, b).is_empty()
    {
        return true;
    }
    // The same definition reads the same measures: any of them defined differently?
    b.definition.measures_read().into_iter().any(|name| {
        if seen.contains(&name) {
            return false;
        }
        seen.push(name.clone());
        match (base.measure(&name), head.measure(&name)) {
            (Some(x), Some(y)) => defines_differently(base, head, x, y, seen),
            _ => true,
        }
    })
}

fn judges_differently(b: &Measure, h: &Measure) -> bool {
    if !b.versions.is_empty() || !h.versions.is_empty() {
        let differs = |x: &Measure, y: &Measure| x.target != y.target || x.rag != y.rag;
        return differ_over_time(b, h, &differs) || judges_differently(&b.pinned(1), &h.pinned(1));
    }
    b.polarity != h.polarity
        || b.target != h.target
        || b.rag != h.rag
        || b.benchmarks != h.benchmarks
        || b.interval != h.interval
        || b.funnel != h.funnel
}

fn described_differently(b: &Measure, h: &Measure) -> bool {
    let labels = |m: &Measure| m.breakdowns.iter().map(|x| x.label.clone()).collect::<Vec<_>>();
    b.name != h.name
        || b.reference != h.reference
        || b.title != h.title
        || b.description != h.description
        || b.theme != h.theme
        || b.precision != h.precision
        || b.hidden != h.hidden
        || labels(b) != labels(h)
}

/// What a measure reads that the two revisions declare differently: `source NAME`,
/// `population NAME`, `reference NAME`, in the base's order of reading.
fn inputs_changed(base: &Project, head: &Project, m: &Measure) -> Vec<Input> {
    let mut out = Vec::new();
    let (sources, populations, references) = inputs_of(base, m);
    // A source's description is words only.
    let declared =
        |p: &Project, name: &str| p.source(name).map(|s| crate::ir::Source { description: None, ..s.clone() });
    for s in sources {
        if declared(base, &s) != declared(head, &s) {
            out.push(Input::Source(s));
        }
    }
    for p in populations {
        let find = |x: &Project| x.populations.iter().find(|q| q.name == p).cloned();
        if find(base) != find(head) {
            out.push(Input::Population(p));
        }
    }
    for r in references {
        let find = |x: &Project| x.references.iter().find(|q| q.name == r).cloned();
        if find(base) != find(head) {
            out.push(Input::Reference(r));
        }
    }
    out
}

/// A declaration a measure reads.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Input {
    Source(String),
    Population(String),
    Reference(String),
}

/// The sources, populations and references a measure reads: its rows' source, the sources its
/// conditions' `exists` and related rows read, its population's and reference's sources, and
/// in turn every source those read (a subset's parent, lookups, named values' related rows).
fn inputs_of(project: &Project, m: &Measure) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut sources: Vec<String> = Vec::new();
    let mut populations = Vec::new();
    let mut references = Vec::new();
    let mut exprs = m.definition.exprs();
    exprs.extend(m.breakdowns.iter().map(|b| &b.expr));
    if let Some(rows) = m.definition.rows() {
        sources.push(rows.source.clone());
    }
    for e in exprs {
        related_sources(e, &mut sources);
    }
    if let crate::ir::Definition::Rate { population, .. } = &m.definition {
        if let Some(p) = project.populations.iter().find(|p| p.name == *population) {
            sources.push(p.source.clone());
            populations.push(p.name.clone());
        }
    }
    if let Some(x) = m.definition.indirect() {
        if let Some(r) = project.references.iter().find(|r| r.name == x.reference) {
            sources.push(r.source.clone());
            references.push(r.name.clone());
        }
    }
    // Every source a source read reads, until none is new.
    let mut i = 0;
    while i < sources.len() {
        if let Some(s) = project.source(&sources[i]) {
            let mut more: Vec<String> = s.lookups.iter().map(|l| l.source.clone()).collect();
            if let Some(sub) = &s.subset {
                more.push(sub.parent.clone());
                for e in sub.filters.iter().chain(&sub.exclusions) {
                    related_sources(e, &mut more);
                }
            }
            for n in &s.named {
                related_sources(&n.expr, &mut more);
            }
            for x in more {
                if !sources.contains(&x) {
                    sources.push(x);
                }
            }
        }
        i += 1;
    }
    let unique = |v: Vec<String>| v.into_iter().collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>();
    (sources, unique(populations), unique(references))
}

/// The sources an expression's `exists` and aggregates over related rows read.
fn related_sources(e: &crate::ir::Expr, out: &mut Vec<String>) {
    e.walk(&mut |x| match &x.kind {
        ExprKind::Exists { source, .. } | ExprKind::Related { source, .. } if !out.contains(source) => {
            out.push(source.clone());
        }
        _ => {}
    });
}

/// How many measures have each change, weightiest first, leaving out none.
pub fn counts(diffs: &[MeasureDiff]) -> Vec<(Change, usize)> {
    let order =
        [Change::Definition, Change::Judgement, Change::Metadata, Change::Added, Change::Removed, Change::Unchanged];
    order.iter().map(|&c| (c, diffs.iter().filter(|d| d.change == c).count())).filter(|(_, n)| *n > 0).collect()
}
