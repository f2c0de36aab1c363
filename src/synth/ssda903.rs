//! A generated SSDA903 return: the files an authority sends DfE about children looked after
//! (`header`, `episodes`, `missing`, `reviews`, `oc3`) and the mid-year population, for
//! `examples/ssda903`.
//!
//! Each child has one or more periods of care, each a chain of episodes: the first starts the
//! period (`RNE` S), later ones change the placement (P, T), the legal status only (L) or both
//! (U, B); every episode but the last ends with `REC` X1, the last with the reason the child
//! left care, or is still open at the end of the data. Some children have short breaks
//! (legal status V3 or V4). Children go missing or away from their placement, have their cases
//! reviewed about every six months, and care leavers are followed up on their birthdays from
//! 17 to 21. The data is messy as real returns are: children without a header row, missing
//! or unknown sex and dates of birth, 29 February birthdays, missing legal statuses, incidents
//! still open, reviews without a code, care leavers without an activity.

use super::{Draw, SynthOptions, Table};
use chrono::{Datelike, Duration, NaiveDate};

/// Reasons a period of care ends (`REC`), with rough weights.
const LEAVING: &[(&str, f64)] = &[("E11", 3.0), ("E12", 2.0), ("E13", 4.0), ("E4A", 2.0), ("E8", 3.0), ("E41", 1.0)];
/// Legal statuses of care, with rough weights.
const LEGAL: &[(&str, f64)] = &[("C2", 6.0), ("V2", 3.0), ("C1", 1.0), ("E1", 1.0), ("J2", 0.3), ("L2", 0.3)];
/// Placement types.
const PLACES: &[(&str, f64)] = &[("U1", 2.0), ("U4", 4.0), ("U6", 2.0), ("K2", 1.0), ("R1", 0.5), ("P1", 0.5)];
/// A new episode within a period of care: what changed.
const CHANGES: &[(&str, f64)] = &[("P", 5.0), ("T", 1.0), ("L", 2.0), ("U", 1.0), ("B", 0.5)];
/// Main activities of care leavers: F and P codes are education, employment or training.
const ACTIVITIES: &[(&str, f64)] =
    &[("F1", 2.0), ("F2", 2.0), ("P1", 1.0), ("P2", 1.0), ("G4", 2.0), ("G5", 1.0), ("G6", 0.5), ("", 0.3)];
const IN_TOUCH: &[(&str, f64)] = &[("YES", 8.0), ("NO", 1.0), ("REFU", 0.5), ("DIED", 0.1), ("RHOM", 0.2), ("", 0.2)];

fn d(x: NaiveDate) -> String {
    x.to_string()
}

fn until(end: NaiveDate, x: NaiveDate) -> String {
    super::until(end, x)
}

