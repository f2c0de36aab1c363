//! `synth`: realistic, deterministic case-level data for the council book's sources.
//!
//! A simulation of a local authority's children's services: contacts to the front door, some
//! becoming referrals, then assessments (initial and core before July 2013, combined from
//! July 2013), section 47 enquiries, conferences and child protection plans; episodes of
//! need, periods of care (short breaks among them), CAFs, monthly workforce snapshots,
//! elected members and the mid-year population. Magnitudes follow the 2013 performance book
//! for about 80,000 children and scale with `--children`. Work happens on working days. The
//! data is messy but valid: missing ethnicity, open cases, same-day events, repeat referrals.
//! Two years of history before `--from` are included, so that open cases and look-backs are
//! as real data would have them.

mod flows;
mod ssda903;
mod write;

pub use write::{ssda903_sources, write_ssda903, write_tables, Layout, OutputFormat};

use crate::calendar::working_days::{is_working_day, HolidayList};
use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The authority the demo data stands for (Cheshire East, whose book the project grew from).
pub const DEMO_AREA: &str = "E06000049";

#[derive(Clone, Debug)]
pub struct SynthOptions {
    pub children: u64,
    pub seed: u64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// How many times a child comes back to the service (the council book's tables only).
    pub histories: Histories,
}

/// How full the children's histories are: how many contacts a year the authority takes, and
/// how many of them concern a child already known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Histories {
    /// The 2013 book's authority: 7,000 contacts a year per 80,000 children, 22% of them about
    /// a child known in the last few thousand contacts; 40% become referrals.
    #[default]
    Sparse,
    /// Histories as dense as a large authority's case records: 4.35 times the contacts, 60% of
    /// them about a child already known (from the whole time the simulation has run), 26%
    /// becoming referrals, so that a child has many referrals and assessments and the
    /// look-backs (repeat referrals, earlier plans) find many rows of the same child.
    Dense,
}

impl Histories {
    /// Contacts a year, as a multiple of the 2013 book's authority's.
    pub(crate) fn contacts(self) -> f64 {
        match self {
            Histories::Sparse => 1.0,
            Histories::Dense => 4.35,
        }
    }

    /// The chance that a contact concerns a child already known.
    pub(crate) fn returning(self) -> f64 {
        match self {
            Histories::Sparse => 0.22,
            Histories::Dense => 0.6,
        }
    }

    /// How far back the known children a contact may return to reach (in contacts).
    pub(crate) fn memory(self) -> usize {
        match self {
            Histories::Sparse => 4_000,
            Histories::Dense => usize::MAX,
        }
    }

    /// A contact's outcomes and their shares.
    pub(crate) fn outcomes(self) -> [(&'static str, f64); 4] {
        match self {
            Histories::Sparse => [("referral", 0.40), ("early_help", 0.15), ("advice", 0.30), ("nfa", 0.15)],
            Histories::Dense => [("referral", 0.26), ("early_help", 0.15), ("advice", 0.44), ("nfa", 0.15)],
        }
    }
}

/// One table: column names (the contract's) and rows of cells; an empty cell is missing.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(name: &'static str, columns: &[&'static str]) -> Self {
        Table { name, columns: columns.iter().map(|c| c.to_string()).collect(), rows: Vec::new() }
    }

    fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.columns.len(), "{}", self.name);
        self.rows.push(row);
    }
}

/// Random draws on the simulation's calendar.
pub(crate) struct Draw {
    pub rng: ChaCha8Rng,
    pub holidays: HolidayList,
    pub end: NaiveDate,
}

impl Draw {
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.random_range(lo..=hi)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.rng.random::<f64>() * total;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }

    /// A Poisson count with the given mean (Knuth's method; means here are small).
    pub fn poisson(&mut self, mean: f64) -> u64 {
        if mean > 30.0 {
            let sd = mean.sqrt();
            let u: f64 = self.rng.random::<f64>().max(1e-12);
            let v: f64 = self.rng.random::<f64>();
            let normal = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
            return (mean + sd * normal).round().max(0.0) as u64;
        }
        let l = (-mean).exp();
        let mut k = 0;
        let mut p = 1.0;
        loop {
            p *= self.rng.random::<f64>();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }

    /// The working day `n` working days after `d` (n = 0: `d` itself, or the next working day).
    pub fn working_days_after(&self, d: NaiveDate, n: i64) -> NaiveDate {
        let mut day = d;
        while !is_working_day(day, &self.holidays) {
            day += Duration::days(1);
        }
        let mut left = n;
        while left > 0 {
            day += Duration::days(1);
            if is_working_day(day, &self.holidays) {
                left -= 1;
            }
        }
        day
    }

    /// The working day between `lo` and `hi` working days after `d`, drawn.
    pub fn after(&mut self, d: NaiveDate, lo: i64, hi: i64) -> NaiveDate {
        let n = self.int(lo, hi);
        self.working_days_after(d, n)
    }

    /// A date some months after `d`, with a spread, on a working day.
    pub fn months_after(&mut self, d: NaiveDate, months: f64) -> NaiveDate {
        let days = (months * 30.44 * (0.6 + 0.8 * self.rng.random::<f64>())).round() as i64;
        self.working_days_after(d + Duration::days(days.max(1)), 0)
    }
}

