//! The simulation itself: day by day, contacts arrive and cases flow through the service.

use super::{until, Draw, SynthOptions, Table, DEMO_AREA};
use crate::calendar::working_days::is_working_day;
use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;

/// Volumes a year for 80,000 children (the 2013 book's authority).
const CONTACTS_A_YEAR: f64 = 7_000.0;
const CAFS_A_YEAR: f64 = 640.0;
const EXTRA_CARE_STARTS_A_YEAR: f64 = 100.0;
const FOSTERING_A_YEAR: f64 = 3.0;
const CSE_A_YEAR: f64 = 12.0;
const POSTS: f64 = 107.0;
const WORKING_DAYS_A_YEAR: f64 = 252.0;
/// Combined assessments replaced initial and core ones from this day.
fn combined_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2013, 7, 1).expect("a date")
}

struct Ids {
    next: [u64; 10],
}

impl Ids {
    fn next(&mut self, kind: usize, prefix: &str, width: usize) -> String {
        self.next[kind] += 1;
        format!("{prefix}{:0width$}", self.next[kind])
    }
}

pub(super) fn simulate(opts: &SynthOptions, d: &mut Draw) -> Vec<Table> {
    let scale = opts.children as f64 / 80_000.0;
    let start = NaiveDate::from_ymd_opt(opts.from.year() - 2, opts.from.month(), 1).unwrap_or(opts.from);
    let mut children: Vec<bool> = vec![false; opts.children as usize + 1];
    let child = |i: u64| format!("C{i:07}");
    let mut ids = Ids { next: [0; 10] };

    let mut contacts = Table::new(
        "contacts",
        &["contact_id", "child_id", "contact_date", "contact_source", "contact_method", "outcome"],
    );
    let mut referrals =
        Table::new("referrals", &["referral_id", "child_id", "referral_date", "referral_source", "nfa", "team"]);
    let mut assessments = Table::new(
        "assessments",
        &[
            "assessment_id",
            "child_id",
            "referral_id",
            "assessment_type",
            "start_date",
            "child_seen_date",
            "completed_date",
            "outcome",
            "team",
        ],
    );
    let mut s47 = Table::new(
        "s47_enquiries",
        &["s47_id", "child_id", "start_date", "icpc_date", "icpc_not_required", "cp_plan_resulted"],
    );
    let mut cin = Table::new(
        "cin_episodes",
        &["episode_id", "child_id", "start_date", "end_date", "primary_need", "closure_reason"],
    );
    let mut cp = Table::new(
        "cp_plans",
        &["plan_id", "child_id", "start_date", "end_date", "initial_category", "previous_plans"],
    );
    let mut cla = Table::new(
        "cla_episodes",
        &["period_id", "child_id", "start_date", "end_date", "legal_status", "placement_type"],
    );
    let mut fostering = Table::new("private_fostering", &["arrangement_id", "child_id", "start_date", "end_date"]);
    let mut cse = Table::new("cse_plans", &["cse_plan_id", "child_id", "start_date", "end_date"]);
    let mut early_help = Table::new("early_help", &["caf_id", "child_id", "start_date", "end_date", "lead_agency"]);

    // Families come back: a share of contacts concern a child already known.
    let mut known: Vec<u64> = Vec::new();
    let mut plans_of: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
    let pick_child = |d: &mut Draw, known: &mut Vec<u64>, children: &mut Vec<bool>| -> u64 {
        let c = if !known.is_empty() && d.chance(opts.histories.returning()) {
            let lo = known.len().saturating_sub(opts.histories.memory());
            known[d.int(lo as i64, known.len() as i64 - 1) as usize]
        } else {
            d.int(1, opts.children.max(1) as i64) as u64
        };
        children[c as usize] = true;
        known.push(c);
        c
    };

    // Children already in care when the simulation starts.
    let stock = (300.0 * scale).round() as u64;
    for _ in 0..stock {
        let c = pick_child(d, &mut known, &mut children);
        let began = start - Duration::days(d.int(30, 6 * 365));
        let ended = d.months_after(began, 60.0);
        let id = ids.next(7, "P", 8);
        let status = *d.pick(&[("C2", 0.5), ("E1", 0.1), ("V2", 0.25), ("C1", 0.15)]);
        let placement = *d.pick(&[("U1", 0.45), ("U4", 0.2), ("R1", 0.1), ("K2", 0.1), ("P1", 0.15)]);
        cla.push(vec![id, child(c), began.to_string(), until(d.end, ended), status.into(), placement.into()]);
    }

    let mut day = start;
    while day <= opts.to {
        if !is_working_day(day, &d.holidays) {
            day += Duration::days(1);
            continue;
        }
        let per_day = |a_year: f64| a_year * scale / WORKING_DAYS_A_YEAR;

        for _ in 0..d.poisson(per_day(CONTACTS_A_YEAR * opts.histories.contacts())) {
            let c = pick_child(d, &mut known, &mut children);
            let source = *d.pick(&[
                ("police", 0.30),
                ("school", 0.20),
                ("health", 0.20),
                ("la", 0.10),
                ("individual", 0.12),
                ("other", 0.08),
            ]);
            let method = *d.pick(&[("telephone", 0.64), ("email", 0.19), ("form", 0.13), ("in_person", 0.04)]);
            let outcome = *d.pick(&opts.histories.outcomes());
            let contact_id = ids.next(0, "K", 8);
            contacts.push(vec![contact_id, child(c), day.to_string(), source.into(), method.into(), outcome.into()]);
            if outcome != "referral" {
                continue;
            }
            // Most referrals are made the same day; some the next working day.
            let referred = if d.chance(0.7) { day } else { d.working_days_after(day + Duration::days(1), 0) };
            if referred > opts.to {
                continue;
            }
            let referral_id = ids.next(1, "R", 8);
            let nfa = d.chance(0.05);
            let team = *d.pick(&[("cat", 0.70), ("checs", 0.25), ("", 0.05)]);
            referrals.push(vec![
                referral_id.clone(),
                child(c),
                referred.to_string(),
                source.into(),
                nfa.to_string(),
                team.into(),
            ]);
            if nfa || !d.chance(0.92) {
                continue;
            }
            assess(
                d,
                opts,
                &mut ids,
                &mut assessments,
                &mut s47,
                &mut cin,
                &mut cp,
                &mut cla,
                &mut plans_of,
                c,
                &referral_id,
                referred,
            );
        }

        for _ in 0..d.poisson(per_day(CAFS_A_YEAR)) {
            // Early help often comes before (or instead of) a referral.
            let c = pick_child(d, &mut known, &mut children);
            known.push(c);
            let id = ids.next(2, "H", 8);
            let ended = d.months_after(day, 10.0);
            let lead = *d.pick(&[
                ("la", 0.37),
                ("school", 0.30),
                ("health", 0.15),
                ("voluntary", 0.10),
                ("other", 0.05),
                ("", 0.03),
            ]);
            early_help.push(vec![id, child(c), day.to_string(), until(d.end, ended), lead.into()]);
        }
        for _ in 0..d.poisson(per_day(EXTRA_CARE_STARTS_A_YEAR)) {
            let c = pick_child(d, &mut known, &mut children);
            let short_break = d.chance(0.3);
            let (status, months) = if short_break {
                (*d.pick(&[("V3", 0.6), ("V4", 0.4)]), 2.0)
            } else {
                (*d.pick(&[("V2", 0.6), ("C2", 0.3), ("L2", 0.1)]), 18.0)
            };
            let ended = d.months_after(day, months);
            let id = ids.next(7, "P", 8);
            cla.push(vec![id, child(c), day.to_string(), until(d.end, ended), status.into(), "U1".into()]);
        }
        for _ in 0..d.poisson(per_day(FOSTERING_A_YEAR)) {
            let c = pick_child(d, &mut known, &mut children);
            let ended = d.months_after(day, 12.0);
            fostering.push(vec![ids.next(8, "F", 6), child(c), day.to_string(), until(d.end, ended)]);
        }
        for _ in 0..d.poisson(per_day(CSE_A_YEAR)) {
            let c = pick_child(d, &mut known, &mut children);
            let ended = d.months_after(day, 9.0);
            cse.push(vec![ids.next(9, "X", 6), child(c), day.to_string(), until(d.end, ended)]);
        }
        day += Duration::days(1);
    }

    let mut tables = vec![children_table(d, opts, &children)];
    tables.extend([contacts, referrals, assessments, s47, cin, cp, cla, fostering, cse, early_help]);
    tables.push(workforce(d, opts, scale));
    tables.push(members(d, opts));
    tables.push(population(opts));
    tables
}