/// Every file of the return, with dates as ISO text (written `dd/mm/yyyy` by the writer).
pub fn generate(opts: &SynthOptions, draw: &mut Draw) -> Vec<Table> {
    let mut header = Table::new("header", &["CHILD", "SEX", "DOB", "ETHNIC", "UPN"]);
    let mut episodes = Table::new(
        "episodes",
        &["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE"],
    );
    let mut missing = Table::new("missing", &["CHILD", "MISSING", "MIS_START", "MIS_END"]);
    let mut reviews = Table::new("reviews", &["CHILD", "DOB", "REVIEW", "REVIEW_CODE"]);
    let mut oc3 = Table::new("oc3", &["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"]);
    let end = opts.to;
    // Care that began up to ten years before the data shows in long periods of care.
    let first = opts.from - Duration::days(365 * 6);
    let span = (end - first).num_days();
    for n in 0..opts.children {
        let child = format!("{:06}", 100_000 + n);
        let start = first + Duration::days(draw.int(0, span));
        let age_days = draw.int(0, 17 * 365);
        let mut dob = start - Duration::days(age_days);
        if draw.chance(0.01) {
            // A 29 February birthday.
            let year = [2000, 2004, 2008, 2012][draw.int(0, 3) as usize];
            dob = NaiveDate::from_ymd_opt(year, 2, 29).expect("a leap day");
        }
        let sex = *draw.pick(&[("1", 10.0), ("2", 9.0), ("0", 0.2), ("9", 0.1), ("", 0.1)]);
        if !draw.chance(0.01) {
            let dob_cell = if draw.chance(0.005) { String::new() } else { d(dob) };
            header.push(vec![child.clone(), sex.into(), dob_cell, "WBRI".into(), format!("A{n:012}")]);
        }
        let mut day = start;
        let mut left_care_at_16 = None;
        for _period in 0..draw.int(1, 3) {
            if day > end {
                break;
            }
            let mut rne = "S";
            let mut ls = *draw.pick(LEGAL);
            let mut place = *draw.pick(PLACES);
            let changes = draw.poisson(1.3);
            // Some children stay years in one placement.
            let settled = draw.chance(0.3);
            for k in 0..=changes {
                let length = if settled { draw.int(300, 1500) } else { draw.int(20, 600) };
                let next = day + Duration::days(length);
                let last = k == changes;
                let (dec, rec) = match (next > end, last) {
                    (true, _) => (None, String::new()),
                    (false, false) => (Some(next), "X1".to_string()),
                    (false, true) => (Some(next), (*draw.pick(LEAVING)).to_string()),
                };
                let ls_cell = if draw.chance(0.01) { "" } else { ls };
                episodes.push(vec![
                    child.clone(),
                    d(day),
                    rne.into(),
                    ls_cell.into(),
                    "N1".into(),
                    place.into(),
                    "PR1".into(),
                    dec.map_or_else(String::new, |x| until(end, x)),
                    rec.clone(),
                    String::new(),
                ]);
                missing_incidents(draw, &child, day, dec.unwrap_or(end).min(end), &mut missing);
                reviewed(draw, &child, dob, day, dec.unwrap_or(end).min(end), &mut reviews);
                let Some(dec) = dec else { break };
                if last {
                    if (dec - dob).num_days() >= 16 * 365 {
                        left_care_at_16 = Some(dec);
                    }
                    day = dec + Duration::days(draw.int(30, 900));
                    break;
                }
                day = dec;
                rne = *draw.pick(CHANGES);
                if matches!(rne, "L" | "U" | "B") {
                    ls = *draw.pick(LEGAL);
                }
                if rne != "L" {
                    place = *draw.pick(PLACES);
                }
            }
        }
        if draw.chance(0.08) {
            // Short breaks: a run of stays under V3 or V4, each its own episode.
            let mut stay = start + Duration::days(draw.int(-400, 400));
            for _ in 0..draw.int(1, 4) {
                let back = stay + Duration::days(draw.int(1, 4));
                if stay <= end {
                    let ls = if draw.chance(0.5) { "V3" } else { "V4" };
                    let dec = until(end, back);
                    let rec = if dec.is_empty() { "" } else { "E13" };
                    let row = [&child, &d(stay), "S", ls, "N1", "U4", "PR1", &dec, rec, ""];
                    episodes.push(row.iter().map(|c| c.to_string()).collect());
                }
                stay = back + Duration::days(draw.int(20, 90));
            }
        }
        if let Some(left) = left_care_at_16 {
            followed_up(draw, &child, dob, left, end, &mut oc3);
        }
    }
    // About 65 children in 10,000 are looked after; the population's mid-years cover the data.
    let mut population = Table::new("population", &["year", "age_group", "population"]);
    let per_year = (opts.children as f64 * 500.0 / (span as f64 / 365.0)).round().max(1.0) as i64;
    for year in (first.year() - 1)..=end.year() {
        let drift = draw.int(-200, 200) * per_year / 10_000;
        population.push(vec![year.to_string(), "0-17".into(), (per_year + drift).to_string()]);
    }
    vec![header, episodes, missing, reviews, oc3, population]
}

/// Missing (M) and away-without-authorisation (A) incidents while looked after.
fn missing_incidents(draw: &mut Draw, child: &str, from: NaiveDate, to: NaiveDate, out: &mut Table) {
    let days = (to - from).num_days().max(0);
    for _ in 0..draw.poisson(days as f64 / 900.0) {
        let start = from + Duration::days(draw.int(0, days));
        let back = start + Duration::days(draw.int(0, 6));
        let kind = if draw.chance(0.7) { "M" } else { "A" };
        let end_cell = if draw.chance(0.03) { String::new() } else { until(to, back) };
        let start_cell = if draw.chance(0.01) { String::new() } else { d(start) };
        out.push(vec![child.into(), kind.into(), start_cell, end_cell]);
    }
}

/// Reviews about every six months while looked after; `PN0` for a child under 4.
fn reviewed(draw: &mut Draw, child: &str, dob: NaiveDate, from: NaiveDate, to: NaiveDate, out: &mut Table) {
    let mut day = from + Duration::days(draw.int(15, 40));
    while day <= to {
        let under_4 = (day - dob).num_days() < 4 * 365;
        let code = if under_4 {
            "PN0"
        } else {
            *draw.pick(&[
                ("PN1", 3.0),
                ("PN2", 2.0),
                ("PN3", 1.0),
                ("PN4", 1.0),
                ("PN5", 0.5),
                ("PN6", 0.5),
                ("PN7", 1.5),
                ("", 0.2),
            ])
        };
        out.push(vec![child.into(), d(dob), d(day), code.into()]);
        day += Duration::days(draw.int(150, 200));
    }
}

/// A care leaver's rows on their 17th to 21st birthdays that fall within the data.
fn followed_up(draw: &mut Draw, child: &str, dob: NaiveDate, left: NaiveDate, end: NaiveDate, out: &mut Table) {
    for age in 17..=21 {
        let birthday = crate::calendar::add_months(dob, 12 * age);
        if birthday < left || birthday > end {
            continue;
        }
        let touch = *draw.pick(IN_TOUCH);
        let activity = *draw.pick(ACTIVITIES);
        out.push(vec![child.into(), d(dob), touch.into(), activity.into(), "B".into()]);
    }
}
