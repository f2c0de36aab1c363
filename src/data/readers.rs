//! Readers for row-oriented files (CSV, NDJSON, Excel sheets): each row's cells go through the
//! declared columns' builders, so every bad cell is known by its row and column.

use super::columns::{arrow_type, Cell, CellProblem, ColumnBuilder};
use super::{BadRow, DataError, FileReport, SchemaProblem};
use crate::ir::Source;
use datafusion::arrow::array::{BooleanArray, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

const BATCH_ROWS: usize = 64 * 1024;
/// How many bad rows an error shows.
pub const SHOWN_BAD_ROWS: usize = 10;

/// The declared schema of a source as Arrow sees it, in declaration order. Every field is
/// nullable: required columns are enforced when files are read, not by the schema.
pub fn declared_schema(source: &Source) -> SchemaRef {
    Arc::new(Schema::new(
        source.columns.iter().map(|c| Field::new(&c.name, arrow_type(c.ty), true)).collect::<Vec<_>>(),
    ))
}

/// How a file is read: what to do with bad rows, and which declared columns it may lack.
#[derive(Clone, Debug, Default)]
pub struct Reading {
    /// Leave out rows that cannot be read (counted in the report) instead of stopping.
    pub skip_bad_rows: bool,
    /// Optional columns no measure reads: a file without them reads them as missing.
    pub may_lack: BTreeSet<String>,
}

/// Matches a file's header to the declared columns: by the declared raw header, else by name.
/// A column the file lacks and `may_lack` allows has no position (it reads as missing).
pub fn match_header(
    path: &Path,
    header: &[String],
    source: &Source,
    may_lack: &BTreeSet<String>,
) -> Result<Vec<Option<usize>>, Vec<SchemaProblem>> {
    let clean: Vec<String> = header.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_string()).collect();
    let mut positions = Vec::new();
    let mut problems = Vec::new();
    for c in &source.columns {
        let wanted = c.header.as_deref().unwrap_or(&c.name);
        let found = clean.iter().position(|h| h == wanted).or_else(|| clean.iter().position(|h| *h == c.name));
        match found {
            Some(i) => positions.push(Some(i)),
            None if may_lack.contains(&c.name) => positions.push(None),
            None => problems.push(SchemaProblem {
                file: path.display().to_string(),
                column: c.name.clone(),
                expected: format!("a column headed `{wanted}` ({})", c.ty.name()),
                found: "no such column in the header".into(),
            }),
        }
    }
    if problems.is_empty() {
        Ok(positions)
    } else {
        Err(problems)
    }
}

/// Builds batches row by row, keeping track of bad rows.
pub struct RowSink {
    schema: SchemaRef,
    builders: Vec<ColumnBuilder>,
    keep: Vec<bool>,
    batches: Vec<RecordBatch>,
    pub report: FileReport,
    skip_bad_rows: bool,
}

impl RowSink {
    pub fn new(source: &Source, path: &Path, skip_bad_rows: bool) -> Self {
        RowSink {
            schema: declared_schema(source),
            builders: source.columns.iter().map(|c| ColumnBuilder::new(c, BATCH_ROWS)).collect(),
            keep: Vec::with_capacity(BATCH_ROWS),
            batches: Vec::new(),
            report: FileReport::new(path),
            skip_bad_rows,
        }
    }