#[allow(clippy::too_many_arguments)]
fn assess(
    d: &mut Draw,
    opts: &SynthOptions,
    ids: &mut Ids,
    assessments: &mut Table,
    s47: &mut Table,
    cin: &mut Table,
    cp: &mut Table,
    cla: &mut Table,
    plans_of: &mut std::collections::HashMap<u64, u32>,
    c: u64,
    referral_id: &str,
    referred: NaiveDate,
) {
    let child = format!("C{c:07}");
    let team = *d.pick(&[("cat", 0.8), ("cin", 0.15), ("", 0.05)]);
    let outcome = *d.pick(&[("nfa", 0.37), ("cin", 0.41), ("cp", 0.06), ("cla", 0.03), ("early_help", 0.13)]);
    let (start, completed) = if referred < combined_from() {
        let done = if d.chance(0.47) { d.int(0, 10) } else { d.int(11, 35) };
        let completed = d.working_days_after(referred, done);
        let seen = if d.chance(0.85) { until(d.end, d.after(referred, 0, 5)) } else { String::new() };
        let open = completed > opts.to;
        assessments.push(vec![
            ids.next(3, "A", 8),
            child.clone(),
            referral_id.into(),
            "initial".into(),
            referred.to_string(),
            seen,
            until(d.end, completed),
            if open { String::new() } else { outcome.into() },
            team.into(),
        ]);
        if !open && matches!(outcome, "cin" | "cp" | "cla") && d.chance(0.55) {
            let core_start = d.after(completed, 0, 2);
            let took = if d.chance(0.5) { d.int(15, 35) } else { d.int(36, 70) };
            let core_done = d.working_days_after(core_start, took);
            let core_open = core_done > opts.to;
            assessments.push(vec![
                ids.next(3, "A", 8),
                child.clone(),
                String::new(),
                "core".into(),
                until(d.end, core_start),
                String::new(),
                until(d.end, core_done),
                if core_open { String::new() } else { outcome.into() },
                team.into(),
            ]);
        }
        (referred, completed)
    } else {
        let start = d.after(referred, 0, 1);
        let seen = match d.rng.random::<f64>() {
            x if x < 0.76 => until(d.end, d.after(start, 0, 10)),
            x if x < 0.95 => until(d.end, d.after(start, 11, 20)),
            _ => String::new(),
        };
        let took = match d.rng.random::<f64>() {
            x if x < 0.71 => d.int(10, 35),
            x if x < 0.89 => d.int(36, 45),
            _ => d.int(46, 65),
        };
        let completed = d.working_days_after(start, took);
        let open = completed > opts.to;
        assessments.push(vec![
            ids.next(3, "A", 8),
            child.clone(),
            referral_id.into(),
            "combined".into(),
            until(d.end, start),
            seen,
            until(d.end, completed),
            if open { String::new() } else { outcome.into() },
            team.into(),
        ]);
        (start, completed)
    };
    if matches!(outcome, "cin" | "cp" | "cla") {
        let ended = d.months_after(referred, 11.5);
        let need = *d.pick(&[
            ("N1", 0.5),
            ("N2", 0.1),
            ("N3", 0.05),
            ("N4", 0.15),
            ("N5", 0.05),
            ("N6", 0.05),
            ("N7", 0.02),
            ("N8", 0.05),
            ("N9", 0.03),
        ]);
        let reason = if ended > opts.to { "" } else { *d.pick(&[("RC1", 0.5), ("RC2", 0.2), ("RC8", 0.3)]) };
        cin.push(vec![
            ids.next(4, "E", 8),
            child.clone(),
            referred.to_string(),
            until(d.end, ended),
            need.into(),
            reason.into(),
        ]);
    }
    if outcome == "cp" || (outcome == "cin" && d.chance(0.05)) {
        let enquiry = d.after(start, 0, 3);
        if enquiry > opts.to {
            return;
        }
        let held = d.chance(0.85);
        let icpc = d.after(enquiry, 8, 15);
        let plan = held && d.chance(0.85);
        let icpc_cell = if held { until(d.end, icpc) } else { String::new() };
        s47.push(vec![
            ids.next(5, "S", 8),
            child.clone(),
            enquiry.to_string(),
            icpc_cell,
            (!held).to_string(),
            (plan && icpc <= opts.to).to_string(),
        ]);
        if plan && icpc <= opts.to {
            let earlier = plans_of.entry(c).or_insert(0);
            let previous = if *earlier > 0 { *earlier } else { *d.pick(&[(0u32, 0.86), (1, 0.11), (2, 0.03)]) };
            *earlier = previous + 1;
            let months = if d.chance(0.06) { 24.0 } else { 15.0 };
            let ended = d.months_after(icpc, months);
            let category = *d.pick(&[("NEG", 0.45), ("EMO", 0.35), ("PHY", 0.1), ("SAB", 0.04), ("MUL", 0.06)]);
            cp.push(vec![
                ids.next(6, "CP", 7),
                child.clone(),
                icpc.to_string(),
                until(d.end, ended),
                category.into(),
                previous.to_string(),
            ]);
        }
    }
    if outcome == "cla" {
        let began = d.working_days_after(completed.min(opts.to), 0);
        if began <= opts.to {
            let ended = d.months_after(began, 30.0);
            let status = *d.pick(&[("C2", 0.45), ("C1", 0.2), ("V2", 0.25), ("E1", 0.05), ("J2", 0.05)]);
            cla.push(vec![
                ids.next(7, "P", 8),
                child,
                began.to_string(),
                until(d.end, ended),
                status.into(),
                "U1".into(),
            ]);
        }
    }
}

