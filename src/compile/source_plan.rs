//! One source's plan: its rows scanned once, calendar and `exists` joins added, and every
//! measure over it computed for every period as a filtered aggregate.

use super::exprs::{as_f64, column, compile, date_lit, ExprCx, Needs, BOUND, INNER, ROW};
use super::{cohort, median, related, window_of, CompileError, PlanInputs, CALENDAR_TABLE};
use crate::ir::{AggregateFn, Definition, Selection, Standardised};
use chrono::NaiveDate;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::functions_aggregate::expr_fn::{avg, count, max, min, sum};
use datafusion::logical_expr::{is_not_true, when, ExprFunctionExt, JoinType, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::{cast, coalesce, ident, is_null, lit, Expr};
use std::collections::BTreeMap;

/// The alias of a source's aggregate row.
pub fn source_alias(source: &str) -> String {
    format!("agg_{source}")
}

/// What one aggregate column of a source's row holds for a measure and period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregated {
    /// The rows (or entities) counted.
    Count,
    /// How many snapshots a count over several months' snapshots spans.
    Snapshots,
    /// A percentage's rows meeting its condition, or a ratio's numerator sum.
    Numerator,
    /// A percentage's rows, or a ratio's denominator sum.
    Denominator,
    /// An aggregate's value (sum, mean, median, ...).
    Value,
    /// A directly standardised rate's count in band `k` of its standard.
    BandCount(usize),
}

/// One aggregate column of a source's row: what it holds, of which measure, in which period.
/// The source's plan writes it and the cells read it by this, so its name is spelled once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggregateColumn {
    pub measure: usize,
    pub period: usize,
    pub of: Aggregated,
}

impl AggregateColumn {
    pub fn name(self) -> String {
        let what = match self.of {
            Aggregated::Count => "count".to_string(),
            Aggregated::Snapshots => "snapshots".to_string(),
            Aggregated::Numerator => "num".to_string(),
            Aggregated::Denominator => "den".to_string(),
            Aggregated::Value => "agg".to_string(),
            Aggregated::BandCount(k) => format!("count_b{k}"),
        };
        format!("a{}_p{}_{what}", self.measure, self.period)
    }
}

const LATEST: &str = "latest";
const SNAPSHOTS: &str = "snap";

/// The latest snapshot date of the whole table within a window, as a column of `latest`.
pub(super) struct LatestSnapshots {
    pub(super) column: String,
    pub(super) windows: Vec<(chrono::NaiveDate, chrono::NaiveDate)>,
}

impl LatestSnapshots {
    fn name_for(&mut self, window: (chrono::NaiveDate, chrono::NaiveDate)) -> String {
        let i = match self.windows.iter().position(|w| *w == window) {
            Some(i) => i,
            None => {
                self.windows.push(window);
                self.windows.len() - 1
            }
        };
        format!("latest_{i}")
    }
}

fn and_all(parts: Vec<Expr>) -> Expr {
    parts.into_iter().reduce(Expr::and).unwrap_or_else(|| lit(true))
}

/// The rows of a source under `alias`: a table's, or for a subset its parent's rows that
/// pass the subset's conditions (with the lookups those read).
pub fn scan(inputs: &PlanInputs<'_>, name: &str, alias: &str) -> Result<LogicalPlanBuilder, CompileError> {
    scan_with(inputs, name, alias, &[])
}

/// [`scan`], with columns of adjacent rows (`(relation, column)`, as
/// [`super::exprs::adjacent_column`]) beside the row's own.
pub fn scan_with(
    inputs: &PlanInputs<'_>,
    name: &str,
    alias: &str,
    adjacent: &[(String, String)],
) -> Result<LogicalPlanBuilder, CompileError> {
    let source = inputs
        .project
        .source(name)
        .ok_or_else(|| CompileError::internal(format!("source `{name}` without a declaration")))?;
    let Some(subset) = &source.subset else {
        let rows = LogicalPlanBuilder::scan(name, (inputs.tables)(name)?, None)?;
        if adjacent.is_empty() {
            return Ok(rows.alias(alias)?);
        }
        return super::adjacent::rows_with(rows, source, alias, adjacent);
    };
    let merging = subset.merge.is_some();
    let mut rows = scan_with(inputs, &subset.parent, alias, if merging { &[] } else { adjacent })?;
    let day = inputs.periods.first().map_or_else(NaiveDate::default, |p| p.range.end);
    let cx = ExprCx {
        lookups: &source.lookups,
        sources: &inputs.project.sources,
        ..ExprCx::plain(alias, day, inputs.holidays)
    };
    let mut needs = Needs::default();
    let mut conditions = Vec::new();
    for f in &subset.filters {
        conditions.push(compile(f, &cx, &mut needs)?);
    }
    for x in &subset.exclusions {
        conditions.push(is_not_true(compile(x, &cx, &mut needs)?));
    }
    if !(needs.calendars.is_empty() && needs.flags.is_empty() && needs.related.is_empty() && needs.adjacent.is_empty())
    {
        return Err(CompileError::internal("a subset's filter needs more than lookups joined in"));
    }
    rows = join_lookups(inputs, rows, &needs.lookups, alias)?;
    for c in conditions {
        rows = rows.filter(c)?;
    }
    if let Some(by) = &subset.merge {
        let parent = inputs.project.source(&subset.parent);
        let spans = parent.and_then(|p| p.spans.clone());
        let (start, end) = spans.ok_or_else(|| CompileError::internal("spans merged of a source without spans"))?;
        return super::merged::spans(rows, alias, by, &start, &end);
    }
    // A derived table of its own, so that SQL keeps the conditions on these rows (a filter
    // read straight into a join would become part of the join's condition).
    let mut columns: Vec<Expr> = source.columns.iter().map(|c| column(alias, &c.name)).collect();
    columns.extend(adjacent.iter().map(|(r, c)| column(alias, &super::exprs::adjacent_column(r, c))));
    Ok(rows.project(columns)?.alias(alias)?)
}

