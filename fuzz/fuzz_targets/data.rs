//! Data files: arbitrary bytes read as a CSV export against a declared source (every column
//! type, a date format, missing codes, a value map) give batches or a clear error, never a
//! panic; every bad row reported names a line and a declared column.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scorebook::data::readers;
use std::path::Path;
use std::sync::OnceLock;

const RULES: &str = r#"
source referrals {
  referral_id    text  key
  child_id       text
  referral_date  date  from "Date of referral"  format "dd/mm/yyyy"
  year_end       date? format "year ending 31 March"
  age            int?  missing "c", "x"
  score          decimal?
  nfa            bool? map "a) Yes" -> true, "b) No" -> false
}
"#;

fn source() -> &'static scorebook::ir::Source {
    static SOURCE: OnceLock<scorebook::ir::Source> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let (_, checked) = scorebook::project::check_texts(&[("fuzz.ind", RULES)]);
        checked.project.expect("the fuzz source declaration checks").sources.remove(0)
    })
}

fuzz_target!(|data: &[u8]| {
    let source = source();
    for skip in [false, true] {
        match readers::read_csv_from(data, Path::new("fuzz.csv"), source, skip) {
            Ok((batches, report)) => {
                let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
                assert_eq!(rows as u64, report.rows, "rows read and rows reported differ");
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
