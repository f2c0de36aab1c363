//! The book as one self-contained HTML page (no scripts, fonts or images from the network).

use super::{arrow, column_label, Book, BookLine};
use crate::calendar::PeriodKind;
use crate::results::ResultRow;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn rag_cell(rag: Option<&str>) -> String {
    match rag {
        Some(r) => format!("<td class=\"rag {r}\">{}</td>", esc(&capitalised(r))),
        None => "<td class=\"rag\"></td>".into(),
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// A small line of the monthly values, as inline SVG.
fn trend(reference: &str, cells: &[ResultRow]) -> String {
    let values: Vec<f64> =
        cells.iter().filter(|r| r.period_kind == PeriodKind::Month && !r.suppressed).filter_map(|r| r.value).collect();
    if values.len() < 2 {
        return String::new();
    }
    let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (w, h) = (80.0, 20.0);
    let step = w / (values.len() - 1) as f64;
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", i as f64 * step, h - 2.0 - (v - lo) / span * (h - 4.0)))
        .collect();
    format!(
        "<svg class=\"trend\" width=\"80\" height=\"20\" viewBox=\"0 0 80 20\" role=\"img\" aria-label=\"trend of {}\"><polyline fill=\"none\" stroke=\"#333\" stroke-width=\"1.5\" points=\"{}\"/></svg>",
        esc(reference),
        points.join(" ")
    )
}

const STYLE: &str = "body{font-family:Arial,Helvetica,sans-serif;font-size:13px;margin:24px;color:#111}
h1{font-size:20px}h2{font-size:16px;margin-top:32px}
table{border-collapse:collapse}th,td{border:1px solid #999;padding:3px 6px;vertical-align:top}
th{background:#dde3ea}td.num{text-align:right;white-space:nowrap}td.theme{font-weight:bold;background:#f3f5f7}
td.rag{font-weight:bold;text-align:center}td.green{background:#66bd63}td.amber{background:#fdae61}td.red{background:#d7301f;color:#fff}
td.dir{text-align:center;font-size:16px}.meta{color:#555}
tr.breakdown td{background:#fafbfc;font-size:12px}tr.breakdown td.label{padding-left:22px;color:#333}
label.toggle{display:block;margin-top:3px;font-size:11px;color:#555;cursor:pointer}
tbody:has(input.toggle:not(:checked)) tr.breakdown{display:none}
@media print{label.toggle{display:none}}";

/// The cells after the measure's label, RAG and period values: direction, trend, benchmarks.
fn judgement_cells(line: &BookLine, reference: &str, cells: &[ResultRow], benchmarks: bool) -> String {
    let latest = super::latest_of(cells);
    let direction = latest.and_then(|r| r.direction.as_deref());
    let judgement = latest.and_then(|r| r.judgement.as_deref()).unwrap_or("");
    let bench = |f: fn(&ResultRow) -> Option<f64>| {
        if benchmarks {
            esc(&line.figure(latest.and_then(f)))
        } else {
            String::new()
        }
    };
    format!(
        "<td class=\"dir\" title=\"{}\">{}<span class=\"meta\" style=\"font-size:11px\"> {}</span></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
        esc(format!("{} {}", direction.unwrap_or(""), judgement).trim()),
        arrow(direction),
        esc(&judgement.replace('_', " ")),
        trend(reference, cells),
        bench(|r| r.benchmark_sn),
        bench(|r| r.benchmark_england)
    )
}

fn period_cells(book: &Book, line: &BookLine, cells: &[ResultRow]) -> String {
    book.periods
        .iter()
        .map(|(_, label)| {
            let cell = cells.iter().find(|r| &r.period_label == label);
            format!("<td class=\"num\">{}</td>", cell.map(|r| esc(&line.shown(r))).unwrap_or_default())
        })
        .collect()
}

pub fn to_html(book: &Book) -> String {
    let title = &book.heading.title;
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!("<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n", esc(title)));
    out.push_str(&format!("<h1>{}</h1>\n", esc(title)));
    if let Some(subtitle) = &book.heading.subtitle {
        out.push_str(&format!("<p class=\"subtitle\">{}</p>\n", esc(subtitle)));
    }
    if let Some(d) = book.as_of {
        out.push_str(&format!("<p class=\"meta\">As of {d}. RAG is shown as colour and as text; arrows compare the latest month with the month before. Breakdowns are listed under their measure.</p>\n"));
    }
    out.push_str("<h2>Performance Book</h2>\n<table id=\"book\">\n<thead><tr><th>Theme</th><th>Ref</th><th>Measure</th><th>Polarity</th><th>RAG</th>");
    for (kind, label) in &book.periods {
        out.push_str(&format!("<th>{}</th>", esc(&column_label(*kind, label))));
    }
    out.push_str("<th>Direction</th><th>Trend</th><th>SN Av</th><th>England Av</th></tr></thead>\n");
    let mut last_theme = String::new();
    for line in &book.lines {
        let latest = line.latest();
        let theme = if line.theme != last_theme { line.theme.clone() } else { String::new() };
        last_theme = line.theme.clone();
        out.push_str("<tbody>\n");
        let toggle = match line.breakdown_names().as_slice() {
            [] => String::new(),
            names => format!(
                "<label class=\"toggle\"><input type=\"checkbox\" class=\"toggle\" checked aria-label=\"show the breakdown of {}\"> by {}</label>",
                esc(&line.reference),
                esc(&names.join(", "))
            ),
        };
        out.push_str(&format!(
            "<tr data-ref=\"{}\"><td class=\"theme\">{}</td><td>{}</td><td>{}{toggle}</td><td>{}</td>{}",
            esc(&line.reference),
            esc(&theme),
            esc(&line.reference),
            esc(&line.title),
            esc(&line.polarity.replace('_', " ")),
            rag_cell(latest.and_then(|r| r.rag.as_deref()))
        ));
        out.push_str(&period_cells(book, line, &line.cells));
        out.push_str(&judgement_cells(line, &line.reference, &line.cells, true));
        out.push_str("</tr>\n");
        for b in &line.breakdowns {
            out.push_str(&format!(
                "<tr class=\"breakdown\" data-ref=\"{}\" data-breakdown=\"{}\" data-value=\"{}\"><td></td><td></td><td class=\"label\">{}</td><td></td>{}",
                esc(&line.reference),
                esc(&b.breakdown),
                esc(b.value.as_deref().unwrap_or("")),
                esc(&b.label()),
                rag_cell(b.latest().and_then(|r| r.rag.as_deref()))
            ));
            out.push_str(&period_cells(book, line, &b.cells));
            out.push_str(&judgement_cells(line, &format!("{} {}", line.reference, b.label()), &b.cells, false));
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n");
    }
    out.push_str("</table>\n");

    out.push_str("<h2>Target Tracker</h2>\n<table id=\"tracker\">\n<thead><tr><th>Theme</th><th>Ref</th><th>Measure</th><th>Target</th>");
    let months: Vec<&String> =
        book.periods.iter().filter(|(k, _)| *k == PeriodKind::Month).map(|(_, l)| l).rev().take(2).collect();
    for label in months.iter().rev() {
        out.push_str(&format!("<th>{}</th><th>RAG</th>", esc(&column_label(PeriodKind::Month, label))));
    }
    out.push_str("<th>YTD</th><th>RAG</th></tr></thead>\n<tbody>\n");
    for line in book.lines.iter().filter(|l| l.target().is_some()) {
        let target =
            line.cells.iter().find(|r| r.period_kind == PeriodKind::Year).and_then(|r| r.target).or(line.target());
        out.push_str(&format!(
            "<tr data-ref=\"{}\"><td class=\"theme\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>",
            esc(&line.reference),
            esc(&line.theme),
            esc(&line.reference),
            esc(&line.title),
            target.map(|t| crate::results::display_value(Some(t), line.precision.min(1))).unwrap_or_default()
        ));
        let mut cells: Vec<Option<&ResultRow>> =
            months.iter().rev().map(|l| line.cells.iter().find(|r| &&r.period_label == l)).collect();
        cells.push(line.cells.iter().find(|r| r.period_kind == PeriodKind::Ytd));
        for c in cells {
            out.push_str(&format!(
                "<td class=\"num\">{}</td>{}",
                c.map(|r| esc(&line.shown(r))).unwrap_or_default(),
                rag_cell(c.and_then(|r| r.rag.as_deref()))
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    out
}
