//! Stage 4: running compiled plans over data. Binds and reads the sources, registers the
//! working-day calendar, executes the book's plans and turns their wide rows into the long
//! result table (docs/commands.md, "The result table").

#[cfg(feature = "ballista")]
mod ballista;
mod judged;
pub mod manifest;
pub mod memory;
mod pieces;
mod published;
pub mod quality;
mod settings;
mod standardised;
pub mod warehouse;

use crate::benchmarks::{self, PublishedRow};
use crate::calendar::{
    book_periods, month_periods, working_days::calendar_days, working_days::HolidayList, year_periods, BookPeriods,
    ReportingPeriod, ReportingYear,
};
use crate::compile::cells::{Cell, Cells, Part};
use crate::compile::{self, BookPlan, CompileError, PlanInputs, CALENDAR_TABLE};
use crate::config::Config;
use crate::data::{self, DataError, LoadOptions, LoadReport};
use crate::ir::{Definition, Project};
use crate::judgement;
use crate::refusal::Refusal;
use crate::results::ResultRow;
use crate::statistics;
use crate::timings;
use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray, Date32Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::Float64Type;
use datafusion::catalog::default_table_source::provider_as_source;
use datafusion::datasource::MemTable;
use datafusion::logical_expr::TableSource;
use datafusion::prelude::{SessionConfig, SessionContext};
pub use settings::{project_memory, Judging, Settings};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Compile(#[from] CompileError),
    #[error("{0}")]
    Holidays(#[from] crate::calendar::working_days::HolidayError),
    /// The run cannot go on as asked: what is wrong, and what to do.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// scorebook.toml cannot be read or holds a setting that is not valid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A broken invariant of the run: a bug in scorebook, not a problem with the input.
    #[error("internal error: {0}; this is a bug in scorebook, please report it with the rule files")]
    Internal(String),
    #[error("running the plans failed: {0}")]
    Execution(#[from] datafusion::error::DataFusionError),
    /// A plan needed more memory than the limit allows, and could not spill.
    #[error("{}", out_of_memory(*limit, detail))]
    OutOfMemory { limit: usize, detail: String },
    /// The run went on longer than `--timeout` allowed and was stopped.
    #[error("{}", timed_out(*.0))]
    TimedOut(std::time::Duration),
}

fn out_of_memory(limit: usize, detail: &str) -> Refusal {
    Refusal::new(format!(
        "the run needed more memory than its limit of {} (--memory-limit): {detail}",
        memory::show_size(limit)
    ))
    .help("raise --memory-limit (or memory_limit under [run] in scorebook.toml); sorts and aggregates that can spill write to --spill-dir")
}

fn timed_out(after: std::time::Duration) -> Refusal {
    Refusal::new(format!("the run took longer than --timeout {} and was stopped; nothing was written", seconds(after)))
        .help("raise --timeout, or run when the data's server is less busy")
}

impl RunError {
    /// What went wrong and what to do, when the failure is a request that cannot be met or a
    /// limit reached; `None` for scorebook.toml's problems and the data's (which say where,
    /// [`ConfigError`](crate::config::ConfigError), [`DataError`]), the engine's, and internal
    /// errors.
    pub fn refusal(&self) -> Option<Refusal> {
        Some(match self {
            RunError::Refused(r) => r.clone(),
            RunError::Compile(e) => return e.refusal(),
            RunError::OutOfMemory { limit, detail } => out_of_memory(*limit, detail),
            RunError::TimedOut(t) => timed_out(*t),
            _ => return None,
        })
    }
}

/// Stack for the threads that plan, serialise and run a book's plans: a plan nests a level
/// for each join, subset and breakdown step, and reading one back from a cluster's protobuf
/// (or planning it without optimisation) recurses once per level with large frames.
pub const WORKER_STACK: usize = 32 << 20;

/// A runtime whose threads have room for a book's plans (see [`WORKER_STACK`]).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(WORKER_STACK).build()
}

/// What a run is asked to do.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub as_of: Option<NaiveDate>,
    pub data_dir: Option<PathBuf>,
    pub skip_bad_rows: bool,
    /// Refs of the measures to compute; all when empty.
    pub measures: Vec<String>,
    /// Whole reporting years instead of the as-of date's book: the first and last year they
    /// end in (`2013..=2025`). The as-of date defaults to the last year's end.
    pub years: Option<(i32, i32)>,
    /// The last N months ending with the as-of date's month instead of the book (SPC charts).
    pub months: Option<u32>,
    /// The reporting year, when not scorebook.toml's (`run --calendar`).
    pub calendar: Option<crate::calendar::ReportingYear>,
    /// The memory the plans may use, and where they spill.
    pub memory: memory::Memory,
    /// Stop a run that takes longer (the warehouse script is also cancelled by its server).
    pub timeout: Option<std::time::Duration>,
    /// Where the plans run.
    pub cluster: Cluster,
    /// Sources' data given directly (tables in memory, or paths), by source name: ahead of
    /// `data_dir` and scorebook.toml.
    pub tables: std::collections::BTreeMap<String, data::Supplied>,
    /// Where the run records its stages' times (`run --timings`).
    pub timings: timings::Timings,
}

/// What a run produced.
pub struct RunOutput {
    pub rows: Vec<ResultRow>,
    pub bindings: Vec<data::Binding>,
    pub load: LoadReport,
    pub warnings: Vec<String>,
    /// Data-quality findings for the measures run.
    pub quality: Vec<quality::QualityIssue>,
    pub as_of: NaiveDate,
}

/// The calendar: every day with its working-day index.
pub fn calendar_batch(holidays: &HolidayList) -> Result<RecordBatch, datafusion::error::DataFusionError> {
    let (dates, index) = calendar_days(holidays);
    let dates: Date32Array = dates.iter().map(|d| Some(crate::data::columns::date32(*d))).collect();
    Ok(RecordBatch::try_new(compile::calendar_schema(), vec![Arc::new(dates), Arc::new(Int64Array::from(index))])?)
}

/// The calendar table, held in memory.
pub fn calendar_table(holidays: &HolidayList) -> Result<MemTable, datafusion::error::DataFusionError> {
    MemTable::try_new(compile::calendar_schema(), vec![vec![calendar_batch(holidays)?]])
}

