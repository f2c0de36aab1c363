//! Measures: one form, its rows, window, breakdowns and judgement.

mod versions;

use super::exprs::Scope;
use super::resolution::Target;
use super::{unknown_word, Checker, MeasureDecl};
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, AggregateFn, Definition, Polarity, RowSet, Selection, Type, Unit, Window};
use crate::measure_graph::MeasureGraph;
use crate::span::{Span, Spanned};
use crate::syntax::ast::{self, BenchmarkKind, ClauseKind, WindowSpec};
use std::collections::HashMap;

/// A clause of a measure in its role: what it holds, typed, and the clause it is written as.
#[derive(Clone, Copy)]
struct Slot<'m, T> {
    value: T,
    clause: &'m ast::Clause,
}

/// What a measure computes, as its definition clause says.
#[derive(Clone, Copy)]
enum Form<'m> {
    /// `count`, `percent of` and the aggregates: over the rows of a source.
    Rows { of: RowForm<'m>, source: &'m ast::Ident, distinct: Option<&'m ast::Ident> },
    /// `rate of MEASURE per N POPULATION`: the rows of a counted measure.
    RateOf { measure: &'m ast::Ident, per: &'m ast::PerSpec },
    /// `calculate EXPR` over other measures' values.
    Calculate(&'m ast::Expr),
}

#[derive(Clone, Copy)]
enum RowForm<'m> {
    Count,
    Percent,
    /// `ratio of SOURCE`: its sums come from `numerator sum` and `denominator sum`.
    Ratio,
    Aggregate {
        func: &'m ast::Ident,
        percentile: Option<&'m Spanned<f64>>,
        expr: &'m ast::Expr,
    },
}

/// Which of a source's rows a measure takes, as its selection clause says.
#[derive(Clone, Copy)]
enum Selecting<'m> {
    InPeriod(&'m ast::Ident),
    OpenAtPeriodEnd,
    OpenDuringPeriod,
    LatestSnapshot(&'m [ast::Ident]),
}

/// The clauses of one measure, sorted by role and typed, each checked to appear at most once.
#[derive(Default)]
struct Parts<'m> {
    reference: Option<&'m ast::Str>,
    title: Option<&'m ast::Str>,
    description: Option<&'m ast::Str>,
    theme: Option<&'m ast::Str>,
    unit: Option<&'m ast::Ident>,
    precision: Option<&'m Spanned<f64>>,
    form: Option<Slot<'m, Form<'m>>>,
    selection: Option<Slot<'m, Selecting<'m>>>,
    wheres: Vec<&'m ast::Expr>,
    excludings: Vec<&'m ast::Expr>,
    meeting: Option<Slot<'m, &'m ast::Expr>>,
    numerator_sum: Option<Slot<'m, &'m ast::Expr>>,
    denominator_sum: Option<Slot<'m, &'m ast::Expr>>,
    hidden: Option<&'m ast::Clause>,
    per: Option<Slot<'m, &'m ast::PerSpec>>,
    /// `expected of POPULATION at REFERENCE rates ...`: its population, reference and scale.
    expected: Option<Slot<'m, Expected<'m>>>,
    cumulative: Option<Slot<'m, &'m WindowSpec>>,
    first_per: Option<Slot<'m, &'m ast::Ident>>,
    reported_by: Option<&'m ast::Ident>,
    follow_up: Option<Slot<'m, FollowUpMonths<'m>>>,
    by: Option<Slot<'m, &'m [ast::ByItem]>>,
    funnel: Option<Slot<'m, (&'m ast::Ident, bool)>>,
    polarity: Option<&'m ast::Ident>,
    target: Option<Slot<'m, (&'m ast::Quantity, bool)>>,
    rag: Option<Slot<'m, &'m [ast::RagRule]>>,
    benchmark: Option<Slot<'m, &'m [ast::BenchmarkItem]>>,
    interval: Option<Slot<'m, (Option<&'m ast::Ident>, Option<&'m ast::Quantity>)>>,
}

/// `expected of POPULATION at REFERENCE rates [times N | per N]`, as written.
type Expected<'m> = (&'m ast::Ident, &'m ast::Ident, &'m ast::ExpectedScale);

/// `follow up N months then M months`: the follow-up's months and the wait's, as written.
type FollowUpMonths<'m> = (&'m Spanned<f64>, Option<&'m Spanned<f64>>);

/// Puts `value` in `slot`, or says that its clause is given twice.
fn once<S>(slot: &mut Option<S>, value: S, clause: &ast::Clause, problems: &mut Vec<Diagnostic>) {
    if slot.is_some() {
        problems.push(twice(clause.span, clause.kind.keyword()));
    } else {
        *slot = Some(value);
    }
}

impl<'m> Parts<'m> {
    /// The clauses of `m` by role, and the problems of clauses given twice.
    fn of(m: &'m ast::Measure) -> (Parts<'m>, Vec<Diagnostic>) {
        let mut p = Parts::default();
        let mut problems = Vec::new();
        for c in &m.clauses {
            let form = match &c.kind {
                ClauseKind::Count { distinct, source } => {
                    Some(Form::Rows { of: RowForm::Count, source, distinct: distinct.as_ref() })
                }
                ClauseKind::Percent { distinct, source } => {
                    Some(Form::Rows { of: RowForm::Percent, source, distinct: distinct.as_ref() })
                }
                ClauseKind::Aggregate { func, percentile, expr, distinct, source } => Some(Form::Rows {
                    of: RowForm::Aggregate { func, percentile: percentile.as_ref(), expr },
                    source,
                    distinct: distinct.as_ref(),
                }),
                ClauseKind::Ratio { source } => Some(Form::Rows { of: RowForm::Ratio, source, distinct: None }),
                ClauseKind::RateOf { measure, per } => Some(Form::RateOf { measure, per }),
                ClauseKind::Calculate(expr) => Some(Form::Calculate(expr)),
                _ => None,
            };
            if let Some(form) = form {
                match p.form {
                    Some(first) => problems.push(
                        Diagnostic::new(
                            Code::TwoDefinitions,
                            c.span,
                            format!("measure `{}` already has a definition", m.name.node),
                        )
                        .label("second definition")
                        .with_secondary(first.clause.span, "first definition")
                        .help("keep one definition; make a second measure for the other"),
                    ),
                    None => p.form = Some(Slot { value: form, clause: c }),
                }
                continue;
            }
            let selecting = match &c.kind {
                ClauseKind::InPeriod(col) => Some(Selecting::InPeriod(col)),
                ClauseKind::OpenAtPeriodEnd => Some(Selecting::OpenAtPeriodEnd),
                ClauseKind::OpenDuringPeriod => Some(Selecting::OpenDuringPeriod),
                ClauseKind::LatestSnapshot { months } => Some(Selecting::LatestSnapshot(months)),
                _ => None,
            };
            if let Some(selecting) = selecting {
                match p.selection {
                    Some(first) => problems.push(
                        Diagnostic::new(Code::DuplicateClause, c.span, "this measure already selects its rows")
                            .label("second selection")
                            .with_secondary(first.clause.span, "first selection")
                            .help("keep one of `in period by`, `open at period end`, `open during period` and `latest snapshot`"),
                    ),
                    None => p.selection = Some(Slot { value: selecting, clause: c }),
                }
                continue;
            }
            let problems = &mut problems;
            match &c.kind {
                ClauseKind::Ref(s) => once(&mut p.reference, s, c, problems),
                ClauseKind::Title(s) => once(&mut p.title, s, c, problems),
                ClauseKind::Description(s) => once(&mut p.description, s, c, problems),
                ClauseKind::Theme(s) => once(&mut p.theme, s, c, problems),
                ClauseKind::Unit(u) => once(&mut p.unit, u, c, problems),
                ClauseKind::Precision(n) => once(&mut p.precision, n, c, problems),
                ClauseKind::Polarity(i) => once(&mut p.polarity, i, c, problems),
                ClauseKind::Where(e) => p.wheres.push(e),
                ClauseKind::Excluding(e) => p.excludings.push(e),
                ClauseKind::Meeting(e) => once(&mut p.meeting, Slot { value: e, clause: c }, c, problems),
                ClauseKind::SumPart { part: ast::SumPart::Numerator, expr } => {
                    once(&mut p.numerator_sum, Slot { value: expr, clause: c }, c, problems)
                }
                ClauseKind::SumPart { part: ast::SumPart::Denominator, expr } => {
                    once(&mut p.denominator_sum, Slot { value: expr, clause: c }, c, problems)
                }
                ClauseKind::Hidden => once(&mut p.hidden, c, c, problems),
                ClauseKind::Per(per) => once(&mut p.per, Slot { value: per, clause: c }, c, problems),
                ClauseKind::Expected { population, reference, scale } => {
                    once(&mut p.expected, Slot { value: (population, reference, scale), clause: c }, c, problems)
                }
                ClauseKind::Cumulative(w) => once(&mut p.cumulative, Slot { value: w, clause: c }, c, problems),
                ClauseKind::FirstPer(e) => once(&mut p.first_per, Slot { value: e, clause: c }, c, problems),
                ClauseKind::ReportedBy(y) => once(&mut p.reported_by, y, c, problems),
                ClauseKind::FollowUp { months, then } => {
                    once(&mut p.follow_up, Slot { value: (months, then.as_ref()), clause: c }, c, problems)
                }
                ClauseKind::By(items) => once(&mut p.by, Slot { value: items.as_slice(), clause: c }, c, problems),
                ClauseKind::Funnel { by, overdispersed } => {
                    once(&mut p.funnel, Slot { value: (by, overdispersed.is_some()), clause: c }, c, problems)
                }
                ClauseKind::Target { figure, per_year } => {
                    once(&mut p.target, Slot { value: (figure, *per_year), clause: c }, c, problems)
                }
                ClauseKind::Interval { method, level } => {
                    once(&mut p.interval, Slot { value: (method.as_ref(), level.as_ref()), clause: c }, c, problems)
                }
                ClauseKind::Rag(rules) => once(&mut p.rag, Slot { value: rules.as_slice(), clause: c }, c, problems),
                ClauseKind::Benchmark(items) => {
                    once(&mut p.benchmark, Slot { value: items.as_slice(), clause: c }, c, problems)
                }
                ClauseKind::Count { .. }
                | ClauseKind::Percent { .. }
                | ClauseKind::Aggregate { .. }
                | ClauseKind::Ratio { .. }
                | ClauseKind::RateOf { .. }
                | ClauseKind::Calculate(_)
                | ClauseKind::InPeriod(_)
                | ClauseKind::OpenAtPeriodEnd
                | ClauseKind::OpenDuringPeriod
                | ClauseKind::LatestSnapshot { .. } => {}
            }
        }
        (p, problems)
    }

