//! Aggregates over related rows (`count episodes as p where p.CHILD = CHILD and ...`,
//! `latest p.DECOM of episodes as p where ...`) as joins, never as a subquery per row.
//!
//! Where the condition relates the rows only by equal keys (`p.CHILD = CHILD`) and otherwise
//! reads the related row and the period, the other source is scanned once and grouped by its
//! key, with one filtered aggregate per period, and the groups are joined to the measure's
//! rows by key ("keyed"). Where the condition compares the related row with the measure's row
//! in another way (`p.DECOM < DECOM`), the two sources are joined on that condition and
//! grouped by the measure's row key ("by row"). Either way every period is one column of
//! one join, as `exists` bounds are.

use super::scope::{column, Needs, RelatedJoin, INNER, ROW};
use super::CompileError;
use crate::ir::RelatedFn;
use datafusion::arrow::datatypes::DataType;
use datafusion::functions_aggregate::expr_fn::{avg, count, max, min, sum};
use datafusion::logical_expr::{ExprFunctionExt, JoinType, LogicalPlanBuilder};
use datafusion::prelude::{cast, coalesce, lit, Expr};

fn and_all(parts: Vec<Expr>) -> Option<Expr> {
    parts.into_iter().reduce(Expr::and)
}

/// A condition over related rows, its parts compiled (by `exprs`, which splits it with
/// `RelatedCondition::split`): what decides the join it needs.
#[derive(Default)]
pub struct Parts {
    /// Compared with the measure's row other than by equal keys: joined row by row.
    pub by_row: bool,
    /// What every counted related row meets, whatever the period.
    pub fixed: Vec<Expr>,
    /// What it meets in the period compiled for.
    pub per_period: Vec<Expr>,
    /// (related row's expression, measure row's expression) pairs equal keys relate.
    pub keys: Vec<(Expr, Expr)>,
    /// By row: the conditions that join the two rows.
    pub on: Vec<Expr>,
}

/// The join for `parts` over the rows of `source` (registered in `needs`, once for every
/// aggregate and period that shares it), and the filter its aggregates take for this period.
pub fn register(source: &str, parts: Parts, needs: &mut Needs) -> (usize, Option<Expr>) {
    let wanted = RelatedJoin {
        alias: format!("rel{}", needs.related.len()),
        source: source.to_string(),
        by_row: parts.by_row,
        keys: parts.keys,
        on: and_all(parts.on),
        fixed: and_all(parts.fixed),
        outputs: Vec::new(),
    };
    let index = match needs.related.iter().position(|j| j.joins_as(&wanted)) {
        Some(i) => i,
        None => {
            needs.related.push(wanted);
            needs.related.len() - 1
        }
    };
    (index, and_all(parts.per_period))
}

fn filtered(aggregate: Expr, filter: Option<Expr>) -> Result<Expr, CompileError> {
    Ok(match filter {
        Some(f) => aggregate.filter(f).build()?,
        None => aggregate,
    })
}

/// `func` of `value` (compiled over the related row) over the rows of join `index` that
/// meet `filter`: a column of the join, on the measure's row.
pub fn aggregate(
    func: RelatedFn,
    value: Option<Expr>,
    (index, filter): (usize, Option<Expr>),
    needs: &mut Needs,
) -> Result<Expr, CompileError> {
    let number =
        |v: Option<Expr>| cast(v.expect("the checker gives every aggregate but count a value"), DataType::Float64);
    let aggregate = match func {
        RelatedFn::Count => count(lit(1)),
        RelatedFn::Sum => sum(number(value)),
        RelatedFn::Mean => avg(number(value)),
        RelatedFn::Max | RelatedFn::Latest => max(value.expect("a value")),
        RelatedFn::Min | RelatedFn::Earliest => min(value.expect("a value")),
    };
    let join = &mut needs.related[index];
    let name = join.output(filtered(aggregate, filter)?);
    let out = column(&join.alias, &name);
    // No related rows: none counted; a sum, mean or date of none is missing.
    Ok(if func == RelatedFn::Count { coalesce(vec![out, lit(0i64)]) } else { out })
}

/// `base` with the join added: `scan` reads a source under an alias, `rows` gives the
/// measure's rows (with their lookups) for joins by row, and `keys` are their key columns.
pub fn add_join(
    base: LogicalPlanBuilder,
    join: &RelatedJoin,
    scan: &dyn Fn(&str, &str) -> Result<LogicalPlanBuilder, CompileError>,
    rows: &dyn Fn() -> Result<LogicalPlanBuilder, CompileError>,
    keys: &[String],
) -> Result<LogicalPlanBuilder, CompileError> {
    let mut inner = scan(&join.source, INNER)?;
    if let Some(f) = &join.fixed {
        inner = inner.filter(f.clone())?;
    }
    let outputs: Vec<Expr> = join.outputs.iter().map(|(name, a)| a.clone().alias(name.as_str())).collect();
    if join.by_row {
        let paired = match &join.on {
            Some(on) => rows()?.join_on(inner.build()?, JoinType::Inner, vec![on.clone()])?,
            None => rows()?.cross_join(inner.build()?)?,
        };
        let group: Vec<Expr> = keys.iter().map(|k| column(ROW, k).alias(k.as_str())).collect();
        let grouped = paired.aggregate(group, outputs)?.alias(join.alias.as_str())?.build()?;
        let left: Vec<datafusion::common::Column> =
            keys.iter().map(|k| datafusion::common::Column::new(Some(ROW), k)).collect();
        let right: Vec<datafusion::common::Column> =
            keys.iter().map(|k| datafusion::common::Column::new(Some(join.alias.as_str()), k)).collect();
        return Ok(base.join(grouped, JoinType::Left, (left, right), None)?);
    }
    let group: Vec<Expr> = join.keys.iter().enumerate().map(|(i, (k, _))| k.clone().alias(format!("k{i}"))).collect();
    let grouped = inner.aggregate(group, outputs)?.alias(join.alias.as_str())?.build()?;
    if join.keys.is_empty() {
        return Ok(base.cross_join(grouped)?);
    }
    let outer: Vec<Expr> = join.keys.iter().map(|(_, o)| o.clone()).collect();
    let related: Vec<Expr> = (0..join.keys.len()).map(|i| column(&join.alias, &format!("k{i}"))).collect();
    Ok(base.join_with_expr_keys(grouped, JoinType::Left, (outer, related), None)?)
}
