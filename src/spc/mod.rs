//! Statistical process control as NHS England's "Making Data Count" reads a monthly series:
//! an XmR chart (the mean, process limits at ±2.66 mean moving ranges), the special-cause
//! rules, and the variation and assurance icons. The arithmetic follows NHSRplotthedots.
//!
//! Months without a value are gaps: they are left out of the moving ranges and neither break
//! nor continue a run or a trend.

mod chart;
mod monthly;
mod rows;

pub use chart::{anchor, charts_section, to_html, STYLE};
pub use monthly::{charts, for_the_book, project_options};
pub use rows::{series, to_csv, to_json, SpcRow, COLUMNS};

/// The moving-range multiplier of the process limits (3 / d2, d2 = 1.128).
pub const LIMIT: f64 = 2.66;
/// A moving range at least this many times the mean moving range is an outlier when screening.
pub const SCREEN: f64 = 3.267;
/// Fewer points than this give a run chart: values only, no limits.
pub const MIN_POINTS: usize = 12;
/// The longest chart, in months: each month is a period the run computes.
pub const MAX_MONTHS: u32 = 120;

/// How a chart is drawn: `[spc]` in scorebook.toml and the `spc` command's options.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpcOptions {
    /// Months ending with the as-of date's month.
    pub months: u32,
    /// Fix the mean and limits on the first N points.
    pub baseline: Option<usize>,
    /// Leave out moving ranges of at least 3.267 × their mean before the limits.
    pub screen_outliers: bool,
    /// Points in a run on one side of the mean, or in a trend, that make a special cause.
    pub run_length: usize,
}

impl Default for SpcOptions {
    fn default() -> Self {
        SpcOptions { months: 24, baseline: None, screen_outliers: false, run_length: 7 }
    }
}

impl SpcOptions {
    /// Refuses options no chart can be drawn with, saying what to write instead.
    pub fn check(&self) -> Result<(), String> {
        if self.months < 2 {
            return Err(format!("months = {}: a chart needs at least 2 months (12 or more for limits)", self.months));
        }
        if self.months > MAX_MONTHS {
            return Err(format!(
                "months = {}: a chart shows at most {MAX_MONTHS} months (ten years); use --baseline to fix its limits on the early ones",
                self.months
            ));
        }
        if !(6..=8).contains(&self.run_length) {
            return Err(format!(
                "run_length = {}: write 6, 7 or 8 (Making Data Count uses 7; 6 and 8 are the other published choices)",
                self.run_length
            ));
        }
        if let Some(n) = self.baseline {
            if n < MIN_POINTS {
                return Err(format!("baseline = {n}: limits need a baseline of at least {MIN_POINTS} points"));
            }
            if n > self.months as usize {
                return Err(format!("baseline = {n} is longer than the {} months charted", self.months));
            }
        }
        Ok(())
    }
}

/// The centre line and limits of an XmR chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    pub mean: f64,
    pub lpl: f64,
    pub upl: f64,
    pub lower_2sigma: f64,
    pub upper_2sigma: f64,
}

/// The mean and process limits of the values (the points with a value, in order), over all of
/// them or the first `baseline`; none below [`MIN_POINTS`] points or without a moving range.
pub fn limits(values: &[f64], baseline: Option<usize>, screen_outliers: bool) -> Option<Limits> {
    if values.len() < MIN_POINTS {
        return None;
    }
    let fixed = &values[..baseline.unwrap_or(values.len()).min(values.len())];
    let mean = fixed.iter().sum::<f64>() / fixed.len() as f64;
    let ranges: Vec<f64> = fixed.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    let average = |r: &[f64]| (!r.is_empty()).then(|| r.iter().sum::<f64>() / r.len() as f64);
    let mut amr = average(&ranges)?;
    if screen_outliers {
        let kept: Vec<f64> = ranges.iter().copied().filter(|r| *r < SCREEN * amr).collect();
        amr = average(&kept)?;
    }
    let near = 2.0 * LIMIT / 3.0;
    Some(Limits {
        mean,
        lpl: mean - LIMIT * amr,
        upl: mean + LIMIT * amr,
        lower_2sigma: mean - near * amr,
        upper_2sigma: mean + near * amr,
    })
}