/// `rows` (whose row is `row`) with each lookup joined in, in order: a lookup's `from` is the
/// measure's row or the alias of a lookup joined before it.
fn join_lookups(
    inputs: &PlanInputs<'_>,
    mut rows: LogicalPlanBuilder,
    lookups: &[super::exprs::LookupJoin],
    row: &str,
) -> Result<LogicalPlanBuilder, CompileError> {
    for l in lookups {
        let found = scan(inputs, &l.source, &l.alias)?.build()?;
        let from = if l.from.is_empty() { row } else { l.from.as_str() };
        let by = datafusion::common::Column::new(Some(from), l.by.as_str());
        let key = datafusion::common::Column::new(Some(l.alias.as_str()), l.key.as_str());
        rows = rows.join(found, JoinType::Left, (vec![by], vec![key]), None)?;
    }
    Ok(rows)
}

/// `x` on the rows where `condition` holds, and missing on the others (where it is false or
/// missing): what an aggregate of it counts, sums or takes the largest of is exactly what the
/// same aggregate `FILTER (WHERE condition)` would. DataFusion evaluates a FILTER by copying
/// every column of the input for each aggregate, which for a source's dozens of filtered
/// aggregates costs more than all the rest of the plan; a CASE is one array per aggregate.
pub(crate) fn only_where(condition: Expr, x: Expr) -> Result<Expr, CompileError> {
    Ok(when(condition, x).end()?)
}

/// `count(1)`, or `count(DISTINCT column)`, of the rows where `condition` holds.
fn row_count(distinct: Option<&String>, condition: Expr) -> Result<Expr, CompileError> {
    // The builder sets DISTINCT itself: it would drop the flag of `count_distinct`.
    Ok(match distinct {
        Some(c) => count(only_where(condition, column(ROW, c))?).distinct().build()?,
        None => count(only_where(condition, lit(1i64))?),
    })
}

/// What one measure asks of one period's rows.
pub(super) struct PeriodConditions {
    /// The rows the measure looks at (the denominator, for a proportion).
    pub(super) rows: Expr,
    /// A proportion's numerator condition, over those rows.
    pub(super) meets: Option<Expr>,
    /// An aggregate's expression (a ratio of sums: the numerator's).
    pub(super) value: Option<Expr>,
    /// A ratio of sums: the denominator's expression.
    pub(super) denominator: Option<Expr>,
    /// `latest snapshot of MONTHS`: how many of the months have a snapshot in the window
    /// (the same on every row), which a count and a percent's parts are divided by.
    snapshots: Option<Expr>,
    /// A standardised rate's band of each row.
    pub(super) band: Option<Expr>,
}

/// For a cohort (`first per ENTITY`), the measure's kept rows in the period's window with
/// their entity and event date, to be narrowed to each entity's first.
fn first_of(
    inputs: &PlanInputs<'_>,
    m: &crate::ir::Measure,
    p: &crate::calendar::ReportingPeriod,
    scx: &SourceCx<'_>,
    c: &PeriodConditions,
    needs: &mut Needs,
) -> Result<Option<cohort::First>, CompileError> {
    let Some(rows) = m.definition.rows() else { return Ok(None) };
    let (Some(entity), Selection::EventIn(date)) = (&rows.first_per, &rows.selection) else { return Ok(None) };
    let Some((ws, e)) = window_of(m, p, inputs.as_of) else { return Ok(None) };
    let date = compile(date, &period_cx(inputs, scx, ws, e), needs)?;
    Ok(Some(cohort::First { entity: entity.clone(), date, kept: c.rows.clone() }))
}

/// The measure's source and what its expressions may need.
pub(super) struct SourceCx<'a> {
    pub(super) source: &'a crate::ir::Source,
    pub(super) keys: Vec<String>,
}

