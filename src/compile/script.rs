//! A self-contained SQL script for a warehouse: it builds the working-day calendar, computes
//! every cell of the book from the source tables by name, and returns the long result table of
//! `run` (targets, RAG, direction and judgement included), so the book can be
//! computed next to the data. Benchmarks are the figures written in the rules; benchmarks from
//! published data need the published files and come from `scorebook run`.

use super::cells::{self, Cell, Part};
use super::exprs::{date_lit, null_f64, null_text};
use super::sql::{self, Dialect};
use super::{computed, intervals, judge, BookPlan, CompileError, CALENDAR_TABLE};
use crate::calendar::working_days::{HolidayList, FIRST_DAY, LAST_DAY};
use crate::calendar::{BookPeriods, DateRange, ReportingPeriod};
use crate::ir::{self, Measure};
use crate::judgement::{self, DefaultRag};
use crate::refusal::Refusal;
use chrono::NaiveDate;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::logical_expr::builder::LogicalTableSource;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder};
use datafusion::prelude::{cast, col, lit};
use std::sync::Arc;

/// The CTE holding a part's totals row, and each of its breakdowns' rows.
fn totals_name(part: usize) -> String {
    if part == 0 {
        "scorebook_totals".into()
    } else {
        format!("scorebook_totals_{part}")
    }
}
fn breakdown_name(part: usize, k: usize) -> String {
    format!("scorebook_breakdown_{part}_{k}")
}

/// Columns one SELECT may have: PostgreSQL allows 1,664.
const MAX_COLUMNS: usize = 1500;

/// The measures (in order, dependencies included) split into parts whose totals row stays
/// within `MAX_COLUMNS`: three cells (numerator, denominator, value) per measure and period.
pub fn parts(project: &ir::Project, measures: &[usize], periods: usize) -> Vec<Vec<usize>> {
    let per_part = (MAX_COLUMNS / (3 * periods.max(1))).max(1);
    let graph = crate::measure_graph::MeasureGraph::of(&project.measures);
    let mut out: Vec<Vec<usize>> = Vec::new();
    for &i in measures {
        let fits = out.last().is_some_and(|last| {
            let mut with = last.clone();
            with.push(i);
            graph.with_dependencies(&with).len() <= per_part
        });
        match out.last_mut() {
            Some(last) if fits => last.push(i),
            _ => out.push(vec![i]),
        }
    }
    out
}

/// What the script needs besides the compiled book.
pub struct ScriptInputs<'a> {
    pub project: &'a ir::Project,
    /// The book compiled in parts (see `parts`), each a plan of its own.
    pub books: &'a [BookPlan],
    pub periods: &'a BookPeriods,
    pub holidays: &'a HolidayList,
    pub default_rag: DefaultRag,
    /// The project's confidence level, for measures without their own.
    pub confidence: f64,
    pub as_of: NaiveDate,
    /// The measures to report (indices into the project); all the book's when `None`.
    pub chosen: Option<&'a [usize]>,
    pub dialect: Dialect,
    /// Where the source tables live (`--schema`).
    pub schema: Option<&'a str>,
}

