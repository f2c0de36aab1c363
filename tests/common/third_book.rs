//! Generated files for the third book (`examples/ambulance`, `examples/send`), written with
//! the quirks of files written by others: columns in another order, columns the book does not
//! read, CRLF line ends, a byte-order mark, quoted cells, codes the book does not know;
//! timestamps across midnight and the night the clocks go forward, and every threshold of
//! the definitions (1,080 seconds, 15 minutes, 140 days, exactly 12 months) hit exactly.
//! Independent of `scorebook synth`: the tests' own, seeded.

#![allow(dead_code)]

use chrono::{Months, NaiveDate, NaiveDateTime};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(Months::new(n)).unwrap()
}

/// A CSV file as another system might write it: the header's columns in this order, CRLF line
/// ends when asked, cells quoted when they hold a comma or a quote (and some that do not).
fn write(dir: &Path, name: &str, header: &[&str], rows: &[Vec<String>], crlf: bool, bom: bool) {
    let end = if crlf { "\r\n" } else { "\n" };
    let cell = |c: &String| {
        if c.contains([',', '"']) {
            format!("\"{}\"", c.replace('"', "\"\""))
        } else {
            c.clone()
        }
    };
    let mut out = String::new();
    if bom {
        out.push('\u{feff}');
    }
    out.push_str(&header.join(","));
    out.push_str(end);
    for r in rows {
        out.push_str(&r.iter().map(cell).collect::<Vec<_>>().join(","));
        out.push_str(end);
    }
    std::fs::write(dir.join(format!("{name}.csv")), out).unwrap();
}

