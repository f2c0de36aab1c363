//! `scorebook test`: the test blocks of a project, run through the same compiler and engine
//! as `run`, each over its own given rows.

use crate::calendar::PeriodKind;
use crate::data::columns::{Cell, ColumnBuilder};
use crate::engine::{self, Settings};
use crate::ir::{Column, Expectation, Expected, Field, GivenData, Measure, PeriodRef, Project, Test, Value};
use crate::results::{plain_number, ResultRow};
use crate::span::Span;
use datafusion::arrow::array::RecordBatch;
use serde::Serialize;

/// One expectation that did not hold.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    #[serde(skip)]
    pub span: Span,
    /// `repeat_referrals for month 2013-09 numerator`
    pub what: String,
    pub expected: String,
    pub actual: String,
    /// The run has no row for the measure, period and breakdown value: `actual` says what it
    /// has instead.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub missing_row: bool,
}

impl Failure {
    /// The failure as `scorebook test` and the editor report it: a row the run lacks says which
    /// periods or breakdown values it has instead.
    pub fn diagnostic(&self) -> crate::diagnostics::Diagnostic {
        use crate::diagnostics::{Code, Diagnostic};
        if self.missing_row {
            Diagnostic::new(
                Code::TestFailed,
                self.span,
                format!("expected {} = {}, but the run has no such row", self.what, self.expected),
            )
            .label(self.actual.clone())
            .help("check the period and the breakdown value; a value the source never holds has no row")
        } else {
            Diagnostic::new(
                Code::TestFailed,
                self.span,
                format!("expected {} = {}, got {}", self.what, self.expected, self.actual),
            )
            .label(format!("the run gives {}", self.actual))
            .help("if the definition changed on purpose, update the expectation; otherwise correct the measure")
        }
    }
}

/// What running one test found.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub name: String,
    pub span: Span,
    pub failures: Vec<Failure>,
    /// The test could not run at all (its given file could not be read, say).
    pub error: Option<String>,
    /// Every row the test's run produced, for coverage.
    pub rows: Vec<ResultRow>,
    /// The measures the test expects something of.
    pub measures: Vec<String>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.error.is_none()
    }
}

fn cell_of(v: &Value) -> Cell<'_> {
    match v {
        Value::Text(s) => Cell::Text(s),
        Value::Int(i) => Cell::Number(*i as f64),
        Value::Decimal(d) => Cell::Number(*d),
        Value::Bool(b) => Cell::Bool(*b),
        Value::Date(d) => Cell::DateTime(d.and_time(chrono::NaiveTime::MIN)),
        Value::DateTime(t) => Cell::DateTime(*t),
    }
}

/// A test's given rows as batches with each source's declared schema; columns a table does
/// not give are missing.
pub fn given_batches(project: &Project, test: &Test) -> Result<Vec<(String, Vec<RecordBatch>)>, String> {
    let mut out = Vec::new();
    for g in &test.givens {
        let source = project.source(&g.source).ok_or_else(|| format!("no source `{}`", g.source))?;
        match &g.data {
            GivenData::File(path) => {
                let (batches, _) =
                    crate::data::readers::read_csv(path, source, &Default::default()).map_err(|e| e.to_string())?;
                out.push((g.source.clone(), batches));
            }
            GivenData::Rows { columns, rows } => {
                let mut builders: Vec<ColumnBuilder> = source
                    .columns
                    .iter()
                    .map(|c| {
                        ColumnBuilder::new(
                            &Column { optional: true, value_map: Vec::new(), missing_codes: Vec::new(), ..c.clone() },
                            rows.len(),
                        )
                    })
                    .collect();
                for row in rows {
                    for (c, b) in source.columns.iter().zip(builders.iter_mut()) {
                        let value = columns.iter().position(|n| *n == c.name).and_then(|i| row[i].as_ref());
                        b.push(value.map_or(Cell::Empty, cell_of))
                            .map_err(|_| format!("a value of column `{}` does not fit its type", c.name))?;
                    }
                }
                let arrays = builders.iter_mut().map(ColumnBuilder::finish).collect();
                let batch = RecordBatch::try_new(crate::data::readers::declared_schema(source), arrays)
                    .map_err(|e| e.to_string())?;
                out.push((g.source.clone(), vec![batch]));
            }
        }
    }
    Ok(out)
}

/// The period label an expectation names.
fn label(p: &PeriodRef) -> Option<String> {
    p.label().map(str::to_string)
}

