//! The performance book as people read it: the seed's "Improvement Board Performance Book"
//! (themes, refs, titles, polarity, last year, months, quarters, year to date, direction of
//! travel, statistical-neighbour and England benchmarks, RAG) and its "Target Tracker",
//! laid out from the result table and written as HTML, Excel or Markdown.

pub mod funnel_chart;
mod html;
mod markdown;
mod xlsx;

pub use html::{funnel_page, to_html};
pub use markdown::to_markdown;
pub use xlsx::to_xlsx;

use crate::calendar::PeriodKind;
use crate::results::{display_value, ResultRow};
use chrono::NaiveDate;

/// One measure's line in the book.
#[derive(Clone, Debug)]
pub struct BookLine {
    pub theme: String,
    pub reference: String,
    pub title: String,
    pub unit: crate::ir::Unit,
    pub polarity: String,
    pub precision: u8,
    /// `funnel by ... overdispersed`: its funnel plot's limits widened where the units are
    /// over-dispersed.
    pub overdispersed: bool,
    /// year, months, quarters, ytd: the total rows of each period, in order.
    pub cells: Vec<ResultRow>,
    /// The measure's breakdown rows, one line per breakdown value, in the run's order.
    pub breakdowns: Vec<BreakdownLine>,
    /// The later versions of its definition.
    pub versions: Vec<VersionMark>,
}

/// A later version of a measure's definition, as the book marks the break in its series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionMark {
    pub number: u32,
    pub from: NaiveDate,
    pub note: String,
}

impl VersionMark {
    /// `Definition version 2 from 2013-07-01: Timescale 10 to 15 working days`.
    pub fn describe(&self) -> String {
        format!("Definition version {} from {}: {}", self.number, self.from, self.note)
    }
}

/// One value of a measure's breakdown, shown under its measure.
#[derive(Clone, Debug)]
pub struct BreakdownLine {
    /// What the measure is broken down by (`legal_status`).
    pub breakdown: String,
    /// What the book calls it: the breakdown's label (`Legal status`), else its name.
    pub heading: String,
    /// The value, or `None` for rows where it is missing.
    pub value: Option<String>,
    pub cells: Vec<ResultRow>,
}

impl BreakdownLine {
    /// The line's label, as the book shows it: `Legal status: C2`.
    pub fn label(&self) -> String {
        format!("{}: {}", self.heading, self.value.as_deref().unwrap_or("(missing)"))
    }

    pub fn latest(&self) -> Option<&ResultRow> {
        latest_of(&self.cells)
    }
}

fn latest_of(cells: &[ResultRow]) -> Option<&ResultRow> {
    crate::results::latest(cells.iter())
}

impl BookLine {
    /// The row the book's "latest period" columns (RAG, direction) read.
    pub fn latest(&self) -> Option<&ResultRow> {
        latest_of(&self.cells)
    }

    /// A value as the book shows it: rounded to the measure's places, `%` on percentages,
    /// `c` when withheld.
    pub fn shown(&self, r: &ResultRow) -> String {
        r.shown()
    }

    /// A value's confidence interval as the book shows it (`55.3 to 73.6`), and its level
    /// (`95%`); none when withheld or the measure has no interval.
    pub fn interval(&self, r: &ResultRow) -> Option<(String, String)> {
        if r.suppressed || r.ci_low.is_none() {
            return None;
        }
        let level = r.confidence.map(|c| format!("{}%", crate::results::plain_number(c))).unwrap_or_default();
        Some((crate::results::display_interval(r), level))
    }

    /// A benchmark or other figure of the measure, at the measure's places.
    pub fn figure(&self, v: Option<f64>) -> String {
        display_value(v, self.precision)
    }

    pub fn target(&self) -> Option<f64> {
        self.cells.iter().rev().find_map(|r| r.target)
    }

    /// Where `r` starts a break in the series (the period before it was computed with another
    /// version of the definition): the version it was computed with.
    pub fn break_at(&self, r: &ResultRow) -> Option<&VersionMark> {
        if r.judgement != Some(crate::judgement::Judgement::DefinitionChanged) {
            return None;
        }
        self.versions.iter().find(|v| v.number == r.definition_version)
    }

    /// The breakdowns the line has, as the book heads them (`Legal status`), in order.
    pub fn breakdown_headings(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for b in &self.breakdowns {
            if !names.contains(&b.heading.as_str()) {
                names.push(&b.heading);
            }
        }
        names
    }
}