    /// The unit the form gives: a count (a rate with `per`), a percentage, a rate, or a
    /// figure for aggregates and derived measures.
    fn inferred_unit(&self) -> Unit {
        match self.form.map(|f| f.value) {
            Some(Form::Rows { of: RowForm::Count, .. }) => match (self.per, self.expected) {
                (Some(per), _) => Unit::RatePer(per.value.per.node as u32),
                (None, Some(Slot { value: (_, _, ast::ExpectedScale::Rate(per)), .. })) => {
                    Unit::RatePer(per.node as u32)
                }
                (None, Some(_)) => Unit::Number,
                (None, None) => Unit::Count,
            },
            Some(Form::Rows { of: RowForm::Percent, .. }) => Unit::Percent,
            Some(Form::RateOf { per, .. }) => Unit::RatePer(per.per.node as u32),
            Some(Form::Rows { of: RowForm::Aggregate { .. } | RowForm::Ratio, .. } | Form::Calculate(_)) | None => {
                Unit::Number
            }
        }
    }

    /// Is the measure a ratio of two sums (`numerator sum` and `denominator sum`)?
    fn sums(&self) -> bool {
        self.numerator_sum.is_some() || self.denominator_sum.is_some()
    }

    /// Whether `unit` may say what the form leaves open: an aggregate's or a derived
    /// measure's figure may be a count, a percentage or a rate.
    fn unit_is_free(&self) -> bool {
        matches!(
            self.form.map(|f| f.value),
            Some(Form::Rows { of: RowForm::Aggregate { .. } | RowForm::Ratio, .. } | Form::Calculate(_)) | None
        )
    }

    /// The measure's unit: the form's, or the one `unit` gives where the form leaves it free.
    fn unit(&self) -> Unit {
        let written = self.unit.and_then(|u| Unit::parse(&u.node)).filter(|_| self.unit_is_free());
        written.unwrap_or_else(|| self.inferred_unit())
    }

    /// The clauses that choose and count rows of a source, which a measure over other
    /// measures cannot take.
    fn clauses_over_rows(&self) -> Vec<&'m ast::Clause> {
        [
            self.selection.map(|s| s.clause),
            self.meeting.map(|s| s.clause),
            self.numerator_sum.map(|s| s.clause),
            self.denominator_sum.map(|s| s.clause),
            self.per.map(|s| s.clause),
            self.expected.map(|s| s.clause),
            self.cumulative.map(|s| s.clause),
            self.first_per.map(|s| s.clause),
            self.follow_up.map(|s| s.clause),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn is_rate_of(&self) -> bool {
        matches!(self.form.map(|f| f.value), Some(Form::RateOf { .. }))
    }
}

/// `rate of M` where `M` is neither a count nor a sum.
fn not_a_count(measure: &ast::Ident, unit: Unit, defined: Span) -> Diagnostic {
    Diagnostic::new(
        Code::RateOfNonCount,
        measure.span,
        format!("`{}` is a {}, and a rate divides a count or a sum", measure.node, unit.name()),
    )
    .label("not a count or a sum")
    .with_secondary(defined, "defined here")
    .help("take the rate of a `count` or `sum` measure")
}

fn twice(span: Span, keyword: &str) -> Diagnostic {
    Diagnostic::new(Code::DuplicateClause, span, format!("`{keyword}` is given twice in this measure"))
        .label("second one")
        .help("keep one; only `where` and `excluding` may repeat")
}

impl Checker<'_> {
    pub(super) fn measures(&mut self, decls: &[MeasureDecl<'_>]) -> Vec<ir::Measure> {
        let parts: Vec<Parts<'_>> = decls
            .iter()
            .map(|d| {
                let (parts, problems) = Parts::of(d.ast);
                problems.into_iter().for_each(|p| self.error(p));
                parts
            })
            .collect();
        let units: HashMap<String, Unit> =
            decls.iter().zip(&parts).map(|(d, p)| (d.ast.name.node.clone(), p.unit())).collect();
        let rates: HashMap<String, Unit> = decls
            .iter()
            .zip(&parts)
            .filter(|(_, p)| p.is_rate_of())
            .map(|(d, p)| (d.ast.name.node.clone(), p.unit()))
            .collect();
        // `rate of M` takes M's rows: the measures over sources and the derived ones first,
        // then the rates of them.
        let mut built: Vec<Option<ir::Measure>> = decls.iter().map(|_| None).collect();
        for rates_of in [false, true] {
            for (k, (d, p)) in decls.iter().zip(&parts).enumerate() {
                if p.is_rate_of() == rates_of {
                    built[k] = self.measure(d, p, &units, &built, &rates);
                    if let Some(base) = &built[k] {
                        let versions = self.versions(d, p, base, &units, &built, &rates);
                        built[k].as_mut().expect("just built").versions = versions;
                    }
                }
            }
        }
        let measures: Vec<ir::Measure> = built.into_iter().flatten().collect();
        self.check_cycles(decls, &measures);
        self.check_refs(&measures);
        self.check_years(&measures);
        measures
    }

    fn not_allowed(&mut self, clause: &ast::Clause, form: &str, help: &str) {
        self.error(
            Diagnostic::new(
                Code::ClauseNotAllowed,
                clause.span,
                format!("`{}` does not apply to {form}", clause.kind.keyword()),
            )
            .label("not for this measure")
            .help(help.to_string()),
        );
    }

    fn measure(
        &mut self,
        d: &MeasureDecl<'_>,
        parts: &Parts<'_>,
        units: &HashMap<String, Unit>,
        built: &[Option<ir::Measure>],
        rates: &HashMap<String, Unit>,
    ) -> Option<ir::Measure> {
        let m = d.ast;
        let Some(form) = parts.form else {
            self.error(
                Diagnostic::new(Code::NoDefinition, m.name.span, format!("measure `{}` does not say what it computes", m.name.node))
                    .label("no definition")
                    .help("add `count SOURCE`, `percent of SOURCE`, `rate of MEASURE per 10000 POPULATION`, `max EXPR of SOURCE` or `calculate EXPR`"),
            );
            return None;
        };

        let (definition, window, breakdowns) = match form.value {
            Form::Calculate(expr) => {
                for c in parts.clauses_over_rows().into_iter().chain(parts.by.map(|s| s.clause)) {
                    self.not_allowed(c, "a derived measure", "a derived measure combines other measures' values; put selections and filters on those measures");
                }
                for e in parts.wheres.iter().chain(&parts.excludings) {
                    self.error(
                        Diagnostic::new(Code::ClauseNotAllowed, e.span, "a derived measure has no rows to filter")
                            .label("not for this measure")
                            .help("put `where` and `excluding` on the measures it is calculated from"),
                    );
                }
                let expr = self.expr(expr, &Scope::Derived { units: units.clone() })?;
                if !matches!(expr.ty, Type::Number(_)) {
                    self.error(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            expr.span,
                            format!("a derived measure must be a number, and this is {}", expr.ty.describe()),
                        )
                        .label("not a number")
                        .help("combine measures with + - * /"),
                    );
                    return None;
                }
                (Definition::Derived { expr }, Window::Period, Vec::new())
            }
            Form::RateOf { measure, per } => {
                for c in parts.clauses_over_rows() {
                    self.not_allowed(
                        c,
                        "`rate of`",
                        "a rate takes its rows and window from the counted measure; put the clause there",
                    );
                }
                for e in parts.wheres.iter().chain(&parts.excludings) {
                    self.error(
                        Diagnostic::new(
                            Code::ClauseNotAllowed,
                            e.span,
                            "`rate of` takes its rows from the counted measure",
                        )
                        .label("not for this measure")
                        .help("put `where` and `excluding` on the counted measure"),
                    );
                }
                self.rate_of(measure, per, parts.by.map(|s| s.value), built, rates)?
            }
            Form::Rows { of, source, distinct } => self.row_form(m, parts, form.clause, of, source, distinct)?,
        };

        let unit = self.unit(parts);
        let polarity = match parts.polarity {
            Some(p) => match Polarity::parse(&p.node) {
                Some(pol) => pol,
                None => {
                    self.error(unknown_word(p, "polarity", Polarity::NAMES));
                    Polarity::None
                }
            },
            None => Polarity::None,
        };
        let target = self.target(parts, m, unit, polarity, &definition);
        let benchmarks = self.benchmarks(parts, unit);
        if polarity == Polarity::InLineWithBenchmark && benchmarks.is_empty() {
            let span = parts.polarity.map_or(m.name.span, |p| p.span);
            self.error(
                Diagnostic::new(
                    Code::NoBenchmark,
                    span,
                    format!("measure `{}` is judged against a benchmark it does not have", m.name.node),
                )
                .label("needs a benchmark")
                .help("add `benchmark sn FIGURE` or `benchmark published SOURCE.COLUMN`"),
            );
        }
        let rag = self.rag(parts, unit, polarity, target.as_ref(), &benchmarks);

        let reference = match parts.reference {
            Some(r) => r.node.clone(),
            None => {
                self.error(
                    Diagnostic::new(Code::NoRef, m.name.span, format!("measure `{}` has no `ref`", m.name.node))
                        .label("no ref")
                        .help("add `ref \"4.2\"`; until then the measure's name stands for its ref"),
                );
                m.name.node.clone()
            }
        };
        let precision = match parts.precision {
            Some(p) if p.node.fract() == 0.0 && p.node <= 6.0 => p.node as u8,
            Some(p) => {
                self.error(
                    Diagnostic::new(
                        Code::InvalidNumber,
                        p.span,
                        "precision is a whole number of decimal places, at most 6",
                    )
                    .label("not a number of places")
                    .help("write `precision 1` for one decimal place"),
                );
                unit.default_precision()
            }
            None => unit.default_precision(),
        };
        let mut interval = self.interval(parts, unit);
        if matches!(definition, Definition::Rate { summed: Some(_), .. }) {
            // A rate of a summed figure (a published count per LA) is no count of events.
            interval.method = None;
        }
        if definition.rows().is_some_and(|r| !r.snapshot_months.is_empty()) {
            // A mean over several snapshots is no count of events, nor one proportion's.
            interval.method = None;
        }
        Some(ir::Measure {
            name: m.name.node.clone(),
            reference,
            title: parts.title.map_or_else(|| m.name.node.clone(), |t| t.node.clone()),
            description: parts.description.map(|s| s.node.clone()),
            theme: parts.theme.or(d.theme).map(|t| t.node.clone()),
            unit,
            precision,
            window,
            polarity,
            target,
            rag,
            benchmarks,
            interval,
            hidden: parts.hidden.is_some(),
            follow_up: self.follow_up(parts)?,
            year: self.reported_by(parts)?,
            funnel: self.funnel(parts, &definition, &breakdowns)?,
            versions: Vec::new(),
            definition,
            breakdowns,
            span: m.name.span,
        })
    }