/// The special-cause rules, in priority order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A point above the upper or below the lower process limit.
    OutsideLimits,
    /// A run of points on one side of the mean.
    Shift,
    /// A run of points each higher (or each lower) than the one before.
    Trend,
    /// Two of three points beyond two sigma, the three on one side of the mean.
    TwoInThree,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::OutsideLimits => "outside_limits",
            Rule::Shift => "shift",
            Rule::Trend => "trend",
            Rule::TwoInThree => "two_in_three",
        }
    }
}

/// What a special cause means for the measure, by its polarity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    Improvement,
    Concern,
    /// The measure has no polarity.
    Neither,
}

impl Cause {
    pub fn name(self) -> &'static str {
        match self {
            Cause::Improvement => "improvement",
            Cause::Concern => "concern",
            Cause::Neither => "neither",
        }
    }

    /// A special cause on the high side (`true`) or the low side, for a polarity.
    fn of(high: bool, higher_is_better: Option<bool>) -> Cause {
        match higher_is_better {
            None => Cause::Neither,
            Some(better) if better == high => Cause::Improvement,
            Some(_) => Cause::Concern,
        }
    }
}

/// A point's special cause: the first rule that holds, and which side it is on (`high`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag {
    pub rule: Rule,
    pub high: bool,
}

/// The special causes of the values (the points with a value, in order) against the limits.
/// Every point of a run or trend is flagged; a point on the mean breaks a run, an equal
/// neighbour a trend. A trend's side is its direction; the other rules' the point's side of
/// the mean.
pub fn flags(values: &[f64], limits: &Limits, run_length: usize) -> Vec<Option<Flag>> {
    let n = values.len();
    let side: Vec<i8> = values
        .iter()
        .map(|v| match v.partial_cmp(&limits.mean) {
            Some(std::cmp::Ordering::Greater) => 1,
            Some(std::cmp::Ordering::Less) => -1,
            _ => 0,
        })
        .collect();
    let mut out: Vec<Option<Flag>> = vec![None; n];
    let mark = |i: usize, rule: Rule, high: bool, out: &mut Vec<Option<Flag>>| {
        if out[i].is_none_or(|f| rule_rank(rule) < rule_rank(f.rule)) {
            out[i] = Some(Flag { rule, high });
        }
    };
    for (i, v) in values.iter().enumerate() {
        if *v > limits.upl || *v < limits.lpl {
            mark(i, Rule::OutsideLimits, *v > limits.upl, &mut out);
        }
    }
    // Shifts: `run_length` consecutive points with the same non-zero side.
    let length = run_length.max(2);
    for end in length - 1..n {
        let window = &side[end + 1 - length..=end];
        if window[0] != 0 && window.iter().all(|s| *s == window[0]) {
            for i in end + 1 - length..=end {
                mark(i, Rule::Shift, window[0] > 0, &mut out);
            }
        }
    }
    // Trends: `run_length` points, each step the same strict direction.
    for end in length - 1..n {
        let steps: Vec<i8> = values[end + 1 - length..=end]
            .windows(2)
            .map(|w| {
                if w[1] > w[0] {
                    1
                } else if w[1] < w[0] {
                    -1
                } else {
                    0
                }
            })
            .collect();
        if steps[0] != 0 && steps.iter().all(|s| *s == steps[0]) {
            for i in end + 1 - length..=end {
                mark(i, Rule::Trend, steps[0] > 0, &mut out);
            }
        }
    }
    // Two in three: within any three consecutive points, all on one side of the mean, two or
    // more between two sigma and the limit; those points are flagged.
    let close: Vec<bool> = values
        .iter()
        .map(|v| {
            let outside = *v > limits.upl || *v < limits.lpl;
            !outside && (*v > limits.upper_2sigma || *v < limits.lower_2sigma)
        })
        .collect();
    for start in 0..n.saturating_sub(2) {
        let sides = &side[start..start + 3];
        let same_side = sides[0] != 0 && sides.iter().all(|s| *s == sides[0]);
        if same_side && close[start..start + 3].iter().filter(|c| **c).count() >= 2 {
            for i in (start..start + 3).filter(|i| close[*i]) {
                mark(i, Rule::TwoInThree, sides[0] > 0, &mut out);
            }
        }
    }
    out
}

