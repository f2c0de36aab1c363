//! Funnel plots as OHID's Fingertips draws them (PHE, *Technical Guide: Funnel plots*; the
//! PHEindicatormethods package's `calculate_funnel_limits` and `assign_funnel_significance`):
//! the control limits of a proportion around the average of all the units plotted, at each
//! denominator, and which side of them a unit's value falls.
//!
//! A proportion's limits are the exact solution PHE publishes for the 95% (two-sided, 0.975)
//! and 99.8% (0.999) points: with q = z², av the average proportion and n the denominator,
//!
//! ```text
//! limit = (av·(n/q + 1) ∓ √((8·av·(n/q + 1))² − 64·(1/q + 1/n)·av·(n·(av·(n/q + 2) − 1) + q·(av − 1))) / 8)
//!         / (1/q + 1/n) / n
//! ```
//!
//! (the Wilson score interval solved for the proportion at which the unit's interval would
//! just touch the average). Multiplied out, the square root is 8·√(av·(1 − av)·(n + q)²/(q·n)),
//! and the limits are av ∓ z·√(av·(1 − av)/n): computed so here and in the warehouse script
//! (compile/intervals.rs), operation for operation, so that both judge a unit alike.

/// Where a unit falls against the funnel's limits, as PHE labels it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Significance {
    /// Above the 99.8% limit.
    High001,
    /// Above the 95% limit, within the 99.8%.
    High025,
    NotSignificant,
    /// Below the 95% limit, within the 99.8%.
    Low025,
    /// Below the 99.8% limit.
    Low001,
}

impl Significance {
    pub const ALL: [Significance; 5] = [
        Significance::High001,
        Significance::High025,
        Significance::NotSignificant,
        Significance::Low025,
        Significance::Low001,
    ];

    /// PHE's label: `High (0.001)`, `High (0.025)`, `Not significant`, `Low (0.025)`,
    /// `Low (0.001)`.
    pub fn label(self) -> &'static str {
        match self {
            Significance::High001 => "High (0.001)",
            Significance::High025 => "High (0.025)",
            Significance::NotSignificant => "Not significant",
            Significance::Low025 => "Low (0.025)",
            Significance::Low001 => "Low (0.001)",
        }
    }

    pub fn parse(text: &str) -> Option<Significance> {
        Significance::ALL.into_iter().find(|s| s.label() == text)
    }
}

/// The two one-sided points PHE's funnels are drawn at: 0.975 (the 95% limits) and 0.999
/// (the 99.8% limits).
pub const POINTS: [f64; 2] = [0.975, 0.999];

/// The lower and upper limit, as proportions (0 to 1, not clamped), of a unit with
/// `denominator` around the `average` proportion at the one-sided point `p` (0.975 or
/// 0.999). `None` for an average outside 0 to 1 or no positive denominator.
pub fn proportion_limits(average: f64, denominator: f64, p: f64) -> Option<(f64, f64)> {
    // The same z as the warehouse script's, from the two-sided level.
    let z = crate::statistics::z((2.0 * p - 1.0) * 100.0)?;
    let spread = (average - average * average).sqrt();
    if spread.is_nan() || denominator.is_nan() || denominator <= 0.0 {
        return None;
    }
    let half = z * spread / denominator.sqrt();
    Some((average - half, average + half))
}

/// Where `numerator` of `denominator` falls against the limits around `average` (PHE's
/// `assign_funnel_significance` for a proportion): below the 99.8% lower limit first, then
/// the 95%, then above the 99.8% upper limit, then the 95%. `None` without a positive
/// denominator, or with a numerator outside 0 to the denominator.
pub fn proportion_significance(numerator: f64, denominator: f64, average: f64) -> Option<Significance> {
    if denominator.is_nan() || denominator <= 0.0 || !(0.0..=denominator).contains(&numerator) || average.is_nan() {
        return None;
    }
    let value = numerator / denominator;
    let [wide, narrow] = POINTS.map(|p| proportion_limits(average, denominator, p));
    let below = |l: Option<(f64, f64)>| l.is_some_and(|(low, _)| value < low);
    let above = |l: Option<(f64, f64)>| l.is_some_and(|(_, high)| value > high);
    Some(if below(narrow) {
        Significance::Low001
    } else if below(wide) {
        Significance::Low025
    } else if above(narrow) {
        Significance::High001
    } else if above(wide) {
        Significance::High025
    } else {
        Significance::NotSignificant
    })
}