/// How the book shows one comparison of an interval with a benchmark: its words, and the fill
/// of the benchmark cell (colour-blind-safe: blue and orange, purples for higher and lower),
/// with white text on the dark fills.
pub struct ComparisonStyle {
    pub name: &'static str,
    pub label: &'static str,
    pub fill: u32,
    pub white_text: bool,
}

/// The comparisons, in the order a legend lists them.
pub const COMPARISONS: [ComparisonStyle; 5] = [
    ComparisonStyle { name: "better", label: "better than the benchmark", fill: 0x0571b0, white_text: true },
    ComparisonStyle { name: "similar", label: "similar to the benchmark", fill: 0xe3e3e3, white_text: false },
    ComparisonStyle { name: "worse", label: "worse than the benchmark", fill: 0xe66101, white_text: false },
    ComparisonStyle { name: "higher", label: "higher than the benchmark", fill: 0x542788, white_text: true },
    ComparisonStyle { name: "lower", label: "lower than the benchmark", fill: 0xb2abd2, white_text: false },
];

/// How a comparison (`compared_england`, `compared_sn`) is shown; `None` for `not_compared`.
pub fn comparison(compared: &str) -> Option<&'static ComparisonStyle> {
    COMPARISONS.iter().find(|c| c.name == compared)
}

impl Book {
    /// Every row the book lays out: each measure's own, then its breakdowns', measure by measure.
    pub fn rows(&self) -> impl Iterator<Item = &ResultRow> {
        self.lines.iter().flat_map(|l| l.cells.iter().chain(l.breakdowns.iter().flat_map(|b| &b.cells)))
    }

    /// The funnel plots of the measures that have one, in the book's order.
    pub fn funnels(&self) -> Vec<funnel_chart::FunnelChart> {
        self.lines.iter().filter_map(funnel_chart::of).collect()
    }

    /// Whether any line shows a break in its series, and so the book explains them.
    pub fn has_breaks(&self) -> bool {
        self.lines
            .iter()
            .any(|l| l.cells.iter().chain(l.breakdowns.iter().flat_map(|b| &b.cells)).any(|r| l.break_at(r).is_some()))
    }

    /// Whether any line shows a confidence interval, and so the book explains them.
    pub fn has_intervals(&self) -> bool {
        self.rows().any(|r| r.ci_low.is_some())
    }

    /// Whether any measure's latest interval was compared with a benchmark.
    pub fn has_comparisons(&self) -> bool {
        self.lines
            .iter()
            .filter_map(BookLine::latest)
            .any(|r| comparison(r.compared_england.name()).is_some() || comparison(r.compared_sn.name()).is_some())
    }
}

/// The book's heading: `[book] title` and `subtitle` in scorebook.toml.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    pub title: String,
    pub subtitle: Option<String>,
}

impl Default for Heading {
    fn default() -> Self {
        Heading { title: "Performance Book".into(), subtitle: None }
    }
}

/// The book: its lines in project order, and its columns (period labels).
#[derive(Clone, Debug)]
pub struct Book {
    pub heading: Heading,
    pub as_of: Option<NaiveDate>,
    pub periods: Vec<(PeriodKind, String)>,
    pub lines: Vec<BookLine>,
    /// SPC charts of the measures' monthly values, drawn in the HTML book and linked from
    /// each measure's row; empty when not asked for.
    pub charts: Vec<crate::spc::SpcRow>,
}

impl Book {
    /// How many measure lines and period columns the book has, for messages.
    pub fn summary(&self) -> String {
        let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let breakdowns: usize = self.lines.iter().map(|l| l.breakdowns.len()).sum();
        let mut s = format!(
            "{}, {}",
            plural(self.lines.len(), "measure", "measures"),
            plural(self.periods.len(), "period", "periods")
        );
        if breakdowns > 0 {
            s.push_str(&format!(", {}", plural(breakdowns, "breakdown line", "breakdown lines")));
        }
        s
    }
}

/// What the book shows of a measure beyond its rows.
#[derive(Clone, Debug, Default)]
pub struct LineFacts {
    pub polarity: String,
    pub overdispersed: bool,
    /// Each breakdown's name and the words the book heads its lines with, where they differ.
    pub headings: Vec<(String, String)>,
    /// The later versions of its definition.
    pub versions: Vec<VersionMark>,
}

