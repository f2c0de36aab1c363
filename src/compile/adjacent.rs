//! Adjacent rows (`previous earlier by child_id order by request_date`, or `next`) as window
//! functions over the entity, never a join of each row with every other.
//!
//! For each row with an entity and a date, the previous row is the last, in order of date and
//! then key, of the entity's rows dated strictly before it: `LAG` over the entity's rows in
//! that order gives the row just before, which for the first row of a day is the last row of
//! the day before; `FIRST_VALUE` of that over the rows of the same entity and day hands it to
//! every row of the day. `next` is the same in the reverse order: the first row, in order of
//! date and key, of those dated strictly after.

use super::exprs::{adjacent_column, column, null_of};
use super::CompileError;
use crate::ir::Source;
use datafusion::functions_window::expr_fn::{first_value, lag};
use datafusion::logical_expr::{when, ExprFunctionExt, LogicalPlanBuilder};
use datafusion::prelude::Expr;

/// `rows` (a scan of the table `source`, unaliased) under `alias`, with the columns of the
/// adjacent rows asked for (`(relation, column)`) beside the row's own, named by
/// [`adjacent_column`].
pub fn rows_with(
    rows: LogicalPlanBuilder,
    source: &Source,
    alias: &str,
    wanted: &[(String, String)],
) -> Result<LogicalPlanBuilder, CompileError> {
    let key = source
        .keys()
        .into_iter()
        .next()
        .ok_or_else(|| CompileError::internal(format!("adjacent rows of `{}`, which has no key", source.name)))?;
    // Each window a derived table of its own, as SQL reads a window's result only from one.
    let mut at = "adjacent_rows".to_string();
    let mut plan = rows.alias(&at)?;
    let mut relations: Vec<&str> = Vec::new();
    for (r, _) in wanted {
        if !relations.contains(&r.as_str()) {
            relations.push(r);
        }
    }
    // (relation, column, entity column, date column) of each column found.
    let mut found: Vec<(&str, &str, &str, &str)> = Vec::new();
    for (k, relation) in relations.into_iter().enumerate() {
        let adj = source
            .adjacent(relation)
            .ok_or_else(|| CompileError::internal(format!("`{relation}` is no adjacent row of `{}`", source.name)))?;
        let columns: Vec<&str> = wanted.iter().filter(|(r, _)| r == relation).map(|(_, c)| c.as_str()).collect();
        // Forwards for `previous`, backwards for `next`.
        let ascending = !adj.next;
        let step = |c: &str| format!("{relation}__{c}__step");
        let (by, order) = (column(&at, &adj.by), column(&at, &adj.order));
        let shifted = columns
            .iter()
            .map(|c| {
                Ok(lag(column(&at, c), Some(1), None)
                    .partition_by(vec![by.clone(), order.clone().is_null()])
                    .order_by(vec![order.clone().sort(ascending, true), column(&at, &key).sort(ascending, true)])
                    .build()?
                    .alias(step(c)))
            })
            .collect::<Result<Vec<_>, CompileError>>()?;
        at = format!("adjacent_step{k}");
        plan = super::window_as_select(plan.window(shifted)?)?.alias(&at)?;
        let (by, order) = (column(&at, &adj.by), column(&at, &adj.order));
        let handed = columns
            .iter()
            .map(|c| {
                Ok(first_value(column(&at, &step(c)))
                    .partition_by(vec![by.clone(), order.clone()])
                    .order_by(vec![column(&at, &key).sort(ascending, true)])
                    .build()?
                    .alias(adjacent_column(relation, c)))
            })
            .collect::<Result<Vec<_>, CompileError>>()?;
        at = format!("adjacent_day{k}");
        plan = super::window_as_select(plan.window(handed)?)?.alias(&at)?;
        found.extend(columns.iter().map(|c| (relation, *c, adj.by.as_str(), adj.order.as_str())));
    }
    let mut out: Vec<Expr> = source.columns.iter().map(|c| column(&at, &c.name).alias(c.name.as_str())).collect();
    for (relation, c, by, order) in found {
        let ty = source.column(c).map(|col| col.ty.value_type());
        let ty = ty.ok_or_else(|| CompileError::internal(format!("`{relation}.{c}` reads no column")))?;
        // A row with no entity or no date has no adjacent row.
        let none = column(&at, by).is_null().or(column(&at, order).is_null());
        let name = adjacent_column(relation, c);
        let value = when(none, null_of(ty)).otherwise(column(&at, &name))?;
        out.push(value.alias(name));
    }
    Ok(plan.project(out)?.alias(alias)?)
}
