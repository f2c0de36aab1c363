//! Funnel plots as OHID's Fingertips draws them (PHE, *Technical Guide: Funnel plots*; the
//! PHEindicatormethods package's `calculate_funnel_limits` and `assign_funnel_significance`):
//! the control limits of a proportion around the average of all the units plotted, at each
//! denominator (for the chart), and PHE's labels of which side of them a unit's value falls
//! (each unit's label is computed by the result plan, `compile/intervals.rs`).
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
//! and the limits are av ∓ z·√(av·(1 − av)/n): computed so here for the chart, and in the
//! result plan (compile/intervals.rs) for the label, operation for operation.

pub mod overdispersion;

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

/// The means at which `events` would lie just on a Poisson funnel's limits at the one-sided
/// point `p` (0.975 or 0.999), as PHE's `poisson_funnel` finds them by bisection: the mean
/// below which seeing `events` or fewer is rarer than 1 − p (the lower limit's), and the mean
/// above which seeing `events` or more is rarer than 1 − p (the upper limit's, none for 0
/// events). Here exactly, from the chi-square distribution: χ²(p; 2e + 2)/2 and
/// χ²(1 − p; 2e)/2.
pub fn poisson_limit_means(events: f64, p: f64) -> Option<(f64, f64)> {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    if events.is_nan() || events < 0.0 || !(0.5..1.0).contains(&p) {
        return None;
    }
    let below = ChiSquared::new(2.0 * events + 2.0).ok()?.inverse_cdf(p) / 2.0;
    let above = if events == 0.0 { 0.0 } else { ChiSquared::new(2.0 * events).ok()?.inverse_cdf(1.0 - p) / 2.0 };
    Some((below, above))
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
    fn poisson_limit_means_equal_the_published_ratio_table() {
        // PHEindicatormethods' published ratio funnel (`testdata_funnel_ratio_outputs`): events,
        // and the expected events on the lower and upper 95% and 99.8% limits. Its bisection
        // stops at a step of 1e-7 in v = m / (1 + e + m), so its figures are that close.
        let published: &[(f64, f64, f64, f64, f64)] = &[
            (1.0, 5.571644585, 0.025317898, 9.233410143, 0.001000547),
            (2.0, 7.224687515, 0.242209467, 11.22886836, 0.04540199),
            (9.0, 17.08479966, 4.11537405, 22.65737951, 2.452425215),
            (10.0, 18.39035799, 4.795387629, 24.13397235, 2.960519925),
            (100.0, 121.6268111, 81.36400699, 134.9243187, 71.92139974),
            (716.0, 770.4222128, 664.5083011, 802.60414, 636.1521174),
        ];
        for &(e, low95, high95, low998, high998) in published {
            let (b95, a95) = poisson_limit_means(e, 0.975).unwrap();
            let (b998, a998) = poisson_limit_means(e, 0.999).unwrap();
            for (got, want) in [(b95, low95), (a95, high95), (b998, low998), (a998, high998)] {
                let v = |m: f64| m / (1.0 + e + m);
                assert!((v(got) - v(want)).abs() < 2e-7, "{e}: got {got}, published {want}");
            }
        }
        assert_eq!(poisson_limit_means(0.0, 0.975).map(|(_, a)| a), Some(0.0));
    }

    #[test]
    fn labels_are_read_back_by_name() {
        for s in Significance::ALL {
            assert_eq!(Significance::parse(s.label()), Some(s));
        }
    }
}