/// The session settings scorebook's plans run with.
pub fn session_config() -> SessionConfig {
    // Parquet text is read as the declared Utf8 directly, rather than as views cast to it.
    let mut config = SessionConfig::new().with_information_schema(false);
    config.options_mut().execution.parquet.schema_force_view_types = false;
    config
}

/// A session configured for scorebook's plans.
pub fn session() -> SessionContext {
    SessionContext::new_with_config(session_config())
}

/// Where a run computes the book.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Cluster {
    /// DataFusion in this process.
    #[default]
    Local,
    /// A Ballista scheduler, `ballista://HOST:PORT`.
    Ballista(String),
    /// A Ballista scheduler and executor started in this process.
    BallistaStandalone,
}

/// What computes a book (`run --engine`): DataFusion plans, here or on a cluster, or the
/// warehouse script on a server.
#[derive(Clone, Debug, PartialEq)]
pub enum Engine {
    /// DataFusion plans, here or on a Ballista cluster.
    Plans(Cluster),
    /// The warehouse script on a PostgreSQL server, by its URL.
    Postgres(String),
}

impl Default for Engine {
    /// DataFusion plans in this process.
    fn default() -> Engine {
        Engine::Plans(Cluster::Local)
    }
}

impl Engine {
    /// `local`, `ballista-standalone`, `ballista://HOST:PORT` or a PostgreSQL URL.
    pub fn parse(name: &str) -> Result<Engine, String> {
        Ok(match name {
            "local" => Engine::Plans(Cluster::Local),
            "ballista-standalone" => Engine::Plans(Cluster::BallistaStandalone),
            url if url.starts_with("ballista://") => Engine::Plans(Cluster::Ballista(url.to_string())),
            url if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Engine::Postgres(url.to_string())
            }
            _ => {
                return Err(
                    "expected `local`, a PostgreSQL URL such as postgres://analyst@warehouse/social_care, `ballista://HOST:PORT` or `ballista-standalone`"
                        .into(),
                )
            }
        })
    }

    /// As the manifest records it: a URL without its password.
    pub fn shown(&self) -> String {
        match self {
            Engine::Plans(Cluster::Local) => "local".into(),
            Engine::Plans(Cluster::BallistaStandalone) => "ballista-standalone".into(),
            Engine::Plans(Cluster::Ballista(url)) => url.clone(),
            Engine::Postgres(url) => warehouse::without_password(url),
        }
    }
}

/// A local session with the calendar registered, its plans within `memory`.
fn local_session(holidays: &HolidayList, memory: &memory::Memory) -> Result<SessionContext, RunError> {
    let ctx = SessionContext::new_with_config_rt(session_config(), memory::runtime_env(memory)?);
    ctx.register_table(CALENDAR_TABLE, Arc::new(calendar_table(holidays)?))?;
    Ok(ctx)
}

/// A session for `cluster`, with the calendar registered.
async fn session_on(
    cluster: &Cluster,
    holidays: &HolidayList,
    memory: &memory::Memory,
) -> Result<SessionContext, RunError> {
    if *cluster == Cluster::Local {
        return local_session(holidays, memory);
    }
    #[cfg(feature = "ballista")]
    return ballista::session(cluster, holidays).await;
    #[cfg(not(feature = "ballista"))]
    Err(RunError::Refused(
        Refusal::new("this scorebook was built without Ballista")
            .help("build it with `cargo build --release --features ballista`"),
    ))
}

/// Resolves the tables a plan scans from the session.
pub async fn table_sources(
    ctx: &SessionContext,
    names: &[String],
) -> Result<HashMap<String, Arc<dyn TableSource>>, RunError> {
    let mut out = HashMap::new();
    for n in names {
        out.insert(n.clone(), provider_as_source(ctx.table_provider(n.as_str()).await?));
    }
    Ok(out)
}

