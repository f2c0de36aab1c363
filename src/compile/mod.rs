//! Stage 3: checked IR → DataFusion logical plans, built with `LogicalPlanBuilder`.
//!
//! Per source, one plan scans the rows once and computes every measure over it for every
//! period as conditional aggregates (`count(CASE WHEN <period> AND <filters> THEN 1 END)`).
//! Working days join a calendar table; `exists` becomes a semi join whose keys flag the
//! rows. The sources' one-row results, the populations and derived measures meet in one
//! final projection: one row holding numerator, denominator and value of every measure for
//! every period. Breakdowns are the same aggregates grouped by the breakdown column.

mod adjacent;
pub mod cells;
mod cohort;
pub mod computed;
mod denominators;
mod drill;
pub mod expected;
pub mod exprs;
mod funnels;
mod intervals;
pub mod judge;
mod median;
mod merged;
mod overdispersion;
mod population;
mod related;
mod scope;
pub mod script;
mod source_plan;

pub use population::band_value_name as population_band_column;
pub use population::AREA_COLUMN;
pub mod sql;
#[cfg(feature = "substrait")]
pub mod substrait;

use crate::calendar::{working_days::HolidayList, ReportingPeriod};
use crate::ir::{Definition, Measure, Project, Standardised, Window};
use crate::measure_graph::MeasureGraph;
use crate::refusal::Refusal;
use crate::statistics::BYAR_FROM;
use cells::{Cell, Cells, Part};
use chrono::NaiveDate;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder, TableSource};
use datafusion::prelude::{lit, Expr};
use exprs::{as_f64, column, guarded_div, null_f64};
use source_plan::{AggregateColumn, Aggregated};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The calendar table plans join for working days: `date` (Date32) → `idx` (Int64).
pub const CALENDAR_TABLE: &str = "scorebook_calendar";

#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// What was asked cannot be compiled as asked: what and why, and what to do instead.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A broken invariant: the checker let through what compile cannot build.
    #[error("internal error: {0}; this is a bug in scorebook, please report it with the rule file")]
    Internal(String),
    #[error("measure `{measure}`: {source}")]
    InMeasure { measure: String, source: Box<CompileError> },
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
}

impl CompileError {
    pub fn internal(what: impl Into<String>) -> Self {
        CompileError::Internal(what.into())
    }

    /// What the user asked that cannot be compiled, and what to do, with the measure it is in
    /// named; `None` for internal errors and DataFusion's.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            CompileError::Refused(r) => Some(r.clone()),
            CompileError::InMeasure { measure, source } => {
                source.refusal().map(|r| Refusal { message: format!("measure `{measure}`: {}", r.message), ..r })
            }
            CompileError::Internal(_) | CompileError::DataFusion(_) => None,
        }
    }

    fn in_measure(self, m: &Measure) -> Self {
        match self {
            e @ CompileError::InMeasure { .. } => e,
            e => CompileError::InMeasure { measure: m.reference.clone(), source: Box::new(e) },
        }
    }
}

/// Resolves a table name (a source, or the calendar) to its plan-time description.
pub type TableResolver<'a> = dyn Fn(&str) -> Result<Arc<dyn TableSource>, CompileError> + 'a;

/// What compiling needs besides the project.
pub struct PlanInputs<'a> {
    pub project: &'a Project,
    pub periods: &'a [ReportingPeriod],
    pub holidays: &'a HolidayList,
    /// The authority's area code, to pick its rows from a population of many areas.
    pub area_code: Option<&'a str>,
    /// The run's as-of date: a cohort whose follow-up ends after it has no figures yet.
    pub as_of: NaiveDate,
    /// Population sources whose data has no area code column (declared optional): a file of
    /// one area, every row of which is the project's.
    pub one_area: &'a [String],
    pub tables: &'a TableResolver<'a>,
}

/// The schema of the calendar table.
pub fn calendar_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![Field::new("date", DataType::Date32, false), Field::new("idx", DataType::Int64, false)]))
}