fn rule_rank(rule: Rule) -> u8 {
    match rule {
        Rule::OutsideLimits => 0,
        Rule::Shift => 1,
        Rule::Trend => 2,
        Rule::TwoInThree => 3,
    }
}

/// The variation icon of a series, read from its latest point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variation {
    CommonCause,
    SpecialCauseImprovement,
    SpecialCauseConcern,
    /// A special cause on a measure without a polarity.
    Neither,
}

impl Variation {
    pub fn name(self) -> &'static str {
        match self {
            Variation::CommonCause => "common_cause",
            Variation::SpecialCauseImprovement => "special_cause_improvement",
            Variation::SpecialCauseConcern => "special_cause_concern",
            Variation::Neither => "neither",
        }
    }

    pub fn of(latest: Option<Flag>, higher_is_better: Option<bool>) -> Variation {
        match latest.map(|f| Cause::of(f.high, higher_is_better)) {
            None => Variation::CommonCause,
            Some(Cause::Improvement) => Variation::SpecialCauseImprovement,
            Some(Cause::Concern) => Variation::SpecialCauseConcern,
            Some(Cause::Neither) => Variation::Neither,
        }
    }
}

/// Whether the process will meet its target: `pass` or `fail` when the target lies outside
/// the process limits, `hit_and_miss` when within them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assurance {
    Pass,
    Fail,
    HitAndMiss,
}

impl Assurance {
    pub fn name(self) -> &'static str {
        match self {
            Assurance::Pass => "pass",
            Assurance::Fail => "fail",
            Assurance::HitAndMiss => "hit_and_miss",
        }
    }

    /// None without a target, limits or a polarity.
    pub fn of(target: Option<f64>, limits: Option<&Limits>, higher_is_better: Option<bool>) -> Option<Assurance> {
        let (target, limits, higher) = (target?, limits?, higher_is_better?);
        Some(if target > limits.upl {
            if higher {
                Assurance::Fail
            } else {
                Assurance::Pass
            }
        } else if target < limits.lpl {
            if higher {
                Assurance::Pass
            } else {
                Assurance::Fail
            }
        } else {
            Assurance::HitAndMiss
        })
    }
}

/// One month of a measure's chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub value: Option<f64>,
    pub flag: Option<Flag>,
    pub cause: Option<Cause>,
}

/// A measure's series analysed: its limits (none for a run chart), each month's point, and
/// the variation of the whole.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub limits: Option<Limits>,
    pub points: Vec<Point>,
    pub variation: Option<Variation>,
}

/// Analyses monthly values (`None` for a month without one) for a measure whose polarity
/// makes higher better (`Some(true)`), lower better, or neither.
pub fn analyse(values: &[Option<f64>], higher_is_better: Option<bool>, options: &SpcOptions) -> Analysis {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let limits = limits(&present, options.baseline, options.screen_outliers);
    let flags = match &limits {
        Some(l) => flags(&present, l, options.run_length),
        None => vec![None; present.len()],
    };
    let mut next = flags.iter();
    let points: Vec<Point> = values
        .iter()
        .map(|v| {
            let flag = v.and_then(|_| next.next().copied().flatten());
            Point { value: *v, flag, cause: flag.map(|f| Cause::of(f.high, higher_is_better)) }
        })
        .collect();
    let variation = limits.map(|_| Variation::of(flags.last().copied().flatten(), higher_is_better));
    Analysis { limits, points, variation }
}

#[cfg(test)]
mod tests;