    /// `funnel by BREAKDOWN`: a percentage's breakdown, or a count's rate's breakdown by area,
    /// by its name. `Err` when the clause does not fit (reported).
    fn funnel(
        &mut self,
        parts: &Parts<'_>,
        definition: &Definition,
        breakdowns: &[ir::Breakdown],
    ) -> Option<Option<ir::Funnel>> {
        let Some(slot) = parts.funnel else { return Some(None) };
        let rate_of = match definition {
            Definition::Proportion { .. } | Definition::SumRatio { percent: true, .. } => None,
            Definition::Rate {
                summed: None,
                standardised: None | Some(ir::Standardised::Direct(_)),
                population,
                ..
            } => Some(population.clone()),
            Definition::Rate {
                summed: None, standardised: Some(ir::Standardised::Indirect(x)), population, ..
            } if !x.rate => Some(population.clone()),
            _ => {
                self.not_allowed(
                    slot.clause,
                    "this measure",
                    "a funnel plots a percentage (`percent of SOURCE`), a count's rate per N of a population (crude or directly standardised) or an indirectly standardised ratio (`expected of ... rates [times N]`); an indirectly standardised rate (`expected of ... per N`) and rates of sums are not plotted",
                );
                return None;
            }
        };
        let (by, overdispersed) = slot.value;
        let name = &by.node;
        let Some(breakdown) = breakdowns.iter().find(|b| &b.name == name) else {
            let names: Vec<String> = breakdowns.iter().map(|b| format!("`{}`", b.name)).collect();
            let has = if names.is_empty() { "no breakdowns".to_string() } else { names.join(", ") };
            self.error(
                Diagnostic::new(Code::UnknownColumn, by.span, format!("the measure has no breakdown `{name}`"))
                    .label("not one of its breakdowns")
                    .help(format!(
                        "the funnel's units are the values of one of the measure's `by` breakdowns; it has {has}"
                    )),
            );
            return None;
        };
        // A rate's units are areas, each over its own population.
        if let Some(population) = rate_of {
            let by_area = breakdown.column() == Some(ir::AREA_CODE)
                && self.population_source(&population).is_some_and(|s| s.column(ir::AREA_CODE).is_some());
            if !by_area {
                self.not_allowed(
                    slot.clause,
                    "a rate by this breakdown",
                    &format!(
                        "a rate's funnel plots areas, each over its own population: `by {area}` and `funnel by {area}`, with `{area}` in the counted rows and in population `{population}`'s source",
                        area = ir::AREA_CODE
                    ),
                );
                return None;
            }
        }
        Some(Some(ir::Funnel { by: name.clone(), overdispersed }))
    }

    /// The measure's confidence interval: the method its kind has (Wilson for a percentage,
    /// Poisson for a count or a rate), unless it says `none`; a method of another kind, or a
    /// level outside (0, 100), is refused.
    fn interval(&mut self, parts: &Parts<'_>, unit: Unit) -> ir::IntervalSpec {
        use ir::IntervalMethod;
        let own = match parts.form.map(|f| f.value) {
            // A percent of two sums is no proportion of rows: no interval.
            Some(Form::Rows { of: RowForm::Percent, .. }) if parts.sums() => None,
            Some(Form::Rows { of: RowForm::Percent, .. }) => Some(IntervalMethod::Wilson),
            Some(Form::Rows { of: RowForm::Count, .. })
                if parts.per.is_some_and(|p| p.value.standardised.is_some()) =>
            {
                Some(IntervalMethod::Dobson)
            }
            Some(Form::Rows { of: RowForm::Count, .. } | Form::RateOf { .. }) => Some(IntervalMethod::Poisson),
            _ => None,
        };
        let Some(Slot { value: (method, level), .. }) = parts.interval else {
            return ir::IntervalSpec { method: own, confidence: None };
        };
        let method = match method {
            None => own,
            Some(m) if m.node == "none" => None,
            Some(m) => {
                let asked = match m.node.as_str() {
                    "wilson" => IntervalMethod::Wilson,
                    "poisson" => IntervalMethod::Poisson,
                    "dobson" => IntervalMethod::Dobson,
                    _ => {
                        self.error(unknown_word(m, "confidence interval method", IntervalMethod::NAMES));
                        return ir::IntervalSpec { method: own, confidence: None };
                    }
                };
                if own != Some(asked) {
                    let what = match unit {
                        Unit::Percent => "a percentage".to_string(),
                        Unit::Count => "a count".to_string(),
                        Unit::RatePer(n) => format!("a rate per {n}"),
                        Unit::Number => "a figure".to_string(),
                    };
                    let (message, help) = match own {
                        Some(o) => (
                            format!("`interval {}` does not fit {what}", asked.name()),
                            format!("{what} has the `{}` interval: leave the method out, or write `interval {}`", o.name(), o.name()),
                        ),
                        None => (
                            format!("this measure has no confidence interval, so `interval {}` does not apply", asked.name()),
                            "intervals are for percentages (Wilson) and counts and rates (Poisson); write `interval none`, or remove the clause".to_string(),
                        ),
                    };
                    self.error(
                        Diagnostic::new(Code::IntervalMethod, m.span, message).label("not for this measure").help(help),
                    );
                }
                own.filter(|o| *o == asked)
            }
        };
        let confidence = level.as_ref().and_then(|l| {
            if l.value > 0.0 && l.value < 100.0 {
                Some(l.value)
            } else {
                self.error(
                    Diagnostic::new(
                        Code::ConfidenceLevel,
                        l.span,
                        format!("a confidence level of {}% is not one", l.value),
                    )
                    .label("outside 0 to 100")
                    .help("write a level between 0 and 100, such as `interval at 95%` or `interval at 99.8%`"),
                );
                None
            }
        });
        ir::IntervalSpec { method, confidence }
    }

