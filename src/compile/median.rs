//! Medians and percentiles as a plan every engine runs: PostgreSQL's median is an ordered-set
//! aggregate, SQLite has none, and DataFusion's percentile is approximate. The rows are read
//! once: each (measure, period) wanted is a slot with its own "in this slot" flag, and a
//! running count of the slot's rows in the order of the value numbers them 1 to n within the
//! slot (and breakdown value), beside n, the slot's count. Of n values numbered 1 to n:
//!
//! - the median is the mean of the middle one or two: those numbered r with n <= 2r <= n + 2;
//! - the percentile p = a/b (Excel's PERCENTILE.INC) is x[k] + (h - k)(x[k+1] - x[k]) with
//!   h = p(n - 1) and k = floor(h), counting x from 0: the value numbered r = k + 1 is the one
//!   with b(r - 1) <= a(n - 1) < br, and h - k = (a(n - 1) - b(r - 1)) / b, all in whole
//!   numbers until that last division, so every engine finds the same ranks.
//!
//! A measure's slots share its value: the rows are read once and no row is copied per slot (a
//! union of the input once per slot would repeat its joins, and on Ballista a union whose
//! branch joins to no rows does not finish). Slots each with a value of their own are stacked.

use super::CompileError;
use crate::ir::Fraction;
use datafusion::arrow::datatypes::DataType;
use datafusion::functions_aggregate::count::count_udaf;
use datafusion::functions_aggregate::expr_fn::{avg, max};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::{
    when, ExprFunctionExt, LogicalPlanBuilder, WindowFrame, WindowFrameBound, WindowFrameUnits,
};
use datafusion::prelude::{cast, ident, lit, Expr};

/// One median (or percentile, `at`) asked for: over the rows of the input where `rows`
/// holds, of `value`.
pub struct Wanted {
    pub rows: Expr,
    pub value: Expr,
    pub name: String,
    /// The percentile as a fraction; the median when `None`.
    pub at: Option<Fraction>,
}

/// The column names of slot `k` and of value `j`.
fn value_column(j: usize) -> String {
    format!("ranked_value{j}")
}
fn in_slot(k: usize) -> String {
    format!("in_slot{k}")
}
fn rank(k: usize) -> String {
    format!("rank{k}")
}
fn count(k: usize) -> String {
    format!("count{k}")
}
fn part(k: usize, what: &str) -> String {
    format!("{what}{k}")
}

/// Values ranked by running counts at most: each is a window of its own, nested in the one
/// before, and a plan nests only so deep before Ballista's and Substrait's readers refuse it.
const RANKED_AT_ONCE: usize = 8;

/// One row per value of `group` (one row when `None`) holding each wanted median under its
/// name. `group` is the grouping expression over the input, named `group_name`.
///
/// The slots of a measure's periods share its value, and are numbered by running counts over
/// the rows read once. Slots each with a value of their own (a median of children, whose one
/// value each depends on the period) are stacked instead: the rows where each slot holds, one
/// slot after another, numbered within the slot.
pub fn medians(
    input: &LogicalPlanBuilder,
    group: Option<(&Expr, &str)>,
    wanted: &[Wanted],
) -> Result<LogicalPlanBuilder, CompileError> {
    // The values ranked, each once (a measure's periods share one), and each slot's value.
    let mut values: Vec<Expr> = Vec::new();
    let value_of: Vec<usize> = wanted
        .iter()
        .map(|w| {
            let v = super::exprs::as_f64(w.value.clone());
            match values.iter().position(|x| *x == v) {
                Some(j) => j,
                None => {
                    values.push(v);
                    values.len() - 1
                }
            }
        })
        .collect();
    if values.len() <= RANKED_AT_ONCE {
        by_running_counts(input, group, wanted, &values, &value_of)
    } else {
        by_stacking(input, group, wanted)
    }
}