/// The window a measure looks at for a period (as the version in force at the period's end
/// sets it), or `None` when the period ends before a
/// `cumulative since` date, or is a cohort whose follow-up has not ended by `as_of` (the
/// value is then missing).
pub fn window_of(m: &Measure, p: &ReportingPeriod, as_of: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let e = p.range.end;
    let m = m.in_force(e);
    if m.follow_up.is_some_and(|f| f.final_on(e) > as_of) {
        return None;
    }
    match m.window {
        Window::Period => Some((p.range.start, e)),
        Window::FromYearStart => Some((p.year.start(e), e)),
        Window::Since(d) => (e >= d).then_some((d, e)),
    }
}

/// A compiled book: one plan giving one row with every cell, and one plan per breakdown.
pub struct BookPlan {
    /// Indices (into `project.measures`) of the measures compiled, in project order.
    pub measures: Vec<usize>,
    /// One row with every cell of every measure and period.
    pub totals: LogicalPlan,
    /// Where each cell is in the row of `totals`.
    pub cells: Cells,
    pub breakdowns: Vec<BreakdownPlan>,
    /// The populations standardised rates read band by band, for the run to check that every
    /// band has a figure.
    pub banded: Vec<BandedPopulation>,
    /// The populations indirectly standardised figures read at a reference's rates, for the
    /// run to check that the reference has a rate for each of their age groups.
    pub expected: Vec<ExpectedEvents>,
}

/// A population at a reference's rates: the plans its expected events are computed from.
pub struct ExpectedEvents {
    pub population: String,
    pub reference: String,
    /// The measures that read it.
    pub measures: Vec<usize>,
    pub inputs: expected::Inputs,
}

/// A population as a standard's bands: one row, the figure of band `k` for period `pi` in
/// the column [`population::band_value_name`].
pub struct BandedPopulation {
    pub population: String,
    pub standard: String,
    pub labels: Vec<String>,
    /// The standardised measures that read it.
    pub measures: Vec<usize>,
    pub plan: LogicalPlan,
}

/// Rows of one breakdown: a `breakdown_value` column and the cells of its measures.
pub struct BreakdownPlan {
    /// The breakdown's name (the `breakdown` column of its rows).
    pub column: String,
    pub source: String,
    pub measures: Vec<usize>,
    /// Values in the order they are shown (`band` labels); others follow in text order.
    pub order: Vec<String>,
    pub plan: LogicalPlan,
    /// Where each cell of its measures is in the plan's rows.
    pub cells: Cells,
}

/// The rows of every plan, one after another, as one flat UNION ALL (a chain of unions of two
/// would nest as deep as it is long).
pub(crate) fn union_all(plans: Vec<LogicalPlanBuilder>) -> Result<LogicalPlanBuilder, CompileError> {
    let mut inputs = plans.into_iter().map(|p| p.build().map(Arc::new)).collect::<Result<Vec<_>, _>>()?;
    Ok(match inputs.len() {
        0 => return Err(CompileError::internal("a union of no plans")),
        1 => LogicalPlanBuilder::from(Arc::unwrap_or_clone(inputs.remove(0))),
        _ => LogicalPlanBuilder::from(LogicalPlan::Union(datafusion::logical_expr::Union::try_new_with_loose_types(
            inputs,
        )?)),
    })
}

/// The measures of `measures` a run reports: the chosen ones, or when none were chosen every
/// one that is not `hidden` (a helper other measures and tests read).
pub fn reported(project: &Project, measures: &[usize], chosen: Option<&[usize]>) -> Vec<usize> {
    measures
        .iter()
        .copied()
        .filter(|i| match chosen {
            Some(c) => c.contains(i),
            None => !project.measures[*i].hidden,
        })
        .collect()
}

/// A window's rows as a SELECT of their own: SQL names a window's result only outside the
/// SELECT computing it, and the unparser writes a projection straight over a window as one.
pub(crate) fn window_as_select(window: LogicalPlanBuilder) -> Result<LogicalPlanBuilder, CompileError> {
    let columns: Vec<Expr> = window.schema().columns().into_iter().map(Expr::Column).collect();
    Ok(window.project(columns)?)
}

