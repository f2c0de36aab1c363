//! The performance book as people read it: the seed's "Improvement Board Performance Book"
//! (themes, refs, titles, polarity, last year, months, quarters, year to date, direction of
//! travel, statistical-neighbour and England benchmarks, RAG) and its "Target Tracker",
//! laid out from the result table and written as HTML, Excel or Markdown.

mod html;
mod markdown;
mod xlsx;

pub use html::to_html;
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
    pub unit: String,
    pub polarity: String,
    pub precision: u8,
    /// year, months, quarters, ytd: the total rows of each period, in order.
    pub cells: Vec<ResultRow>,
}

impl BookLine {
    fn latest_month(&self) -> Option<&ResultRow> {
        self.cells.iter().rev().find(|r| r.period_kind == PeriodKind::Month)
    }

    /// The row the book's "latest period" columns (RAG, direction) read.
    pub fn latest(&self) -> Option<&ResultRow> {
        self.latest_month().or_else(|| self.cells.last())
    }

    pub fn shown(&self, r: &ResultRow) -> String {
        if r.suppressed {
            return "c".into();
        }
        let v = display_value(r.value, self.precision);
        if v.is_empty() || self.unit != "percent" {
            v
        } else {
            format!("{v}%")
        }
    }

    pub fn target(&self) -> Option<f64> {
        self.cells.iter().rev().find_map(|r| r.target)
    }
}

/// The book: its lines in project order, and its columns (period labels).
#[derive(Clone, Debug)]
pub struct Book {
    pub as_of: Option<NaiveDate>,
    pub periods: Vec<(PeriodKind, String)>,
    pub lines: Vec<BookLine>,
}

pub fn layout(rows: &[ResultRow], polarity_of: &dyn Fn(&str) -> String) -> Book {
    let mut lines: Vec<BookLine> = Vec::new();
    let mut periods: Vec<(PeriodKind, String)> = Vec::new();
    for r in rows.iter().filter(|r| r.breakdown.is_none()) {
        if !periods.iter().any(|(_, l)| *l == r.period_label) {
            periods.push((r.period_kind, r.period_label.clone()));
        }
        match lines.last_mut() {
            Some(l) if l.reference == r.reference => l.cells.push(r.clone()),
            _ => lines.push(BookLine {
                theme: r.theme.clone().unwrap_or_default(),
                reference: r.reference.clone(),
                title: r.title.clone(),
                unit: r.unit.clone(),
                polarity: polarity_of(&r.reference),
                precision: r.precision,
                cells: vec![r.clone()],
            }),
        }
    }
    Book { as_of: rows.first().map(|r| r.as_of), periods, lines }
}

/// An arrow for a direction of travel.
pub fn arrow(direction: Option<&str>) -> &'static str {
    match direction {
        Some("up") => "↑",
        Some("down") => "↓",
        Some("same") => "→",
        _ => "",
    }
}

/// The short label of a period column, as the seed's book heads them.
pub fn column_label(kind: PeriodKind, label: &str) -> String {
    match kind {
        PeriodKind::Year => format!("yr end {}", label),
        PeriodKind::Month => {
            let month = label.get(5..7).and_then(|m| m.parse::<u32>().ok()).unwrap_or(1);
            let name = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
                [(month as usize).saturating_sub(1) % 12];
            format!("{name} {}", label.get(2..4).unwrap_or(""))
        }
        PeriodKind::Quarter => label.rsplit(' ').next().unwrap_or(label).to_string(),
        PeriodKind::Ytd => "YTD".into(),
    }
}
