//! The book computed in a warehouse: the project compiled against its declared schemas (no
//! data needed) into one self-contained script (`compile::script`), and, for PostgreSQL, that
//! script run on a server with its rows read back as the result table.

use super::{RunError, Settings};
use crate::calendar::{book_periods, BookPeriods, PeriodKind, ReportingYear};
use crate::compile::{self, script, sql::Dialect, BookPlan, CompileError, PlanInputs, CALENDAR_TABLE};
use crate::config::Config;
use crate::ir::{Project, RagColour, Unit};
use crate::judgement::{Direction, Judgement};
use crate::refusal::Refusal;
use crate::results::ResultRow;
use crate::statistics::Comparison;
use chrono::NaiveDate;
use datafusion::logical_expr::{builder::LogicalTableSource, TableSource};
use std::sync::Arc;

/// What to compile: the measures chosen (all when `None`), the dialect and the schema.
pub struct ScriptRequest<'a> {
    pub as_of: NaiveDate,
    pub chosen: Option<&'a [usize]>,
    pub dialect: Dialect,
    pub schema: Option<&'a str>,
    /// The reporting year, when not scorebook.toml's (`--calendar`).
    pub calendar: Option<ReportingYear>,
}

/// The plans of the book as text, as `compile` shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// The logical plans, indented.
    Plan,
    /// SQL from DataFusion's unparser, one statement per plan.
    Sql,
    /// The one self-contained warehouse script.
    Script,
}

/// The book's plans (totals, then each breakdown) as `listing` shows them, each headed by a
/// comment naming it; the script is one piece.
pub fn listing(
    project: &Project,
    config: Option<&Config>,
    listing: Listing,
    request: &ScriptRequest<'_>,
) -> Result<String, RunError> {
    if listing == Listing::Script {
        return script_for(project, config, request);
    }
    let book = declared_book(project, config, request)?;
    let mut plans = vec![("totals".to_string(), &book.totals)];
    plans.extend(book.breakdowns.iter().map(|b| (format!("breakdown by {} of {}", b.column, b.source), &b.plan)));
    let mut out = String::new();
    for (name, plan) in plans {
        let text = match listing {
            Listing::Sql => format!("{};", compile::sql::to_sql_pretty(plan, request.dialect)?),
            _ => plan.display_indent().to_string(),
        };
        out.push_str(&format!("-- {name}, as of {}\n{text}\n\n", request.as_of));
    }
    Ok(out)
}

/// The book of the request's measures as of its date, compiled against the declared schemas.
pub fn declared_book(
    project: &Project,
    config: Option<&Config>,
    request: &ScriptRequest<'_>,
) -> Result<BookPlan, RunError> {
    let mut settings = Settings::resolve(project, config)?.in_year(request.calendar);
    let all: Vec<usize> = (0..project.measures.len()).collect();
    let measures = compile::with_dependencies(project, request.chosen.unwrap_or(&all));
    settings.year = super::book_year(project, &measures, settings.year)?;
    let periods = book_periods(request.as_of, settings.year);
    Ok(compile_declared(project, &settings, &periods, request.as_of, &[request.chosen])?.remove(0))
}

/// Compiles each set of measures (all when `None`) against the declared schemas alone: the
/// plans read the source tables by name and need no data.
pub fn compile_declared(
    project: &Project,
    settings: &Settings,
    periods: &BookPeriods,
    as_of: NaiveDate,
    sets: &[Option<&[usize]>],
) -> Result<Vec<BookPlan>, RunError> {
    let resolver = |name: &str| -> Result<Arc<dyn TableSource>, CompileError> {
        if name == CALENDAR_TABLE {
            return Ok(Arc::new(LogicalTableSource::new(compile::calendar_schema())));
        }
        let source = project.source(name).ok_or_else(|| {
            CompileError::internal(format!("the script reads a table `{name}` that no source declares"))
        })?;
        Ok(Arc::new(LogicalTableSource::new(crate::data::readers::declared_schema(source))))
    };
    let inputs = PlanInputs {
        project,
        periods: &periods.all,
        holidays: &settings.holidays,
        area_code: settings.area(),
        as_of,
        one_area: &[],
        tables: &resolver,
    };
    Ok(sets.iter().map(|set| compile::compile_book(&inputs, *set)).collect::<Result<Vec<_>, _>>()?)
}

