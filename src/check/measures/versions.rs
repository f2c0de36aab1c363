//! A measure's later versions (`version 2 from 2013-07-01 "..." { ... }`). Each is checked as
//! the whole measure it defines: the clauses of the version before, with every kind of clause
//! the version writes replaced by what it writes. A version changes how the measure is
//! computed or judged, never what it is (its ref, title, unit, source, breakdowns).

use super::{Form, Parts};
use crate::check::{Checker, MeasureDecl};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir;
use crate::syntax::ast::{self, ClauseKind};
use std::collections::HashMap;

/// Clauses that say what the measure is, which every version shares.
fn is_the_measures_own(kind: &ClauseKind) -> bool {
    matches!(
        kind,
        ClauseKind::Ref(_)
            | ClauseKind::Title(_)
            | ClauseKind::Description(_)
            | ClauseKind::Theme(_)
            | ClauseKind::Unit(_)
            | ClauseKind::Precision(_)
            | ClauseKind::Hidden
            | ClauseKind::By(_)
            | ClauseKind::Funnel { .. }
            | ClauseKind::ReportedBy(_)
            | ClauseKind::Polarity(_)
            | ClauseKind::Interval { .. }
            | ClauseKind::Benchmark(_)
    )
}

/// The measure each version defines, as written clauses: version k's are version k-1's with
/// the kinds it writes replaced.
fn merged(m: &ast::Measure) -> Vec<ast::Measure> {
    let mut clauses = m.clauses.clone();
    let mut out = Vec::new();
    for v in &m.versions {
        let written: Vec<&str> = v.clauses.iter().map(|c| c.kind.slot()).collect();
        clauses.retain(|c| !written.contains(&c.kind.slot()));
        clauses.extend(v.clauses.iter().cloned());
        out.push(ast::Measure {
            name: m.name.clone(),
            clauses: clauses.clone(),
            versions: Vec::new(),
            span: m.span,
            close: m.close,
        });
    }
    out
}

/// Two diagnostics saying the same thing at the same place.
fn same(a: &Diagnostic, b: &Diagnostic) -> bool {
    let at = |d: &Diagnostic| (d.primary.span.file, d.primary.span.start, d.primary.span.end);
    a.code == b.code && a.message == b.message && at(a) == at(b)
}

