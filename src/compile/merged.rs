//! Spans merged (`source spells from stays merge spans by family_id`): each entity's spans,
//! overlapping or touching, as one span — the gaps-and-islands of window functions, never a
//! join of each span with every other.
//!
//! In the entity's spans in order of start, a span begins a new merged span when it starts
//! after the furthest any earlier span reaches (an open span reaches every day); a span that
//! starts on the day an earlier one ends touches it, as the day a span ends is not a day it is
//! open. A running count of those beginnings numbers the merged spans, and each is the least
//! start and the furthest end of its spans, missing when one of them is still open.

use super::exprs::{column, date_lit, null_of};
use super::CompileError;
use crate::ir::Type;
use datafusion::common::ScalarValue;
use datafusion::functions::expr_fn::coalesce;
use datafusion::functions_aggregate::expr_fn::{max, min};
use datafusion::functions_aggregate::{min_max::max_udaf, sum::sum_udaf};
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::{
    when, AggregateUDF, ExprFunctionExt, LogicalPlanBuilder, WindowFrame, WindowFrameBound, WindowFrameUnits,
};
use datafusion::prelude::{lit, Expr};
use std::sync::Arc;

/// How far a span reaches: its end, or for an open span the last day there is.
const REACH: &str = "merge_reach";
/// The number of the merged span a span belongs to, within its entity.
const NUMBER: &str = "merged_span";

/// An aggregate taken over a window of rows.
pub(super) fn over(function: Arc<AggregateUDF>, x: Expr) -> Expr {
    Expr::WindowFunction(Box::new(WindowFunction::new(function, vec![x])))
}

/// The last day a date holds, standing for "still open".
fn open_end() -> Expr {
    date_lit(chrono::NaiveDate::from_ymd_opt(9999, 12, 31).expect("a real day"))
}

/// The spans of `rows` (whose row is `alias`, with columns `by`, `start` and `end`) merged per
/// entity, as rows of `by`, `start` and `end` under `alias`. Rows with no entity or no start
/// are left out: they have no place among the entity's days.
pub fn spans(
    rows: LogicalPlanBuilder,
    alias: &str,
    by: &str,
    start: &str,
    end: &str,
) -> Result<LogicalPlanBuilder, CompileError> {
    let placed = column(alias, by).is_not_null().and(column(alias, start).is_not_null());
    let at = "merge_rows";
    let plan = rows
        .filter(placed)?
        .project(vec![
            column(alias, by).alias(by),
            column(alias, start).alias(start),
            coalesce(vec![column(alias, end), open_end()]).alias(REACH),
        ])?
        .alias(at)?;
    let in_order =
        |q: &str| (vec![column(q, by)], vec![column(q, start).sort(true, true), column(q, REACH).sort(true, true)]);

    // The furthest any earlier span of the entity reaches.
    let (partition, order) = in_order(at);
    let before = WindowFrame::new_bounds(
        WindowFrameUnits::Rows,
        WindowFrameBound::Preceding(ScalarValue::UInt64(None)),
        WindowFrameBound::Preceding(ScalarValue::UInt64(Some(1))),
    );
    let reach_before = over(max_udaf(), column(at, REACH))
        .partition_by(partition)
        .order_by(order)
        .window_frame(before)
        .build()?
        .alias("reach_before");
    let at = "merge_reached";
    let plan = super::window_as_select(plan.window(vec![reach_before])?)?.alias(at)?;

    // A span after all that came before begins a merged span; a running count numbers them.
    let begins =
        when(column(at, "reach_before").is_null().or(column(at, start).gt(column(at, "reach_before"))), lit(1i64))
            .otherwise(lit(0i64))?;
    let (partition, order) = in_order(at);
    let so_far = WindowFrame::new_bounds(
        WindowFrameUnits::Rows,
        WindowFrameBound::Preceding(ScalarValue::UInt64(None)),
        WindowFrameBound::CurrentRow,
    );
    let number =
        over(sum_udaf(), begins).partition_by(partition).order_by(order).window_frame(so_far).build()?.alias(NUMBER);
    let at = "merge_numbered";
    let plan = super::window_as_select(plan.window(vec![number])?)?.alias(at)?;

    let at_merged = "merge_spans";
    let merged = plan
        .aggregate(
            vec![column(at, by), column(at, NUMBER)],
            vec![min(column(at, start)).alias(start), max(column(at, REACH)).alias(REACH)],
        )?
        .alias(at_merged)?;
    let reach = column(at_merged, REACH);
    let end_value = when(reach.clone().eq(open_end()), null_of(Type::Date)).otherwise(reach)?;
    Ok(merged
        .project(vec![column(at_merged, by).alias(by), column(at_merged, start).alias(start), end_value.alias(end)])?
        .alias(alias)?)
}