    /// One row: `cell(i)` gives the cell of declared column i (and its text, for messages:
    /// copied only when the cell is bad); `line` is where the row starts in the file.
    pub fn push_row<'c>(&mut self, line: u64, mut cell: impl FnMut(usize) -> (Cell<'c>, Option<&'c str>)) {
        let mut first_problem: Option<BadRow> = None;
        for (i, b) in self.builders.iter_mut().enumerate() {
            let (value, shown) = cell(i);
            if let Err(problem) = b.push(value) {
                if first_problem.is_none() {
                    first_problem = Some(describe(line, b.column(), problem, shown.map(str::to_string)));
                }
            }
        }
        let ok = first_problem.is_none();
        if let Some(bad) = first_problem {
            self.report.bad_rows += 1;
            if self.report.first_bad.len() < SHOWN_BAD_ROWS {
                self.report.first_bad.push(bad);
            }
        }
        self.keep.push(ok);
        self.report.rows += 1;
        if self.keep.len() == BATCH_ROWS {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.keep.is_empty() {
            return;
        }
        let columns = self.builders.iter_mut().map(ColumnBuilder::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), columns).expect("builders follow the declared schema");
        let batch = if self.keep.iter().all(|k| *k) {
            batch
        } else {
            filter_record_batch(&batch, &BooleanArray::from(std::mem::take(&mut self.keep)))
                .expect("mask has the batch's length")
        };
        self.keep.clear();
        if batch.num_rows() > 0 {
            self.batches.push(batch);
        }
    }

    pub fn finish(mut self) -> Result<(Vec<RecordBatch>, FileReport), DataError> {
        self.flush();
        if self.report.bad_rows > 0 && !self.skip_bad_rows {
            return Err(DataError::BadRows(Box::new(self.report)));
        }
        Ok((self.batches, self.report))
    }
}

fn describe(line: u64, c: &crate::ir::Column, problem: CellProblem, shown: Option<String>) -> BadRow {
    use crate::ir::ColumnType;
    let problem = match problem {
        CellProblem::Missing => {
            format!("is empty, and `{}` may not be missing (declare it `{}?` if it may)", c.name, c.ty.name())
        }
        CellProblem::NotA(_) => {
            let value = shown.unwrap_or_default();
            let expected = match c.ty {
                ColumnType::Int => "a whole number".to_string(),
                ColumnType::Decimal => "a number".to_string(),
                ColumnType::Bool => "true or false".to_string(),
                ColumnType::Date => match &c.date_format {
                    Some(f) => format!("a date in the format {f}"),
                    None => "a date written YYYY-MM-DD".to_string(),
                },
                ColumnType::DateTime => match &c.date_format {
                    Some(f) => format!("a date-time in the format {f}"),
                    None => "a date-time written YYYY-MM-DD HH:MM:SS (no time zone)".to_string(),
                },
                ColumnType::Text => "text".to_string(),
            };
            let hint = match c.ty {
                ColumnType::Date | ColumnType::DateTime => {
                    let mut hint = month_first_hint(c.date_format.as_deref(), &value);
                    if hint.is_empty() && c.ty == ColumnType::DateTime && has_zone(value.trim()) {
                        hint = "; date-times are read as local clock times, without a time zone: write them without `Z` or an offset".into();
                    }
                    if hint.is_empty() && c.ty == ColumnType::Date && value.trim().contains(':') {
                        hint = format!(
                            "; it has a time of day: declare the column `{} datetime` and read its date as `date({})`",
                            c.name, c.name
                        );
                    }
                    hint
                }
                ColumnType::Int | ColumnType::Decimal | ColumnType::Bool
                    if !value.trim().is_empty()
                        && value.trim().chars().all(|ch| ch.is_ascii_alphabetic() || ch == ':') =>
                {
                    format!(
                        "; if `{}` marks a missing value, add it to the column's codes: missing \"{}\"",
                        value.trim(),
                        value.trim()
                    )
                }
                _ => String::new(),
            };
            format!("`{value}` is not {expected}{hint}")
        }
    };
    BadRow { line, column: c.name.clone(), problem }
}

/// Does a date-time end in a time zone (`Z`, `+01:00`)?
fn has_zone(value: &str) -> bool {
    value.ends_with(['Z', 'z'])
        || value.rsplit_once(['+', '-']).is_some_and(|(head, zone)| {
            head.contains(':') && zone.len() >= 2 && zone.chars().all(|c| c.is_ascii_digit() || c == ':')
        })
}

