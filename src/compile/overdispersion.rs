//! An over-dispersed funnel in the plan of its breakdown (`funnel by ... overdispersed`):
//! beside each unit, its adjusted z-score (`Part::FunnelZ`) in each period whose units are
//! over-dispersed, computed from window functions over the unit rows exactly as
//! `crate::funnel::overdispersion` computes it from the units.
//!
//! 1. Each unit's unadjusted z and weight w = 1/s²: a percentage's
//!    (asin √(n/d) − asin √av) · 2√d and 4d, av the whole's; a rate's or ratio's √E · ln(O/E) and
//!    E, with E its expected events (`Part::FunnelExpected`), and a stand-in below every
//!    z-score for a unit with no events (ln 0 is an error in some warehouses).
//! 2. Over the units, ordered by z: each one's rank (`row_number`, or for the truncation
//!    `rank` and the count up to its last tie, whose mean is R's average rank) and their count n.
//! 3. Over the units again: a percentage's z at the ranks R's type 7 quantiles read, and the
//!    sum of z² of the units between them (those outside are winsorised to the quantiles); a
//!    rate's sums of z², 1, w and w² over the units the truncation keeps.
//! 4. The quantiles, φ and τ², and each unit's z-score over √(s² + τ²), where φ > 1.
//!
//! Two derived tables in all (steps 1 and 2, then 3 and 4, each a projection over window
//! functions): SQLite's parser cannot go much deeper in the warehouse script. A division
//! reads columns, or a column and a literal, and τ² and √ are powers: DuckDB's unparser loses
//! the brackets around a compound divisor or dividend. No UDF, so the warehouse script and
//! Ballista compute the same.

use super::cells::{Cell, Cells, Part};
use super::exprs::null_f64;
use super::funnels::over_units;
use super::CompileError;
use crate::funnel::overdispersion::TRIM;
use crate::ir::Project;
use datafusion::functions::math::expr_fn::{asin, ceil, floor, ln, power, sqrt};
use datafusion::functions_aggregate::{count::count_udaf, min_max::max_udaf, sum::sum_udaf};
use datafusion::functions_window::expr_fn::{rank, row_number};
use datafusion::logical_expr::{
    ident, lit, when, Expr, ExprFunctionExt, LogicalPlan, LogicalPlanBuilder, Projection, Window,
};
use std::sync::Arc;

/// A unit with no events has a z-score of −∞; here this stand-in, below every other.
pub const NO_EVENTS_Z: f64 = -1e300;

/// How one measure's units are scored in one period.
struct Scoring {
    measure: usize,
    period: usize,
    numerator: Expr,
    denominator: Expr,
    against: Against,
}

/// What a unit is judged against.
enum Against {
    /// A rate's or ratio's expected events (its z-scores truncated).
    Expected(Expr),
    /// A percentage's whole (its z-scores winsorised).
    Whole { numerator: Expr, denominator: Expr },
}

impl Scoring {
    /// A rate's or ratio's, rather than a percentage's.
    fn ratio(&self) -> bool {
        matches!(self.against, Against::Expected(_))
    }

    fn name(&self, what: &str) -> String {
        format!("od_m{}_p{}_{what}", self.measure, self.period)
    }
    fn col(&self, what: &str) -> Expr {
        ident(self.name(what))
    }

    /// The unit's transformed value less the target's, times `by` (a product chain), for a
    /// percentage of the whole `wn` / `wd`: asin √(n/d) · by − asin √av · by.
    fn proportion_difference(&self, wn: &Expr, wd: &Expr, by: Expr) -> Expr {
        let (n, d) = (self.numerator.clone(), self.denominator.clone());
        asin(sqrt(n / d)) * by.clone() - asin(sqrt(wn.clone() / wd.clone())) * by
    }

    fn usable(&self) -> Expr {
        let (n, d) = (self.numerator.clone(), self.denominator.clone());
        match &self.against {
            Against::Expected(e) => e.clone().gt(lit(0.0)).and(n.clone().gt_eq(lit(0.0))),
            Against::Whole { numerator: wn, denominator: wd } => ident("breakdown_value")
                .is_not_null()
                .and(d.clone().gt(lit(0.0)))
                .and(n.clone().gt_eq(lit(0.0)))
                .and(n.lt_eq(d))
                .and(wd.clone().gt(lit(0.0)))
                .and(wn.clone().gt_eq(lit(0.0)))
                .and(wn.clone().lt_eq(wd.clone())),
        }
    }

