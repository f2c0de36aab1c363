//! Medians as a plan every engine runs: PostgreSQL's median is an ordered-set aggregate,
//! SQLite has none. The values of every (measure, period) are stacked into one column with a
//! slot number, numbered in order within each slot (and breakdown value), and the median is
//! the mean of the middle one or two: those numbered r with n <= 2r <= n + 2, of n values.

use super::CompileError;
use datafusion::arrow::datatypes::DataType;
use datafusion::functions_aggregate::count::count_udaf;
use datafusion::functions_aggregate::expr_fn::{avg, max};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::{ExprFunctionExt, LogicalPlanBuilder};
use datafusion::prelude::{cast, ident, lit, Expr};

/// One median asked for: over the rows of the input where `rows` holds, of `value`.
pub struct Wanted {
    pub rows: Expr,
    pub value: Expr,
    pub name: String,
}

const SLOT: &str = "median_slot";
const VALUE: &str = "median_value";
const RANK: &str = "median_rank";
const COUNT: &str = "median_count";
const MEDIAN: &str = "median";

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
    let stacked = wanted
        .iter()
        .enumerate()
        .map(|(slot, w)| {
            let mut columns = vec![lit(slot as i64).alias(SLOT)];
            columns.extend(group_col(true));
            columns.push(super::exprs::as_f64(w.value.clone()).alias(VALUE));
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
    let middle = (lit(2i64) * rank.clone()).gt_eq(ident(COUNT)).and((lit(2i64) * rank).lt_eq(ident(COUNT) + lit(2i64)));
    let per_slot = ranked
        .aggregate(partition, vec![avg(ident(VALUE)).filter(middle).build()?.alias(MEDIAN)])?
        .alias("per_slot")?;
    let columns = wanted
        .iter()
        .enumerate()
        .map(|(slot, w)| {
            Ok(max(ident(MEDIAN)).filter(ident(SLOT).eq(lit(slot as i64))).build()?.alias(w.name.as_str()))
        })
        .collect::<Result<Vec<_>, CompileError>>()?;
    Ok(per_slot.aggregate(group_col(false), columns)?)
}
