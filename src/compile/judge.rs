//! Judgement as DataFusion expressions, defined once (docs/language.md, "Judgement"): the RAG
//! rating, the direction of travel and whether it is an improvement, over rows that carry a
//! measure's `value`, `target`, `benchmark_sn` and `benchmark_england`, with two hidden
//! columns: the measure's index in the project and its previous period's value.
//!
//! A local run executes [`finish`] over its rows; the warehouse script unparses the same plan.
//! Each measure's own figures (display precision, polarity, RAG rules) appear once, in a CASE
//! on the measure's index, and the rounded values are computed once per row.

use super::exprs::{first_of, null_text, over_figures};
use super::CompileError;
use crate::ir::{self, ExprKind, Measure, Polarity, RagColour, RagOperand};
use crate::judgement::{DefaultRag, Direction, Judgement};
use datafusion::functions::expr_fn::{abs, ceil, coalesce, floor};
use datafusion::logical_expr::{when, Expr, LogicalPlanBuilder};
use datafusion::prelude::{col, lit};

/// The measure's index in the project (a hidden column of each row).
pub const MEASURE: &str = "j_measure";
/// The previous period's value (a hidden column of each row).
pub const PREVIOUS: &str = "j_previous";
/// Whether the previous period's value was computed differently, by an earlier version of the
/// definition (a hidden column of each row): the direction is then not judged.
pub const CHANGED: &str = "j_changed";
/// The version of the definition the row's value was computed with (a result column).
pub const VERSION: &str = "definition_version";
/// `10 ^ precision`: values are compared at the measure's display precision.
const SCALE: &str = "j_scale";
const POLARITY: &str = "j_polarity";
const VALUE_SHOWN: &str = "j_value_shown";
const PREVIOUS_SHOWN: &str = "j_previous_shown";

/// The columns a row carries only for judging; [`finish`] drops them.
pub const HIDDEN: &[&str] = &[MEASURE, PREVIOUS, CHANGED];
const WORKING: &[&str] = &[MEASURE, PREVIOUS, CHANGED, SCALE, POLARITY, VALUE_SHOWN, PREVIOUS_SHOWN];
/// The columns [`finish`] adds.
pub const JUDGED: &[&str] = &["rag", "direction", "judgement"];

/// The hidden columns of a row of measure `index`, whose previous period's value is
/// `previous`, and the row's version of the definition: `version`, and whether the previous
/// period's value was computed differently.
pub fn row_columns(index: usize, previous: Expr, version: u32, changed: bool) -> Vec<Expr> {
    vec![
        lit(index as i64).alias(MEASURE),
        previous.alias(PREVIOUS),
        lit(changed).alias(CHANGED),
        lit(i64::from(version)).alias(VERSION),
    ]
}

fn text(s: &str) -> Expr {
    lit(s.to_string())
}

/// Is the row's measure of polarity `p`?
fn polarity_is(p: Polarity) -> Expr {
    col(POLARITY).eq(text(p.name()))
}

/// A figure that differs by measure: a CASE on the measure's index, with `otherwise` for the
/// measures `of` gives nothing.
pub(super) fn by_measure(
    project: &ir::Project,
    measures: &[usize],
    of: impl Fn(&Measure) -> Option<Result<Expr, CompileError>>,
    otherwise: Expr,
) -> Result<Expr, CompileError> {
    let mut branches = Vec::new();
    for &i in measures {
        if let Some(e) = of(&project.measures[i]) {
            branches.push((col(MEASURE).eq(lit(i as i64)), e?));
        }
    }
    first_of(branches, otherwise)
}

/// `x` rounded to the row's display precision, halves away from zero (as
/// `judgement::rounded`): written with floor and ceiling, which every engine has and rounds
/// the same way.
fn shown(x: Expr) -> Result<Expr, CompileError> {
    let scaled = x * col(SCALE);
    Ok(when(scaled.clone().gt_eq(lit(0.0)), floor(scaled.clone() + lit(0.5))).otherwise(ceil(scaled - lit(0.5)))?
        / col(SCALE))
}