    /// Step 1: the unit's z and w, as expressions over the breakdown's row.
    fn z_and_w(&self) -> Result<(Expr, Expr), CompileError> {
        let usable = self.usable();
        let (z, w) = match &self.against {
            Against::Expected(e) => {
                let o = self.numerator.clone();
                let z = when(usable.clone().and(o.clone().gt(lit(0.0))), sqrt(e.clone()) * ln(o / e.clone()))
                    .when(usable.clone(), lit(NO_EVENTS_Z))
                    .otherwise(null_f64())?;
                (z, e.clone())
            }
            Against::Whole { numerator: wn, denominator: wd } => {
                let d = self.denominator.clone();
                let z = self.proportion_difference(wn, wd, lit(2.0) * sqrt(d.clone()));
                (when(usable.clone(), z).otherwise(null_f64())?, lit(4.0) * d)
            }
        };
        Ok((z, when(usable, w).otherwise(null_f64())?))
    }

    /// Step 2, window functions over the units (over z's expression): their count n, a
    /// percentage's sums of w and w², and in order of z a percentage's row number, a rate's
    /// rank and the count up to its last tie. Each a window of one ordering.
    fn windows(&self) -> Result<(Vec<Expr>, Vec<Expr>), CompileError> {
        let (z, w) = self.z_and_w()?;
        let mut whole = vec![over_units(count_udaf(), z.clone()).alias(self.name("n"))];
        let by_z = vec![z.clone().sort(true, false)];
        let ordered = if self.ratio() {
            // Up to the row's last tie: a RANGE frame, its peers included.
            let peers = datafusion::logical_expr::WindowFrame::new(Some(false));
            vec![
                rank().order_by(by_z.clone()).build()?.alias(self.name("first")),
                over_units(count_udaf(), z).order_by(by_z).window_frame(peers).build()?.alias(self.name("last")),
            ]
        } else {
            whole.push(over_units(sum_udaf(), w.clone()).alias(self.name("sum_w")));
            whole.push(over_units(sum_udaf(), w.clone() * w).alias(self.name("sum_w2")));
            vec![row_number().order_by(by_z).build()?.alias(self.name("rn"))]
        };
        Ok((whole, ordered))
    }

    /// Step 2's columns: z and w, and a percentage's R type 7 indices of its two quantiles,
    /// 1 + (n − 1) p from 1; a rate's twice its average rank r, and n + 1.
    fn positions(&self) -> Result<Vec<Expr>, CompileError> {
        let (z, w) = self.z_and_w()?;
        let n = self.col("n");
        let mut out = vec![z.alias(self.name("z")), w.alias(self.name("w")), n.clone().alias(self.name("n"))];
        if self.ratio() {
            out.push((self.col("first") + self.col("last")).alias(self.name("twice_rank")));
            out.push((n + lit(1.0)).alias(self.name("n_plus_1")));
        } else {
            let index = |p: f64| lit(1.0) + (n.clone() - lit(1.0)) * lit(p);
            out.push(self.col("rn").alias(self.name("rn")));
            out.push(self.col("sum_w").alias(self.name("sum_w")));
            out.push(self.col("sum_w2").alias(self.name("sum_w2")));
            out.push(index(TRIM).alias(self.name("low_index")));
            out.push(index(1.0 - TRIM).alias(self.name("high_index")));
        }
        Ok(out)
    }

    /// Whether the truncation keeps the unit: 0 < ⌊10 r / (n + 1)⌋ < 9.
    fn kept(&self) -> Expr {
        let groups = (1.0 / TRIM).round();
        let group = floor(self.col("twice_rank") * lit(groups / 2.0) / self.col("n_plus_1"));
        self.col("z").is_not_null().and(group.clone().gt(lit(0.0))).and(group.lt(lit(groups - 1.0)))
    }

