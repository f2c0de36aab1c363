//! Measures: one form, its rows, window, breakdowns and judgement.

use super::exprs::Scope;
use super::{unknown_word, Checker, MeasureDecl};
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, AggregateFn, Definition, NumberKind, Polarity, RowSet, Selection, Type, Unit, Window};
use crate::measure_graph::MeasureGraph;
use crate::span::{Span, Spanned};
use crate::syntax::ast::{self, BenchmarkKind, ClauseKind, WindowSpec};
use std::collections::HashMap;

/// The clauses of one measure, sorted by role, each checked to appear at most once.
#[derive(Default)]
struct Parts<'m> {
    reference: Option<&'m ast::Str>,
    title: Option<&'m ast::Str>,
    description: Option<&'m ast::Str>,
    theme: Option<&'m ast::Str>,
    unit: Option<&'m ast::Ident>,
    precision: Option<&'m Spanned<f64>>,
    form: Option<&'m ast::Clause>,
    selection: Option<&'m ast::Clause>,
    wheres: Vec<&'m ast::Expr>,
    excludings: Vec<&'m ast::Expr>,
    meeting: Option<&'m ast::Clause>,
    per: Option<&'m ast::Clause>,
    cumulative: Option<&'m ast::Clause>,
    by: Option<&'m ast::Clause>,
    polarity: Option<&'m ast::Ident>,
    target: Option<&'m ast::Clause>,
    rag: Option<&'m ast::Clause>,
    benchmark: Option<&'m ast::Clause>,
    interval: Option<&'m ast::Clause>,
}

/// The unit a measure's form gives, before anything else is checked.
fn form_unit(m: &ast::Measure) -> Unit {
    let mut unit = None;
    let mut per = None;
    let mut explicit = None;
    for c in &m.clauses {
        match &c.kind {
            ClauseKind::Count { .. } => unit = Some(Unit::Count),
            ClauseKind::Percent { .. } => unit = Some(Unit::Percent),
            ClauseKind::RateOf { per: p, .. } => unit = Some(Unit::RatePer(p.per.node as u32)),
            ClauseKind::Aggregate { .. } | ClauseKind::Calculate(_) => unit = Some(Unit::Number),
            ClauseKind::Per(p) => per = Some(Unit::RatePer(p.per.node as u32)),
            ClauseKind::Unit(u) => explicit = Unit::parse(&u.node),
            _ => {}
        }
    }
    match unit {
        Some(Unit::Count) => per.unwrap_or(Unit::Count),
        Some(Unit::Number) => explicit.unwrap_or(Unit::Number),
        Some(u) => u,
        None => explicit.unwrap_or(Unit::Number),
    }
}

fn twice(span: Span, keyword: &str) -> Diagnostic {
    Diagnostic::new(Code::DuplicateClause, span, format!("`{keyword}` is given twice in this measure"))
        .label("second one")
        .help("keep one; only `where` and `excluding` may repeat")
}

