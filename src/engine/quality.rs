//! Data-quality findings an analyst acts on before trusting a figure: for each measure, rows
//! of its source missing a value in a column the measure reads, rows that end before they
//! start, and dates after the as-of date. Counted with one aggregate query per source; a
//! finding names the source, the column and how many rows, never a row's values.

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
    /// The date is after the run's as-of date.
    AfterAsOf,
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
}

impl std::fmt::Display for QualityIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.finding {
            Finding::Missing => format!("have no `{}`", self.column),
            Finding::EndsBeforeStart => format!("end (`{}`) before they start", self.column),
            Finding::AfterAsOf => format!("have `{}` after the as-of date", self.column),
        };
        write!(f, "measure {}: {} of {} `{}` rows {what}", self.measure, self.rows, self.of_rows, self.source)
    }
}

/// (column, finding) pairs to count over a source.
type Checks = BTreeSet<(String, Finding)>;

/// What one measure reads of its source.
fn checks_for(m: &Measure, source: &Source) -> Checks {
    let mut out = BTreeSet::new();
    let Some(rows) = m.definition.rows() else { return out };
    let mut read = |name: &str| {
        if let Some(c) = source.column(name) {
            if c.optional {
                out.insert((name.to_string(), Finding::Missing));
            }
        }
    };
    let mut dates: Vec<String> = Vec::new();
    match &rows.selection {
        Selection::All => {}
        Selection::EventIn(c) | Selection::LatestSnapshot(c) => {
            read(c);
            dates.push(c.clone());
        }
        // A missing end means the row is still open: not a problem.
        Selection::OpenAtEnd { start, .. } | Selection::OpenDuring { start, .. } => {
            read(start);
            dates.push(start.clone());
        }
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
        out.insert((d, Finding::AfterAsOf));
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
                Finding::AfterAsOf => c.gt(crate::compile::exprs::date_lit(as_of)),
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
                out.push(QualityIssue {
                    measure: project.measures[i].reference.clone(),
                    source: source.name.clone(),
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