/// The whole script: the calendar, then one query returning the result table.
pub fn book_script(x: &ScriptInputs<'_>) -> Result<String, CompileError> {
    let sources: Vec<String> =
        x.project.sources.iter().filter(|s| s.subset.is_none()).map(|s| s.name.clone()).collect();
    let in_schema = x.schema.map(|schema| sql::InSchema { schema, tables: &sources });
    let mut ctes = Vec::new();
    for (part, book) in x.books.iter().enumerate() {
        ctes.push((totals_name(part), sql::to_sql_in(&book.totals, x.dialect, in_schema.as_ref())?));
        for (k, b) in book.breakdowns.iter().enumerate() {
            ctes.push((breakdown_name(part, k), sql::to_sql_in(&b.plan, x.dialect, in_schema.as_ref())?));
        }
    }
    let result = sql::to_sql(&long_plan(x)?, x.dialect)?;
    let mut out = String::new();
    out.push_str(&format!(
        "-- scorebook {}: the performance book as of {}, for {:?}.\n-- Reads the tables {}{}.\n\n",
        env!("CARGO_PKG_VERSION"),
        x.as_of,
        x.dialect,
        sources.join(", "),
        x.schema.map(|s| format!(" in schema {s}")).unwrap_or_default(),
    ));
    out.push_str("-- The working-day calendar: each day and the working days up to and including it.\n");
    out.push_str(&calendar_statement(x.holidays, x.dialect)?);
    out.push_str(";\n");
    // Without an index and statistics, engines such as PostgreSQL plan the calendar joins as
    // nested loops over all 55,000 days: seconds per measure instead of milliseconds.
    if matches!(x.dialect, Dialect::Postgres | Dialect::Duckdb | Dialect::Sqlite) {
        out.push_str(&format!("CREATE UNIQUE INDEX {CALENDAR_TABLE}_date ON {CALENDAR_TABLE} (date);\n"));
        out.push_str(&format!("ANALYZE {CALENDAR_TABLE};\n"));
    }
    out.push_str("\n-- The book.\n");
    out.push_str(RESULT_MARKER);
    out.push_str("\nWITH ");
    let ctes: Vec<String> = ctes.into_iter().map(|(name, body)| format!("{name} AS (\n{body}\n)")).collect();
    out.push_str(&ctes.join(",\n"));
    out.push('\n');
    out.push_str(&result);
    out.push_str(";\n");
    Ok(out)
}

/// The line before the query that returns the result table (tools split the script there).
pub const RESULT_MARKER: &str = "-- scorebook: result";

/// Creates the calendar table the plans join: `date` and `idx`, the working days from the
/// calendar's first day up to and including `date`.
fn calendar_statement(holidays: &HolidayList, dialect: Dialect) -> Result<String, CompileError> {
    let first = format!("{:04}-{:02}-{:02}", FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2);
    let last = format!("{:04}-{:02}-{:02}", LAST_DAY.0, LAST_DAY.1, LAST_DAY.2);
    // The holidays as a list of text (SQLite's dates) and of DATE literals (the others); an
    // empty list is not SQL, so no holidays is a day no calendar holds.
    let list = |prefix: &str| {
        let days: Vec<String> = holidays.days.iter().map(|d| format!("{prefix}'{d}'")).collect();
        if days.is_empty() {
            format!("{prefix}'0001-01-01'")
        } else {
            days.join(", ")
        }
    };
    let (holiday_list, h) = (list(""), list("DATE "));
    let t = CALENDAR_TABLE;
    Ok(match dialect {
        Dialect::Postgres => format!(
            "CREATE TEMPORARY TABLE {t} AS\nSELECT CAST(d AS DATE) AS date,\n  SUM(CASE WHEN EXTRACT(ISODOW FROM d) < 6 AND CAST(d AS DATE) NOT IN ({h}) THEN 1 ELSE 0 END) OVER (ORDER BY d) AS idx\nFROM generate_series(DATE '{first}', DATE '{last}', INTERVAL '1 day') AS g(d)"
        ),
        Dialect::Datafusion => {
            return Err(Refusal::new("a warehouse script is not written in DataFusion's dialect: `scorebook run` runs the plans in DataFusion directly")
                .help("for a script choose --dialect postgres, duckdb, sqlite, mysql, bigquery or snowflake")
                .into())
        }
        Dialect::Duckdb => format!(
            "CREATE TEMPORARY TABLE {t} AS\nSELECT CAST(d AS DATE) AS date,\n  SUM(CASE WHEN isodow(d) < 6 AND CAST(d AS DATE) NOT IN ({h}) THEN 1 ELSE 0 END) OVER (ORDER BY d) AS idx\nFROM generate_series(DATE '{first}', DATE '{last}', INTERVAL 1 DAY) AS g(d)"
        ),
        Dialect::Sqlite => format!(
            "CREATE TEMPORARY TABLE {t} AS\nWITH RECURSIVE days(d) AS (SELECT '{first}' UNION ALL SELECT date(d, '+1 day') FROM days WHERE d < '{last}')\nSELECT d AS date,\n  SUM(CASE WHEN strftime('%w', d) NOT IN ('0', '6') AND d NOT IN ({holiday_list}) THEN 1 ELSE 0 END) OVER (ORDER BY d) AS idx\nFROM days"
        ),
        Dialect::Bigquery => format!(
            "CREATE TEMP TABLE {t} AS\nSELECT d AS date,\n  SUM(CASE WHEN EXTRACT(DAYOFWEEK FROM d) NOT IN (1, 7) AND d NOT IN ({h}) THEN 1 ELSE 0 END) OVER (ORDER BY d) AS idx\nFROM UNNEST(GENERATE_DATE_ARRAY(DATE '{first}', DATE '{last}')) AS d"
        ),
        Dialect::Snowflake => format!(
            "CREATE TEMPORARY TABLE {t} AS\nWITH days AS (SELECT DATEADD(day, SEQ4(), DATE '{first}') AS d FROM TABLE(GENERATOR(ROWCOUNT => 60000)))\nSELECT d AS date,\n  SUM(CASE WHEN DAYOFWEEKISO(d) < 6 AND d NOT IN ({h}) THEN 1 ELSE 0 END) OVER (ORDER BY d) AS idx\nFROM days WHERE d <= DATE '{last}'"
        ),
        // MySQL cannot open a temporary table twice in one query, and the plans join the
        // calendar once per date they count working days from: a plain table, replaced.
        Dialect::Mysql => format!(
            "DROP TABLE IF EXISTS {t};\nSET SESSION cte_max_recursion_depth = 60000;\nCREATE TABLE {t} AS\nWITH RECURSIVE days(d) AS (SELECT DATE '{first}' UNION ALL SELECT d + INTERVAL 1 DAY FROM days WHERE d < DATE '{last}')\nSELECT d AS date,\n  SUM(CASE WHEN WEEKDAY(d) < 5 AND d NOT IN ({h}) THEN 1 ELSE 0 END) OVER (ORDER BY d) AS idx\nFROM days"
        ),
    })
}

