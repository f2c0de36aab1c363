//! The book as one self-contained HTML page (no scripts, fonts or images from the network).

use super::{arrow, capitalised, esc, Book, BookLine};
use crate::calendar::PeriodKind;
use crate::results::ResultRow;

fn rag_cell(rag: Option<&str>) -> String {
    match rag {
        Some(r) => format!("<td class=\"rag {r}\">{}</td>", esc(&capitalised(r))),
        None => "<td class=\"rag\"></td>".into(),
    }
}

/// A small line of the monthly values, as inline SVG, with each month's confidence interval
/// as a whisker behind it when the measure has intervals.
fn trend(reference: &str, cells: &[ResultRow]) -> String {
    let months: Vec<&ResultRow> =
        cells.iter().filter(|r| r.period_kind == PeriodKind::Month && !r.suppressed && r.value.is_some()).collect();
    if months.len() < 2 {
        return String::new();
    }
    let whiskers = months.iter().any(|r| r.ci_low.is_some());
    let (lo, hi) = months
        .iter()
        .flat_map(|r| [r.value, r.ci_low, r.ci_high])
        .flatten()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (w, h) = if whiskers { (96.0, 32.0) } else { (80.0, 20.0) };
    let (inset, step) = (3.0, (w - 6.0) / (months.len() - 1) as f64);
    let x = |i: usize| inset + i as f64 * step;
    let y = |v: f64| h - 2.0 - (v - lo) / span * (h - 4.0);
    let mut marks = String::new();
    for (i, r) in months.iter().enumerate() {
        if let (Some(l), Some(u)) = (r.ci_low, r.ci_high) {
            let (x, yl, yu) = (x(i), y(l), y(u));
            marks.push_str(&format!(
                "<path class=\"whisker\" d=\"M{x:.1} {yl:.1}V{yu:.1}M{:.1} {yl:.1}h3M{:.1} {yu:.1}h3\"/>",
                x - 1.5,
                x - 1.5
            ));
        }
    }
    let points: Vec<String> =
        months.iter().enumerate().filter_map(|(i, r)| r.value.map(|v| format!("{:.1},{:.1}", x(i), y(v)))).collect();
    format!(
        "<svg class=\"trend\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"trend of {}{}\">{marks}<polyline fill=\"none\" stroke=\"#333\" stroke-width=\"1.5\" points=\"{}\"/></svg>",
        esc(reference),
        if whiskers { " with confidence intervals" } else { "" },
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
.ci{display:block;font-size:10px;color:#555;font-weight:normal}
svg .whisker{stroke:#8c8c8c;stroke-width:1;fill:none}
body:has(#show-intervals:not(:checked)) .ci,body:has(#show-intervals:not(:checked)) svg .whisker{display:none}
.legend span.key{display:inline-block;padding:1px 6px;margin:0 6px 0 2px;border:1px solid #999}
td.break{border-left:3px solid #542788}sup.v{color:#542788;font-weight:bold;margin-right:3px}
span.version{display:block;font-size:11px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
@media print{label.toggle,label.intervals{display:none}}";

/// The fills of the benchmark cells' comparison classes (`cmp-better`, ...).
fn comparison_style() -> String {
    super::COMPARISONS
        .iter()
        .map(|c| {
            format!(
                "td.cmp-{}{{background:#{:06x};color:{}}}",
                c.name,
                c.fill,
                if c.white_text { "#fff" } else { "#000" }
            )
        })
        .collect()
}

/// A benchmark cell, coloured by how the measure's interval compares with it.
fn benchmark_cell(figure: &str, compared: &str) -> String {
    match super::comparison(compared) {
        Some(c) if !figure.is_empty() => format!(
            "<td class=\"num cmp-{compared}\" title=\"{}\">{}<span class=\"sr\"> ({})</span></td>",
            esc(&format!("the interval is {}", c.label)),
            esc(figure),
            c.label
        ),
        _ => format!("<td class=\"num\">{}</td>", esc(figure)),
    }
}

/// The page's key to the interval text, whiskers and benchmark colours, with the switch that
/// hides intervals.
fn legend(book: &Book) -> String {
    let mut out = String::new();
    if book.has_intervals() {
        out.push_str("<p class=\"meta legend\"><label class=\"intervals\"><input type=\"checkbox\" id=\"show-intervals\" checked> Show confidence intervals</label> — under each value, and as whiskers on the trend line, where the measure has one.</p>\n");
    }
    if book.has_comparisons() {
        out.push_str("<p class=\"meta legend\">Benchmark cells compare the latest month's confidence interval with the benchmark:");
        for c in &super::COMPARISONS {
            out.push_str(&format!(
                " <span class=\"key\" style=\"background:#{:06x}{}\">{}</span>",
                c.fill,
                if c.white_text { ";color:#fff" } else { "" },
                esc(&capitalised(c.label))
            ));
        }
        out.push_str(" Uncoloured: not compared.</p>\n");
    }
    if book.has_breaks() {
        out.push_str("<p class=\"meta legend\"><span class=\"key\" style=\"border-left:3px solid #542788\"><sup class=\"v\">v2</sup></span> A break in the series: the value was computed with a later version of the measure's definition than the period before it, and the direction of travel is not judged across the change (judgement \"definition changed\").</p>\n");
    }
    out
}

/// The cells after the measure's label, RAG and period values: direction, trend, benchmarks.
fn judgement_cells(line: &BookLine, reference: &str, cells: &[ResultRow], benchmarks: bool) -> String {
    let latest = super::latest_of(cells);
    let direction = latest.and_then(|r| r.direction.map(crate::judgement::Direction::name));
    let judgement = latest.and_then(|r| r.judgement.map(crate::judgement::Judgement::name)).unwrap_or("");
    let bench = |f: fn(&ResultRow) -> Option<f64>, compared: fn(&ResultRow) -> &str| {
        if benchmarks {
            benchmark_cell(&line.figure(latest.and_then(f)), latest.map(compared).unwrap_or_default())
        } else {
            "<td class=\"num\"></td>".into()
        }
    };
    format!(
        "<td class=\"dir\" title=\"{}\">{}<span class=\"meta\" style=\"font-size:11px\"> {}</span></td><td>{}</td>{}{}",
        esc(format!("{} {}", direction.unwrap_or(""), judgement).trim()),
        arrow(latest.and_then(|r| r.direction)),
        esc(&judgement.replace('_', " ")),
        trend(reference, cells),
        bench(|r| r.benchmark_sn, |r| r.compared_sn.name()),
        bench(|r| r.benchmark_england, |r| r.compared_england.name())
    )
}

fn period_cells(book: &Book, line: &BookLine, cells: &[ResultRow]) -> String {
    book.periods
        .iter()
        .map(|(_, label)| {
            let cell = cells.iter().find(|r| &r.period_label == label);
            let mut shown = cell.map(|r| esc(&line.shown(r))).unwrap_or_default();
            // A break in the series: the period before was computed with another definition.
            let mut class = "num";
            let mut titles: Vec<String> = Vec::new();
            if let Some(v) = cell.and_then(|r| line.break_at(r)) {
                class = "num break";
                titles.push(format!("{} (not judged against the period before)", v.describe()));
                shown = format!("<sup class=\"v\">v{}</sup>{shown}", v.number);
            }
            let mut interval_text = String::new();
            if let Some((interval, level)) = cell.and_then(|r| line.interval(r)) {
                titles.push(format!("{level} confidence interval: {interval}"));
                interval_text = format!("<span class=\"ci\">{}</span>", esc(&interval.replace(" to ", "–")));
            }
            let title =
                if titles.is_empty() { String::new() } else { format!(" title=\"{}\"", esc(&titles.join("; "))) };
            format!("<td class=\"{class}\"{title}>{shown}{interval_text}</td>")
        })
        .collect()
}

/// Under a measure's title, each later version of its definition: from when, and why.
fn versions_note(line: &BookLine) -> String {
    line.versions.iter().map(|v| format!("<span class=\"meta version\">{}</span>", esc(&v.describe()))).collect()
}

/// One funnel plot: its heading, the chart, and its units' figures and labels.
fn funnel_section(chart: &super::funnel_chart::FunnelChart) -> String {
    let figure = |v: f64| crate::results::display_value(Some(v), 1);
    let mut out = format!(
        "<h3 id=\"funnel-{}\">{} {} — {}</h3>\n<p class=\"meta\">Average {}.{}</p>\n{}\n",
        esc(&chart.reference),
        esc(&chart.reference),
        esc(&chart.title),
        esc(&chart.period_label),
        figure(chart.average),
        esc(&super::funnel_chart::limits_note(chart)),
        super::funnel_chart::svg(chart)
    );
    out.push_str(&format!(
        "<table class=\"funnel\" data-ref=\"{}\">\n<thead><tr><th>Unit</th><th>Value</th><th>{}</th><th>Funnel</th></tr></thead>\n<tbody>\n",
        esc(&chart.reference),
        esc(&capitalised(chart.x_name))
    ));
    for u in &chart.units {
        out.push_str(&format!(
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"{}\">{}</td></tr>\n",
            esc(&u.label),
            figure(u.value),
            crate::results::plain_number(u.x.round()),
            super::funnel_chart::class(u.significance),
            esc(u.significance.label())
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// The funnel plots on a page of their own (`scorebook funnel`).
pub fn funnel_page(charts: &[super::funnel_chart::FunnelChart], title: &str, as_of: chrono::NaiveDate) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}\n{}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(title),
        super::funnel_chart::STYLE,
        esc(title)
    );
    out.push_str(&format!("<p class=\"meta\">As of {as_of}. {FUNNELS_INTRO}</p>\n"));
    out.push_str(&super::funnel_chart::legend());
    for chart in charts {
        out.push_str(&funnel_section(chart));
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// What a page of funnel plots shows, under its heading.
const FUNNELS_INTRO: &str = "Each unit's value against its denominator, around the average, with PHE's 95% and 99.8% control limits (<i>Technical Guide: Funnel plots</i>); the period drawn is the latest year to date with units judged.";

pub fn to_html(book: &Book) -> String {
    let title = &book.heading.title;
    let funnels = book.funnels();
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!(
        "<title>{}</title>\n<style>{STYLE}\n{}\n{}{}</style>\n</head>\n<body>\n",
        esc(title),
        comparison_style(),
        if book.charts.is_empty() { "" } else { crate::spc::STYLE },
        if funnels.is_empty() { "" } else { super::funnel_chart::STYLE }
    ));
    out.push_str(&format!("<h1>{}</h1>\n", esc(title)));
    if let Some(subtitle) = &book.heading.subtitle {
        out.push_str(&format!("<p class=\"subtitle\">{}</p>\n", esc(subtitle)));
    }
    if let Some(d) = book.as_of {
        out.push_str(&format!("<p class=\"meta\">As of {d}. RAG is shown as colour and as text; arrows compare the latest month with the month before. Breakdowns are listed under their measure.</p>\n"));
    }
    out.push_str(&legend(book));
    out.push_str("<h2>Performance Book</h2>\n<table id=\"book\">\n<thead><tr><th>Theme</th><th>Ref</th><th>Measure</th><th>Polarity</th><th>RAG</th>");
    for (kind, label) in &book.periods {
        out.push_str(&format!("<th>{}</th>", esc(&kind.column_label(label))));
    }
    out.push_str("<th>Direction</th><th>Trend</th><th>SN Av</th><th>England Av</th></tr></thead>\n");
    let mut last_theme = String::new();
    for line in &book.lines {
        let latest = line.latest();
        let theme = if line.theme != last_theme { line.theme.clone() } else { String::new() };
        last_theme = line.theme.clone();
        out.push_str("<tbody>\n");
        let toggle = match line.breakdown_headings().as_slice() {
            [] => String::new(),
            names => format!(
                "<label class=\"toggle\"><input type=\"checkbox\" class=\"toggle\" checked aria-label=\"show the breakdown of {}\"> by {}</label>",
                esc(&line.reference),
                esc(&names.join(", "))
            ),
        };
        let reference = if book.charts.iter().any(|r| r.reference == line.reference) {
            format!(
                "<a href=\"#{}\" title=\"the SPC chart of {}\">{}</a>",
                crate::spc::anchor(&line.reference),
                esc(&line.reference),
                esc(&line.reference)
            )
        } else {
            esc(&line.reference)
        };
        out.push_str(&format!(
            "<tr data-ref=\"{}\"><td class=\"theme\">{}</td><td>{reference}</td><td>{}{}{toggle}</td><td>{}</td>{}",
            esc(&line.reference),
            esc(&theme),
            esc(&line.title),
            versions_note(line),
            esc(&line.polarity.replace('_', " ")),
            rag_cell(latest.and_then(|r| r.rag.map(crate::ir::RagColour::name)))
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
                rag_cell(b.latest().and_then(|r| r.rag.map(crate::ir::RagColour::name)))
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
        out.push_str(&format!("<th>{}</th><th>RAG</th>", esc(&PeriodKind::Month.column_label(label))));
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
                rag_cell(c.and_then(|r| r.rag.map(crate::ir::RagColour::name)))
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    if !funnels.is_empty() {
        out.push_str(&format!("<h2 id=\"funnels\">Funnel plots</h2>\n<p class=\"meta\">{FUNNELS_INTRO}</p>\n"));
        out.push_str(&super::funnel_chart::legend());
        for chart in &funnels {
            out.push_str(&funnel_section(chart));
        }
    }
    if !book.charts.is_empty() {
        out.push_str("<h2 id=\"spc\">SPC charts</h2>\n<p class=\"meta\">Each measure's monthly values as Making Data Count charts them: the mean, process limits at the mean ± 2.66 mean moving ranges, and special causes (a point outside the limits, a run or trend, two of three points near a limit).</p>\n");
        out.push_str(&crate::spc::charts_section(&book.charts));
    }
    out.push_str("</body>\n</html>\n");
    out
}
