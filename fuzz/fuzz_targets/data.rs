//! Data files: arbitrary bytes read as a CSV export against a declared source (every column
//! type, a date format, missing codes, a value map) give batches or a clear error, never a
//! panic; every bad row reported names a line and a declared column.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scorebook::data::readers;
use std::path::Path;
use std::sync::OnceLock;

const RULES: &str = include_str!("../data_source.ind");

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
        match readers::read_csv_from(data, Path::new("fuzz.csv"), source, &readers::Reading { skip_bad_rows: skip, ..Default::default() }) {
            Ok((batches, report)) => {
                // `rows` counts every data row read; `bad_rows` those left out.
                let kept: usize = batches.iter().map(|b| b.num_rows()).sum();
                assert_eq!(kept as u64 + report.bad_rows, report.rows, "rows kept and rows reported differ");
                assert!(skip || report.bad_rows == 0, "bad rows without --on-bad-rows skip must be an error");
                for b in &report.first_bad {
                    assert!(b.line >= 2, "a bad row is on a line after the header");
                    assert!(source.column(&b.column).is_some(), "a bad row names a declared column");
                }
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
            }
        }
    }
});