impl Checker<'_> {
    pub(super) fn measures(&mut self, decls: &[MeasureDecl<'_>]) -> Vec<ir::Measure> {
        let units: HashMap<String, Unit> = decls.iter().map(|d| (d.ast.name.node.clone(), form_unit(d.ast))).collect();
        let mut built: Vec<Option<ir::Measure>> = Vec::new();
        let mut rate_of: Vec<(usize, &ast::Measure)> = Vec::new();
        for d in decls {
            let is_rate_of = d.ast.clauses.iter().any(|c| matches!(c.kind, ClauseKind::RateOf { .. }));
            let m = self.measure(d, &units);
            if is_rate_of {
                rate_of.push((built.len(), d.ast));
            }
            built.push(m);
        }
        // `rate of M` takes M's rows, so it is resolved once every count is built.
        for (i, ast_measure) in rate_of {
            let Some(m) = built[i].take() else { continue };
            built[i] = self.resolve_rate_of(m, ast_measure, &built);
        }
        let measures: Vec<ir::Measure> = built.into_iter().flatten().collect();
        self.check_cycles(decls, &measures);
        self.check_refs(&measures);
        measures
    }

    fn split<'m>(&mut self, m: &'m ast::Measure) -> Parts<'m> {
        let mut p = Parts::default();
        macro_rules! once {
            ($slot:expr, $value:expr, $clause:expr) => {{
                if $slot.is_some() {
                    self.error(twice($clause.span, $clause.kind.keyword()));
                } else {
                    $slot = Some($value);
                }
            }};
        }
        for c in &m.clauses {
            match &c.kind {
                ClauseKind::Ref(s) => once!(p.reference, s, c),
                ClauseKind::Title(s) => once!(p.title, s, c),
                ClauseKind::Description(s) => once!(p.description, s, c),
                ClauseKind::Theme(s) => once!(p.theme, s, c),
                ClauseKind::Unit(u) => once!(p.unit, u, c),
                ClauseKind::Precision(n) => once!(p.precision, n, c),
                ClauseKind::Count { .. }
                | ClauseKind::Percent { .. }
                | ClauseKind::RateOf { .. }
                | ClauseKind::Aggregate { .. }
                | ClauseKind::Calculate(_) => {
                    if let Some(first) = p.form {
                        self.error(
                            Diagnostic::new(
                                Code::TwoDefinitions,
                                c.span,
                                format!("measure `{}` already has a definition", m.name.node),
                            )
                            .label("second definition")
                            .with_secondary(first.span, "first definition")
                            .help("keep one definition; make a second measure for the other"),
                        );
                    } else {
                        p.form = Some(c);
                    }
                }
                ClauseKind::InPeriod(_)
                | ClauseKind::OpenAtPeriodEnd
                | ClauseKind::OpenDuringPeriod
                | ClauseKind::LatestSnapshot => {
                    if let Some(first) = p.selection {
                        self.error(
                            Diagnostic::new(Code::DuplicateClause, c.span, "this measure already selects its rows")
                                .label("second selection")
                                .with_secondary(first.span, "first selection")
                                .help("keep one of `in period by`, `open at period end`, `open during period` and `latest snapshot`"),
                        );
                    } else {
                        p.selection = Some(c);
                    }
                }
                ClauseKind::Where(e) => p.wheres.push(e),
                ClauseKind::Excluding(e) => p.excludings.push(e),
                ClauseKind::Meeting(_) => once!(p.meeting, c, c),
                ClauseKind::Per(_) => once!(p.per, c, c),
                ClauseKind::Cumulative(_) => once!(p.cumulative, c, c),
                ClauseKind::By(_) => once!(p.by, c, c),
                ClauseKind::Polarity(i) => once!(p.polarity, i, c),
                ClauseKind::Target { .. } => once!(p.target, c, c),
                ClauseKind::Interval { .. } => once!(p.interval, c, c),
                ClauseKind::Rag(_) => once!(p.rag, c, c),
                ClauseKind::Benchmark(_) => once!(p.benchmark, c, c),
            }
        }
        p
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

    fn measure(&mut self, d: &MeasureDecl<'_>, units: &HashMap<String, Unit>) -> Option<ir::Measure> {
        let m = d.ast;
        let parts = self.split(m);
        let Some(form) = parts.form else {
            self.error(
                Diagnostic::new(Code::NoDefinition, m.name.span, format!("measure `{}` does not say what it computes", m.name.node))
                    .label("no definition")
                    .help("add `count SOURCE`, `percent of SOURCE`, `rate of MEASURE per 10000 POPULATION`, `max EXPR of SOURCE` or `calculate EXPR`"),
            );
            return None;
        };

        let (definition, window, breakdowns) = match &form.kind {
            ClauseKind::Calculate(expr) => {
                for c in [parts.selection, parts.meeting, parts.per, parts.cumulative, parts.by].into_iter().flatten() {
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
            ClauseKind::RateOf { .. } => {
                for c in [parts.selection, parts.meeting, parts.per, parts.cumulative].into_iter().flatten() {
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
                // Resolved once every count is built; a placeholder keeps the measure's place.
                (Definition::Derived { expr: placeholder(form.span) }, Window::Period, Vec::new())
            }
            _ => self.row_form(m, &parts, form)?,
        };

        let unit = self.unit(&parts, &definition, form);
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
        let target = self.target(&parts, m, unit, polarity, &definition);
        let benchmarks = self.benchmarks(&parts, unit);
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
        let rag = self.rag(&parts, unit, polarity, target.as_ref(), &benchmarks);

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
        let interval = self.interval(&parts, unit);
        Some(ir::Measure {
            name: m.name.node.clone(),
            reference,
            title: parts.title.map_or_else(|| m.name.node.clone(), |t| t.node.clone()),
            description: parts.description.map(|s| s.node.clone()),
            theme: parts.theme.or(d.theme).map(|t| t.node.clone()),
            unit,
            precision,
            definition,
            window,
            breakdowns,
            polarity,
            target,
            rag,
            benchmarks,
            interval,
            span: m.name.span,
        })
    }

    /// The measure's confidence interval: the method its kind has (Wilson for a percentage,
    /// Poisson for a count or a rate), unless it says `none`; a method of another kind, or a
    /// level outside (0, 100), is refused.
    fn interval(&mut self, parts: &Parts<'_>, unit: Unit) -> ir::IntervalSpec {
        use ir::IntervalMethod;
        let own = match parts.form.map(|c| &c.kind) {
            Some(ClauseKind::Percent { .. }) => Some(IntervalMethod::Wilson),
            Some(ClauseKind::Count { .. } | ClauseKind::RateOf { .. }) => Some(IntervalMethod::Poisson),
            _ => None,
        };
        let Some(ClauseKind::Interval { method, level }) = parts.interval.map(|c| &c.kind) else {
            return ir::IntervalSpec { method: own, confidence: None };
        };
        let method = match method {
            None => own,
            Some(m) if m.node == "none" => None,
            Some(m) => {
                let asked = match m.node.as_str() {
                    "wilson" => IntervalMethod::Wilson,
                    "poisson" => IntervalMethod::Poisson,
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
    ) -> Option<(Definition, Window, Vec<ir::Breakdown>)> {
        let (source_name, distinct) = match &form.kind {
            ClauseKind::Count { distinct, source } | ClauseKind::Percent { distinct, source } => {
                (source, distinct.as_ref())
            }
            ClauseKind::Aggregate { source, distinct, .. } => (source, distinct.as_ref()),
            _ => unreachable!("row_form is called for row forms"),
        };
        let source = self.lookup_source(source_name)?;
        let scope = Scope::measure_row(source.clone());
        let mut ok = true;

        if let Some(col) = distinct {
            if source.column(&col.node).is_none() {
                self.unknown_column(col, &source);
                ok = false;
            }
        }
        let selection = match parts.selection.map(|c| &c.kind) {
            None => Selection::All,
            Some(ClauseKind::InPeriod(col)) => {
                ok &= self.date_column(&source, col, "in period by");
                Selection::EventIn(col.node.clone())
            }
            Some(kind @ (ClauseKind::OpenAtPeriodEnd | ClauseKind::OpenDuringPeriod)) => match &source.spans {
                Some((s, e)) if matches!(kind, ClauseKind::OpenAtPeriodEnd) => {
                    Selection::OpenAtEnd { start: s.clone(), end: e.clone() }
                }
                Some((s, e)) => Selection::OpenDuring { start: s.clone(), end: e.clone() },
                None => {
                    self.no_spans(
                        parts.selection.expect("selection"),
                        &source,
                        "spans start_date .. end_date",
                        kind.keyword(),
                    );
                    return None;
                }
            },
            Some(ClauseKind::LatestSnapshot) => match &source.snapshot {
                Some(col) => Selection::LatestSnapshot(col.clone()),
                None => {
                    self.no_spans(
                        parts.selection.expect("selection"),
                        &source,
                        "snapshot at snapshot_date",
                        "latest snapshot",
                    );
                    return None;
                }
            },
            Some(_) => unreachable!("selections are sorted by split"),
        };
        let filters: Vec<_> = parts.wheres.iter().map(|e| self.condition(e, &scope)).collect();
        let exclusions: Vec<_> = parts.excludings.iter().map(|e| self.condition(e, &scope)).collect();
        let rows = RowSet {
            source: source.name.clone(),
            selection,
            filters: filters.into_iter().collect::<Option<_>>()?,
            exclusions: exclusions.into_iter().collect::<Option<_>>()?,
        };

        let window = match parts.cumulative.map(|c| (&c.kind, c.span)) {
            None => Window::Period,
            Some((ClauseKind::Cumulative(w), span)) => {
                let window = match w {
                    WindowSpec::FromFyStart => Window::FromFyStart,
                    WindowSpec::Since(d) => Window::Since(d.node),
                };
                if window == Window::FromFyStart
                    && matches!(rows.selection, Selection::OpenAtEnd { .. } | Selection::LatestSnapshot(_))
                {
                    self.error(
                        Diagnostic::new(
                            Code::WindowIgnored,
                            span,
                            "`cumulative from fy start` changes nothing for a measure taken at one day",
                        )
                        .label("no effect")
                        .help("remove the clause"),
                    );
                }
                window
            }
            Some(_) => unreachable!("cumulative clauses are sorted by split"),
        };

        let mut breakdowns = Vec::new();
        if let Some(ClauseKind::By(items)) = parts.by.map(|c| &c.kind) {
            match self.breakdowns(items, &scope) {
                Some(b) => breakdowns = b,
                None => ok = false,
            }
        }

        let definition = match &form.kind {
            ClauseKind::Count { .. } => {
                if let Some(c) = parts.meeting {
                    self.not_allowed(
                        c,
                        "a count",
                        "`meeting` gives the numerator of `percent of`; to count only some rows use `where`",
                    );
                    return None;
                }
                match parts.per.map(|c| &c.kind) {
                    Some(ClauseKind::Per(per)) => {
                        let (per, population) = self.per_spec(per)?;
                        Definition::Rate {
                            rows,
                            distinct: distinct.map(|d| d.node.clone()),
                            summed: None,
                            per,
                            population,
                            of_measure: None,
                        }
                    }
                    _ => Definition::Count { rows, distinct: distinct.map(|d| d.node.clone()) },
                }
            }
            ClauseKind::Percent { .. } => {
                if let Some(c) = parts.per {
                    self.not_allowed(
                        c,
                        "a percentage",
                        "a rate counts rows per population; make a separate `count` measure with `per`",
                    );
                    return None;
                }
                let Some(ClauseKind::Meeting(num)) = parts.meeting.map(|c| &c.kind) else {
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
            ClauseKind::Aggregate { func, expr, distinct, .. } => {
                for c in [parts.meeting, parts.per].into_iter().flatten() {
                    self.not_allowed(c, "an aggregate", "aggregates take `where` and `excluding` to choose rows");
                }
                let Some(f) = AggregateFn::parse(&func.node) else {
                    self.error(unknown_word(func, "aggregate", &["max", "min", "sum", "mean", "median"]));
                    return None;
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
                Definition::Aggregate { func: f, expr, rows, distinct: distinct.as_ref().map(|d| d.node.clone()) }
            }
            _ => unreachable!("row_form is called for row forms"),
        };
        ok.then_some((definition, window, breakdowns))
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
            out.push(ir::Breakdown { name: name.node.clone(), expr, order });
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
                ir::ExprKind::LookupColumn { source: looked_up, name }
                    if source.lookup(looked_up).is_none_or(|l| l.by != entity) =>
                {
                    varying = Some((x, format!("`{looked_up}.{name}`")));
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
        let n = per.per.node;
        if n.fract() != 0.0 || !(1.0..=1e9).contains(&n) {
            self.error(
                Diagnostic::new(
                    Code::InvalidNumber,
                    per.per.span,
                    "a rate is per a whole number of people, such as 10000",
                )
                .label("not a whole number")
                .help("write `per 10000 children_0_17`"),
            );
            return None;
        }
        self.lookup_population(&per.population).then(|| (n as u32, per.population.node.clone()))
    }

    fn unit(&mut self, parts: &Parts<'_>, definition: &Definition, form: &ast::Clause) -> Unit {
        let inferred = match (definition, &form.kind) {
            (Definition::Count { .. }, _) => Unit::Count,
            (Definition::Proportion { .. }, _) => Unit::Percent,
            (Definition::Rate { per, .. }, _) => Unit::RatePer(*per),
            (_, ClauseKind::RateOf { per, .. }) => Unit::RatePer(per.per.node as u32),
            _ => Unit::Number,
        };
        let Some(u) = parts.unit else { return inferred };
        let Some(explicit) = Unit::parse(&u.node) else {
            self.error(unknown_word(u, "unit", &["count", "percent", "rate_per_10000", "number"]));
            return inferred;
        };
        let free = matches!(definition, Definition::Derived { .. } | Definition::Aggregate { .. })
            && !matches!(form.kind, ClauseKind::RateOf { .. });
        if explicit != inferred && !free {
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
        let clause = parts.target?;
        let ClauseKind::Target { figure, per_year } = &clause.kind else {
            return None;
        };
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
        if *per_year && !event_count {
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
        Some(ir::Target { value: figure.value, per_year: *per_year })
    }

    fn benchmarks(&mut self, parts: &Parts<'_>, unit: Unit) -> ir::Benchmarks {
        let mut b = ir::Benchmarks::default();
        let Some(ClauseKind::Benchmark(items)) = parts.benchmark.map(|c| &c.kind) else {
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
                        Some(_) => {}
                    }
                    let filter = match filter {
                        Some(f) => match self.condition(f, &Scope::plain_row(src.clone())) {
                            Some(f) => Some(f),
                            None => continue,
                        },
                        None => None,
                    };
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
        let Some(ClauseKind::Rag(rules)) = parts.rag.map(|c| &c.kind) else {
            return Vec::new();
        };
        let scope = Scope::Rag {
            unit,
            has_target: target.is_some(),
            has_benchmark: b.sn.is_some() || b.published.is_some(),
            has_england: b.england.is_some() || b.published.is_some(),
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
            let rag_span = parts.rag.map(|c| c.span).unwrap_or_default();
            if let Some(d) = super::rag::analyse(&out, polarity, target, b, rag_span) {
                self.error(d);
            }
        }
        out
    }

    fn resolve_rate_of(
        &mut self,
        mut m: ir::Measure,
        ast_measure: &ast::Measure,
        built: &[Option<ir::Measure>],
    ) -> Option<ir::Measure> {
        let Some(ClauseKind::RateOf { measure, per }) =
            ast_measure.clauses.iter().map(|c| &c.kind).find(|k| matches!(k, ClauseKind::RateOf { .. }))
        else {
            return None;
        };
        let (per, population) = self.per_spec(per)?;
        let Some(counted) = built.iter().flatten().find(|b| b.name == measure.node) else {
            if self.measure_names.contains_key(&measure.node) {
                return None; // It had errors of its own.
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
                self.error(
                    Diagnostic::new(
                        Code::RateOfNonCount,
                        measure.span,
                        format!("`{}` is a {}, and a rate divides a count or a sum", measure.node, counted.unit.name()),
                    )
                    .label("not a count or a sum")
                    .with_secondary(counted.span, "defined here")
                    .help("take the rate of a `count` or `sum` measure"),
                );
                return None;
            }
        };
        if summed.is_some() {
            // A rate of a summed figure (a published count per LA) is no count of events.
            m.interval.method = None;
        }
        m.definition = Definition::Rate {
            rows: rows.clone(),
            distinct,
            summed,
            per,
            population,
            of_measure: Some(counted.name.clone()),
        };
        m.window = counted.window;
        // The rate has the breakdowns its own `by` names, taken from the counted measure.
        let by = ast_measure.clauses.iter().find_map(|c| match &c.kind {
            ClauseKind::By(items) => Some(items),
            _ => None,
        });
        let mut ok = true;
        for item in by.into_iter().flatten() {
            let found = match (&item.name, &item.expr.kind) {
                (None, ast::ExprKind::Path { qualifier: None, name }) => {
                    counted.breakdowns.iter().find(|b| b.name == name.node)
                }
                _ => None,
            };
            match found {
                Some(b) => m.breakdowns.push(b.clone()),
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
        ok.then_some(m)
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

fn placeholder(span: Span) -> ir::Expr {
    ir::Expr { kind: ir::ExprKind::Literal(ir::Value::Int(0)), ty: Type::Number(NumberKind::Plain), span }
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