/// A RAG rule's condition over the row's figures, compiled as every expression is: SQL's
/// truth rule is the rules' (a comparison with a missing figure is not true), and a division
/// by zero is missing, as in `judgement::holds`.
fn rag_condition(e: &ir::Expr) -> Result<Expr, CompileError> {
    let figure = |kind: &ExprKind| -> Result<Expr, CompileError> {
        let ExprKind::RagOperand(op) = kind else {
            return Err(CompileError::internal(format!("a RAG rule reads {kind:?}")));
        };
        Ok(col(match op {
            RagOperand::Value => "value",
            RagOperand::Previous => PREVIOUS,
            RagOperand::Target => "target",
            RagOperand::Benchmark => "benchmark_sn",
            RagOperand::England => "benchmark_england",
            RagOperand::Funnel => "funnel",
        }))
    };
    over_figures(e, &figure)
}

/// A measure's own RAG rules (`None`: the project's banding), each version's on the rows
/// computed with it; a version without rules is banded as the project bands.
fn own_rules(m: &Measure, default: DefaultRag) -> Option<Result<Expr, CompileError>> {
    let first = version_rules(m);
    if m.versions.iter().all(|v| v.measure.rag == m.rag) {
        return first;
    }
    let by_version = || -> Result<Expr, CompileError> {
        let rules_or_banding = |m: &Measure| version_rules(m).unwrap_or_else(|| default_banding(default));
        let mut branches = Vec::new();
        for v in m.versions.iter().rev() {
            branches.push((col(VERSION).eq(lit(i64::from(v.number))), rules_or_banding(&v.measure)?));
        }
        first_of(branches, rules_or_banding(m)?)
    };
    Some(by_version())
}

/// The RAG rules of one version of a measure: the first that holds wins; `otherwise` holds
/// always.
fn version_rules(m: &Measure) -> Option<Result<Expr, CompileError>> {
    if m.rag.is_empty() {
        return None;
    }
    let rules = || -> Result<Expr, CompileError> {
        let mut branches = Vec::new();
        let mut otherwise = null_text();
        for r in &m.rag {
            let colour = text(r.colour.name());
            let Some(c) = &r.condition else {
                otherwise = colour;
                break;
            };
            branches.push((rag_condition(c)?, colour));
        }
        first_of(branches, otherwise)
    };
    Some(rules())
}

/// The project's banding around the target, for measures without rules of their own: green
/// when the target is met, amber within `amber_within_percent` of it, red beyond.
fn default_banding(default: DefaultRag) -> Result<Expr, CompileError> {
    let (value, target) = (col("value"), col("target"));
    let margin = abs(target.clone()) * lit(default.amber_within_percent) / lit(100.0);
    let (high, low) = (polarity_is(Polarity::High), polarity_is(Polarity::Low));
    let [red, amber, green] = [RagColour::Red, RagColour::Amber, RagColour::Green].map(|c| text(c.name()));
    Ok(when(target.clone().is_null(), null_text())
        .when(high.clone().and(value.clone().gt_eq(target.clone())), green.clone())
        .when(high.clone().and(value.clone().gt_eq(target.clone() - margin.clone())), amber.clone())
        .when(high, red.clone())
        .when(low.clone().and(value.clone().lt_eq(target.clone())), green)
        .when(low.clone().and(value.lt_eq(target + margin)), amber)
        .when(low, red)
        .otherwise(null_text())?)
}

/// Up, down or the same, comparing both values at display precision.
fn direction() -> Result<Expr, CompileError> {
    let (v, p) = (col(VALUE_SHOWN), col(PREVIOUS_SHOWN));
    Ok(when(v.clone().is_null().or(p.clone().is_null()).or(col(CHANGED)), null_text())
        .when(v.clone().gt(p.clone()), text(Direction::Up.name()))
        .when(v.lt(p), text(Direction::Down.name()))
        .otherwise(text(Direction::Same.name()))?)
}

