//! One source's plan: its rows scanned once, calendar and `exists` joins added, and every
//! measure over it computed for every period as a filtered aggregate.

use super::exprs::{column, compile, date_lit, ExprCx, Needs, BOUND, INNER, ROW};
use super::{window_of, CompileError, PlanInputs, CALENDAR_TABLE};
use crate::ir::{AggregateFn, Definition, Selection};
use datafusion::functions_aggregate::expr_fn::{avg, count, max, median, min, sum};
use datafusion::logical_expr::{is_not_true, ExprFunctionExt, JoinType, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::{is_null, lit, Expr};

/// The alias of a source's aggregate row.
pub fn source_alias(source: &str) -> String {
    format!("agg_{source}")
}

/// The name of one aggregate column.
pub fn aggregate_name(measure: usize, period: usize, what: &str) -> String {
    format!("a{measure}_p{period}_{what}")
}

const LATEST: &str = "latest";
const SNAPSHOTS: &str = "snap";

/// The latest snapshot date of the whole table within a window, as a column of `latest`.
struct LatestSnapshots {
    column: String,
    windows: Vec<(chrono::NaiveDate, chrono::NaiveDate)>,
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

/// `count(1)`, or `count(DISTINCT column)`, with a FILTER.
fn row_count(distinct: Option<&String>, filter: Expr) -> Result<Expr, CompileError> {
    // The builder sets DISTINCT itself: it would drop the flag of `count_distinct`.
    Ok(match distinct {
        Some(c) => count(column(ROW, c)).distinct().filter(filter).build()?,
        None => count(lit(1)).filter(filter).build()?,
    })
}

/// What one measure asks of one period's rows.
struct PeriodConditions {
    /// The rows the measure looks at (the denominator, for a proportion).
    rows: Expr,
    /// A proportion's numerator condition, over those rows.
    meets: Option<Expr>,
    /// An aggregate's expression.
    value: Option<Expr>,
}

/// Compiles a measure's selection, filters and exclusions (and numerator or aggregated
/// expression) for one period, registering the joins they need.
fn period_conditions(
    inputs: &PlanInputs<'_>,
    m: &crate::ir::Measure,
    p: &crate::calendar::ReportingPeriod,
    keys: &[String],
    needs: &mut Needs,
    latest: &mut LatestSnapshots,
) -> Result<Option<PeriodConditions>, CompileError> {
    let Some(rows) = m.definition.rows() else { return Ok(None) };
    let Some((ws, e)) = window_of(m, p) else { return Ok(None) };
    let cx = ExprCx { period_end: e, window_start: ws, holidays: inputs.holidays, row: ROW, inner: None, keys };
    let mut conds = vec![match &rows.selection {
        Selection::All => lit(true),
        Selection::EventIn(c) => column(ROW, c).between(date_lit(ws), date_lit(e)),
        Selection::OpenAtEnd { start, end } => {
            column(ROW, start).lt_eq(date_lit(e)).and(is_null(column(ROW, end)).or(column(ROW, end).gt(date_lit(e))))
        }
        Selection::LatestSnapshot(c) => {
            latest.column = c.clone();
            column(ROW, c).eq(column(LATEST, &latest.name_for((ws, e))))
        }
    }];
    for f in &rows.filters {
        conds.push(compile(f, &cx, needs)?);
    }
    for x in &rows.exclusions {
        conds.push(is_not_true(compile(x, &cx, needs)?));
    }
    let meets = match &m.definition {
        Definition::Proportion { numerator, .. } => Some(compile(numerator, &cx, needs)?),
        _ => None,
    };
    let value = match &m.definition {
        Definition::Aggregate { expr, .. } | Definition::Rate { summed: Some(expr), .. } => {
            Some(compile(expr, &cx, needs)?)
        }
        _ => None,
    };
    Ok(Some(PeriodConditions { rows: and_all(conds), meets, value }))
}

fn key_columns(source: &crate::ir::Source) -> Vec<String> {
    source.columns.iter().filter(|c| c.key).map(|c| c.name.clone()).collect()
}

/// The aggregate plan of `measures` (all over `source`), grouped by `group_by` if given.
pub fn aggregate(
    inputs: &PlanInputs<'_>,
    source_name: &str,
    measures: &[usize],
    group_by: Option<&str>,
) -> Result<LogicalPlan, CompileError> {
    let project = inputs.project;
    let source = project
        .source(source_name)
        .ok_or_else(|| CompileError::unsupported(format!("source `{source_name}` without a declaration")))?;
    let keys = key_columns(source);
    let mut needs = Needs::default();
    let mut latest = LatestSnapshots { column: String::new(), windows: Vec::new() };
    let mut aggregates = Vec::new();

    for &i in measures {
        let m = &project.measures[i];
        let mut per_measure = || -> Result<Vec<Expr>, CompileError> {
            let mut out = Vec::new();
            for (pi, p) in inputs.periods.iter().enumerate() {
                let Some(c) = period_conditions(inputs, m, p, &keys, &mut needs, &mut latest)? else { continue };
                let name = |what: &str| aggregate_name(i, pi, what);
                match &m.definition {
                    Definition::Rate { summed: Some(_), .. } => {
                        let x = c.value.expect("a rate of a sum has an expression");
                        out.push(sum(x).filter(c.rows).build()?.alias(name("count")));
                    }
                    Definition::Count { distinct, .. } | Definition::Rate { distinct, .. } => {
                        out.push(row_count(distinct.as_ref(), c.rows)?.alias(name("count")));
                    }
                    Definition::Proportion { distinct, .. } => {
                        let meets = c.meets.expect("a proportion has a numerator");
                        out.push(row_count(distinct.as_ref(), c.rows.clone())?.alias(name("den")));
                        out.push(row_count(distinct.as_ref(), c.rows.and(meets))?.alias(name("num")));
                    }
                    Definition::Aggregate { func, .. } => {
                        let x = c.value.expect("an aggregate has an expression");
                        let agg = match func {
                            AggregateFn::Max => max(x),
                            AggregateFn::Min => min(x),
                            AggregateFn::Sum => sum(x),
                            AggregateFn::Mean => avg(x),
                            AggregateFn::Median => median(x),
                        };
                        out.push(agg.filter(c.rows).build()?.alias(name("agg")));
                    }
                    Definition::Derived { .. } => {}
                }
            }
            Ok(out)
        };
        aggregates.extend(per_measure().map_err(|e| e.in_measure(m))?);
    }
    let mut base = base_rows(inputs, source_name, &keys, &needs, &latest)?;
    // A breakdown keeps every value of its column, even one with no rows in any window.
    if let (None, Some(rows)) = (group_by, envelope(inputs, measures)) {
        base = base.filter(rows)?;
    }
    let group: Vec<Expr> = group_by.map(|c| column(ROW, c)).into_iter().collect();
    Ok(base.aggregate(group, aggregates)?.alias(source_alias(source_name))?.build()?)
}

/// The rows any period of `measures` can look at: each measure's selection widened from its
/// earliest window start to its latest period end. Every aggregate's filter implies it, so
/// rows outside it count nowhere; dropping them first spares the aggregates, and a Parquet
/// scan skips the row groups whose date statistics fall outside it. None when some measure
/// looks at every row.
fn envelope(inputs: &PlanInputs<'_>, measures: &[usize]) -> Option<Expr> {
    use chrono::NaiveDate;
    // Per date column, the range its events are looked at in; per span, the latest end
    // starts are looked at by and the earliest end an open row must outlast.
    let mut events: Vec<(&str, NaiveDate, NaiveDate)> = Vec::new();
    let mut spans: Vec<(&str, &str, NaiveDate, NaiveDate)> = Vec::new();
    for &i in measures {
        let m = &inputs.project.measures[i];
        let Some(rows) = m.definition.rows() else { continue };
        let windows: Vec<_> = inputs.periods.iter().filter_map(|p| window_of(m, p)).collect();
        let (Some(first), Some(last)) = (windows.iter().map(|w| w.0).min(), windows.iter().map(|w| w.1).max()) else {
            continue;
        };
        let earliest_end = windows.iter().map(|w| w.1).min().unwrap_or(last);
        match &rows.selection {
            Selection::All => return None,
            Selection::EventIn(c) | Selection::LatestSnapshot(c) => match events.iter_mut().find(|x| x.0 == c) {
                Some(x) => (x.1, x.2) = (x.1.min(first), x.2.max(last)),
                None => events.push((c, first, last)),
            },
            Selection::OpenAtEnd { start, end } => match spans.iter_mut().find(|x| (x.0, x.1) == (start, end)) {
                Some(x) => (x.2, x.3) = (x.2.max(last), x.3.min(earliest_end)),
                None => spans.push((start, end, last, earliest_end)),
            },
        }
    }
    let events = events.into_iter().map(|(c, first, last)| column(ROW, c).between(date_lit(first), date_lit(last)));
    let spans = spans.into_iter().map(|(start, end, last, earliest_end)| {
        column(ROW, start)
            .lt_eq(date_lit(last))
            .and(is_null(column(ROW, end)).or(column(ROW, end).gt(date_lit(earliest_end))))
    });
    events.chain(spans).reduce(Expr::or)
}

/// The rows behind one measure's figure for one period: the source's keys, `child_id`, its
/// date columns, whether each row counts in the denominator (all do) and in the numerator.
pub fn drill(inputs: &PlanInputs<'_>, measure: usize, period: usize) -> Result<LogicalPlan, CompileError> {
    let m = &inputs.project.measures[measure];
    let rows = m
        .definition
        .rows()
        .ok_or_else(|| CompileError::unsupported(format!("drilling into the derived measure {}", m.reference)))?;
    let source = inputs
        .project
        .source(&rows.source)
        .ok_or_else(|| CompileError::unsupported(format!("source `{}`", rows.source)))?;
    let keys = key_columns(source);
    let mut needs = Needs::default();
    let mut latest = LatestSnapshots { column: String::new(), windows: Vec::new() };
    let Some(c) = period_conditions(inputs, m, &inputs.periods[period], &keys, &mut needs, &mut latest)? else {
        return Err(CompileError::unsupported(format!(
            "drilling into {} for a period before its window starts",
            m.reference
        )));
    };
    let mut shown: Vec<Expr> = source
        .columns
        .iter()
        .filter(|col| {
            let id = col.key || col.name == "child_id" || (keys.is_empty() && col.name.ends_with("_id"));
            id || col.ty == crate::ir::ColumnType::Date
        })
        .map(|col| column(ROW, &col.name).alias(col.name.as_str()))
        .collect();
    if let Some(meets) = c.meets {
        shown.push(datafusion::logical_expr::is_true(meets).alias("in_numerator"));
    }
    if let Some(v) = c.value {
        shown.push(v.alias("value"));
    }
    // In the order of the first column shown (the source's key).
    let order = source.columns.iter().find(|col| col.key || col.name == "child_id").map(|col| col.name.clone());
    let base = base_rows(inputs, &rows.source, &keys, &needs, &latest)?.filter(c.rows)?.project(shown)?;
    let base = match order {
        Some(col) => base.sort(vec![datafusion::prelude::ident(col).sort(true, true)])?,
        None => base,
    };
    Ok(base.build()?)
}

/// A source's rows with the calendar, `exists` and latest-snapshot joins its conditions need.
fn base_rows(
    inputs: &PlanInputs<'_>,
    source_name: &str,
    keys: &[String],
    needs: &Needs,
    latest: &LatestSnapshots,
) -> Result<LogicalPlanBuilder, CompileError> {
    let scan = |name: &str, alias: &str| -> Result<LogicalPlanBuilder, CompileError> {
        Ok(LogicalPlanBuilder::scan(name, (inputs.tables)(name)?, None)?.alias(alias)?)
    };
    let mut base = scan(source_name, ROW)?;
    for cal in &needs.calendars {
        let calendar = scan(CALENDAR_TABLE, &cal.alias)?.build()?;
        base = base.join_with_expr_keys(
            calendar,
            JoinType::Left,
            (vec![cal.date.clone()], vec![column(&cal.alias, "date")]),
            None,
        )?;
    }
    for flag in &needs.flags {
        let inner = scan(&flag.source, INNER)?.build()?;
        let rows = scan(source_name, ROW)?;
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
                Ok(max(snap.clone())
                    .filter(snap.clone().between(date_lit(*ws), date_lit(*e)))
                    .build()?
                    .alias(format!("latest_{k}")))
            })
            .collect::<Result<Vec<_>, CompileError>>()?;
        let one_row =
            scan(source_name, SNAPSHOTS)?.aggregate(Vec::<Expr>::new(), latest_dates)?.alias(LATEST)?.build()?;
        base = base.cross_join(one_row)?;
    }
    Ok(base)
}
