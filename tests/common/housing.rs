//! Generated stays in bed and breakfast accommodation for `tests/fixtures/housing`: families
//! with stays that overlap, touch (one starts the day another ends), leave a one-night gap,
//! nest inside each other, are still open, or have no family or no start; and an independent
//! reckoning of the spells and nights the rules define. Seeded, and independent of scorebook.

#![allow(dead_code)]

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

#[derive(Clone, Debug)]
pub struct Stay {
    pub id: String,
    pub family: Option<String>,
    pub arrived: Option<NaiveDate>,
    pub left: Option<NaiveDate>,
}

/// `families` families' stays from spring 2013 to the end of 2013, written to `stays.csv`.
pub fn write_stays(dir: &Path, families: usize, seed: u64) -> Vec<Stay> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let first = NaiveDate::from_ymd_opt(2013, 3, 1).unwrap();
    let mut stays = Vec::new();
    let mut next_id = 0;
    let mut id = || {
        next_id += 1;
        format!("S{next_id:05}")
    };
    for f in 0..families {
        let family = format!("F{f:04}");
        let mut day = first + chrono::Duration::days(rng.random_range(0..250));
        for _ in 0..rng.random_range(1..=4) {
            let nights = rng.random_range(1..60);
            let left = day + chrono::Duration::days(nights);
            let open = rng.random_bool(0.1);
            stays.push(Stay {
                id: id(),
                family: Some(family.clone()),
                arrived: Some(day),
                left: (!open).then_some(left),
            });
            if open {
                break;
            }
            // The next stay: overlapping, touching, nested, a one-night gap, or weeks later.
            day = match rng.random_range(0..5) {
                0 => left - chrono::Duration::days(rng.random_range(1..=nights)),
                1 => left,
                2 => day + chrono::Duration::days(rng.random_range(0..nights)),
                3 => left + chrono::Duration::days(1),
                _ => left + chrono::Duration::days(rng.random_range(2..90)),
            };
        }
    }
    // Rows another system leaves incomplete.
    let day = NaiveDate::from_ymd_opt(2013, 8, 1).unwrap();
    stays.push(Stay { id: id(), family: None, arrived: Some(day), left: Some(day + chrono::Duration::days(50)) });
    stays.push(Stay { id: id(), family: Some("F0000".into()), arrived: None, left: Some(day) });
    let shown = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let mut out = String::from("stay_id,family_id,arrived,left\n");
    for s in &stays {
        out.push_str(&format!(
            "{},{},{},{}\n",
            s.id,
            s.family.clone().unwrap_or_default(),
            shown(s.arrived),
            shown(s.left)
        ));
    }
    std::fs::write(dir.join("stays.csv"), out).unwrap();
    stays
}

/// A continuous spell of one family: its first day and the day it ends (`None`: still open).
#[derive(Clone, Debug, PartialEq)]
pub struct Spell {
    pub family: String,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
}

/// Each family's stays merged where they overlap or touch: a stay starting on or before the
/// last day any earlier stay reaches (its end day, the day it is no longer open) joins it.
pub fn spells(stays: &[Stay]) -> Vec<Spell> {
    let mut placed: Vec<(&String, NaiveDate, Option<NaiveDate>)> =
        stays.iter().filter_map(|s| Some((s.family.as_ref()?, s.arrived?, s.left))).collect();
    placed.sort_by_key(|(f, start, end)| (*f, *start, end.unwrap_or(NaiveDate::MAX)));
    let mut out: Vec<Spell> = Vec::new();
    for (family, start, end) in placed {
        match out.last_mut() {
            Some(last) if &last.family == family && last.end.is_none_or(|reach| start <= reach) => {
                last.end = match (last.end, end) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => out.push(Spell { family: family.clone(), start, end }),
        }
    }
    out
}

/// The nights (days open) of a span from `start` to `end` inside `[from, to]`.
pub fn nights_within(start: NaiveDate, end: Option<NaiveDate>, from: NaiveDate, to: NaiveDate) -> i64 {
    let first = start.max(from);
    let after = end.map_or(to + chrono::Duration::days(1), |e| e.min(to + chrono::Duration::days(1)));
    (after - first).num_days().max(0)
}