/// The rows read once, numbered by running counts: one window for each value ranked.
fn by_running_counts(
    input: &LogicalPlanBuilder,
    group: Option<(&Expr, &str)>,
    wanted: &[Wanted],
    values: &[Expr],
    value_of: &[usize],
) -> Result<LogicalPlanBuilder, CompileError> {
    let group_col = || -> Vec<Expr> { group.iter().map(|(_, name)| ident(*name)).collect() };
    // The rows once: the group, the values, and whether each row is in each slot (a value
    // that is missing is in none).
    let mut columns: Vec<Expr> = group.iter().map(|(g, name)| (*g).clone().alias(*name)).collect();
    columns.extend(values.iter().enumerate().map(|(j, v)| v.clone().alias(value_column(j))));
    for (k, w) in wanted.iter().enumerate() {
        let present = w.rows.clone().and(values[value_of[k]].clone().is_not_null());
        columns.push(when(present, lit(1i64)).otherwise(lit(0i64))?.alias(in_slot(k)));
    }
    let rows = input.clone().project(columns)?.alias("slotted")?;
    // Each slot's rows numbered in the order of its value: a running count of the slot's rows.
    let running = WindowFrame::new_bounds(
        WindowFrameUnits::Rows,
        WindowFrameBound::Preceding(datafusion::common::ScalarValue::UInt64(None)),
        WindowFrameBound::CurrentRow,
    );
    let counts = (0..wanted.len())
        .map(|k| {
            Ok(Expr::from(WindowFunction::new(
                datafusion::functions_aggregate::sum::sum_udaf(),
                vec![ident(in_slot(k))],
            ))
            .partition_by(group_col())
            .build()?
            .alias(count(k)))
        })
        .collect::<Result<Vec<_>, CompileError>>()?;
    // Window functions with different orderings stand in separate windows: one for each value
    // ranked, and one for the counts; each a derived table of its own, as SQL needs to read a
    // window's result.
    let mut ranked = rows;
    for j in 0..values.len() {
        let ranks = (0..wanted.len())
            .filter(|&k| value_of[k] == j)
            .map(|k| {
                Ok(Expr::from(WindowFunction::new(
                    datafusion::functions_aggregate::sum::sum_udaf(),
                    vec![ident(in_slot(k))],
                ))
                .partition_by(group_col())
                .order_by(vec![ident(value_column(j)).sort(true, true)])
                .window_frame(running.clone())
                .build()?
                .alias(rank(k)))
            })
            .collect::<Result<Vec<_>, CompileError>>()?;
        ranked = super::window_as_select(ranked.window(ranks)?)?.alias(format!("ranked{j}"))?;
    }
    let ranked = super::window_as_select(ranked.window(counts)?)?.alias("counted")?;
    let int = |name: String| cast(ident(name), DataType::Int64);
    let mut figures = Vec::new();
    for (k, w) in wanted.iter().enumerate() {
        let (r, n, v) = (int(rank(k)), int(count(k)), ident(value_column(value_of[k])));
        let in_it = ident(in_slot(k)).eq(lit(1i64));
        match w.at {
            None => {
                let middle = (lit(2i64) * r.clone()).gt_eq(n.clone()).and((lit(2i64) * r).lt_eq(n + lit(2i64)));
                figures.push(avg(v).filter(in_it.and(middle)).build()?.alias(w.name.as_str()));
            }
            Some(f) => {
                // a(n - 1), and b(r - 1 - step) <= a(n - 1) < b(r - step) for the value numbered
                // k + 1 (step 0) and k + 2 (step 1).
                let (a, b) = (lit(f.num), lit(f.den));
                let h = a * (n - lit(1i64));
                let at_step = |step: i64| {
                    let below = b.clone() * (r.clone() - lit(1 + step));
                    let above = b.clone() * (r.clone() - lit(step));
                    in_it.clone().and(below.lt_eq(h.clone())).and(h.clone().lt(above))
                };
                let share = cast(h.clone() - b.clone() * (r.clone() - lit(1i64)), DataType::Float64)
                    / cast(b.clone(), DataType::Float64);
                figures.push(max(v.clone()).filter(at_step(0)).build()?.alias(part(k, "lower")));
                figures.push(max(v).filter(at_step(1)).build()?.alias(part(k, "upper")));
                figures.push(max(share).filter(at_step(0)).build()?.alias(part(k, "share")));
            }
        }
    }
    let per_group = ranked.aggregate(group_col(), figures)?;
    if wanted.iter().all(|w| w.at.is_none()) {
        return Ok(per_group);
    }
    // x[k] + (h - k)(x[k+1] - x[k]); with no x[k+1] (h whole at the last value) x[k].
    let mut out = group_col();
    for (k, w) in wanted.iter().enumerate() {
        out.push(match w.at {
            None => ident(w.name.as_str()),
            Some(_) => {
                let (lower, upper) = (ident(part(k, "lower")), ident(part(k, "upper")));
                let above = when(upper.clone().is_null(), lower.clone()).otherwise(upper)?;
                (lower.clone() + ident(part(k, "share")) * (above - lower)).alias(w.name.as_str())
            }
        });
    }
    Ok(per_group.alias("interpolated")?.project(out)?)
}

const SLOT: &str = "median_slot";
const VALUE: &str = "median_value";
const RANK: &str = "median_rank";
const COUNT: &str = "median_count";
const MEDIAN: &str = "median";
const NUM: &str = "percentile_num";
const DEN: &str = "percentile_den";
const LOWER: &str = "percentile_lower";
const UPPER: &str = "percentile_upper";
const SHARE: &str = "percentile_share";
const PERCENTILE: &str = "percentile";

