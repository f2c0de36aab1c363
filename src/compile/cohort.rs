//! Cohorts (`first per offender_id`): of the rows a measure keeps in a window, each entity's
//! first, by window functions over the entity's rows — never a join of each row with every
//! other. Per (measure, period): the entity's earliest date among its kept rows, then the
//! least key among its kept rows on that date; a row is the entity's first when it is kept,
//! has an entity, and holds both.

use super::exprs::column;
use super::merged::over;
use super::CompileError;
use datafusion::functions_aggregate::min_max::min_udaf;
use datafusion::logical_expr::{when, ExprFunctionExt, JoinType, LogicalPlanBuilder};
use datafusion::prelude::Expr;

/// The relation holding each row's first-of-its-entity flags.
pub const FIRSTS: &str = "cohort_firsts";

/// One (measure, period) whose rows are narrowed to each entity's first.
pub struct First {
    /// The row's entity column.
    pub entity: String,
    /// The row's event date.
    pub date: Expr,
    /// Whether the measure keeps the row in the period's window.
    pub kept: Expr,
}

/// The name of the `k`th flag.
fn flag_name(k: usize) -> String {
    format!("first{k}")
}

/// Whether the row is its entity's first, for the `k`th of the `firsts` given to [`joined`].
pub fn flag(k: usize) -> Expr {
    column(FIRSTS, &flag_name(k))
}

/// `rows` (whose row is `row`, keyed by `key`) with the flags of `firsts` joined in, one row
/// for each. A window node takes one partitioning: the firsts of each entity column are found
/// in windows of their own, one after another.
pub fn joined(
    rows: LogicalPlanBuilder,
    row: &str,
    key: &str,
    firsts: &[First],
) -> Result<LogicalPlanBuilder, CompileError> {
    let (d, c) = (|k: usize| format!("d{k}"), |k: usize| format!("c{k}"));
    let (first_date, first_key) = (|k: usize| format!("fd{k}"), |k: usize| format!("fk{k}"));
    let mut entities: Vec<&str> = Vec::new();
    for f in firsts {
        if !entities.contains(&f.entity.as_str()) {
            entities.push(&f.entity);
        }
    }
    let entity_of = |k: usize| format!("e{}", entities.iter().position(|e| *e == firsts[k].entity).unwrap_or(0));
    let mut at = "cohort_rows".to_string();
    let mut columns = vec![column(row, key).alias("cohort_key")];
    columns.extend(entities.iter().enumerate().map(|(j, e)| column(row, e).alias(format!("e{j}"))));
    for (k, f) in firsts.iter().enumerate() {
        columns.push(f.date.clone().alias(d(k)));
        columns.push(f.kept.clone().is_true().alias(c(k)));
    }
    let mut plan = rows.clone().project(columns)?.alias(&at)?;

    for (j, _) in entities.iter().enumerate() {
        let of_entity: Vec<usize> = (0..firsts.len()).filter(|k| entity_of(*k) == format!("e{j}")).collect();
        // The entity's earliest date among its kept rows.
        let dates = of_entity
            .iter()
            .map(|&k| {
                Ok(over(min_udaf(), when(column(&at, &c(k)), column(&at, &d(k))).end()?)
                    .partition_by(vec![column(&at, &entity_of(k))])
                    .build()?
                    .alias(first_date(k)))
            })
            .collect::<Result<Vec<_>, CompileError>>()?;
        let next = format!("cohort_dates{j}");
        plan = super::window_as_select(plan.window(dates)?)?.alias(&next)?;
        at = next;
        // The least key among the entity's kept rows of that date.
        let keys = of_entity
            .iter()
            .map(|&k| {
                let on_first_day = column(&at, &c(k)).and(column(&at, &d(k)).eq(column(&at, &first_date(k))));
                Ok(over(min_udaf(), when(on_first_day, column(&at, "cohort_key")).end()?)
                    .partition_by(vec![column(&at, &entity_of(k))])
                    .build()?
                    .alias(first_key(k)))
            })
            .collect::<Result<Vec<_>, CompileError>>()?;
        let next = format!("cohort_keys{j}");
        plan = super::window_as_select(plan.window(keys)?)?.alias(&next)?;
        at = next;
    }
    let mut flags = vec![column(&at, "cohort_key")];
    for k in 0..firsts.len() {
        let first = column(&at, &c(k))
            .and(column(&at, &entity_of(k)).is_not_null())
            .and(column(&at, &d(k)).eq(column(&at, &first_date(k))))
            .and(column(&at, "cohort_key").eq(column(&at, &first_key(k))));
        flags.push(first.is_true().alias(flag_name(k)));
    }
    let firsts = plan.project(flags)?.alias(FIRSTS)?.build()?;
    let key_column = datafusion::common::Column::new(Some(row), key);
    let found = datafusion::common::Column::new(Some(FIRSTS), "cohort_key");
    Ok(rows.join(firsts, JoinType::Left, (vec![key_column], vec![found]), None)?)
}