/// The measures to compile: the chosen ones and what derived measures among them read.
pub fn with_dependencies(project: &Project, chosen: &[usize]) -> Vec<usize> {
    MeasureGraph::of(&project.measures).with_dependencies(chosen)
}

/// Compiles the chosen measures (all when `chosen` is `None`).
pub fn compile_book(inputs: &PlanInputs<'_>, chosen: Option<&[usize]>) -> Result<BookPlan, CompileError> {
    let project = inputs.project;
    let all: Vec<usize> = (0..project.measures.len()).collect();
    let graph = MeasureGraph::of(&project.measures);
    let measures = graph.with_dependencies(chosen.unwrap_or(&all));

    // Measures over each source, in project order.
    let mut by_source: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in &measures {
        if let Some(rows) = project.measures[i].definition.rows() {
            by_source.entry(rows.source.as_str()).or_default().push(i);
        }
    }

    let mut plans: Vec<LogicalPlan> = Vec::new();
    for (source, ms) in &by_source {
        plans.push(source_plan::aggregate(inputs, source, ms, None)?);
    }
    let populations = denominators::wanted(project, &measures);
    for p in &populations {
        plans.push(p.plan(inputs, false)?);
    }

    let mut builder = match plans.first() {
        Some(first) => LogicalPlanBuilder::from(first.clone()),
        None => LogicalPlanBuilder::empty(true),
    };
    for p in plans.into_iter().skip(1) {
        builder = builder.cross_join(p)?;
    }
    let (columns, cells) = final_cells(inputs, &graph, &measures, false, None)?;
    let totals = builder.project(columns)?.build()?;

    let mut breakdowns = Vec::new();
    for (source, ms) in &by_source {
        // Each breakdown once, with the measures cut by it, in name order.
        let mut cuts: Vec<&crate::ir::Breakdown> = ms.iter().flat_map(|&i| &project.measures[i].breakdowns).collect();
        cuts.sort_by(|a, b| a.name.cmp(&b.name));
        cuts.dedup();
        for cut in cuts {
            let with_c: Vec<usize> =
                ms.iter().copied().filter(|&i| project.measures[i].breakdowns.contains(cut)).collect();
            let agg_alias = source_plan::source_alias(source);
            let mut b = LogicalPlanBuilder::from(source_plan::aggregate(inputs, source, &with_c, Some(cut))?);
            let value = column(&agg_alias, source_plan::GROUP);
            // A breakdown by area divides each area's count by its own population.
            let by_area = cut.column() == Some(population::AREA_COLUMN);
            for p in &populations {
                if by_area && p.by_area(inputs) {
                    let on = value.clone().eq(column(&p.alias(true), population::AREA_COLUMN));
                    b = b.join_on(p.plan(inputs, true)?, datafusion::logical_expr::JoinType::Left, vec![on])?;
                } else {
                    b = b.cross_join(p.plan(inputs, false)?)?;
                }
            }
            // A percentage's funnel units are judged against the measure's whole, beside each
            // unit's row; a rate's against the units' average (`funnels`).
            let (rates, funnels): (Vec<usize>, Vec<usize>) = with_c
                .iter()
                .copied()
                .filter(|&i| project.measures[i].funnel_by(&cut.name))
                .partition(|&i| matches!(project.measures[i].definition, Definition::Rate { .. }));
            let whole = (!funnels.is_empty()).then(|| whole_alias(source));
            if let Some(alias) = &whole {
                let plan = LogicalPlanBuilder::from(source_plan::aggregate(inputs, source, &funnels, None)?);
                b = b.cross_join(plan.alias(alias.as_str())?.build()?)?;
            }
            let (figures, mut cells) =
                final_cells(inputs, &graph, &with_c, by_area, whole.as_deref().map(|a| (a, funnels.as_slice())))?;
            let columns = std::iter::once(value.alias("breakdown_value")).chain(figures);
            let plan =
                funnels::expected_events(b.project(columns)?, &mut cells, project, &rates, inputs.periods.len())?;
            let all_funnels: Vec<usize> = rates.iter().chain(&funnels).copied().collect();
            let plan = overdispersion::adjusted_scores(plan, &mut cells, project, &all_funnels, inputs.periods.len())?;
            breakdowns.push(BreakdownPlan {
                column: cut.name.clone(),
                source: source.to_string(),
                measures: with_c,
                order: cut.order.clone(),
                plan: plan.build()?,
                cells,
            });
        }
    }
    let mut banded = Vec::new();
    let mut expected_events = Vec::new();
    for p in populations.iter() {
        match p.reading {
            denominators::Reading::Banded(st) => banded.push(BandedPopulation {
                population: p.name.to_string(),
                standard: st.standard.clone(),
                labels: st.bands.iter().map(|b| b.label.clone()).collect(),
                measures: p.readers(project, &measures),
                plan: p.plan(inputs, false)?,
            }),
            denominators::Reading::Expected(reference) => expected_events.push(ExpectedEvents {
                population: p.name.to_string(),
                reference: reference.to_string(),
                measures: p.readers(project, &measures),
                inputs: expected::inputs(inputs, p.name, reference)?,
            }),
            denominators::Reading::Total => {}
        }
    }
    Ok(BookPlan { measures, totals, cells, breakdowns, banded, expected: expected_events })
}