impl Checker<'_> {
    /// The later versions of `base`, the measure `d` declares (checked without errors); a
    /// `rate of` a measure with versions has the same versions.
    pub(super) fn versions(
        &mut self,
        d: &MeasureDecl<'_>,
        parts: &Parts<'_>,
        base: &ir::Measure,
        units: &HashMap<String, ir::Unit>,
        built: &[Option<ir::Measure>],
        rates: &HashMap<String, ir::Unit>,
    ) -> Vec<ir::Version> {
        if let Some(Form::RateOf { measure, per }) = parts.form.map(|f| f.value) {
            return self.versions_of_rate(d, parts, base, measure, per, built, rates);
        }
        let mut out: Vec<ir::Version> = Vec::new();
        for (v, whole) in d.ast.versions.iter().zip(merged(d.ast)) {
            if !self.version_in_order(v, out.last().map_or((1, None), |p| (p.number, Some(p.from)))) {
                return Vec::new();
            }
            let own: Vec<&ast::Clause> = v.clauses.iter().filter(|c| is_the_measures_own(&c.kind)).collect();
            for c in &own {
                self.error(
                    Diagnostic::new(
                        Code::VersionChangesTheMeasure,
                        c.span,
                        format!("`{}` is the measure's own, not one version's", c.kind.keyword()),
                    )
                    .label("not in a version")
                    .help("write it in the measure; a version holds what changes how the measure is computed or judged (its definition, selection, `where`, `excluding`, `meeting`, `per`, `cumulative`, `target`, `rag`)"),
                );
            }
            if !own.is_empty() {
                return Vec::new();
            }
            let Some(measure) = self.version_measure(d, &whole, v, units, built, rates) else { return Vec::new() };
            if !self.same_measure(&measure, base, v) {
                return Vec::new();
            }
            let before = out.last().map_or(base, |p| &p.measure);
            if measure == (ir::Measure { versions: Vec::new(), ..before.clone() }) {
                self.error(
                    Diagnostic::new(
                        Code::VersionChangesNothing,
                        v.number.span.to(v.note.span),
                        format!(
                            "version {} of `{}` computes and judges exactly as the version before",
                            v.number.node, d.ast.name.node
                        ),
                    )
                    .label("changes nothing")
                    .help("remove the version, or write the clauses that change"),
                );
            }
            let redefines = !measure.computes_as(before);
            out.push(ir::Version {
                number: v.number.node as u32,
                from: v.from.node,
                note: v.note.node.clone(),
                changes: v.clauses.iter().map(|c| c.kind.keyword()).collect(),
                redefines,
                measure,
                span: v.span,
            });
        }
        out
    }

    /// Versions are numbered 2, 3, ... with dates in order; `false` when not (reported).
    fn version_in_order(&mut self, v: &ast::Version, (number, from): (u32, Option<chrono::NaiveDate>)) -> bool {
        let expected = number + 1;
        if v.number.node != f64::from(expected) {
            self.error(
                Diagnostic::new(
                    Code::VersionOutOfOrder,
                    v.number.span,
                    format!("this version should be numbered {expected}"),
                )
                .label(format!("expected {expected}"))
                .help("the measure as first written is version 1; number its later versions 2, 3, ... in order"),
            );
            return false;
        }
        if let Some(from) = from.filter(|&f| v.from.node <= f) {
            self.error(
                Diagnostic::new(
                    Code::VersionOutOfOrder,
                    v.from.span,
                    format!("version {expected} takes effect on {}, not after version {number} ({from})", v.from.node),
                )
                .label("not after the version before")
                .help("each version takes effect after the one before it; correct the date or the order"),
            );
            return false;
        }
        true
    }

    /// The measure the merged clauses define, checked; the diagnostics the version's own
    /// clauses raise are kept, those of the clauses it shares with the measure are reported
    /// once, where the measure was checked.
    fn version_measure(
        &mut self,
        d: &MeasureDecl<'_>,
        whole: &ast::Measure,
        v: &ast::Version,
        units: &HashMap<String, ir::Unit>,
        built: &[Option<ir::Measure>],
        rates: &HashMap<String, ir::Unit>,
    ) -> Option<ir::Measure> {
        let shown = std::mem::take(&mut self.diags);
        let decl = MeasureDecl { ast: whole, theme: d.theme };
        let (parts, problems) = Parts::of(whole);
        problems.into_iter().for_each(|p| self.error(p));
        let measure = self.measure(&decl, &parts, units, built, rates);
        let raised = std::mem::replace(&mut self.diags, shown);
        let mut errors = false;
        for p in raised.0 {
            if self.diags.0.iter().any(|s| same(s, &p)) {
                continue;
            }
            errors |= p.is_error();
            let inside = p.primary.span.start >= v.span.start && p.primary.span.end <= v.span.end;
            let p = if inside { p } else { p.with_secondary(v.number.span, "in this version") };
            self.error(p);
        }
        measure.filter(|_| !errors)
    }

    /// A version keeps the measure's form, source and unit: `false` when it does not (reported).
    fn same_measure(&mut self, version: &ir::Measure, base: &ir::Measure, v: &ast::Version) -> bool {
        let source = |m: &ir::Measure| m.definition.rows().map(|r| r.source.clone());
        let form = |m: &ir::Measure| std::mem::discriminant(&m.definition);
        if source(version) == source(base) && form(version) == form(base) && version.unit == base.unit {
            return true;
        }
        let span = v.clauses.iter().find(|c| c.kind.slot() == "computes").map_or(v.number.span, |c| c.span);
        self.error(
            Diagnostic::new(
                Code::VersionChangesTheMeasure,
                span,
                "a version must compute the same kind of figure from the same source as the measure",
            )
            .label("another kind of measure")
            .help("a new source or kind of figure is a new indicator: define it as another measure"),
        );
        false
    }

    /// A `rate of` a measure with versions: a version of the rate for each of the counted
    /// measure's, over its rows.
    #[allow(clippy::too_many_arguments)]
    fn versions_of_rate(
        &mut self,
        d: &MeasureDecl<'_>,
        parts: &Parts<'_>,
        base: &ir::Measure,
        measure: &ast::Ident,
        per: &ast::PerSpec,
        built: &[Option<ir::Measure>],
        rates: &HashMap<String, ir::Unit>,
    ) -> Vec<ir::Version> {
        let Some(counted) = built.iter().flatten().find(|b| b.name == measure.node) else { return Vec::new() };
        if counted.versions.is_empty() {
            if let Some(v) = d.ast.versions.first() {
                self.error(
                    Diagnostic::new(
                        Code::VersionChangesTheMeasure,
                        v.number.span,
                        "a `rate of` takes its rows and window from the counted measure",
                    )
                    .label("a version of a rate")
                    .help("write the version on the counted measure; the rate follows its versions"),
                );
            }
            return Vec::new();
        }
        if let Some(v) = d.ast.versions.first() {
            self.error(
                Diagnostic::new(
                    Code::VersionChangesTheMeasure,
                    v.number.span,
                    format!("this rate follows the versions of `{}`", counted.name),
                )
                .label("a version of a rate")
                .help("write the change in a version of the counted measure"),
            );
            return Vec::new();
        }
        let mut out = Vec::new();
        for cv in &counted.versions {
            let one = [Some(cv.measure.clone())];
            let before = self.diags.0.len();
            let Some((definition, window, breakdowns)) =
                self.rate_of(measure, per, parts.by.map(|s| s.value), &one, rates)
            else {
                return Vec::new();
            };
            self.diags.0.truncate(before);
            let measure = ir::Measure { definition, window, breakdowns, versions: Vec::new(), ..base.clone() };
            out.push(ir::Version { measure, ..cv.clone() });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::merged;
    use crate::span::FileId;
    use crate::syntax::{ast::ItemKind, parse};

    #[test]
    fn each_version_replaces_the_kinds_of_clause_it_writes() {
        let text = r#"measure m {
  percent of assessments
  in period by completed_date
  where team = "A"
  where age < 18
  meeting working_days(start_date, completed_date) <= 10
  version 2 from 2013-07-01 "15 days" {
    meeting working_days(start_date, completed_date) <= 15
  }
  version 3 from 2014-04-01 "any team" {
    where age < 18
    open at period end
  }
}"#;
        let module = parse(FileId(0), text).unwrap();
        let ItemKind::Measure(m) = &module.items[0].kind else { panic!() };
        let keywords = |m: &crate::syntax::ast::Measure| -> Vec<String> {
            m.clauses.iter().map(|c| format!("{} {}", c.kind.keyword(), &text[c.span.start..c.span.end])).collect()
        };
        let versions = merged(m);
        assert_eq!(versions.len(), 2);
        assert_eq!(
            keywords(&versions[0]),
            [
                "percent of percent of assessments",
                "in period by in period by completed_date",
                "where where team = \"A\"",
                "where where age < 18",
                "meeting meeting working_days(start_date, completed_date) <= 15",
            ]
        );
        assert_eq!(
            keywords(&versions[1]),
            [
                "percent of percent of assessments",
                "meeting meeting working_days(start_date, completed_date) <= 15",
                "where where age < 18",
                "open at period end open at period end",
            ]
        );
    }
}
