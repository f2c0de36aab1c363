//! Generated proven offences for `tests/fixtures/reoffending`: offenders with several
//! offences, disposals on the same day (ties broken by the offence's id), offences never
//! proven, rows with no offender, and reoffences on both sides of the 12-month follow-up and
//! the 6-month wait; and an independent reckoning of the cohorts the rules define. Seeded,
//! and independent of scorebook.

#![allow(dead_code)]

use chrono::{Months, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

#[derive(Clone, Debug)]
pub struct Offence {
    pub id: String,
    pub offender: Option<String>,
    pub offence: Option<NaiveDate>,
    pub disposal: Option<NaiveDate>,
    pub youth: bool,
}

/// `offenders` offenders' offences from 2010 to 2015, written to `offences.csv`.
pub fn write_offences(dir: &Path, offenders: usize, seed: u64) -> Vec<Offence> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let first = NaiveDate::from_ymd_opt(2010, 1, 1).unwrap();
    let mut out = Vec::new();
    let mut n = 0;
    for o in 0..offenders {
        let offender = format!("P{o:04}");
        let youth = rng.random_bool(0.4);
        let mut day = first + chrono::Duration::days(rng.random_range(0..1800));
        for _ in 0..rng.random_range(1..=5) {
            n += 1;
            let disposal = match rng.random_range(0..10) {
                0 => None,
                // Another offence disposed of the same day as the last.
                1 => out.last().and_then(|x: &Offence| x.disposal),
                _ => Some(day + chrono::Duration::days(rng.random_range(0..400))),
            };
            // Ids not in date order, so that ties are broken by the id, not the order written.
            out.push(Offence {
                id: format!("X{:05}", (n * 7919) % 100_000),
                offender: Some(offender.clone()),
                offence: Some(day),
                disposal,
                youth,
            });
            day += chrono::Duration::days(rng.random_range(1..500));
        }
    }
    let day = NaiveDate::from_ymd_opt(2012, 6, 1).unwrap();
    out.push(Offence { id: "Z00001".into(), offender: None, offence: Some(day), disposal: Some(day), youth: true });
    let shown = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let mut text = String::from("offence_id,offender_id,offence_date,disposal_date,youth\n");
    for x in &out {
        text.push_str(&format!(
            "{},{},{},{},{}\n",
            x.id,
            x.offender.clone().unwrap_or_default(),
            shown(x.offence),
            shown(x.disposal),
            x.youth
        ));
    }
    std::fs::write(dir.join("offences.csv"), text).unwrap();
    out
}

/// Each offender's first offence disposed of in `[from, to]` among those `kept`, by disposal
/// date and then id.
pub fn cohort(offences: &[Offence], from: NaiveDate, to: NaiveDate, kept: impl Fn(&Offence) -> bool) -> Vec<&Offence> {
    let mut firsts: std::collections::BTreeMap<&String, &Offence> = std::collections::BTreeMap::new();
    for x in offences.iter().filter(|x| kept(x)) {
        let (Some(who), Some(d)) = (&x.offender, x.disposal) else { continue };
        if d < from || d > to {
            continue;
        }
        let better = |y: &&Offence| (d, &x.id) < (y.disposal.unwrap(), &y.id);
        if firsts.get(who).is_none_or(better) {
            firsts.insert(who, x);
        }
    }
    firsts.into_values().collect()
}

/// Did the member reoffend: an offence after its index date and within 12 months of it,
/// proven within 18 months of it?
pub fn reoffended(offences: &[Offence], member: &Offence) -> bool {
    let index = member.disposal.unwrap();
    let (year, wait) = (index + Months::new(12), index + Months::new(18));
    offences.iter().any(|r| {
        r.offender == member.offender
            && r.offence.is_some_and(|o| o > index && o <= year)
            && r.disposal.is_some_and(|d| d <= wait)
    })
}