    /// Count, percent of, aggregate: forms over the rows of a source.
    fn row_form(
        &mut self,
        m: &ast::Measure,
        parts: &Parts<'_>,
        form: &ast::Clause,
        of: RowForm<'_>,
        source_name: &ast::Ident,
        distinct: Option<&ast::Ident>,
    ) -> Option<(Definition, Window, Vec<ir::Breakdown>)> {
        let source = self.lookup_source(source_name)?;
        let scope = Scope::measure_row(source.clone());
        let mut ok = true;

        if let Some(col) = distinct {
            if source.column(&col.node).is_none() {
                self.unknown_column(col, &source);
                ok = false;
            } else {
                self.resolves_value(col, &source);
            }
        }
        let selection = match parts.selection {
            None => Selection::All,
            Some(Slot { value: Selecting::InPeriod(col), .. }) => match self.event_date(&source, col) {
                Some(date) => Selection::EventIn(date),
                None => {
                    ok = false;
                    Selection::All
                }
            },
            Some(Slot { value: kind @ (Selecting::OpenAtPeriodEnd | Selecting::OpenDuringPeriod), clause }) => {
                match &source.spans {
                    Some((s, e)) if matches!(kind, Selecting::OpenAtPeriodEnd) => {
                        Selection::OpenAtEnd { start: s.clone(), end: e.clone() }
                    }
                    Some((s, e)) => Selection::OpenDuring { start: s.clone(), end: e.clone() },
                    None => {
                        self.no_spans(clause, &source, "spans start_date .. end_date", clause.kind.keyword());
                        return None;
                    }
                }
            }
            Some(Slot { value: Selecting::LatestSnapshot(_), clause }) => match &source.snapshot {
                Some(col) => Selection::LatestSnapshot(col.clone()),
                None => {
                    self.no_spans(clause, &source, "snapshot at snapshot_date", "latest snapshot");
                    return None;
                }
            },
        };
        let filters: Vec<_> = parts.wheres.iter().map(|e| self.condition(e, &scope)).collect();
        let exclusions: Vec<_> = parts.excludings.iter().map(|e| self.condition(e, &scope)).collect();
        let snapshot_months = match parts.selection {
            Some(Slot { value: Selecting::LatestSnapshot(months), clause }) if !months.is_empty() => {
                // A distinct count of one month's snapshot is one snapshot's; of several, no mean.
                let rows = (distinct.is_none() || months.len() == 1) && parts.per.is_none() && !parts.sums();
                self.snapshot_months(months, clause, rows && matches!(of, RowForm::Count | RowForm::Percent))?
            }
            _ => Vec::new(),
        };
        let first_per = match parts.first_per {
            None => None,
            Some(slot) => Some(self.first_per(slot.value, slot.clause, &source, &selection)?),
        };
        let rows = RowSet {
            source: source.name.clone(),
            selection,
            filters: filters.into_iter().collect::<Option<_>>()?,
            exclusions: exclusions.into_iter().collect::<Option<_>>()?,
            first_per,
            snapshot_months,
        };

        let window = match parts.cumulative.map(|c| (c.value, c.clause.span)) {
            None => Window::Period,
            Some((w, span)) => {
                let window = match w {
                    WindowSpec::FromYearStart { .. } => Window::FromYearStart,
                    WindowSpec::Since(d) => Window::Since(d.node),
                };
                if let (WindowSpec::FromYearStart { fy }, Selection::OpenAtEnd { .. } | Selection::LatestSnapshot(_)) =
                    (w, &rows.selection)
                {
                    let written = if *fy { "fy" } else { "year" };
                    self.error(
                        Diagnostic::new(
                            Code::WindowIgnored,
                            span,
                            format!("`cumulative from {written} start` changes nothing for a measure taken at one day"),
                        )
                        .label("no effect")
                        .help("remove the clause"),
                    );
                }
                window
            }
        };

        let mut breakdowns = Vec::new();
        if let Some(items) = parts.by.map(|c| c.value) {
            match self.breakdowns(items, &scope) {
                Some(b) => breakdowns = b,
                None => ok = false,
            }
        }

        if !matches!(of, RowForm::Percent | RowForm::Ratio) {
            for c in [parts.numerator_sum, parts.denominator_sum].into_iter().flatten() {
                self.not_allowed(
                    c.clause,
                    "this measure",
                    "`numerator sum` and `denominator sum` give a ratio of two sums: write them under `percent of SOURCE` or `ratio of SOURCE`",
                );
                ok = false;
            }
        }
        if let Some(c) = parts.expected {
            if !matches!(of, RowForm::Count) {
                self.not_allowed(
                    c.clause,
                    "this measure",
                    "`expected of` makes an indirectly standardised figure of a `count` of rows",
                );
                return None;
            }
            if let Some(p) = parts.per {
                self.not_allowed(
                    p.clause,
                    "an indirectly standardised measure",
                    "`expected of POPULATION at REFERENCE rates per N` gives its rate; leave `per` out",
                );
                return None;
            }
        }
        let definition = match of {
            RowForm::Ratio => self.sum_ratio(m, parts, form, rows, distinct, &scope, false)?,
            RowForm::Percent if parts.sums() => self.sum_ratio(m, parts, form, rows, distinct, &scope, true)?,
            RowForm::Count => {
                if let Some(c) = parts.meeting {
                    self.not_allowed(
                        c.clause,
                        "a count",
                        "`meeting` gives the numerator of `percent of`; to count only some rows use `where`",
                    );
                    return None;
                }
                // A rate per a population (standardised directly or not), or over the events
                // expected at a reference's rates.
                let rate = match (parts.per, parts.expected) {
                    (Some(slot), _) => {
                        let spec = slot.value;
                        let (per, population) = self.per_spec(spec)?;
                        let standardised = match &spec.standardised {
                            Some(st) => {
                                Some(ir::Standardised::Direct(self.standardisation(st, &scope, &population)?))
                            }
                            None => None,
                        };
                        Some((per, population, standardised))
                    }
                    (None, Some(slot)) => Some(self.indirect(slot)?),
                    (None, None) => None,
                };
                match rate {
                    Some((per, population, standardised)) => Definition::Rate {
                        rows,
                        distinct: distinct.map(|d| d.node.clone()),
                        summed: None,
                        per,
                        population,
                        of_measure: None,
                        standardised,
                    },
                    None => Definition::Count { rows, distinct: distinct.map(|d| d.node.clone()) },
                }
            }
            RowForm::Percent => {
                if let Some(c) = parts.per {
                    self.not_allowed(
                        c.clause,
                        "a percentage",
                        "a rate counts rows per population; make a separate `count` measure with `per`",
                    );
                    return None;
                }
                let Some(num) = parts.meeting.map(|c| c.value) else {
                    self.error(
                        Diagnostic::new(
                            Code::NoDefinition,
                            form.span,
                            format!("`percent of` in `{}` has no numerator", m.name.node),
                        )
                        .label("needs `meeting CONDITION`")
                        .help("add `meeting CONDITION`: the rows of the denominator that count in the numerator"),
                    );
                    return None;
                };
                let numerator = self.condition(num, &scope)?;
                Definition::Proportion { rows, distinct: distinct.map(|d| d.node.clone()), numerator }
            }
            RowForm::Aggregate { func, percentile, expr } => {
                for c in [parts.meeting.map(|s| s.clause), parts.per.map(|s| s.clause)].into_iter().flatten() {
                    self.not_allowed(c, "an aggregate", "aggregates take `where` and `excluding` to choose rows");
                }
                let f = match percentile {
                    Some(p) => AggregateFn::Percentile(self.percentile(p)?),
                    None => match AggregateFn::parse(&func.node) {
                        Some(f) => f,
                        None => {
                            self.error(unknown_word(func, "aggregate", AggregateFn::NAMES));
                            return None;
                        }
                    },
                };
                let expr = self.expr(expr, &scope)?;
                if !matches!(expr.ty, Type::Number(_)) {
                    self.error(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            expr.span,
                            format!("`{}` needs numbers, and this is {}", func.node, expr.ty.describe()),
                        )
                        .label("not a number")
                        .help("aggregate a numeric column, such as `max caseload of workforce`"),
                    );
                    return None;
                }
                if let Some(entity) = distinct {
                    if !self.per_entity(&expr, &entity.node, &source) {
                        return None;
                    }
                }
                Definition::Aggregate { func: f, expr, rows, distinct: distinct.map(|d| d.node.clone()) }
            }
        };
        ok.then_some((definition, window, breakdowns))
    }

    /// The date that places a row in a period (`in period by NAME`): a date column or named
    /// value, or the date of a date-time one.
    fn event_date(&mut self, source: &ir::Source, name: &ast::Ident) -> Option<ir::Expr> {
        let path =
            ast::Expr { kind: ast::ExprKind::Path { qualifiers: Vec::new(), name: name.clone() }, span: name.span };
        if source.column(&name.node).is_none() && source.named_value(&name.node).is_none() {
            self.unknown_column(name, source);
            return None;
        }
        let value = self.expr(&path, &Scope::measure_row(source.clone()))?;
        match value.ty {
            Type::Date => Some(value),
            Type::DateTime => Some(ir::Expr {
                ty: Type::Date,
                span: value.span,
                kind: ir::ExprKind::Call { func: ir::Function::Date, args: vec![value] },
            }),
            other => {
                let what = if source.column(&name.node).is_some() { "column" } else { "named value" };
                self.error(
                    Diagnostic::new(
                        Code::NotADateColumn,
                        name.span,
                        format!("`in period by` needs a date or date-time, and the {what} `{}` is {}", name.node, other.describe()),
                    )
                    .label(format!("not a date ({})", other.describe()))
                    .help("name a column declared as `date` or `datetime`, or a named value that is a date (`let due = add_days(start_date, 91)`)"),
                );
                None
            }
        }
    }

    /// `percentile P`: P from 0 to 100, as an exact fraction.
    fn percentile(&mut self, p: &Spanned<f64>) -> Option<ir::Fraction> {
        match ir::Fraction::of_percent(p.node).filter(|_| (0.0..=100.0).contains(&p.node)) {
            Some(f) => Some(f),
            None => {
                self.error(
                    Diagnostic::new(
                        Code::InvalidNumber,
                        p.span,
                        format!("`percentile {}` is not a percentile", p.node),
                    )
                    .label("outside 0 to 100")
                    .help("write a percentile from 0 to 100 with at most six decimal places, such as `percentile 90`"),
                );
                None
            }
        }
    }

    /// A percent (or ratio) of two sums: `numerator sum EXPR` over `denominator sum EXPR`,
    /// both numbers over the measure's rows (the numerator's only those `meeting` keeps).
    #[allow(clippy::too_many_arguments)]
    fn sum_ratio(
        &mut self,
        m: &ast::Measure,
        parts: &Parts<'_>,
        form: &ast::Clause,
        rows: RowSet,
        distinct: Option<&ast::Ident>,
        scope: &Scope,
        percent: bool,
    ) -> Option<Definition> {
        let what = if percent { "a percent of two sums" } else { "a ratio of two sums" };
        if let Some(c) = parts.per {
            self.not_allowed(
                c.clause,
                what,
                "a rate counts rows per population; make a separate `count` measure with `per`",
            );
            return None;
        }
        if let Some(d) = distinct {
            self.error(
                Diagnostic::new(Code::ClauseNotAllowed, d.span, format!("{what} adds up the values of rows, not of distinct `{}`", d.node))
                    .label("not for this measure")
                    .help("write `percent of SOURCE` with the sums; to count each entity once, use `percent of distinct COLUMN from SOURCE ... meeting ...`"),
            );
            return None;
        }
        let (Some(num), Some(den)) = (parts.numerator_sum, parts.denominator_sum) else {
            let missing = if parts.numerator_sum.is_none() { "numerator sum" } else { "denominator sum" };
            self.error(
                Diagnostic::new(Code::NoDefinition, form.span, format!("{what} in `{}` has no `{missing}`", m.name.node))
                    .label(format!("needs `{missing} EXPRESSION`"))
                    .help("give both: `numerator sum EXPRESSION` and `denominator sum EXPRESSION`, each added up over the measure's rows"),
            );
            return None;
        };
        let mut sum_of = |slot: Slot<'_, &ast::Expr>| -> Option<ir::Expr> {
            let e = self.expr(slot.value, scope)?;
            if !matches!(e.ty, Type::Number(_)) {
                self.error(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        e.span,
                        format!("`{}` adds up numbers, and this is {}", slot.clause.kind.keyword(), e.ty.describe()),
                    )
                    .label("not a number")
                    .help("add up a number of each row, such as `minutes_between(arrival, handover)`"),
                );
                return None;
            }
            Some(e)
        };
        let numerator = sum_of(num);
        let denominator = sum_of(den);
        let meets = match parts.meeting {
            Some(c) => Some(self.condition(c.value, scope)?),
            None => None,
        };
        Some(Definition::SumRatio { rows, numerator: numerator?, denominator: denominator?, meets, percent })
    }

    /// The breakdowns of `by`: plain columns (named after themselves) and named expressions.
    fn breakdowns(&mut self, items: &[ast::ByItem], scope: &Scope) -> Option<Vec<ir::Breakdown>> {
        let mut out: Vec<ir::Breakdown> = Vec::new();
        let mut ok = true;
        for item in items {
            let name = match (&item.name, &item.expr.kind) {
                (Some(n), _) => n.clone(),
                (None, ast::ExprKind::Path { name, .. }) => name.clone(),
                (None, _) => {
                    self.error(
                        Diagnostic::new(Code::ClauseNotAllowed, item.expr.span, "a breakdown by an expression needs a name")
                            .label("no name")
                            .help("name it: `by age_band = band(age(header.DOB, period_end), \"under 1\", 1, \"1 and over\")`; the name heads its rows"),
                    );
                    ok = false;
                    continue;
                }
            };
            if out.iter().any(|b| b.name == name.node) {
                self.error(
                    Diagnostic::new(
                        Code::DuplicateClause,
                        name.span,
                        format!("breakdown `{}` is given twice", name.node),
                    )
                    .label("second one")
                    .help("give each breakdown its own name"),
                );
                ok = false;
                continue;
            }
            let Some(expr) = self.expr(&item.expr, scope) else {
                ok = false;
                continue;
            };
            let order = labels_in_order(&expr);
            let label = item.label.as_ref().map(|l| l.node.clone());
            out.push(ir::Breakdown { name: name.node.clone(), label, expr, order });
        }
        ok.then_some(out)
    }

    /// Is `e` one value for each distinct `entity`? It may read that column, lookups through
    /// it, aggregates over related rows (whose conditions relate by it) and the period.
    fn per_entity(&mut self, e: &ir::Expr, entity: &str, source: &ir::Source) -> bool {
        let mut varying: Option<(&ir::Expr, String)> = None;
        e.walk(&mut |x| {
            if varying.is_some() {
                return;
            }
            match &x.kind {
                ir::ExprKind::Column { scope: None, name } if name != entity => {
                    varying = Some((x, format!("`{name}`")));
                }
                ir::ExprKind::LookupColumn { path, name }
                    if path.first().and_then(|first| source.lookup(first)).is_none_or(|l| l.by != entity) =>
                {
                    varying = Some((x, format!("`{}.{name}`", path.join("."))));
                }
                ir::ExprKind::AdjacentColumn { relation, name } => {
                    varying = Some((x, format!("`{relation}.{name}`")));
                }
                _ => {}
            }
        });
        let Some((at, what)) = varying else { return true };
        self.error(
            Diagnostic::new(
                Code::NotPerEntity,
                at.span,
                format!("{what} may differ between the rows of one `{entity}`, and the value is taken once for each"),
            )
            .label(format!("not one value per `{entity}`"))
            .help(format!(
                "take it from the rows of the `{entity}` with an aggregate, such as `latest x.{} of {} as x where x.{entity} = {entity}`",
                what.trim_matches('`').rsplit('.').next().unwrap_or_default(),
                source.name
            )),
        );
        false
    }

    /// `first per ENTITY`: an entity column of a source with one key, over rows chosen by
    /// their date in the window.
    fn first_per(
        &mut self,
        entity: &ast::Ident,
        clause: &ast::Clause,
        source: &ir::Source,
        selection: &Selection,
    ) -> Option<String> {
        if !matches!(selection, Selection::EventIn(_)) {
            self.error(
                Diagnostic::new(Code::ClauseNotAllowed, clause.span, "`first per` takes each entity's first event in the window, and this measure's rows have no event date")
                    .label("no date to order by")
                    .help("choose the rows by their date with `in period by DATE`"),
            );
            return None;
        }
        if source.column(&entity.node).is_none() {
            self.unknown_column(entity, source);
            return None;
        }
        if source.keys().len() != 1 {
            self.error(
                Diagnostic::new(Code::ClauseNotAllowed, clause.span, format!("`first per` breaks ties between an entity's events on the same day by the key of `{}`, which has {}", source.name, if source.keys().is_empty() { "none" } else { "several" }))
                    .label("no single key")
                    .with_secondary(source.span, "declared here")
                    .help("mark one column of the source `key`"),
            );
            return None;
        }
        Some(entity.node.clone())
    }

    /// `latest snapshot of december, january, ...`: the months, by number; for a count of rows
    /// or a percent of rows, whose figures are the snapshots' mean.
    fn snapshot_months(&mut self, months: &[ast::Ident], clause: &ast::Clause, rows: bool) -> Option<Vec<u32>> {
        use crate::calendar::MONTH_NAMES as NAMES;
        let mut out = Vec::new();
        for m in months {
            match NAMES.iter().position(|n| *n == m.node) {
                Some(i) if !out.contains(&(i as u32 + 1)) => out.push(i as u32 + 1),
                Some(_) => {}
                None => {
                    self.error(unknown_word(m, "month", &NAMES));
                    return None;
                }
            }
        }
        if !rows {
            self.error(
                Diagnostic::new(Code::ClauseNotAllowed, clause.span, "the snapshots of several months give a count or a percent of rows, the mean of the snapshots'")
                    .label("not a count or percent of rows")
                    .help("count rows (`count SOURCE`) or take a percent of rows (`percent of SOURCE`); a distinct count, a rate, a ratio of sums or an aggregate over several snapshots has no one mean"),
            );
            return None;
        }
        Some(out)
    }

    /// `reported by NAME year`: financial, calendar or academic.
    fn reported_by(&mut self, parts: &Parts<'_>) -> Option<Option<crate::calendar::ReportingYear>> {
        let Some(name) = parts.reported_by else { return Some(None) };
        match crate::calendar::ReportingYear::parse(&name.node) {
            Ok(year) => Some(Some(year)),
            Err(_) => {
                self.error(unknown_word(name, "reporting year", &["financial", "calendar", "academic"]));
                None
            }
        }
    }

    /// `follow up N months [then M months]`, in whole months.
    fn follow_up(&mut self, parts: &Parts<'_>) -> Option<Option<ir::FollowUp>> {
        let Some(slot) = parts.follow_up else { return Some(None) };
        let (months, then) = slot.value;
        let mut whole = |n: &Spanned<f64>| -> Option<u32> {
            if n.node.fract() == 0.0 && (0.0..=1200.0).contains(&n.node) {
                return Some(n.node as u32);
            }
            self.error(
                Diagnostic::new(Code::InvalidNumber, n.span, format!("{} is not a number of whole months", n.node))
                    .label("whole months")
                    .help("write the follow-up and the wait in whole months: `follow up 12 months then 6 months`"),
            );
            None
        };
        let months = whole(months);
        let wait = then.map_or(Some(0), &mut whole);
        Some(Some(ir::FollowUp { months: months?, wait: wait? }))
    }

    fn no_spans(&mut self, clause: &ast::Clause, source: &ir::Source, decl: &str, what: &str) {
        self.error(
            Diagnostic::new(
                Code::NoSpans,
                clause.span,
                format!("source `{}` does not say which columns `{what}` uses", source.name),
            )
            .label(format!("`{}` cannot answer this", source.name))
            .with_secondary(source.span, "declared here")
            .help(format!("declare `{decl}` in source `{}`", source.name)),
        );
    }

    fn per_spec(&mut self, per: &ast::PerSpec) -> Option<(u32, String)> {
        let n = self.whole_number(
            &per.per,
            "a rate is per a whole number of people, such as 10000",
            "write `per 10000 children_0_17`",
        )?;
        self.lookup_population(&per.population).then(|| (n, per.population.node.clone()))
    }

    /// A rate's or ratio's multiplier: a whole number from 1 to a billion, or reported.
    fn whole_number(&mut self, n: &Spanned<f64>, message: &str, help: &str) -> Option<u32> {
        if n.node.fract() != 0.0 || !(1.0..=1e9).contains(&n.node) {
            self.error(
                Diagnostic::new(Code::InvalidNumber, n.span, message.to_string())
                    .label("not a whole number")
                    .help(help),
            );
            return None;
        }
        Some(n.node as u32)
    }

    /// `expected of POPULATION at REFERENCE rates [times N | per N]`: its multiplier, banded
    /// population and reference.
    fn indirect(&mut self, slot: Slot<'_, Expected<'_>>) -> Option<(u32, String, Option<ir::Standardised>)> {
        let (population, reference, scale) = slot.value;
        let (rate, per) = match scale {
            ast::ExpectedScale::Ratio(None) => (false, None),
            ast::ExpectedScale::Ratio(Some(n)) => (false, Some(n)),
            ast::ExpectedScale::Rate(n) => (true, Some(n)),
        };
        let per = match per {
            Some(n) => self.whole_number(
                n,
                "the scale is a whole number, such as 100",
                "write `times 100` for a ratio in percent, `per 100000` for a rate",
            )?,
            None => 1,
        };
        let population = self.lookup_population(population).then(|| population.node.clone())?;
        let reference = self.lookup_reference(reference)?;
        self.banded(&population, slot.clause.span, "labelled as the reference's age groups are")?;
        Some((per, population, Some(ir::Standardised::Indirect(ir::Indirect { reference, rate }))))
    }

    /// `standardised by BAND using STANDARD` of a count per `population`: the band a text
    /// value of the counted rows, the standard known, the population's source banded by
    /// `age_group`.
    fn standardisation(
        &mut self,
        st: &ast::Standardised,
        scope: &Scope,
        population: &str,
    ) -> Option<ir::Standardisation> {
        let band =
            ast::Expr { kind: ast::ExprKind::Path { qualifiers: Vec::new(), name: st.by.clone() }, span: st.by.span };
        let by = self.expr(&band, scope);
        if let Some(b) = &by {
            if b.ty != ir::Type::Text {
                self.error(
                    Diagnostic::new(
                        Code::Standardisation,
                        st.by.span,
                        format!("`{}` is {}, and a band is text", st.by.node, b.ty.describe()),
                    )
                    .label("not a band label")
                    .help("name a text column or named value holding the population's `age_group` labels: `let age_band = band(age, 5, \"0-4\", ...)`"),
                );
                return None;
            }
        }
        let bands = match self.standards.get(&st.standard.node) {
            Some(bands) => bands.clone(),
            None => {
                let names: Vec<&str> = self.standards.keys().map(String::as_str).collect();
                let suggestion = did_you_mean(&st.standard.node, names.iter().copied());
                self.error(super::unknown(
                    Code::UnknownStandard,
                    &st.standard,
                    "standard population",
                    suggestion,
                    "use `esp2013`, or declare one with `standard NAME { \"BAND\" WEIGHT, ... }`",
                ));
                return None;
            }
        };
        self.banded(population, st.span, "each row's band, labelled as the standard's bands are")?;
        Some(ir::Standardisation { by: by?, standard: st.standard.node.clone(), bands })
    }

    /// The population's source bands its rows by an `age_group` text column, or that is
    /// reported at `span`; `labels` says how its labels are written.
    fn banded(&mut self, population: &str, span: Span, labels: &str) -> Option<()> {
        let banded = self
            .population_source(population)
            .is_some_and(|s| s.column(ir::AGE_GROUP).is_some_and(|c| c.ty == ir::ColumnType::Text));
        if !banded {
            self.error(
                Diagnostic::new(
                    Code::Standardisation,
                    span,
                    format!("population `{population}` has no `age_group` text column to standardise by"),
                )
                .label("no bands in the population")
                .help(format!("declare `age_group text` in the population's source: {labels}")),
            );
            return None;
        }
        Some(())
    }

    fn not_standardised(&mut self, st: &ast::Standardised, what: &str) {
        self.error(
            Diagnostic::new(Code::Standardisation, st.span, format!("{what} cannot be standardised"))
                .label("standardisation here")
                .help("standardise the counting measure: `count deaths in period by date_of_death` with `per 100000 pop standardised by age_band using esp2013`"),
        );
    }

    /// The measure's unit ([`Parts::unit`]), with what is wrong with its `unit` clause said.
    fn unit(&mut self, parts: &Parts<'_>) -> Unit {
        let inferred = parts.inferred_unit();
        let Some(u) = parts.unit else { return inferred };
        let Some(explicit) = Unit::parse(&u.node) else {
            self.error(unknown_word(u, "unit", &["count", "percent", "rate_per_10000", "number"]));
            return inferred;
        };
        if explicit != inferred && !parts.unit_is_free() {
            self.error(
                Diagnostic::new(
                    Code::UnitMismatch,
                    u.span,
                    format!("this measure's form gives a {}, not a {}", inferred.name(), explicit.name()),
                )
                .label("contradicts the form")
                .help(format!("remove the `unit` clause, or write `unit {}`", inferred.name())),
            );
            return inferred;
        }
        explicit
    }

    fn target(
        &mut self,
        parts: &Parts<'_>,
        m: &ast::Measure,
        unit: Unit,
        polarity: Polarity,
        def: &Definition,
    ) -> Option<ir::Target> {
        let Slot { value: (figure, per_year), clause } = parts.target?;
        if polarity == Polarity::None {
            self.error(
                Diagnostic::new(
                    Code::TargetWithoutPolarity,
                    clause.span,
                    format!("measure `{}` has a target but no polarity", m.name.node),
                )
                .label("target without polarity")
                .help("add `polarity high` (higher is better) or `polarity low`"),
            );
        }
        if figure.percent && unit != Unit::Percent {
            self.error(
                Diagnostic::new(
                    Code::UnitMismatch,
                    figure.span,
                    format!("a percentage target on a measure whose unit is {}", unit.name()),
                )
                .label("percentage")
                .help(format!("write the target without `%`: `target {}`", figure.text)),
            );
        }
        let event_count =
            matches!(def, Definition::Count { rows: RowSet { selection: Selection::EventIn(_), .. }, .. });
        if per_year && !event_count {
            self.error(
                Diagnostic::new(
                    Code::AnnualTargetNotCount,
                    clause.span,
                    "only a count of events in the period can have a target `per year`",
                )
                .label("cannot be pro-rated")
                .help(format!(
                    "write `target {}{}`; it then holds in every period",
                    figure.text,
                    if figure.percent { "%" } else { "" }
                )),
            );
        }
        Some(ir::Target { value: figure.value, per_year })
    }

    fn benchmarks(&mut self, parts: &Parts<'_>, unit: Unit) -> ir::Benchmarks {
        let mut b = ir::Benchmarks::default();
        let Some(items) = parts.benchmark.map(|c| c.value) else {
            return b;
        };
        let mut seen: HashMap<String, Span> = HashMap::new();
        for item in items {
            let key = match &item.kind {
                BenchmarkKind::Figure { of, .. } => of.node.clone(),
                BenchmarkKind::Method(_) => "sn method".into(),
                BenchmarkKind::Published { .. } => "published".into(),
            };
            if let Some(first) = seen.insert(key.clone(), item.span) {
                self.error(
                    Diagnostic::new(Code::DuplicateBenchmark, item.span, format!("the {key} benchmark is given twice"))
                        .label("second one")
                        .with_secondary(first, "first one")
                        .help("keep one"),
                );
                continue;
            }
            match &item.kind {
                BenchmarkKind::Figure { of, figure } => {
                    if figure.percent && unit != Unit::Percent {
                        self.error(
                            Diagnostic::new(
                                Code::UnitMismatch,
                                figure.span,
                                format!("a percentage benchmark for a measure whose unit is {}", unit.name()),
                            )
                            .label("percentage")
                            .help(format!("write the figure without `%`: `{}`", figure.text)),
                        );
                    }
                    match of.node.as_str() {
                        "sn" => b.sn = Some(figure.value),
                        "england" => b.england = Some(figure.value),
                        "la" => b.la = Some(figure.value),
                        _ => self.error(unknown_word(of, "benchmark kind", &["sn", "england", "la"])),
                    }
                }
                BenchmarkKind::Method(m) => match m.node.as_str() {
                    "mean" => b.sn_method = Some(ir::SnMethod::Mean),
                    "median" => b.sn_method = Some(ir::SnMethod::Median),
                    _ => self.error(unknown_word(m, "statistical-neighbour average", &["mean", "median"])),
                },
                BenchmarkKind::Published { source, column, filter, per } => {
                    let Some(src) = self.lookup_source(source) else {
                        continue;
                    };
                    if src.subset.is_some() {
                        self.error(super::sources::not_a_table(source, &src, "a published benchmark"));
                        continue;
                    }
                    match src.column(&column.node) {
                        None => {
                            self.unknown_column(column, &src);
                            continue;
                        }
                        Some(c) if !matches!(c.ty, ir::ColumnType::Int | ir::ColumnType::Decimal) => {
                            let ty = c.ty.name();
                            self.error(
                                Diagnostic::new(Code::TypeMismatch, column.span, format!("a published benchmark needs a numeric column, and `{}` is {ty}", column.node))
                                    .label("not numeric")
                                    .help("declare the column `int` or `decimal`, with the suppression codes as `missing \"c\", \"x\"`"),
                            );
                            continue;
                        }
                        Some(_) => self.resolves_value(column, &src),
                    }
                    let filter = match filter {
                        Some(f) => match self.condition(f, &Scope::plain_row(src.clone())) {
                            Some(f) => Some(f),
                            None => continue,
                        },
                        None => None,
                    };
                    if let Some(st) = per.as_ref().and_then(|p| p.standardised.as_ref()) {
                        self.not_standardised(st, "a published benchmark");
                        continue;
                    }
                    let per = match per {
                        Some(p) => match self.per_spec(p) {
                            Some(p) => Some(p),
                            None => continue,
                        },
                        None => None,
                    };
                    b.published = Some(ir::PublishedBenchmark {
                        source: src.name.clone(),
                        column: column.node.clone(),
                        filter,
                        per,
                    });
                }
            }
        }
        b
    }

    fn rag(
        &mut self,
        parts: &Parts<'_>,
        unit: Unit,
        polarity: Polarity,
        target: Option<&ir::Target>,
        b: &ir::Benchmarks,
    ) -> Vec<ir::RagRule> {
        let Some(Slot { value: rules, clause: rag_clause }) = parts.rag else {
            return Vec::new();
        };
        let scope = Scope::Rag {
            unit,
            has_target: target.is_some(),
            has_benchmark: b.sn.is_some() || b.published.is_some(),
            has_england: b.england.is_some() || b.published.is_some(),
            has_funnel: parts.funnel.is_some(),
        };
        let mut out = Vec::new();
        let mut all_ok = true;
        let mut otherwise_at: Option<Span> = None;
        for r in rules {
            if let Some(o) = otherwise_at {
                self.error(
                    Diagnostic::new(
                        Code::RagUnreachable,
                        r.span,
                        "this rule comes after `otherwise` and can never match",
                    )
                    .label("unreachable")
                    .with_secondary(o, "`otherwise` matches everything left")
                    .help("put `otherwise` last"),
                );
                all_ok = false;
                continue;
            }
            let colour = ir::RagColour::parse(&r.colour.node);
            if colour.is_none() {
                self.error(unknown_word(&r.colour, "RAG colour", ir::RagColour::NAMES));
            }
            let condition = match &r.condition {
                Some(c) => {
                    let checked = self.condition(c, &scope);
                    if checked.is_none() {
                        all_ok = false;
                    }
                    checked
                }
                None => {
                    otherwise_at = Some(r.span);
                    None
                }
            };
            match colour {
                Some(colour) => out.push(ir::RagRule { colour, condition }),
                None => all_ok = false,
            }
        }
        if all_ok {
            if let Some(d) = super::rag::analyse(&out, polarity, target, b, rag_clause.span) {
                self.error(d);
            }
        }
        out
    }

    /// `rate of MEASURE per N POPULATION`: the counted (or summed) measure's rows and window,
    /// and the breakdowns its own `by` names, taken from the counted measure.
    fn rate_of(
        &mut self,
        measure: &ast::Ident,
        per: &ast::PerSpec,
        by: Option<&[ast::ByItem]>,
        built: &[Option<ir::Measure>],
        rates: &HashMap<String, Unit>,
    ) -> Option<(Definition, Window, Vec<ir::Breakdown>)> {
        if let Some(st) = &per.standardised {
            self.not_standardised(st, "`rate of MEASURE`");
            return None;
        }
        if self.measure_names.contains_key(&measure.node) {
            self.resolves(measure.span, Target::Measure(measure.node.clone()));
        }
        let (per, population) = self.per_spec(per)?;
        let Some(counted) = built.iter().flatten().find(|b| b.name == measure.node) else {
            if let Some(&defined) = self.measure_names.get(&measure.node) {
                // A rate of a rate, not built yet; any other measure had errors of its own.
                if let Some(&unit) = rates.get(&measure.node) {
                    self.error(not_a_count(measure, unit, defined));
                }
                return None;
            }
            let suggestion = did_you_mean(&measure.node, self.measure_names.keys().map(String::as_str));
            self.error(super::unknown(
                Code::UnknownMeasure,
                measure,
                "measure",
                suggestion,
                "use the name after `measure`",
            ));
            return None;
        };
        let (rows, distinct, summed) = match &counted.definition {
            Definition::Count { rows, distinct } => (rows, distinct.clone(), None),
            Definition::Aggregate { func: ir::AggregateFn::Sum, expr, rows, distinct: None } => {
                (rows, None, Some(expr.clone()))
            }
            _ => {
                self.error(not_a_count(measure, counted.unit, counted.span));
                return None;
            }
        };
        let definition = Definition::Rate {
            rows: rows.clone(),
            distinct,
            summed,
            per,
            population,
            of_measure: Some(counted.name.clone()),
            standardised: None,
        };
        let mut breakdowns = Vec::new();
        let mut ok = true;
        for item in by.into_iter().flatten() {
            let found = match (&item.name, &item.expr.kind) {
                (None, ast::ExprKind::Path { qualifiers, name }) if qualifiers.is_empty() => {
                    counted.breakdowns.iter().find(|b| b.name == name.node)
                }
                _ => None,
            };
            match found {
                // The rate's own label, else the counted measure's.
                Some(b) => breakdowns.push(ir::Breakdown {
                    label: item.label.as_ref().map(|l| l.node.clone()).or_else(|| b.label.clone()),
                    ..b.clone()
                }),
                None => {
                    ok = false;
                    let names: Vec<String> = counted.breakdowns.iter().map(|b| format!("`{}`", b.name)).collect();
                    self.error(
                        Diagnostic::new(
                            Code::UnknownColumn,
                            item.span,
                            format!(
                                "a rate's breakdowns are the counted measure's, and `{}` has none like this",
                                counted.name
                            ),
                        )
                        .label("not a breakdown of the counted measure")
                        .with_secondary(counted.span, "counted measure")
                        .help(if names.is_empty() {
                            format!("add `by` to `{}` first", counted.name)
                        } else {
                            format!("name one of {}", names.join(", "))
                        }),
                    );
                }
            }
        }
        ok.then_some((definition, counted.window, breakdowns))
    }

    fn check_cycles(&mut self, decls: &[MeasureDecl<'_>], measures: &[ir::Measure]) {
        for cycle in MeasureGraph::of(measures).cycles() {
            let m = &measures[cycle[0]];
            let span = decls.iter().find(|d| d.ast.name.node == m.name).map_or(m.span, |d| d.ast.name.span);
            let names: Vec<&str> = cycle.iter().chain(&cycle[..1]).map(|&i| measures[i].name.as_str()).collect();
            self.error(
                Diagnostic::new(
                    Code::Cycle,
                    span,
                    format!("measures refer to each other in a loop: {}", names.join(" → ")),
                )
                .label("part of the loop")
                .help("define one of these measures from a source instead of from the others"),
            );
        }
    }

    /// A measure over other measures (`calculate`, `rate of`) reports in their year.
    fn check_years(&mut self, measures: &[ir::Measure]) {
        let graph = MeasureGraph::of(measures);
        let shown = |y: Option<crate::calendar::ReportingYear>| match y {
            Some(y) => format!("by {} year", y.name()),
            None => "in the book's year".to_string(),
        };
        for (i, m) in measures.iter().enumerate() {
            if let Some(&j) = graph.reads(i).iter().find(|&&j| measures[j].year != m.year) {
                let other = &measures[j];
                self.error(
                    Diagnostic::new(
                        Code::ClauseNotAllowed,
                        m.span,
                        format!(
                            "`{}` is reported {} and reads `{}`, reported {}",
                            m.name,
                            shown(m.year),
                            other.name,
                            shown(other.year)
                        ),
                    )
                    .label("another reporting year")
                    .with_secondary(other.span, "reported in another year")
                    .help(
                        "a measure over other measures reports in their year: give both the same `reported by` clause",
                    ),
                );
            }
        }
    }

    fn check_refs(&mut self, measures: &[ir::Measure]) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for m in measures {
            if let Some(first) = seen.get(m.reference.as_str()) {
                self.error(
                    Diagnostic::new(
                        Code::DuplicateRef,
                        m.span,
                        format!("ref \"{}\" is already used by another measure", m.reference),
                    )
                    .label("duplicate ref")
                    .with_secondary(*first, "first used here")
                    .help("give each measure its own ref"),
                );
            } else {
                seen.insert(&m.reference, m.span);
            }
        }
    }
}

