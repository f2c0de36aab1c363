//! The book as Markdown, for pasting into reports: the heading, then one table row per
//! measure with its breakdown rows indented under it, then each funnel plot's units.

use super::{arrow, capitalised, Book, BookLine};
use crate::results::ResultRow;

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The cells of one row from its label on: RAG, the period values, direction and judgement,
/// and (on a measure's own row) the benchmarks.
fn row_cells(book: &Book, line: &BookLine, cells: &[ResultRow], benchmarks: bool) -> Vec<String> {
    let latest = super::latest_of(cells);
    let mut row = vec![latest.and_then(|r| r.rag.map(|c| c.name().to_string())).unwrap_or_default()];
    for (_, label) in &book.periods {
        // A break in the series (another definition than the period before's): `(v2) 61.2%`.
        let shown = |r: &ResultRow| match line.break_at(r) {
            Some(v) => format!("(v{}) {}", v.number, line.shown(r)),
            None => line.shown(r),
        };
        row.push(cells.iter().find(|r| &r.period_label == label).map(shown).unwrap_or_default());
    }
    row.push(
        format!(
            "{} {}",
            arrow(latest.and_then(|r| r.direction)),
            latest.and_then(|r| r.judgement.map(crate::judgement::Judgement::name)).unwrap_or("").replace('_', " ")
        )
        .trim()
        .to_string(),
    );
    for f in [|r: &ResultRow| r.benchmark_sn, |r: &ResultRow| r.benchmark_england] {
        row.push(if benchmarks { line.figure(latest.and_then(f)) } else { String::new() });
    }
    row
}

pub fn to_markdown(book: &Book) -> String {
    let mut out = format!("# {}\n\n", book.heading.title);
    if let Some(subtitle) = &book.heading.subtitle {
        out.push_str(&format!("{subtitle}\n\n"));
    }
    if let Some(d) = book.as_of {
        out.push_str(&format!("As of {d}.\n\n"));
    }
    let mut head = vec!["Ref".to_string(), "Measure".into(), "RAG".into()];
    head.extend(book.periods.iter().map(|(k, l)| k.column_label(l)));
    head.extend(["Direction".to_string(), "SN Av".into(), "England Av".into()]);
    out.push_str(&format!(
        "| {} |\n|{}|\n",
        head.join(" | "),
        head.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    ));
    for line in &book.lines {
        let mut row = vec![cell(&line.reference), cell(&line.title)];
        row.extend(row_cells(book, line, &line.cells, true));
        out.push_str(&format!("| {} |\n", row.join(" | ")));
        for b in &line.breakdowns {
            // Markdown trims leading spaces in a cell: the indent is non-breaking.
            let mut row = vec![String::new(), format!("\u{a0}\u{a0}\u{a0}\u{a0}↳ {}", cell(&b.label()))];
            row.extend(row_cells(book, line, &b.cells, false));
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
    }
    let versions: Vec<String> = book
        .lines
        .iter()
        .flat_map(|l| {
            l.versions.iter().map(move |v| format!("- {} {}: {}", cell(&l.reference), cell(&l.title), v.describe()))
        })
        .collect();
    if !versions.is_empty() {
        out.push_str("\nDefinitions changed (`(vN)` marks the first value of a period computed with version N; directions are not judged across a change):\n\n");
        out.push_str(&versions.join("\n"));
        out.push('\n');
    }
    for chart in book.funnels() {
        out.push_str(&format!(
            "\n## Funnel plot: {} {}, {}\n\nAverage {}.{}\n\n| Unit | Value | {} | Funnel |\n|---|---|---|---|\n",
            cell(&chart.reference),
            cell(&chart.title),
            chart.period_label,
            crate::results::display_value(Some(chart.average), 1),
            super::funnel_chart::limits_note(&chart),
            capitalised(chart.x_name)
        ));
        for u in &chart.units {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                cell(&u.label),
                crate::results::display_value(Some(u.value), 1),
                crate::results::plain_number(u.x.round()),
                u.significance.label()
            ));
        }
    }
    out
}
