//! Generated registered deaths and mid-year populations for `examples/public-health`, and an
//! independent reckoning of its directly standardised rates (PHE's DSR with Dobson's limits),
//! written from the published method (Breslow and Day, 1987; Dobson et al., 1991) with its
//! own arithmetic: no scorebook code. Seeded.

#![allow(dead_code)]

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::path::Path;

/// The 2013 European Standard Population's bands and weights.
pub const ESP2013: [(&str, f64); 19] = [
    ("0-4", 5000.0),
    ("5-9", 5500.0),
    ("10-14", 5500.0),
    ("15-19", 5500.0),
    ("20-24", 6000.0),
    ("25-29", 6000.0),
    ("30-34", 6500.0),
    ("35-39", 7000.0),
    ("40-44", 7000.0),
    ("45-49", 7000.0),
    ("50-54", 7000.0),
    ("55-59", 6500.0),
    ("60-64", 6000.0),
    ("65-69", 5500.0),
    ("70-74", 5000.0),
    ("75-79", 4000.0),
    ("80-84", 2500.0),
    ("85-89", 1500.0),
    ("90+", 1000.0),
];

#[derive(Clone, Debug)]
pub struct Death {
    pub date: NaiveDate,
    /// Where the death occurred, and the person's GP practice (either may be missing).
    pub place: Option<String>,
    pub practice: Option<String>,
    /// A band label, or `None` for an unknown age (counted in no band).
    pub band: Option<String>,
    pub cause: String,
}

/// The generated files: deaths from April 2011 to March 2014, populations by mid-year, and
/// England's deaths and population by mid-year, cause and age group.
pub struct Generated {
    pub deaths: Vec<Death>,
    /// (mid-year, age group) → population.
    pub population: BTreeMap<(i32, String), f64>,
    /// (mid-year, cause, age group) → (events, population).
    pub england: BTreeMap<(i32, String, String), (f64, f64)>,
}

/// `deaths` deaths over three financial years, written to `deaths.csv`, and the populations of
/// mid-2010 to mid-2012 (none for mid-2013: the 2013-14 periods fall back to mid-2012) in
/// `population.csv`, which also holds a `0-17` row each year that no standard band names.
/// Some deaths have no age band, some a label no standard has (`95+`); causes vary. England's
/// figures (`england.csv`) are for mid-2010 and mid-2011 only, so the 2012-13 periods read
/// England's 2011 rates beside the local 2012 population.
pub fn generate(dir: &Path, deaths: usize, seed: u64) -> Generated {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut england = BTreeMap::new();
    let mut text = String::from("year,age_group,cause,events,population\n");
    for year in 2010..=2011 {
        for (k, (band, _)) in ESP2013.iter().enumerate() {
            let people = rng.random_range(1_000_000..4_000_000);
            for cause in ["cvd", "cancer", "respiratory", "other"] {
                let events = (f64::from(people) * 0.00002 * 1.35f64.powi(k as i32) * rng.random_range(0.5..1.5)) as i64;
                england.insert((year, cause.to_string(), band.to_string()), (events as f64, f64::from(people)));
                text.push_str(&format!("{year},{band},{cause},{events},{people}\n"));
            }
        }
    }
    std::fs::write(dir.join("england.csv"), text).unwrap();
    let mut population = BTreeMap::new();
    let mut text = String::from("year,age_group,population\n");
    for year in 2010..=2012 {
        for (k, (band, _)) in ESP2013.iter().enumerate() {
            let people = if k < 16 { rng.random_range(3_000..20_000) } else { rng.random_range(200..3_000) };
            population.insert((year, band.to_string()), f64::from(people));
            text.push_str(&format!("{year},{band},{people}\n"));
        }
        text.push_str(&format!("{year},0-17,{}\n", rng.random_range(40_000..60_000)));
    }
    std::fs::write(dir.join("population.csv"), text).unwrap();

    let first = NaiveDate::from_ymd_opt(2011, 4, 1).unwrap();
    let mut rows = Vec::new();
    let mut text = String::from("death_id,date_of_death,age_band,sex,cause,place,practice\n");
    for i in 0..deaths {
        let date = first + chrono::Duration::days(rng.random_range(0..1096));
        // Older bands die more often.
        let k = (rng.random_range(0.0f64..1.0).sqrt() * 19.0) as usize;
        let band = match rng.random_range(0..100) {
            0 => None,
            1 => Some("95+".to_string()),
            _ => Some(ESP2013[k.min(18)].0.to_string()),
        };
        let cause = ["cvd", "cancer", "respiratory", "other"][rng.random_range(0..4)].to_string();
        let sex = if rng.random_bool(0.5) { "F" } else { "M" };
        // Practices of different sizes and habits: the first few mostly at home.
        let p = (rng.random_range(0.0f64..1.0).powi(2) * 12.0) as usize;
        let practice = (rng.random_range(0..50) > 0).then(|| format!("P{p:02}"));
        let home = if p < 2 {
            0.8
        } else if p > 9 {
            0.25
        } else {
            0.5
        };
        let place = match rng.random_range(0.0..1.0) {
            x if x < 0.02 => None,
            x if x < home => Some(if rng.random_bool(0.7) { "home" } else { "care home" }.to_string()),
            _ => Some(["hospital", "hospice", "other"][rng.random_range(0..3)].to_string()),
        };
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        text.push_str(&format!(
            "D{i:06},{date},{},{sex},{cause},{},{}\n",
            band.as_deref().unwrap_or(""),
            opt(&place),
            opt(&practice)
        ));
        rows.push(Death { date, band, cause, place, practice });
    }
    std::fs::write(dir.join("deaths.csv"), text).unwrap();
    Generated { deaths: rows, population, england }
}

