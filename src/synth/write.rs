//! Writing generated tables: CSV, or Parquet typed by the contract's source declarations.

use super::Table;
use crate::data::columns::{Cell, ColumnBuilder};
use crate::ir::Source;
use datafusion::arrow::array::RecordBatch;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum OutputFormat {
    Csv,
    Parquet,
}

/// How the files are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Layout {
    /// The data contract's tables and columns (`rules/sources.ind`).
    Contract,
    /// Referrals, assessments, section 47 enquiries and CP plans as raw Annex A style lists
    /// (headers such as "Date of referral", dd/mm/yyyy dates, values such as `a) Yes`), read
    /// with `--profile profiles/annex-a`; the other tables as the contract has them.
    AnnexA,
}

/// The Annex A profile's declarations, as shipped in `profiles/annex-a/sources.ind`.
pub fn annex_a_sources() -> Vec<Source> {
    let text = include_str!("../../profiles/annex-a/sources.ind");
    let (_, checked) = crate::project::check_texts(&[("profiles/annex-a/sources.ind", text)]);
    checked.project.expect("the shipped Annex A declarations check").sources
}

/// A contract table rewritten as a raw export declared by `source`: its headers, date formats
/// and coded values.
pub fn as_raw_export(table: &Table, source: &Source) -> Table {
    let headers: Vec<String> =
        source.columns.iter().map(|c| c.header.clone().unwrap_or_else(|| c.name.clone())).collect();
    let positions: Vec<Option<usize>> =
        source.columns.iter().map(|c| table.columns.iter().position(|n| *n == c.name)).collect();
    let rows = table
        .rows
        .iter()
        .map(|row| {
            source
                .columns
                .iter()
                .zip(&positions)
                .map(|(c, pos)| {
                    let value = pos.map_or("", |p| row[p].as_str());
                    if value.is_empty() {
                        return String::new();
                    }
                    if let Some(format) = c.date_format.as_deref().and_then(crate::data::date_format::DateFormat::parse)
                    {
                        if let Ok(d) = value.parse::<chrono::NaiveDate>() {
                            return format.write(d);
                        }
                    }
                    let raw = c.value_map.iter().find(|(_, v)| match v {
                        crate::ir::Value::Text(t) => t == value,
                        crate::ir::Value::Bool(b) => b.to_string() == value,
                        _ => false,
                    });
                    raw.map_or_else(|| value.to_string(), |(r, _)| r.clone())
                })
                .collect()
        })
        .collect();
    Table { name: table.name, columns: headers, rows }
}

/// The contract's source declarations, as shipped in `rules/sources.ind`.
pub fn contract_sources() -> Vec<Source> {
    let text = include_str!("../../rules/sources.ind");
    let (_, checked) = crate::project::check_texts(&[("rules/sources.ind", text)]);
    checked.project.expect("the shipped source declarations check").sources
}

fn write_csv(table: &Table, path: &Path) -> std::io::Result<()> {
    let tmp = tempfile::NamedTempFile::new_in(path.parent().unwrap_or(Path::new(".")))?;
    {
        let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, tmp.as_file()));
        w.write_record(&table.columns)?;
        for row in &table.rows {
            w.write_record(row)?;
        }
        w.flush()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn write_parquet(table: &Table, source: &Source, path: &Path) -> std::io::Result<()> {
    let io = |e: &dyn std::fmt::Display| std::io::Error::other(e.to_string());
    let positions: Vec<Option<usize>> =
        source.columns.iter().map(|c| table.columns.iter().position(|n| *n == c.name)).collect();
    let schema = crate::data::readers::declared_schema(source);
    let tmp = tempfile::NamedTempFile::new_in(path.parent().unwrap_or(Path::new(".")))?;
    let mut writer =
        datafusion::parquet::arrow::ArrowWriter::try_new(tmp.as_file(), schema.clone(), None).map_err(|e| io(&e))?;
    for chunk in table.rows.chunks(64 * 1024) {
        let mut builders: Vec<ColumnBuilder> =
            source.columns.iter().map(|c| ColumnBuilder::new(c, chunk.len())).collect();
        for row in chunk {
            for (b, pos) in builders.iter_mut().zip(&positions) {
                let text = pos.map_or("", |p| row[p].as_str());
                b.push(if text.is_empty() { Cell::Empty } else { Cell::Text(text) })
                    .map_err(|p| io(&format!("{}: a generated value does not fit the contract ({p:?})", table.name)))?;
            }
        }
        let arrays = builders.iter_mut().map(ColumnBuilder::finish).collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| io(&e))?;
        writer.write(&batch).map_err(|e| io(&e))?;
    }
    writer.close().map_err(|e| io(&e))?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The SSDA903 book's source declarations, as shipped in `examples/ssda903/sources.ind`.
