//! `scorebook drill`: the cases behind a figure, for case audits.

use super::{exit, failed};
use crate::fsutil;
use crate::session::{Overrides, Request, Session};
use chrono::NaiveDate;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The measure's ref (or name).
    reference: String,
    /// The period, as the result table labels it: `2013-09`, `2013-14 Q2`, `2013-14 YTD`, `2012-13`.
    #[arg(long)]
    period: String,
    /// The CSV file to write the rows to. Rows hold case ids and dates: keep the file safe.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    project: super::ProjectArgs,
    /// The rule files as an option, as earlier versions took them (the same as PATHS).
    #[arg(long = "rules", hide = true)]
    rules: Vec<PathBuf>,
    #[arg(long, value_parser = crate::calendar::parse_date)]
    as_of: Option<NaiveDate>,
    #[arg(long)]
    data: Option<PathBuf>,
    #[arg(long)]
    config: Option<PathBuf>,
    /// The reporting year: `financial` (April to March), `calendar` (January to December) or
    /// `academic` (September to August) [default: year under [calendar], else financial].
    #[arg(long, value_parser = crate::calendar::ReportingYear::parse, value_name = "YEAR")]
    calendar: Option<crate::calendar::ReportingYear>,
}

pub fn run(args: Args) -> u8 {
    let paths = if args.rules.is_empty() { &args.project.paths } else { &args.rules };
    let (files, project) = match super::checked_project(paths, args.project.profile.as_deref(), "nothing was written") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let config = match super::run::load_config(args.config.as_ref()) {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let session = match Session::open(paths.clone(), files, project, config, Overrides::default()) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let request = Request {
        as_of: args.as_of,
        data_dir: args.data.clone(),
        measures: vec![args.reference.clone()],
        calendar: args.calendar,
        ..Request::default()
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let batches = match runtime.block_on(session.drill(request, &args.period)) {
        Ok(b) => b,
        Err(e) => return failed(e),
    };
    let mut bytes = Vec::new();
    {
        let mut w = datafusion::arrow::csv::WriterBuilder::new().with_header(true).build(&mut bytes);
        for b in &batches {
            if let Err(e) = w.write(b) {
                return failed(e);
            }
        }
    }
    if let Err(e) = fsutil::write_atomically(&args.out, &bytes) {
        return failed(crate::fsutil::write_failed(&args.out, &e));
    }
    let measure = session.project.measures.iter().find(|m| m.reference == args.reference || m.name == args.reference);
    let (rows, counts) = counted(&batches, measure.and_then(|m| m.definition.entity()));
    eprintln!("wrote {rows} behind {} for {}{counts} to {}", args.reference, args.period, args.out.display());
    exit::CLEAN
}

/// The drilled rows, and what they hold counted as the measure counts them (rows, or the
/// distinct values of its entity column) with how many are in the numerator.
fn counted(batches: &[datafusion::arrow::record_batch::RecordBatch], entity: Option<&str>) -> (String, String) {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::util::display::array_value_to_string;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let rows = format!("{rows} row{}", if rows == 1 { "" } else { "s" });
    let has_numerator = batches.iter().any(|b| b.column_by_name("in_numerator").is_some());
    match entity {
        Some(e) => {
            let mut all = std::collections::BTreeSet::new();
            let mut meeting = std::collections::BTreeSet::new();
            for b in batches {
                let (Some(values), flags) = (b.column_by_name(e), b.column_by_name("in_numerator")) else { continue };
                for i in 0..b.num_rows() {
                    if values.is_null(i) {
                        continue;
                    }
                    let v = array_value_to_string(values, i).unwrap_or_default();
                    if flags.is_some_and(|f| f.as_boolean().is_valid(i) && f.as_boolean().value(i)) {
                        meeting.insert(v.clone());
                    }
                    all.insert(v);
                }
            }
            let mut s = format!(" (the figure counts {} distinct `{e}`", all.len());
            if has_numerator {
                s.push_str(&format!(", {} of them in the numerator", meeting.len()));
            }
            s.push(')');
            (rows, s)
        }
        None => {
            let in_numerator: usize = batches
                .iter()
                .filter_map(|b| b.column_by_name("in_numerator"))
                .map(|c| c.as_boolean().true_count())
                .sum();
            let s = if has_numerator { format!(", {in_numerator} of them in the numerator") } else { String::new() };
            (rows, s)
        }
    }
}