/// A DSR as PHEindicatormethods gives it: value and limits (`None` below 10 events).
#[derive(Clone, Copy, Debug)]
pub struct Dsr {
    pub events: f64,
    pub population: f64,
    pub value: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// The two-sided normal quantile at `confidence` percent, by bisection of the normal CDF
/// (Abramowitz and Stegun's erfc series is too coarse; this integrates with Simpson's rule).
pub fn z(confidence: f64) -> f64 {
    let target = 1.0 - (1.0 - confidence / 100.0) / 2.0;
    let cdf = |x: f64| {
        // Φ(x) = 1/2 + ∫₀ˣ φ, Simpson's rule on 20,000 steps: far below 1e-12 here.
        let n = 20_000;
        let h = x / n as f64;
        let phi = |t: f64| (-t * t / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let mut s = phi(0.0) + phi(x);
        for i in 1..n {
            s += phi(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        0.5 + s * h / 3.0
    };
    let (mut lo, mut hi) = (0.0, 10.0);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if cdf(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// The directly standardised rate per `per` of `events` and `people` by band, weighted by
/// `standard`, with Dobson's limits at the normal quantile `z` (PHE: `phe_dsr`).
pub fn dsr(events: &[f64], people: &[f64], standard: &[f64], per: f64, z: f64) -> Dsr {
    let o: f64 = events.iter().sum();
    let n: f64 = people.iter().sum();
    let w: f64 = standard.iter().sum();
    if o < 10.0 {
        return Dsr { events: o, population: n, value: None, low: None, high: None };
    }
    let value = events.iter().zip(people).zip(standard).map(|((x, p), s)| x * s / p).sum::<f64>() / w * per;
    let var = events.iter().zip(people).zip(standard).map(|((x, p), s)| x * (s / p).powi(2)).sum::<f64>() / (w * w);
    let byar_low = o * (1.0 - 1.0 / (9.0 * o) - z / (3.0 * o.sqrt())).powi(3);
    let byar_high = (o + 1.0) * (1.0 - 1.0 / (9.0 * (o + 1.0)) + z / (3.0 * (o + 1.0).sqrt())).powi(3);
    let se = (var / o).sqrt();
    Dsr {
        events: o,
        population: n,
        value: Some(value),
        low: Some(value + se * (byar_low - o) * per),
        high: Some(value + se * (byar_high - o) * per),
    }
}

impl Generated {
    /// The DSR of the deaths dated `start..=end` meeting `keep`, in `bands` (a standard's first
    /// bands), against the population of the latest mid-year up to `mid_year`.
    pub fn dsr(
        &self,
        start: NaiveDate,
        end: NaiveDate,
        mid_year: i32,
        bands: usize,
        keep: impl Fn(&Death) -> bool,
        z: f64,
    ) -> Dsr {
        let year = (2010..=mid_year).rev().find(|y| self.population.keys().any(|(py, _)| py == y)).unwrap();
        let labels: Vec<&str> = ESP2013[..bands].iter().map(|(l, _)| *l).collect();
        let events: Vec<f64> = labels
            .iter()
            .map(|l| {
                self.deaths
                    .iter()
                    .filter(|d| d.date >= start && d.date <= end && d.band.as_deref() == Some(l) && keep(d))
                    .count() as f64
            })
            .collect();
        let people: Vec<f64> = labels.iter().map(|l| self.population[&(year, l.to_string())]).collect();
        let standard: Vec<f64> = ESP2013[..bands].iter().map(|(_, w)| *w).collect();
        dsr(&events, &people, &standard, 100_000.0, z)
    }
}

/// An indirectly standardised figure as PHEindicatormethods gives it (`calculate_ISRatio`,
/// `calculate_ISRate`).
#[derive(Clone, Copy, Debug)]
pub struct Isr {
    pub observed: f64,
    pub expected: f64,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// P(X ≤ k) for X Poisson with mean `mean`.
fn poisson_cdf(k: u32, mean: f64) -> f64 {
    let mut term = (-mean).exp();
    let mut total = term;
    for i in 1..=k {
        term *= mean / f64::from(i);
        total += term;
    }
    total
}

/// The mean at which `f` (falling in the mean) equals `target`, by bisection.
fn solve(f: impl Fn(f64) -> f64, target: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 200.0f64);
    for _ in 0..400 {
        let mid = (lo + hi) / 2.0;
        if f(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// The Poisson limits of `o` events at `confidence` percent: exact below 10 (the means at
/// which seeing `o` or more, and `o` or fewer, has probability α/2), Byar's from 10.
pub fn poisson_limits(o: f64, confidence: f64, z: f64) -> (f64, f64) {
    let alpha = 1.0 - confidence / 100.0;
    if o < 10.0 {
        let k = o as u32;
        let low = if k == 0 { 0.0 } else { solve(|m| poisson_cdf(k - 1, m), 1.0 - alpha / 2.0) };
        let high = solve(|m| poisson_cdf(k, m), alpha / 2.0);
        return (low, high);
    }
    let low = o * (1.0 - 1.0 / (9.0 * o) - z / (3.0 * o.sqrt())).powi(3);
    let high = (o + 1.0) * (1.0 - 1.0 / (9.0 * (o + 1.0)) + z / (3.0 * (o + 1.0).sqrt())).powi(3);
    (low, high)
}

impl Generated {
    /// The latest year up to `mid_year` in `years`.
    fn year_of(years: impl Iterator<Item = i32>, mid_year: i32) -> i32 {
        years.filter(|y| *y <= mid_year).max().unwrap()
    }

    /// The deaths of `cause` dated `start..=end` over those expected in the local population
    /// at England's rates of that cause, each in the latest year up to `mid_year` it has:
    /// × `per` as a ratio, or with `rate` × England's overall rate per `per`.
    #[allow(clippy::too_many_arguments)]
    pub fn isr(
        &self,
        start: NaiveDate,
        end: NaiveDate,
        mid_year: i32,
        cause: &str,
        per: f64,
        rate: bool,
        confidence: f64,
        z: f64,
    ) -> Isr {
        let local = Self::year_of(self.population.keys().map(|(y, _)| *y), mid_year);
        let reference = Self::year_of(self.england.keys().map(|(y, _, _)| *y), mid_year);
        let observed =
            self.deaths.iter().filter(|d| d.date >= start && d.date <= end && d.cause == cause).count() as f64;
        let mut expected = 0.0;
        let (mut events, mut people) = (0.0, 0.0);
        for ((y, c, band), (x, n)) in &self.england {
            if *y != reference || c != cause {
                continue;
            }
            // Over the age groups both have.
            if let Some(local_people) = self.population.get(&(local, band.clone())) {
                expected += x / n * local_people;
                events += x;
                people += n;
            }
        }
        let factor = if rate { events / people * per } else { per };
        let (low, high) = poisson_limits(observed, confidence, z);
        Isr {
            observed,
            expected,
            value: observed / expected * factor,
            low: low / expected * factor,
            high: high / expected * factor,
        }
    }
}

/// PHE's funnel label of `x` of `n` against the average proportion `av`, from its published
/// formula (`sigma_adjustment`, as PHEindicatormethods writes it) at 0.999 and 0.975.
/// `z95` and `z998` are [`z`] at 95% and 99.8%.
pub fn funnel_label(x: f64, n: f64, av: f64, z95: f64, z998: f64) -> &'static str {
    let limits = |z: f64| {
        let q = z * z;
        let first = av * (n / q + 1.0);
        let adj = ((-8.0 * av * (n / q + 1.0)).powi(2)
            - 64.0 * (1.0 / q + 1.0 / n) * av * (n * (av * (n / q + 2.0) - 1.0) + q * (av - 1.0)))
            .sqrt();
        let last = 1.0 / q + 1.0 / n;
        ((first - adj / 8.0) / last / n, (first + adj / 8.0) / last / n)
    };
    let (v, wide, narrow) = (x / n, limits(z95), limits(z998));
    if v < narrow.0 {
        "Low (0.001)"
    } else if v < wide.0 {
        "Low (0.025)"
    } else if v > narrow.1 {
        "High (0.001)"
    } else if v > wide.1 {
        "High (0.025)"
    } else {
        "Not significant"
    }
}

/// One unit of an over-dispersed funnel, as FunnelPlotR scores it: its value less the target on
/// the transformed scale, and its variance there.
#[derive(Clone, Copy, Debug)]
pub struct OdUnit {
    pub difference: f64,
    pub variance: f64,
}

impl OdUnit {
    /// A percentage's unit, `x` of `n` around the proportion `av`: arcsine square roots,
    /// variance 1 / 4n.
    pub fn proportion(x: f64, n: f64, av: f64) -> OdUnit {
        OdUnit { difference: (x / n).sqrt().asin() - av.sqrt().asin(), variance: 0.25 / n }
    }

    /// A ratio's unit, `o` events against `e` expected: log of O/E (−∞ for none), variance 1/E.
    pub fn ratio(o: f64, e: f64) -> OdUnit {
        OdUnit { difference: (o / e).ln(), variance: 1.0 / e }
    }

    fn z(&self) -> f64 {
        self.difference / self.variance.sqrt()
    }
}

/// The labels FunnelPlotR's over-dispersed limits give `units` (Spiegelhalter 2005, 2012;
/// `transformed_zscore`, `winsorisation` or SHMI's `truncation`, `phi_func`, `tau_func`),
/// reckoned here on its own: z-scores winsorised at R's type 7 10th and 90th percentiles
/// (`truncate` false) or truncated to the units whose ⌊10 × average rank / (n + 1)⌋ is 1 to 8;
/// φ the mean z² left; τ² = (m φ − (m − 1)) / (Σ w − Σ w² / Σ w), w = 1 / variance; each unit's
/// (Y − target) / √(variance + τ²) against ±z. `None` where φ is not above 1 (or is not
/// finite), when the caller's unadjusted labels stand.
pub fn overdispersed_labels(units: &[OdUnit], truncate: bool, z95: f64, z998: f64) -> Option<Vec<&'static str>> {
    let n = units.len();
    if n < 2 {
        return None;
    }
    let zs: Vec<f64> = units.iter().map(OdUnit::z).collect();
    let mut sorted = zs.clone();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut left: Vec<(f64, f64)> = Vec::new(); // (z, w) of the z-scores the estimate reads
    if truncate {
        for (u, &z) in units.iter().zip(&zs) {
            let below = zs.iter().filter(|&&y| y < z).count() as f64;
            let equal = zs.iter().filter(|&&y| y == z).count() as f64;
            let rank = below + (equal + 1.0) / 2.0;
            let group = (rank * 10.0 / (n as f64 + 1.0)).floor();
            if (1.0..=8.0).contains(&group) {
                left.push((z, 1.0 / u.variance));
            }
        }
    } else {
        let quantile = |p: f64| {
            let at = (n as f64 - 1.0) * p;
            let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
            sorted[lo] + (at - at.floor()) * (sorted[hi] - sorted[lo])
        };
        let (low, high) = (quantile(0.1), quantile(0.9));
        left = units.iter().zip(&zs).map(|(u, &z)| (z.max(low).min(high), 1.0 / u.variance)).collect();
    }
    let m = left.len() as f64;
    let phi = left.iter().map(|(z, _)| z * z).sum::<f64>() / m;
    if !(phi.is_finite() && phi > 1.0) {
        return None;
    }
    let sw: f64 = left.iter().map(|(_, w)| w).sum();
    let sw2: f64 = left.iter().map(|(_, w)| w * w).sum();
    let tau2 = ((m * phi - (m - 1.0)) / (sw - sw2 / sw)).max(0.0);
    Some(
        units
            .iter()
            .map(|u| {
                let z = u.difference / (u.variance + tau2).sqrt();
                if z > z998 {
                    "High (0.001)"
                } else if z > z95 {
                    "High (0.025)"
                } else if z < -z998 {
                    "Low (0.001)"
                } else if z < -z95 {
                    "Low (0.025)"
                } else {
                    "Not significant"
                }
            })
            .collect(),
    )
}
