//! Confidence intervals, comparisons and funnel labels of the result table, for a local run
//! and the warehouse script alike (`computed.rs` puts them before the judgement): each row of the long result gets its measure's method,
//! level, z and count as hidden columns (one CASE on the measure for all rows), and two projections over the whole result
//! compute the limits (Wilson's with `sqrt`; Poisson's from a CASE of the exact limits for 0 to
//! 9 events at each level the book uses, Byar's with `power` and `sqrt` from 10) and then the
//! comparisons with England and the neighbours.

use super::exprs::{first_of, null_f64, null_text};
use super::{judge, CompileError};
use crate::ir::{IntervalMethod, Measure, Polarity, Project, Unit};
use crate::statistics::{self, BYAR_FROM};
use datafusion::functions::math::expr_fn::{power, sqrt};
use datafusion::logical_expr::{when, Expr, LogicalPlanBuilder};
use datafusion::prelude::{col, lit};

const METHOD: &str = "ci_method";
const LEVEL: &str = "ci_level";
const Z: &str = "ci_z";
const COUNT: &str = "ci_count";
const PER: &str = "ci_per";
const POLARITY: &str = "ci_polarity";
/// A standardised figure's interval scale (`Part::Scale`), on each row from its cells.
pub const SCALE: &str = "ci_scale";

/// Beside a funnel's unit, the numerator and denominator of the measure's whole
/// (`Part::WholeNumerator`, `Part::WholeDenominator`).
pub const WHOLE_NUM: &str = "funnel_whole_num";
pub const WHOLE_DEN: &str = "funnel_whole_den";
const AVERAGE: &str = "funnel_average";
/// Beside a rate's funnel unit, the events it would have at the units' average rate
/// (`Part::FunnelExpected`).
pub const FUNNEL_EXPECTED: &str = "funnel_expected";
/// Beside an over-dispersed funnel's unit, its adjusted z-score (`Part::FunnelZ`).
pub const FUNNEL_Z: &str = "funnel_z";

/// The hidden columns the script's final projections read.
pub const HIDDEN: &[&str] =
    &[METHOD, LEVEL, Z, COUNT, PER, POLARITY, SCALE, WHOLE_NUM, WHOLE_DEN, FUNNEL_EXPECTED, FUNNEL_Z];

/// The hidden columns of the rows of `measures`, over each row's `numerator` and `value`
/// (`Float64`) and its measure's index ([`judge::MEASURE`]): each measure's method, level, z
/// and polarity, and which figure its interval counts, in a CASE on the measure, so that a
/// measure's constants are written once and not on each of its rows.
pub fn columns(project: &Project, measures: &[usize], project_level: f64) -> Result<Vec<Expr>, CompileError> {
    let method = |m: &Measure| interval_of(m, project_level).map(|(method, _)| Ok(lit(method.name())));
    let level = |m: &Measure| m.interval.confidence.map(|own| Ok(lit(own)));
    let z = |m: &Measure| m.interval.confidence.map(|own| Ok(statistics::z(own).map_or_else(null_f64, lit)));
    let count = |m: &Measure| match interval_of(m, project_level) {
        Some((IntervalMethod::Poisson, _)) if m.definition.indirect().is_some() => Some(Ok(col("numerator"))),
        Some((IntervalMethod::Poisson, Some(_))) => Some(Ok(col("numerator"))),
        Some((IntervalMethod::Poisson, None)) => Some(Ok(col("value"))),
        Some((IntervalMethod::Dobson, _)) => Some(Ok(col("numerator"))),
        _ => None,
    };
    let per = |m: &Measure| match interval_of(m, project_level) {
        Some((IntervalMethod::Poisson, Some(n))) => Some(Ok(lit(f64::from(n)))),
        _ => None,
    };
    let polarity = |m: &Measure| match m.polarity {
        Polarity::High => Some(Ok(lit("high"))),
        Polarity::Low => Some(Ok(lit("low"))),
        _ => None,
    };
    let project_z = statistics::z(project_level).map_or_else(null_f64, lit);
    Ok(vec![
        judge::by_measure(project, measures, method, null_text())?.alias(METHOD),
        judge::by_measure(project, measures, level, lit(project_level))?.alias(LEVEL),
        judge::by_measure(project, measures, z, project_z)?.alias(Z),
        judge::by_measure(project, measures, count, null_f64())?.alias(COUNT),
        judge::by_measure(project, measures, per, null_f64())?.alias(PER),
        judge::by_measure(project, measures, polarity, null_text())?.alias(POLARITY),
    ])
}

