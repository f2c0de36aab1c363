//! `scorebook catalogue`: a static site of every measure, opened from the file system.

use super::{exit, failed};
use crate::catalogue::{self, Catalogue};
use crate::engine::{self, RunOptions, Settings};
use crate::{fsutil, testing};
use chrono::NaiveDate;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: super::ProjectArgs,
    /// The directory to write the site to (`index.html`, `coverage.html`, `measures/`).
    #[arg(long)]
    out: PathBuf,
    /// With data: each measure's latest value, RAG rating and direction of travel.
    #[arg(long)]
    data: Option<PathBuf>,
    #[arg(long, value_parser = crate::calendar::parse_date)]
    as_of: Option<NaiveDate>,
    #[arg(long)]
    config: Option<PathBuf>,
    /// Disclosure control of the run's values, as `run --suppress N`, said on each page.
    #[arg(long, value_name = "N")]
    suppress: Option<u32>,
}

pub fn run(args: Args) -> u8 {
    let (files, project, config) = match args.project.checked_with_config(args.config.as_ref(), "nothing was written") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let settings = match Settings::resolve(&project, config.as_ref()) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    // The tests, for what covers each measure.
    let tests = runtime.block_on(testing::run_all(&project, &settings, None));
    let mut rows = Vec::new();
    if let Some(data) = &args.data {
        let options = RunOptions { as_of: args.as_of, data_dir: Some(data.clone()), ..RunOptions::default() };
        match runtime.block_on(engine::run(&project, config.as_ref(), &options)) {
            Ok(out) => rows = out.rows,
            Err(e) => return failed(e),
        }
        if let Some(n) = args.suppress {
            crate::results::suppress(&mut rows, f64::from(n));
        }
    }
    let cat = Catalogue {
        project: &project,
        files: &files,
        tests: &tests,
        rows: &rows,
        suppress: args.suppress,
        confidence: settings.judging.confidence,
        amber_within_percent: settings.judging.default_rag.amber_within_percent,
    };
    let pages = catalogue::pages(&cat);
    for page in &pages {
        let path = args.out.join(&page.path);
        if let Some(dir) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                return failed(format!("{}: {e}", dir.display()));
            }
        }
        if let Err(e) = fsutil::write_atomically(&path, page.html.as_bytes()) {
            return failed(fsutil::write_failed(&path, &e));
        }
    }
    eprintln!(
        "wrote the catalogue of {} measures ({} pages) to {}",
        project.measures.len(),
        pages.len(),
        args.out.join("index.html").display()
    );
    exit::CLEAN
}
