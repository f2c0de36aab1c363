//! Medians and percentiles as a plan every engine runs: PostgreSQL's median is an ordered-set
//! aggregate, SQLite has none, and DataFusion's percentile is approximate. The values of every
//! (measure, period) are stacked into one column with a slot number, numbered in order within
//! each slot (and breakdown value), and of n values numbered 1 to n:
//!
//! - the median is the mean of the middle one or two: those numbered r with n <= 2r <= n + 2;
//! - the percentile p = a/b (Excel's PERCENTILE.INC) is x[k] + (h - k)(x[k+1] - x[k]) with
//!   h = p(n - 1) and k = floor(h), counting x from 0: the value numbered r = k + 1 is the one
//!   with b(r - 1) <= a(n - 1) < br, and h - k = (a(n - 1) - b(r - 1)) / b, all in whole
//!   numbers until that last division, so every engine finds the same ranks.

use super::CompileError;
use datafusion::arrow::datatypes::DataType;
use datafusion::functions_aggregate::count::count_udaf;
use datafusion::functions_aggregate::expr_fn::{avg, max};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::{ExprFunctionExt, LogicalPlanBuilder};
use datafusion::prelude::{cast, ident, lit, Expr};

/// One median (or percentile, `at`) asked for: over the rows of the input where `rows`
/// holds, of `value`.
pub struct Wanted {
    pub rows: Expr,
    pub value: Expr,
    pub name: String,
    /// The percentile as a fraction; the median when `None`.
    pub at: Option<crate::ir::Fraction>,
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

/// One row per value of `group` (one row when `None`) holding each wanted median under its
/// name. `group` is the grouping expression over the input, named `group_name`.
pub fn medians(
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
