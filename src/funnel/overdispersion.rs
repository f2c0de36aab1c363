//! Over-dispersed funnel limits, as FunnelPlotR draws them (Spiegelhalter, *Funnel plots for
//! comparing institutional performance*, 2005; Spiegelhalter et al., *Statistical methods for
//! healthcare regulation*, 2012): when the units vary more between themselves than chance
//! allows, the limits are widened by a between-unit variance τ² (DerSimonian and Laird's
//! additive random effect), estimated from the units' own z-scores.
//!
//! Each unit has a value Y on a scale where its standard error s is known, and an unadjusted
//! z-score:
//!
//! - a percentage (FunnelPlotR's `PR`): Y = asin √(n/d), s = 1 / (2√d), around asin √av (av the
//!   measure's whole, as PHE's funnel); z = (Y − asin √av) / s. The z-scores are winsorised:
//!   those below the 10th percentile (R's `quantile`, type 7) are set to it, those above the
//!   90th to that.
//! - a rate or an indirectly standardised ratio (`SR`, NHS England's SHMI method): Y = ln(O/E),
//!   s = 1 / √E, with E the unit's expected events (for a rate, av × D); z = √E · ln(O/E). The
//!   z-scores are truncated: with each unit's rank r among the n (ties averaged), a unit is
//!   kept when 0 < ⌊10 r / (n + 1)⌋ < 9.
//!
//! Over the m z-scores left, φ = Σ z² / m; with w = 1/s², τ² = (m φ − (m − 1)) / (Σ w − Σ w² / Σ w)
//! (0 when m φ < m − 1). Where φ > 1 the unit is judged by its adjusted z-score
//! (Y − target) / √(s² + τ²) against the normal quantiles of 95% and 99.8%; where φ ≤ 1 (no
//! over-dispersion), or it cannot be estimated (fewer than two units, or a unit with no events
//! among those kept), against PHE's own limits, as without `overdispersed`.

/// The share of the z-scores winsorised or truncated at each end.
pub const TRIM: f64 = 0.1;

/// How the extreme z-scores are tamed before φ is estimated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trim {
    /// A percentage's: set to the 10th and 90th percentiles.
    Winsorise,
    /// A rate's or ratio's (SHMI): left out.
    Truncate,
}

/// A unit's unadjusted z-score and its weight 1/s².
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scored {
    pub z: f64,
    pub weight: f64,
}

/// A percentage unit of `numerator` of `denominator` around the `average` proportion. `None`
/// without a positive denominator or with a numerator outside 0 to it.
pub fn proportion(numerator: f64, denominator: f64, average: f64) -> Option<Scored> {
    if denominator.is_nan() || denominator <= 0.0 || !(0.0..=denominator).contains(&numerator) {
        return None;
    }
    if !(0.0..=1.0).contains(&average) {
        return None;
    }
    let y = (numerator / denominator).sqrt().asin();
    let target = average.sqrt().asin();
    Some(Scored { z: (y - target) * 2.0 * denominator.sqrt(), weight: 4.0 * denominator })
}

/// A rate's or ratio's unit of `observed` events against `expected`. `None` with nothing
/// expected; no events is a z-score of −∞.
pub fn ratio(observed: f64, expected: f64) -> Option<Scored> {
    if observed.is_nan() || observed < 0.0 || expected.is_nan() || expected <= 0.0 {
        return None;
    }
    Some(Scored { z: expected.sqrt() * (observed / expected).ln(), weight: expected })
}

/// The estimate of over-dispersion among a funnel's units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dispersion {
    /// The dispersion ratio φ.
    pub phi: f64,
    /// The between-unit variance τ².
    pub tau2: f64,
}

impl Dispersion {
    /// Whether the limits are widened: φ above 1.
    pub fn applies(&self) -> bool {
        self.phi > 1.0
    }
}