/// The script computing the book as of `as_of` from the source tables by name.
pub fn script_for(project: &Project, config: Option<&Config>, request: &ScriptRequest<'_>) -> Result<String, RunError> {
    script_with(project, &Settings::resolve(project, config)?.in_year(request.calendar), request)
}

/// [`script_for`] with the project's settings resolved.
fn script_with(project: &Project, settings: &Settings, request: &ScriptRequest<'_>) -> Result<String, RunError> {
    let all: Vec<usize> = (0..project.measures.len()).collect();
    let measures = compile::with_dependencies(project, request.chosen.unwrap_or(&all));
    let settings = &Settings { year: super::book_year(project, &measures, settings.year)?, ..settings.clone() };
    let periods = book_periods(request.as_of, settings.year);
    let parts = script::parts(project, &measures, periods.all.len());
    let sets: Vec<Option<&[usize]>> = parts.iter().map(|p| Some(p.as_slice())).collect();
    let books = compile_declared(project, settings, &periods, request.as_of, &sets)?;
    let x = script::ScriptInputs {
        project,
        books: &books,
        periods: &periods,
        holidays: &settings.holidays,
        default_rag: settings.judging.default_rag,
        confidence: settings.judging.confidence,
        as_of: request.as_of,
        chosen: request.chosen,
        dialect: request.dialect,
        schema: request.schema,
    };
    Ok(script::book_script(&x)?)
}

/// The book computed by a PostgreSQL server from its own tables (in `schema`, else the
/// search path), laid out as a local run's; the server cancels it at `options.timeout`.
pub async fn run_book_on_postgres(
    project: &Project,
    config: Option<&Config>,
    options: &super::RunOptions,
    url: &str,
    schema: Option<&str>,
) -> Result<super::RunOutput, RunError> {
    if options.years.is_some() || options.data_dir.is_some() || !options.tables.is_empty() {
        return Err(RunError::Refused(
            Refusal::new("a run on PostgreSQL reads the sources from the server's tables")
                .help("drop --data and --years (in Python: data, tables and years)"),
        ));
    }
    let as_of = super::required_as_of(options.as_of, config)?;
    let chosen = super::chosen_measures(project, &options.measures)?;
    let request = ScriptRequest {
        as_of,
        chosen: chosen.as_deref(),
        dialect: Dialect::Postgres,
        schema,
        calendar: options.calendar,
    };
    let settings = Settings::resolve(project, config)?.in_year(options.calendar);
    let script = script_with(project, &settings, &request)?;
    let rows = run_on_postgres(project, url, &script, settings.judging.confidence, options.timeout).await?;
    let all: Vec<usize> = (0..project.measures.len()).collect();
    let measures = compile::with_dependencies(project, chosen.as_deref().unwrap_or(&all));
    let periods = book_periods(as_of, super::book_year(project, &measures, settings.year)?);
    let mut warnings = super::cohorts_not_final(project, &measures, &periods, as_of);
    warnings.extend(project.measures.iter().filter(|m| m.benchmarks.published.is_some()).map(|m| {
        format!("measure {}: benchmarks from published data are computed by local runs only; left empty", m.reference)
    }));
    Ok(super::RunOutput { rows, bindings: Vec::new(), load: Default::default(), warnings, quality: Vec::new(), as_of })
}

/// How many times a connection is attempted before a run on PostgreSQL gives up.
pub const CONNECT_ATTEMPTS: u32 = 3;
/// The wait before the second attempt; it doubles before each further one.
pub const FIRST_RETRY: std::time::Duration = std::time::Duration::from_millis(500);

