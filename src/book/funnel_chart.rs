//! A measure's funnel plot as the book draws it: each unit's value against its denominator,
//! the average, and PHE's 95% and 99.8% limits at 100 points along the axis
//! (`crate::funnel::axis_points`), from the rows of the result table alone.
//!
//! The period drawn is the latest year to date with judged units, else the latest year, month
//! or quarter with them. A percentage's average is the measure's own row of that period (its
//! whole); a rate's is Σ O / Σ D over the units, D the unit's denominator as PHE derives it
//! (N × O / value, or the population when there are no events); an indirectly standardised
//! ratio's units are drawn at their expected events around the ratio of 1 (× 100 for an SMR).
//! A funnel with `overdispersed` whose units are over-dispersed is drawn with the limits
//! widened by τ² (`crate::funnel::overdispersion`), estimated here from the same units.

use super::{esc, BookLine};
use crate::calendar::PeriodKind;
use crate::funnel::overdispersion::{self, Dispersion, Scored, Trim};
use crate::funnel::{self, Significance};
use crate::ir::Unit;

/// One unit on the chart.
#[derive(Clone, Debug, PartialEq)]
pub struct FunnelUnit {
    pub label: String,
    /// The denominator it is plotted at: the percentage's denominator, or the rate's D.
    pub x: f64,
    pub value: f64,
    pub significance: Significance,
}

/// A limit line: (denominator, value) points in order of the denominator.
pub type Line = Vec<(f64, f64)>;

/// A funnel plot of one measure in one period.
#[derive(Clone, Debug, PartialEq)]
pub struct FunnelChart {
    pub reference: String,
    pub title: String,
    pub period_label: String,
    /// What a unit's denominator counts, for the axis: `denominator`, `population` or
    /// `expected events`.
    pub x_name: &'static str,
    pub unit: Unit,
    /// The average, in the value's unit (percent, or per N).
    pub average: f64,
    pub units: Vec<FunnelUnit>,
    /// The lower and upper 95% and 99.8% limits.
    pub limits: [Line; 4],
    /// φ and τ², where the limits are widened for over-dispersion.
    pub dispersion: Option<Dispersion>,
}