fn children_table(d: &mut Draw, opts: &SynthOptions, used: &[bool]) -> Table {
    let mut t = Table::new("children", &["child_id", "sex", "ethnicity", "date_of_birth", "disability"]);
    for (i, known) in used.iter().enumerate() {
        if !known {
            continue;
        }
        let sex = *d.pick(&[("M", 0.51), ("F", 0.485), ("U", 0.005)]);
        let ethnicity = *d.pick(&[
            ("WBRI", 0.80),
            ("", 0.08),
            ("WOTH", 0.03),
            ("MWBC", 0.03),
            ("AIND", 0.02),
            ("BAFR", 0.02),
            ("OOTH", 0.02),
        ]);
        let dob =
            if d.chance(0.02) { String::new() } else { (opts.to - Duration::days(d.int(0, 18 * 365 - 1))).to_string() };
        t.push(vec![format!("C{i:07}"), sex.into(), ethnicity.into(), dob, d.chance(0.06).to_string()]);
    }
    t
}

fn month_ends(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut m = NaiveDate::from_ymd_opt(from.year(), from.month(), 1).expect("a month");
    loop {
        let end = crate::calendar::add_months(m, 1) - Duration::days(1);
        if end > to {
            break;
        }
        out.push(end);
        m = crate::calendar::add_months(m, 1);
    }
    out
}