/// φ and τ² of `units`. `None` when they cannot be estimated: no z-score kept, fewer than two
/// units' weights, or an infinite z-score (a unit with no events) among those kept.
pub fn estimate(units: &[Scored], trim: Trim) -> Option<Dispersion> {
    let mut sorted: Vec<Scored> = units.iter().copied().filter(|u| !u.z.is_nan()).collect();
    sorted.sort_by(|a, b| a.z.total_cmp(&b.z));
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let kept: Vec<Scored> = match trim {
        Trim::Winsorise => {
            let (low, high) = (quantile(&sorted, TRIM)?, quantile(&sorted, 1.0 - TRIM)?);
            sorted.iter().map(|u| Scored { z: u.z.clamp(low, high), ..*u }).collect()
        }
        Trim::Truncate => {
            let groups = (1.0 / TRIM).round();
            average_ranks(&sorted)
                .into_iter()
                .zip(&sorted)
                .filter(|(rank, _)| {
                    let group = (rank * groups / (n as f64 + 1.0)).floor();
                    group > 0.0 && group < groups - 1.0
                })
                .map(|(_, u)| *u)
                .collect()
        }
    };
    let m = kept.len() as f64;
    if kept.is_empty() || kept.iter().any(|u| u.z.is_infinite()) {
        return None;
    }
    let phi = kept.iter().map(|u| u.z * u.z).sum::<f64>() / m;
    let sum_w: f64 = kept.iter().map(|u| u.weight).sum();
    let sum_w2: f64 = kept.iter().map(|u| u.weight * u.weight).sum();
    let spread = sum_w - sum_w2 / sum_w;
    if spread.is_nan() || spread <= 0.0 {
        return None;
    }
    let tau2 = if m * phi < m - 1.0 { 0.0 } else { ((m * phi - (m - 1.0)) / spread).max(0.0) };
    Some(Dispersion { phi, tau2 })
}

/// R's type 7 quantile of sorted z-scores, as R reckons it: at the index i = 1 + (n − 1) p
/// (from 1), (1 − h) x⌊i⌋ + h x⌈i⌉ with h = i − ⌊i⌋, or x⌊i⌋ where h is 0 or the two are equal.
fn quantile(sorted: &[Scored], p: f64) -> Option<f64> {
    let index = 1.0 + (sorted.len() as f64 - 1.0) * p;
    let at = |i: f64| sorted.get(i as usize - 1).map(|u| u.z);
    let (low, high) = (at(index.floor())?, at(index.ceil())?);
    let h = index - index.floor();
    Some(if h > 0.0 && high != low { (1.0 - h) * low + h * high } else { low })
}

/// Each sorted z-score's rank from 1, ties given the average of their ranks (R's `rank`).
fn average_ranks(sorted: &[Scored]) -> Vec<f64> {
    let mut ranks = vec![0.0; sorted.len()];
    let mut start = 0;
    while start < sorted.len() {
        let end = sorted[start..].iter().take_while(|u| u.z == sorted[start].z).count() + start;
        let average = (start + 1 + end) as f64 / 2.0;
        ranks[start..end].iter_mut().for_each(|r| *r = average);
        start = end;
    }
    ranks
}

/// A unit's adjusted z-score: its unadjusted z with the variance s² widened to s² + τ².
pub fn adjusted(unit: Scored, tau2: f64) -> f64 {
    let s2 = 1.0 / unit.weight;
    unit.z * (s2 / (s2 + tau2)).sqrt()
}

