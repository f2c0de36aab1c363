//! A population's denominator for each period: the `0-17` estimate (or whatever the
//! population's filter selects) of the project's area for mid-year P, where P is the calendar
//! year in which the reporting year holding the period's end starts (financial, calendar or
//! academic, as the book's calendar says); failing that, the latest
//! earlier year with a positive population. A standardised rate reads the population of
//! each band of its standard (the rows whose `age_group` is the band's label) in the year so
//! chosen by the bands' total.

use super::exprs::{column, compile, ExprCx, Needs};
use super::{CompileError, PlanInputs};
use datafusion::functions_aggregate::expr_fn::{max, sum};
use datafusion::logical_expr::{ExprFunctionExt, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::{lit, Expr};

const ROWS: &str = "pop";
const YEARS: &str = "pop_years";
pub(super) const PICKED: &str = "pop_picked";
const BANDS: &str = "pop_bands";
pub use crate::ir::AGE_GROUP;

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
pub const AREA_COLUMN: &str = crate::ir::AREA_CODE;

/// Does this population give each area its own figures?
pub fn has_areas(inputs: &PlanInputs<'_>, name: &str) -> bool {
    inputs
        .project
        .population(name)
        .and_then(|p| inputs.project.source(&p.source))
        .is_some_and(|s| s.column(AREA_COLUMN).is_some())
}

/// The alias of a population's plan banded as `standard` is, per area when `by_area`.
pub fn banded_alias(population: &str, standard: &str, by_area: bool) -> String {
    let area = if by_area { "_by_area" } else { "" };
    format!("population_{population}_{standard}{area}")
}

/// The column holding band `k`'s population for period `pi`.
pub fn band_value_name(pi: usize, k: usize) -> String {
    format!("pop_p{pi}_b{k}")
}

/// The population's rows (its filter applied, and for one area the area's), aliased `alias`.
pub(super) fn rows_of(
    inputs: &PlanInputs<'_>,
    name: &str,
    by_area: bool,
    alias: &str,
) -> Result<LogicalPlanBuilder, CompileError> {
    let pop = inputs
        .project
        .population(name)
        .ok_or_else(|| CompileError::internal(format!("population `{name}` without a declaration")))?;
    let source = inputs
        .project
        .source(&pop.source)
        .ok_or_else(|| CompileError::internal(format!("source `{}` without a declaration", pop.source)))?;
    let mut rows =
        LogicalPlanBuilder::scan(source.name.as_str(), (inputs.tables)(&source.name)?, None)?.alias(alias)?;
    if let (Some(f), Some(p)) = (&pop.filter, inputs.periods.first()) {
        let cx = ExprCx::plain(alias, p.range.end, inputs.holidays);
        rows = rows.filter(compile(f, &cx, &mut Needs::default())?)?;
    }
    let one_area = inputs.one_area.contains(&source.name);
    if let (Some(area), Some(_), false, false) = (inputs.area_code, source.column(AREA_COLUMN), by_area, one_area) {
        rows = rows.filter(column(alias, AREA_COLUMN).eq(lit(area)))?;
    }
    Ok(rows)
}

/// The year each period reads, `year_p{pi}`, from a table `years` of `year` and `total`: the
/// mid-year P of the reporting year holding the period's end, or the latest earlier year with
/// a positive total.
pub(super) fn year_picks(inputs: &PlanInputs<'_>, years: &str) -> Result<Vec<Expr>, CompileError> {
    inputs
        .periods
        .iter()
        .enumerate()
        .map(|(pi, p)| {
            let mid_year = i64::from(p.year.start_year(p.range.end));
            let usable = column(years, "year").lt_eq(lit(mid_year)).and(column(years, "total").gt(lit(0)));
            Ok(max(column(years, "year")).filter(usable).build()?.alias(year_pick(pi)))
        })
        .collect()
}

/// The column of [`year_picks`] for period `pi`.
pub fn year_pick(pi: usize) -> String {
    format!("year_p{pi}")
}

pub(super) fn build(
    inputs: &PlanInputs<'_>,
    name: &str,
    by_area: bool,
    banded: Option<&crate::ir::Standardisation>,
) -> Result<LogicalPlan, CompileError> {
    let mut rows = rows_of(inputs, name, by_area, ROWS)?;
    if let Some(st) = banded {
        let labels = st.bands.iter().map(|b| lit(b.label.as_str())).collect();
        rows = rows.filter(column(ROWS, AGE_GROUP).in_list(labels, false))?;
    }
    let area_group = |q: &str| if by_area { vec![column(q, AREA_COLUMN)] } else { Vec::new() };
    let mut group = vec![column(ROWS, "year")];
    group.extend(area_group(ROWS));
    let band_rows = rows.clone();
    let years = rows.aggregate(group, vec![sum(column(ROWS, "population")).alias("total")])?.alias(YEARS)?.build()?;
    let picks = year_picks(inputs, YEARS)?;
    let picked = LogicalPlanBuilder::from(years.clone()).aggregate(area_group(YEARS), picks)?.alias(PICKED)?.build()?;
    if let Some(st) = banded {
        // Each band's figure in the year chosen for each period.
        let mut group = vec![column(ROWS, "year"), column(ROWS, AGE_GROUP)];
        group.extend(area_group(ROWS));
        let bands =
            band_rows.aggregate(group, vec![sum(column(ROWS, "population")).alias("total")])?.alias(BANDS)?.build()?;
        let mut values = Vec::new();
        for pi in 0..inputs.periods.len() {
            for (k, b) in st.bands.iter().enumerate() {
                let this = column(BANDS, "year")
                    .eq(column(PICKED, &year_pick(pi)))
                    .and(column(BANDS, AGE_GROUP).eq(lit(b.label.as_str())));
                values.push(max(column(BANDS, "total")).filter(this).build()?.alias(band_value_name(pi, k)));
            }
        }
        let joined = with_picked(bands, BANDS, picked, by_area)?;
        let out = banded_alias(name, &st.standard, by_area);
        return Ok(joined.aggregate(area_group(PICKED), values)?.alias(out)?.build()?);
    }
    let values = (0..inputs.periods.len())
        .map(|pi| {
            let this_year = column(YEARS, "year").eq(column(PICKED, &year_pick(pi)));
            Ok(max(column(YEARS, "total")).filter(this_year).build()?.alias(value_name(pi)))
        })
        .collect::<Result<Vec<_>, CompileError>>()?;
    let joined = with_picked(years, YEARS, picked, by_area)?;
    let out_alias = if by_area { area_alias(name) } else { alias(name) };
    Ok(joined.aggregate(area_group(PICKED), values)?.alias(out_alias)?.build()?)
}

/// `figures` (aliased `table`) beside the years picked for each period: those of its area, or
/// the one row of them.
pub(super) fn with_picked(
    figures: LogicalPlan,
    table: &str,
    picked: LogicalPlan,
    by_area: bool,
) -> Result<LogicalPlanBuilder, CompileError> {
    Ok(if by_area {
        LogicalPlanBuilder::from(figures).join_on(
            picked,
            datafusion::logical_expr::JoinType::Inner,
            vec![column(table, AREA_COLUMN).eq(column(PICKED, AREA_COLUMN))],
        )?
    } else {
        LogicalPlanBuilder::from(figures).cross_join(picked)?
    })
}
