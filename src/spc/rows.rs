//! The SPC table: one row per measure and month, from a run's monthly result rows.

use super::{analyse, Assurance, SpcOptions};
use crate::ir::Project;
use crate::results::{plain_number, ResultRow};
use chrono::NaiveDate;
use serde::Serialize;

/// The columns of the SPC table, in order.
pub const COLUMNS: &[&str] = &[
    "ref",
    "period_label",
    "period_start",
    "period_end",
    "value",
    "mean",
    "lpl",
    "upl",
    "lower_2sigma",
    "upper_2sigma",
    "special_cause",
    "rule",
    "variation",
    "assurance",
];

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpcRow {
    #[serde(rename = "ref")]
    pub reference: String,
    pub period_label: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub value: Option<f64>,
    pub mean: Option<f64>,
    pub lpl: Option<f64>,
    pub upl: Option<f64>,
    pub lower_2sigma: Option<f64>,
    pub upper_2sigma: Option<f64>,
    /// `improvement`, `concern` or `neither` on a special-cause point; empty otherwise.
    pub special_cause: Option<&'static str>,
    /// The first special-cause rule that holds for the point.
    pub rule: Option<&'static str>,
    /// The series' variation, read from its latest point (the same on each of its rows).
    pub variation: Option<&'static str>,
    pub assurance: Option<&'static str>,
    /// For the chart: the measure's title, the month's target, display places and unit.
    #[serde(skip)]
    pub title: String,
    #[serde(skip)]
    pub target: Option<f64>,
    #[serde(skip)]
    pub precision: u8,
    #[serde(skip)]
    pub unit: crate::ir::Unit,
}

impl SpcRow {
    /// The row's cells as text, in the order of [`COLUMNS`].
    pub fn cells(&self) -> Vec<String> {
        let num = |v: Option<f64>| v.map(plain_number).unwrap_or_default();
        let text = |v: Option<&str>| v.unwrap_or_default().to_string();
        vec![
            self.reference.clone(),
            self.period_label.clone(),
            self.period_start.to_string(),
            self.period_end.to_string(),
            num(self.value),
            num(self.mean),
            num(self.lpl),
            num(self.upl),
            num(self.lower_2sigma),
            num(self.upper_2sigma),
            text(self.special_cause),
            text(self.rule),
            text(self.variation),
            text(self.assurance),
        ]
    }
}

/// Each measure's monthly values (its rows of kind month, without breakdowns, in order; a
/// withheld value is a gap) analysed as an XmR chart. Warns of measures with too few points
/// for limits.
pub fn series(project: &Project, rows: &[ResultRow], options: &SpcOptions) -> (Vec<SpcRow>, Vec<String>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for m in &project.measures {
        let months: Vec<&ResultRow> = rows
            .iter()
            .filter(|r| {
                r.reference == m.reference
                    && r.breakdown.is_none()
                    && r.period_kind == crate::calendar::PeriodKind::Month
            })
            .collect();
        if months.is_empty() {
            continue;
        }
        let values: Vec<Option<f64>> = months.iter().map(|r| r.value.filter(|_| !r.suppressed)).collect();
        let higher = crate::statistics::higher_is_better(m.polarity);
        let analysis = analyse(&values, higher, options);
        let points = values.iter().flatten().count();
        if analysis.limits.is_none() {
            warnings.push(format!(
                "measure {}: {points} of {} months have a value, fewer than the {} an XmR chart needs; drawn as a run chart without limits",
                m.reference,
                months.len(),
                super::MIN_POINTS
            ));
        }
        let l = analysis.limits;
        for (r, p) in months.iter().zip(&analysis.points) {
            out.push(SpcRow {
                reference: m.reference.clone(),
                period_label: r.period_label.clone(),
                period_start: r.period_start,
                period_end: r.period_end,
                value: p.value,
                mean: l.map(|l| l.mean),
                lpl: l.map(|l| l.lpl),
                upl: l.map(|l| l.upl),
                lower_2sigma: l.map(|l| l.lower_2sigma),
                upper_2sigma: l.map(|l| l.upper_2sigma),
                special_cause: p.cause.map(|c| c.name()),
                rule: p.flag.map(|f| f.rule.name()),
                variation: analysis.variation.map(|v| v.name()),
                assurance: Assurance::of(r.target, l.as_ref(), higher).map(Assurance::name),
                title: m.title.clone(),
                target: r.target,
                precision: m.precision,
                unit: r.unit,
            });
        }
    }
    (out, warnings)
}

pub fn to_csv(rows: &[SpcRow]) -> String {
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for r in rows {
        out.push_str(&r.cells().iter().map(|c| crate::results::csv_field(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// The table as JSON, with what it was drawn with.
pub fn to_json(rows: &[SpcRow], as_of: NaiveDate, options: &SpcOptions) -> String {
    let doc = serde_json::json!({
        "as_of": as_of.to_string(),
        "months": options.months,
        "baseline": options.baseline,
        "screen_outliers": options.screen_outliers,
        "run_length": options.run_length,
        "points": rows,
    });
    serde_json::to_string_pretty(&doc).expect("the SPC table is JSON") + "\n"
}
