//! Data-quality findings an analyst acts on before trusting a figure: for each measure, rows
//! of its source missing a value in a column the measure reads, rows that end before they
//! start, dates after the as-of date and dates after today. Counted with one aggregate query
//! per source; a finding names the source, the column and how many rows, never a row's values.
//!
//! A missing span end means "still open" and is never a finding. Of the rest, the suspicious
//! ones are reported by default ([`summary`]): rows with no date to place them in a period,
//! rows ending before they start, dates after today. Dates after the as-of date are ordinary
//! when a book is re-run for an earlier date: said once, in one line. Missing values in the
//! columns a measure's conditions read are usually ordinary (no conference held, a post
//! vacant): they are kept in JSON and shown with `--verbose`.

use super::RunError;
use crate::ir::{Definition, Expr, ExprKind, Measure, Project, Selection, Source};
use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::ExprFunctionExt;
use datafusion::prelude::{ident, lit, SessionContext};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// The column is empty (or holds a missing code) on these rows.
    Missing,
    /// The span's end date is before its start date.
    EndsBeforeStart,
    /// The date is after the run's as-of date: ordinary when a book is run for an earlier
    /// date than the data's, said once in one line.
    AfterAsOf,
    /// The date is after today: a mistake in the data, whatever the as-of date.
    InFuture,
}

/// One finding for one measure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QualityIssue {
    /// The measure's ref.
    pub measure: String,
    pub source: String,
    /// The column (for a span, its end column).
    pub column: String,
    pub finding: Finding,
    pub rows: u64,
    pub of_rows: u64,
    /// Worth an analyst's look on ordinary data (reported by default).
    pub suspicious: bool,
}

impl std::fmt::Display for QualityIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.finding {
            Finding::Missing => format!("have no `{}`", self.column),
            Finding::EndsBeforeStart => format!("end (`{}`) before they start", self.column),
            Finding::AfterAsOf => format!("have `{}` after the as-of date", self.column),
            Finding::InFuture => format!("have `{}` after today", self.column),
        };
        write!(f, "measure {}: {} of {} `{}` rows {what}", self.measure, self.rows, self.of_rows, self.source)
    }
}

/// The findings the run reports by default: the suspicious ones (or all, `verbose`), one line
/// per source, column and finding, naming the measures it touches; and, when the data runs
/// past the as-of date, one line saying so (`verbose` gives a line per source and column).
pub fn summary(issues: &[QualityIssue], verbose: bool) -> Vec<String> {
    // (source, column, finding, rows, of rows) and the measures it touches.
    type Line<'a> = ((&'a str, &'a str, Finding, u64, u64), Vec<&'a str>);
    let mut lines: Vec<Line> = Vec::new();
    let mut past: Vec<String> = Vec::new();
    for q in issues.iter().filter(|q| !verbose && q.finding == Finding::AfterAsOf) {
        let part = format!("{} `{}` (`{}`)", q.rows, q.source, q.column);
        if !past.contains(&part) {
            past.push(part);
        }
    }
    for q in issues.iter().filter(|q| verbose || (q.suspicious && q.finding != Finding::AfterAsOf)) {
        let key = (q.source.as_str(), q.column.as_str(), q.finding, q.rows, q.of_rows);
        match lines.iter_mut().find(|(k, _)| *k == key) {
            Some((_, measures)) => measures.push(&q.measure),
            None => lines.push((key, vec![&q.measure])),
        }
    }
    lines
        .into_iter()
        .map(|((source, column, finding, rows, of_rows), measures)| {
            let what = match finding {
                Finding::Missing => format!("have no `{column}`"),
                Finding::EndsBeforeStart => format!("end (`{column}`) before they start"),
                Finding::AfterAsOf => format!("have `{column}` after the as-of date"),
                Finding::InFuture => format!("have `{column}` after today"),
            };
            let plural = if measures.len() == 1 { "measure" } else { "measures" };
            format!("{rows} of {of_rows} `{source}` rows {what} ({plural} {})", measures.join(", "))
        })
        .chain((!past.is_empty()).then(|| {
            format!("the data runs past the as-of date: rows dated after it are in no period ({})", past.join(", "))
        }))
        .collect()
}

/// Is a finding one of the ordinary missing values that `--verbose` lists?
pub fn is_ordinary(q: &QualityIssue) -> bool {
    !q.suspicious && q.finding == Finding::Missing
}

/// (column, finding) pairs to count over a source.
type Checks = BTreeSet<(String, Finding)>;

/// The column that places a measure's rows in a period (an event date, a snapshot date, a
/// span's start): a row missing it counts in no period.
fn placing_column(m: &Measure) -> Option<&str> {
    m.definition.rows()?.selection.placing_column()
}

/// Is a finding worth reporting on ordinary data? (Dates after the as-of date are said once,
/// in a line of their own.)
fn is_suspicious(m: &Measure, column: &str, finding: Finding) -> bool {
    match finding {
        Finding::Missing => placing_column(m) == Some(column),
        Finding::AfterAsOf => false,
        Finding::EndsBeforeStart | Finding::InFuture => true,
    }
}

