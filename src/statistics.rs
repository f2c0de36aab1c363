//! Confidence intervals as public-health analysts compute them (OHID Fingertips, the
//! PHEindicatormethods package), and the significance of a value against a benchmark.
//!
//! - a percentage: the Wilson score interval of numerator / denominator (Wilson, 1927);
//! - a count, and a rate built on one: the count's Poisson interval, exact (from the
//!   chi-square distribution) below 10 events and Byar's approximation from 10 (Breslow and
//!   Day, 1987), scaled like the value;
//! - a directly standardised rate: Dobson's method (Dobson et al., 1991), Byar's limits of
//!   the event count moved onto the rate by its standard error per event, from 10 events;
//! - the comparison: the interval wholly above a benchmark is higher, wholly below lower,
//!   overlapping it similar; with a polarity, better or worse.
//!
//! z and the chi-square quantiles are computed to double precision (statrs).

use crate::ir::{IntervalMethod, Polarity, Unit};
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

/// The Wilson score interval of `numerator` of `denominator`, in percent. None when the
/// denominator is not positive, the numerator is negative or above the denominator, or the
/// level is not one.
pub fn wilson(numerator: f64, denominator: f64, confidence: f64) -> Option<Interval> {
    if denominator.is_nan() || denominator <= 0.0 || !(0.0..=denominator).contains(&numerator) {
        return None;
    }
    let z = z(confidence)?;
    let (o, n) = (numerator, denominator);
    let p = o / n;
    let spread = z * (z * z + 4.0 * o * (1.0 - p)).sqrt();
    let at = |s: f64| ((2.0 * o + z * z + s) / (2.0 * (n + z * z)) * 100.0).clamp(0.0, 100.0);
    Some(Interval { low: at(-spread), high: at(spread) })
}

/// How many events an exact interval is used below; Byar's approximation from here.
pub const BYAR_FROM: f64 = 10.0;

/// The Poisson interval of a count of events: exact limits below 10 events (half the
/// chi-square quantiles on 2·O and 2·O + 2 degrees of freedom; the lower limit 0 for no
/// events), Byar's approximation from 10. None for a negative count or no level.
pub fn poisson(count: f64, confidence: f64) -> Option<Interval> {
    if count.is_nan() || count < 0.0 {
        return None;
    }
    let z = z(confidence)?;
    let alpha = 1.0 - confidence / 100.0;
    let o = count;
    if o < BYAR_FROM {
        let quantile = |df: f64, p: f64| ChiSquared::new(df).ok().map(|c| c.inverse_cdf(p) / 2.0);
        let low = if o == 0.0 { 0.0 } else { quantile(2.0 * o, alpha / 2.0)? };
        let high = quantile(2.0 * o + 2.0, 1.0 - alpha / 2.0)?;
        return Some(Interval { low, high });
    }
    // Written as the warehouse script writes it (compile/intervals.rs), operation for
    // operation, so that both give the same doubles.
    let next = o + 1.0;
    let low = o * (1.0 - 1.0 / 9.0 / o - z / 3.0 / o.sqrt()).powf(3.0);
    let high = next * (1.0 - 1.0 / 9.0 / next + z / 3.0 / next.sqrt()).powf(3.0);
    Some(Interval { low, high })
}

/// Dobson's interval of a directly standardised rate `value` of `count` events, where
/// `spread` is the rate's standard error per event in the value's unit (the multiplier ×
/// √(var / count), var = Σ wᵢ² Oᵢ / nᵢ² / (Σ wᵢ)²): `value + spread × (L − count)` for each
/// Byar's limit L of the count. None below 10 events (PHE gives no rate there), or without a
/// level.
pub fn dobson(count: f64, value: f64, spread: f64, confidence: f64) -> Option<Interval> {
    if count.is_nan() || count < BYAR_FROM || value.is_nan() || spread.is_nan() {
        return None;
    }
    let z = z(confidence)?;
    // Byar's limits as `poisson` gives them, applied as the warehouse script writes it
    // (compile/intervals.rs), operation for operation.
    let o = count;
    let next = o + 1.0;
    let low_base = (1.0 - 1.0 / 9.0 / o - z / 3.0 / o.sqrt()).powf(3.0);
    let high_base = (1.0 - 1.0 / 9.0 / next + z / 3.0 / next.sqrt()).powf(3.0);
    Some(Interval {
        low: value + spread * o * low_base - spread * o,
        high: value + spread * next * high_base - spread * o,
    })
}

