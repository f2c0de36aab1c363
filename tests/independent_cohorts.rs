//! Cohorts followed up (`tests/fixtures/reoffending`): each offender's first disposal in a
//! period, whether they reoffended within the follow-up and wait, and which cohorts have no
//! figures yet — every figure computed here from the generated offences, independently of
//! scorebook, and compared with `run`.

use chrono::{Months, NaiveDate};
use std::collections::HashMap;

mod common;
use common::number;
#[path = "common/reoffending.rs"]
mod reoffending;
use reoffending::{cohort, reoffended};

const RULES: &str = "tests/fixtures/reoffending/rules.ind";

fn run(data: &std::path::Path, args: &[&str]) -> (Vec<HashMap<String, String>>, String) {
    common::run_csv(RULES, data, args)
}

#[test]
fn cohorts_and_their_reoffending_match_an_independent_reckoning() {
    let dir = tempfile::tempdir().unwrap();
    let offences = reoffending::write_offences(dir.path(), 600, 3);
    let mut final_cohorts = 0;
    let mut compared = 0;
    for (args, as_of) in [
        (&["--years", "2011..2014", "--as-of", "2015-09-30"][..], "2015-09-30"),
        (&["--years", "2011..2014", "--as-of", "2015-09-29"][..], "2015-09-29"),
        (&["--as-of", "2015-09-30"][..], "2015-09-30"),
        (&["--years", "2011..2013", "--calendar", "calendar", "--as-of", "2015-06-30"][..], "2015-06-30"),
    ] {
        let as_of: NaiveDate = as_of.parse().unwrap();
        let (rows, stderr) = run(dir.path(), args);
        assert!(!rows.is_empty());
        for r in &rows {
            let (from, to): (NaiveDate, NaiveDate) =
                (r["period_start"].parse().unwrap(), r["period_end"].parse().unwrap());
            let at = format!("{} {} ({args:?})", r["ref"], r["period_label"]);
            if r["ref"] == "YJ2" {
                let youth = cohort(&offences, from, to, |x| x.youth);
                assert_eq!(number(r, "value"), Some(youth.len() as f64), "{at}");
                compared += 1;
                continue;
            }
            if to + Months::new(18) > as_of {
                // Not final: no figures, and a warning says so.
                assert_eq!(
                    (number(r, "numerator"), number(r, "denominator"), number(r, "value")),
                    (None, None, None),
                    "{at}"
                );
                assert!(
                    stderr.contains(&format!("{},", r["period_label"]))
                        || stderr.contains(&format!("{} has", r["period_label"])),
                    "{at}: {stderr}"
                );
                compared += 1;
                continue;
            }
            let members = cohort(&offences, from, to, |_| true);
            let reoffenders = members.iter().filter(|m| reoffended(&offences, m)).count();
            assert_eq!(number(r, "denominator"), Some(members.len() as f64), "{at}");
            assert_eq!(number(r, "numerator"), Some(reoffenders as f64), "{at}");
            let value = (!members.is_empty()).then(|| 100.0 * reoffenders as f64 / members.len() as f64);
            assert_eq!(number(r, "value"), value, "{at}");
            final_cohorts += 1;
            compared += 1;
        }
    }
    assert!(final_cohorts >= 6, "{final_cohorts} final cohorts compared");
    println!("{compared} figures ({final_cohorts} final cohorts) equal the independent reckoning");
}
