//! A rate's funnel in the plan of a breakdown by area: beside each area's row, the events the
//! area would have at the areas' average rate (`Part::FunnelExpected`), which its count's
//! Poisson limits are judged against (`intervals.rs`).
//!
//! As PHEindicatormethods' `assign_funnel_significance` for rates: each unit (a row with a
//! breakdown value) has a denominator D, its population for a crude rate and per × O / DSR for
//! a directly standardised rate (none without a DSR, as below 10 events); the average is
//! av = Σ O / Σ D over the units, every unit's count in Σ O and every D there is in Σ D; the
//! unit's expected events are av × D. An indirectly standardised ratio's are its own expected
//! events E (PHE's `assign_funnel_significance` for ratios: O against E, no average).

use super::cells::{Cell, Cells, Part};
use super::exprs::null_f64;
use super::CompileError;
use crate::ir::{Definition, Project, Standardised};
use datafusion::functions_aggregate::sum::sum_udaf;
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::AggregateUDF;
use datafusion::logical_expr::{ident, lit, when, Expr, LogicalPlanBuilder};
use std::sync::Arc;

/// `plan`, a breakdown's cells with its `breakdown_value`, with the expected events of each
/// period of the rate `measures` added to it and to `cells`.
pub(super) fn expected_events(
    plan: LogicalPlanBuilder,
    cells: &mut Cells,
    project: &Project,
    measures: &[usize],
    periods: usize,
) -> Result<LogicalPlanBuilder, CompileError> {
    let mut keep: Vec<Expr> = plan.schema().columns().into_iter().map(Expr::Column).collect();
    let unit = ident("breakdown_value").is_not_null();
    let mut sums = Vec::new();
    let mut expected = Vec::new();
    for &i in measures {
        let Definition::Rate { per, standardised, .. } = &project.measures[i].definition else { continue };
        let per = lit(f64::from(*per));
        for pi in 0..periods {
            let figure = |part: Part| {
                cells.column(Cell::new(i, pi, part)).map(ident).ok_or_else(|| {
                    CompileError::internal(format!("a funnel's measure has no {part:?} for period {pi}"))
                })
            };
            let (o, den, value) = (figure(Part::Numerator)?, figure(Part::Denominator)?, figure(Part::Value)?);
            if let Some(Standardised::Indirect(_)) = standardised {
                // The ratio's own expected events, on a unit's row.
                let name = cells.add(Cell::new(i, pi, Part::FunnelExpected));
                let usable = unit.clone().and(den.clone().gt(lit(0.0)));
                expected.push(when(usable, den).otherwise(null_f64())?.alias(name));
                continue;
            }
            // D, and where the unit has one; written as chains of products (no brackets for an
            // unparser to lose).
            let (d, has_d) = if standardised.is_some() {
                let has = o.clone().gt(lit(0.0)).and(value.clone().gt(lit(0.0)));
                (per.clone() * o.clone() / value.clone(), has)
            } else {
                (den.clone(), den.clone().gt(lit(0.0)))
            };
            let has_d = unit.clone().and(has_d);
            let (sum_o, sum_d) = (format!("funnel_m{i}_p{pi}_sum_o"), format!("funnel_m{i}_p{pi}_sum_d"));
            sums.push(over_units(sum_udaf(), when(unit.clone(), o.clone()).otherwise(null_f64())?).alias(&sum_o));
            sums.push(over_units(sum_udaf(), when(has_d.clone(), d).otherwise(null_f64())?).alias(&sum_d));
            let at_average = if standardised.is_some() {
                ident(&sum_o) / ident(&sum_d) * per.clone() * o / value
            } else {
                ident(&sum_o) / ident(&sum_d) * den
            };
            let usable = has_d.and(ident(&sum_d).gt(lit(0.0)));
            let name = cells.add(Cell::new(i, pi, Part::FunnelExpected));
            expected.push(when(usable, at_average).otherwise(null_f64())?.alias(name));
        }
    }
    if expected.is_empty() {
        return Ok(plan);
    }
    keep.extend(expected);
    let plan = if sums.is_empty() { plan } else { plan.window(sums)? };
    Ok(plan.project(keep)?)
}

/// The aggregate `f` of `e` as a window function over all the rows of a breakdown's plan (its
/// units, where `e` is missing off them).
pub(super) fn over_units(f: Arc<AggregateUDF>, e: Expr) -> Expr {
    Expr::from(WindowFunction::new(f, vec![e]))
}