/// The funnel plot of a line, if its breakdown rows carry funnel labels.
pub fn of(line: &BookLine) -> Option<FunnelChart> {
    let judged = |label: &str| {
        line.breakdowns.iter().any(|b| b.cells.iter().any(|r| r.period_label == label && r.funnel.is_some()))
    };
    let mut periods: Vec<(PeriodKind, &str)> =
        line.cells.iter().map(|r| (r.period_kind, r.period_label.as_str())).collect();
    periods.retain(|(_, l)| judged(l));
    let preference = [PeriodKind::Ytd, PeriodKind::Year, PeriodKind::Month, PeriodKind::Quarter];
    let (_, period) = preference.iter().find_map(|k| periods.iter().rev().find(|(kind, _)| kind == k).copied())?;
    let rows = line.breakdowns.iter().filter_map(|b| {
        let r = b.cells.iter().find(|r| r.period_label == period)?;
        Some((b.value.clone().unwrap_or_default(), r))
    });
    let mut units = Vec::new();
    // The units scored for an over-dispersion estimate, as the plan scores them.
    let mut scored = Vec::new();
    let (average, limits, x_name, dispersion) = match line.unit {
        Unit::Percent => {
            let whole = line.cells.iter().find(|r| r.period_label == period)?;
            let av = whole.numerator? / whole.denominator.filter(|d| *d > 0.0)?;
            for (label, r) in rows {
                if let (Some(n), Some(v), Some(s)) = (r.denominator, r.value, r.funnel) {
                    units.push(FunnelUnit { label, x: n, value: v, significance: s });
                    scored.extend(r.numerator.and_then(|x| overdispersion::proportion(x, n, av)));
                }
            }
            let od = dispersion(line, &scored, Trim::Winsorise);
            let limits = match od {
                Some(d) => overdispersed_limits(&units, |n, z| {
                    let (t, half) = (av.sqrt().asin(), z * (0.25 / n + d.tau2).sqrt());
                    let angle = |a: f64| a.clamp(0.0, std::f64::consts::FRAC_PI_2).sin().powi(2) * 100.0;
                    (angle(t - half), angle(t + half))
                }),
                None => proportion_limits(av, &units),
            };
            (av * 100.0, limits, "denominator", od)
        }
        Unit::RatePer(per) => {
            let per = f64::from(per);
            let (mut events, mut people) = (0.0, 0.0);
            let mut observed = Vec::new();
            for (label, r) in rows {
                let Some(o) = r.numerator else { continue };
                let d = match (r.value, r.denominator) {
                    (Some(v), _) if o > 0.0 && v > 0.0 => Some(per * o / v),
                    (Some(v), Some(n)) if o == 0.0 && v == 0.0 => Some(n),
                    _ => None,
                };
                events += o;
                if let Some(d) = d {
                    people += d;
                    observed.push((o, d));
                    if let (Some(v), Some(s)) = (r.value, r.funnel) {
                        units.push(FunnelUnit { label, x: d, value: v, significance: s });
                    }
                }
            }
            let av = events / Some(people).filter(|p| *p > 0.0)?;
            scored.extend(observed.iter().filter_map(|&(o, d)| overdispersion::ratio(o, av * d)));
            let od = dispersion(line, &scored, Trim::Truncate);
            let limits = match od {
                Some(d) => overdispersed_limits(&units, |x, z| {
                    let half = z * (1.0 / (av * x) + d.tau2).sqrt();
                    (av * per * (-half).exp(), av * per * half.exp())
                }),
                None => rate_limits(av, per, &units),
            };
            (av * per, limits, "population", od)
        }
        // An indirectly standardised ratio: each unit at its expected events E, around the
        // ratio's own scale (1, or 100 for `times 100`), the value of O = E.
        Unit::Number => {
            let mut scale = None;
            for (label, r) in rows {
                if let (Some(o), Some(e), Some(v)) = (r.numerator, r.denominator, r.value) {
                    if o > 0.0 && e > 0.0 {
                        scale = Some(v * e / o);
                    }
                    scored.extend(overdispersion::ratio(o, e));
                    if let Some(s) = r.funnel {
                        units.push(FunnelUnit { label, x: e, value: v, significance: s });
                    }
                }
            }
            let scale = scale?;
            let od = dispersion(line, &scored, Trim::Truncate);
            let limits = match od {
                Some(d) => overdispersed_limits(&units, |e, z| {
                    let half = z * (1.0 / e + d.tau2).sqrt();
                    (scale * (-half).exp(), scale * half.exp())
                }),
                None => rate_limits(1.0, scale, &units),
            };
            (scale, limits, "expected events", od)
        }
        _ => return None,
    };
    (!units.is_empty()).then(|| FunnelChart {
        reference: line.reference.clone(),
        title: line.title.clone(),
        period_label: period.to_string(),
        x_name,
        unit: line.unit,
        average,
        dispersion,
        units,
        limits,
    })
}

/// What the chart's limits are, after its average: empty for PHE's, else a sentence with φ
/// and τ².
pub fn limits_note(chart: &FunnelChart) -> String {
    match chart.dispersion {
        Some(d) => {
            format!(" Limits widened for over-dispersion between the units (φ = {:.3}, τ² = {:.6}).", d.phi, d.tau2)
        }
        None => String::new(),
    }
}

/// φ and τ² of an over-dispersed funnel's units, where they widen the limits.
fn dispersion(line: &BookLine, scored: &[Scored], trim: Trim) -> Option<Dispersion> {
    line.overdispersed.then(|| overdispersion::estimate(scored, trim)).flatten().filter(Dispersion::applies)
}

