//! What a run checks of the data a standardised figure reads, before its cells are laid out:
//! that every band of a directly standardised rate's standard has people (else the run is
//! refused), and that the reference of an indirectly standardised one rates every age group of
//! its population (else the run says which count in no expected events).

use super::RunError;
use crate::calendar::BookPeriods;
use crate::compile::BookPlan;
use crate::ir::Project;
use crate::refusal::Refusal;
use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::prelude::SessionContext;

/// Refuses a run whose standardised rates would divide by a band with no positive population:
/// PHE's DSR has no value then, and a missing band is a gap in the data, not a zero rate.
pub(super) async fn bands_have_people(
    ctx: &SessionContext,
    project: &Project,
    book: &BookPlan,
    periods: &BookPeriods,
    as_of: NaiveDate,
) -> Result<(), RunError> {
    for b in &book.banded {
        let batches = datafusion::dataframe::DataFrame::new(ctx.state(), b.plan.clone()).collect().await?;
        let Some(batch) = batches.into_iter().find(|b| b.num_rows() > 0) else { continue };
        let mut gaps: Vec<(String, Vec<&str>)> = Vec::new();
        for (pi, p) in periods.all.iter().enumerate().take(periods.reported) {
            let read = b.measures.iter().any(|&i| crate::compile::window_of(&project.measures[i], p, as_of).is_some());
            if !read {
                continue;
            }
            let missing: Vec<&str> = b
                .labels
                .iter()
                .enumerate()
                .filter(|(k, _)| {
                    let name = crate::compile::population_band_column(pi, *k);
                    let figure = numbers(&batch, &name).first().copied().flatten();
                    !figure.is_some_and(|f| f > 0.0)
                })
                .map(|(_, l)| l.as_str())
                .collect();
            if !missing.is_empty() {
                gaps.push((p.label.clone(), missing));
            }
        }
        if let Some((first, bands)) = gaps.first() {
            let refs: Vec<&str> = b.measures.iter().map(|&i| project.measures[i].reference.as_str()).collect();
            let more = match gaps.len() {
                1 => String::new(),
                n => format!(" and {} more period{}", n - 1, if n == 2 { "" } else { "s" }),
            };
            return Err(Refusal::new(format!(
                "population `{}` gives age group{} {} no positive figure for {first}{more}, so the rate{} standardised to `{}` ({}) cannot be computed",
                b.population,
                if bands.len() == 1 { "" } else { "s" },
                bands.iter().map(|l| format!("\"{l}\"")).collect::<Vec<_>>().join(", "),
                if refs.len() == 1 { "" } else { "s" },
                b.standard,
                refs.join(", "),
            ))
            .help("give the population a figure above 0 for every band of the standard (its `age_group` labels must be the standard's), or standardise to a standard without the band")
            .into());
        }
    }
    Ok(())
}

/// The age groups of a population that an indirectly standardised figure's reference gives
/// no rate for (none of its rows, or no positive population, in the reference's year): they
/// count in no expected events, which the run says, naming them and the first period.
pub(super) async fn references_cover_populations(
    ctx: &SessionContext,
    project: &Project,
    book: &BookPlan,
    periods: &BookPeriods,
    as_of: NaiveDate,
) -> Result<Vec<String>, RunError> {
    use crate::compile::expected::year_pick;
    let collect = |plan: &datafusion::logical_expr::LogicalPlan| {
        datafusion::dataframe::DataFrame::new(ctx.state(), plan.clone()).collect()
    };
    // (year, age group, people) of each row of a table by year and age group.
    let rows = |batches: &[RecordBatch]| -> Vec<(Option<f64>, Option<String>, Option<f64>)> {
        batches
            .iter()
            .flat_map(|b| {
                let (years, groups, people) = (numbers(b, "year"), texts(b, "age_group"), numbers(b, "people"));
                years.into_iter().zip(groups).zip(people).map(|((y, g), n)| (y, g, n))
            })
            .collect()
    };
    let mut warnings = Vec::new();
    for x in &book.expected {
        let local = rows(&collect(&x.inputs.local).await?);
        let reference = rows(&collect(&x.inputs.reference).await?);
        let local_picked = collect(&x.inputs.local_picked).await?;
        let reference_picked = collect(&x.inputs.reference_picked).await?;
        let pick = |batches: &[RecordBatch], pi: usize| {
            batches
                .iter()
                .find(|b| b.num_rows() > 0)
                .and_then(|b| numbers(b, &year_pick(pi)).first().copied().flatten())
        };
        for (pi, p) in periods.all.iter().enumerate().take(periods.reported) {
            let read = x.measures.iter().any(|&i| crate::compile::window_of(&project.measures[i], p, as_of).is_some());
            let (Some(year), Some(reference_year)) = (pick(&local_picked, pi), pick(&reference_picked, pi)) else {
                continue;
            };
            let rated = |group: &String| {
                reference.iter().any(|(y, g, n)| {
                    *y == Some(reference_year) && g.as_ref() == Some(group) && n.is_some_and(|n| n > 0.0)
                })
            };
            let missing: Vec<String> = local
                .iter()
                .filter(|(y, _, n)| *y == Some(year) && n.is_some_and(|n| n > 0.0))
                .filter_map(|(_, g, _)| g.clone())
                .filter(|g| !rated(g))
                .map(|g| format!("\"{g}\""))
                .collect();
            if read && !missing.is_empty() {
                let refs: Vec<&str> = x.measures.iter().map(|&i| project.measures[i].reference.as_str()).collect();
                warnings.push(format!(
                    "reference `{}` gives no rate for age group{} {} of population `{}` (from {}), so those people count in no expected events of {}; give the reference those age groups, or leave them out of the population with `where`",
                    x.reference,
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", "),
                    x.population,
                    p.label,
                    refs.join(", ")
                ));
                break;
            }
        }
    }
    Ok(warnings)
}

/// A column of `batch` as numbers, one per row (all missing when there is no such column).
fn numbers(batch: &RecordBatch, column: &str) -> Vec<Option<f64>> {
    let cast = batch.column_by_name(column).and_then(|c| cast(c, &DataType::Float64).ok());
    match cast.as_ref().and_then(|c| c.as_primitive_opt::<Float64Type>()) {
        Some(c) => (0..c.len()).map(|r| (!c.is_null(r)).then(|| c.value(r))).collect(),
        None => vec![None; batch.num_rows()],
    }
}

/// A column of `batch` as text, one per row (all missing when there is no such column).
fn texts(batch: &RecordBatch, column: &str) -> Vec<Option<String>> {
    let cast = batch.column_by_name(column).and_then(|c| cast(c, &DataType::Utf8).ok());
    match cast.as_ref().and_then(|c| c.as_string_opt::<i32>()) {
        Some(c) => (0..c.len()).map(|r| (!c.is_null(r)).then(|| c.value(r).to_string())).collect(),
        None => vec![None; batch.num_rows()],
    }
}
