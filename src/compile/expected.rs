//! The events expected in a population at a reference's rates, for an indirectly standardised
//! figure: for each period, E = Σₖ nₖ·xₖ/Nₖ over the age groups k the population and the
//! reference share, nₖ the population's figure in the mid-year the period reads (the population
//! rule), xₖ and Nₖ the reference's events and population in its own year chosen by the same
//! rule; and the reference's overall rate Σ xₖ / Σ Nₖ over the same age groups and year,
//! which an indirectly standardised rate is scaled by. One row, from one aggregate over the two
//! crossed (small tables: years × age groups), each sum filtered to matching age groups and
//! the period's years; an inner join of the two hung on Ballista 55. For a breakdown by area,
//! the same for each area ([`plan_by_area`]).

use super::exprs::{column, compile, guarded_div, ExprCx, Needs};
pub use super::population::year_pick;
use super::population::{self, year_picks, AGE_GROUP};
use super::{CompileError, PlanInputs};
use datafusion::functions_aggregate::expr_fn::{max, sum};
use datafusion::logical_expr::{ExprFunctionExt, LogicalPlan, LogicalPlanBuilder};

const LOCAL_ROWS: &str = "exp_pop_rows";
const LOCAL: &str = "exp_pop";
const LOCAL_YEARS: &str = "exp_pop_years";
const LOCAL_PICKED: &str = "exp_pop_picked";
const REF_ROWS: &str = "exp_ref_rows";
const REF: &str = "exp_ref";
const REF_YEARS: &str = "exp_ref_years";
const REF_PICKED: &str = "exp_ref_picked";
const SUMMED: &str = "exp_summed";

/// The alias of the plan of `population`'s expected events at `reference`'s rates.
pub fn alias(population: &str, reference: &str) -> String {
    format!("expected_{population}_at_{reference}")
}

/// The alias of the plan of each area's expected events ([`plan_by_area`]).
pub fn area_alias(population: &str, reference: &str) -> String {
    format!("expected_{population}_at_{reference}_by_area")
}

/// The column holding the events expected in period `pi`.
pub fn expected_name(pi: usize) -> String {
    format!("expected_p{pi}")
}

/// The column holding the reference's overall rate (events per head) for period `pi`.
pub fn rate_name(pi: usize) -> String {
    format!("ref_rate_p{pi}")
}

/// The four small plans the expected events are computed from, which the run also reads to
/// check that the reference has a rate for every age group of the population.
pub struct Inputs {
    /// The population by `year` and `age_group` (`people`).
    pub local: LogicalPlan,
    /// One row: the population's year for each period ([`year_pick`]).
    pub local_picked: LogicalPlan,
    /// The reference by `year` and `age_group` (`events`, `people`).
    pub reference: LogicalPlan,
    /// One row: the reference's year for each period.
    pub reference_picked: LogicalPlan,
}

pub fn inputs(inputs: &PlanInputs<'_>, population_name: &str, reference: &str) -> Result<Inputs, CompileError> {
    let r = inputs
        .project
        .reference(reference)
        .ok_or_else(|| CompileError::internal(format!("reference `{reference}` without a declaration")))?;
    let group = |table: &str| vec![column(table, "year"), column(table, AGE_GROUP)];

    // The population by year and age group, and the year each period reads.
    let local = population::rows_of(inputs, population_name, false, LOCAL_ROWS)?
        .aggregate(group(LOCAL_ROWS), vec![sum(column(LOCAL_ROWS, "population")).alias("people")])?
        .alias(LOCAL)?
        .build()?;
    let local_picked = picked(inputs, &local, LOCAL, LOCAL_YEARS, LOCAL_PICKED)?;

    // The reference's events and population by year and age group, and its years.
    let mut rows = LogicalPlanBuilder::scan(r.source.as_str(), (inputs.tables)(&r.source)?, None)?.alias(REF_ROWS)?;
    if let (Some(f), Some(p)) = (&r.filter, inputs.periods.first()) {
        let cx = ExprCx::plain(REF_ROWS, p.range.end, inputs.holidays);
        rows = rows.filter(compile(f, &cx, &mut Needs::default())?)?;
    }
    let reference = rows
        .aggregate(
            group(REF_ROWS),
            vec![sum(column(REF_ROWS, "events")).alias("events"), sum(column(REF_ROWS, "population")).alias("people")],
        )?
        .alias(REF)?
        .build()?;
    let reference_picked = picked(inputs, &reference, REF, REF_YEARS, REF_PICKED)?;
    Ok(Inputs { local, local_picked, reference, reference_picked })
}

pub fn plan(inputs: &PlanInputs<'_>, population_name: &str, reference: &str) -> Result<LogicalPlan, CompileError> {
    let Inputs { local, local_picked, reference: reference_rows, reference_picked: ref_picked } =
        self::inputs(inputs, population_name, reference)?;

    // For each period, over the age groups both have, each in the years the period reads: E,
    // the population at the reference's rates, and the reference's events and population.
    let rate = guarded_div(column(REF, "events"), column(REF, "people"));
    let mut figures = Vec::new();
    for pi in 0..inputs.periods.len() {
        let years = column(LOCAL, "year")
            .eq(column(LOCAL_PICKED, &year_pick(pi)))
            .and(column(REF, "year").eq(column(REF_PICKED, &year_pick(pi))))
            .and(column(LOCAL, AGE_GROUP).eq(column(REF, AGE_GROUP)));
        let within = |e: datafusion::prelude::Expr, name: String| -> Result<_, CompileError> {
            Ok(sum(e).filter(years.clone()).build()?.alias(name))
        };
        figures.push(within(rate.clone() * column(LOCAL, "people"), expected_name(pi))?);
        figures.push(within(column(REF, "events"), format!("events_p{pi}"))?);
        figures.push(within(column(REF, "people"), format!("people_p{pi}"))?);
    }
    let summed = LogicalPlanBuilder::from(local)
        .cross_join(reference_rows)?
        .cross_join(local_picked)?
        .cross_join(ref_picked)?
        .aggregate(Vec::<datafusion::prelude::Expr>::new(), figures)?
        .alias(SUMMED)?;
    Ok(summed.project(expected_and_rates(inputs, Vec::new()))?.alias(alias(population_name, reference))?.build()?)
}

