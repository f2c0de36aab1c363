//! Reading one declared column from raw cells: missing-with-reason codes, value maps, date
//! formats and types, exactly as the source declaration says. Nothing is coerced silently:
//! a cell that cannot be read is reported with its row.

use super::date_format::DateFormat;
use crate::ir::{Column, ColumnType, Value};
use chrono::{NaiveDate, NaiveDateTime};
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use std::sync::Arc;

/// A raw cell as a reader found it.
#[derive(Clone, Copy, Debug)]
pub enum Cell<'a> {
    Empty,
    Text(&'a str),
    Number(f64),
    Bool(bool),
    /// A spreadsheet's date or date-time cell.
    DateTime(NaiveDateTime),
}

/// The Arrow type of a declared column.
pub fn arrow_type(ty: ColumnType) -> DataType {
    match ty {
        ColumnType::Text => DataType::Utf8,
        ColumnType::Int => DataType::Int64,
        ColumnType::Decimal => DataType::Float64,
        ColumnType::Bool => DataType::Boolean,
        ColumnType::Date => DataType::Date32,
        // Local clock times, with no time zone.
        ColumnType::DateTime => DataType::Timestamp(TimeUnit::Microsecond, None),
    }
}

/// Days from 1970-01-01, as Arrow's Date32 stores them.
pub fn date32(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

/// Microseconds from 1970-01-01 00:00 of a clock time, as a date-time column stores it.
pub fn timestamp_micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// The clock time a date-time column's value stands for.
pub fn from_timestamp_micros(micros: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp_micros(micros).map(|t| t.naive_utc())
}

enum Builder {
    Text(StringBuilder),
    Int(Int64Builder),
    Decimal(Float64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    DateTime(TimestampMicrosecondBuilder),
}

/// Why a cell could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CellProblem {
    /// The cell is empty and the column may not be missing.
    Missing,
    /// The cell holds something that is not a value of the column's type.
    NotA(&'static str),
}

pub struct ColumnBuilder {
    column: Column,
    date_format: Option<DateFormat>,
    builder: Builder,
}

fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

impl ColumnBuilder {
    pub fn new(column: &Column, capacity: usize) -> Self {
        let builder = match column.ty {
            ColumnType::Text => Builder::Text(StringBuilder::with_capacity(capacity, capacity * 8)),
            ColumnType::Int => Builder::Int(Int64Builder::with_capacity(capacity)),
            ColumnType::Decimal => Builder::Decimal(Float64Builder::with_capacity(capacity)),
            ColumnType::Bool => Builder::Bool(BooleanBuilder::with_capacity(capacity)),
            ColumnType::Date => Builder::Date(Date32Builder::with_capacity(capacity)),
            ColumnType::DateTime => Builder::DateTime(TimestampMicrosecondBuilder::with_capacity(capacity)),
        };
        ColumnBuilder {
            date_format: column.date_format.as_deref().and_then(DateFormat::parse),
            column: column.clone(),
            builder,
        }
    }

    pub fn column(&self) -> &Column {
        &self.column
    }

    fn push_value(&mut self, v: &Value) -> Result<(), CellProblem> {
        match (&mut self.builder, v) {
            (Builder::Text(b), Value::Text(s)) => b.append_value(s),
            (Builder::Int(b), Value::Int(i)) => b.append_value(*i),
            (Builder::Decimal(b), v) if v.as_f64().is_some() => b.append_value(v.as_f64().unwrap_or_default()),
            (Builder::Bool(b), Value::Bool(x)) => b.append_value(*x),
            (Builder::Date(b), Value::Date(d)) => b.append_value(date32(*d)),
            (Builder::DateTime(b), Value::DateTime(t)) => b.append_value(timestamp_micros(*t)),
            (Builder::DateTime(b), Value::Date(d)) => {
                b.append_value(timestamp_micros(d.and_time(chrono::NaiveTime::MIN)))
            }
            _ => return Err(CellProblem::NotA(self.column.ty.name())),
        }
        Ok(())
    }

    fn push_null(&mut self) {
        match &mut self.builder {
            Builder::Text(b) => b.append_null(),
            Builder::Int(b) => b.append_null(),
            Builder::Decimal(b) => b.append_null(),
            Builder::Bool(b) => b.append_null(),
            Builder::Date(b) => b.append_null(),
            Builder::DateTime(b) => b.append_null(),
        }
    }

    /// Appends one cell. On a problem a null is appended, so the column stays aligned.
    pub fn push(&mut self, cell: Cell<'_>) -> Result<(), CellProblem> {
        let result = self.read(cell);
        if result.is_err() {
            self.push_null();
        }
        result
    }

    fn read(&mut self, cell: Cell<'_>) -> Result<(), CellProblem> {
        let text = match cell {
            Cell::Empty => return self.missing(),
            Cell::Text(t) => t,
            Cell::Number(n) => {
                return match self.column.ty {
                    ColumnType::Int if n.fract() == 0.0 && n.abs() < 9.0e15 => self.push_value(&Value::Int(n as i64)),
                    ColumnType::Decimal => self.push_value(&Value::Decimal(n)),
                    ColumnType::Text => self.push_text(&format_number(n)),
                    // A spreadsheet's reporting year (2025) read as the day that year ends.
                    ColumnType::Date if matches!(self.date_format, Some(DateFormat::YearEnding { .. })) => {
                        self.push_text(&format_number(n))
                    }
                    _ => Err(CellProblem::NotA(self.column.ty.name())),
                };
            }
            Cell::Bool(b) => {
                return match self.column.ty {
                    ColumnType::Bool => self.push_value(&Value::Bool(b)),
                    _ => Err(CellProblem::NotA(self.column.ty.name())),
                }
            }
            Cell::DateTime(t) => {
                return match self.column.ty {
                    ColumnType::Date => self.push_value(&Value::Date(t.date())),
                    ColumnType::DateTime => self.push_value(&Value::DateTime(t)),
                    _ => Err(CellProblem::NotA(self.column.ty.name())),
                }
            }
        };
        if let Some((_, v)) = self.column.value_map.iter().find(|(raw, _)| raw == text) {
            let v = v.clone();
            return self.push_value(&v);
        }
        let trimmed = text.trim();
        if trimmed.is_empty() || self.column.missing_codes.iter().any(|c| c == trimmed) {
            return self.missing();
        }
        self.push_text(if self.column.ty == ColumnType::Text { text } else { trimmed })
    }

    fn missing(&mut self) -> Result<(), CellProblem> {
        if self.column.optional {
            self.push_null();
            Ok(())
        } else {
            Err(CellProblem::Missing)
        }
    }

    fn push_text(&mut self, t: &str) -> Result<(), CellProblem> {
        let ok = match &mut self.builder {
            Builder::Text(b) => {
                b.append_value(t);
                true
            }
            Builder::Int(b) => t.parse::<i64>().map(|v| b.append_value(v)).is_ok(),
            Builder::Decimal(b) => match t.parse::<f64>() {
                Ok(v) if v.is_finite() => {
                    b.append_value(v);
                    true
                }
                _ => false,
            },
            Builder::Bool(b) => match t {
                "true" | "TRUE" | "True" => {
                    b.append_value(true);
                    true
                }
                "false" | "FALSE" | "False" => {
                    b.append_value(false);
                    true
                }
                _ => false,
            },
            Builder::Date(b) => {
                let parsed = match &self.date_format {
                    Some(f) => f.read(t),
                    None => parse_iso_date(t),
                };
                match parsed {
                    Some(d) => {
                        b.append_value(date32(d));
                        true
                    }
                    None => false,
                }
            }
            Builder::DateTime(b) => {
                let parsed = match &self.date_format {
                    Some(f) => f.read_datetime(t),
                    None => super::date_format::parse_iso_datetime(t),
                };
                match parsed {
                    Some(at) => {
                        b.append_value(timestamp_micros(at));
                        true
                    }
                    None => false,
                }
            }
        };
        if ok {
            Ok(())
        } else {
            Err(CellProblem::NotA(self.column.ty.name()))
        }
    }

    pub fn finish(&mut self) -> ArrayRef {
        match &mut self.builder {
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Decimal(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::DateTime(b) => Arc::new(b.finish()),
        }
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Date32Type;

    fn column(ty: ColumnType, optional: bool) -> Column {
        Column {
            name: "c".into(),
            ty,
            optional,
            key: false,
            header: None,
            date_format: None,
            missing_codes: vec!["c".into(), "x".into()],
            value_map: Vec::new(),
            span: Span::default(),
        }
    }

    #[test]
    fn dates_iso_and_formatted() {
        let mut b = ColumnBuilder::new(&column(ColumnType::Date, true), 4);
        assert!(b.push(Cell::Text("2013-02-28")).is_ok());
        assert_eq!(b.push(Cell::Text("2013-02-30")), Err(CellProblem::NotA("date")));
        assert_eq!(b.push(Cell::Text("28/02/2013")), Err(CellProblem::NotA("date")));
        assert!(b.push(Cell::Text("")).is_ok());
        let a = b.finish();
        let a = a.as_primitive::<Date32Type>();
        assert_eq!(a.value(0), date32(NaiveDate::from_ymd_opt(2013, 2, 28).unwrap()));
        assert_eq!(a.null_count(), 3);

        let mut c = column(ColumnType::Date, false);
        c.date_format = Some("dd/mm/yyyy".into());
        let mut b = ColumnBuilder::new(&c, 2);
        assert!(b.push(Cell::Text("28/02/2013")).is_ok());
        assert_eq!(b.push(Cell::Text("")), Err(CellProblem::Missing));
    }

    #[test]
    fn date_times_iso_and_formatted() {
        use datafusion::arrow::datatypes::TimestampMicrosecondType;
        let at = |s: &str| timestamp_micros(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap());
        let mut b = ColumnBuilder::new(&column(ColumnType::DateTime, true), 4);
        assert!(b.push(Cell::Text("2024-02-29 23:40:00")).is_ok());
        assert!(b.push(Cell::Text("2024-02-29T23:40")).is_ok());
        assert_eq!(b.push(Cell::Text("2024-02-29")), Err(CellProblem::NotA("datetime")));
        assert!(b.push(Cell::Text("")).is_ok());
        let a = b.finish();
        let a = a.as_primitive::<TimestampMicrosecondType>();
        assert_eq!((a.value(0), a.value(1)), (at("2024-02-29 23:40:00"), at("2024-02-29 23:40:00")));
        assert_eq!(a.null_count(), 2);

        let mut c = column(ColumnType::DateTime, false);
        c.date_format = Some("dd/mm/yyyy hh:mm".into());
        let mut b = ColumnBuilder::new(&c, 2);
        assert!(b.push(Cell::Text("31/03/2024 01:30")).is_ok());
        assert_eq!(b.push(Cell::Text("2024-03-31 01:30:00")), Err(CellProblem::NotA("datetime")));
        let a = b.finish();
        assert_eq!(a.as_primitive::<TimestampMicrosecondType>().value(0), at("2024-03-31 01:30:00"));
    }

    #[test]
    fn codes_and_maps() {
        let mut c = column(ColumnType::Bool, true);
        c.value_map = vec![("a) Yes".into(), Value::Bool(true)), ("b) No".into(), Value::Bool(false))];
        let mut b = ColumnBuilder::new(&c, 4);
        for cell in ["a) Yes", "b) No", "x", "maybe"] {
            let _ = b.push(Cell::Text(cell));
        }
        let a = b.finish();
        let a = a.as_boolean();
        assert!(a.value(0));
        assert!(!a.value(1));
        assert!(a.is_null(2) && a.is_null(3));
    }

    #[test]
    fn ids_with_leading_zeros_stay_text() {
        let mut b = ColumnBuilder::new(&column(ColumnType::Text, false), 1);
        b.push(Cell::Text("0000123")).unwrap();
        assert_eq!(b.finish().as_string::<i32>().value(0), "0000123");
    }
}
