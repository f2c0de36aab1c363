//! The result table's computed columns, one plan for a local run and the warehouse script.
//! Over rows that carry their cells (numerator, denominator, value, and the parts an interval
//! or a funnel reads), target, benchmarks and the judgement's hidden columns, it computes the
//! confidence interval, the comparisons with England and the neighbours, a funnel unit's
//! label, then the RAG rating, direction and judgement. A local run executes it over its rows
//! (`engine/judged.rs`); the script unparses it over its union of cells (`script.rs`).

use super::{intervals, judge, CompileError};
use crate::ir::Project;
use crate::judgement::DefaultRag;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder};

/// The columns of a row's further cells, where it has them: a standardised figure's interval
/// scale (`Part::Scale`), the numerator and denominator of a funnel's whole, a funnel unit's
/// expected events and its adjusted z-score.
pub use intervals::{FUNNEL_EXPECTED, FUNNEL_Z, SCALE, WHOLE_DEN, WHOLE_NUM};

/// The columns a row carries for the intervals (its measure's method, level, z, polarity and
/// which figure is counted), to be projected beside the row's own columns before [`finish`]:
/// one CASE on the row's measure each.
pub fn interval_columns(project: &Project, measures: &[usize], confidence: f64) -> Result<Vec<Expr>, CompileError> {
    intervals::columns(project, measures, confidence)
}

/// The levels the measures' intervals are at (their own, else the project's `confidence`),
/// each once and in order.
fn levels(project: &Project, measures: &[usize], confidence: f64) -> Vec<f64> {
    let mut levels: Vec<f64> = measures.iter().map(|&i| project.measures[i].interval.level(confidence)).collect();
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    levels
}

/// Whom the computed columns are for: the measures the rows are of, the project's confidence
/// level and its banding around targets.
pub struct Computing<'a> {
    pub project: &'a Project,
    pub measures: &'a [usize],
    pub confidence: f64,
    pub default_rag: DefaultRag,
}

/// Over `plan`'s rows (with [`interval_columns`]): `ci_low`, `ci_high`, `compared_england`,
/// `compared_sn` and `funnel`, then `rag`, `direction` and `judgement`. `carried` names the
/// rows' columns kept through the intervals' projections (at least those the judgement and a
/// funnel read: `numerator`, `denominator`, `value`, `breakdown_value`, `target`, the
/// benchmarks and the judgement's hidden columns, with the five computed columns in the place
/// they take); `out` is the result's columns in order.
pub fn finish(
    plan: LogicalPlanBuilder,
    x: &Computing<'_>,
    carried: &[&str],
    out: &[&str],
) -> Result<LogicalPlanBuilder, CompileError> {
    // The interval's own hidden columns are carried by its projections anyway.
    let carried: Vec<&str> = carried.iter().copied().filter(|c| !intervals::HIDDEN.contains(c)).collect();
    let with_intervals = intervals::finish(plan, &levels(x.project, x.measures, x.confidence), &carried)?;
    judge::finish(with_intervals, x.project, x.measures, x.default_rag, out)
}