/// The labels of a `band` or the text results of a `switch`, in the order they are written.
fn labels_in_order(e: &ir::Expr) -> Vec<String> {
    let ir::ExprKind::Call { func, args } = &e.kind else { return Vec::new() };
    let text = |x: &ir::Expr| match &x.kind {
        ir::ExprKind::Literal(ir::Value::Text(t)) => Some(t.clone()),
        _ => None,
    };
    match func {
        ir::Function::Band => args.iter().skip(1).step_by(2).filter_map(text).collect(),
        ir::Function::Switch => {
            let n = args.len();
            (2..n).step_by(2).chain((n % 2 == 0).then_some(n - 1)).filter_map(|i| text(&args[i])).collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostics::Code;
    use crate::ir::{Definition, Measure, Unit};

    const SOURCES: &str = r#"
source referrals {
  referral_id    text  key
  child_id       text
  referral_date  date?
  team           text?
  n              int?
}

source population {
  year        int
  population  int?
}

population kids from population

measure referrals_in_period {
  ref "c"
  count referrals
  in period by referral_date
  by team "Social work team"
}

measure summed {
  ref "s"
  sum n of referrals
  in period by referral_date
}

measure share {
  ref "p"
  percent of referrals
  in period by referral_date
  meeting team = "a"
}
"#;

    /// The measure `m` written as `clauses` beside the sources above: the checked measure, or
    /// the codes of the problems found.
    fn checked(clauses: &str) -> Result<Measure, Vec<Code>> {
        let text = format!("{SOURCES}\nmeasure m {{\n  ref \"m\"\n{clauses}\n}}\n");
        let (_, checked) = crate::project::check_texts(&[("m.ind", &text)]);
        let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
        match checked.project {
            Some(p) if codes.is_empty() => Ok(p.measures.into_iter().find(|m| m.name == "m").expect("measure m")),
            _ => Err(codes),
        }
    }

    #[test]
    fn the_form_gives_the_unit_and_unit_may_say_what_it_leaves_open() {
        let cases: &[(&str, Result<Unit, Code>)] = &[
            ("  count referrals", Ok(Unit::Count)),
            ("  count referrals\n  per 10000 kids", Ok(Unit::RatePer(10000))),
            ("  count referrals\n  per 1000 kids\n  unit rate_per_1000", Ok(Unit::RatePer(1000))),
            ("  percent of referrals\n  meeting team = \"a\"", Ok(Unit::Percent)),
            ("  percent of referrals\n  meeting team = \"a\"\n  unit percent", Ok(Unit::Percent)),
            ("  rate of referrals_in_period per 10000 kids", Ok(Unit::RatePer(10000))),
            ("  max n of referrals", Ok(Unit::Number)),
            ("  max n of referrals\n  unit count", Ok(Unit::Count)),
            ("  sum n of referrals\n  unit rate_per_100", Ok(Unit::RatePer(100))),
            ("  calculate share / 2", Ok(Unit::Number)),
            ("  calculate share / 2\n  unit percent", Ok(Unit::Percent)),
            ("  count referrals\n  unit percent", Err(Code::UnitMismatch)),
            ("  rate of referrals_in_period per 10000 kids\n  unit count", Err(Code::UnitMismatch)),
            ("  percent of referrals\n  meeting team = \"a\"\n  unit number", Err(Code::UnitMismatch)),
            ("  max n of referrals\n  unit dozens", Err(Code::UnknownValue)),
        ];
        for (clauses, expected) in cases {
            let got = checked(clauses);
            match expected {
                Ok(unit) => assert_eq!(got.map(|m| m.unit), Ok(*unit), "{clauses}"),
                Err(code) => assert_eq!(got.err(), Some(vec![*code]), "{clauses}"),
            }
        }
    }

    #[test]
    fn rate_of_takes_the_counted_measures_rows_window_and_breakdowns() {
        let m = checked("  rate of referrals_in_period per 10000 kids\n  by team").unwrap();
        let Definition::Rate { per, population, of_measure, summed, rows, .. } = &m.definition else {
            panic!("{:?}", m.definition)
        };
        assert_eq!((*per, population.as_str(), of_measure.as_deref()), (10000, "kids", Some("referrals_in_period")));
        assert!(summed.is_none());
        assert_eq!(rows.source, "referrals");
        assert_eq!(m.breakdowns.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(), ["team"]);
        assert_eq!(m.interval.method, Some(crate::ir::IntervalMethod::Poisson));
        // The counted measure's label comes with its breakdown, unless the rate gives its own.
        assert_eq!(m.breakdowns[0].heading(), "Social work team");
        let m = checked("  rate of referrals_in_period per 10000 kids\n  by team \"Team\"").unwrap();
        assert_eq!(m.breakdowns[0].heading(), "Team");

        // A rate of a sum (a published count per LA) has no Poisson interval.
        let m = checked("  rate of summed per 10000 kids").unwrap();
        assert!(matches!(&m.definition, Definition::Rate { summed: Some(_), .. }));
        assert_eq!(m.interval.method, None);

        let refused: &[(&str, &[Code])] = &[
            ("  rate of share per 10000 kids", &[Code::RateOfNonCount]),
            ("  rate of nosuch per 10000 kids", &[Code::UnknownMeasure]),
            ("  rate of referrals_in_period per 10000 kids\n  by nosuch", &[Code::UnknownColumn]),
            ("  rate of referrals_in_period per 10000 kids\n  where team = \"a\"", &[Code::ClauseNotAllowed]),
            ("  rate of referrals_in_period per 10000 kids\n  in period by referral_date", &[Code::ClauseNotAllowed]),
            ("  rate of referrals_in_period per 10.5 kids", &[Code::InvalidNumber]),
            ("  rate of referrals_in_period per 10000 nokids", &[Code::UnknownPopulation]),
        ];
        for (clauses, codes) in refused {
            assert_eq!(checked(clauses).err().as_deref(), Some(*codes), "{clauses}");
        }
    }

    #[test]
    fn a_rate_of_a_rate_is_refused_wherever_either_is_declared() {
        let rate = "measure r {\n  ref \"r\"\n  rate of referrals_in_period per 10000 kids\n}\n";
        let of_rate = "measure rr {\n  ref \"rr\"\n  rate of r per 10000 kids\n}\n";
        for text in [format!("{SOURCES}\n{rate}\n{of_rate}"), format!("{SOURCES}\n{of_rate}\n{rate}")] {
            let (_, checked) = crate::project::check_texts(&[("m.ind", &text)]);
            let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
            assert_eq!(codes, [Code::RateOfNonCount], "{text}");
            assert!(checked.diagnostics[0].message.starts_with("`r` is a rate_per_10000"));
        }
    }
}
