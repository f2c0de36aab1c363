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

/// Where a count of `observed` events falls against the `expected` events (PHE's
/// `assign_funnel_significance` for ratios and rates, through `funnel_ratio_significance`):
/// above when the count's Poisson interval (exact below 10 events, Byar's from 10) at 99.8%,
/// then at 95%, lies wholly above the expected events; below when it lies wholly below them.
/// For a rate, the expected events are the unit's at the units' average rate, av × D. `None`
/// for a count that is not a whole number of events, or nothing expected.
pub fn poisson_significance(observed: f64, expected: f64) -> Option<Significance> {
    if observed.is_nan() || observed < 0.0 || observed.fract() != 0.0 || expected.is_nan() || expected <= 0.0 {
        return None;
    }
    let interval = |level: f64| crate::statistics::poisson(observed, level);
    let (wide, narrow) = (interval(95.0)?, interval(99.8)?);
    Some(if narrow.low > expected {
        Significance::High001
    } else if wide.low > expected {
        Significance::High025
    } else if narrow.high < expected {
        Significance::Low001
    } else if wide.high < expected {
        Significance::Low025
    } else {
        Significance::NotSignificant
    })
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

    const H1: Significance = Significance::High001;
    const H2: Significance = Significance::High025;
    const NS: Significance = Significance::NotSignificant;
    const L2: Significance = Significance::Low025;
    const L1: Significance = Significance::Low001;

    /// PHEindicatormethods' published test of funnel significance for rates (its
    /// `testdata_funnel_rate_dsr_inputs`): events, DSR per 100,000 and population of 40 areas,
    /// and the labels it publishes for the crude rate (with the population given) and the DSR.
    const PUBLISHED_RATES: &[(f64, f64, f64, Significance, Option<Significance>)] = &[
        (2419.0, 907.6174266, 264102.0, H1, Some(H1)),
        (2337.0, 948.5620216, 259711.0, H1, Some(H1)),
        (2291.0, 799.9690496, 289247.0, H1, Some(H1)),
        (2242.0, 852.5637927, 265029.0, H1, Some(H1)),
        (2218.0, 868.5358183, 284649.0, H1, Some(H1)),
        (2159.0, 769.6242217, 293578.0, H1, Some(H1)),
        (2130.0, 752.3254955, 286718.0, H1, Some(H2)),
        (2111.0, 710.2689402, 307381.0, NS, Some(NS)),
        (2105.0, 815.3530325, 274145.0, H1, Some(H1)),
        (2083.0, 717.7035916, 297424.0, H2, Some(NS)),
        (2078.0, 755.8016993, 272628.0, H1, Some(H1)),
        (2062.0, 825.9742848, 269656.0, H1, Some(H1)),
        (2061.0, 702.2972468, 294692.0, H2, Some(NS)),
        (2033.0, 785.6210132, 277710.0, H1, Some(H1)),
        (2033.0, 743.6763018, 259213.0, H1, Some(H2)),
        (2010.0, 781.8323058, 285516.0, H2, Some(H1)),
        (2004.0, 772.6781064, 269449.0, H1, Some(H1)),
        (2002.0, 652.3391553, 290888.0, NS, Some(L1)),
        (1977.0, 648.4969973, 287112.0, NS, Some(L1)),
        (1944.0, 727.5777428, 286492.0, NS, Some(NS)),
        (1932.0, 625.6551186, 287012.0, NS, Some(L1)),
        (1922.0, 688.5582424, 291277.0, NS, Some(NS)),
        (1912.0, 662.4465438, 289859.0, NS, Some(L2)),
        (1881.0, 627.1624732, 289653.0, NS, Some(L1)),
        (1844.0, 657.1114147, 282519.0, NS, Some(L2)),
        (1835.0, 724.8456714, 274220.0, NS, Some(NS)),
        (1833.0, 659.7820553, 280271.0, NS, Some(L2)),
        (1825.0, 654.7053631, 284206.0, NS, Some(L1)),
        (1816.0, 624.4435507, 274508.0, NS, Some(L1)),
        (1809.0, 646.7588823, 288384.0, L2, Some(L1)),
        (1798.0, 703.1689982, 287072.0, L2, Some(NS)),
        (1754.0, 567.9922764, 282744.0, L1, Some(L1)),
        (1746.0, 617.7750715, 289208.0, L1, Some(L1)),
        (1709.0, 610.8327232, 287736.0, L1, Some(L1)),
        (1694.0, 608.5089462, 296175.0, L1, Some(L1)),
        (1688.0, 662.3775859, 303255.0, L1, Some(L2)),
        (1649.0, 667.6454503, 285959.0, L1, Some(L2)),
        (1553.0, 604.1141693, 274661.0, L1, Some(L1)),
        (1332.0, 469.5645784, 281425.0, L1, Some(L1)),
        (0.0, f64::NAN, 297820.0, L1, None),
    ];

    #[test]
    fn rate_significance_equals_the_published_labels() {
        // A crude rate: av = Σ O / Σ population, each area expecting av × its population.
        let av = PUBLISHED_RATES.iter().map(|r| r.0).sum::<f64>() / PUBLISHED_RATES.iter().map(|r| r.2).sum::<f64>();
        for &(o, _, population, crude, _) in PUBLISHED_RATES {
            assert_eq!(poisson_significance(o, av * population), Some(crude), "{o} of {population}");
        }
        // A DSR: D = 100,000 × O / DSR where there is a DSR, av = Σ O / Σ D.
        let d = |o: f64, dsr: f64| (o > 0.0 && dsr > 0.0).then(|| 100_000.0 * o / dsr);
        let sum_d: f64 = PUBLISHED_RATES.iter().filter_map(|r| d(r.0, r.1)).sum();
        let av = PUBLISHED_RATES.iter().map(|r| r.0).sum::<f64>() / sum_d;
        for &(o, dsr, _, _, label) in PUBLISHED_RATES {
            assert_eq!(d(o, dsr).and_then(|d| poisson_significance(o, av * d)), label, "{o} at {dsr}");
        }
        // Exact limits below 10 events: 3 events are above 0.6187 expected at 95%, not at 99.8%.
        assert_eq!(poisson_significance(3.0, 0.6), Some(H2));
        assert_eq!(poisson_significance(3.0, 0.1), Some(H1));
        assert_eq!(poisson_significance(0.0, 3.0), Some(NS));
        assert_eq!(poisson_significance(0.0, 3.7), Some(L2));
        assert_eq!(poisson_significance(2.5, 3.0), None);
        assert_eq!(poisson_significance(3.0, 0.0), None);
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
