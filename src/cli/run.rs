//! `scorebook run`

use super::{exit, failed};
use crate::calendar::{parse_date, parse_years};
use crate::config::Config;
use crate::engine::{self, manifest, Engine, RunOptions};
use crate::output::{self, OutputFormat};
use crate::{fsutil, results};
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

/// The SPC charts the HTML book shows under its tables, computed by a second run over the
/// months `[spc]` asks for, on the run's engine when it runs plans (not the warehouse script,
/// nor whole years).
fn book_charts(
    args: &Args,
    project: &crate::ir::Project,
    config: Option<&Config>,
    options: &RunOptions,
    runtime: &tokio::runtime::Runtime,
) -> Vec<crate::spc::SpcRow> {
    match &args.engine {
        Engine::Plans(cluster) if args.years.is_none() => {
            // Timed as one stage, not as a second run's stages.
            let on = RunOptions { cluster: cluster.clone(), timings: Default::default(), ..options.clone() };
            let start = std::time::Instant::now();
            let charts = super::spc::for_the_book(runtime, project, config, on, args.suppress);
            options.timings.record("SPC charts (the last 24 months, run again)", start);
            charts
        }
        _ => Vec::new(),
    }
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
    let (files, mut project, config) = match args.project.checked_with_config(args.config.as_ref(), "nothing was run") {
        Ok(p) => p,
        Err(code) => return code,
    };
    if args.backcast {
        project.backcast();
    }
    if args.format.is_binary() && args.out.is_none() {
        return failed(format!("--format {} writes a file: give it --out FILE", args.format.name()));
    }
    let configured = match engine::project_memory(config.as_ref()) {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    let memory = engine::memory::Memory {
        limit: args.memory_limit.or(configured.limit),
        spill_dir: args.spill_dir.clone().or(configured.spill_dir),
    };
    let options = RunOptions {
        as_of: args.as_of,
        data_dir: args.data.clone(),
        skip_bad_rows: args.on_bad_rows == BadRows::Skip,
        measures: args.measures.clone(),
        years: args.years,
        calendar: args.calendar,
        timeout: args.timeout,
        memory,
        ..RunOptions::default()
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let output = runtime.block_on(async {
        let spinner = super::progress::Spinner::after_a_second("running the book");
        let out = engine::run_on(&args.engine, &project, config.as_ref(), &options, args.schema.as_deref()).await;
        spinner.finish();
        out
    });
    let mut output = match output {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    if let Some(n) = args.suppress {
        results::suppress(&mut output.rows, f64::from(n));
    }
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
    let mut options_json = serde_json::json!({
        "paths": args.project.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "data": args.data.as_ref().map(|p| p.display().to_string()),
        "format": args.format.name(),
        "measures": args.measures,
        "years": args.years.map(|(a, b)| format!("{a}..{b}")),
        "engine": args.engine.shown(),
        "on_bad_rows": format!("{:?}", args.on_bad_rows).to_lowercase(),
        "suppress": args.suppress,
        "timeout": args.timeout.map(engine::seconds),
        "memory_limit": options.memory.bytes().map(engine::memory::show_size),
        "backcast": args.backcast,
    });
    if let (Some(year), Some(o)) = (args.calendar, options_json.as_object_mut()) {
        o.insert("calendar".into(), year.name().into());
    }
    // The manifest hashes every input file: only when JSON output or --manifest shows it.
    let manifest = if matches!(args.format, OutputFormat::Json) || args.manifest.is_some() {
        match manifest::build(&files, &output.bindings, &output.load, output.as_of, options_json) {
            Ok(m) => Some(m),
            Err(e) => return failed(format!("reading the inputs for the manifest: {e}")),
        }
    } else {
        None
    };
    let charts = if args.format == OutputFormat::Html {
        book_charts(&args, &project, config.as_ref(), &options, &runtime)
    } else {
        Vec::new()
    };
    let context = output::Context {
        project: &project,
        heading: output::heading(config.as_ref(), &args.project.paths),
        manifest: manifest.as_ref(),
        charts,
        colour: args.out.is_none() && super::use_colour(&std::io::stdout()),
    };
    let start = std::time::Instant::now();
    let output::Rendered { bytes, summary } = match output::render(args.format, &output, context) {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    options.timings.record(format!("render {}", args.format.name()), start);
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
    options.timings.record("write", start);
    if args.timings {
        eprint!("timings:\n{}", crate::timings::table(&options.timings.stages(), started.elapsed()));
    }
    exit::CLEAN
}