/// Whether the direction is good news, given the polarity; for `in_line_with_benchmark`,
/// moving closer to the benchmark (SN, else England) is improving.
fn judgement() -> Result<Expr, CompileError> {
    let d = |direction: Direction| col("direction").eq(text(direction.name()));
    let (up, down, same) = (d(Direction::Up), d(Direction::Down), d(Direction::Same));
    let (high, low) = (polarity_is(Polarity::High), polarity_is(Polarity::Low));
    let [improving, worsening, no_change, not_comparable, changed] = [
        Judgement::Improving,
        Judgement::Worsening,
        Judgement::NoChange,
        Judgement::NotComparable,
        Judgement::DefinitionChanged,
    ]
    .map(|j| text(j.name()));
    let benchmark = coalesce(vec![col("benchmark_sn"), col("benchmark_england")]);
    let now = abs(col(VALUE_SHOWN) - benchmark.clone());
    let before = abs(col(PREVIOUS_SHOWN) - benchmark.clone());
    let in_line = polarity_is(Polarity::InLineWithBenchmark);
    Ok(when(col(CHANGED).and(col(VALUE_SHOWN).is_not_null()).and(col(PREVIOUS_SHOWN).is_not_null()), changed)
        .when(col("direction").is_null().or(polarity_is(Polarity::None)), not_comparable.clone())
        .when(same, no_change.clone())
        .when(high.clone().and(up.clone()).or(low.clone().and(down.clone())), improving.clone())
        .when(high.and(down).or(low.and(up)), worsening.clone())
        .when(in_line.clone().and(benchmark.is_null()), not_comparable.clone())
        .when(in_line.clone().and(now.clone().lt(before.clone())), improving)
        .when(in_line.clone().and(now.gt(before)), worsening)
        .when(in_line, no_change)
        .otherwise(not_comparable)?)
}

/// Adds `rag`, `direction` and `judgement` to rows of the `measures` (indices into the
/// project), whose RAG rules may read a funnel unit's label in the column `funnel`, and gives
/// `columns` in order, the three among them.
pub fn finish(
    plan: LogicalPlanBuilder,
    project: &ir::Project,
    measures: &[usize],
    default: DefaultRag,
    columns: &[&str],
) -> Result<LogicalPlanBuilder, CompileError> {
    let kept: Vec<String> = plan
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .filter(|n| !WORKING.contains(&n.as_str()) && !JUDGED.contains(&n.as_str()))
        .collect();
    let keep = |extra: &[&str]| -> Vec<Expr> {
        kept.iter().map(String::as_str).chain(extra.iter().copied()).map(col).collect()
    };
    let mut figures = keep(HIDDEN);
    let scale = |m: &Measure| Some(Ok(lit(10f64.powi(i32::from(m.precision)))));
    figures.push(by_measure(project, measures, scale, lit(1.0))?.alias(SCALE));
    let polarity = |m: &Measure| Some(Ok(text(m.polarity.name())));
    figures.push(by_measure(project, measures, polarity, text(Polarity::None.name()))?.alias(POLARITY));
    let plan = plan.project(figures)?.alias("with_figures")?;

    let mut with_shown = keep(&[MEASURE, PREVIOUS, CHANGED, POLARITY]);
    with_shown.push(shown(col("value"))?.alias(VALUE_SHOWN));
    with_shown.push(shown(col(PREVIOUS))?.alias(PREVIOUS_SHOWN));
    let plan = plan.project(with_shown)?.alias("with_shown")?;

    let mut with_direction = keep(&[CHANGED, POLARITY, VALUE_SHOWN, PREVIOUS_SHOWN]);
    let rag = when(col("value").is_null(), null_text()).otherwise(by_measure(
        project,
        measures,
        |m| own_rules(m, default),
        default_banding(default)?,
    )?)?;
    with_direction.push(rag.alias("rag"));
    with_direction.push(direction()?.alias("direction"));
    let plan = plan.project(with_direction)?.alias("with_direction")?;

    let judged = columns
        .iter()
        .map(|c| if *c == "judgement" { judgement().map(|j| j.alias("judgement")) } else { Ok(col(*c)) })
        .collect::<Result<Vec<_>, CompileError>>()?;
    Ok(plan.project(judged)?.alias("with_judgement")?)
}