/// A value judged against a benchmark by its interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Higher,
    Lower,
    Similar,
    Better,
    Worse,
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

/// A measure's interval for one period, in the value's unit: Wilson's of the numerator and
/// denominator for a percentage; the Poisson interval of the count for a count, and of the
/// numerator scaled like the value (× N / population, taken as exact) for a rate per N. None
/// when the method is none or a figure it needs is missing (or a denominator is 0). A
/// standardised rate's interval is Dobson's, of its event count (the numerator), its value and
/// its scale, the rate's standard error per event ([`dobson`]); an indirectly standardised
/// figure's is the Poisson interval of its count (the numerator) × its scale, the value per
/// event (PHE's ISR: exact below 10 events, Byar's from 10).
pub fn measure_interval(
    method: Option<IntervalMethod>,
    unit: Unit,
    numerator: Option<f64>,
    denominator: Option<f64>,
    value: Option<f64>,
    scale: Option<f64>,
    confidence: f64,
) -> Option<Interval> {
    match (method?, unit) {
        (IntervalMethod::Dobson, _) => dobson(numerator?, value?, scale?, confidence),
        // An indirectly standardised figure: the count's interval × the value per event.
        (IntervalMethod::Poisson, _) if scale.is_some() => {
            let (i, scale) = (poisson(numerator?, confidence)?, scale?);
            Some(Interval { low: i.low * scale, high: i.high * scale })
        }
        (IntervalMethod::Wilson, _) => wilson(numerator?, denominator?, confidence),
        (IntervalMethod::Poisson, Unit::RatePer(per)) => {
            let population = denominator.filter(|d| *d > 0.0)?;
            let i = poisson(numerator?, confidence)?;
            let per = f64::from(per);
            Some(Interval { low: i.low * per / population, high: i.high * per / population })
        }
        (IntervalMethod::Poisson, _) => poisson(value?, confidence),
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

/// Which way is better for the comparison: `Some(true)` when higher is better, `Some(false)`
/// when lower is, `None` when neither.
pub fn compare(interval: Option<Interval>, benchmark: Option<f64>, higher_is_better: Option<bool>) -> Comparison {
    let (Some(i), Some(b)) = (interval, benchmark) else { return Comparison::NotCompared };
    let above = i.low > b;
    let below = i.high < b;
    match (above, below, higher_is_better) {
        (false, false, _) => Comparison::Similar,
        (true, _, None) => Comparison::Higher,
        (_, true, None) => Comparison::Lower,
        (true, _, Some(true)) | (_, true, Some(false)) => Comparison::Better,
        _ => Comparison::Worse,
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
    fn wilson_limits_at_95_and_99_8() {
        // 65 of 100: 55.2544 to 73.6358 (PHEindicatormethods' worked example).
        interval(wilson(65.0, 100.0, 95.0), 55.25444329688797, 73.63575175690247);
        interval(wilson(65.0, 100.0, 99.8), 49.54946574070448, 77.83540614089685);
        interval(wilson(0.0, 50.0, 95.0), 0.0, 7.134759913335871);
        interval(wilson(50.0, 50.0, 95.0), 92.86524008666413, 100.0);
        interval(wilson(0.0, 50.0, 99.8), 0.0, 16.0362891042788);
        interval(wilson(50.0, 50.0, 99.8), 83.9637108957212, 100.0);
        interval(wilson(1.0, 3.0, 95.0), 6.149194472039624, 79.23403991979524);
    }

    #[test]
    fn wilson_has_no_interval_without_a_denominator_or_with_more_meeting_than_asked() {
        assert_eq!(wilson(0.0, 0.0, 95.0), None);
        assert_eq!(wilson(5.0, 4.0, 95.0), None);
        assert_eq!(wilson(-1.0, 4.0, 95.0), None);
    }

    #[test]
    fn poisson_exact_below_ten_events_and_byar_from_ten() {
        // Exact limits, as the published tables give them (0: 0 to 3.689; 1: 0.0253 to
        // 5.572; 9: 4.115 to 17.08).
        interval(poisson(0.0, 95.0), 0.0, 3.6888794541139354);
        interval(poisson(1.0, 95.0), 0.025317807984289897, 5.571643390938898);
        interval(poisson(9.0, 95.0), 4.115373097378334, 17.084803451419166);
        interval(poisson(0.0, 99.8), 0.0, 6.907755278982137);
        interval(poisson(1.0, 99.8), 0.0010005003335835346, 9.233413476451585);
        interval(poisson(9.0, 99.8), 2.452424404363775, 22.65737330906293);
        // Byar's method from 10 events.
        interval(poisson(10.0, 95.0), 4.787449913967563, 18.391458605756473);
        interval(poisson(100.0, 95.0), 81.36210549052788, 121.6279375792065);
        interval(poisson(10.0, 99.8), 2.916318374695686, 24.19372492788055);
        interval(poisson(100.0, 99.8), 71.90369187259837, 134.94362176226318);
        assert_eq!(poisson(-1.0, 95.0), None);
    }

    #[test]
    fn dobson_moves_the_rate_by_its_standard_error_per_event() {
        // PHEindicatormethods' DSR vignette: 88 deaths, a DSR of 8283.016 with 95% limits
        // 6570.819 and 10289.65 (the scale is 100,000 × √(var / 88) of its bands).
        let (value, scale) = (8283.015873015873, 98.26963036088765);
        interval(dobson(88.0, value, scale, 95.0), 6570.818797803672, 10289.647638821614);
        assert!(
            (measure_interval(
                Some(IntervalMethod::Dobson),
                Unit::RatePer(100_000),
                Some(88.0),
                Some(860.0),
                Some(value),
                Some(scale),
                95.0
            )
            .unwrap()
            .low - 6570.818797803672)
                .abs()
                < 1e-9
        );
        // PHE gives no rate below 10 events.
        assert_eq!(dobson(9.0, value, scale, 95.0), None);
    }

    #[test]
    fn an_indirectly_standardised_figure_scales_the_counts_interval() {
        // 5 observed against 4 expected, × 100: the exact limits of 5 (1.6235 to 11.6683) / 4 × 100.
        let got = measure_interval(
            Some(IntervalMethod::Poisson),
            Unit::Number,
            Some(5.0),
            Some(4.0),
            Some(125.0),
            Some(25.0),
            95.0,
        );
        let exact = poisson(5.0, 95.0).unwrap();
        interval(got, exact.low * 25.0, exact.high * 25.0);
        // χ²(0.025; 10)/2 and χ²(0.975; 12)/2, as tables print them.
        assert!((exact.low - 1.62349).abs() < 5e-6 && (exact.high - 11.66833).abs() < 5e-6, "{exact:?}");
    }

    #[test]
    fn comparison_is_by_the_whole_interval() {
        let i = Some(Interval { low: 2.0, high: 4.0 });
        assert_eq!(compare(i, Some(1.0), None), Comparison::Higher);
        assert_eq!(compare(i, Some(5.0), None), Comparison::Lower);
        assert_eq!(compare(i, Some(2.0), None), Comparison::Similar);
        assert_eq!(compare(i, Some(4.0), None), Comparison::Similar);
        assert_eq!(compare(i, Some(1.0), Some(true)), Comparison::Better);
        assert_eq!(compare(i, Some(1.0), Some(false)), Comparison::Worse);
        assert_eq!(compare(i, Some(5.0), Some(true)), Comparison::Worse);
        assert_eq!(compare(i, Some(5.0), Some(false)), Comparison::Better);
        assert_eq!(compare(None, Some(5.0), None), Comparison::NotCompared);
        assert_eq!(compare(i, None, Some(true)), Comparison::NotCompared);
    }
}
