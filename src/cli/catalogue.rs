//! `scorebook catalogue`: a static site of every measure, opened from the file system.

use super::{exit, failed};
use crate::catalogue;
use crate::session::{Overrides, Request, Session};
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
    let overrides = Overrides { suppress: args.suppress, ..Overrides::default() };
    let session = match Session::open(args.project.paths.clone(), files, project, config, overrides) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let data =
        args.data.as_ref().map(|d| Request { as_of: args.as_of, data_dir: Some(d.clone()), ..Request::default() });
    let pages = match runtime.block_on(session.catalogue(data)) {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    if let Err(e) = catalogue::write_site(&args.out, &pages) {
        return failed(e);
    }
    eprintln!(
        "wrote the catalogue of {} measures ({} pages) to {}",
        session.project.measures.len(),
        pages.len(),
        args.out.join("index.html").display()
    );
    exit::CLEAN
}