/// Connects, retrying failures that may pass (a refused or reset connection, a timeout) with
/// a doubling wait; a server's refusal (a wrong password, no such database) is not retried.
async fn connect(url: ShownUrl<'_>) -> Result<tokio_postgres::Client, RunError> {
    let mut wait = FIRST_RETRY;
    let mut attempt = 1;
    loop {
        match tokio_postgres::connect(url.0, tokio_postgres::NoTls).await {
            Ok((client, connection)) => {
                tokio::spawn(connection);
                return Ok(client);
            }
            Err(e) if e.as_db_error().is_none() && attempt < CONNECT_ATTEMPTS => {
                tokio::time::sleep(wait).await;
                wait *= 2;
                attempt += 1;
            }
            Err(e) => {
                let tries = if attempt > 1 { format!(" (tried {attempt} times)") } else { String::new() };
                return Err(RunError::Refused(Refusal::new(format!(
                    "cannot connect to {}{tries}: {}",
                    url,
                    describe(&e)
                )).help("check that the server is running and reachable, and the user, password and database in the URL; nothing was written")));
            }
        }
    }
}

/// What to say when the script failed on the server, by what happened.
fn script_failed(url: ShownUrl<'_>, e: &tokio_postgres::Error, timeout: Option<std::time::Duration>) -> RunError {
    let code = e.as_db_error().map(|db| db.code().code().to_string());
    let said = |message: String, help: &str| RunError::Refused(Refusal::new(message).help(help));
    match (code.as_deref(), timeout) {
        (Some("57014"), Some(t)) => said(
            format!(
                "the script ran longer than --timeout {} on {url} and the server cancelled it (statement_timeout); nothing was written",
                super::seconds(t)
            ),
            "raise --timeout, or run when the server is less busy",
        ),
        (Some("57P01" | "57P02" | "57P03"), _) => said(
            format!("the server {url} shut down while the script ran: {}; nothing was written", describe(e)),
            "run again when the server is back",
        ),
        (Some(_), _) => RunError::Refused(Refusal::new(format!("the script failed on {url}: {}", describe(e)))),
        (None, _) => said(
            format!("the connection to {url} was lost while the script ran: {}; nothing was written", describe(e)),
            "the server stopped or the network dropped the connection; run again when the server is back",
        ),
    }
}

/// Runs a PostgreSQL script on the server at `url` (`postgres://USER@HOST/DB`) and reads its
/// result table back. With a `timeout`, the server cancels the script after it
/// (`statement_timeout`), and the run stops waiting shortly after in case the server cannot.
pub async fn run_on_postgres(
    project: &Project,
    url: &str,
    script: &str,
    confidence: f64,
    timeout: Option<std::time::Duration>,
) -> Result<Vec<ResultRow>, RunError> {
    let shown = ShownUrl(url);
    let client = connect(shown).await?;
    // The simple protocol runs the whole script in one round trip and returns text cells.
    let script = match timeout {
        Some(t) => format!("SET statement_timeout = {};\n{script}", t.as_millis().max(1)),
        None => script.to_string(),
    };
    let query = client.simple_query(&script);
    let messages = match timeout {
        Some(t) => tokio::time::timeout(t + std::time::Duration::from_secs(5), query)
            .await
            .map_err(|_| RunError::TimedOut(t))?,
        None => query.await,
    }
    .map_err(|e| script_failed(shown, &e, timeout))?;
    let mut rows = Vec::new();
    for m in messages {
        if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
            rows.push(result_row(project, &r, confidence)?);
        }
    }
    Ok(rows)
}

/// A server's URL as messages show it: without its password.
#[derive(Clone, Copy)]
struct ShownUrl<'a>(&'a str);

impl std::fmt::Display for ShownUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&without_password(self.0))
    }
}

fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

/// The URL as it may be shown: without a password.
pub fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let user = user.split(':').next().unwrap_or_default();
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

fn unreadable(column: &str, value: &str) -> RunError {
    RunError::Refused(
        Refusal::new(format!("the server returned `{value}` for `{column}`, which the result table cannot hold"))
            .help("the script gives only names the table knows: check that the server ran `scorebook compile --emit script --dialect postgres`'s script unchanged"),
    )
}

/// A cell holding one of the names the result table knows (`rag`: red, amber, green), or
/// missing.
fn named<T>(column: &str, cell: Option<String>, parse: fn(&str) -> Option<T>) -> Result<Option<T>, RunError> {
    cell.map(|v| parse(&v).ok_or_else(|| unreadable(column, &v))).transpose()
}