/// For a day-first date that only reads month first (`09/13/2013`), say so.
fn month_first_hint(declared: Option<&str>, value: &str) -> String {
    let Some(declared) = declared.filter(|d| d.contains("dd") && d.contains("mm")) else { return String::new() };
    let swapped = declared.replace("dd", "\u{0}").replace("mm", "dd").replace('\u{0}', "mm");
    match super::date_format::DateFormat::parse(&swapped).and_then(|f| f.read(value.trim())) {
        Some(_) => format!(
            "; it reads as {swapped}: if the file writes dates that way, declare the column `format \"{swapped}\"`"
        ),
        None => String::new(),
    }
}

pub fn read_csv(path: &Path, source: &Source, reading: &Reading) -> Result<(Vec<RecordBatch>, FileReport), DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    if file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        return Err(DataError::Empty { path: path.display().to_string() });
    }
    read_csv_from(std::io::BufReader::with_capacity(1 << 20, file), path, source, reading)
}

/// Reads CSV text from any reader; `path` names it in errors.
pub fn read_csv_from<R: std::io::Read>(
    input: R,
    path: &Path,
    source: &Source,
    reading: &Reading,
) -> Result<(Vec<RecordBatch>, FileReport), DataError> {
    // Records end at `\n` and a trailing `\r` is dropped below: with CRLF as the terminator,
    // the csv crate places each record at the `\n` ending the line before, so every line
    // number in a Windows export would be one short.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(input);
    let header: Vec<String> =
        reader.headers().map_err(|e| DataError::csv(path, e))?.iter().map(str::to_string).collect();
    let header: Vec<String> = match header.split_last() {
        Some((last, rest)) => rest.iter().cloned().chain([without_cr(last).to_string()]).collect(),
        None => header,
    };
    let positions = match_header(path, &header, source, &reading.may_lack).map_err(DataError::Schema)?;
    let mut sink = RowSink::new(source, path, reading.skip_bad_rows);
    sink.report.absent_columns = absent(source, &positions);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(DataError::csv(path, e)),
        }
        let line = record.position().map_or(0, |p| p.line());
        // A blank line (or one holding only the `\r` of a CRLF) is no row.
        if record.len() == 1 && without_cr(&record[0]).is_empty() {
            continue;
        }
        if record.len() != header.len() {
            return Err(DataError::Malformed {
                path: path.display().to_string(),
                line,
                message: format!(
                    "this row has {} fields and the header has {}; quote fields that contain commas",
                    record.len(),
                    header.len()
                ),
            });
        }
        let rec = &record;
        let last = header.len().saturating_sub(1);
        sink.push_row(line, |i| {
            let Some(at) = positions[i] else { return (Cell::Empty, None) };
            let raw = rec.get(at).unwrap_or("");
            let text = if at == last { without_cr(raw) } else { raw };
            if text.is_empty() {
                (Cell::Empty, None)
            } else {
                (Cell::Text(text), Some(text))
            }
        });
    }
    sink.finish()
}

/// The declared columns a file lacks (they read as missing).
fn absent(source: &Source, positions: &[Option<usize>]) -> Vec<String> {
    source.columns.iter().zip(positions).filter(|(_, p)| p.is_none()).map(|(c, _)| c.name.clone()).collect()
}

/// A line's last field without the `\r` of a CRLF ending.
fn without_cr(field: &str) -> &str {
    field.strip_suffix('\r').unwrap_or(field)
}

