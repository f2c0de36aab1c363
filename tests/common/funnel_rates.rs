//! Deaths and populations of 40 areas for funnel plots of rates (`tests/fixtures/funnel-rates`),
//! built from PHEindicatormethods' published test of funnel significance for rates
//! (`testdata_funnel_rate_dsr_inputs`): each area's events and population as published, the
//! population spread over the 2013 European Standard Population's bands and the deaths over
//! the bands at random (seeded), all dated 15 June 2020.

#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// Each area's events, population and PHE's published label of its crude rate (the population
/// given, the area without events included).
pub const PUBLISHED: [(u32, u32, &str); 40] = [
    (2419, 264102, "High (0.001)"),
    (2337, 259711, "High (0.001)"),
    (2291, 289247, "High (0.001)"),
    (2242, 265029, "High (0.001)"),
    (2218, 284649, "High (0.001)"),
    (2159, 293578, "High (0.001)"),
    (2130, 286718, "High (0.001)"),
    (2111, 307381, "Not significant"),
    (2105, 274145, "High (0.001)"),
    (2083, 297424, "High (0.025)"),
    (2078, 272628, "High (0.001)"),
    (2062, 269656, "High (0.001)"),
    (2061, 294692, "High (0.025)"),
    (2033, 277710, "High (0.001)"),
    (2033, 259213, "High (0.001)"),
    (2010, 285516, "High (0.025)"),
    (2004, 269449, "High (0.001)"),
    (2002, 290888, "Not significant"),
    (1977, 287112, "Not significant"),
    (1944, 286492, "Not significant"),
    (1932, 287012, "Not significant"),
    (1922, 291277, "Not significant"),
    (1912, 289859, "Not significant"),
    (1881, 289653, "Not significant"),
    (1844, 282519, "Not significant"),
    (1835, 274220, "Not significant"),
    (1833, 280271, "Not significant"),
    (1825, 284206, "Not significant"),
    (1816, 274508, "Not significant"),
    (1809, 288384, "Low (0.025)"),
    (1798, 287072, "Low (0.025)"),
    (1754, 282744, "Low (0.001)"),
    (1746, 289208, "Low (0.001)"),
    (1709, 287736, "Low (0.001)"),
    (1694, 296175, "Low (0.001)"),
    (1688, 303255, "Low (0.001)"),
    (1649, 285959, "Low (0.001)"),
    (1553, 274661, "Low (0.001)"),
    (1332, 281425, "Low (0.001)"),
    (0, 297820, "Low (0.001)"),
];

/// The day every counted death is dated.
pub const DATE: &str = "2020-06-15";

/// The area of published row `k`.
pub fn area(k: usize) -> String {
    format!("A{:02}", k + 1)
}

/// One area's deaths dated [`DATE`] and population (the same in every mid-year from 2018),
/// band by band (the ESP 2013's bands).
pub struct Area {
    pub events: Vec<f64>,
    pub people: Vec<f64>,
}

/// Writes `deaths.csv` and `population.csv` into `dir`, and returns what they hold. The area
/// without events in 2020 has one death in 2018, so that it is one of the breakdown's units.
pub fn generate(dir: &Path, seed: u64) -> Vec<Area> {
    let mut areas = Vec::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let bands = crate::public_health::ESP2013;
    let mut population = String::from("area_code,year,age_group,population\n");
    let mut deaths = String::from("death_id,date_of_death,area_code,age_band\n");
    let mut id = 0;
    for (k, &(events, people, _)) in PUBLISHED.iter().enumerate() {
        // Shares of the population by band, uneven from area to area; the last band takes the rest.
        let shares: Vec<f64> = bands.iter().map(|(_, w)| w * rng.random_range(0.6..1.4)).collect();
        let total: f64 = shares.iter().sum();
        let mut left = people;
        let mut this = Area { events: vec![0.0; bands.len()], people: Vec::new() };
        for (b, (band, _)) in bands.iter().enumerate() {
            let n = if b + 1 == bands.len() { left } else { (f64::from(people) * shares[b] / total) as u32 };
            left -= n;
            this.people.push(f64::from(n));
            for year in 2018..=2020 {
                population.push_str(&format!("{},{year},{band},{n}\n", area(k)));
            }
        }
        for _ in 0..events {
            // Older bands die more often.
            let b = ((rng.random_range(0.0f64..1.0).sqrt() * 19.0) as usize).min(18);
            this.events[b] += 1.0;
            id += 1;
            deaths.push_str(&format!("D{id:06},{DATE},{},{}\n", area(k), bands[b].0));
        }
        if events == 0 {
            id += 1;
            deaths.push_str(&format!("D{id:06},2018-06-15,{},{}\n", area(k), bands[18].0));
        }
        areas.push(this);
    }
    std::fs::write(dir.join("population.csv"), population).unwrap();
    std::fs::write(dir.join("deaths.csv"), deaths).unwrap();
    let mut england = String::from("year,age_group,events,population\n");
    for (year, (events, people)) in ENGLAND {
        for (b, (band, _)) in bands.iter().enumerate() {
            england.push_str(&format!("{year},{band},{},{}\n", events[b], people[b]));
        }
    }
    std::fs::write(dir.join("england.csv"), england).unwrap();
    areas
}

/// England's deaths and population by band (the ESP 2013's) in 2019 and 2020: an area's
/// expected deaths in 2020-21 are at the 2020 rates.
pub const ENGLAND: [(i32, ByBand); 2] = [(2019, ENGLAND_2019), (2020, ENGLAND_2020)];

/// Deaths and population, band by band.
pub type ByBand = ([u32; 19], [u32; 19]);

const ENGLAND_2019: ByBand = (
    [
        1008, 126, 101, 336, 504, 588, 756, 1176, 1932, 3192, 5040, 7560, 11760, 17640, 26040, 38640, 58800, 82320,
        100800,
    ],
    [
        3_300_000, 3_500_000, 3_300_000, 3_200_000, 3_600_000, 3_900_000, 3_800_000, 3_700_000, 3_500_000, 3_900_000,
        3_900_000, 3_600_000, 3_100_000, 2_900_000, 2_700_000, 1_900_000, 1_400_000, 900_000, 600_000,
    ],
);

const ENGLAND_2020: ByBand = (
    [924, 118, 109, 353, 554, 630, 823, 1260, 2016, 3360, 5376, 8064, 12600, 19320, 28560, 42000, 64680, 90720, 113400],
    [
        3_250_000, 3_520_000, 3_350_000, 3_180_000, 3_580_000, 3_880_000, 3_850_000, 3_720_000, 3_480_000, 3_850_000,
        3_950_000, 3_650_000, 3_150_000, 2_950_000, 2_750_000, 1_950_000, 1_420_000, 920_000, 610_000,
    ],
);