/// After `first`, each period's expected events and the reference's overall rate from the
/// sums of [`SUMMED`].
fn expected_and_rates(
    inputs: &PlanInputs<'_>,
    mut first: Vec<datafusion::prelude::Expr>,
) -> Vec<datafusion::prelude::Expr> {
    for pi in 0..inputs.periods.len() {
        first.push(column(SUMMED, &expected_name(pi)));
        let rate = guarded_div(column(SUMMED, &format!("events_p{pi}")), column(SUMMED, &format!("people_p{pi}")));
        first.push(rate.alias(rate_name(pi)));
    }
    first
}

/// Each area's expected events and the reference's overall rate over the area's age groups,
/// for a breakdown by area: the same sums as [`plan`], over the area's population in the year
/// the population rule picks for the area, at the reference's rates by age group (its events
/// and population in the year each period reads, one row per age group).
pub fn plan_by_area(
    inputs: &PlanInputs<'_>,
    population_name: &str,
    reference: &str,
) -> Result<LogicalPlan, CompileError> {
    let area = population::AREA_COLUMN;
    let Inputs { reference: reference_rows, reference_picked: ref_picked, .. } =
        self::inputs(inputs, population_name, reference)?;
    // The reference by age group, its figures in each period's year.
    let mut by_group = Vec::new();
    for pi in 0..inputs.periods.len() {
        let this_year = column(REF, "year").eq(column(REF_PICKED, &year_pick(pi)));
        for (what, name) in [("events", group_events(pi)), ("people", group_people(pi))] {
            by_group.push(max(column(REF, what)).filter(this_year.clone()).build()?.alias(name));
        }
    }
    let rates = LogicalPlanBuilder::from(reference_rows)
        .cross_join(ref_picked)?
        .aggregate(vec![column(REF, AGE_GROUP)], by_group)?
        .alias(REF_GROUPS)?
        .build()?;
    // Each area's population by year and age group, beside the year each period reads there.
    let local = population::rows_of(inputs, population_name, true, LOCAL_ROWS)?
        .aggregate(
            vec![column(LOCAL_ROWS, area), column(LOCAL_ROWS, "year"), column(LOCAL_ROWS, AGE_GROUP)],
            vec![sum(column(LOCAL_ROWS, "population")).alias("people")],
        )?
        .alias(LOCAL)?
        .build()?;
    let picked = LogicalPlanBuilder::from(local.clone())
        .aggregate(vec![column(LOCAL, area), column(LOCAL, "year")], vec![sum(column(LOCAL, "people")).alias("total")])?
        .alias(LOCAL_YEARS)?
        .aggregate(vec![column(LOCAL_YEARS, area)], year_picks(inputs, LOCAL_YEARS)?)?
        .alias(population::PICKED)?
        .build()?;
    let mut figures = Vec::new();
    for pi in 0..inputs.periods.len() {
        let matched = column(LOCAL, "year")
            .eq(column(population::PICKED, &year_pick(pi)))
            .and(column(LOCAL, AGE_GROUP).eq(column(REF_GROUPS, AGE_GROUP)));
        let within = |e: datafusion::prelude::Expr, name: String| -> Result<_, CompileError> {
            Ok(sum(e).filter(matched.clone()).build()?.alias(name))
        };
        let rate = guarded_div(column(REF_GROUPS, &group_events(pi)), column(REF_GROUPS, &group_people(pi)));
        figures.push(within(rate * column(LOCAL, "people"), expected_name(pi))?);
        figures.push(within(column(REF_GROUPS, &group_events(pi)), format!("events_p{pi}"))?);
        figures.push(within(column(REF_GROUPS, &group_people(pi)), format!("people_p{pi}"))?);
    }
    let summed = population::with_picked(local, LOCAL, picked, true)?
        .cross_join(rates)?
        .aggregate(vec![column(LOCAL, area)], figures)?
        .alias(SUMMED)?;
    let columns = expected_and_rates(inputs, vec![column(SUMMED, area)]);
    Ok(summed.project(columns)?.alias(area_alias(population_name, reference))?.build()?)
}

const REF_GROUPS: &str = "exp_ref_groups";

fn group_events(pi: usize) -> String {
    format!("group_events_p{pi}")
}

fn group_people(pi: usize) -> String {
    format!("group_people_p{pi}")
}

/// The year each period reads from `figures` (by year and age group, its `people` column):
/// one row, `year_p{pi}`, by the population rule on the yearly totals.
fn picked(
    inputs: &PlanInputs<'_>,
    figures: &LogicalPlan,
    table: &str,
    years: &str,
    out: &str,
) -> Result<LogicalPlan, CompileError> {
    let totals = LogicalPlanBuilder::from(figures.clone())
        .aggregate(vec![column(table, "year")], vec![sum(column(table, "people")).alias("total")])?
        .alias(years)?;
    Ok(totals.aggregate(Vec::<datafusion::prelude::Expr>::new(), year_picks(inputs, years)?)?.alias(out)?.build()?)
}