/// A measure's interval method, when it has one at a level with a z, and for a Poisson rate
/// the number it is per.
fn interval_of(m: &Measure, project_level: f64) -> Option<(IntervalMethod, Option<u32>)> {
    statistics::z(m.interval.level(project_level))?;
    match (m.interval.method?, m.unit) {
        (IntervalMethod::Poisson, Unit::RatePer(n)) => Some((IntervalMethod::Poisson, Some(n))),
        (method, _) => Some((method, None)),
    }
}

/// The exact Poisson limit (low or high) of `count`, 0 to 9 events, at each of `levels`, as a
/// CASE; with `level`, the column saying which level the row's interval is at.
fn exact(count: &Expr, level: Option<&Expr>, levels: &[f64], high: bool) -> Result<Expr, CompileError> {
    let mut branches = Vec::new();
    for &l in levels {
        for o in 0..(BYAR_FROM as i64) {
            let Some(i) = statistics::exact_poisson(o as f64, l) else { continue };
            let limit = lit(if high { i.high } else { i.low });
            let this = count.clone().eq(lit(o as f64));
            branches.push((level.map_or(this.clone(), |level| level.clone().eq(lit(l)).and(this)), limit));
        }
    }
    first_of(branches, null_f64())
}

/// The base Byar's limit cubes, as a column of its own (so `power` reads a plain column: the
/// unparser loses brackets inside a function's arguments for DuckDB): over the count `o`
/// (for the upper limit, the count plus one) at the normal quantile `z`.
fn byar_base(o: Expr, z: Expr, high: bool) -> Expr {
    // `a / b / c`, never `a / (b * c)`: DuckDB's unparser drops those brackets.
    let ninth = lit(1.0) / lit(9.0) / o.clone();
    let third = z / lit(3.0) / sqrt(o);
    if high {
        lit(1.0) - ninth + third
    } else {
        lit(1.0) - ninth - third
    }
}

/// Byar's limit of a count of 10 or more: `o` (the count, or for the upper limit the count
/// plus one) times the cube of the column `base` ([`byar_base`]).
fn byar(o: Expr, base: &str) -> Expr {
    o * power(col(base), lit(3.0))
}

const BYAR_LOW: &str = "ci_byar_low";
/// The count plus one, a column of its own: DuckDB's unparser loses the brackets of a
/// division by `(count + 1)`.
const NEXT: &str = "ci_next";
const BYAR_HIGH: &str = "ci_byar_high";

/// Wilson's limit in percent, kept within 0 to 100.
fn wilson(high: bool) -> Result<Expr, CompileError> {
    let (n, d, z) = (col("numerator"), col("denominator"), col(Z));
    let z2 = z.clone() * z.clone();
    let spread = z * sqrt(z2.clone() + lit(4.0) * n.clone() * (lit(1.0) - n.clone() / d.clone()));
    let centre = lit(2.0) * n + z2.clone();
    let raw = (if high { centre + spread } else { centre - spread }) / (lit(2.0) * (d + z2)) * lit(100.0);
    Ok(when(raw.clone().lt(lit(0.0)), lit(0.0)).when(raw.clone().gt(lit(100.0)), lit(100.0)).otherwise(raw)?)
}

/// Dobson's limit of a standardised rate: the value moved by the
/// spread times the distance from the count to its Byar's limit, written as one chain of
/// products (no brackets for an unparser to lose).
fn dobson(high: bool) -> Expr {
    let o = col(if high { NEXT } else { COUNT });
    let base = col(if high { BYAR_HIGH } else { BYAR_LOW });
    col("value") + col(SCALE) * o * power(base, lit(3.0)) - col(SCALE) * col(COUNT)
}

