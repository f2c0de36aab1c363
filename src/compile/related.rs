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

use super::exprs::{column, compile as compile_expr, ExprCx, Needs, INNER, ROW};
use super::CompileError;
use crate::ir::{self, ExprKind, RelatedCondition, RelatedFn};
use datafusion::arrow::datatypes::DataType;
use datafusion::functions_aggregate::expr_fn::{avg, count, max, min, sum};
use datafusion::logical_expr::{ExprFunctionExt, JoinType, LogicalPlanBuilder};
use datafusion::prelude::{cast, coalesce, lit, Expr};

/// One join the source's plan needs: a grouped aggregate of `source`'s rows.
#[derive(Clone, Debug)]
pub struct RelatedJoin {
    pub alias: String,
    pub source: String,
    /// Joined to each row of the measure's source on `on`, and grouped by its key; otherwise
    /// grouped by `keys` and joined by them.
    pub by_row: bool,
    /// (related row's expression, measure row's expression) pairs that relate the rows.
    pub keys: Vec<(Expr, Expr)>,
    /// By row: the join condition.
    pub on: Option<Expr>,
    /// What every counted related row meets, whatever the period.
    pub fixed: Option<Expr>,
    /// Named aggregates, one for each function, value and period asked for.
    pub outputs: Vec<(String, Expr)>,
}

impl RelatedJoin {
    fn identity(&self) -> String {
        let keys: Vec<String> = self.keys.iter().map(|(a, b)| format!("{a}={b}")).collect();
        let text = |e: &Option<Expr>| e.as_ref().map(Expr::to_string).unwrap_or_default();
        format!("{}|{}|{}|{}|{}", self.source, self.by_row, keys.join(","), text(&self.on), text(&self.fixed))
    }

    /// The column holding `aggregate`, added if it is new.
    fn output(&mut self, aggregate: Expr) -> String {
        let key = aggregate.to_string();
        if let Some((name, _)) = self.outputs.iter().find(|(_, a)| a.to_string() == key) {
            return name.clone();
        }
        let name = format!("v{}", self.outputs.len());
        self.outputs.push((name.clone(), aggregate));
        name
    }
}

fn and_all(parts: Vec<Expr>) -> Option<Expr> {
    parts.into_iter().reduce(Expr::and)
}

/// The join (registered in `needs`) for the rows of `source` aliased `alias` meeting
/// `condition`, and the filter its aggregates take for this period. `None` when the
/// condition compares with the measure's row and `keyed_only` asks for keys alone.
fn join_for(
    source: &str,
    alias: &str,
    condition: Option<&ir::Expr>,
    cx: &ExprCx<'_>,
    needs: &mut Needs,
    keyed_only: bool,
) -> Result<Option<(usize, Option<Expr>)>, CompileError> {
    let parts = condition.map(|c| RelatedCondition::split(c, alias)).unwrap_or_default();
    let by_row = !parts.outer.is_empty();
    if by_row && keyed_only {
        return Ok(None);
    }
    if by_row && cx.keys.is_empty() {
        return Err(CompileError::internal(
            "an aggregate over related rows compared with the rows of a source without a key",
        ));
    }
    let inner_cx = ExprCx { inner: Some((alias, INNER)), ..*cx };
    let mut fixed = Vec::new();
    let mut per_period = Vec::new();
    for p in &parts.inner {
        let e = compile_expr(p, &inner_cx, needs)?;
        if p.reads_period() {
            per_period.push(e);
        } else {
            fixed.push(e);
        }
    }
    let mut keys = Vec::new();
    let mut on = Vec::new();
    for (inner, outer) in &parts.keys {
        let (i, o) = (compile_expr(inner, &inner_cx, needs)?, compile_expr(outer, cx, needs)?);
        if by_row {
            on.push(i.eq(o));
        } else {
            keys.push((i, o));
        }
    }
    for p in &parts.outer {
        let e = compile_expr(p, &inner_cx, needs)?;
        if p.reads_period() {
            per_period.push(e);
        } else {
            on.push(e);
        }
    }
    let wanted = RelatedJoin {
        alias: format!("rel{}", needs.related.len()),
        source: source.to_string(),
        by_row,
        keys,
        on: and_all(on),
        fixed: and_all(fixed),
        outputs: Vec::new(),
    };
    let identity = wanted.identity();
    let index = match needs.related.iter().position(|j| j.identity() == identity) {
        Some(i) => i,
        None => {
            needs.related.push(wanted);
            needs.related.len() - 1
        }
    };
    Ok(Some((index, and_all(per_period))))
}

fn filtered(aggregate: Expr, filter: Option<Expr>) -> Result<Expr, CompileError> {
    Ok(match filter {
        Some(f) => aggregate.filter(f).build()?,
        None => aggregate,
    })
}

/// An aggregate over related rows, for the period of `cx`.
pub fn compile(e: &ir::Expr, cx: &ExprCx<'_>, needs: &mut Needs) -> Result<Expr, CompileError> {
    let ExprKind::Related { func, value, source, alias, condition } = &e.kind else {
        return Err(CompileError::internal("an expression that is not an aggregate over related rows"));
    };
    let (index, filter) = join_for(source, alias, condition.as_deref(), cx, needs, false)?
        .expect("any condition has a join when rows may be compared");
    let inner_cx = ExprCx { inner: Some((alias, INNER)), ..*cx };
    let value = match value {
        Some(v) => Some(compile_expr(v, &inner_cx, needs)?),
        None => None,
    };
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
    Ok(if *func == RelatedFn::Count { coalesce(vec![out, lit(0i64)]) } else { out })
}

/// The number of rows of `source` meeting `condition`, when the condition relates them to
/// the measure's row by keys alone (an `exists` compared with the period in several ways).
pub fn keyed_count(
    source: &str,
    alias: &str,
    condition: Option<&ir::Expr>,
    cx: &ExprCx<'_>,
    needs: &mut Needs,
) -> Result<Option<Expr>, CompileError> {
    let Some((index, filter)) = join_for(source, alias, condition, cx, needs, true)? else {
        return Ok(None);
    };
    let join = &mut needs.related[index];
    let name = join.output(filtered(count(lit(1)), filter)?);
    Ok(Some(coalesce(vec![column(&join.alias, &name), lit(0i64)])))
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
