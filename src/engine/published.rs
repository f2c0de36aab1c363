//! Published LA-level rows for benchmarks: each LA-year's value from a DfE-format source,
//! turned into a rate per head of a population's previous mid-year when the rule says `per`.

use super::RunError;
use crate::benchmarks::PublishedRow;
use crate::calendar::working_days::HolidayList;
use crate::compile::exprs::{column, compile, ExprCx, Needs, ROW};
use crate::ir::{Expr, Project};
use crate::refusal::Refusal;
use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::catalog::default_table_source::provider_as_source;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::prelude::{cast, SessionContext};
use std::collections::HashMap;

/// A source's rows (aliased `row`) that a date-free condition keeps, such as a population's
/// or a published benchmark's `where`.
pub(super) async fn rows_where(
    ctx: &SessionContext,
    source: &str,
    filter: Option<&Expr>,
    day: NaiveDate,
) -> Result<LogicalPlanBuilder, RunError> {
    let table = provider_as_source(ctx.table_provider(source).await?);
    let rows = LogicalPlanBuilder::scan(source, table, None)?.alias(ROW)?;
    let Some(f) = filter else { return Ok(rows) };
    let holidays = HolidayList::none();
    let cx = ExprCx::plain(ROW, day, &holidays);
    Ok(rows.filter(compile(f, &cx, &mut Needs::default())?)?)
}

/// A published benchmark's rows: year, geography and value of every LA-year the filter keeps.
pub(super) async fn published_rows(
    ctx: &SessionContext,
    project: &Project,
    pb: &crate::ir::PublishedBenchmark,
    as_of: NaiveDate,
    warnings: &mut Vec<String>,
) -> Result<Vec<PublishedRow>, RunError> {
    let source = project.source(&pb.source).expect("published sources are declared");
    for needed in ["time_period", "geographic_level", "old_la_code"] {
        if source.column(needed).is_none() {
            return Err(RunError::Refused(
                Refusal::new(format!(
                    "source `{}` gives published benchmarks but has no `{needed}` column",
                    source.name
                ))
                .help("declare the columns of DfE's files (time_period, geographic_level, old_la_code)"),
            ));
        }
    }
    let plan = rows_where(ctx, &source.name, pb.filter.as_ref(), as_of)
        .await?
        .project(vec![
            cast(column(ROW, "time_period"), DataType::Int64).alias("t"),
            cast(column(ROW, "geographic_level"), DataType::Utf8).alias("g"),
            cast(column(ROW, "old_la_code"), DataType::Utf8).alias("la"),
            cast(column(ROW, &pb.column), DataType::Float64).alias("v"),
        ])?
        .build()?;
    let mut out = Vec::new();
    for b in ctx.execute_logical_plan(plan).await?.collect().await? {
        let t = b.column(0).as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let (g, la) = (b.column(1).as_string::<i32>(), b.column(2).as_string::<i32>());
        let v = b.column(3).as_primitive::<Float64Type>();
        for r in 0..b.num_rows() {
            if t.is_null(r) {
                continue;
            }
            out.push(PublishedRow {
                time_period: t.value(r) as i32,
                national: !g.is_null(r) && g.value(r).eq_ignore_ascii_case("national"),
                la_code: (!la.is_null(r)).then(|| la.value(r).trim().to_string()).filter(|s| !s.is_empty()),
                value: (!v.is_null(r)).then(|| v.value(r)),
            });
        }
    }
    if let Some((per, population)) = &pb.per {
        let populations = population_by_area_year(ctx, project, population).await?;
        let mut missing = 0;
        for row in &mut out {
            let pop =
                populations.for_year_ending(row.time_period, if row.national { None } else { row.la_code.as_deref() });
            if pop.is_none() && row.value.is_some() {
                missing += 1;
            }
            row.value = row.value.zip(pop).map(|(v, p)| f64::from(*per) * v / p);
        }
        if missing > 0 {
            warnings.push(format!(
                "benchmarks from `{}.{}` per {per} `{population}`: {missing} published figure{} had no population for the mid-year before them and are left out",
                pb.source,
                pb.column,
                if missing == 1 { "" } else { "s" }
            ));
        }
    }
    Ok(out)
}

/// A population's figures by area and mid-year, for turning published counts into rates.
struct PopulationTable {
    /// (area code or `None` for a row without one, mid-year) → population.
    rows: HashMap<(Option<String>, i32), f64>,
}

impl PopulationTable {
    /// The population for a published year ending 31 March `time_period`: mid-year
    /// `time_period - 1` (DfE's rule), or the latest earlier year with a positive figure.
    /// England (`area` `None`) is the population's row without an area code.
    fn for_year_ending(&self, time_period: i32, area: Option<&str>) -> Option<f64> {
        let area = area.map(str::to_string);
        let earliest = self.rows.keys().map(|(_, y)| *y).min()?;
        (earliest..time_period).rev().find_map(|y| self.rows.get(&(area.clone(), y)).copied().filter(|p| *p > 0.0))
    }
}

async fn population_by_area_year(
    ctx: &SessionContext,
    project: &Project,
    name: &str,
) -> Result<PopulationTable, RunError> {
    let pop = project.population(name).expect("checked populations are declared");
    let source = project.source(&pop.source).expect("checked populations have a source");
    let plan = rows_where(ctx, &source.name, pop.filter.as_ref(), NaiveDate::default()).await?;
    let area = match source.column(crate::compile::AREA_COLUMN) {
        Some(_) => cast(column(ROW, crate::compile::AREA_COLUMN), DataType::Utf8),
        None => datafusion::prelude::lit(datafusion::scalar::ScalarValue::Utf8(None)),
    };
    let plan = plan
        .aggregate(
            vec![area.alias("a"), cast(column(ROW, "year"), DataType::Int64).alias("y")],
            vec![cast(datafusion::functions_aggregate::expr_fn::sum(column(ROW, "population")), DataType::Float64)
                .alias("p")],
        )?
        .build()?;
    let mut rows = HashMap::new();
    for b in ctx.execute_logical_plan(plan).await?.collect().await? {
        let (a, y, p) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_primitive::<Int64Type>(),
            b.column(2).as_primitive::<Float64Type>(),
        );
        for r in 0..b.num_rows() {
            if y.is_null(r) || p.is_null(r) {
                continue;
            }
            let area = (!a.is_null(r)).then(|| a.value(r).trim().to_string()).filter(|s| !s.is_empty());
            rows.insert((area, y.value(r) as i32), p.value(r));
        }
    }
    Ok(PopulationTable { rows })
}