/// Compiles a measure's selection, filters and exclusions (and numerator or aggregated
/// expression) for one period, registering the joins they need.
pub(super) fn period_conditions(
    inputs: &PlanInputs<'_>,
    m: &crate::ir::Measure,
    p: &crate::calendar::ReportingPeriod,
    scx: &SourceCx<'_>,
    needs: &mut Needs,
    latest: &mut LatestSnapshots,
) -> Result<Option<PeriodConditions>, CompileError> {
    let Some(rows) = m.definition.rows() else { return Ok(None) };
    let Some((ws, e)) = window_of(m, p, inputs.as_of) else { return Ok(None) };
    let cx = period_cx(inputs, scx, ws, e);
    let mut snapshots = None;
    let mut conds = vec![match &rows.selection {
        Selection::All => lit(true),
        Selection::EventIn(date) => compile(date, &cx, needs)?.between(date_lit(ws), date_lit(e)),
        Selection::OpenAtEnd { start, end } => {
            column(ROW, start).lt_eq(date_lit(e)).and(is_null(column(ROW, end)).or(column(ROW, end).gt(date_lit(e))))
        }
        Selection::OpenDuring { start, end } => {
            column(ROW, start).lt_eq(date_lit(e)).and(is_null(column(ROW, end)).or(column(ROW, end).gt(date_lit(ws))))
        }
        Selection::LatestSnapshot(c) if rows.snapshot_months.is_empty() => {
            latest.column = c.clone();
            column(ROW, c).eq(column(LATEST, &latest.name_for((ws, e))))
        }
        Selection::LatestSnapshot(c) => {
            // The latest snapshot of each month named in the window, and how many there are.
            latest.column = c.clone();
            let names: Vec<String> =
                months_named(ws, e, &rows.snapshot_months).into_iter().map(|w| latest.name_for(w)).collect();
            let found = names.iter().map(|n| when(column(LATEST, n).is_null(), lit(0i64)).otherwise(lit(1i64)));
            snapshots =
                Some(found.collect::<Result<Vec<_>, _>>()?.into_iter().reduce(|a, b| a + b).unwrap_or(lit(0i64)));
            names.iter().map(|n| column(ROW, c).eq(column(LATEST, n))).reduce(Expr::or).unwrap_or(lit(false))
        }
    }];
    for f in &rows.filters {
        conds.push(compile(f, &cx, needs)?);
    }
    for x in &rows.exclusions {
        conds.push(is_not_true(compile(x, &cx, needs)?));
    }
    let meets = match &m.definition {
        Definition::Proportion { numerator, .. } | Definition::SumRatio { meets: Some(numerator), .. } => {
            Some(compile(numerator, &cx, needs)?)
        }
        _ => None,
    };
    let value = match &m.definition {
        Definition::Aggregate { expr, .. }
        | Definition::Rate { summed: Some(expr), .. }
        | Definition::SumRatio { numerator: expr, .. } => Some(compile(expr, &cx, needs)?),
        _ => None,
    };
    let denominator = match &m.definition {
        Definition::SumRatio { denominator, .. } => Some(compile(denominator, &cx, needs)?),
        _ => None,
    };
    let band = m.definition.standardisation().map(|st| compile(&st.by, &cx, needs)).transpose()?;
    Ok(Some(PeriodConditions { rows: and_all(conds), meets, value, denominator, snapshots, band }))
}

/// The parts of the window `[ws, e]` in each of `months` (1 to 12), in order.
fn months_named(ws: NaiveDate, e: NaiveDate, months: &[u32]) -> Vec<(NaiveDate, NaiveDate)> {
    use chrono::Datelike;
    let mut out = Vec::new();
    let mut start = NaiveDate::from_ymd_opt(ws.year(), ws.month(), 1).unwrap_or(ws);
    while start <= e {
        let next = crate::calendar::add_months(start, 1);
        if months.contains(&start.month()) {
            out.push((start.max(ws), next.pred_opt().unwrap_or(next).min(e)));
        }
        start = next;
    }
    out
}

pub(super) fn period_cx<'a>(
    inputs: &'a PlanInputs<'_>,
    scx: &'a SourceCx<'_>,
    ws: NaiveDate,
    e: NaiveDate,
) -> ExprCx<'a> {
    ExprCx {
        period_end: e,
        window_start: ws,
        holidays: inputs.holidays,
        row: ROW,
        inner: None,
        keys: &scx.keys,
        lookups: &scx.source.lookups,
        sources: &inputs.project.sources,
        figures: None,
    }
}

/// The name of a breakdown's value in a source's grouped aggregate.
pub const GROUP: &str = "breakdown_value";