/// Indices of the measures whose refs were asked for (all when none were).
pub fn chosen_measures(project: &Project, refs: &[String]) -> Result<Option<Vec<usize>>, RunError> {
    if refs.is_empty() {
        return Ok(None);
    }
    refs.iter()
        .map(|r| {
            project.measures.iter().position(|m| &m.reference == r || &m.name == r).ok_or_else(|| {
                let refs: Vec<&str> = project.measures.iter().map(|m| m.reference.as_str()).collect();
                RunError::Refused(
                    Refusal::new(format!("--measure {r}: no measure has that ref or name"))
                        .help(format!("the measures' refs are {}", refs.join(", "))),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The as-of date a command was asked for: `--as-of`, else `as_of` in scorebook.toml (an
/// error if that is not a date); `None` when neither gives one.
pub fn asked_as_of(asked: Option<NaiveDate>, config: Option<&Config>) -> Result<Option<NaiveDate>, RunError> {
    match asked {
        Some(d) => Ok(Some(d)),
        None => Ok(config.map(Config::as_of).transpose()?.flatten()),
    }
}

/// The as-of date of a script or plan (`compile`): [`asked_as_of`], else today.
pub fn as_of_or_today(asked: Option<NaiveDate>, config: Option<&Config>) -> Result<NaiveDate, RunError> {
    Ok(asked_as_of(asked, config)?.unwrap_or_else(|| chrono::Local::now().date_naive()))
}

/// The as-of date a run needs: [`asked_as_of`], or an error saying how to give one.
pub fn required_as_of(asked: Option<NaiveDate>, config: Option<&Config>) -> Result<NaiveDate, RunError> {
    asked_as_of(asked, config)?.ok_or_else(|| {
        RunError::Refused(
            Refusal::new("no as-of date")
                .help("pass --as-of YYYY-MM-DD, or set as_of under [project] in scorebook.toml"),
        )
    })
}

/// Checks a population source before it divides anything: one row per area, year and age
/// group, and one area unless the project names its own.
async fn check_population(
    ctx: &SessionContext,
    project: &Project,
    area: Option<&str>,
    one_area: &[String],
) -> Result<Vec<String>, RunError> {
    let mut warnings = Vec::new();
    for pop in &project.populations {
        let Some(source) = project.source(&pop.source) else {
            continue;
        };
        if ctx.table_provider(source.name.as_str()).await.is_err() {
            continue;
        }
        // The rows the population's own filter keeps: other rows may repeat its keys.
        let rows = published::rows_where(ctx, &source.name, pop.filter.as_ref(), NaiveDate::default()).await?;
        let df = datafusion::dataframe::DataFrame::new(ctx.state(), rows.build()?);
        let group: Vec<_> = ["area_code", "year", "age_group"]
            .iter()
            .filter(|c| source.column(c).is_some())
            .map(|c| compile::exprs::column(compile::exprs::ROW, c))
            .collect();
        let dupes = df
            .clone()
            .aggregate(
                group,
                vec![datafusion::functions_aggregate::expr_fn::count(datafusion::prelude::lit(1)).alias("n")],
            )?
            .filter(datafusion::prelude::col("n").gt(datafusion::prelude::lit(1)))?
            .count()
            .await?;
        if dupes > 0 {
            return Err(RunError::Refused(
                Refusal::new(format!(
                    "source `{}`: {dupes} area, year and age group {} on more than one row",
                    source.name,
                    if dupes == 1 { "combination appears" } else { "combinations appear" }
                ))
                .help("keep one row for each area, year and age group"),
            ));
        }
        if area.is_none() && source.column("area_code").is_some() && !one_area.contains(&source.name) {
            let areas =
                df.aggregate(vec![compile::exprs::column(compile::exprs::ROW, "area_code")], vec![])?.count().await?;
            if areas > 1 {
                warnings.push(format!(
                    "source `{}` holds {areas} areas and scorebook.toml names none as the project's own, so rates of totals divide by their sum (set area_code under [project] to use one area)",
                    source.name
                ));
            }
        }
    }
    Ok(warnings)
}

/// Working days in years the holiday list does not cover count weekdays only: say which.
async fn holiday_coverage(
    ctx: &SessionContext,
    project: &Project,
    measures: &[usize],
    holidays: &HolidayList,
) -> Result<Vec<String>, RunError> {
    let Some((first, last)) = holidays.covered_years() else { return Ok(Vec::new()) };
    let mut columns: Vec<(String, String)> = Vec::new();
    for m in measures.iter().flat_map(|&i| project.measures[i].every_version()) {
        let Some(rows) = m.definition.rows() else { continue };
        let mut exprs: Vec<&crate::ir::Expr> = rows.filters.iter().chain(&rows.exclusions).collect();
        if let Definition::Proportion { numerator, .. } = &m.definition {
            exprs.push(numerator);
        }
        for e in exprs {
            working_day_columns(e, &mut |c| {
                let pair = (project.table_of(&rows.source).to_string(), c.to_string());
                if !columns.contains(&pair) {
                    columns.push(pair);
                }
            });
        }
    }
    let mut outside = std::collections::BTreeSet::new();
    for (source, column) in columns {
        let df = ctx.table(source.as_str()).await?;
        let c = datafusion::prelude::ident(column.as_str());
        let batches = df
            .aggregate(
                vec![],
                vec![
                    datafusion::functions_aggregate::expr_fn::min(c.clone()).alias("lo"),
                    datafusion::functions_aggregate::expr_fn::max(c).alias("hi"),
                ],
            )?
            .collect()
            .await?;
        for b in batches {
            let (Some(lo), Some(hi)) = (
                b.column(0).as_primitive_opt::<datafusion::arrow::datatypes::Date32Type>(),
                b.column(1).as_primitive_opt::<datafusion::arrow::datatypes::Date32Type>(),
            ) else {
                continue;
            };
            if lo.is_null(0) || hi.is_null(0) {
                continue;
            }
            let year = |days: i32| {
                chrono::Datelike::year(
                    &(NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(i64::from(days))),
                )
            };
            for y in year(lo.value(0))..=year(hi.value(0)) {
                if y < first || y > last {
                    outside.insert(y);
                }
            }
        }
    }
    if outside.is_empty() {
        return Ok(Vec::new());
    }
    let years: Vec<String> = outside.iter().map(i32::to_string).collect();
    Ok(vec![format!(
        "working days in {} count weekdays only: the holiday list covers {first} to {last} (give a longer list with `holidays` under [project] in scorebook.toml)",
        years.join(", ")
    )])
}

/// Columns of the measure's row that `working_days` reads.
fn working_day_columns(e: &crate::ir::Expr, found: &mut impl FnMut(&str)) {
    e.walk(&mut |x| {
        if let crate::ir::ExprKind::Call { func: crate::ir::Function::WorkingDays, args } = &x.kind {
            for a in args {
                if let crate::ir::ExprKind::Column { scope: None, name } = &a.kind {
                    found(name);
                }
            }
        }
    });
}

/// A session with the data read and the book compiled, ready to execute.
pub struct Prepared {
    pub ctx: SessionContext,
    pub book: BookPlan,
    pub periods: BookPeriods,
    pub settings: Settings,
    pub as_of: NaiveDate,
    pub chosen: Option<Vec<usize>>,
    pub bindings: Vec<data::Binding>,
    pub load: LoadReport,
    /// Warnings found while reading the data.
    pub warnings: Vec<String>,
    pub quality: Vec<quality::QualityIssue>,
}

/// Reads the data the chosen measures need and compiles them.
pub async fn prepare(project: &Project, config: Option<&Config>, options: &RunOptions) -> Result<Prepared, RunError> {
    let mut settings = Settings::resolve(project, config)?.in_year(options.calendar);
    let chosen = chosen_measures(project, &options.measures)?;
    let all: Vec<usize> = (0..project.measures.len()).collect();
    let needed = compile::with_dependencies(project, chosen.as_deref().unwrap_or(&all));
    settings.year = book_year(project, &needed, settings.year)?;
    let year = settings.year;
    let last_year_end = options.years.map(|(a, b)| year.range(year.start_of_year_ending(a.max(b))).end);
    let as_of = required_as_of(options.as_of.or(last_year_end), config)?;
    let periods = match (options.years, options.months) {
        (Some((first, last)), _) => year_periods(first, last, year),
        (None, Some(n)) => month_periods(as_of, n, year),
        (None, None) => book_periods(as_of, year),
    };
    let holidays = &settings.holidays;
    let ctx = session_on(&options.cluster, holidays, &options.memory).await?;

    let used: Vec<&crate::ir::Source> =
        data::sources_used(project, &needed).into_iter().filter_map(|n| project.source(&n)).collect();
    if let Some(name) = options.tables.keys().find(|n| project.source(n).is_none()) {
        let sources: Vec<&str> = project.sources.iter().map(|s| s.name.as_str()).collect();
        return Err(RunError::Refused(
            Refusal::new(format!("a table was given for `{name}`, but no source of that name is declared"))
                .help(format!("the sources are {}", sources.join(", "))),
        ));
    }
    let timings = &options.timings;
    let start = std::time::Instant::now();
    let bindings = data::bind(&used, config, options.data_dir.as_deref(), &options.tables)?;
    timings.record("find the data", start);
    if options.cluster != Cluster::Local {
        parquet_only(&bindings)?;
    }
    let reading = LoadOptions { skip_bad_rows: options.skip_bad_rows, timings: timings.clone() };
    let load = data::load(&ctx, project, &bindings, reading).await?;
    let names: Vec<String> = bindings.iter().map(|b| b.source.clone()).collect();
    let one_area = one_area(project, &bindings, &load);
    let loaded = Loaded { tables: &names, one_area: &one_area, as_of };
    let (book, mut warnings) =
        compile_loaded(&ctx, project, &periods.all, &settings, chosen.as_deref(), &needed, &loaded, timings).await?;
    for f in &load.files {
        for c in &f.absent_columns {
            let of_one_area = c == compile::AREA_COLUMN
                && bindings
                    .iter()
                    .any(|b| one_area.contains(&b.source) && b.files.iter().any(|p| p.display().to_string() == f.path));
            warnings.push(if of_one_area {
                format!("{}: no column `{c}`, so the population is read as one area's, the project's", f.path)
            } else {
                format!(
                    "{}: no column `{c}`; it is declared optional and no measure reads it, so it reads as missing",
                    f.path
                )
            });
        }
    }
    #[cfg(feature = "ballista")]
    if options.cluster != Cluster::Local {
        for plan in std::iter::once(&book.totals).chain(book.breakdowns.iter().map(|b| &b.plan)) {
            for (name, piece) in pieces::inputs(plan) {
                ballista::check_sendable(&name, &piece)?;
            }
        }
    }
    let quality = timings.time("data quality", quality::findings(&ctx, project, &needed, as_of)).await?;
    Ok(Prepared { ctx, book, periods, settings, as_of, chosen, bindings, load, warnings, quality })
}

/// A cluster reads the sources itself: they must be files its executors can read as they are.
fn parquet_only(bindings: &[data::Binding]) -> Result<(), RunError> {
    for b in bindings {
        if let Some(t) = &b.table {
            return Err(RunError::Refused(
                Refusal::new(format!(
                    "{}: a cluster reads sources from Parquet files, and `{}` was given as a table in memory",
                    t.label, b.source
                ))
                .help("write the source as Parquet at a path the executors can read, and give that path"),
            ));
        }
        if let Some(f) = b.files.iter().find(|f| !matches!(data::FileKind::of(f), Some(data::FileKind::Parquet))) {
            return Err(RunError::Refused(Refusal::new(format!(
                "{}: a cluster reads sources from Parquet files, and `{}` is bound to this one",
                f.display(),
                b.source
            )).help("write the source as Parquet (one file, or a directory of files split by authority or year) at a path the executors can read")));
        }
    }
    Ok(())
}

/// Each cohort measure whose reported periods' follow-up has not ended by `as_of`: their
/// figures are left out, and the warning says until when.
pub fn cohorts_not_final(
    project: &Project,
    measures: &[usize],
    periods: &BookPeriods,
    as_of: NaiveDate,
) -> Vec<String> {
    let mut out = Vec::new();
    for &i in measures {
        let m = &project.measures[i];
        let Some(follow_up) = m.follow_up else { continue };
        let open: Vec<&ReportingPeriod> =
            periods.all[..periods.reported].iter().filter(|p| follow_up.final_on(p.range.end) > as_of).collect();
        let Some(last) = open.iter().map(|p| follow_up.final_on(p.range.end)).max() else { continue };
        let labels: Vec<&str> = open.iter().map(|p| p.label.as_str()).collect();
        out.push(format!(
            "measure {}: the follow-up of the cohorts of {} has not ended by {as_of} (the last ends {last}), so their figures are left out until then",
            m.reference,
            labels.join(", ")
        ));
    }
    out
}

/// Population sources whose files all lack the (optional) area code column: files of one area.
fn one_area(project: &Project, bindings: &[data::Binding], load: &LoadReport) -> Vec<String> {
    project
        .populations
        .iter()
        .filter_map(|p| bindings.iter().find(|b| b.source == p.source))
        .filter(|b| {
            let paths: Vec<String> = b.files.iter().map(|f| f.display().to_string()).collect();
            let reports: Vec<_> = load.files.iter().filter(|f| paths.contains(&f.path)).collect();
            !reports.is_empty() && reports.iter().all(|f| f.absent_columns.iter().any(|c| c == compile::AREA_COLUMN))
        })
        .map(|b| b.source.clone())
        .collect()
}

/// The tables a run has bound: their names, and the population sources of one area; and
/// the run's as-of date.
struct Loaded<'a> {
    tables: &'a [String],
    one_area: &'a [String],
    as_of: NaiveDate,
}

/// Checks the loaded data and compiles the book against the session's tables.
#[allow(clippy::too_many_arguments)]
async fn compile_loaded(
    ctx: &SessionContext,
    project: &Project,
    periods: &[ReportingPeriod],
    settings: &Settings,
    chosen: Option<&[usize]>,
    needed: &[usize],
    loaded: &Loaded<'_>,
    timings: &timings::Timings,
) -> Result<(BookPlan, Vec<String>), RunError> {
    let (holidays, area) = (&settings.holidays, settings.area());
    let (tables, one_area) = (loaded.tables, loaded.one_area);
    let mut warnings = timings.time("check populations", check_population(ctx, project, area, one_area)).await?;
    warnings.extend(timings.time("holiday coverage", holiday_coverage(ctx, project, needed, holidays)).await?);
    let start = std::time::Instant::now();
    let mut names = tables.to_vec();
    names.push(CALENDAR_TABLE.to_string());
    let sources = table_sources(ctx, &names).await?;
    let resolver = |name: &str| -> Result<Arc<dyn TableSource>, CompileError> {
        sources
            .get(name)
            .cloned()
            .ok_or_else(|| CompileError::internal(format!("a plan reads a table `{name}` with no data bound")))
    };
    let inputs =
        PlanInputs { project, periods, holidays, area_code: area, as_of: loaded.as_of, one_area, tables: &resolver };
    let book = compile::compile_book(&inputs, chosen)?;
    timings.record("compile", start);
    Ok((book, warnings))
}

/// Runs the chosen measures over tables held in memory (a test's given rows), with the
/// project's settings: each used source is a table; a source given no rows is empty.
pub async fn run_given(
    project: &Project,
    settings: &Settings,
    as_of: NaiveDate,
    chosen: &[usize],
    given: Vec<(String, Vec<RecordBatch>)>,
) -> Result<RunOutput, RunError> {
    let needed = compile::with_dependencies(project, chosen);
    let groups = by_year(project, &needed, settings.year);
    if let [(year, _)] = groups.as_slice() {
        let settings = Settings { year: *year, ..settings.clone() };
        return run_given_in_year(project, &settings, as_of, chosen, given).await;
    }
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    for (year, measures) in &groups {
        let settings = Settings { year: *year, ..settings.clone() };
        let asked: Vec<usize> = chosen.iter().copied().filter(|i| measures.contains(i)).collect();
        let out = Box::pin(run_given_in_year(project, &settings, as_of, &asked, given.clone())).await?;
        rows.extend(out.rows);
        warnings.extend(out.warnings);
    }
    Ok(RunOutput { rows, bindings: Vec::new(), load: LoadReport::default(), warnings, quality: Vec::new(), as_of })
}

/// [`run_given`] of measures that report in `settings.year`.
async fn run_given_in_year(
    project: &Project,
    settings: &Settings,
    as_of: NaiveDate,
    chosen: &[usize],
    given: Vec<(String, Vec<RecordBatch>)>,
) -> Result<RunOutput, RunError> {
    let periods = book_periods(as_of, settings.year);
    let ctx = local_session(&settings.holidays, &settings.memory)?;
    let needed = compile::with_dependencies(project, chosen);
    let used = data::sources_used(project, &needed);
    for name in &used {
        let source = project.source(name).expect("used sources are declared");
        let schema = data::readers::declared_schema(source);
        let batches: Vec<RecordBatch> = given.iter().filter(|(s, _)| s == name).flat_map(|(_, b)| b.clone()).collect();
        ctx.register_table(name.as_str(), Arc::new(MemTable::try_new(schema, vec![batches])?))?;
    }
    let timings = timings::Timings::default();
    let loaded = Loaded { tables: &used, one_area: &[], as_of };
    let (book, mut warnings) =
        compile_loaded(&ctx, project, &periods.all, settings, Some(chosen), &needed, &loaded, &timings).await?;
    let (rows, more) =
        execute(&ctx, project, &book, &periods, &settings.judging, as_of, Some(chosen), &timings).await?;
    warnings.extend(more);
    Ok(RunOutput { rows, bindings: Vec::new(), load: LoadReport::default(), warnings, quality: Vec::new(), as_of })
}

/// The rows behind one measure's figure for one period (by label: `2013-09`, `2013-14 Q2`,
/// `2013-14 YTD`, `2012-13`), with every value the definition read; `files` holds the rules'
/// text, which heads the values computed from the rows. A plan that runs out of the memory
/// `options` allows says so, as a run's does.
pub async fn drill(
    project: &Project,
    config: Option<&Config>,
    options: &RunOptions,
    period_label: &str,
    files: &crate::span::SourceMap,
) -> Result<Vec<RecordBatch>, RunError> {
    let explain = |e| lost_executor(memory::explain(e, &options.memory), &options.cluster);
    drilled(project, config, options, period_label, files).await.map_err(explain)
}

async fn drilled(
    project: &Project,
    config: Option<&Config>,
    options: &RunOptions,
    period_label: &str,
    files: &crate::span::SourceMap,
) -> Result<Vec<RecordBatch>, RunError> {
    let p = prepare(project, config, options).await?;
    let measure = *p
        .chosen
        .as_ref()
        .and_then(|c| c.first())
        .ok_or_else(|| RunError::Internal("a drill with no measure chosen".into()))?;
    let period = p.periods.all[..p.periods.reported].iter().position(|x| x.label == period_label).ok_or_else(|| {
        let labels: Vec<&str> = p.periods.all[..p.periods.reported].iter().map(|x| x.label.as_str()).collect();
        RunError::Refused(Refusal::new(format!(
            "no period `{period_label}` in a book as of {}; the periods are {}",
            p.as_of,
            labels.join(", ")
        )))
    })?;
    let mut names: Vec<String> = p.bindings.iter().map(|b| b.source.clone()).collect();
    names.push(CALENDAR_TABLE.to_string());
    let sources = table_sources(&p.ctx, &names).await?;
    let resolver = |name: &str| -> Result<Arc<dyn TableSource>, CompileError> {
        sources
            .get(name)
            .cloned()
            .ok_or_else(|| CompileError::internal(format!("a plan reads a table `{name}` with no data bound")))
    };
    let inputs = PlanInputs {
        project,
        periods: &p.periods.all,
        holidays: &p.settings.holidays,
        area_code: p.settings.area(),
        as_of: p.as_of,
        one_area: &one_area(project, &p.bindings, &p.load),
        tables: &resolver,
    };
    let written = |span: crate::span::Span| files.text_on_one_line(span);
    let plan = compile::drill_plan(&inputs, measure, period, &written)?;
    let rows = p.ctx.execute_logical_plan(plan).await?;
    let schema = std::sync::Arc::new(rows.schema().as_arrow().clone());
    let mut batches = rows.collect().await?;
    // No rows: the columns still say what would have been shown.
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema));
    }
    Ok(batches)
}

/// Runs the book where `engine` says: DataFusion plans here or on a Ballista cluster (stopped
/// at `options.timeout`), or the warehouse script on a PostgreSQL server (`schema` holding
/// the source tables), which cancels the script at the timeout itself.
pub async fn run_on(
    engine: &Engine,
    project: &Project,
    config: Option<&Config>,
    options: &RunOptions,
    schema: Option<&str>,
) -> Result<RunOutput, RunError> {
    match engine {
        Engine::Plans(cluster) => {
            let on = RunOptions { cluster: cluster.clone(), ..options.clone() };
            let work = run(project, config, &on);
            match options.timeout {
                Some(t) => tokio::time::timeout(t, work).await.unwrap_or(Err(RunError::TimedOut(t))),
                None => work.await,
            }
        }
        Engine::Postgres(url) => warehouse::run_book_on_postgres(project, config, options, url, schema).await,
    }
}

/// The reporting year of `measures`: each measure's own (`reported by`), else `default`;
/// refused when they differ (a run splits such a book by year first: [`by_year`]).
pub fn book_year(project: &Project, measures: &[usize], default: ReportingYear) -> Result<ReportingYear, RunError> {
    let groups = by_year(project, measures, default);
    match groups.as_slice() {
        [] => Ok(default),
        [(year, _)] => Ok(*year),
        _ => {
            let shown: Vec<String> = groups
                .iter()
                .map(|(y, ms)| {
                    let refs: Vec<&str> = ms.iter().map(|&i| project.measures[i].reference.as_str()).collect();
                    format!("{} year: {}", y.name(), refs.join(", "))
                })
                .collect();
            Err(RunError::Refused(
                Refusal::new(format!("these measures are reported by different years ({})", shown.join("; ")))
                    .help("compile or run each year's measures on their own, with --measure"),
            ))
        }
    }
}

/// `measures` grouped by their reporting year (`reported by`, else `default`), in the order
/// each year first appears.
pub fn by_year(project: &Project, measures: &[usize], default: ReportingYear) -> Vec<(ReportingYear, Vec<usize>)> {
    let mut groups: Vec<(ReportingYear, Vec<usize>)> = Vec::new();
    for &i in measures {
        let year = project.measures[i].year.unwrap_or(default);
        match groups.iter_mut().find(|(y, _)| *y == year) {
            Some((_, ms)) => ms.push(i),
            None => groups.push((year, vec![i])),
        }
    }
    groups
}

/// Runs the book (or the chosen measures) as of a date, with DataFusion plans where
/// `options.cluster` says. A book whose measures report by different years is run a year at
/// a time, its rows kept in the measures' order.
pub async fn run(project: &Project, config: Option<&Config>, options: &RunOptions) -> Result<RunOutput, RunError> {
    let default = match options.calendar {
        Some(year) => year,
        None => config.map(Config::reporting_year).transpose()?.unwrap_or_default(),
    };
    let chosen = chosen_measures(project, &options.measures)?;
    let all: Vec<usize> = (0..project.measures.len()).collect();
    let groups = by_year(project, chosen.as_deref().unwrap_or(&all), default);
    if groups.len() < 2 {
        return run_one_year(project, config, options).await;
    }
    let mut merged: Option<RunOutput> = None;
    for (_, measures) in groups {
        let refs = measures.iter().map(|&i| project.measures[i].reference.clone()).collect();
        let out = run_one_year(project, config, &RunOptions { measures: refs, ..options.clone() }).await?;
        merged = Some(match merged {
            None => out,
            Some(mut all) => {
                all.rows.extend(out.rows);
                for w in out.warnings {
                    if !all.warnings.contains(&w) {
                        all.warnings.push(w);
                    }
                }
                all.quality.extend(out.quality);
                all
            }
        });
    }
    let mut out = merged.expect("a book of two years or more ran at least once");
    let position: HashMap<&str, usize> =
        project.measures.iter().enumerate().map(|(i, m)| (m.reference.as_str(), i)).collect();
    out.rows.sort_by_key(|r| position.get(r.reference.as_str()).copied().unwrap_or(usize::MAX));
    out.quality.sort_by_key(|q| position.get(q.measure.as_str()).copied().unwrap_or(usize::MAX));
    Ok(out)
}

/// [`run`] of measures that report in one year.
async fn run_one_year(project: &Project, config: Option<&Config>, options: &RunOptions) -> Result<RunOutput, RunError> {
    let explain = |e| lost_executor(memory::explain(e, &options.memory), &options.cluster);
    let p = prepare(project, config, options).await.map_err(explain)?;
    let (rows, more) = execute(
        &p.ctx,
        project,
        &p.book,
        &p.periods,
        &p.settings.judging,
        p.as_of,
        p.chosen.as_deref(),
        &options.timings,
    )
    .await
    .map_err(explain)?;
    let mut warnings = p.warnings;
    warnings.extend(more);
    Ok(RunOutput { rows, bindings: p.bindings, load: p.load, warnings, quality: p.quality, as_of: p.as_of })
}

/// A cell's figure in row `row` of a plan's output, found by the plan's cells; missing when
/// the plan does not compute it, or computes none.
fn figure(batch: &RecordBatch, row: usize, cells: &Cells, cell: Cell) -> Option<f64> {
    let col = batch.column_by_name(cells.column(cell)?)?;
    let col = col.as_primitive_opt::<Float64Type>()?;
    (!col.is_null(row)).then(|| col.value(row))
}

/// A duration as `--timeout` is written: `30s`, `1.5s`.
pub fn seconds(d: std::time::Duration) -> String {
    format!("{}s", crate::results::plain_number(d.as_secs_f64()))
}

/// A percentage whose numerator exceeds its denominator cannot come from a proportion of
/// rows; should one arrive (a warehouse table, a hand-edited measure), it has no interval and
/// the run says so.
fn impossible_percentage(row: &ResultRow) -> Option<String> {
    match (row.unit, row.numerator, row.denominator) {
        (crate::ir::Unit::Percent, Some(n), Some(d)) if n > d => Some(format!(
            "measure {}: {} of {} in {} is more than all of them, so it has no confidence interval; check the measure's numerator",
            row.reference,
            crate::results::plain_number(n),
            crate::results::plain_number(d),
            row.period_label
        )),
        _ => None,
    }
}

impl RunError {
    /// The DataFusion error a run's failure comes from, whichever stage met it.
    pub fn datafusion(&self) -> Option<&datafusion::error::DataFusionError> {
        match self {
            RunError::Execution(df)
            | RunError::Compile(CompileError::DataFusion(df))
            | RunError::Data(DataError::Engine(df)) => Some(df),
            _ => None,
        }
    }
}

/// A cluster run's failure to reach an executor, said as the loss of that executor.
fn lost_executor(e: RunError, cluster: &Cluster) -> RunError {
    #[cfg(feature = "ballista")]
    if *cluster != Cluster::Local {
        return ballista::explain(e, cluster);
    }
    let _ = cluster;
    e
}

/// Executes a compiled book, lays its cells out as result rows, and computes their intervals,
/// comparisons, funnel labels and judgement by the result plan (`judged`).
#[allow(clippy::too_many_arguments)]
pub async fn execute(
    ctx: &SessionContext,
    project: &Project,
    book: &BookPlan,
    periods: &BookPeriods,
    judging: &Judging,
    as_of: NaiveDate,
    chosen: Option<&[usize]>,
    timings: &timings::Timings,
) -> Result<(Vec<ResultRow>, Vec<String>), RunError> {
    standardised::bands_have_people(ctx, project, book, periods, as_of).await?;
    let totals = pieces::collect(ctx, &book.totals, timings, "").await?;
    let totals = totals
        .into_iter()
        .find(|b| b.num_rows() > 0)
        .ok_or_else(|| RunError::Internal("the book's plan returned no row".into()))?;
    let mut by_breakdown: Vec<(usize, RecordBatch)> = Vec::new();
    for (bi, b) in book.breakdowns.iter().enumerate() {
        let by = format!(" by {}", b.column);
        for batch in pieces::collect(ctx, &b.plan, timings, &by).await? {
            by_breakdown.push((bi, batch));
        }
    }
    let mut rows = Vec::new();
    let mut figures: Vec<judged::Figures> = Vec::new();
    let mut warnings = cohorts_not_final(project, &book.measures, periods, as_of);
    warnings.extend(standardised::references_cover_populations(ctx, project, book, periods, as_of).await?);
    let mut published: HashMap<usize, Vec<PublishedRow>> = HashMap::new();
    let start = std::time::Instant::now();
    for &i in &book.measures {
        if let Some(pb) = &project.measures[i].benchmarks.published {
            published.insert(i, published::published_rows(ctx, project, pb, as_of, &mut warnings).await?);
        }
    }
    if !published.is_empty() {
        timings.record("published benchmarks", start);
    }
    let start = std::time::Instant::now();
    let shown = compile::reported(project, &book.measures, chosen);
    // Standardised rates' periods with fewer than 10 events, said once per measure.
    let mut few_events: std::collections::BTreeMap<usize, Vec<String>> = std::collections::BTreeMap::new();
    for &i in &book.measures {
        if !shown.contains(&i) {
            continue;
        }
        let m = &project.measures[i];
        for (pi, p) in periods.all.iter().enumerate().take(periods.reported) {
            let prev = periods.previous[pi];
            let method = m.benchmarks.sn_method.unwrap_or(judging.benchmarks.sn_average);
            let from_data =
                published.get(&i).map(|rows| benchmarks::for_period(rows, p.range.end, &judging.benchmarks, method));
            let mut base = ResultRow {
                reference: m.reference.clone(),
                title: m.title.clone(),
                theme: m.theme.clone(),
                unit: m.unit,
                period_kind: p.kind,
                period_label: p.label.clone(),
                period_start: p.range.start,
                period_end: p.range.end,
                numerator: figure(&totals, 0, &book.cells, Cell::new(i, pi, Part::Numerator)),
                denominator: figure(&totals, 0, &book.cells, Cell::new(i, pi, Part::Denominator)),
                value: figure(&totals, 0, &book.cells, Cell::new(i, pi, Part::Value)),
                target: None,
                rag: None,
                direction: None,
                judgement: None,
                benchmark_sn: m.benchmarks.sn.or(from_data.as_ref().and_then(|b| b.sn)),
                benchmark_england: m.benchmarks.england.or(from_data.as_ref().and_then(|b| b.england)),
                breakdown: None,
                breakdown_value: None,
                as_of,
                benchmark_la: m.benchmarks.la.or(from_data.as_ref().and_then(|b| b.la)),
                benchmark_sn_neighbours: from_data.as_ref().map(|b| b.neighbours_used as f64),
                ci_low: None,
                ci_high: None,
                compared_england: statistics::Comparison::NotCompared,
                compared_sn: statistics::Comparison::NotCompared,
                funnel: None,
                definition_version: m.version_on(p.range.end),
                confidence: None,
                precision: m.precision,
                suppressed: false,
            };
            let changed = project.redefined_between(m, periods.all[prev].range.end, p.range.end);
            base.target = judgement::target_for(m, p.range);
            let base_figures = judged::Figures {
                scale: figure(&totals, 0, &book.cells, Cell::new(i, pi, Part::Scale)),
                previous: figure(&totals, 0, &book.cells, Cell::new(i, prev, Part::Value)),
                ..judged::Figures::default()
            };
            if m.definition.standardisation().is_some() && crate::compile::window_of(m, p, as_of).is_some() {
                if let Some(n) = base.numerator.filter(|n| *n < statistics::BYAR_FROM) {
                    few_events.entry(i).or_default().push(format!("{} ({})", p.label, crate::results::plain_number(n)));
                }
            }
            if let Definition::Rate { population, .. } = &m.in_force(p.range.end).definition {
                if base.denominator.is_none() && crate::compile::window_of(m, p, as_of).is_some() {
                    warnings.push(format!(
                        "measure {}: no positive population `{population}` for {} or an earlier year, so its rate for {} is missing",
                        m.reference,
                        p.year.start_year(p.range.end),
                        p.label
                    ));
                }
            }
            let mut breakdown_rows: Vec<(ResultRow, judged::Figures)> = Vec::new();
            for (bi, batch) in &by_breakdown {
                let b = &book.breakdowns[*bi];
                if !b.measures.contains(&i) {
                    continue;
                }
                let values = batch.column_by_name("breakdown_value").map(|c| c.as_string::<i32>().clone());
                for r in 0..batch.num_rows() {
                    let value = values.as_ref().and_then(|v| (!v.is_null(r)).then(|| v.value(r).to_string()));
                    let part = |part| figure(batch, r, &b.cells, Cell::new(i, pi, part));
                    let row = ResultRow {
                        numerator: part(Part::Numerator),
                        denominator: part(Part::Denominator),
                        value: part(Part::Value),
                        breakdown: Some(b.column.clone()),
                        breakdown_value: value,
                        ..base.clone()
                    };
                    // A funnel's unit: a row of the funnel's breakdown with a value.
                    let unit = m.funnel_by(&b.column) && row.breakdown_value.is_some();
                    let of_unit = |p| part(p).filter(|_| unit);
                    let figures = judged::Figures {
                        scale: part(Part::Scale),
                        whole_numerator: of_unit(Part::WholeNumerator),
                        whole_denominator: of_unit(Part::WholeDenominator),
                        funnel_expected: of_unit(Part::FunnelExpected),
                        funnel_z: of_unit(Part::FunnelZ),
                        previous: figure(batch, r, &b.cells, Cell::new(i, prev, Part::Value)),
                        ..judged::Figures::default()
                    };
                    breakdown_rows.push((row, figures));
                }
            }
            // By breakdown, then in the breakdown's own order (band labels), then as text; the
            // row without a value first.
            let place = |r: &ResultRow| {
                let order = book.breakdowns.iter().find(|b| Some(&b.column) == r.breakdown.as_ref()).map(|b| &b.order);
                let rank = r.breakdown_value.as_ref().and_then(|v| order.and_then(|o| o.iter().position(|x| x == v)));
                (
                    r.breakdown.clone(),
                    r.breakdown_value.is_some(),
                    rank.unwrap_or(usize::MAX),
                    r.breakdown_value.clone(),
                )
            };
            breakdown_rows.sort_by_key(|(r, _)| place(r));
            warnings.extend(
                std::iter::once(&base).chain(breakdown_rows.iter().map(|(r, _)| r)).filter_map(impossible_percentage),
            );
            for (row, f) in std::iter::once((base, base_figures)).chain(breakdown_rows) {
                figures.push(judged::Figures {
                    measure: i,
                    numerator: row.numerator,
                    denominator: row.denominator,
                    value: row.value,
                    breakdown_value: row.breakdown_value.clone(),
                    target: row.target,
                    benchmark_sn: row.benchmark_sn,
                    benchmark_england: row.benchmark_england,
                    version: row.definition_version,
                    changed,
                    ..f
                });
                rows.push(row);
            }
        }
    }
    for (i, periods) in few_events {
        warnings.push(format!(
            "measure {}: fewer than 10 events in {}, so its standardised rate is not given there (PHE gives none below 10)",
            project.measures[i].reference,
            periods.join(", ")
        ));
    }
    let verdicts = judged::verdicts(&figures, project, judging.confidence, judging.default_rag).await?;
    for ((row, v), f) in rows.iter_mut().zip(verdicts).zip(&figures) {
        let m = &project.measures[f.measure];
        row.confidence = m.interval.level_of_row(v.ci_low, judging.confidence);
        (row.ci_low, row.ci_high, row.compared_england, row.compared_sn, row.funnel) =
            (v.ci_low, v.ci_high, v.compared_england, v.compared_sn, v.funnel);
        (row.rag, row.direction, row.judgement) = (v.rag, v.direction, v.judgement);
    }
    warnings.dedup();
    timings.record("judge and lay out rows", start);
    Ok((rows, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_is_named_by_its_kind_or_url_and_shown_without_a_password() {
        let cases: &[(&str, Engine, &str)] = &[
            ("local", Engine::Plans(Cluster::Local), "local"),
            ("ballista-standalone", Engine::Plans(Cluster::BallistaStandalone), "ballista-standalone"),
            (
                "ballista://sched:50050",
                Engine::Plans(Cluster::Ballista("ballista://sched:50050".into())),
                "ballista://sched:50050",
            ),
            (
                "postgres://ana:pw@db/book",
                Engine::Postgres("postgres://ana:pw@db/book".into()),
                "postgres://ana@db/book",
            ),
            ("postgresql://db/book", Engine::Postgres("postgresql://db/book".into()), "postgresql://db/book"),
        ];
        for (name, engine, shown) in cases {
            assert_eq!(Engine::parse(name).as_ref(), Ok(engine), "{name}");
            assert_eq!(engine.shown(), *shown);
        }
        for wrong in ["duckdb", "mysql://db/book", "Local", ""] {
            assert!(Engine::parse(wrong).unwrap_err().starts_with("expected `local`"), "{wrong}");
        }
    }

    #[test]
    fn a_percentage_of_more_than_all_is_reported() {
        let day = NaiveDate::from_ymd_opt(2013, 9, 30).unwrap();
        let row = |n: f64, d: f64| ResultRow {
            reference: "2.1a".into(),
            title: String::new(),
            theme: None,
            unit: crate::ir::Unit::Percent,
            period_kind: crate::calendar::PeriodKind::Month,
            period_label: "2013-09".into(),
            period_start: day,
            period_end: day,
            numerator: Some(n),
            denominator: Some(d),
            value: Some(100.0 * n / d),
            target: None,
            rag: None,
            direction: None,
            judgement: None,
            benchmark_sn: None,
            benchmark_england: None,
            breakdown: None,
            breakdown_value: None,
            as_of: day,
            benchmark_la: None,
            benchmark_sn_neighbours: None,
            ci_low: None,
            ci_high: None,
            compared_england: statistics::Comparison::NotCompared,
            compared_sn: statistics::Comparison::NotCompared,
            funnel: None,
            definition_version: 1,
            confidence: None,
            precision: 1,
            suppressed: false,
        };
        assert_eq!(
            impossible_percentage(&row(5.0, 4.0)).unwrap(),
            "measure 2.1a: 5 of 4 in 2013-09 is more than all of them, so it has no confidence interval; check the measure's numerator"
        );
        assert_eq!(impossible_percentage(&row(4.0, 4.0)), None);
    }
}