/// Widened limits at PHE's axis points along the units' denominators: `at(x, z)` the lower
/// and upper limit at x for the normal quantile z of 95% and of 99.8%.
fn overdispersed_limits(units: &[FunnelUnit], at: impl Fn(f64, f64) -> (f64, f64)) -> [Line; 4] {
    let (lo, hi) = extent(units, |u| u.x);
    let mut lines: [Line; 4] = Default::default();
    for x in funnel::axis_points(lo, hi) {
        for (k, p) in funnel::POINTS.into_iter().enumerate() {
            let Some(z) = crate::statistics::z((2.0 * p - 1.0) * 100.0) else { continue };
            let (low, high) = at(x, z);
            lines[2 * k].push((x, low));
            lines[2 * k + 1].push((x, high));
        }
    }
    lines
}

fn extent(units: &[FunnelUnit], by: impl Fn(&FunnelUnit) -> f64) -> (f64, f64) {
    units.iter().map(by).fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)))
}

/// A percentage's limits, av ∓ z·√(av(1 − av)/n) in percent, within 0 to 100.
fn proportion_limits(av: f64, units: &[FunnelUnit]) -> [Line; 4] {
    let (lo, hi) = extent(units, |u| u.x);
    let mut lines: [Line; 4] = Default::default();
    for n in funnel::axis_points(lo, hi) {
        for (k, p) in funnel::POINTS.into_iter().enumerate() {
            if let Some((low, high)) = funnel::proportion_limits(av, n, p) {
                lines[2 * k].push((n, (low * 100.0).clamp(0.0, 100.0)));
                lines[2 * k + 1].push((n, (high * 100.0).clamp(0.0, 100.0)));
            }
        }
    }
    lines
}

/// A rate's limits as PHE draws them, along an axis of events e: the population at which e
/// events would be on the limit (`funnel::poisson_limit_means`), and the rate e / population.
fn rate_limits(av: f64, per: f64, units: &[FunnelUnit]) -> [Line; 4] {
    let (lo, hi) = extent(units, |u| u.x * av);
    let mut lines: [Line; 4] = Default::default();
    for e in funnel::axis_points(lo, hi) {
        for (k, p) in funnel::POINTS.into_iter().enumerate() {
            let Some((below, above)) = funnel::poisson_limit_means(e, p) else { continue };
            // The lower limit: e events are as few as the mean `below` would give at 1 − p.
            lines[2 * k].push((below / av, e / below * av * per));
            lines[2 * k + 1].push((above / av, e / above * av * per));
        }
    }
    lines
}

/// The fill of a unit by its label: blues above the limits, oranges below, grey within, the
/// darker shade beyond the 99.8% limits.
fn fill(s: Significance) -> &'static str {
    match s {
        Significance::High001 => "#08519c",
        Significance::High025 => "#6baed6",
        Significance::NotSignificant => "#bdbdbd",
        Significance::Low025 => "#fdae6b",
        Significance::Low001 => "#d94801",
    }
}

/// The class of a unit's point, for styling and tests: `high-001`, `not-significant`, ...
pub fn class(s: Significance) -> &'static str {
    match s {
        Significance::High001 => "high-001",
        Significance::High025 => "high-025",
        Significance::NotSignificant => "not-significant",
        Significance::Low025 => "low-025",
        Significance::Low001 => "low-001",
    }
}

