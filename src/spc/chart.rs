//! SPC charts as self-contained HTML: one XmR chart per measure (values, mean, process
//! limits, target, special-cause points coloured as Making Data Count colours them) with its
//! variation and assurance icons. The book's HTML embeds the same section.

use super::SpcRow;
use crate::calendar::PeriodKind;
use crate::results::display_value;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Making Data Count's colours: grey common cause, blue improvement, orange concern, purple
/// for a special cause on a measure without a polarity.
fn colour(cause: Option<&str>) -> &'static str {
    match cause {
        Some("improvement") => "#289de0",
        Some("concern") => "#fab428",
        Some("neither") => "#361475",
        _ => "#7b7d7d",
    }
}

/// The anchor of a measure's chart, for links from the book.
pub fn anchor(reference: &str) -> String {
    let safe: String = reference.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("spc-{safe}")
}

pub const STYLE: &str = "section.spc{margin:24px 0;page-break-inside:avoid}section.spc h3{font-size:15px;margin:0 0 4px}
.spc .icons{display:inline-flex;gap:8px;vertical-align:middle;margin-left:8px}.spc .summary{color:#555;font-size:12px;margin:2px 0 6px}
.spc svg text{font-family:Arial,Helvetica,sans-serif;font-size:10px;fill:#333}.spc-key span{display:inline-block;width:10px;height:10px;border-radius:5px;margin:0 4px 0 10px;vertical-align:middle}";

/// The variation icon: a circle in the cause's colour, `H` or `L` for the side of the special
/// cause, a level line for common cause.
fn variation_icon(variation: Option<&str>, high: bool) -> String {
    let (fill, mark, title) = match variation {
        Some("special_cause_improvement") => {
            (colour(Some("improvement")), if high { "H" } else { "L" }, "special cause: improvement")
        }
        Some("special_cause_concern") => {
            (colour(Some("concern")), if high { "H" } else { "L" }, "special cause: concern")
        }
        Some("neither") => {
            (colour(Some("neither")), if high { "H" } else { "L" }, "special cause: neither improvement nor concern")
        }
        Some(_) => (colour(None), "", "common cause variation"),
        None => return String::new(),
    };
    let inner = if mark.is_empty() {
        "<path d=\"M10 22h24\" stroke=\"#fff\" stroke-width=\"3\"/>".to_string()
    } else {
        format!("<text x=\"22\" y=\"28\" text-anchor=\"middle\" style=\"font-size:16px;font-weight:bold;fill:#fff\">{mark}</text>")
    };
    format!(
        "<svg width=\"44\" height=\"44\" viewBox=\"0 0 44 44\" role=\"img\" aria-label=\"variation: {title}\"><title>Variation: {title}</title><circle cx=\"22\" cy=\"22\" r=\"20\" fill=\"{fill}\"/>{inner}</svg>"
    )
}

/// The assurance icon: `P` the target is consistently met, `F` consistently missed, `?` hit
/// and miss.
fn assurance_icon(assurance: Option<&str>) -> String {
    let (fill, mark, title) = match assurance {
        Some("pass") => (colour(Some("improvement")), "P", "the process will consistently meet the target"),
        Some("fail") => (colour(Some("concern")), "F", "the process will consistently miss the target"),
        Some("hit_and_miss") => (colour(None), "?", "the process will hit and miss the target"),
        _ => return String::new(),
    };
    format!(
        "<svg width=\"44\" height=\"44\" viewBox=\"0 0 44 44\" role=\"img\" aria-label=\"assurance: {title}\"><title>Assurance: {title}</title><circle cx=\"22\" cy=\"22\" r=\"20\" fill=\"#fff\" stroke=\"{fill}\" stroke-width=\"4\"/><text x=\"22\" y=\"28\" text-anchor=\"middle\" style=\"font-size:16px;font-weight:bold;fill:{fill}\">{mark}</text></svg>"
    )
}

/// One measure's chart.
fn chart(rows: &[&SpcRow]) -> String {
    let first = rows[0];
    let places = first.precision;
    let show = |v: f64| display_value(Some(v), places);
    let (w, h, left, right, top, bottom) = (760.0, 240.0, 56.0, 16.0, 12.0, 36.0);
    let figures: Vec<f64> =
        rows.iter().flat_map(|r| [r.value, r.lpl, r.upl, r.target]).flatten().filter(|v| v.is_finite()).collect();
    let (mut lo, mut hi) = figures.iter().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    if figures.is_empty() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-9 {
        (lo, hi) = (lo - 1.0, hi + 1.0);
    }
    let pad = (hi - lo) * 0.06;
    let (lo, hi) = (lo - pad, hi + pad);
    let step = (w - left - right) / (rows.len().max(2) - 1) as f64;
    let x = |i: usize| left + i as f64 * step;
    let y = |v: f64| top + (hi - v) / (hi - lo) * (h - top - bottom);
    let mut svg = format!(
        "<svg class=\"xmr\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"XmR chart of {}\">",
        esc(&first.reference)
    );
    for k in 0..=4 {
        let v = lo + (hi - lo) * k as f64 / 4.0;
        svg.push_str(&format!(
            "<path d=\"M{left} {y:.1}H{}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            w - right,
            left - 6.0,
            y(v) + 3.0,
            esc(&show(v)),
            y = y(v)
        ));
    }
    for (i, r) in rows.iter().enumerate() {
        if i % 3 == 0 || i + 1 == rows.len() {
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x(i),
                h - bottom + 16.0,
                esc(&PeriodKind::Month.column_label(&r.period_label))
            ));
        }
    }
    let across = |v: Option<f64>, style: &str, class: &str| match v {
        Some(v) => format!(
            "<path class=\"{class}\" d=\"M{left} {:.1}H{}\" {style}><title>{class} {}</title></path>",
            y(v),
            w - right,
            esc(&show(v))
        ),
        None => String::new(),
    };
    svg.push_str(&across(first.upl, "stroke=\"#7b7d7d\" stroke-dasharray=\"6 4\"", "upl"));
    svg.push_str(&across(first.lpl, "stroke=\"#7b7d7d\" stroke-dasharray=\"6 4\"", "lpl"));
    svg.push_str(&across(first.mean, "stroke=\"#000\"", "mean"));
    if let Some(t) = rows.iter().rev().find_map(|r| r.target) {
        svg.push_str(&across(Some(t), "stroke=\"#de1b1b\" stroke-dasharray=\"2 3\"", "target"));
    }
    // The values' line, broken at months without a value.
    let mut segment: Vec<String> = Vec::new();
    let mut lines = String::new();
    let flush = |segment: &mut Vec<String>, lines: &mut String| {
        if segment.len() > 1 {
            lines.push_str(&format!(
                "<polyline fill=\"none\" stroke=\"#7b7d7d\" stroke-width=\"1.5\" points=\"{}\"/>",
                segment.join(" ")
            ));
        }
        segment.clear();
    };
    for (i, r) in rows.iter().enumerate() {
        match r.value {
            Some(v) => segment.push(format!("{:.1},{:.1}", x(i), y(v))),
            None => flush(&mut segment, &mut lines),
        }
    }
    flush(&mut segment, &mut lines);
    svg.push_str(&lines);
    for (i, r) in rows.iter().enumerate() {
        let Some(v) = r.value else { continue };
        let what = match (r.special_cause, r.rule) {
            (Some(c), Some(rule)) => format!(": special cause, {c} ({})", rule.replace('_', " ")),
            _ => String::new(),
        };
        svg.push_str(&format!(
            "<circle class=\"point {}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{}\"><title>{} {}{}</title></circle>",
            r.special_cause.unwrap_or("common"),
            x(i),
            y(v),
            colour(r.special_cause),
            esc(&r.period_label),
            esc(&show(v)),
            esc(&what)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The charts of every measure, as a section of a page.
pub fn charts_section(rows: &[SpcRow]) -> String {
    let mut out = String::from(
        "<p class=\"meta spc-key\">Points:<span style=\"background:#7b7d7d\"></span>common cause<span style=\"background:#289de0\"></span>special cause, improvement<span style=\"background:#fab428\"></span>special cause, concern<span style=\"background:#361475\"></span>special cause, no polarity. Solid line: mean; dashed: process limits; dotted red: target.</p>\n",
    );
    let mut start = 0;
    while start < rows.len() {
        let reference = &rows[start].reference;
        let end = rows[start..].iter().position(|r| &r.reference != reference).map_or(rows.len(), |n| start + n);
        let series: Vec<&SpcRow> = rows[start..end].iter().collect();
        let latest = series.iter().rev().find(|r| r.value.is_some());
        let high = latest.is_some_and(|r| r.value > r.mean);
        let summary = match (series[0].mean, series[0].lpl, series[0].upl) {
            (Some(m), Some(l), Some(u)) => format!(
                "Mean {}, process limits {} to {}{}.",
                display_value(Some(m), series[0].precision),
                display_value(Some(l), series[0].precision),
                display_value(Some(u), series[0].precision),
                latest
                    .and_then(|r| r.variation)
                    .map(|v| format!("; variation: {}", v.replace('_', " ")))
                    .unwrap_or_default()
            ),
            _ => format!(
                "{} months with a value: too few for process limits (12 or more), so a run chart.",
                series.iter().filter(|r| r.value.is_some()).count()
            ),
        };
        out.push_str(&format!(
            "<section class=\"spc\" id=\"{}\"><h3>{} {}<span class=\"icons\">{}{}</span></h3><p class=\"summary\">{}</p>{}</section>\n",
            anchor(reference),
            esc(reference),
            esc(&series[0].title),
            variation_icon(latest.and_then(|r| r.variation), high),
            assurance_icon(latest.and_then(|r| r.assurance)),
            esc(&summary),
            chart(&series)
        ));
        start = end;
    }
    out
}

/// The charts as one self-contained page.
pub fn to_html(rows: &[SpcRow], title: &str, as_of: chrono::NaiveDate, options: &super::SpcOptions) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!(
        "<title>{}</title>\n<style>body{{font-family:Arial,Helvetica,sans-serif;font-size:13px;margin:24px;color:#111}}h1{{font-size:20px}}.meta{{color:#555}}\n{STYLE}</style>\n</head>\n<body>\n",
        esc(title)
    ));
    out.push_str(&format!("<h1>{}</h1>\n", esc(title)));
    out.push_str(&format!(
        "<p class=\"meta\">As of {as_of}: the last {} months, XmR charts as Making Data Count draws them (limits at the mean ± 2.66 mean moving ranges{}{}; runs and trends of {} points).</p>\n",
        options.months,
        options.baseline.map(|n| format!(", fixed on the first {n} points")).unwrap_or_default(),
        if options.screen_outliers { ", outlying moving ranges screened out" } else { "" },
        options.run_length
    ));
    out.push_str(&charts_section(rows));
    out.push_str("</body>\n</html>\n");
    out
}