/// Numerator, denominator and value of every (measure, period) from the aggregate columns,
/// and where each is. `by_area`: cells of a breakdown by area, whose rates use each area's
/// population.
fn final_cells(
    inputs: &PlanInputs<'_>,
    graph: &MeasureGraph,
    measures: &[usize],
    by_area: bool,
    whole: Option<(&str, &[usize])>,
) -> Result<(Vec<Expr>, Cells), CompileError> {
    let project = inputs.project;
    let mut values: BTreeMap<(usize, usize), Expr> = BTreeMap::new();
    let mut out = Vec::new();
    let mut cells = Cells::default();
    for i in graph.dependencies_first(measures) {
        let m = &project.measures[i];
        for (pi, p) in inputs.periods.iter().enumerate() {
            let (num, den, val, scale) = cell(inputs, i, pi, p, &values, by_area, None).map_err(|e| e.in_measure(m))?;
            values.insert((i, pi), val.clone());
            for (part, figure) in [(Part::Numerator, num), (Part::Denominator, den), (Part::Value, val)] {
                out.push(figure.alias(cells.add(Cell::new(i, pi, part))));
            }
            if let Some(scale) = scale {
                out.push(scale.alias(cells.add(Cell::new(i, pi, Part::Scale))));
            }
            if let Some((table, _)) = whole.filter(|(_, funnels)| funnels.contains(&i)) {
                let (num, den, _, _) =
                    cell(inputs, i, pi, p, &values, by_area, Some(table)).map_err(|e| e.in_measure(m))?;
                out.push(num.alias(cells.add(Cell::new(i, pi, Part::WholeNumerator))));
                out.push(den.alias(cells.add(Cell::new(i, pi, Part::WholeDenominator))));
            }
        }
    }
    Ok((out, cells))
}