pub fn read_ndjson(
    path: &Path,
    source: &Source,
    reading: &Reading,
) -> Result<(Vec<RecordBatch>, FileReport), DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    let mut sink = RowSink::new(source, path, reading.skip_bad_rows);
    let mut header_checked = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line).map_err(|e| DataError::Malformed {
            path: path.display().to_string(),
            line: i as u64 + 1,
            message: format!("not a JSON object: {e}"),
        })?;
        let Some(obj) = value.as_object() else {
            return Err(DataError::Malformed {
                path: path.display().to_string(),
                line: i as u64 + 1,
                message: "not a JSON object".into(),
            });
        };
        if !header_checked {
            let keys: Vec<String> = obj.keys().cloned().collect();
            let positions = match_header(path, &keys, source, &reading.may_lack).map_err(DataError::Schema)?;
            sink.report.absent_columns = absent(source, &positions);
            header_checked = true;
        }
        let texts: Vec<Option<String>> = source
            .columns
            .iter()
            .map(|c| {
                let v = obj.get(c.header.as_deref().unwrap_or(&c.name)).or_else(|| obj.get(&c.name));
                match v {
                    None | Some(serde_json::Value::Null) => None,
                    Some(serde_json::Value::String(s)) => Some(s.clone()),
                    Some(other) => Some(other.to_string()),
                }
            })
            .collect();
        sink.push_row(i as u64 + 1, |c| match &texts[c] {
            None => (Cell::Empty, None),
            Some(t) => (Cell::Text(t), Some(t.as_str())),
        });
    }
    if !header_checked && text.trim().is_empty() {
        return Err(DataError::Empty { path: path.display().to_string() });
    }
    sink.finish()
}

pub fn read_excel(
    path: &Path,
    sheet: Option<&str>,
    source: &Source,
    reading: &Reading,
) -> Result<(Vec<RecordBatch>, FileReport), DataError> {
    use calamine::{open_workbook_auto, Data, Reader};
    let mut workbook = open_workbook_auto(path).map_err(|e| DataError::Malformed {
        path: path.display().to_string(),
        line: 0,
        message: format!("cannot open the workbook: {e}"),
    })?;
    let names = workbook.sheet_names().to_vec();
    let name = match sheet {
        Some(s) => s.to_string(),
        None => names.first().cloned().unwrap_or_default(),
    };
    let range = workbook.worksheet_range(&name).map_err(|_| DataError::Malformed {
        path: path.display().to_string(),
        line: 0,
        message: format!("no sheet named `{name}` (the sheets are {})", names.join(", ")),
    })?;
    let mut rows = range.rows();
    let Some(header) = rows.next() else {
        return Err(DataError::Empty { path: format!("{} [{name}]", path.display()) });
    };
    let header: Vec<String> = header.iter().map(|c| c.to_string()).collect();
    let shown_path = std::path::PathBuf::from(format!("{} [{name}]", path.display()));
    let positions = match_header(&shown_path, &header, source, &reading.may_lack).map_err(DataError::Schema)?;
    let mut sink = RowSink::new(source, &shown_path, reading.skip_bad_rows);
    sink.report.absent_columns = absent(source, &positions);
    for (i, row) in rows.enumerate() {
        let texts: Vec<String> = row.iter().map(|c| c.to_string()).collect();
        sink.push_row(i as u64 + 2, |c| {
            let Some(idx) = positions[c] else { return (Cell::Empty, None) };
            match row.get(idx) {
                None | Some(Data::Empty) => (Cell::Empty, None),
                Some(Data::String(s)) if s.is_empty() => (Cell::Empty, None),
                Some(Data::String(s)) => (Cell::Text(s), Some(s.as_str())),
                Some(Data::Float(f)) => (Cell::Number(*f), Some(texts[idx].as_str())),
                Some(Data::Int(n)) => (Cell::Number(*n as f64), Some(texts[idx].as_str())),
                Some(Data::Bool(b)) => (Cell::Bool(*b), Some(texts[idx].as_str())),
                Some(Data::DateTime(dt)) => match dt.as_datetime() {
                    // A spreadsheet keeps times as fractions of a day: to the millisecond.
                    Some(t) => (Cell::DateTime(chrono::SubsecRound::round_subsecs(t, 3)), Some(texts[idx].as_str())),
                    None => (Cell::Text(&texts[idx]), Some(texts[idx].as_str())),
                },
                Some(_) => (Cell::Text(&texts[idx]), Some(texts[idx].as_str())),
            }
        });
    }
    sink.finish()
}