/// One row of the server's result table; `confidence` is the project's level, for the rows whose
/// measure does not set its own.
fn result_row(project: &Project, r: &tokio_postgres::SimpleQueryRow, confidence: f64) -> Result<ResultRow, RunError> {
    let bad = unreadable;
    let text = |c: &str| -> Result<Option<String>, RunError> {
        r.try_get(c)
            .map(|v| v.map(str::to_string))
            .map_err(|e| RunError::Refused(Refusal::new(format!("column `{c}` of the script's result: {e}"))))
    };
    let number = |c: &str| -> Result<Option<f64>, RunError> {
        text(c)?.map(|v| v.parse::<f64>().map_err(|_| bad(c, &v))).transpose()
    };
    let date = |c: &str| -> Result<NaiveDate, RunError> {
        let v = text(c)?.unwrap_or_default();
        v.parse().map_err(|_| bad(c, &v))
    };
    let reference = text("ref")?.unwrap_or_default();
    let kind = text("period_kind")?.unwrap_or_default();
    let period_kind = match kind.as_str() {
        "year" => PeriodKind::Year,
        "month" => PeriodKind::Month,
        "quarter" => PeriodKind::Quarter,
        "ytd" => PeriodKind::Ytd,
        other => return Err(bad("period_kind", other)),
    };
    let measure = project.measures.iter().find(|m| m.reference == reference);
    let precision = measure.map_or(1, |m| m.precision);
    let ci_low = number("ci_low")?;
    Ok(ResultRow {
        title: text("title")?.unwrap_or_default(),
        theme: text("theme")?,
        unit: named("unit", text("unit")?, Unit::parse)?.ok_or_else(|| bad("unit", ""))?,
        period_kind,
        period_label: text("period_label")?.unwrap_or_default(),
        period_start: date("period_start")?,
        period_end: date("period_end")?,
        numerator: number("numerator")?,
        denominator: number("denominator")?,
        value: number("value")?,
        target: number("target")?,
        rag: named("rag", text("rag")?, RagColour::parse)?,
        direction: named("direction", text("direction")?, Direction::parse)?,
        judgement: named("judgement", text("judgement")?, Judgement::parse)?,
        benchmark_sn: number("benchmark_sn")?,
        benchmark_england: number("benchmark_england")?,
        breakdown: text("breakdown")?,
        breakdown_value: text("breakdown_value")?,
        as_of: date("as_of")?,
        benchmark_la: number("benchmark_la")?,
        benchmark_sn_neighbours: number("benchmark_sn_neighbours")?,
        confidence: measure.and_then(|m| m.interval.level_of_row(ci_low, confidence)),
        ci_low,
        ci_high: number("ci_high")?,
        compared_england: named("compared_england", text("compared_england")?, Comparison::parse)?
            .unwrap_or(Comparison::NotCompared),
        compared_sn: named("compared_sn", text("compared_sn")?, Comparison::parse)?.unwrap_or(Comparison::NotCompared),
        funnel: named("funnel", text("funnel")?, crate::funnel::Significance::parse)?,
        definition_version: {
            let v = text("definition_version")?.unwrap_or_default();
            v.parse().map_err(|_| bad("definition_version", &v))?
        },
        precision,
        suppressed: false,
        reference,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_the_table_does_not_know_is_refused_naming_the_column() {
        assert_eq!(named("rag", Some("amber".into()), RagColour::parse).unwrap(), Some(RagColour::Amber));
        assert_eq!(named("rag", None, RagColour::parse).unwrap(), None);
        let refused = named("rag", Some("purple".into()), RagColour::parse).unwrap_err();
        let Some(r) = refused.refusal() else { panic!("{refused}") };
        assert_eq!(r.message, "the server returned `purple` for `rag`, which the result table cannot hold");
        assert!(r
            .help
            .is_some_and(|h| h.contains("ran `scorebook compile --emit script --dialect postgres`'s script")));
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(without_password("postgres://ana:secret@db.example/book"), "postgres://ana@db.example/book");
        assert_eq!(without_password("postgres://ana@localhost/book"), "postgres://ana@localhost/book");
        assert_eq!(without_password("postgres://localhost/book"), "postgres://localhost/book");
    }
}