/// A limit of the row's interval, in the value's unit.
fn limit(levels: &[f64], high: bool) -> Result<Expr, CompileError> {
    let byar = if high { byar(col(NEXT), BYAR_HIGH) } else { byar(col(COUNT), BYAR_LOW) };
    let exact = exact(&col(COUNT), Some(&col(LEVEL)), levels, high)?;
    let poisson = when(col(COUNT).lt(lit(BYAR_FROM)), exact).otherwise(byar)?;
    // An indirectly standardised figure's limits are the count's × its scale (value per event).
    let scaled = when(col(SCALE).is_not_null(), poisson.clone() * col(SCALE))
        .when(col(PER).is_null(), poisson.clone())
        .otherwise(poisson * col(PER) / col("denominator"))?;
    let n = col("numerator");
    let d = col("denominator");
    let wilson_ok =
        n.clone().is_not_null().and(d.clone().gt(lit(0.0))).and(n.clone().gt_eq(lit(0.0))).and(n.lt_eq(d.clone()));
    // No interval without a value (an indirectly standardised figure with nothing expected).
    let poisson_ok = col(COUNT)
        .is_not_null()
        .and(col(COUNT).gt_eq(lit(0.0)))
        .and(col(PER).is_null().or(d.gt(lit(0.0))))
        .and(col("value").is_not_null());
    let dobson_ok = col(COUNT).gt_eq(lit(BYAR_FROM)).and(col("value").is_not_null()).and(col(SCALE).is_not_null());
    Ok(when(col(METHOD).eq(lit(IntervalMethod::Wilson.name())).and(wilson_ok), wilson(high)?)
        .when(col(METHOD).eq(lit(IntervalMethod::Poisson.name())).and(poisson_ok), scaled)
        .when(col(METHOD).eq(lit(IntervalMethod::Dobson.name())).and(dobson_ok), dobson(high))
        .otherwise(null_f64())?)
}

/// The comparison of the interval with a benchmark column: wholly above it `higher` (`better`
/// or `worse` by the polarity), wholly below `lower`, overlapping it `similar`, and
/// `not_compared` without an interval or a benchmark.
fn compared(benchmark: &str) -> Result<Expr, CompileError> {
    let b = col(benchmark);
    let by = |better: &str, worse: &str, plain: &str| {
        when(col(POLARITY).eq(lit("high")), lit(better.to_string()))
            .when(col(POLARITY).eq(lit("low")), lit(worse.to_string()))
            .otherwise(lit(plain.to_string()))
    };
    Ok(when(col("ci_low").is_null().or(col("ci_high").is_null()).or(b.clone().is_null()), lit("not_compared"))
        .when(col("ci_low").gt(b.clone()), by("better", "worse", "higher")?)
        .when(col("ci_high").lt(b), by("worse", "better", "lower")?)
        .otherwise(lit("similar"))?)
}

/// A funnel's unit against the measure's whole (PHE's `assign_funnel_significance` for a
/// proportion): the limits av ∓ z·√(av − av²)/√n at 0.999 and 0.975, lowest first; none
/// without a positive denominator or with a numerator outside 0 to it.
fn funnel_label() -> Result<Expr, CompileError> {
    use crate::funnel::Significance;
    let (n, d) = (col("numerator"), col("denominator"));
    let value = n.clone() / d.clone();
    let half = |p: f64| -> Result<Expr, CompileError> {
        let z = statistics::z((2.0 * p - 1.0) * 100.0).map_or_else(null_f64, lit);
        // √(av − av²): no brackets inside the function's argument.
        let spread = sqrt(col(AVERAGE) - col(AVERAGE) * col(AVERAGE));
        Ok(z * spread / sqrt(d.clone()))
    };
    let label = |s: Significance| lit(s.label().to_string());
    let usable = col(AVERAGE)
        .is_not_null()
        .and(col("breakdown_value").is_not_null())
        .and(n.clone().is_not_null())
        .and(d.clone().gt(lit(0.0)))
        .and(n.clone().gt_eq(lit(0.0)))
        .and(n.lt_eq(d.clone()));
    Ok(when(usable.is_not_true(), null_text())
        .when(value.clone().lt(col(AVERAGE) - half(0.999)?), label(Significance::Low001))
        .when(value.clone().lt(col(AVERAGE) - half(0.975)?), label(Significance::Low025))
        .when(value.clone().gt(col(AVERAGE) + half(0.999)?), label(Significance::High001))
        .when(value.gt(col(AVERAGE) + half(0.975)?), label(Significance::High025))
        .otherwise(label(Significance::NotSignificant))?)
}