fn describe(e: &Expectation) -> String {
    let period = match &e.period {
        PeriodRef::Year(label) => format!("year {label}"),
        PeriodRef::Quarter(label) => format!("quarter {label}"),
        PeriodRef::Month(label) => format!("month {label}"),
        PeriodRef::Ytd => "ytd".into(),
    };
    let field = match e.field {
        Field::Value => String::new(),
        f => format!(" {}", f.name()),
    };
    let version = e.version.map(|v| format!(" version {v}")).unwrap_or_default();
    let by =
        e.breakdown.as_ref().map(|(c, v)| format!(" by {c} {}", v.as_deref().unwrap_or("missing"))).unwrap_or_default();
    format!("{}{version} for {period}{by}{field}", e.measure)
}

fn shown(v: Option<f64>) -> String {
    v.map(plain_number).unwrap_or_else(|| "missing".into())
}

/// Does the run's row hold what the expectation says?
pub fn check(project: &Project, rows: &[ResultRow], e: &Expectation) -> Option<Failure> {
    let reference = &project.measure(&e.measure)?.reference;
    let wanted = label(&e.period);
    let row = rows.iter().find(|r| {
        &r.reference == reference
            && in_period(r, &wanted)
            && match &e.breakdown {
                None => r.breakdown.is_none(),
                Some((c, v)) => r.breakdown.as_deref() == Some(c) && r.breakdown_value.as_deref() == v.as_deref(),
            }
    });
    let failure = |expected: String, actual: String| Failure {
        span: e.span,
        what: describe(e),
        expected,
        actual,
        missing_row: false,
    };
    let Some(row) = row else {
        let actual = missing_row(rows, reference, &wanted, e);
        return Some(Failure { missing_row: true, ..failure(expected_text(&e.expected), actual) });
    };
    let actual_number = match e.field {
        Field::Value => Some(row.value),
        Field::Numerator => Some(row.numerator),
        Field::Denominator => Some(row.denominator),
        Field::Target => Some(row.target),
        Field::DefinitionVersion => Some(Some(f64::from(row.definition_version))),
        _ => None,
    };
    let actual_word = match e.field {
        Field::Rag => row.rag.map(|c| c.name().to_string()),
        Field::Direction => row.direction.map(|d| d.name().to_string()),
        Field::Judgement => row.judgement.map(|j| j.name().to_string()),
        _ => None,
    };
    let ok = match (&e.expected, actual_number) {
        (Expected::Missing, Some(n)) => n.is_none(),
        (Expected::Missing, None) => actual_word.is_none(),
        (Expected::Number { value, decimals, .. }, Some(Some(a))) => {
            (a - value).abs() <= 0.5 * 10f64.powi(-i32::from(*decimals)) + 1e-9
        }
        (Expected::Number { .. }, _) => false,
        (Expected::Word(w), None) => actual_word.as_deref() == Some(w.as_str()),
        (Expected::Word(_), Some(_)) => false,
    };
    if ok {
        return None;
    }
    let percent =
        e.field == Field::Value && project.measure(&e.measure).is_some_and(|m| m.unit == crate::ir::Unit::Percent);
    let actual = match actual_number {
        Some(Some(n)) if percent => format!("{}%", plain_number(n)),
        Some(n) => shown(n),
        None => actual_word.unwrap_or_else(|| "missing".into()),
    };
    Some(failure(expected_text(&e.expected), actual))
}

/// Is the row of the period labelled `wanted` (the `ytd` row when `None`)?
fn in_period(r: &ResultRow, wanted: &Option<String>) -> bool {
    match wanted {
        Some(l) => &r.period_label == l,
        None => r.period_kind == PeriodKind::Ytd,
    }
}

/// What the run has instead of the row an expectation looked for: the measure's breakdown
/// values in that period, or its periods.
fn missing_row(rows: &[ResultRow], reference: &str, wanted: &Option<String>, e: &Expectation) -> String {
    let of_measure: Vec<&ResultRow> = rows.iter().filter(|r| r.reference == reference).collect();
    let of_period: Vec<&ResultRow> = of_measure.iter().copied().filter(|r| in_period(r, wanted)).collect();
    let list = |mut items: Vec<String>| {
        items.dedup();
        let more = items.len().saturating_sub(12);
        items.truncate(12);
        let mut s = items.join(", ");
        if more > 0 {
            s.push_str(&format!(" and {more} more"));
        }
        s
    };
    if of_measure.is_empty() {
        return format!("no row: the run computed nothing for `{}`", e.measure);
    }
    if of_period.is_empty() {
        let periods: Vec<String> =
            of_measure.iter().filter(|r| r.breakdown.is_none()).map(|r| r.period_label.clone()).collect();
        return format!("no row for that period: the run has {}", list(periods));
    }
    match &e.breakdown {
        Some((column, value)) => {
            let values: Vec<String> = of_period
                .iter()
                .filter(|r| r.breakdown.as_deref() == Some(column.as_str()))
                .map(|r| r.breakdown_value.clone().unwrap_or_else(|| "missing".into()))
                .collect();
            let value = value.as_deref().unwrap_or("missing");
            if values.is_empty() {
                let by: Vec<String> = of_period.iter().filter_map(|r| r.breakdown.clone()).collect();
                if by.is_empty() {
                    format!("no row: the run has no breakdown of `{}` (only its total)", e.measure)
                } else {
                    format!("no row: the run breaks `{}` down by {} only", e.measure, list(by))
                }
            } else {
                format!("no {column} {value} row: in that period the run has {column} {}", list(values))
            }
        }
        None => "no row for its total in that period".into(),
    }
}

