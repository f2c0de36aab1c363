//! How long `check` takes on a large project: the shipped sources plus 1,000 generated
//! measures of every form, parsed and checked in memory. Run with `cargo bench --bench check`.

use scorebook::project;
use std::time::{Duration, Instant};

fn measure(i: usize) -> String {
    let body = match i % 6 {
        0 => "  count distinct child_id from cin_episodes\n  open at period end\n  polarity in_line_with_benchmark\n  benchmark sn 2711".to_string(),
        1 => "  percent of assessments\n  in period by completed_date\n  where assessment_type = \"initial\"\n  meeting working_days(start_date, completed_date) <= 10\n  cumulative from fy start\n  polarity high\n  target 80%\n  rag green when value >= target, amber when value >= target - 5, otherwise red".to_string(),
        2 => "  percent of referrals\n  in period by referral_date\n  meeting exists referrals as earlier where earlier.child_id = child_id and earlier.referral_date >= add_months(referral_date, -12) and earlier.referral_date < referral_date\n  polarity low\n  target 10%".to_string(),
        3 => "  count referrals\n  in period by referral_date\n  per 10000 children_0_17\n  by team\n  polarity none".to_string(),
        4 => "  max caseload of workforce\n  latest snapshot\n  where team in (\"checs\", \"cat\", \"cin\", \"cp\") and status = \"filled\"\n  polarity low\n  target 30".to_string(),
        _ => format!("  calculate m{} + m{}\n  unit number", i - 1, i - 2),
    };
    format!("measure m{i} {{\n  ref \"B{i}\"\n  title \"Generated measure {i}\"\n{body}\n}}\n\n")
}

fn main() {
    let sources = std::fs::read_to_string("rules/sources.ind").expect("run from the project root");
    let measures: String = (0..1000).map(measure).collect();
    let files = [("sources.ind", sources.as_str()), ("measures.ind", measures.as_str())];

    let (_, checked) = project::check_texts(&files);
    assert!(
        checked.diagnostics.is_empty(),
        "the generated project must check clean: {:?}",
        checked.diagnostics.first()
    );
    assert_eq!(checked.project.as_ref().map(|p| p.measures.len()), Some(1000));

    let mut times: Vec<Duration> = (0..15)
        .map(|_| {
            let start = Instant::now();
            let (_, checked) = project::check_texts(&files);
            std::hint::black_box(checked);
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "check, 1,000 measures ({} KB of rules): median {:.1} ms, min {:.1} ms, max {:.1} ms over {} runs",
        (sources.len() + measures.len()) / 1024,
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        times.len()
    );
}
