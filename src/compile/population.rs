//! A population's denominator for each period: the `0-17` estimate (or whatever the
//! population's filter selects) of the project's area for mid-year P, where P is the calendar
//! year in which the reporting year holding the period's end starts (financial, calendar or
//! academic, as the book's calendar says); failing that, the latest
//! earlier year with a positive population.

use super::exprs::{column, compile, ExprCx, Needs};
use super::{CompileError, PlanInputs};
use datafusion::functions_aggregate::expr_fn::{max, sum};
use datafusion::logical_expr::{ExprFunctionExt, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::lit;

const ROWS: &str = "pop";
const YEARS: &str = "pop_years";
const PICKED: &str = "pop_picked";

/// The alias of a population's one-row plan.
pub fn alias(population: &str) -> String {
    format!("population_{population}")
}

/// The column holding the population for period `pi`.
pub fn value_name(pi: usize) -> String {
    format!("pop_p{pi}")
}

/// The alias of a population's per-area plan.
pub fn area_alias(population: &str) -> String {
    format!("population_{population}_by_area")
}

/// The column naming an area, in sources and in populations.
pub const AREA_COLUMN: &str = "area_code";

/// Does this population give each area its own figures?
pub fn has_areas(inputs: &PlanInputs<'_>, name: &str) -> bool {
    inputs
        .project
        .population(name)
        .and_then(|p| inputs.project.source(&p.source))
        .is_some_and(|s| s.column(AREA_COLUMN).is_some())
}

pub fn plan(inputs: &PlanInputs<'_>, name: &str) -> Result<LogicalPlan, CompileError> {
    build(inputs, name, false)
}

/// One row per area: `area_code` and the population of each period, each area's figures
/// chosen by the same mid-year rule.
pub fn plan_by_area(inputs: &PlanInputs<'_>, name: &str) -> Result<LogicalPlan, CompileError> {
    build(inputs, name, true)
}

fn build(inputs: &PlanInputs<'_>, name: &str, by_area: bool) -> Result<LogicalPlan, CompileError> {
    let pop = inputs
        .project
        .population(name)
        .ok_or_else(|| CompileError::internal(format!("population `{name}` without a declaration")))?;
    let source = inputs
        .project
        .source(&pop.source)
        .ok_or_else(|| CompileError::internal(format!("source `{}` without a declaration", pop.source)))?;
    let mut rows = LogicalPlanBuilder::scan(source.name.as_str(), (inputs.tables)(&source.name)?, None)?.alias(ROWS)?;
    if let (Some(f), Some(p)) = (&pop.filter, inputs.periods.first()) {
        let cx = ExprCx::plain(ROWS, p.range.end, inputs.holidays);
        rows = rows.filter(compile(f, &cx, &mut Needs::default())?)?;
    }
    let one_area = inputs.one_area.contains(&source.name);
    if let (Some(area), Some(_), false, false) = (inputs.area_code, source.column(AREA_COLUMN), by_area, one_area) {
        rows = rows.filter(column(ROWS, AREA_COLUMN).eq(lit(area)))?;
    }
    let area_group = |q: &str| if by_area { vec![column(q, AREA_COLUMN)] } else { Vec::new() };
    let mut group = vec![column(ROWS, "year")];
    group.extend(area_group(ROWS));
    let years = rows.aggregate(group, vec![sum(column(ROWS, "population")).alias("total")])?.alias(YEARS)?.build()?;
    let picks = inputs
        .periods
        .iter()
        .enumerate()
        .map(|(pi, p)| {
            let mid_year = i64::from(p.year.start_year(p.range.end));
            let usable = column(YEARS, "year").lt_eq(lit(mid_year)).and(column(YEARS, "total").gt(lit(0)));
            Ok(max(column(YEARS, "year")).filter(usable).build()?.alias(format!("year_p{pi}")))
        })
        .collect::<Result<Vec<_>, CompileError>>()?;
    let picked = LogicalPlanBuilder::from(years.clone()).aggregate(area_group(YEARS), picks)?.alias(PICKED)?.build()?;
    let values = (0..inputs.periods.len())
        .map(|pi| {
            let this_year = column(YEARS, "year").eq(column(PICKED, &format!("year_p{pi}")));
            Ok(max(column(YEARS, "total")).filter(this_year).build()?.alias(value_name(pi)))
        })
        .collect::<Result<Vec<_>, CompileError>>()?;
    let joined = if by_area {
        LogicalPlanBuilder::from(years).join_on(
            picked,
            datafusion::logical_expr::JoinType::Inner,
            vec![column(YEARS, AREA_COLUMN).eq(column(PICKED, AREA_COLUMN))],
        )?
    } else {
        LogicalPlanBuilder::from(years).cross_join(picked)?
    };
    let out_alias = if by_area { area_alias(name) } else { alias(name) };
    Ok(joined.aggregate(area_group(PICKED), values)?.alias(out_alias)?.build()?)
}