/// The over-dispersed limits of a unit of weight `weight` (1/s²) around the target on the
/// transformed scale, at the normal quantile `z`: (target − z√(s² + τ²), target + z√(s² + τ²)).
pub fn limits(target: f64, weight: f64, tau2: f64, z: f64) -> (f64, f64) {
    let half = z * (1.0 / weight + tau2).sqrt();
    (target - half, target + half)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(zs: &[f64]) -> Vec<Scored> {
        zs.iter().map(|&z| Scored { z, weight: 100.0 }).collect()
    }

    #[test]
    fn quantiles_are_r_type_seven() {
        // quantile(1:10, c(0.1, 0.9)) is 1.9 and 9.1; quantile(c(3, 1, 2), 0.1) is 1.2.
        let ten = scored(&(1..=10).map(f64::from).collect::<Vec<_>>());
        assert!((quantile(&ten, 0.1).unwrap() - 1.9).abs() < 1e-12);
        assert!((quantile(&ten, 0.9).unwrap() - 9.1).abs() < 1e-12);
        assert!((quantile(&scored(&[1.0, 2.0, 3.0]), 0.1).unwrap() - 1.2).abs() < 1e-12);
    }

    #[test]
    fn ranks_average_their_ties() {
        assert_eq!(average_ranks(&scored(&[1.0, 2.0, 2.0, 2.0, 5.0])), vec![1.0, 3.0, 3.0, 3.0, 5.0]);
    }

    #[test]
    fn winsorised_phi_and_tau2_by_hand() {
        // z = 1..10, weights 100: winsorised to 1.9 ... 9.1, φ = (1.9² + 2² + ... + 9² + 9.1²) / 10.
        let units = scored(&(1..=10).map(f64::from).collect::<Vec<_>>());
        let d = estimate(&units, Trim::Winsorise).unwrap();
        let phi = (1.9f64.powi(2) + (2..=9).map(|z| f64::from(z * z)).sum::<f64>() + 9.1f64.powi(2)) / 10.0;
        assert!((d.phi - phi).abs() < 1e-12);
        // Σw = 1000, Σw² = 100,000: Σw − Σw²/Σw = 900.
        assert!((d.tau2 - (10.0 * phi - 9.0) / 900.0).abs() < 1e-12);
        assert!(d.applies());
    }

    #[test]
    fn truncation_keeps_the_middle_ranks() {
        // 20 units: ⌊10 r / 21⌋ is 0 for ranks 1 and 2, 9 for rank 19 (190/21 = 9.05) and 20.
        let zs: Vec<f64> = (1..=20).map(f64::from).collect();
        let d = estimate(&scored(&zs), Trim::Truncate).unwrap();
        let kept: Vec<f64> = (3..=18).map(f64::from).collect();
        assert!((d.phi - kept.iter().map(|z| z * z).sum::<f64>() / 16.0).abs() < 1e-12);
        // A unit with no events ranks first and is left out; kept, it leaves no estimate.
        let mut with_zero = zs.clone();
        with_zero[0] = f64::NEG_INFINITY;
        assert!(estimate(&scored(&with_zero), Trim::Truncate).is_some());
        let many_zeros: Vec<f64> = (0..20).map(|i| if i < 8 { f64::NEG_INFINITY } else { f64::from(i) }).collect();
        assert_eq!(estimate(&scored(&many_zeros), Trim::Truncate), None);
    }

    #[test]
    fn no_overdispersion_leaves_tau2_at_zero() {
        let d = estimate(&scored(&[-0.5, 0.2, 0.1, -0.3, 0.4]), Trim::Winsorise).unwrap();
        assert!(d.phi < 1.0 && !d.applies());
        assert_eq!(d.tau2, 0.0);
        assert_eq!(estimate(&scored(&[1.0]), Trim::Winsorise), None);
    }

    #[test]
    fn adjusted_scores_shrink_by_the_widened_variance() {
        // s² = 1/100, τ² = 0.03: the score shrinks by √(0.01 / 0.04) = 1/2.
        let unit = Scored { z: 5.0, weight: 100.0 };
        assert!((adjusted(unit, 0.03) - 2.5).abs() < 1e-12);
        // The same on the transformed scale: asin √0.5 ± 1.96 √(1/100 + 0.03).
        let (low, high) = limits(0.5f64.sqrt().asin(), 100.0, 0.03, 1.96);
        assert!((high - low - 2.0 * 1.96 * 0.2).abs() < 1e-12);
    }

    #[test]
    fn units_are_scored_on_their_scales() {
        // A percentage: (asin √0.6 − asin √0.5) × 2 √100.
        let p = proportion(60.0, 100.0, 0.5).unwrap();
        assert!((p.z - (0.6f64.sqrt().asin() - 0.5f64.sqrt().asin()) * 20.0).abs() < 1e-12);
        assert_eq!(p.weight, 400.0);
        // A ratio: √E ln(O/E).
        let r = ratio(30.0, 20.0).unwrap();
        assert!((r.z - 20f64.sqrt() * 1.5f64.ln()).abs() < 1e-12);
        assert_eq!(ratio(0.0, 20.0).unwrap().z, f64::NEG_INFINITY);
        assert_eq!(ratio(3.0, 0.0), None);
        assert_eq!(proportion(3.0, 2.0, 0.5), None);
    }
}
