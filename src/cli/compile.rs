//! `scorebook compile`

use super::{exit, failed};
use crate::compile::sql::Dialect;
use crate::engine::warehouse::Listing;
use crate::session::{Overrides, Request, Session};
use chrono::NaiveDate;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// The logical plans, indented.
    Plan,
    /// SQL from DataFusion's unparser, one statement per plan.
    Sql,
    /// One self-contained SQL script that builds the working-day calendar and returns the
    /// result table, to run in a warehouse next to the source tables.
    Script,
    /// The book's plan as a Substrait `Plan` (protobuf) written to --out, for engines that
    /// consume Substrait (needs a build with `--features substrait`).
    Substrait,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: super::ProjectArgs,
    #[arg(long, value_enum)]
    emit: Emit,
    /// The SQL dialect for `--emit sql` and `--emit script`.
    #[arg(long, value_enum, default_value = "datafusion")]
    dialect: Dialect,
    /// The schema holding the source tables, for `--emit script` (default: the search path).
    #[arg(long)]
    schema: Option<String>,
    /// Compile only these measures (by ref or name); repeatable.
    #[arg(long = "measure")]
    measures: Vec<String>,
    /// The as-of date the periods are taken from (default: scorebook.toml's, else today).
    #[arg(long, value_parser = crate::calendar::parse_date)]
    as_of: Option<NaiveDate>,
    /// The project file (default: scorebook.toml in the current directory, if any).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The reporting year: `financial` (April to March), `calendar` (January to December) or
    /// `academic` (September to August) [default: year under [calendar], else financial].
    #[arg(long, value_parser = crate::calendar::ReportingYear::parse, value_name = "YEAR")]
    calendar: Option<crate::calendar::ReportingYear>,
    /// With `--emit substrait`: the file to write.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Compile every period with the latest version of each measure's definition (as `run
    /// --backcast`).
    #[arg(long)]
    backcast: bool,
}

pub fn run(args: Args) -> u8 {
    let (files, project) = match args.project.checked("nothing was compiled") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let config = match super::run::load_config(args.config.as_ref()) {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let overrides = Overrides { schema: args.schema.clone(), backcast: args.backcast, ..Overrides::default() };
    let session = match Session::open(args.project.paths.clone(), files, project, config, overrides) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let request =
        Request { as_of: args.as_of, measures: args.measures.clone(), calendar: args.calendar, ..Request::default() };
    let listing = match args.emit {
        Emit::Plan => Listing::Plan,
        Emit::Sql => Listing::Sql,
        Emit::Script => Listing::Script,
        Emit::Substrait => return write_substrait(&session, args.dialect, &request, args.out.as_deref()),
    };
    match session.compile(listing, args.dialect, &request) {
        Ok(text) => {
            print!("{text}");
            exit::CLEAN
        }
        Err(e) => failed(e),
    }
}

/// Writes the book's totals plan as Substrait protobuf.
fn write_substrait(session: &Session, dialect: Dialect, request: &Request, out: Option<&std::path::Path>) -> u8 {
    let Some(out) = out else {
        return failed("--emit substrait writes a binary file: give it --out FILE");
    };
    let book = match session.plans(dialect, request) {
        Ok(b) => b,
        Err(e) => return failed(e),
    };
    #[cfg(feature = "substrait")]
    {
        let bytes = match crate::compile::substrait::to_bytes(&book.totals) {
            Ok(b) => b,
            Err(e) => return failed(e),
        };
        if let Err(e) = crate::fsutil::write_atomically(out, &bytes) {
            return failed(crate::fsutil::write_failed(out, &e));
        }
        for b in &book.breakdowns {
            eprintln!(
                "warning: the breakdown by {} of {} is not in the Substrait plan (its totals are)",
                b.column, b.source
            );
        }
        eprintln!("wrote the book's plan as Substrait ({} bytes) to {}", bytes.len(), out.display());
        exit::CLEAN
    }
    #[cfg(not(feature = "substrait"))]
    {
        let _ = (book, out);
        failed("this scorebook was built without Substrait\n  help: build it with `cargo build --release --features substrait`")
    }
}