/// The two levels of a funnel's limits, with the names of the columns holding the base of
/// Byar's lower and upper limit of the row's count at each (from 10 events).
const FUNNEL_LEVELS: [(f64, &str, &str); 2] =
    [(95.0, "funnel_byar_low_95", "funnel_byar_high_95"), (99.8, "funnel_byar_low_998", "funnel_byar_high_998")];
/// The row's count plus one, for Byar's upper limit.
const FUNNEL_NEXT: &str = "funnel_next";

/// The bases of Byar's limits of a rate funnel unit's count, cubed by [`funnel_limit`]; only
/// from 10 events, and only on a unit's row.
fn funnel_bases() -> Result<Vec<Expr>, CompileError> {
    let mut out = Vec::new();
    for (level, low, high) in FUNNEL_LEVELS {
        let z = statistics::z(level).map_or_else(null_f64, lit);
        for (high_side, name) in [(false, low), (true, high)] {
            let base = byar_base(col(if high_side { FUNNEL_NEXT } else { "numerator" }), z.clone(), high_side);
            let from_ten = col(FUNNEL_EXPECTED).is_not_null().and(col("numerator").gt_eq(lit(BYAR_FROM)));
            out.push(when(from_ten, base).otherwise(null_f64())?.alias(name));
        }
    }
    Ok(out)
}

/// A limit of the row's count's Poisson interval at a funnel's `level`, as
/// the result's intervals: the exact limit below 10 events, Byar's from 10.
fn funnel_limit(level: f64, high: bool) -> Result<Expr, CompileError> {
    let (_, low_base, high_base) = FUNNEL_LEVELS.into_iter().find(|(l, _, _)| *l == level).expect("a funnel level");
    let byar = if high { byar(col(FUNNEL_NEXT), high_base) } else { byar(col("numerator"), low_base) };
    let exact = exact(&col("numerator"), None, &[level], high)?;
    Ok(when(col("numerator").lt(lit(BYAR_FROM)), exact).otherwise(byar)?)
}

/// A rate's funnel unit against its expected events (PHE's `assign_funnel_significance` for
/// ratios and rates): above when its count's Poisson interval at 99.8%, then at 95%, lies
/// wholly above them, below when wholly below; none for a count that is not a whole number of
/// events, or nothing expected.
fn funnel_poisson_label() -> Result<Expr, CompileError> {
    use crate::funnel::Significance;
    let label = |s: Significance| lit(s.label().to_string());
    let n = col("numerator");
    let expected = col(FUNNEL_EXPECTED);
    let whole = n.clone().eq(datafusion::functions::math::expr_fn::floor(n.clone()));
    let usable = expected.clone().gt(lit(0.0)).and(n.clone().gt_eq(lit(0.0))).and(whole);
    Ok(when(usable.is_not_true(), null_text())
        .when(funnel_limit(99.8, false)?.gt(expected.clone()), label(Significance::High001))
        .when(funnel_limit(95.0, false)?.gt(expected.clone()), label(Significance::High025))
        .when(funnel_limit(99.8, true)?.lt(expected.clone()), label(Significance::Low001))
        .when(funnel_limit(95.0, true)?.lt(expected), label(Significance::Low025))
        .otherwise(label(Significance::NotSignificant))?)
}

