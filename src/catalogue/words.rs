//! A measure's definition in plain words, from its checked form: what it computes, over which
//! rows, in which window; conditions quoted as the rules write them.

use super::Catalogue;
use crate::ir::{AggregateFn, Definition, Measure, Selection, Window};

/// The definition as labelled sentences: (`Numerator`, `...`), in reading order.
pub fn definition(cat: &Catalogue<'_>, m: &Measure) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let q = |e: &crate::ir::Expr| format!("`{}`", cat.written(e.span));
    let rows_of = |source: &str, distinct: Option<&String>| match distinct {
        Some(e) => format!("distinct `{e}` (each once, however many rows) among the rows of `{source}`"),
        None => format!("rows of `{source}`"),
    };
    match &m.definition {
        Definition::Count { rows, distinct } => {
            out.push(("Counts", rows_of(&rows.source, distinct.as_ref())));
        }
        Definition::Proportion { rows, distinct, numerator } => {
            out.push(("Denominator", rows_of(&rows.source, distinct.as_ref())));
            out.push(("Numerator", format!("those of them meeting {}", q(numerator))));
            out.push(("Value", "100 × numerator ÷ denominator".into()));
        }
        Definition::Rate { rows, distinct, summed, per, population, standardised, of_measure } => {
            let counted = match (summed, of_measure) {
                (Some(e), _) => format!("the sum of {} over the {}", q(e), rows_of(&rows.source, None)),
                (None, Some(of)) => format!("the count of `{of}`: {}", rows_of(&rows.source, distinct.as_ref())),
                (None, None) => rows_of(&rows.source, distinct.as_ref()),
            };
            out.push(("Numerator", counted));
            out.push(("Denominator", format!("the population `{population}` in the period's year")));
            let value = match standardised {
                Some(crate::ir::Standardised::Direct(st)) => format!(
                    "a rate per {per}, directly standardised to the `{}` standard population ({} bands, by {})",
                    st.standard,
                    st.bands.len(),
                    q(&st.by)
                ),
                Some(crate::ir::Standardised::Indirect(x)) if x.rate => format!(
                    "an indirectly standardised rate per {per}: observed ÷ expected events at `{}`'s rates, × its overall rate",
                    x.reference
                ),
                Some(crate::ir::Standardised::Indirect(x)) => {
                    format!("a ratio × {per}: observed ÷ expected events at `{}`'s rates", x.reference)
                }
                None => format!("{per} × numerator ÷ denominator"),
            };
            out.push(("Value", value));
        }
        Definition::Aggregate { func, expr, rows, distinct } => {
            let what = match func {
                AggregateFn::Percentile(_) => {
                    format!("the {} (interpolated between the closest ranks)", func.describe())
                }
                _ => format!("the {}", func.describe()),
            };
            let of = match distinct {
                Some(e) => format!("one value for each distinct `{e}` of the rows of `{}`", rows.source),
                None => format!("the rows of `{}`", rows.source),
            };
            out.push(("Value", format!("{what} of {} over {of}", q(expr))));
        }
        Definition::SumRatio { rows, numerator, denominator, meets, percent } => {
            out.push(("Numerator", format!("the sum of {} over the rows of `{}`", q(numerator), rows.source)));
            if let Some(c) = meets {
                out.push(("Numerator rows", format!("only those meeting {}", q(c))));
            }
            out.push(("Denominator", format!("the sum of {} over the same rows", q(denominator))));
            let times = if *percent { "100 × " } else { "" };
            out.push(("Value", format!("{times}numerator ÷ denominator")));
        }
        Definition::Derived { expr } => out.push(("Calculated", format!("from other measures: {}", q(expr)))),
    }
    if let Some(rows) = m.definition.rows() {
        let selected = match &rows.selection {
            Selection::All => "every row, whatever its dates".to_string(),
            Selection::EventIn(d) => format!("rows whose {} falls in the window", q(d)),
            Selection::OpenAtEnd { start, end } => {
                format!("rows open at the period's end: `{start}` on or before it, `{end}` after it or missing")
            }
            Selection::OpenDuring { start, end } => {
                format!(
                    "rows open during the window: `{start}` on or before its end, `{end}` after its start or missing"
                )
            }
            Selection::LatestSnapshot(c) if rows.snapshot_months.is_empty() => {
                format!("the rows of the latest `{c}` snapshot in the window")
            }
            Selection::LatestSnapshot(c) => format!(
                "the rows of the latest `{c}` snapshot of each of the months {} in the window, averaged",
                rows.snapshot_months.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
            ),
        };
        out.push(("Rows", selected));
        for f in &rows.filters {
            out.push(("Only", format!("rows where {}", q(f))));
        }
        for x in &rows.exclusions {
            out.push(("Leaving out", format!("rows where {} (a missing value is kept)", q(x))));
        }
    }
    let window = match m.window {
        Window::Period => "the period itself".to_string(),
        Window::FromYearStart => "from the start of the reporting year to the period's end (year to date)".to_string(),
        Window::Since(d) => format!("from {d} to the period's end"),
    };
    out.push(("Window", window));
    if let Some(f) = &m.follow_up {
        out.push((
            "Follow-up",
            format!(
                "each member followed for {} months, then {} months more for events to be recorded; a period has figures once both have passed",
                f.months, f.wait
            ),
        ));
    }
    out
}
