//! `scorebook spc`: Making Data Count's XmR charts of each measure's monthly values.

use super::{exit, failed};
use crate::engine::RunOptions;
use crate::fsutil;
use crate::session::{Overrides, Session};
use crate::spc::{self, SpcOptions};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SpcFormat {
    Csv,
    Json,
    /// Every measure's chart, with its variation and assurance icons, as one self-contained page.
    Html,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: super::ProjectArgs,
    #[command(flatten)]
    inputs: super::DataArgs,
    /// Months ending with the as-of date's month [default: 24, or `[spc] months`].
    #[arg(long, value_name = "N")]
    months: Option<u32>,
    /// Fix the mean and limits on the first N points (12 or more).
    #[arg(long, value_name = "N")]
    baseline: Option<usize>,
    /// Leave out moving ranges of at least 3.267 × their mean before setting the limits.
    #[arg(long)]
    screen_outliers: bool,
    /// Points in a run on one side of the mean, or in a trend, that make a special cause.
    #[arg(long, value_parser = clap::value_parser!(u8).range(6..=8), value_name = "6|7|8")]
    run_length: Option<u8>,
    /// Disclosure control: months whose count is from 1 to N (or whose percentage or rate is
    /// built on one) are withheld, and charted as gaps.
    #[arg(long, value_name = "N")]
    suppress: Option<u32>,
    #[arg(long, value_enum, default_value = "csv")]
    format: SpcFormat,
    /// Write the charts here (atomically) instead of to standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The chart options: the command line over `[spc]` in scorebook.toml over the defaults.
fn options(args: &Args, config: Option<&crate::config::Config>) -> Result<SpcOptions, String> {
    let base = spc::project_options(config).map_err(|e| e.to_string())?;
    let options = SpcOptions {
        months: args.months.unwrap_or(base.months),
        baseline: args.baseline.or(base.baseline),
        screen_outliers: args.screen_outliers || base.screen_outliers,
        run_length: args.run_length.map_or(base.run_length, usize::from),
    };
    options.check().map_err(|e| format!("--{}", e.replace(" = ", " ").replace('_', "-")))?;
    Ok(options)
}

/// The book's charts, with a warning on standard error when they cannot be drawn.
pub fn for_the_book(
    runtime: &tokio::runtime::Runtime,
    project: &crate::ir::Project,
    config: Option<&crate::config::Config>,
    run: RunOptions,
    suppress: Option<u32>,
) -> Vec<spc::SpcRow> {
    let (rows, problem) = runtime.block_on(spc::for_the_book(project, config, run, suppress));
    if let Some(p) = problem {
        eprintln!("warning: {p}");
    }
    rows
}

pub fn run(args: Args) -> u8 {
    let (files, project, config) =
        match args.project.checked_with_config(args.inputs.config.as_ref(), "no chart was drawn") {
            Ok(p) => p,
            Err(code) => return code,
        };
    let options = match options(&args, config.as_ref()) {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    let overrides = Overrides { suppress: args.suppress, ..Overrides::default() };
    let session = match Session::open(args.project.paths.clone(), files, project, config, overrides) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let spinner = super::progress::Spinner::after_a_second("computing the monthly values");
    let result = runtime.block_on(session.spc(args.inputs.request(), &options));
    spinner.finish();
    let (rows, warnings, as_of) = match result {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let bytes = match args.format {
        SpcFormat::Csv => spc::to_csv(&rows),
        SpcFormat::Json => spc::to_json(&rows, as_of, &options),
        SpcFormat::Html => {
            let heading = crate::output::heading(session.config.as_ref(), &session.paths);
            spc::to_html(&rows, &format!("{} — SPC charts", heading.title), as_of, &options)
        }
    };
    match &args.out {
        Some(path) => {
            if let Err(e) = fsutil::write_atomically(path, bytes.as_bytes()) {
                return failed(fsutil::write_failed(path, &e));
            }
            let measures = rows.iter().map(|r| &r.reference).collect::<std::collections::BTreeSet<_>>().len();
            eprintln!(
                "wrote {measures} measure{} over {} months ({} rows) to {}",
                if measures == 1 { "" } else { "s" },
                options.months,
                rows.len(),
                path.display()
            );
        }
        None => print!("{bytes}"),
    }
    exit::CLEAN
}
