//! `scorebook run`

use super::{exit, failed};
use crate::calendar::{parse_date, parse_years};
use crate::config::Config;
use crate::engine::{self, Engine};
use crate::fsutil;
use crate::output::{self, OutputFormat};
use crate::session::{Overrides, Request, Session};
use chrono::NaiveDate;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BadRows {
    /// Stop with an error naming the first bad rows.
    Stop,
    /// Leave bad rows out, and report how many per file.
    Skip,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: super::ProjectArgs,
    /// The as-of date of the book (YYYY-MM-DD); scorebook.toml may give a default.
    #[arg(long, value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// Whole reporting years instead of one as-of date's book, named by the year they end in:
    /// `2013..2025` gives 2012-13 to 2024-25 (for tables of LA-years, or trends).
    #[arg(long, value_name = "FIRST..LAST", value_parser = parse_years)]
    years: Option<(i32, i32)>,
    /// The reporting year: `financial` (April to March), `calendar` (January to December) or
    /// `academic` (September to August) [default: year under [calendar], else financial].
    #[arg(long, value_parser = crate::calendar::ReportingYear::parse, value_name = "YEAR")]
    calendar: Option<crate::calendar::ReportingYear>,
    /// A directory holding each source as `<source>.csv` (or .parquet, .arrow, .ndjson, .xlsx).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The project file (default: scorebook.toml in the current directory, if any).
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    /// Write the result here (atomically) instead of to standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the run's manifest (JSON) here.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Compute only these measures (by ref or name); repeatable.
    #[arg(long = "measure")]
    measures: Vec<String>,
    /// Disclosure control: show counts from 1 to N, and percentages and rates built on them, as `c`.
    #[arg(long, value_name = "N")]
    suppress: Option<u32>,
    /// What to do with rows that cannot be read.
    #[arg(long, value_enum, default_value = "stop")]
    on_bad_rows: BadRows,
    /// Where to compute the book: `local` (DataFusion over the files); a PostgreSQL server,
    /// `postgres://USER@HOST[:PORT]/DATABASE`, whose tables hold the sources by name; a Ballista
    /// cluster, `ballista://HOST:PORT`, whose executors read the Parquet sources at the paths
    /// given; or `ballista-standalone`, a scheduler and executor in this process (Ballista
    /// needs a build with `--features ballista`).
    #[arg(long, default_value = "local", value_parser = Engine::parse, value_name = "local|postgres://...|ballista://...")]
    engine: Engine,
    /// With `--engine postgres://...`: the schema holding the source tables.
    #[arg(long)]
    schema: Option<String>,
    /// The memory the plans may use (`512MB`, `4GB`; binary units); sorts and aggregates
    /// beyond it spill to disk [default: memory_limit under [run], else half of the machine's].
    #[arg(long, value_parser = engine::memory::parse_size, value_name = "SIZE")]
    memory_limit: Option<usize>,
    /// Where spill files go [default: spill_dir under [run], else the system's temporary directory].
    #[arg(long, value_name = "DIR")]
    spill_dir: Option<PathBuf>,
    /// Stop the run if it takes longer than this (`90s`, `30m`, `2h`, or seconds); on
    /// PostgreSQL the server cancels the script too (`statement_timeout`).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    timeout: Option<std::time::Duration>,
    /// Also list the data-quality counts that are usually ordinary (missing values in the
    /// columns a measure's conditions read); JSON output always has them all.
    #[arg(long, short)]
    verbose: bool,
    /// Print where the run's time went (reading each source, checking keys, each source's
    /// aggregate, the cells, writing) to standard error.
    #[arg(long)]
    timings: bool,
    /// Compute every period with the latest version of each measure's definition, earlier
    /// periods included (a series without breaks), rather than each with the version in force
    /// at its end.
    #[arg(long)]
    backcast: bool,
}

/// A duration: `90s`, `30m`, `2h`, `500ms`, or a number of seconds (`1.5`).
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (t, 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(std::time::Duration::from_secs_f64(v * scale)),
        _ => Err(format!("`{s}` is not a duration; write it as 90s, 30m, 2h or 500ms")),
    }
}

pub fn load_config(path: Option<&PathBuf>) -> Result<Option<Config>, String> {
    match path {
        Some(p) => Config::read(p).map(Some).map_err(|e| e.to_string()),
        None => Config::discover().map_err(|e| e.to_string()),
    }
}