/// The result table as a plan over the CTEs: one SELECT per measure and period (and per
/// breakdown), unioned, in the book's order.
fn long_plan(x: &ScriptInputs<'_>) -> Result<datafusion::logical_expr::LogicalPlan, CompileError> {
    let mut measures: Vec<(usize, usize)> = Vec::new(); // (measure, part computing it)
    for (part, book) in x.books.iter().enumerate() {
        for i in super::reported(x.project, &book.measures, x.chosen) {
            if !measures.iter().any(|(j, _)| *j == i) {
                measures.push((i, part));
            }
        }
    }
    measures.sort_by_key(|(i, _)| *i);
    // One union per measure, each a derived table: SQLite allows 500 terms in one compound
    // SELECT, and a book has more rows than that.
    let mut per_measure: Vec<LogicalPlanBuilder> = Vec::new();
    for &(i, part) in &measures {
        let m = &x.project.measures[i];
        let book = &x.books[part];
        let totals = totals_name(part);
        let totals_schema: Arc<Schema> = Arc::new(book.totals.schema().as_arrow().clone());
        let mut branches: Vec<LogicalPlanBuilder> = Vec::new();
        for pi in 0..x.periods.reported {
            let prev = x.periods.previous[pi];
            let version = m.version_on(x.periods.all[pi].range.end);
            let changed = x.project.redefined_between(m, x.periods.all[prev].range.end, x.periods.all[pi].range.end);
            let at = Row { i, pi, prev, version, changed };
            let total = RowSource { table: &totals, cells: &book.cells, breakdown: None };
            branches.push(scan(&totals, totals_schema.clone())?.project(row_exprs(m, &at, &total)?)?);
            for (k, b) in book.breakdowns.iter().enumerate() {
                if !b.measures.contains(&i) {
                    continue;
                }
                let name = breakdown_name(part, k);
                let schema = Arc::new(b.plan.schema().as_arrow().clone());
                let rows = RowSource { table: &name, cells: &b.cells, breakdown: Some(&b.column) };
                branches.push(scan(&name, schema)?.project(row_exprs(m, &at, &rows)?)?);
            }
        }
        per_measure.push(super::union_all(branches)?);
    }
    if per_measure.len() > 1 {
        per_measure = per_measure
            .into_iter()
            .enumerate()
            .map(|(k, m)| m.alias(format!("measure_{k}")))
            .collect::<Result<_, _>>()?;
    }
    // Measures in project order, so their indices order them.
    let sort = [judge::MEASURE, ORD_PERIOD, "breakdown", "breakdown_value"]
        .iter()
        .map(|c| col(*c).sort(true, true))
        .collect::<Vec<_>>();
    let indices: Vec<usize> = measures.iter().map(|&(i, _)| i).collect();
    let sorted = super::union_all(per_measure)?.project(constants(x, &indices)?)?.sort(sort)?;
    // Intervals, comparisons and funnel labels first: a RAG rule may read the funnel label.
    let carried: Vec<&str> = crate::results::COLUMNS
        .iter()
        .copied()
        .filter(|c| !judge::JUDGED.contains(c))
        .chain(judge::HIDDEN.iter().copied())
        .collect();
    let computing = computed::Computing {
        project: x.project,
        measures: &indices,
        confidence: x.confidence,
        default_rag: x.default_rag,
    };
    Ok(computed::finish(sorted, &computing, &carried, crate::results::COLUMNS)?.build()?)
}

