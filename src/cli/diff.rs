//! `scorebook diff`: what changed in the measures between two revisions of the rules, and with
//! data, what it did to the numbers.

use super::{exit, failed};
use crate::diff::{self, revision, Change, Revision};
use crate::fsutil;
use crate::session::{self, Request};
use chrono::NaiveDate;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The git revision to compare from (`main`, `HEAD~1`, a commit).
    base: String,
    /// The revision to compare with (the working tree when left out), then the rule files or
    /// directories [default: rules].
    #[arg(value_name = "HEAD|PATHS")]
    rest: Vec<String>,
    /// With data: both revisions run over it, and each measure's values compared period by period.
    #[arg(long)]
    data: Option<PathBuf>,
    #[arg(long, value_parser = crate::calendar::parse_date)]
    as_of: Option<NaiveDate>,
    /// The project file for the runs (scorebook.toml), read from the working tree.
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write to this file. With `--format markdown`, the whole report goes here and the
    /// comment printed is kept under GitHub's limit.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Exit 1 when a measure has one of these changes (`definition`, `judgement`, ...).
    #[arg(long, value_delimiter = ',', value_parser = parse_change, value_name = "CHANGE")]
    fail_on: Vec<Change>,
}

fn parse_change(text: &str) -> Result<Change, String> {
    Change::parse(text).ok_or_else(|| format!("expected one of {}", Change::NAMES.join(", ")))
}

pub fn run(args: Args) -> u8 {
    // HEAD, when the first of the rest names a revision and no file or directory.
    let (head, paths): (Option<&str>, Vec<PathBuf>) = match args.rest.split_first() {
        Some((first, more)) if !std::path::Path::new(first).exists() && names_a_revision(first) => {
            (Some(first.as_str()), more.iter().map(PathBuf::from).collect())
        }
        _ => (None, args.rest.iter().map(PathBuf::from).collect()),
    };
    let paths = if paths.is_empty() { vec![PathBuf::from("rules")] } else { paths };
    let (base, head) = match (read(&paths, Some(&args.base)), read(&paths, head)) {
        (Ok(b), Ok(h)) => (b, h),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let mut diffs = diff::compare(&base, &head);
    if let Some(data) = &args.data {
        let config = match super::run::load_config(args.config.as_ref()) {
            Ok(c) => c,
            Err(e) => return failed(e),
        };
        let request = Request { as_of: args.as_of, data_dir: Some(data.clone()), ..Request::default() };
        let runtime = match super::runtime() {
            Ok(r) => r,
            Err(code) => return code,
        };
        if let Err(e) =
            runtime.block_on(session::compare_values(&paths, config.as_ref(), (&base, &head), request, &mut diffs))
        {
            return failed(e);
        }
    }
    let (shown, whole) = match args.format {
        Format::Text => (diff::to_text(&base, &head, &diffs), None),
        Format::Json => (diff::to_json(&base, &head, &diffs), None),
        Format::Markdown => diff::to_markdown(&base, &head, &diffs),
    };
    match (&args.out, args.format) {
        (Some(out), Format::Markdown) => {
            if let Err(e) = fsutil::write_atomically(out, whole.as_deref().unwrap_or(&shown).as_bytes()) {
                return failed(fsutil::write_failed(out, &e));
            }
            print!("{shown}");
        }
        (Some(out), _) => {
            if let Err(e) = fsutil::write_atomically(out, shown.as_bytes()) {
                return failed(fsutil::write_failed(out, &e));
            }
            eprintln!("wrote the diff of {} measures to {}", diffs.len(), out.display());
        }
        (None, _) => print!("{shown}"),
    }
    let failing: Vec<&str> =
        diffs.iter().filter(|d| args.fail_on.contains(&d.change)).map(|d| d.reference.as_str()).collect();
    if failing.is_empty() {
        exit::CLEAN
    } else {
        eprintln!("{} measure(s) with a change --fail-on names: {}", failing.len(), failing.join(", "));
        exit::PROBLEMS
    }
}

fn names_a_revision(text: &str) -> bool {
    revision::commit_of(std::path::Path::new("."), text).is_ok()
}

/// A revision's rules, or the exit code after saying why they could not be read.
fn read(paths: &[PathBuf], rev: Option<&str>) -> Result<Revision, u8> {
    revision::read(paths, rev).map_err(|e| match e {
        revision::ReadError::Refused(r) => failed(r),
        revision::ReadError::Rules { revision, files, diagnostics } => {
            let shown = crate::diagnostics::render::render_all(
                &diagnostics,
                &files,
                crate::diagnostics::render::Format::Human,
                super::use_colour(&std::io::stderr()),
            );
            eprint!("{shown}");
            failed(format!("the rules of {revision} do not check, so they cannot be compared"))
        }
    })
}
