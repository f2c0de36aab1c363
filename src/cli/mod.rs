//! The command line. It only parses arguments and glues the library's stages together.

mod catalogue;
mod check;
mod compile;
mod demo;
mod diff;
mod drill;
mod explain;
mod fmt;
mod funnel;
mod lsp;
mod progress;
mod run;
mod spc;
mod synth;
mod test;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit codes: 0 clean, 1 problems found, 2 the tool itself failed.
pub mod exit {
    pub const CLEAN: u8 = 0;
    pub const PROBLEMS: u8 = 1;
    pub const FAILED: u8 = 2;
}

#[derive(Parser)]
#[command(
    name = "scorebook",
    version,
    about = "Performance indicators defined as rules, checked, and computed over your data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the demo authority's data, run its book as of 2013-09-30, and write the reports.
    Demo(demo::Args),
    /// Write a static site of every measure: its definition in plain words, sources, tests and dependencies.
    Catalogue(catalogue::Args),
    /// Check rule files against their source declarations, without reading any data.
    Check(check::Args),
    /// Format rule files in the one canonical layout.
    Fmt(fmt::Args),
    /// Compare the measures of two git revisions of the rules: what changed, and with data, what it did to the numbers.
    Diff(diff::Args),
    /// Write the cases behind a figure (ids and the dates the definition used) to a CSV file.
    Drill(drill::Args),
    /// Run the test blocks of the rule files.
    Test(test::Args),
    /// Compute the book over data and write the result table.
    Run(run::Args),
    /// Draw Making Data Count's SPC (XmR) charts of each measure's monthly values.
    Spc(spc::Args),
    /// Draw the funnel plots of the measures with `funnel by`, or list their units and limits.
    Funnel(funnel::Args),
    /// Show the DataFusion plans (or their SQL) that compute the measures.
    Compile(compile::Args),
    /// Generate realistic case-level data for the council book's sources.
    Synth(synth::Args),
    /// Explain a diagnostic code (`scorebook explain SB201`), or list every code.
    Explain(explain::Args),
    /// Serve the language server protocol on standard input and output, for editors.
    Lsp(lsp::Args),
}

/// SIGINT and SIGTERM stop scorebook with 130 and 143 after removing any file half written (the
/// previous file stays whole); SIGXFSZ (a file-size limit) makes the write fail with an error
/// instead of killing the process.
fn stop_cleanly_on_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM, SIGXFSZ};
    let _ = signal_hook::flag::register(SIGXFSZ, std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)));
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else { return };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            crate::fsutil::remove_partials();
            let name = if signal == SIGINT { "SIGINT" } else { "SIGTERM" };
            eprintln!(
                "\nscorebook was stopped by {name} before it finished: nothing was half written, and files it had not yet replaced are as they were"
            );
            std::process::exit(128 + signal);
        }
    });
}

pub fn main() -> ExitCode {
    stop_cleanly_on_signals();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Catalogue(args) => catalogue::run(args),
        Command::Check(args) => check::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Run(args) => run::run(args),
        Command::Test(args) => test::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Drill(args) => drill::run(args),
        Command::Compile(args) => compile::run(args),
        Command::Spc(args) => spc::run(args),
        Command::Funnel(args) => funnel::run(args),
        Command::Synth(args) => synth::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Lsp(args) => lsp::run(args),
    };
    ExitCode::from(code)
}

/// The rule files a command reads, and the profile that may replace their sources.
#[derive(clap::Args)]
pub struct ProjectArgs {
    /// Rule files, or directories searched for `.ind` files.
    #[arg(default_value = "rules")]
    pub paths: Vec<std::path::PathBuf>,
    /// Source declarations (a directory or file) that replace the project's of the same
    /// names, for another layout of the data: `--profile profiles/annex-a`.
    #[arg(long)]
    pub profile: Option<std::path::PathBuf>,
}

/// What a run over data reads besides the rules: the as-of date, the data, the project file
/// and the measures chosen (`spc`, `funnel`).
#[derive(clap::Args)]
pub struct DataArgs {
    /// The as-of date (YYYY-MM-DD); scorebook.toml may give a default.
    #[arg(long, value_parser = crate::calendar::parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// A directory holding each source as `<source>.csv` (or .parquet, .arrow, .ndjson, .xlsx).
    #[arg(long)]
    pub data: Option<std::path::PathBuf>,
    /// The project file (default: scorebook.toml in the current directory, if any).
    #[arg(long)]
    pub config: Option<std::path::PathBuf>,
    /// Only these measures (by ref or name); repeatable.
    #[arg(long = "measure")]
    pub measures: Vec<String>,
}

impl DataArgs {
    /// The run these arguments ask a session for.
    pub fn request(&self) -> crate::session::Request {
        crate::session::Request {
            as_of: self.as_of,
            data_dir: self.data.clone(),
            measures: self.measures.clone(),
            ..crate::session::Request::default()
        }
    }
}

impl ProjectArgs {
    /// The checked project, or the exit code after printing why there is none.
    pub fn checked(&self, nothing_done: &str) -> Result<(crate::span::SourceMap, crate::ir::Project), u8> {
        checked_project(&self.paths, self.profile.as_deref(), nothing_done)
    }

    /// The checked project and the project file (`--config`, else scorebook.toml here), or the
    /// exit code after printing why not.
    pub fn checked_with_config(
        &self,
        config: Option<&std::path::PathBuf>,
        nothing_done: &str,
    ) -> Result<(crate::span::SourceMap, crate::ir::Project, Option<crate::config::Config>), u8> {
        let (files, project) = self.checked(nothing_done)?;
        let config = run::load_config(config).map_err(failed)?;
        Ok((files, project, config))
    }
}

/// Reads and checks a project; on errors, prints them and says what was not done.
pub(crate) fn checked_project(
    paths: &[std::path::PathBuf],
    profile: Option<&std::path::Path>,
    nothing_done: &str,
) -> Result<(crate::span::SourceMap, crate::ir::Project), u8> {
    let (files, checked) = crate::project::check_with_profile(paths, profile).map_err(failed)?;
    match checked.project {
        Some(p) => Ok((files, p)),
        None => Err({
            let shown = crate::diagnostics::render::render_all(
                &checked.diagnostics,
                &files,
                crate::diagnostics::render::Format::Human,
                use_colour(&std::io::stderr()),
            );
            eprint!("{shown}");
            eprintln!("the rules have errors; {nothing_done}");
            exit::PROBLEMS
        }),
    }
}

/// A runtime for the engine's async work.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, u8> {
    crate::engine::runtime().map_err(failed)
}

/// Prints a failure of the tool itself and returns exit code 2.
pub(crate) fn failed(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    exit::FAILED
}

/// Colour on a terminal, unless `NO_COLOR` is set to anything but an empty string
/// (no-color.org); `CLICOLOR_FORCE` (not `0`) colours even when the output is not a terminal.
pub(crate) fn use_colour(stream: &impl std::io::IsTerminal) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    set("CLICOLOR_FORCE") || stream.is_terminal()
}