    /// Step 3: the sums over the units.
    fn sums(&self) -> Result<Vec<Expr>, CompileError> {
        let z2 = self.col("z") * self.col("z");
        if self.ratio() {
            let kept = self.kept();
            let finite = kept.clone().and(self.col("z").gt(lit(NO_EVENTS_Z)));
            let of = |on: Expr, e: Expr| -> Result<Expr, CompileError> { Ok(when(on, e).otherwise(null_f64())?) };
            return Ok(vec![
                over_units(sum_udaf(), of(finite, z2)?).alias(self.name("sum_z2")),
                over_units(sum_udaf(), of(kept.clone(), lit(1.0))?).alias(self.name("m")),
                over_units(sum_udaf(), of(kept.clone().and(self.col("z").eq(lit(NO_EVENTS_Z))), lit(1.0))?)
                    .alias(self.name("zeros")),
                over_units(sum_udaf(), of(kept.clone(), self.col("w"))?).alias(self.name("sum_w")),
                over_units(sum_udaf(), of(kept, self.col("w") * self.col("w"))?).alias(self.name("sum_w2")),
            ]);
        }
        let rn = self.col("rn");
        let at = |rank: Expr, name: &str| -> Result<Expr, CompileError> {
            let value = when(rn.clone().eq(rank), self.col("z")).otherwise(null_f64())?;
            Ok(over_units(max_udaf(), value).alias(self.name(name)))
        };
        let (low, high) = (self.col("low_index"), self.col("high_index"));
        let middle = rn.clone().gt(floor(low.clone())).and(rn.clone().lt_eq(floor(high.clone())));
        Ok(vec![
            at(floor(low.clone()), "low_floor")?,
            at(ceil(low), "low_ceil")?,
            at(floor(high.clone()), "high_floor")?,
            at(ceil(high), "high_ceil")?,
            over_units(sum_udaf(), when(middle, z2).otherwise(null_f64())?).alias(self.name("sum_z2_middle")),
        ])
    }

    /// A percentage's winsorising quantile at `side` (`low` or `high`), as R reckons it.
    fn quantile(&self, side: &str) -> Result<Expr, CompileError> {
        let index = self.col(&format!("{side}_index"));
        let h = index.clone() - floor(index);
        let (low, high) = (self.col(&format!("{side}_floor")), self.col(&format!("{side}_ceil")));
        // (1 − h) x⌊i⌋ + h x⌈i⌉, multiplied out.
        let between = low.clone() - h.clone() * low.clone() + h.clone() * high.clone();
        Ok(when(h.gt(lit(0.0)).and(high.not_eq(low.clone())), between).otherwise(low)?)
    }

    /// Step 4: m φ − (m − 1), from m φ (the sum of the z² the estimate reads: a percentage's
    /// outer z-scores are its quantiles, ⌊i⌋ below and n − ⌊i⌋ above) and m (the number of
    /// z-scores read); Σ w − Σ w² / Σ w; and whether the units are over-dispersed: φ > 1,
    /// that is m φ − (m − 1) > 1.
    fn excess_spread_and_over(&self) -> Result<(Expr, Expr, Expr), CompileError> {
        let (m_phi, m) = if self.ratio() {
            (self.col("sum_z2"), self.col("m"))
        } else {
            let n = self.col("n");
            let (low, high) = (self.quantile("low")?, self.quantile("high")?);
            let low_count = floor(self.col("low_index"));
            let high_count = n.clone() - floor(self.col("high_index"));
            let middle = when(self.col("sum_z2_middle").is_null(), lit(0.0)).otherwise(self.col("sum_z2_middle"))?;
            (middle + low_count * low.clone() * low + high_count * high.clone() * high, n)
        };
        let excess = m_phi - m.clone() + lit(1.0);
        let spread = self.col("sum_w") - self.col("sum_w2") / self.col("sum_w");
        let mut over = excess.clone().gt(lit(1.0)).and(spread.clone().gt(lit(0.0)));
        if self.ratio() {
            over = over.and(m.gt(lit(0.0))).and(self.col("zeros").is_null());
        }
        Ok((excess, spread, over))
    }