fn cell(
    inputs: &PlanInputs<'_>,
    i: usize,
    pi: usize,
    p: &ReportingPeriod,
    values: &BTreeMap<(usize, usize), Expr>,
    by_area: bool,
    table: Option<&str>,
) -> Result<Figures, CompileError> {
    let project = inputs.project;
    // The version of the definition in force at the period's end.
    let m = project.measures[i].in_force(p.range.end);
    if let Definition::Derived { expr } = &m.definition {
        let val = derived(project, expr, pi, values)?;
        return Ok((null_f64(), null_f64(), as_f64(val), None));
    }
    if window_of(m, p, inputs.as_of).is_none() {
        return Ok((null_f64(), null_f64(), null_f64(), None));
    }
    let source = m.definition.rows().map_or("", |r| r.source.as_str());
    let snapshot_months = m.definition.rows().is_some_and(|r| !r.snapshot_months.is_empty());
    // The source's aggregate row, or another table of the same aggregates (a funnel's whole).
    let table = table.map_or_else(|| source_plan::source_alias(source), str::to_string);
    let agg = |of: Aggregated| column(&table, &AggregateColumn { measure: i, period: pi, of }.name());
    let (num, den, val) = match &m.definition {
        // Over the snapshots of several months, a count and a percent's parts are their means.
        Definition::Count { .. } if snapshot_months => {
            (null_f64(), null_f64(), guarded_div(as_f64(agg(Aggregated::Count)), as_f64(agg(Aggregated::Snapshots))))
        }
        Definition::Count { .. } => (null_f64(), null_f64(), as_f64(agg(Aggregated::Count))),
        Definition::Aggregate { .. } => (null_f64(), null_f64(), as_f64(agg(Aggregated::Value))),
        Definition::Proportion { .. } if snapshot_months => {
            let snapshots = as_f64(agg(Aggregated::Snapshots));
            let num = guarded_div(as_f64(agg(Aggregated::Numerator)), snapshots.clone());
            let den = guarded_div(as_f64(agg(Aggregated::Denominator)), snapshots);
            let val = guarded_div(lit(100.0) * num.clone(), den.clone());
            (num, den, val)
        }
        Definition::Proportion { .. } => {
            let (num, den) = (as_f64(agg(Aggregated::Numerator)), as_f64(agg(Aggregated::Denominator)));
            let val = guarded_div(lit(100.0) * num.clone(), den.clone());
            (num, den, val)
        }
        Definition::SumRatio { percent, .. } => {
            // Sums over no rows are 0; the value is missing when the denominator is 0.
            // A CASE, not `coalesce`: the cells are planned without the optimizer that rewrites it.
            let zero_when_none = |x: Expr| {
                datafusion::logical_expr::when(x.clone().is_null(), lit(0.0))
                    .otherwise(x)
                    .expect("a CASE with an ELSE builds")
            };
            let (num, den) = (
                zero_when_none(as_f64(agg(Aggregated::Numerator))),
                zero_when_none(as_f64(agg(Aggregated::Denominator))),
            );
            let scaled = if *percent { lit(100.0) * num.clone() } else { num.clone() };
            (num, den.clone(), guarded_div(scaled, den))
        }
        Definition::Rate { per, population, standardised: Some(Standardised::Direct(st)), .. } => {
            let alias = population::banded_alias(
                population,
                &st.standard,
                by_area && population::has_areas(inputs, population),
            );
            return standardised(st, *per, pi, &agg, &alias);
        }
        Definition::Rate { per, population, standardised: Some(Standardised::Indirect(x)), .. } => {
            // PHE's ISR (O/E × per) or ISRate (O/E × the reference's rate per `per`); the
            // interval is the count's Poisson interval × (value per event) = factor / E.
            let alias = if by_area && population::has_areas(inputs, population) {
                expected::area_alias(population, &x.reference)
            } else {
                expected::alias(population, &x.reference)
            };
            let o = as_f64(agg(Aggregated::Count));
            let e = as_f64(column(&alias, &expected::expected_name(pi)));
            let per = lit(f64::from(*per));
            let factor = if x.rate { as_f64(column(&alias, &expected::rate_name(pi))) * per } else { per };
            let value = guarded_div(o.clone(), e.clone()) * factor.clone();
            return Ok((o, e.clone(), value, Some(guarded_div(factor, e))));
        }
        Definition::Rate { per, population, .. } => {
            let num = as_f64(agg(Aggregated::Count));
            let alias = if by_area && population::has_areas(inputs, population) {
                population::area_alias(population)
            } else {
                population::alias(population)
            };
            let den = as_f64(column(&alias, &population::value_name(pi)));
            let val = datafusion::logical_expr::when(den.clone().is_null().or(den.clone().lt_eq(lit(0.0))), null_f64())
                .otherwise(lit(f64::from(*per)) * num.clone() / den.clone())?;
            (num, den, val)
        }
        Definition::Derived { .. } => unreachable!("handled above"),
    };
    Ok((num, den, val, None))
}

/// The alias of a source's aggregates over all its rows beside a breakdown's, for funnels.
fn whole_alias(source: &str) -> String {
    format!("whole_{}", source_plan::source_alias(source))
}

/// A cell's numerator, denominator and value, and a standardised figure's interval scale.
type Figures = (Expr, Expr, Expr, Option<Expr>);