/// The denominators a funnel's limits are drawn at, as PHE chooses them: 100 points from 1 (or,
/// when the largest denominator is at most twice the smallest, from just below the smallest)
/// to just above the largest, spaced evenly on a log scale and at least 1 apart.
pub fn axis_points(min_denominator: f64, max_denominator: f64) -> Vec<f64> {
    // R's round(): halves to even.
    let floor_neat = |x: f64| {
        let down = x * 0.95;
        let digits = (down.floor().max(1.0).log10().floor()) as i32;
        (down / 10f64.powi(digits)).floor() * 10f64.powi(digits)
    };
    let ceiling_neat = |x: f64| {
        let up = x * 1.05;
        let digits = up.ceil().max(1.0).log10().floor() as i32 - 1;
        (up / 10f64.powi(digits)).ceil() * 10f64.powi(digits)
    };
    let minimum = if max_denominator > 2.0 * min_denominator || min_denominator <= 0.0 {
        0.0
    } else {
        floor_neat(min_denominator)
    };
    let maximum = if max_denominator <= 0.0 { 0.0 } else { ceiling_neat(max_denominator) };
    let mut points = vec![minimum.max(1.0)];
    for j in 2..=100u32 {
        let previous = *points.last().expect("a first point");
        let step = (maximum / previous).powf(1.0 / f64::from(101 - j)) * previous;
        points.push(step.round_ties_even().max(previous + 1.0));
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PHEindicatormethods' published funnel table for its test areas (average 80.642448%,
    /// denominators up to 102,950): population, lower and upper 95% limits, lower and upper
    /// 99.8% limits, in percent, clamped to 0 and 100 and printed to six places.
    const PUBLISHED: &[(f64, f64, f64, f64, f64)] = &[
        (1.0, 3.204264, 100.0, 0.0, 100.0),
        (3.0, 35.933491, 100.0, 10.150815, 100.0),
        (18.0, 62.390093, 98.894803, 51.864359, 100.0),
        (41.0, 68.548635, 92.73626, 61.574398, 99.710497),
        (1008.0, 78.203374, 83.081521, 76.796814, 84.488082),
        (110000.0, 80.408963, 80.875933, 80.274317, 81.010578),
    ];

    #[test]
    fn proportion_limits_equal_the_published_table() {
        let average = 0.80642448;
        for &(n, low95, high95, low998, high998) in PUBLISHED {
            let clamp = |x: f64| (x * 100.0).clamp(0.0, 100.0);
            let (l95, h95) = proportion_limits(average, n, 0.975).unwrap();
            let (l998, h998) = proportion_limits(average, n, 0.999).unwrap();
            // The published average has 8 significant digits, the limits 6 places.
            for (got, want) in
                [(clamp(l95), low95), (clamp(h95), high95), (clamp(l998), low998), (clamp(h998), high998)]
            {
                assert!((got - want).abs() < 2e-6, "n = {n}: got {got}, published {want}");
            }
        }
    }

    #[test]
    fn axis_points_equal_the_published_populations() {
        // The published table's first populations, and its last, for a largest denominator of
        // 102,950 (more than twice the smallest, so the axis starts at 1).
        let points = axis_points(16_386.0, 102_950.0);
        assert_eq!(points.len(), 100);
        let start = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 16.0, 18.0, 20.0];
        assert_eq!(&points[..start.len()], &start);
        assert_eq!(&points[95..], &[72486.0, 80452.0, 89294.0, 99108.0, 110000.0]);
        // Close together, the axis starts just below the smallest (0.95 × 900 down to 800).
        assert_eq!(axis_points(900.0, 1_000.0)[0], 800.0);
    }

    #[test]
    fn significance_is_read_lowest_limit_first() {
        let average = 0.80642448;
        // At 1,008 the 95% limits are 78.20% and 83.08%, the 99.8% 76.80% and 84.49%.
        let at = |x: f64| proportion_significance(x, 1008.0, average);
        assert_eq!(at(770.0), Some(Significance::Low001)); // 76.39%
        assert_eq!(at(780.0), Some(Significance::Low025)); // 77.38%
        assert_eq!(at(813.0), Some(Significance::NotSignificant)); // 80.65%
        assert_eq!(at(843.0), Some(Significance::High025)); // 83.63%
        assert_eq!(at(855.0), Some(Significance::High001)); // 84.82%
                                                            // Areas of PHEindicatormethods' published funnel test, with the labels it publishes
                                                            // (West Norfolk, North Devon, Exeter, New Forest and Norwich PCTs).
        for (x, n, label) in [
            (26789.238, 33012.0, "High (0.025)"),
            (30277.5312, 37828.0, "Low (0.025)"),
            (24866.916, 30929.0, "Not significant"),
            (35078.488, 41980.0, "High (0.001)"),
            (24803.6256, 31824.0, "Low (0.001)"),
        ] {
            assert_eq!(proportion_significance(x, n, average).map(Significance::label), Some(label), "{x} of {n}");
        }
        assert_eq!(proportion_significance(5.0, 0.0, average), None);
        assert_eq!(proportion_significance(9.0, 8.0, average), None);
        for s in Significance::ALL {
            assert_eq!(Significance::parse(s.label()), Some(s));
        }
    }
}