    /// The unit's adjusted z-score, where the units are over-dispersed: its value less the
    /// target over √(s² + τ²), with τ² = (m φ − (m − 1)) / (Σ w − Σ w² / Σ w). Divisions
    /// only of columns, and powers for the rest: DuckDB's unparser loses the brackets around
    /// a divisor or dividend.
    fn adjusted(&self) -> Result<Expr, CompileError> {
        let (excess, spread, over) = self.excess_spread_and_over()?;
        let tau2 = excess * power(spread, lit(-1.0));
        let score = match &self.against {
            Against::Expected(e) => {
                let o = self.numerator.clone();
                let adjusted = ln(o / e.clone()) * power(lit(1.0) / e.clone() + tau2, lit(-0.5));
                when(self.col("z").eq(lit(NO_EVENTS_Z)), lit(NO_EVENTS_Z)).otherwise(adjusted)?
            }
            Against::Whole { numerator: wn, denominator: wd } => {
                let d = self.denominator.clone();
                self.proportion_difference(wn, wd, power(lit(0.25) / d + tau2, lit(-0.5)))
            }
        };
        Ok(when(over.and(self.col("z").is_not_null()), score).otherwise(null_f64())?)
    }
}

/// `plan`, a breakdown's cells with its `breakdown_value` (and a rate's expected events), with
/// the adjusted z-score of each unit of the over-dispersed funnels of `measures` added to it
/// and to `cells`.
pub(super) fn adjusted_scores(
    plan: LogicalPlanBuilder,
    cells: &mut Cells,
    project: &Project,
    measures: &[usize],
    periods: usize,
) -> Result<LogicalPlanBuilder, CompileError> {
    let mut scorings = Vec::new();
    for &i in measures {
        if !project.measures[i].funnel.as_ref().is_some_and(|f| f.overdispersed) {
            continue;
        }
        for pi in 0..periods {
            let figure = |part: Part| cells.column(Cell::new(i, pi, part)).map(ident);
            let need = |part: Part| {
                figure(part).ok_or_else(|| {
                    CompileError::internal(format!("an over-dispersed funnel has no {part:?} for period {pi}"))
                })
            };
            let against = match figure(Part::FunnelExpected) {
                Some(e) => Against::Expected(e),
                None => Against::Whole {
                    numerator: need(Part::WholeNumerator)?,
                    denominator: need(Part::WholeDenominator)?,
                },
            };
            scorings.push(Scoring {
                measure: i,
                period: pi,
                numerator: need(Part::Numerator)?,
                denominator: need(Part::Denominator)?,
                against,
            });
        }
    }
    if scorings.is_empty() {
        return Ok(plan);
    }
    let keep: Vec<Expr> = plan.schema().columns().into_iter().map(Expr::Column).collect();
    // Steps 1 and 2 in one projection over the windows: the windows over z's expression, a
    // node for each ordering (each period's units are sorted on their own).
    let mut whole = Vec::new();
    let mut ordered = Vec::new();
    for s in &scorings {
        let (w, o) = s.windows()?;
        whole.extend(w);
        ordered.push(o);
    }
    let mut plan = windowed(plan, whole)?;
    for o in ordered {
        plan = windowed(plan, o)?;
    }
    let mut first = keep.clone();
    for s in &scorings {
        first.extend(s.positions()?);
    }
    let plan = projected(plan, first)?;
    // Steps 3 and 4 in one projection over the sums: two derived tables in all, as SQLite's
    // parser has a depth it cannot go past.
    let sums: Vec<Expr> =
        scorings.iter().map(|s| s.sums()).collect::<Result<Vec<_>, _>>()?.into_iter().flatten().collect();
    let plan = windowed(plan, sums)?;
    let mut last = keep;
    for s in &scorings {
        let name = cells.add(Cell::new(s.measure, s.period, Part::FunnelZ));
        last.push(s.adjusted()?.alias(name));
    }
    projected(plan, last)
}

/// `exprs` over `plan`, as a projection without the builder's normalising of each expression
/// (which walks the whole plan below for each, and these plans are wide): the columns are the
/// plan's own, and the new expressions name them unqualified.
fn projected(plan: LogicalPlanBuilder, exprs: Vec<Expr>) -> Result<LogicalPlanBuilder, CompileError> {
    let projection = Projection::try_new(exprs, Arc::new(plan.build()?))?;
    Ok(LogicalPlanBuilder::from(LogicalPlan::Projection(projection)))
}

/// The window functions `exprs` (of one ordering) over `plan`, without the builder's
/// normalising, as [`projected`].
fn windowed(plan: LogicalPlanBuilder, exprs: Vec<Expr>) -> Result<LogicalPlanBuilder, CompileError> {
    let window = Window::try_new(exprs, Arc::new(plan.build()?))?;
    Ok(LogicalPlanBuilder::from(LogicalPlan::Window(window)))
}