/// An over-dispersed funnel's unit by its adjusted z-score, against the normal quantiles of
/// 99.8% and 95%.
fn funnel_overdispersed_label() -> Result<Expr, CompileError> {
    use crate::funnel::Significance;
    let label = |s: Significance| lit(s.label().to_string());
    let z = col(FUNNEL_Z);
    let at = |level: f64, sign: f64| statistics::z(level).map_or_else(null_f64, |q| lit(sign * q));
    Ok(when(z.clone().gt(at(99.8, 1.0)), label(Significance::High001))
        .when(z.clone().gt(at(95.0, 1.0)), label(Significance::High025))
        .when(z.clone().lt(at(99.8, -1.0)), label(Significance::Low001))
        .when(z.lt(at(95.0, -1.0)), label(Significance::Low025))
        .otherwise(label(Significance::NotSignificant))?)
}

/// The result table's columns from the long rows with their hidden columns: the intervals,
/// then the comparisons, then a funnel's judgement, then `columns` in order.
pub fn finish(plan: LogicalPlanBuilder, levels: &[f64], columns: &[&str]) -> Result<LogicalPlanBuilder, CompileError> {
    let computed = ["ci_low", "ci_high", "compared_england", "compared_sn", "funnel"];
    let mut keep: Vec<Expr> = columns.iter().filter(|c| !computed.contains(c)).map(|c| col(*c)).collect();
    keep.extend(HIDDEN.iter().map(|c| col(*c)));
    let mut with_next = keep.clone();
    with_next.push((col(COUNT) + lit(1.0)).alias(NEXT));
    with_next.push((col("numerator") + lit(1.0)).alias(FUNNEL_NEXT));
    let plan = plan.project(with_next)?.alias("with_next")?;
    keep.extend([col(NEXT), col(FUNNEL_NEXT)]);
    let mut with_bases = keep.clone();
    // Only from 10 events: below that the exact limits stand, and a count of 0 divides by 0.
    let from_ten = |e: Expr| when(col(COUNT).gt_eq(lit(BYAR_FROM)), e).otherwise(null_f64());
    with_bases.push(from_ten(byar_base(col(COUNT), col(Z), false))?.alias(BYAR_LOW));
    with_bases.push(from_ten(byar_base(col(NEXT), col(Z), true))?.alias(BYAR_HIGH));
    with_bases.extend(funnel_bases()?);
    let bases = plan.project(with_bases)?.alias("with_bases")?;
    keep.extend(FUNNEL_LEVELS.iter().flat_map(|(_, low, high)| [col(*low), col(*high)]));
    let mut with_limits = keep.clone();
    with_limits.push(limit(levels, false)?.alias("ci_low"));
    with_limits.push(limit(levels, true)?.alias("ci_high"));
    let limits = bases.project(with_limits)?.alias("with_intervals")?;
    let mut all = keep;
    all.extend([col("ci_low"), col("ci_high")]);
    all.push(compared("benchmark_england")?.alias("compared_england"));
    all.push(compared("benchmark_sn")?.alias("compared_sn"));
    // A funnel's average beside the comparisons, and its judgement in the last projection: no
    // derived table more (SQLite's parser has a depth it cannot go past).
    let average = when(col(WHOLE_DEN).gt(lit(0.0)), col(WHOLE_NUM) / col(WHOLE_DEN)).otherwise(null_f64())?;
    all.push(average.alias(AVERAGE));
    let compared = limits.project(all)?.alias("with_comparisons")?;
    let last: Vec<Expr> = columns
        .iter()
        .map(|c| {
            if *c == "funnel" {
                let label = when(col(FUNNEL_Z).is_not_null(), funnel_overdispersed_label()?)
                    .when(col(FUNNEL_EXPECTED).is_not_null(), funnel_poisson_label()?)
                    .otherwise(funnel_label()?)?;
                Ok(label.alias("funnel"))
            } else {
                Ok(col(*c))
            }
        })
        .collect::<Result<_, CompileError>>()?;
    Ok(compared.project(last)?.alias("with_funnels")?)
}
