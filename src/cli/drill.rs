//! `scorebook drill`: the cases behind a figure, for case audits.

use super::{exit, failed};
use crate::engine::{self, RunOptions};
use crate::fsutil;
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
    /// Rule files, or directories searched for `.ind` files.
    #[arg(long = "rules", default_value = "rules")]
    paths: Vec<PathBuf>,
    #[arg(long, value_parser = super::run::parse_date)]
    as_of: Option<NaiveDate>,
    #[arg(long)]
    data: Option<PathBuf>,
    #[arg(long)]
    config: Option<PathBuf>,
    /// Source declarations that replace the project's of the same names.
    #[arg(long)]
    profile: Option<PathBuf>,
}

pub fn run(args: Args) -> u8 {
    let (_, project) = match super::checked_project(&args.paths, args.profile.as_deref(), "nothing was written") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let config = match super::run::load_config(args.config.as_ref()) {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let options = RunOptions {
        as_of: args.as_of,
        data_dir: args.data.clone(),
        measures: vec![args.reference.clone()],
        ..RunOptions::default()
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let batches = match runtime.block_on(engine::drill(&project, config.as_ref(), &options, &args.period)) {
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
        return failed(format!("{}: {e}", args.out.display()));
    }
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let in_numerator: Option<usize> = batches
        .iter()
        .map(|b| {
            b.column_by_name("in_numerator").map(|c| datafusion::arrow::array::AsArray::as_boolean(c).true_count())
        })
        .sum();
    let numerator = in_numerator.map(|n| format!(", {n} of them in the numerator")).unwrap_or_default();
    eprintln!("wrote {rows} rows behind {} for {}{numerator} to {}", args.reference, args.period, args.out.display());
    exit::CLEAN
}