fn scan(name: &str, schema: Arc<Schema>) -> Result<LogicalPlanBuilder, CompileError> {
    Ok(LogicalPlanBuilder::scan(name, Arc::new(LogicalTableSource::new(schema)), None)?)
}

/// Where a row's cells come from: the totals, or a breakdown's rows.
struct RowSource<'a> {
    table: &'a str,
    cells: &'a cells::Cells,
    breakdown: Option<&'a str>,
}

fn text(s: &str) -> Expr {
    lit(s.to_string())
}

fn number(v: Option<f64>) -> Expr {
    v.map_or_else(null_f64, lit)
}

/// The period's index in the book, on each row: the period's dates and labels are written once,
/// in a CASE on it ([`constants`]), and it orders the rows.
const ORD_PERIOD: &str = "ord_period";

/// Which row of the result: measure `i` for period `pi` (whose previous period is `prev`),
/// computed with version `version` of its definition, `changed` when the previous period's
/// value was computed differently.
struct Row {
    i: usize,
    pi: usize,
    prev: usize,
    version: u32,
    changed: bool,
}

/// One row of the result: measure `i`'s cells for period `pi` from `rows`, its breakdown, and
/// the hidden columns that say which measure and period it is (the rest is [`constants`]).
fn row_exprs(m: &Measure, at: &Row, rows: &RowSource<'_>) -> Result<Vec<Expr>, CompileError> {
    let &Row { i, pi, prev, version, changed } = at;
    let cell = |period: usize, part: Part| -> Result<Expr, CompileError> {
        let name = rows.cells.column(Cell::new(i, period, part)).ok_or_else(|| {
            CompileError::internal(format!("`{}` has no {part:?} for period {period} in {}", m.reference, rows.table))
        })?;
        Ok(cast(col(format!("{}.{name}", rows.table)), DataType::Float64))
    };
    // Only a standardised figure has a scale, and only a funnel's unit its whole or expected events.
    let optional = |part: Part| match rows.cells.column(Cell::new(i, pi, part)) {
        Some(name) => cast(col(format!("{}.{name}", rows.table)), DataType::Float64),
        None => null_f64(),
    };
    let (breakdown, breakdown_value) = match rows.breakdown {
        Some(c) => (text(c), cast(col(format!("{}.breakdown_value", rows.table)), DataType::Utf8)),
        None => (null_text(), null_text()),
    };
    let mut columns = vec![
        cell(pi, Part::Numerator)?.alias("numerator"),
        cell(pi, Part::Denominator)?.alias("denominator"),
        cell(pi, Part::Value)?.alias("value"),
        optional(Part::Scale).alias(intervals::SCALE),
        optional(Part::WholeNumerator).alias(intervals::WHOLE_NUM),
        optional(Part::WholeDenominator).alias(intervals::WHOLE_DEN),
        optional(Part::FunnelExpected).alias(intervals::FUNNEL_EXPECTED),
        optional(Part::FunnelZ).alias(intervals::FUNNEL_Z),
        breakdown.alias("breakdown"),
        breakdown_value.alias("breakdown_value"),
        lit(pi as i64).alias(ORD_PERIOD),
    ];
    columns.extend(judge::row_columns(i, cell(prev, Part::Value)?, version, changed));
    Ok(columns)
}