/// What one measure reads of its source.
fn checks_for(m: &Measure, source: &Source) -> Checks {
    let mut out = BTreeSet::new();
    let Some(rows) = m.definition.rows() else { return out };
    // A missing span end means the row is still open, wherever the column is read.
    let open_end = source.spans.as_ref().map(|(_, end)| end.as_str());
    let mut read = |name: &str| {
        if let Some(c) = source.column(name) {
            if c.optional && open_end != Some(name) {
                out.insert((name.to_string(), Finding::Missing));
            }
        }
    };
    let mut dates: Vec<String> = Vec::new();
    if let Some(c) = placing_column(m) {
        read(c);
        dates.push(c.to_string());
    }
    let mut exprs: Vec<&Expr> = rows.filters.iter().chain(&rows.exclusions).collect();
    match &m.definition {
        Definition::Proportion { numerator, .. } => exprs.push(numerator),
        Definition::Aggregate { expr, .. } | Definition::Rate { summed: Some(expr), .. } => exprs.push(expr),
        _ => {}
    }
    for e in exprs {
        e.walk(&mut |x| {
            if let ExprKind::Column { scope: None, name } = &x.kind {
                read(name);
            }
        });
    }
    if let Definition::Count { distinct: Some(d), .. }
    | Definition::Proportion { distinct: Some(d), .. }
    | Definition::Rate { distinct: Some(d), .. } = &m.definition
    {
        read(d);
    }
    for b in &m.breakdowns {
        b.expr.walk(&mut |x| {
            if let ExprKind::Column { scope: None, name } = &x.kind {
                read(name);
            }
        });
    }
    for d in dates {
        out.insert((d.clone(), Finding::AfterAsOf));
        out.insert((d, Finding::InFuture));
    }
    if let (Selection::OpenAtEnd { end, .. } | Selection::OpenDuring { end, .. }, Some(_)) =
        (&rows.selection, &source.spans)
    {
        out.insert((end.clone(), Finding::EndsBeforeStart));
    }
    out
}

/// Counts every finding of the chosen measures over the loaded tables.
pub async fn findings(
    ctx: &SessionContext,
    project: &Project,
    measures: &[usize],
    as_of: NaiveDate,
) -> Result<Vec<QualityIssue>, RunError> {
    let mut by_source: BTreeMap<&str, Checks> = BTreeMap::new();
    let mut wanted: Vec<(usize, &Source, Checks)> = Vec::new();
    for &i in measures {
        let m = &project.measures[i];
        // A subset's findings are counted over the rows of the table it is taken from.
        let Some(source) = m.definition.rows().and_then(|r| project.source(project.table_of(&r.source))) else {
            continue;
        };
        let checks = checks_for(m, source);
        by_source.entry(source.name.as_str()).or_default().extend(checks.iter().cloned());
        wanted.push((i, source, checks));
    }
    let today = chrono::Local::now().date_naive();
    let mut counts: BTreeMap<(&str, String, Finding), u64> = BTreeMap::new();
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for (name, checks) in &by_source {
        let Some(source) = project.source(name) else { continue };
        let Ok(df) = ctx.table(*name).await else { continue };
        let mut aggregates = vec![count(lit(1)).alias("rows")];
        let list: Vec<&(String, Finding)> = checks.iter().collect();
        for (k, (column, finding)) in list.iter().enumerate() {
            let c = ident(column.as_str());
            let condition = match finding {
                Finding::Missing => c.is_null(),
                // A date-time is after a day when its date is.
                Finding::AfterAsOf | Finding::InFuture => {
                    let day = if *finding == Finding::AfterAsOf { as_of } else { today };
                    match source.column(column).map(|col| col.ty) {
                        Some(crate::ir::ColumnType::DateTime) => {
                            crate::compile::exprs::date_of(c).gt(crate::compile::exprs::date_lit(day))
                        }
                        _ => c.gt(crate::compile::exprs::date_lit(day)),
                    }
                }
                Finding::EndsBeforeStart => {
                    let Some((start, _)) = &source.spans else { continue };
                    c.lt(ident(start.as_str()))
                }
            };
            aggregates.push(count(lit(1)).filter(condition).build()?.alias(format!("f{k}")));
        }
        let batches = df.aggregate(vec![], aggregates)?.collect().await?;
        let Some(b) = batches.iter().find(|b| b.num_rows() > 0) else { continue };
        let value = |col: &str| {
            b.column_by_name(col).map(|a| a.as_primitive::<Int64Type>()).filter(|a| !a.is_null(0)).map(|a| a.value(0))
        };
        totals.insert(name, value("rows").unwrap_or(0) as u64);
        for (k, (column, finding)) in list.iter().enumerate() {
            if let Some(n) = value(&format!("f{k}")) {
                counts.insert((name, column.clone(), *finding), n as u64);
            }
        }
    }
    let mut out = Vec::new();
    for (i, source, checks) in wanted {
        for (column, finding) in checks {
            let rows = counts.get(&(source.name.as_str(), column.clone(), finding)).copied().unwrap_or(0);
            if rows > 0 {
                let m = &project.measures[i];
                out.push(QualityIssue {
                    measure: m.reference.clone(),
                    source: source.name.clone(),
                    suspicious: is_suspicious(m, &column, finding),
                    column,
                    finding,
                    rows,
                    of_rows: totals.get(source.name.as_str()).copied().unwrap_or(0),
                });
            }
        }
    }
    Ok(out)
}