pub fn layout(rows: &[ResultRow], facts_of: &dyn Fn(&str) -> LineFacts, heading: Heading) -> Book {
    let mut lines: Vec<BookLine> = Vec::new();
    // Each line's breakdown headings, beside it.
    let mut headings: Vec<Vec<(String, String)>> = Vec::new();
    let mut periods: Vec<(PeriodKind, String)> = Vec::new();
    for r in rows.iter().filter(|r| r.breakdown.is_none()) {
        if !periods.iter().any(|(_, l)| *l == r.period_label) {
            periods.push((r.period_kind, r.period_label.clone()));
        }
        match lines.last_mut() {
            Some(l) if l.reference == r.reference => l.cells.push(r.clone()),
            _ => {
                let facts = facts_of(&r.reference);
                headings.push(facts.headings);
                lines.push(BookLine {
                    theme: r.theme.clone().unwrap_or_default(),
                    reference: r.reference.clone(),
                    title: r.title.clone(),
                    unit: r.unit,
                    polarity: facts.polarity,
                    precision: r.precision,
                    overdispersed: facts.overdispersed,
                    cells: vec![r.clone()],
                    breakdowns: Vec::new(),
                    versions: facts.versions,
                })
            }
        }
    }
    for r in rows.iter() {
        let Some(breakdown) = &r.breakdown else { continue };
        let Some(at) = lines.iter().position(|l| l.reference == r.reference) else { continue };
        let line = &mut lines[at];
        match line.breakdowns.iter_mut().find(|b| &b.breakdown == breakdown && b.value == r.breakdown_value) {
            Some(b) => b.cells.push(r.clone()),
            None => line.breakdowns.push(BreakdownLine {
                breakdown: breakdown.clone(),
                heading: headings[at]
                    .iter()
                    .find(|(name, _)| name == breakdown)
                    .map_or_else(|| breakdown.clone(), |(_, heading)| heading.clone()),
                value: r.breakdown_value.clone(),
                cells: vec![r.clone()],
            }),
        }
    }
    // A group with no member in any period (every figure 0 or missing: a band below the
    // measure's own age limit, say) is left out of the books; the result table keeps its rows.
    let member = |r: &ResultRow| {
        r.suppressed || [r.numerator, r.denominator, r.value].iter().any(|x| x.is_some_and(|x| x != 0.0))
    };
    for line in &mut lines {
        line.breakdowns.retain(|b| b.cells.iter().any(member));
    }
    Book { heading, as_of: rows.first().map(|r| r.as_of), periods, lines, charts: Vec::new() }
}

/// Text escaped for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The text with its first letter a capital.
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// The arrow of a row's direction of travel; none without one.
fn arrow(direction: Option<crate::judgement::Direction>) -> &'static str {
    direction.map_or("", crate::judgement::Direction::arrow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::sample_row;

    /// A breakdown line whose every period is 0 (or 0 of 0) is left out; a line with a member in
    /// some period, or with a population, stays.
    #[test]
    fn a_group_with_no_member_in_any_period_is_left_out() {
        let by = |unit: &str, value: &str, n: Option<f64>, d: Option<f64>, v: Option<f64>| ResultRow {
            breakdown: Some("age_band".into()),
            breakdown_value: Some(value.into()),
            ..sample_row(unit, n, d, v)
        };
        let rows = vec![
            sample_row("percent", Some(3.0), Some(10.0), Some(30.0)),
            by("percent", "under 1", Some(0.0), Some(0.0), None),
            by("percent", "1 to 4", Some(3.0), Some(10.0), Some(30.0)),
            by("percent", "5 to 9", Some(0.0), Some(4.0), Some(0.0)),
        ];
        let facts = |_: &str| LineFacts::default();
        let book = layout(&rows, &facts, Heading::default());
        let kept: Vec<_> = book.lines[0].breakdowns.iter().map(|b| b.value.clone().unwrap()).collect();
        assert_eq!(kept, ["1 to 4", "5 to 9"]);
        // A count of 0 in every period has no member; a suppressed one may.
        let rows = vec![
            sample_row("count", None, None, Some(2.0)),
            by("count", "under 1", None, None, Some(0.0)),
            ResultRow { suppressed: true, ..by("count", "1 to 4", None, None, None) },
        ];
        let book = layout(&rows, &facts, Heading::default());
        assert_eq!(book.lines[0].breakdowns.len(), 1);
        assert_eq!(book.lines[0].breakdowns[0].value.as_deref(), Some("1 to 4"));
    }
}