/// The slots stacked: a union of the rows of each slot, numbered within it.
fn by_stacking(
    input: &LogicalPlanBuilder,
    group: Option<(&Expr, &str)>,
    wanted: &[Wanted],
) -> Result<LogicalPlanBuilder, CompileError> {
    let group_col = |named: bool| -> Vec<Expr> {
        match group {
            Some((g, name)) if named => vec![g.clone().alias(name)],
            Some((_, name)) => vec![ident(name)],
            None => Vec::new(),
        }
    };
    let any_percentile = wanted.iter().any(|w| w.at.is_some());
    let any_median = wanted.iter().any(|w| w.at.is_none());
    let stacked = wanted
        .iter()
        .enumerate()
        .map(|(slot, w)| {
            let mut columns = vec![lit(slot as i64).alias(SLOT)];
            columns.extend(group_col(true));
            columns.push(super::exprs::as_f64(w.value.clone()).alias(VALUE));
            if any_percentile {
                let f = w.at.unwrap_or(crate::ir::Fraction { num: 1, den: 2 });
                columns.push(lit(f.num).alias(NUM));
                columns.push(lit(f.den).alias(DEN));
            }
            Ok(input.clone().filter(w.rows.clone().and(w.value.clone().is_not_null()))?.project(columns)?)
        })
        .collect::<Result<Vec<_>, CompileError>>()?;
    let stacked = super::union_all(stacked)?;
    let mut partition = vec![ident(SLOT)];
    partition.extend(group_col(false));
    let rank = row_number().partition_by(partition.clone()).order_by(vec![ident(VALUE).sort(true, true)]).build()?;
    let count = Expr::from(WindowFunction::new(count_udaf(), vec![lit(1)])).partition_by(partition.clone()).build()?;
    // Window functions with different orderings stand in separate windows.
    // Each step a derived table of its own, as SQL needs to read a window's result.
    let stacked = stacked.alias("stacked")?;
    let ranked =
        stacked.window(vec![rank.alias(RANK)])?.alias("ranked")?.window(vec![count.alias(COUNT)])?.alias("counted")?;
    let rank = cast(ident(RANK), DataType::Int64);
    let mut figures = Vec::new();
    if any_median {
        let middle = (lit(2i64) * rank.clone())
            .gt_eq(ident(COUNT))
            .and((lit(2i64) * rank.clone()).lt_eq(ident(COUNT) + lit(2i64)));
        figures.push(avg(ident(VALUE)).filter(middle).build()?.alias(MEDIAN));
    }
    if any_percentile {
        // a(n - 1), and b(r - 1 - step) <= a(n - 1) < b(r - step) for the value numbered k + 1
        // (step 0) and k + 2 (step 1).
        let (a, b) = (ident(NUM), ident(DEN));
        let h = a * (ident(COUNT) - lit(1i64));
        let at_step = |step: i64| {
            let below = b.clone() * (rank.clone() - lit(1 + step));
            let above = b.clone() * (rank.clone() - lit(step));
            below.lt_eq(h.clone()).and(h.clone().lt(above))
        };
        let share = cast(h.clone() - b.clone() * (rank.clone() - lit(1i64)), DataType::Float64)
            / cast(b.clone(), DataType::Float64);
        figures.push(max(ident(VALUE)).filter(at_step(0)).build()?.alias(LOWER));
        figures.push(max(ident(VALUE)).filter(at_step(1)).build()?.alias(UPPER));
        figures.push(max(share).filter(at_step(0)).build()?.alias(SHARE));
    }
    let mut per_slot = ranked.aggregate(partition.clone(), figures)?.alias("per_slot")?;
    if any_percentile {
        // x[k] + (h - k)(x[k+1] - x[k]); with no x[k+1] (h whole at the last value) x[k].
        let (lower, upper) = (ident(LOWER), ident(UPPER));
        let value = lower.clone() + ident(SHARE) * (datafusion::prelude::coalesce(vec![upper, lower.clone()]) - lower);
        let mut columns = partition;
        if any_median {
            columns.push(ident(MEDIAN));
        }
        columns.push(value.alias(PERCENTILE));
        per_slot = per_slot.project(columns)?.alias("interpolated")?;
    }
    let columns = wanted
        .iter()
        .enumerate()
        .map(|(slot, w)| {
            let figure = if w.at.is_some() { PERCENTILE } else { MEDIAN };
            Ok(max(ident(figure)).filter(ident(SLOT).eq(lit(slot as i64))).build()?.alias(w.name.as_str()))
        })
        .collect::<Result<Vec<_>, CompileError>>()?;
    Ok(per_slot.aggregate(group_col(false), columns)?)
}