/// A directly standardised rate's cell (PHE's DSR): the numerator the events counted in the
/// standard's bands, the denominator their population, the value `per × Σ wₖ·Oₖ/nₖ / Σ wₖ`,
/// and the spread `per × √(Σ wₖ²·Oₖ/nₖ² / (Σ wₖ)² / O)` from which Dobson's interval is
/// computed. Value and spread are missing below 10 events, as PHE gives none, and where a
/// band has no positive population (the run refuses that before it gets here).
fn standardised(
    st: &crate::ir::Standardisation,
    per: u32,
    pi: usize,
    agg: &dyn Fn(Aggregated) -> Expr,
    alias: &str,
) -> Result<Figures, CompileError> {
    use datafusion::functions::math::expr_fn::sqrt;
    let zero_when_none = |x: Expr| datafusion::logical_expr::when(x.clone().is_null(), lit(0.0)).otherwise(x);
    let mut events = Vec::new();
    let mut people = Vec::new();
    let mut weighted = Vec::new();
    let mut squared = Vec::new();
    let mut unusable = Vec::new();
    for (k, b) in st.bands.iter().enumerate() {
        let o = zero_when_none(as_f64(agg(Aggregated::BandCount(k))))?;
        let n = as_f64(column(alias, &population::band_value_name(pi, k)));
        unusable.push(n.clone().is_null().or(n.clone().lt_eq(lit(0.0))));
        // Guarded (a warehouse may stop at a division by zero even where the value is not
        // used), and `a / n / n`, never `a / (n * n)`: DuckDB's unparser drops those brackets.
        weighted.push(guarded_div(lit(b.weight) * o.clone(), n.clone()));
        squared.push(guarded_div(guarded_div(lit(b.weight * b.weight) * o.clone(), n.clone()), n.clone()));
        events.push(o);
        people.push(n);
    }
    let total = |xs: Vec<Expr>| xs.into_iter().reduce(|a, b| a + b).unwrap_or_else(|| lit(0.0));
    let weights: f64 = st.bands.iter().map(|b| b.weight).sum();
    let o = total(events);
    let missing = unusable.into_iter().reduce(Expr::or).unwrap_or(lit(false)).or(o.clone().lt(lit(BYAR_FROM)));
    let value = total(weighted) / lit(weights) * lit(f64::from(per));
    let spread = sqrt(guarded_div(total(squared) / lit(weights * weights), o.clone())) * lit(f64::from(per));
    let guarded = |x: Expr| datafusion::logical_expr::when(missing.clone(), null_f64()).otherwise(x);
    Ok((o, total(people), guarded(value)?, Some(guarded(spread)?)))
}

/// A derived measure's value: its expression over the other measures' values.
fn derived(
    project: &Project,
    e: &crate::ir::Expr,
    pi: usize,
    values: &BTreeMap<(usize, usize), Expr>,
) -> Result<Expr, CompileError> {
    let value_of = |kind: &crate::ir::ExprKind| -> Result<Expr, CompileError> {
        let crate::ir::ExprKind::Measure(name) = kind else {
            return Err(CompileError::internal(format!("a derived measure reads {kind:?}")));
        };
        let j = project.measures.iter().position(|m| &m.name == name).ok_or_else(|| {
            CompileError::internal(format!("a derived measure reads `{name}`, which is not a measure"))
        })?;
        values.get(&(j, pi)).cloned().ok_or_else(|| {
            CompileError::internal(format!("measure `{name}` is computed after the measure that reads it"))
        })
    };
    exprs::over_figures(e, &value_of)
}

/// The rows behind a measure's figure for a period, with every value its definition read
/// (see `drill::drill`); `written` gives the rules' text at a span, on one line.
pub fn drill_plan(
    inputs: &PlanInputs<'_>,
    measure: usize,
    period: usize,
    written: &dyn Fn(crate::span::Span) -> String,
) -> Result<LogicalPlan, CompileError> {
    drill::drill(inputs, measure, period, written).map_err(|e| e.in_measure(&inputs.project.measures[measure]))
}