fn expected_text(e: &Expected) -> String {
    match e {
        Expected::Missing => "missing".into(),
        Expected::Number { text, .. } => text.clone(),
        Expected::Word(w) => w.clone(),
    }
}

/// Runs one test with the project's settings (scorebook.toml's holidays, banding and
/// confidence level, as `run` uses them).
pub async fn run_test(project: &Project, settings: &Settings, test: &Test) -> Outcome {
    let measures: Vec<String> = {
        let mut m: Vec<String> = test.expectations.iter().map(|e| e.measure.clone()).collect();
        m.dedup();
        m
    };
    let mut outcome = Outcome {
        name: test.name.clone(),
        span: test.span,
        failures: Vec::new(),
        error: None,
        rows: Vec::new(),
        measures: measures.clone(),
    };
    let given = match given_batches(project, test) {
        Ok(g) => g,
        Err(e) => {
            outcome.error = Some(e);
            return outcome;
        }
    };
    // One run for the expectations of the versions in force, and one for each version an
    // expectation names (`expect m version 1 ...`), with that version in force throughout.
    let pin_of = |e: &Expectation| e.version.map(|v| (e.measure.clone(), v));
    let mut pins: Vec<Option<(String, u32)>> = test.expectations.iter().map(pin_of).collect();
    pins.sort_unstable();
    pins.dedup();
    for pin in pins {
        let expectations: Vec<&Expectation> = test.expectations.iter().filter(|e| pin_of(e) == pin).collect();
        let pinned;
        let run_on = match &pin {
            Some((name, number)) => {
                let mut p = project.clone();
                for m in p.measures.iter_mut().filter(|m| &m.name == name) {
                    *m = m.pinned(*number);
                }
                pinned = p;
                &pinned
            }
            None => project,
        };
        let chosen: Vec<usize> = run_on
            .measures
            .iter()
            .enumerate()
            .filter(|(_, m)| expectations.iter().any(|e| e.measure == m.name))
            .map(|(i, _)| i)
            .collect();
        match engine::run_given(run_on, settings, test.as_of, &chosen, given.clone()).await {
            Ok(out) => {
                outcome.failures.extend(expectations.iter().filter_map(|e| check(project, &out.rows, e)));
                outcome.rows.extend(out.rows);
            }
            Err(e) => {
                outcome.error = Some(e.to_string());
                break;
            }
        }
    }
    outcome.failures.sort_by_key(|f| f.span.start);
    outcome
}

/// Runs every test whose name contains `filter`, with the project's settings.
pub async fn run_all(project: &Project, settings: &Settings, filter: Option<&str>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for t in project.tests.iter().filter(|t| filter.is_none_or(|f| t.name.contains(f))) {
        out.push(run_test(project, settings, t).await);
    }
    out
}

/// Per measure: whether a test expects something of it, and the RAG bands its tests' runs hit.
#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    #[serde(rename = "ref")]
    pub reference: String,
    pub measure: String,
    pub tests: usize,
    pub rag_bands: Vec<String>,
}

pub fn coverage(project: &Project, outcomes: &[Outcome]) -> Vec<Coverage> {
    project
        .measures
        .iter()
        .map(|m| {
            let tests = outcomes.iter().filter(|o| o.measures.contains(&m.name)).count();
            Coverage {
                reference: m.reference.clone(),
                measure: m.name.clone(),
                tests,
                rag_bands: bands_reached(m, outcomes),
            }
        })
        .collect()
}

/// The RAG bands a measure's rows reach in the tests' runs, by name, in order.
pub fn bands_reached(m: &Measure, outcomes: &[Outcome]) -> Vec<String> {
    let mut bands: Vec<String> = outcomes
        .iter()
        .flat_map(|o| o.rows.iter())
        .filter(|r| r.reference == m.reference)
        .filter_map(|r| r.rag.map(|c| c.name().to_string()))
        .collect();
    bands.sort();
    bands.dedup();
    bands
}