/// The rest of each row's columns, the same for every row of a measure or of a period: one
/// CASE on the row's measure for its ref, title, theme, unit, benchmarks and interval, and one
/// on its period for the period's kind, label and dates, and its target.
fn constants(x: &ScriptInputs<'_>, measures: &[usize]) -> Result<Vec<Expr>, CompileError> {
    let mut out: Vec<Expr> = [
        "numerator",
        "denominator",
        "value",
        intervals::SCALE,
        intervals::WHOLE_NUM,
        intervals::WHOLE_DEN,
        intervals::FUNNEL_EXPECTED,
        intervals::FUNNEL_Z,
        "breakdown",
        "breakdown_value",
        ORD_PERIOD,
    ]
    .iter()
    .chain(judge::HIDDEN)
    .chain(&[judge::VERSION])
    .map(|c| col(*c))
    .collect();
    let of_measure = |of: &dyn Fn(&Measure) -> Option<Expr>, otherwise: Expr, name: &str| {
        judge::by_measure(x.project, measures, |m| of(m).map(Ok), otherwise).map(|e| e.alias(name))
    };
    out.push(of_measure(&|m| Some(text(&m.reference)), null_text(), "ref")?);
    out.push(of_measure(&|m| Some(text(&m.title)), null_text(), "title")?);
    out.push(of_measure(&|m| m.theme.as_deref().map(text), null_text(), "theme")?);
    out.push(of_measure(&|m| Some(text(&m.unit.name())), null_text(), "unit")?);
    out.push(of_measure(&|m| m.benchmarks.sn.map(lit), null_f64(), "benchmark_sn")?);
    out.push(of_measure(&|m| m.benchmarks.england.map(lit), null_f64(), "benchmark_england")?);
    out.push(of_measure(&|m| m.benchmarks.la.map(lit), null_f64(), "benchmark_la")?);
    out.push(null_f64().alias("benchmark_sn_neighbours"));
    out.push(date_lit(x.as_of).alias("as_of"));
    let of_period = |of: &dyn Fn(&ReportingPeriod) -> Expr, otherwise: Expr, name: &str| {
        by_period(x.periods.all[..x.periods.reported].iter().map(of), otherwise).map(|e| e.alias(name))
    };
    out.push(of_period(&|p| text(p.kind.name()), null_text(), "period_kind")?);
    out.push(of_period(&|p| text(&p.label), null_text(), "period_label")?);
    out.push(of_period(&|p| date_lit(p.range.start), super::exprs::null_of(ir::Type::Date), "period_start")?);
    out.push(of_period(&|p| date_lit(p.range.end), super::exprs::null_of(ir::Type::Date), "period_end")?);
    out.push(target(x, measures)?.alias("target"));
    out.extend(computed::interval_columns(x.project, measures, x.confidence)?);
    Ok(out)
}

/// A figure that differs by period: a CASE on the row's period, the reported periods' figures
/// in order.
fn by_period(figures: impl Iterator<Item = Expr>, otherwise: Expr) -> Result<Expr, CompileError> {
    let branches = figures.enumerate().map(|(pi, e)| (col(ORD_PERIOD).eq(lit(pi as i64)), e)).collect();
    super::exprs::first_of(branches, otherwise)
}

/// Each row's target: by measure, and within a measure by period where a target `per year` is
/// pro-rated over the period's months.
fn target(x: &ScriptInputs<'_>, measures: &[usize]) -> Result<Expr, CompileError> {
    let reported = &x.periods.all[..x.periods.reported];
    judge::by_measure(
        x.project,
        measures,
        |m| {
            let for_period =
                |p: &ReportingPeriod| judgement::target_for(m, DateRange { start: p.range.start, end: p.range.end });
            let targets: Vec<Option<f64>> = reported.iter().map(for_period).collect();
            if targets.iter().all(Option::is_none) {
                return None;
            }
            if targets.windows(2).all(|w| w[0] == w[1]) {
                return Some(Ok(number(targets[0])));
            }
            Some(by_period(targets.into_iter().map(number), null_f64()))
        },
        null_f64(),
    )
}
