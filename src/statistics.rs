//! The statistics behind the result table's intervals (OHID Fingertips, the
//! PHEindicatormethods package): the normal quantile z of a confidence level, the exact
//! Poisson limits of a count (from the chi-square distribution; the plan writes them as
//! constants for 0 to 9 events) and the comparison's names. The intervals themselves —
//! Wilson's for a percentage, the count's Poisson interval (exact below 10 events, Byar's
//! from 10) for a count or rate, Dobson's for a directly standardised rate — and the
//! comparisons with benchmarks are computed in one place, the result plan
//! (`compile/intervals.rs`), for a local run and a warehouse alike.
//!
//! z and the chi-square quantiles are computed to double precision (statrs).

use crate::ir::Polarity;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

/// The level when the project and the measure do not say.
pub const DEFAULT_CONFIDENCE: f64 = 95.0;

/// A confidence interval around a value, in the value's own unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// The two-sided normal quantile for a confidence level in percent: 1.959963984540054 at 95.
/// None unless 0 < level < 100.
pub fn z(confidence: f64) -> Option<f64> {
    if confidence.is_nan() || confidence <= 0.0 || confidence >= 100.0 {
        return None;
    }
    let alpha = 1.0 - confidence / 100.0;
    Normal::new(0.0, 1.0).ok().map(|n| n.inverse_cdf(1.0 - alpha / 2.0))
}

/// How many events an exact interval is used below; Byar's approximation from here.
pub const BYAR_FROM: f64 = 10.0;

/// The exact Poisson interval of a count of events: half the chi-square quantiles on 2·O and
/// 2·O + 2 degrees of freedom, the lower limit 0 for no events. The result plan uses it below
/// 10 events, and Byar's approximation from 10 ([`BYAR_FROM`]). None for a negative count or
/// no level.
pub fn exact_poisson(count: f64, confidence: f64) -> Option<Interval> {
    if count.is_nan() || count < 0.0 {
        return None;
    }
    z(confidence)?;
    let alpha = 1.0 - confidence / 100.0;
    let quantile = |df: f64, p: f64| ChiSquared::new(df).ok().map(|c| c.inverse_cdf(p) / 2.0);
    let low = if count == 0.0 { 0.0 } else { quantile(2.0 * count, alpha / 2.0)? };
    let high = quantile(2.0 * count + 2.0, 1.0 - alpha / 2.0)?;
    Some(Interval { low, high })
}

/// A value judged against a benchmark by its interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Higher,
    Lower,
    Similar,
    Better,
    Worse,
    #[default]
    NotCompared,
}

impl Comparison {
    pub fn name(self) -> &'static str {
        match self {
            Comparison::Higher => "higher",
            Comparison::Lower => "lower",
            Comparison::Similar => "similar",
            Comparison::Better => "better",
            Comparison::Worse => "worse",
            Comparison::NotCompared => "not_compared",
        }
    }

    pub fn parse(text: &str) -> Option<Comparison> {
        [
            Comparison::Higher,
            Comparison::Lower,
            Comparison::Similar,
            Comparison::Better,
            Comparison::Worse,
            Comparison::NotCompared,
        ]
        .into_iter()
        .find(|c| c.name() == text)
    }
}

/// Which way is better for a polarity: higher (`Some(true)`), lower, or neither.
pub fn higher_is_better(polarity: Polarity) -> Option<bool> {
    match polarity {
        Polarity::High => Some(true),
        Polarity::Low => Some(false),
        Polarity::InLineWithBenchmark | Polarity::None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal to 12 significant digits: the reference values are from an independent
    /// calculation (SciPy's chi-square and normal quantiles) and agree with published tables
    /// to the places those print.
    fn close(got: f64, want: f64) {
        assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "got {got}, want {want}");
    }

    fn interval(got: Option<Interval>, low: f64, high: f64) {
        let got = got.expect("an interval");
        close(got.low, low);
        close(got.high, high);
    }

    #[test]
    fn z_is_the_exact_normal_quantile() {
        close(z(95.0).unwrap(), 1.959963984540054);
        close(z(99.8).unwrap(), 3.090232306167813);
        assert_eq!(z(100.0), None);
        assert_eq!(z(0.0), None);
    }

    #[test]
    fn exact_poisson_limits_equal_the_published_tables() {
        // 0: 0 to 3.689; 1: 0.0253 to 5.572; 9: 4.115 to 17.08.
        interval(exact_poisson(0.0, 95.0), 0.0, 3.6888794541139354);
        interval(exact_poisson(1.0, 95.0), 0.025317807984289897, 5.571643390938898);
        interval(exact_poisson(9.0, 95.0), 4.115373097378334, 17.084803451419166);
        interval(exact_poisson(0.0, 99.8), 0.0, 6.907755278982137);
        interval(exact_poisson(1.0, 99.8), 0.0010005003335835346, 9.233413476451585);
        interval(exact_poisson(9.0, 99.8), 2.452424404363775, 22.65737330906293);
        assert_eq!(exact_poisson(-1.0, 95.0), None);
        // χ²(0.025; 10)/2 and χ²(0.975; 12)/2, as tables print them.
        let five = exact_poisson(5.0, 95.0).unwrap();
        assert!((five.low - 1.62349).abs() < 5e-6 && (five.high - 11.66833).abs() < 5e-6, "{five:?}");
    }
}