fn workforce(d: &mut Draw, opts: &SynthOptions, scale: f64) -> Table {
    let mut t =
        Table::new("workforce", &["snapshot_date", "post_id", "team", "status", "contract", "experienced", "caseload"]);
    let posts = (POSTS * scale).round().max(12.0) as usize;
    let teams: Vec<&str> = (0..posts)
        .map(|_| {
            *d.pick(&[("checs", 0.11), ("cat", 0.19), ("cin", 0.28), ("cp", 0.23), ("cla", 0.12), ("fostering", 0.07)])
        })
        .collect();
    let mut agency: Vec<bool> = (0..posts).map(|_| d.chance(0.25)).collect();
    let mut experienced: Vec<bool> = (0..posts).map(|_| d.chance(0.55)).collect();
    for end in month_ends(opts.from - Duration::days(365), opts.to) {
        for p in 0..posts {
            if d.chance(0.05) {
                agency[p] = d.chance(0.25);
                experienced[p] = d.chance(0.55);
            }
            let filled = d.chance(0.97);
            let caseload = if !filled {
                String::new()
            } else if d.chance(0.02) {
                d.int(31, 36).to_string()
            } else {
                d.int(8, 30).to_string()
            };
            t.push(vec![
                end.to_string(),
                format!("W{:05}", p + 1),
                teams[p].into(),
                if filled { "filled" } else { "vacant" }.into(),
                if !filled {
                    ""
                } else if agency[p] {
                    "agency"
                } else {
                    "permanent"
                }
                .into(),
                if filled { experienced[p].to_string() } else { String::new() },
                caseload,
            ]);
        }
    }
    t
}

fn members(d: &mut Draw, opts: &SynthOptions) -> Table {
    let mut t = Table::new("member_training", &["member_id", "trained_date"]);
    for m in 1..=82 {
        let trained = match d.rng.random::<f64>() {
            x if x < 0.30 => {
                let day = opts.from + Duration::days(d.int(0, (opts.to - opts.from).num_days().max(1)));
                d.working_days_after(day, 0).to_string()
            }
            x if x < 0.45 => {
                let back = d.int(1, 700);
                d.working_days_after(opts.from - Duration::days(back), 0).to_string()
            }
            _ => String::new(),
        };
        let trained = match trained.parse::<NaiveDate>() {
            Ok(t) if t > opts.to => String::new(),
            _ => trained,
        };
        t.push(vec![format!("M{m:03}"), trained]);
    }
    t
}

fn population(opts: &SynthOptions) -> Table {
    let mut t = Table::new("population", &["area_code", "year", "age_group", "population"]);
    for year in (opts.from.year() - 3)..=opts.to.year() {
        let growth = 1.0 + 0.004 * f64::from(year - opts.from.year());
        let children = (opts.children as f64 * growth).round() as u64;
        t.push(vec![DEMO_AREA.into(), year.to_string(), "0-17".into(), children.to_string()]);
        t.push(vec![DEMO_AREA.into(), year.to_string(), "all".into(), (children * 46 / 10).to_string()]);
    }
    t
}
