//! The result table of a run (council-book.md §5) and its formats: CSV, JSON, Parquet and a
//! terminal table. Values are unrounded in data formats and rounded for display in the table.

use crate::calendar::PeriodKind;
use chrono::NaiveDate;
use datafusion::arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use serde::Serialize;
use std::sync::Arc;

/// The columns of the result table, in order.
pub const COLUMNS: &[&str] = &[
    "ref",
    "title",
    "theme",
    "unit",
    "period_kind",
    "period_label",
    "period_start",
    "period_end",
    "numerator",
    "denominator",
    "value",
    "target",
    "rag",
    "direction",
    "judgement",
    "benchmark_sn",
    "benchmark_england",
    "breakdown",
    "breakdown_value",
    "as_of",
];

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResultRow {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub theme: Option<String>,
    pub unit: String,
    pub period_kind: PeriodKind,
    pub period_label: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub rag: Option<String>,
    pub direction: Option<String>,
    pub judgement: Option<String>,
    pub benchmark_sn: Option<f64>,
    pub benchmark_england: Option<f64>,
    pub breakdown: Option<String>,
    pub breakdown_value: Option<String>,
    pub as_of: NaiveDate,
    /// Decimal places for display.
    #[serde(skip)]
    pub precision: u8,
}

/// A number as the CSV writes it: whole numbers without a decimal point, others unrounded.
pub fn plain_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl ResultRow {
    /// The row's cells as text, in the order of [`COLUMNS`]; missing values are empty.
    pub fn cells(&self) -> Vec<String> {
        let num = |v: Option<f64>| v.map(plain_number).unwrap_or_default();
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        vec![
            self.reference.clone(),
            self.title.clone(),
            text(&self.theme),
            self.unit.clone(),
            self.period_kind.name().to_string(),
            self.period_label.clone(),
            self.period_start.to_string(),
            self.period_end.to_string(),
            num(self.numerator),
            num(self.denominator),
            num(self.value),
            num(self.target),
            text(&self.rag),
            text(&self.direction),
            text(&self.judgement),
            num(self.benchmark_sn),
            num(self.benchmark_england),
            text(&self.breakdown),
            text(&self.breakdown_value),
            self.as_of.to_string(),
        ]
    }
}

pub fn to_csv(rows: &[ResultRow]) -> String {
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for r in rows {
        out.push_str(&r.cells().iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// The rows as an Arrow batch (for Parquet): text columns, and numbers as Float64.
pub fn to_batch(rows: &[ResultRow]) -> RecordBatch {
    let numeric = ["numerator", "denominator", "value", "target", "benchmark_sn", "benchmark_england"];
    let fields: Vec<Field> = COLUMNS
        .iter()
        .map(|c| Field::new(*c, if numeric.contains(c) { DataType::Float64 } else { DataType::Utf8 }, true))
        .collect();
    let cells: Vec<Vec<String>> = rows.iter().map(ResultRow::cells).collect();
    let columns: Vec<ArrayRef> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| -> ArrayRef {
            if numeric.contains(c) {
                Arc::new(Float64Array::from(cells.iter().map(|r| r[i].parse::<f64>().ok()).collect::<Vec<_>>()))
            } else {
                Arc::new(StringArray::from(
                    cells.iter().map(|r| (!r[i].is_empty()).then(|| r[i].clone())).collect::<Vec<_>>(),
                ))
            }
        })
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("columns follow the schema")
}

pub fn to_parquet(rows: &[ResultRow]) -> Result<Vec<u8>, datafusion::parquet::errors::ParquetError> {
    let batch = to_batch(rows);
    let mut out = Vec::new();
    let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None)?;
    w.write(&batch)?;
    w.close()?;
    Ok(out)
}

/// A value rounded for display: whole numbers for counts, the measure's places otherwise.
pub fn display_value(v: Option<f64>, precision: u8) -> String {
    match v {
        None => String::new(),
        Some(v) => format!("{:.*}", precision as usize, v),
    }
}

/// The terminal table: one line per measure and period, values rounded for display.
pub fn to_table(rows: &[ResultRow]) -> String {
    let header = ["ref", "period", "numerator", "denominator", "value", "breakdown", "title"];
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.reference.clone(),
                r.period_label.clone(),
                r.numerator.map(plain_number).unwrap_or_default(),
                r.denominator.map(|d| display_value(Some(d), if d.fract() == 0.0 { 0 } else { 1 })).unwrap_or_default(),
                display_value(r.value, r.precision),
                match (&r.breakdown, &r.breakdown_value) {
                    (Some(b), v) => format!("{b}={}", v.as_deref().unwrap_or("(missing)")),
                    _ => String::new(),
                },
                r.title.clone(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| body.iter().map(|r| r[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0))
        .collect();
    let right = [false, false, true, true, true, false, false];
    let line = |cells: &[String]| -> String {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| if right[i] { format!("{c:>w$}", w = widths[i]) } else { format!("{c:<w$}", w = widths[i]) })
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    let mut out = line(&header.map(String::from));
    out.push('\n');
    out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for r in &body {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_plain() {
        assert_eq!(plain_number(1071.0), "1071");
        assert_eq!(plain_number(66.66666666666667), "66.66666666666667");
        assert_eq!(plain_number(0.5), "0.5");
        assert_eq!(plain_number(-3.0), "-3");
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("Since April, % IAs"), "\"Since April, % IAs\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