fn at(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A random moment between `from` and `to` (whole seconds).
fn moment(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDateTime {
    let days = (to - from).num_days();
    let day = from + chrono::Duration::days(rng.random_range(0..=days));
    day.and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::seconds(rng.random_range(0..86_400))
}

pub fn generate_ambulance(dir: &Path, seed: u64, incidents: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (from, to) = (NaiveDate::from_ymd_opt(2022, 3, 20).unwrap(), NaiveDate::from_ymd_opt(2024, 4, 10).unwrap());
    let categories = ["C1", "C2", "C2", "C2", "C3", "C4", "", "C5", "HCP"];
    let areas = ["North", "Central", "South", "", "North East, Coast"];
    let outcomes = ["HT", "STR", "STC", "STO", "CANC", ""];
    let mut rows = Vec::new();
    for i in 0..incidents {
        let start = moment(&mut rng, from, to);
        let category = categories[rng.random_range(0..categories.len())];
        let seconds: i64 = match rng.random_range(0..20) {
            0 => 1080,
            1 => 1081,
            2 => 1079,
            _ if category == "C1" => rng.random_range(60..1800),
            _ => rng.random_range(120..7200),
        };
        let arrival = (rng.random_range(0..10) > 0).then(|| start + chrono::Duration::seconds(seconds));
        rows.push(vec![
            outcomes[rng.random_range(0..outcomes.len())].to_string(),
            areas[rng.random_range(0..areas.len())].to_string(),
            arrival.map(at).unwrap_or_default(),
            format!("INC{i:08}"),
            category.to_string(),
            at(start),
        ]);
    }
    let header = ["outcome", "area", "first_arrival", "incident_id", "category", "clock_start"];
    write(dir, "incidents", &header, &rows, seed.is_multiple_of(2), seed.is_multiple_of(3));

    let mut rows = Vec::new();
    for i in 0..incidents / 2 {
        let arrival = moment(&mut rng, from, to);
        let seconds: i64 = match rng.random_range(0..12) {
            0 => 900,
            1 => 901,
            2 => 0,
            3 => rng.random_range(3600..5 * 3600),
            _ => rng.random_range(300..3000),
        };
        let complete = (rng.random_range(0..8) > 0).then(|| arrival + chrono::Duration::seconds(seconds));
        let arrival = (rng.random_range(0..25) > 0).then_some(arrival);
        rows.push(vec![
            format!("H{i:06}"),
            format!("INC{:08}", rng.random_range(0..incidents * 2)),
            ["Royal", "General", "St Mary's"][rng.random_range(0..3)].to_string(),
            complete.map(at).unwrap_or_default(),
            arrival.map(at).unwrap_or_default(),
        ]);
    }
    let header = ["handover_id", "incident_id", "hospital", "handover_complete", "arrival_at_hospital"];
    write(dir, "handovers", &header, &rows, !seed.is_multiple_of(2), false);
}

pub fn generate_send(dir: &Path, seed: u64, children: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let mut child_rows = Vec::new();
    for i in 0..children {
        let dob = match rng.random_range(0..40) {
            0 => None,
            1 => Some(day(2012, 2, 29)),
            2 => Some(day(2016, 2, 29)),
            3 => Some(day(1995, 5, 5)),
            4 => Some(day(2025, 1, 1)),
            _ => Some(day(1998, 1, 1) + chrono::Duration::days(rng.random_range(0..9500))),
        };
        child_rows.push(vec![format!("C{i:06}"), dob.map(|d| d.to_string()).unwrap_or_default()]);
    }
    write(dir, "children", &["child_id", "date_of_birth"], &child_rows, false, false);

    let mut requests: Vec<(String, Option<String>, NaiveDate)> = Vec::new();
    for i in 0..children * 2 {
        let child = match rng.random_range(0..30) {
            0 => None,
            1 => Some(format!("C9{i:05}")),
            _ => Some(format!("C{:06}", rng.random_range(0..children))),
        };
        let when = day(2020, 1, 1) + chrono::Duration::days(rng.random_range(0..1560));
        requests.push((format!("R{i:06}"), child.clone(), when));
        // Exactly 12 months later, a day later, or on the same day.
        match rng.random_range(0..8) {
            0 => requests.push((format!("R{i:06}a"), child, add_months(when, 12))),
            1 => requests.push((format!("R{i:06}b"), child, add_months(when, 12) + chrono::Duration::days(1))),
            2 => requests.push((format!("R{i:06}c"), child, when)),
            _ => {}
        }
    }
    let outcomes = ["agreed", "refused", "withdrawn", ""];
    let rows: Vec<Vec<String>> = requests
        .iter()
        .map(|(id, child, when)| {
            vec![
                when.format("%d/%m/%Y").to_string(),
                outcomes[rng.random_range(0..outcomes.len())].to_string(),
                id.clone(),
                child.clone().unwrap_or_default(),
            ]
        })
        .collect();
    write(dir, "requests", &["request_date", "outcome", "request_id", "child_id"], &rows, true, seed.is_multiple_of(2));

    let mut rows = Vec::new();
    for (k, (id, _, when)) in requests.iter().enumerate() {
        if rng.random_range(0..3) == 0 {
            continue;
        }
        let plans = if rng.random_range(0..15) == 0 { 2 } else { 1 };
        for j in 0..plans {
            let days: i64 = match rng.random_range(0..10) {
                0 => 140,
                1 => 141,
                _ => rng.random_range(40..260),
            };
            let issued = (rng.random_range(0..10) > 0).then(|| *when + chrono::Duration::days(days));
            let request = if rng.random_range(0..25) == 0 { format!("X{k}") } else { id.clone() };
            let exception = ["Y", "N", "N", "N", ""][rng.random_range(0..5)];
            rows.push(vec![
                format!("P{k:06}-{j}"),
                issued.map(|d| d.to_string()).unwrap_or_default(),
                exception.to_string(),
                request,
            ]);
        }
    }
    write(dir, "plans", &["plan_id", "issue_date", "exception", "request_id"], &rows, false, false);
}

/// The source files of `library` in `dir` (CSV), written to `out` as Parquet with the declared
/// types: date-times as timestamps, dates as dates.
pub fn as_parquet(library: &str, dir: &Path, out: &Path) {
    use datafusion::dataframe::DataFrameWriteOptions;
    use scorebook::{engine, project};
    let project = project::check_paths(&[std::path::PathBuf::from(library)]).unwrap().1.project.unwrap();
    let tables: Vec<&scorebook::ir::Source> = project.sources.iter().filter(|s| s.subset.is_none()).collect();
    let runtime = engine::runtime().unwrap();
    runtime.block_on(async {
        let ctx = datafusion::prelude::SessionContext::new();
        let bindings = scorebook::data::bind(&tables, None, Some(dir), &Default::default()).unwrap();
        scorebook::data::load(&ctx, &project, &bindings, Default::default()).await.unwrap();
        for s in &tables {
            let path = out.join(format!("{}.parquet", s.name));
            let options = DataFrameWriteOptions::new().with_single_file_output(true);
            ctx.table(s.name.as_str())
                .await
                .unwrap()
                .write_parquet(path.to_str().unwrap(), options, None)
                .await
                .unwrap();
        }
    });
}