/// One column of a source's aggregate: a count or a sum (0 where a breakdown value has no
/// rows) or a figure (missing there).
#[derive(Clone)]
struct Output {
    name: String,
    kind: OutputKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OutputKind {
    Count,
    /// A sum that counts as 0 over no rows (a ratio of sums' numerator and denominator).
    Sum,
    Figure,
}

impl OutputKind {
    fn data_type(self) -> DataType {
        match self {
            OutputKind::Count => DataType::Int64,
            OutputKind::Sum | OutputKind::Figure => DataType::Float64,
        }
    }
}

/// The percentile a ranked aggregate takes (`None` for the median).
fn percentile_of(func: AggregateFn) -> Option<crate::ir::Fraction> {
    match func {
        AggregateFn::Percentile(f) => Some(f),
        _ => None,
    }
}

/// A plan giving some of a source's aggregate columns (and the breakdown value, grouped).
struct Piece {
    plan: LogicalPlanBuilder,
    outputs: Vec<Output>,
}

/// The aggregate plan of `measures` (all over `source`), grouped by a breakdown if given.
///
/// Counts, percentages, rates and aggregates over rows are filtered aggregates of one scan.
/// Aggregates over entities (`mean X of distinct CHILD from ...`) first group the rows by
/// entity (one value and one "in the set" flag per period), then aggregate the entities;
/// medians stack their values and take the middle ones (`median`). A breakdown whose value
/// depends on the period (an age band at the period's end) is computed a period at a time and
/// the periods' rows merged by value.
pub fn aggregate(
    inputs: &PlanInputs<'_>,
    source_name: &str,
    measures: &[usize],
    group: Option<&crate::ir::Breakdown>,
) -> Result<LogicalPlan, CompileError> {
    let all: Vec<usize> = (0..inputs.periods.len()).collect();
    let group_expr = group.map(|b| &b.expr);
    let piece = match group_expr {
        Some(g) if g.reads_period() => {
            let branches = all
                .iter()
                .map(|&pi| branch(inputs, source_name, measures, group_expr, &[pi]))
                .collect::<Result<Vec<_>, _>>()?;
            merge(branches, true)?
        }
        _ => branch(inputs, source_name, measures, group_expr, &all)?,
    };
    Ok(piece.plan.alias(source_alias(source_name))?.build()?)
}

/// The aggregate columns of `measures` for the periods `periods`.
fn branch(
    inputs: &PlanInputs<'_>,
    source_name: &str,
    measures: &[usize],
    group: Option<&crate::ir::Expr>,
    periods: &[usize],
) -> Result<Piece, CompileError> {
    let project = inputs.project;
    let source = project
        .source(source_name)
        .ok_or_else(|| CompileError::internal(format!("source `{source_name}` without a declaration")))?;
    let scx = SourceCx { source, keys: source.keys() };
    let mut needs = Needs::default();
    let mut latest = LatestSnapshots { column: String::new(), windows: Vec::new() };
    let mut row_aggregates: Vec<(Expr, Output)> = Vec::new();
    // Per entity column: (in-the-set condition, value, function, output) of each cell.
    let mut entities: BTreeMap<String, Vec<(Expr, Expr, AggregateFn, Output)>> = BTreeMap::new();
    let mut row_medians: Vec<median::Wanted> = Vec::new();
    // Cohorts: the (measure, period)s whose rows are narrowed to each entity's first.
    let mut firsts: Vec<cohort::First> = Vec::new();

    for &i in measures {
        let measure = &project.measures[i];
        let mut per_measure = || -> Result<(), CompileError> {
            for &pi in periods {
                let p = &inputs.periods[pi];
                // The version of the definition in force at the period's end.
                let m = measure.in_force(p.range.end);
                let Some(mut c) = period_conditions(inputs, m, p, &scx, &mut needs, &mut latest)? else { continue };
                if let Some(first) = first_of(inputs, m, p, &scx, &c, &mut needs)? {
                    c.rows = cohort::flag(firsts.len());
                    firsts.push(first);
                }
                let name = |of: Aggregated| AggregateColumn { measure: i, period: pi, of }.name();
                let counted = |of: Aggregated| Output { name: name(of), kind: OutputKind::Count };
                let figure = |of: Aggregated| Output { name: name(of), kind: OutputKind::Figure };
                let counted_sum = |of: Aggregated| Output { name: name(of), kind: OutputKind::Sum };
                match &m.definition {
                    Definition::Rate { summed: Some(_), .. } => {
                        let x = c.value.expect("a rate of a sum has an expression");
                        row_aggregates.push((sum(only_where(c.rows, x)?), figure(Aggregated::Count)));
                    }
                    Definition::Rate { distinct, standardised: Some(Standardised::Direct(st)), .. } => {
                        // Each band's count: the rate weighs them one by one.
                        let band = c.band.clone().expect("a standardised rate has a band");
                        for (k, b) in st.bands.iter().enumerate() {
                            let in_band = c.rows.clone().and(band.clone().eq(lit(b.label.as_str())));
                            row_aggregates
                                .push((row_count(distinct.as_ref(), in_band)?, counted(Aggregated::BandCount(k))));
                        }
                    }
                    Definition::Count { distinct, .. } | Definition::Rate { distinct, .. } => {
                        if let Some(n) = c.snapshots.clone() {
                            row_aggregates.push((max(n), figure(Aggregated::Snapshots)));
                        }
                        row_aggregates.push((row_count(distinct.as_ref(), c.rows)?, counted(Aggregated::Count)));
                    }
                    Definition::Proportion { distinct, .. } => {
                        let meets = c.meets.expect("a proportion has a numerator");
                        if let Some(n) = c.snapshots.clone() {
                            row_aggregates.push((max(n), figure(Aggregated::Snapshots)));
                        }
                        row_aggregates
                            .push((row_count(distinct.as_ref(), c.rows.clone())?, counted(Aggregated::Denominator)));
                        row_aggregates
                            .push((row_count(distinct.as_ref(), c.rows.and(meets))?, counted(Aggregated::Numerator)));
                    }
                    Definition::Aggregate { func, distinct: Some(entity), .. } => {
                        let x = c.value.expect("an aggregate has an expression");
                        entities.entry(entity.clone()).or_default().push((c.rows, x, *func, figure(Aggregated::Value)));
                    }
                    Definition::Aggregate { func, distinct: None, .. } if func.is_ranked() => {
                        let value = c.value.expect("an aggregate has an expression");
                        row_medians.push(median::Wanted {
                            rows: c.rows,
                            value,
                            name: name(Aggregated::Value),
                            at: percentile_of(*func),
                        });
                    }
                    Definition::SumRatio { .. } => {
                        // Sums of the rows (0 over none), the numerator's over those meeting.
                        let x = c.value.expect("a ratio of sums has a numerator");
                        let d = c.denominator.expect("a ratio of sums has a denominator");
                        let summed = |condition: Expr, x: Expr| -> Result<Expr, CompileError> {
                            Ok(sum(only_where(condition, as_f64(x))?))
                        };
                        let num_rows = match c.meets {
                            Some(meets) => c.rows.clone().and(meets),
                            None => c.rows.clone(),
                        };
                        row_aggregates.push((summed(c.rows, d)?, counted_sum(Aggregated::Denominator)));
                        row_aggregates.push((summed(num_rows, x)?, counted_sum(Aggregated::Numerator)));
                    }
                    Definition::Aggregate { func, distinct: None, .. } => {
                        let x = c.value.expect("an aggregate has an expression");
                        row_aggregates.push((of_rows(*func, only_where(c.rows, x)?), figure(Aggregated::Value)));
                    }
                    Definition::Derived { .. } => {}
                }
            }
            Ok(())
        };
        per_measure().map_err(|e| e.in_measure(measure))?;
    }
    // The breakdown's value, as text (for a period-dependent one, at the branch's period).
    let group = match group {
        Some(g) => {
            let p = &inputs.periods[periods[0]];
            let cx = period_cx(inputs, &scx, p.range.start, p.range.end);
            Some(cast(compile(g, &cx, &mut needs)?, DataType::Utf8))
        }
        None => None,
    };
    let mut base = base_rows(inputs, source_name, &scx, &needs, &latest)?;
    // A breakdown keeps every value of its column, even one with no rows in any window.
    if let (None, Some(rows)) = (&group, envelope(inputs, measures)) {
        base = base.filter(rows)?;
    }
    if !firsts.is_empty() {
        let key = scx.keys.first().ok_or_else(|| CompileError::internal("a cohort of a source with no key"))?;
        base = cohort::joined(base, ROW, key, &firsts)?;
    }
    let named_group: Vec<Expr> = group.iter().map(|g| g.clone().alias(GROUP)).collect();
    let grouped = group.as_ref().map(|g| (g, GROUP));
    let mut pieces = Vec::new();
    if !row_aggregates.is_empty() || (entities.is_empty() && row_medians.is_empty()) {
        let (exprs, outputs): (Vec<Expr>, Vec<Output>) =
            row_aggregates.into_iter().map(|(e, o)| (e.alias(o.name.as_str()), o)).unzip();
        pieces.push(Piece { plan: base.clone().aggregate(named_group.clone(), exprs)?, outputs });
    }
    for (entity, cells) in entities {
        // One row per entity (and breakdown value): per cell, whether the entity is in the
        // set and its value.
        let mut per_entity = Vec::new();
        for (k, (rows, value, _, _)) in cells.iter().enumerate() {
            let flag = when(rows.clone(), lit(1i64)).otherwise(lit(0i64))?;
            per_entity.push(max(flag).alias(format!("in{k}")));
            per_entity.push(max(only_where(rows.clone(), value.clone())?).alias(format!("value{k}")));
        }
        let mut by = named_group.clone();
        by.push(column(ROW, &entity).alias("entity"));
        // A derived table of its own: SQL cannot take an aggregate of an aggregate directly.
        let table = base.clone().aggregate(by, per_entity)?.alias("entities")?;
        let in_set = |k: usize| ident(format!("in{k}")).eq(lit(1i64));
        let value = |k: usize| cast(ident(format!("value{k}")), DataType::Float64);
        let group_col: Vec<Expr> = group.iter().map(|_| ident(GROUP)).collect();
        let (medians, others): (Vec<_>, Vec<_>) = cells.iter().enumerate().partition(|(_, (_, _, f, _))| f.is_ranked());
        if !others.is_empty() {
            let exprs = others
                .iter()
                .map(|(k, (_, _, f, o))| Ok(of_rows(*f, only_where(in_set(*k), value(*k))?).alias(o.name.as_str())))
                .collect::<Result<Vec<_>, CompileError>>()?;
            let outputs = others.iter().map(|(_, (_, _, _, o))| o.clone()).collect();
            pieces.push(Piece { plan: table.clone().aggregate(group_col, exprs)?, outputs });
        }
        if !medians.is_empty() {
            let wanted: Vec<median::Wanted> = medians
                .iter()
                .map(|(k, (_, _, f, o))| median::Wanted {
                    rows: in_set(*k),
                    value: value(*k),
                    name: o.name.clone(),
                    at: percentile_of(*f),
                })
                .collect();
            let by_group = group.as_ref().map(|_| ident(GROUP));
            let plan = median::medians(&table, by_group.as_ref().map(|g| (g, GROUP)), &wanted)?;
            let outputs = medians.iter().map(|(_, (_, _, _, o))| o.clone()).collect();
            pieces.push(Piece { plan, outputs });
        }
    }
    if !row_medians.is_empty() {
        let outputs = row_medians.iter().map(|w| Output { name: w.name.clone(), kind: OutputKind::Figure }).collect();
        pieces.push(Piece { plan: median::medians(&base, grouped, &row_medians)?, outputs });
    }
    merge(pieces, group.is_some())
}

/// An aggregate of `x` other than the median.
fn of_rows(func: AggregateFn, x: Expr) -> Expr {
    match func {
        AggregateFn::Max => max(x),
        AggregateFn::Min => min(x),
        AggregateFn::Sum => sum(x),
        AggregateFn::Mean => avg(x),
        AggregateFn::Median | AggregateFn::Percentile(_) => {
            unreachable!("medians and percentiles are computed by `median::medians`")
        }
    }
}

/// Pieces side by side: one-row pieces joined into one row, grouped pieces stacked and
/// grouped again by breakdown value (a value one piece lacks counts 0, or has no figure).
fn merge(mut pieces: Vec<Piece>, grouped: bool) -> Result<Piece, CompileError> {
    if pieces.len() == 1 {
        return Ok(pieces.remove(0));
    }
    let outputs: Vec<Output> = pieces.iter().flat_map(|p| p.outputs.clone()).collect();
    // Each piece a derived table of its own, so that SQL keeps its aggregates apart.
    let mut pieces = pieces
        .into_iter()
        .enumerate()
        .map(|(k, p)| Ok(Piece { plan: p.plan.alias(format!("part{k}"))?, outputs: p.outputs }))
        .collect::<Result<Vec<_>, CompileError>>()?;
    if !grouped {
        let mut plan = pieces.remove(0).plan;
        for p in pieces {
            plan = plan.cross_join(p.plan.build()?)?;
        }
        let columns: Vec<Expr> = outputs.iter().map(|o| ident(o.name.as_str())).collect();
        return Ok(Piece { plan: plan.project(columns)?, outputs });
    }
    let stacked = pieces
        .into_iter()
        .map(|p| {
            let mut columns = vec![ident(GROUP)];
            for o in &outputs {
                let ty = o.kind.data_type();
                let value = if p.outputs.iter().any(|x| x.name == o.name) {
                    cast(ident(o.name.as_str()), ty)
                } else {
                    // A missing value of the column's type (typed, as engines guess text for
                    // an untyped NULL in a union), cast once.
                    cast(lit(ScalarValue::Null), ty)
                };
                columns.push(value.alias(o.name.as_str()));
            }
            Ok(p.plan.project(columns)?)
        })
        .collect::<Result<Vec<_>, CompileError>>()?;
    let stacked = super::union_all(stacked)?;
    let most: Vec<Expr> = outputs.iter().map(|o| max(ident(o.name.as_str())).alias(o.name.as_str())).collect();
    let mut columns = vec![ident(GROUP)];
    columns.extend(outputs.iter().map(|o| {
        let value = ident(o.name.as_str());
        let value = match o.kind {
            OutputKind::Count => coalesce(vec![value, lit(0i64)]),
            OutputKind::Sum => coalesce(vec![value, lit(0.0)]),
            OutputKind::Figure => value,
        };
        value.alias(o.name.as_str())
    }));
    let stacked = stacked.alias("stacked")?;
    Ok(Piece { plan: stacked.aggregate(vec![ident(GROUP)], most)?.alias("merged")?.project(columns)?, outputs })
}

pub(super) fn key_columns(source: &crate::ir::Source) -> Vec<String> {
    source.keys()
}

/// The rows any period of `measures` can look at: each measure's selection widened from its
/// earliest window start to its latest period end. Every aggregate's filter implies it, so
/// rows outside it count nowhere; dropping them first spares the aggregates, and a Parquet
/// scan skips the row groups whose date statistics fall outside it. None when some measure
/// looks at every row.
fn envelope(inputs: &PlanInputs<'_>, measures: &[usize]) -> Option<Expr> {
    use chrono::NaiveDate;
    // Per date column, the range its events are looked at in; per span, the latest end
    // starts are looked at by and the earliest day an open row must outlast.
    let mut events: Vec<(Expr, NaiveDate, NaiveDate)> = Vec::new();
    let mut spans: Vec<(&str, &str, NaiveDate, NaiveDate)> = Vec::new();
    // Each version of a definition over the periods it is in force for.
    let versions = measures.iter().flat_map(|&i| {
        let measure = &inputs.project.measures[i];
        measure.every_version().map(move |m| (measure, m))
    });
    for (measure, m) in versions {
        let Some(rows) = m.definition.rows() else { continue };
        let windows: Vec<_> = inputs
            .periods
            .iter()
            .filter(|p| std::ptr::eq(measure.in_force(p.range.end), m))
            .filter_map(|p| window_of(m, p, inputs.as_of))
            .collect();
        let (Some(first), Some(last)) = (windows.iter().map(|w| w.0).min(), windows.iter().map(|w| w.1).max()) else {
            continue;
        };
        let earliest_end = windows.iter().map(|w| w.1).min().unwrap_or(last);
        match &rows.selection {
            Selection::All => return None,
            Selection::EventIn(_) | Selection::LatestSnapshot(_) => {
                let date = match &rows.selection {
                    Selection::EventIn(e) => plain_date(inputs, e)?,
                    Selection::LatestSnapshot(c) => column(ROW, c),
                    _ => unreachable!("an event or a snapshot"),
                };
                match events.iter_mut().find(|x| x.0 == date) {
                    Some(x) => (x.1, x.2) = (x.1.min(first), x.2.max(last)),
                    None => events.push((date, first, last)),
                }
            }
            Selection::OpenAtEnd { start, end } | Selection::OpenDuring { start, end } => {
                let outlast = if matches!(rows.selection, Selection::OpenDuring { .. }) { first } else { earliest_end };
                match spans.iter_mut().find(|x| (x.0, x.1) == (start, end)) {
                    Some(x) => (x.2, x.3) = (x.2.max(last), x.3.min(outlast)),
                    None => spans.push((start, end, last, outlast)),
                }
            }
        }
    }
    let events = events.into_iter().map(|(date, first, last)| date.between(date_lit(first), date_lit(last)));
    let spans = spans.into_iter().map(|(start, end, last, earliest_end)| {
        column(ROW, start)
            .lt_eq(date_lit(last))
            .and(is_null(column(ROW, end)).or(column(ROW, end).gt(date_lit(earliest_end))))
    });
    events.chain(spans).reduce(Expr::or)
}

/// An event's date as an expression of the row alone (no lookups or other rows), if it is one.
fn plain_date(inputs: &PlanInputs<'_>, e: &crate::ir::Expr) -> Option<Expr> {
    let day = inputs.periods.first().map_or_else(NaiveDate::default, |p| p.range.end);
    let mut needs = Needs::default();
    let date = compile(e, &ExprCx::plain(ROW, day, inputs.holidays), &mut needs).ok()?;
    let alone = needs.calendars.is_empty()
        && needs.flags.is_empty()
        && needs.lookups.is_empty()
        && needs.related.is_empty()
        && needs.adjacent.is_empty();
    (alone && !e.reads_period()).then_some(date)
}

/// A source's rows with the lookup, related-row, calendar, `exists` and latest-snapshot
/// joins its conditions need.
pub(super) fn base_rows(
    inputs: &PlanInputs<'_>,
    source_name: &str,
    scx: &SourceCx<'_>,
    needs: &Needs,
    latest: &LatestSnapshots,
) -> Result<LogicalPlanBuilder, CompileError> {
    let keys = &scx.keys;
    let scan = |name: &str, alias: &str| scan(inputs, name, alias);
    // The source's rows (with their adjacent rows' columns) and the rows they look up.
    let rows = || -> Result<LogicalPlanBuilder, CompileError> {
        let rows = scan_with(inputs, source_name, ROW, &needs.adjacent)?;
        join_lookups(inputs, rows, &needs.lookups, ROW)
    };
    let mut base = rows()?;
    for r in &needs.related {
        base = related::add_join(base, r, &scan, &rows, keys)?;
    }
    for cal in &needs.calendars {
        let calendar = LogicalPlanBuilder::scan(CALENDAR_TABLE, (inputs.tables)(CALENDAR_TABLE)?, None)?
            .alias(&cal.alias)?
            .build()?;
        base = base.join_with_expr_keys(
            calendar,
            JoinType::Left,
            (vec![cal.date.clone()], vec![column(&cal.alias, "date")]),
            None,
        )?;
    }
    for flag in &needs.flags {
        let inner = scan(&flag.source, INNER)?.build()?;
        let rows = rows()?;
        let flagged = match &flag.bound {
            None => rows
                .join_on(inner, JoinType::LeftSemi, vec![flag.condition.clone()])?
                .project(keys.iter().map(|k| column(ROW, k)))?,
            Some(b) => {
                let agg = if b.least { min(b.expr.clone()) } else { max(b.expr.clone()) };
                rows.join_on(inner, JoinType::Inner, vec![flag.condition.clone()])?
                    .aggregate(keys.iter().map(|k| column(ROW, k)), vec![agg.alias(BOUND)])?
            }
        };
        let flagged = flagged.alias(flag.alias.as_str())?.build()?;
        let left: Vec<datafusion::common::Column> =
            keys.iter().map(|k| datafusion::common::Column::new(Some(ROW), k)).collect();
        let right: Vec<datafusion::common::Column> =
            keys.iter().map(|k| datafusion::common::Column::new(Some(flag.alias.as_str()), k)).collect();
        base = base.join(flagged, JoinType::Left, (left, right), None)?;
    }
    if !latest.windows.is_empty() {
        let snap = column(SNAPSHOTS, &latest.column);
        let latest_dates = latest
            .windows
            .iter()
            .enumerate()
            .map(|(k, (ws, e))| {
                Ok(max(only_where(snap.clone().between(date_lit(*ws), date_lit(*e)), snap.clone())?)
                    .alias(format!("latest_{k}")))
            })
            .collect::<Result<Vec<_>, CompileError>>()?;
        let one_row =
            scan(source_name, SNAPSHOTS)?.aggregate(Vec::<Expr>::new(), latest_dates)?.alias(LATEST)?.build()?;
        base = base.cross_join(one_row)?;
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::{envelope, period_conditions, LatestSnapshots, SourceCx};
    use crate::calendar::working_days::HolidayList;
    use crate::calendar::{book_periods, ReportingPeriod};
    use crate::compile::exprs::Needs;
    use crate::compile::{CompileError, PlanInputs, TableResolver, CALENDAR_TABLE};
    use crate::ir::Project;
    use datafusion::logical_expr::builder::LogicalTableSource;
    use datafusion::logical_expr::TableSource;
    use std::sync::Arc;

    const SOURCES: &str = r#"
source referrals {
  referral_id    text  key
  child_id       text
  referral_date  date?
  team           text?
}

source episodes {
  episode_id  text  key
  child_id    text
  start_date  date?
  end_date    date?
  spans start_date .. end_date
}

source workforce {
  post_id        text  key
  snapshot_date  date
  caseload       int?
  snapshot at snapshot_date
}
"#;

    fn project(measures: &str) -> Project {
        let text = format!("{SOURCES}\n{measures}");
        let (_, checked) = crate::project::check_texts(&[("t.ind", &text)]);
        assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
        checked.project.expect("a project")
    }

    fn with_inputs<T>(project: &Project, periods: &[ReportingPeriod], f: impl FnOnce(&PlanInputs<'_>) -> T) -> T {
        let resolve = |name: &str| -> Result<Arc<dyn TableSource>, CompileError> {
            let schema = match project.source(name) {
                Some(s) => crate::data::readers::declared_schema(s),
                None if name == CALENDAR_TABLE => crate::compile::calendar_schema(),
                None => return Err(CompileError::internal(format!("no table {name}"))),
            };
            Ok(Arc::new(LogicalTableSource::new(schema)))
        };
        let tables: &TableResolver<'_> = &resolve;
        let holidays = HolidayList::none();
        f(&PlanInputs {
            project,
            periods,
            holidays: &holidays,
            area_code: None,
            one_area: &[],
            as_of: periods.iter().map(|p| p.range.end).max().unwrap_or_default(),
            tables,
        })
    }

    /// The periods of a book as of 30 September 2013 with these labels.
    fn periods(labels: &[&str]) -> Vec<ReportingPeriod> {
        let all = book_periods("2013-09-30".parse().unwrap(), crate::calendar::ReportingYear::Financial).all;
        labels.iter().map(|l| all.iter().find(|p| p.label == *l).expect("a period").clone()).collect()
    }

    #[test]
    fn each_selection_and_window_is_one_condition_on_the_rows() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("count referrals", "2013-09", Some("Boolean(true)")),
            (
                "count referrals\n  in period by referral_date",
                "2013-09",
                Some(r#"row.referral_date BETWEEN Date32("2013-09-01") AND Date32("2013-09-30")"#),
            ),
            (
                "count referrals\n  in period by referral_date\n  cumulative from fy start",
                "2013-09",
                Some(r#"row.referral_date BETWEEN Date32("2013-04-01") AND Date32("2013-09-30")"#),
            ),
            (
                "count referrals\n  in period by referral_date\n  cumulative since 2013-08-15",
                "2013-14 Q2",
                Some(r#"row.referral_date BETWEEN Date32("2013-08-15") AND Date32("2013-09-30")"#),
            ),
            ("count referrals\n  in period by referral_date\n  cumulative since 2013-08-15", "2013-07", None),
            (
                "count episodes\n  open at period end",
                "2013-09",
                Some(r#"row.start_date <= Date32("2013-09-30") AND (row.end_date IS NULL OR row.end_date > Date32("2013-09-30"))"#),
            ),
            (
                "count episodes\n  open during period",
                "2013-14 Q2",
                Some(r#"row.start_date <= Date32("2013-09-30") AND (row.end_date IS NULL OR row.end_date > Date32("2013-07-01"))"#),
            ),
            (
                "count referrals\n  in period by referral_date\n  where team = \"north\"\n  excluding child_id = \"c1\"",
                "2013-09",
                Some(
                    r#"row.referral_date BETWEEN Date32("2013-09-01") AND Date32("2013-09-30") AND row.team = Utf8("north") AND row.child_id = Utf8("c1") IS NOT TRUE"#,
                ),
            ),
            ("max caseload of workforce\n  latest snapshot", "2013-09", Some("row.snapshot_date = latest.latest_0")),
        ];
        for (definition, period, expected) in cases {
            let project = project(&format!("measure m {{\n  ref \"m\"\n  {definition}\n}}\n"));
            let m = &project.measures[0];
            let source = project.source(&m.definition.rows().unwrap().source).unwrap();
            let periods = periods(&[period]);
            let got = with_inputs(&project, &periods, |inputs| {
                let scx = SourceCx { source, keys: super::key_columns(source) };
                let mut latest = LatestSnapshots { column: String::new(), windows: Vec::new() };
                period_conditions(inputs, m, &periods[0], &scx, &mut Needs::default(), &mut latest).unwrap()
            });
            assert_eq!(got.map(|c| c.rows.to_string()).as_deref(), *expected, "{definition} in {period}");
        }
    }

    #[test]
    fn the_envelope_widens_each_selection_over_every_period() {
        let measures = r#"
measure in_period {
  ref "1"
  count referrals
  in period by referral_date
}

measure year_to_date {
  ref "2"
  count referrals
  in period by referral_date
  cumulative from fy start
}

measure open {
  ref "3"
  count episodes
  open at period end
}

measure everything {
  ref "4"
  count referrals
}
"#;
        let project = project(measures);
        let periods = periods(&["2013-08", "2013-09", "2013-14 Q2"]);
        let shown = |ms: &[usize]| with_inputs(&project, &periods, |i| envelope(i, ms).map(|e| e.to_string()));
        assert_eq!(
            shown(&[0]).as_deref(),
            Some(r#"row.referral_date BETWEEN Date32("2013-07-01") AND Date32("2013-09-30")"#)
        );
        assert_eq!(
            shown(&[0, 1]).as_deref(),
            Some(r#"row.referral_date BETWEEN Date32("2013-04-01") AND Date32("2013-09-30")"#)
        );
        assert_eq!(
            shown(&[2]).as_deref(),
            Some(
                r#"row.start_date <= Date32("2013-09-30") AND (row.end_date IS NULL OR row.end_date > Date32("2013-08-31"))"#
            )
        );
        assert_eq!(shown(&[0, 3]), None, "a measure over every row has no envelope");
    }

    #[test]
    fn a_sources_aggregate_is_one_scan_cut_to_the_envelope_with_a_filtered_count_per_period() {
        let project = project(
            "measure m {\n  ref \"m\"\n  percent of referrals\n  in period by referral_date\n  meeting team = \"north\"\n}\n",
        );
        let periods = periods(&["2013-08", "2013-09"]);
        let plan = with_inputs(&project, &periods, |i| super::aggregate(i, "referrals", &[0], None).unwrap());
        // The aggregates one to a line.
        let shown = plan.display_indent().to_string().replace(", count(", ",\n      count(");
        insta::assert_snapshot!(shown, @r#"
        SubqueryAlias: agg_referrals
          Aggregate: groupBy=[[]], aggr=[[count(CASE WHEN row.referral_date BETWEEN Date32("2013-08-01") AND Date32("2013-08-31") THEN Int64(1) END) AS a0_p0_den,
              count(CASE WHEN row.referral_date BETWEEN Date32("2013-08-01") AND Date32("2013-08-31") AND row.team = Utf8("north") THEN Int64(1) END) AS a0_p0_num,
              count(CASE WHEN row.referral_date BETWEEN Date32("2013-09-01") AND Date32("2013-09-30") THEN Int64(1) END) AS a0_p1_den,
              count(CASE WHEN row.referral_date BETWEEN Date32("2013-09-01") AND Date32("2013-09-30") AND row.team = Utf8("north") THEN Int64(1) END) AS a0_p1_num]]
            Filter: row.referral_date BETWEEN Date32("2013-08-01") AND Date32("2013-09-30")
              SubqueryAlias: row
                TableScan: referrals
        "#);
    }
}