/// A cell for a date: missing when it falls after the end of the data (the case is open).
pub(crate) fn until(end: NaiveDate, d: NaiveDate) -> String {
    if d > end {
        String::new()
    } else {
        d.to_string()
    }
}

fn draw_for(opts: &SynthOptions) -> Draw {
    Draw { rng: rand::SeedableRng::seed_from_u64(opts.seed), holidays: HolidayList::england_and_wales(), end: opts.to }
}

/// Generates every table of the data contract.
pub fn generate(opts: &SynthOptions) -> Vec<Table> {
    flows::simulate(opts, &mut draw_for(opts))
}

/// Generates an SSDA903 return (the files `examples/ssda903` reads): `children` children
/// looked after at some time from six years before `from` to `to`.
pub fn generate_ssda903(opts: &SynthOptions) -> Vec<Table> {
    ssda903::generate(opts, &mut draw_for(opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(children: u64, seed: u64) -> SynthOptions {
        SynthOptions {
            children,
            seed,
            from: "2012-04-01".parse().unwrap(),
            to: "2013-09-30".parse().unwrap(),
            histories: Histories::Sparse,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_data() {
        let a = generate(&opts(8_000, 7));
        let b = generate(&opts(8_000, 7));
        let c = generate(&opts(8_000, 8));
        let rows = |t: &[Table]| t.iter().map(|t| t.rows.clone()).collect::<Vec<_>>();
        assert_eq!(rows(&a), rows(&b));
        assert_ne!(rows(&a), rows(&c));
    }

    #[test]
    fn dense_histories_bring_children_back_many_times() {
        let tables = |histories| generate(&SynthOptions { histories, ..opts(20_000, 5) });
        let (sparse, dense) = (tables(Histories::Sparse), tables(Histories::Dense));
        let rows = |t: &[Table], name: &str| t.iter().find(|t| t.name == name).unwrap().rows.len() as f64;
        // The contacts 4.35 times as many; the referrals and assessments two to three times.
        let contacts = rows(&dense, "contacts") / rows(&sparse, "contacts");
        assert!((4.0..4.7).contains(&contacts), "{contacts}");
        for table in ["referrals", "assessments"] {
            let more = rows(&dense, table) / rows(&sparse, table);
            assert!((2.3..3.3).contains(&more), "{table}: {more}");
        }
        // Referrals per referred child over these 18 months: 1.8 in dense histories, 1.2 in
        // sparse (more, the longer the data runs).
        let per_child = |t: &[Table]| {
            let referrals = &t.iter().find(|t| t.name == "referrals").unwrap().rows;
            let children: std::collections::HashSet<&String> = referrals.iter().map(|r| &r[1]).collect();
            referrals.len() as f64 / children.len() as f64
        };
        let (few, many) = (per_child(&sparse), per_child(&dense));
        assert!(few < 1.3 && many > 1.6, "sparse {few}, dense {many}");
    }

    #[test]
    fn every_contract_table_is_written() {
        let names: Vec<&str> = generate(&opts(2_000, 1)).iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            [
                "children",
                "contacts",
                "referrals",
                "assessments",
                "s47_enquiries",
                "cin_episodes",
                "cp_plans",
                "cla_episodes",
                "private_fostering",
                "cse_plans",
                "early_help",
                "workforce",
                "member_training",
                "population"
            ]
        );
    }

    #[test]
    fn events_fall_on_working_days_and_ids_keep_leading_zeros() {
        let tables = generate(&opts(8_000, 3));
        let holidays = HolidayList::england_and_wales();
        let referrals = tables.iter().find(|t| t.name == "referrals").unwrap();
        assert!(!referrals.rows.is_empty());
        for r in &referrals.rows {
            let d: NaiveDate = r[2].parse().unwrap();
            assert!(is_working_day(d, &holidays), "{d}");
            assert!(r[1].starts_with("C0"), "{}", r[1]);
        }
    }
}