/// The chart as inline SVG: the axes with their ranges, the average, the limit lines (95%
/// dashed, 99.8% solid) and each unit as a point titled with its label, value, denominator and
/// class.
pub fn svg(chart: &FunnelChart) -> String {
    let (w, h, left, right, top, bottom) = (560.0, 320.0, 56.0, 12.0, 12.0, 40.0);
    // From the axis's start (PHE's: 1 when the denominators differ more than twice over, just
    // below the smallest otherwise) to just past the largest unit.
    let start = chart.limits.iter().filter_map(|l| l.first().map(|p| p.0)).fold(f64::MAX, f64::min);
    let (first, last) = extent(&chart.units, |u| u.x);
    let x_hi = last * 1.05;
    let x_lo = if start.min(first) < 0.2 * x_hi { 0.0 } else { start.min(first) * 0.98 };
    let values = chart.units.iter().map(|u| u.value).chain([chart.average]);
    let (mut y_lo, mut y_hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = ((y_hi - y_lo) * 0.15).max(chart.average.abs() * 0.05).max(1e-9);
    y_lo = (y_lo - pad).max(0.0);
    y_hi += pad;
    if chart.unit == Unit::Percent {
        y_hi = y_hi.min(100.0);
    }
    let x = |v: f64| left + (v - x_lo) / (x_hi - x_lo) * (w - left - right);
    let y = |v: f64| top + (y_hi - v) / (y_hi - y_lo) * (h - top - bottom);
    let inside = |(a, b): &(f64, f64)| *a >= x_lo && *a <= x_hi && b.is_finite();
    let path = |line: &Line| {
        let points: Vec<String> = line
            .iter()
            .filter(|p| inside(p))
            .map(|(a, b)| format!("{:.1},{:.1}", x(*a), y(b.clamp(y_lo, y_hi))))
            .collect();
        points.join(" ")
    };
    let shown = |v: f64| crate::results::display_value(Some(v), 1);
    let mut out = format!(
        "<svg class=\"funnel\" data-ref=\"{}\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"funnel plot of {} for {}: {} units around an average of {}\">",
        esc(&chart.reference),
        esc(&chart.reference),
        esc(&chart.period_label),
        chart.units.len(),
        shown(chart.average)
    );
    out.push_str(&format!("<path class=\"axis\" d=\"M{left} {top}V{:.1}H{:.1}\"/>", h - bottom, w - right));
    for (v, anchor, at_x, at_y) in [(y_hi, "end", left - 4.0, top + 4.0), (y_lo, "end", left - 4.0, h - bottom)] {
        out.push_str(&format!("<text x=\"{at_x}\" y=\"{at_y:.1}\" text-anchor=\"{anchor}\">{}</text>", shown(v)));
    }
    out.push_str(&format!(
        "<text x=\"{left}\" y=\"{:.1}\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
        h - bottom + 14.0,
        crate::results::plain_number(x_lo.round()),
        w - right,
        h - bottom + 14.0,
        crate::results::plain_number(x_hi.round())
    ));
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        (left + w - right) / 2.0,
        h - 6.0,
        chart.x_name
    ));
    out.push_str(&format!("<path class=\"average\" d=\"M{left} {:.1}H{:.1}\"/>", y(chart.average), w - right));
    for (k, line) in chart.limits.iter().enumerate() {
        let class = if k < 2 { "limit-95" } else { "limit-998" };
        out.push_str(&format!("<polyline class=\"{class}\" points=\"{}\"/>", path(line)));
    }
    for u in &chart.units {
        out.push_str(&format!(
            "<circle class=\"unit {}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{}\"><title>{}: {} of {} {} — {}</title></circle>",
            class(u.significance),
            x(u.x),
            y(u.value.clamp(y_lo, y_hi)),
            fill(u.significance),
            esc(&u.label),
            shown(u.value),
            crate::results::plain_number(u.x.round()),
            chart.x_name,
            u.significance.label()
        ));
    }
    out.push_str("</svg>");
    out
}

/// The style of the charts, for the page's `<style>`.
pub const STYLE: &str = "svg.funnel{display:block;margin:6px 0 4px}svg.funnel text{font-size:11px;fill:#333}
svg.funnel .axis{stroke:#666;fill:none}svg.funnel .average{stroke:#111;stroke-width:1}
svg.funnel .limit-95{stroke:#555;stroke-dasharray:4 3;fill:none}svg.funnel .limit-998{stroke:#555;fill:none}
svg.funnel circle{stroke:#333;stroke-width:.5}";

/// The key to the points' colours.
pub fn legend() -> String {
    let mut out = String::from("<p class=\"meta legend\">");
    for s in Significance::ALL {
        out.push_str(&format!(
            " <span class=\"key\" style=\"background:{}{}\">{}</span>",
            fill(s),
            if matches!(s, Significance::High001 | Significance::Low001) { ";color:#fff" } else { "" },
            esc(s.label())
        ));
    }
    out.push_str(" The average as a line; the 95% limits dashed, the 99.8% limits solid.</p>\n");
    out
}