pub fn ssda903_sources() -> Vec<Source> {
    let text = include_str!("../../examples/ssda903/sources.ind");
    let (_, checked) = crate::project::check_texts(&[("examples/ssda903/sources.ind", text)]);
    checked.project.expect("the shipped SSDA903 declarations check").sources
}

/// Writes an SSDA903 return as the return's own CSV files (`dd/mm/yyyy` dates), or as Parquet
/// typed by the book's declarations.
pub fn write_ssda903(tables: &[Table], dir: &Path, format: OutputFormat) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let sources = ssda903_sources();
    let mut written = Vec::new();
    for t in tables {
        let source = sources.iter().find(|s| s.name == t.name).expect("every generated file is a declared source");
        let path = match format {
            OutputFormat::Csv => {
                let p = dir.join(format!("{}.csv", t.name));
                write_csv(&with_source_formats(t, source), &p)?;
                p
            }
            OutputFormat::Parquet => {
                let p = dir.join(format!("{}.parquet", t.name));
                write_parquet(t, &Source { columns: iso_dates(source), ..source.clone() }, &p)?;
                p
            }
        };
        written.push(path);
    }
    Ok(written)
}

/// A table with the columns its source declares written in their declared date formats, and
/// the columns the source does not read kept as they are.
fn with_source_formats(table: &Table, source: &Source) -> Table {
    let rows = table
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .zip(&table.columns)
                .map(|(value, name)| {
                    let format = source
                        .column(name)
                        .and_then(|c| c.date_format.as_deref())
                        .and_then(crate::data::date_format::DateFormat::parse);
                    match (format, value.parse::<chrono::NaiveDate>()) {
                        (Some(f), Ok(d)) => f.write(d),
                        _ => value.clone(),
                    }
                })
                .collect()
        })
        .collect();
    Table { name: table.name, columns: table.columns.clone(), rows }
}

/// The columns of a source read from ISO dates (as generated) rather than their declared format.
fn iso_dates(source: &Source) -> Vec<crate::ir::Column> {
    source.columns.iter().map(|c| crate::ir::Column { date_format: None, ..c.clone() }).collect()
}

/// Writes each table as `<dir>/<table>.csv` (or `.parquet`), each file atomically; with the
/// Annex A layout, the lists it covers as raw CSV exports.
pub fn write_tables(
    tables: &[Table],
    dir: &Path,
    format: OutputFormat,
    layout: Layout,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let sources = contract_sources();
    let raw = if layout == Layout::AnnexA { annex_a_sources() } else { Vec::new() };
    let mut written = Vec::new();
    for t in tables {
        if let Some(source) = raw.iter().find(|s| s.name == t.name) {
            let p = dir.join(format!("{}.csv", t.name));
            write_csv(&as_raw_export(t, source), &p)?;
            written.push(p);
            continue;
        }
        let path = match format {
            OutputFormat::Csv => {
                let p = dir.join(format!("{}.csv", t.name));
                write_csv(t, &p)?;
                p
            }
            OutputFormat::Parquet => {
                let source =
                    sources.iter().find(|s| s.name == t.name).expect("every generated table is a contract source");
                let p = dir.join(format!("{}.parquet", t.name));
                write_parquet(t, source, &p)?;
                p
            }
        };
        written.push(path);
    }
    Ok(written)
}