pub fn run(args: Args) -> u8 {
    let started = std::time::Instant::now();
    let (files, project, config) = match args.project.checked_with_config(args.config.as_ref(), "nothing was run") {
        Ok(p) => p,
        Err(code) => return code,
    };
    if args.format.is_binary() && args.out.is_none() {
        return failed(format!("--format {} writes a file: give it --out FILE", args.format.name()));
    }
    let overrides = Overrides {
        engine: args.engine.clone(),
        schema: args.schema.clone(),
        memory_limit: args.memory_limit,
        spill_dir: args.spill_dir.clone(),
        timeout: args.timeout,
        suppress: args.suppress,
        backcast: args.backcast,
    };
    let session = match Session::open(args.project.paths.clone(), files, project, config, overrides) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let request = Request {
        as_of: args.as_of,
        data_dir: args.data.clone(),
        skip_bad_rows: args.on_bad_rows == BadRows::Skip,
        measures: args.measures.clone(),
        years: args.years,
        calendar: args.calendar,
        ..Request::default()
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let book = runtime.block_on(async {
        let spinner = super::progress::Spinner::after_a_second("running the book");
        let out = session.run(request).await;
        spinner.finish();
        out
    });
    let book = match book {
        Ok(b) => b,
        Err(e) => return failed(e),
    };
    let output = &book.output;
    for w in &output.warnings {
        eprintln!("warning: {w}");
    }
    let findings = engine::quality::summary(&output.quality, args.verbose);
    if !findings.is_empty() {
        eprintln!("data quality ({} finding{}):", findings.len(), if findings.len() == 1 { "" } else { "s" });
        for q in &findings {
            eprintln!("  {q}");
        }
    }
    let ordinary = output.quality.iter().filter(|q| engine::quality::is_ordinary(q)).count();
    if !args.verbose && ordinary > 0 && matches!(args.format, OutputFormat::Table) && args.out.is_none() {
        eprintln!(
            "({ordinary} count{} of missing values in the columns conditions read: --verbose lists them)",
            if ordinary == 1 { "" } else { "s" }
        );
    }
    for w in output.load.warnings() {
        eprintln!("warning: {w}");
    }
    let timings = &book.options.timings;
    // The manifest hashes every input file: only when JSON output or --manifest shows it.
    let manifest = if matches!(args.format, OutputFormat::Json) || args.manifest.is_some() {
        let mut format = serde_json::Map::new();
        format.insert("format".into(), args.format.name().into());
        match session.manifest(&book, session.asked(&book, format)) {
            Ok(m) => Some(m),
            Err(e) => return failed(e),
        }
    } else {
        None
    };
    let charts = if args.format == OutputFormat::Html {
        let (charts, problem) = runtime.block_on(session.charts(&book));
        if let Some(p) = problem {
            eprintln!("warning: {p}");
        }
        charts
    } else {
        Vec::new()
    };
    let start = std::time::Instant::now();
    let colour = args.out.is_none() && super::use_colour(&std::io::stdout());
    let output::Rendered { bytes, summary } =
        match session.render(&book, args.format, manifest.as_ref(), charts, colour) {
            Ok(r) => r,
            Err(e) => return failed(e),
        };
    timings.record(format!("render {}", args.format.name()), start);
    let start = std::time::Instant::now();
    if let (Some(path), Some(manifest)) = (&args.manifest, &manifest) {
        let text = serde_json::to_string_pretty(&manifest).expect("manifest serialises") + "\n";
        if let Err(e) = fsutil::write_atomically(path, text.as_bytes()) {
            return failed(fsutil::write_failed(path, &e));
        }
    }
    match &args.out {
        Some(path) => {
            if let Err(e) = fsutil::write_atomically(path, &bytes) {
                return failed(fsutil::write_failed(path, &e));
            }
            eprintln!("wrote {summary} to {}", path.display());
        }
        None => {
            use std::io::Write;
            let _ = std::io::stdout().write_all(&bytes);
        }
    }
    timings.record("write", start);
    if args.timings {
        eprint!("timings:\n{}", crate::timings::table(&timings.stages(), started.elapsed()));
    }
    exit::CLEAN
}
