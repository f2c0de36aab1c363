//! The result table of a run (docs/commands.md, "The result table") and its formats: CSV, JSON, Parquet and a
//! terminal table. Values are unrounded in data formats and rounded for display in the table.

use crate::calendar::PeriodKind;
use crate::ir::{RagColour, Unit};
use crate::judgement::{Direction, Judgement};
use crate::statistics::Comparison;
use chrono::NaiveDate;
use datafusion::arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
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
    "benchmark_la",
    "benchmark_sn_neighbours",
    "ci_low",
    "ci_high",
    "compared_england",
    "compared_sn",
    "funnel",
    "definition_version",
];

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResultRow {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub theme: Option<String>,
    pub unit: Unit,
    pub period_kind: PeriodKind,
    pub period_label: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub rag: Option<RagColour>,
    pub direction: Option<Direction>,
    pub judgement: Option<Judgement>,
    pub benchmark_sn: Option<f64>,
    pub benchmark_england: Option<f64>,
    pub breakdown: Option<String>,
    pub breakdown_value: Option<String>,
    pub as_of: NaiveDate,
    /// The authority's own published value, from the same year as the benchmarks.
    pub benchmark_la: Option<f64>,
    /// How many statistical neighbours had a published value for the SN benchmark.
    pub benchmark_sn_neighbours: Option<f64>,
    /// The value's confidence interval (compile/intervals.rs), when the measure has one.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// The interval against England's value and the neighbours': `higher`, `lower`,
    /// `similar` (`better`/`worse` with a polarity), or `not_compared`.
    pub compared_england: Comparison,
    pub compared_sn: Comparison,
    /// A funnel's unit (`funnel by`) against the measure's whole: `High (0.001)` to
    /// `Low (0.001)`, or `Not significant`.
    pub funnel: Option<crate::funnel::Significance>,
    /// The version of the measure's definition the value was computed with (1, 2, ...): the
    /// one in force at the period's end (`version N from DATE`).
    pub definition_version: u32,
    /// The level of the interval, in percent (95.0), when there is one.
    #[serde(skip)]
    pub confidence: Option<f64>,
    /// Decimal places for display.
    #[serde(skip)]
    pub precision: u8,
    /// Disclosure control withheld the value (and the counts it is built on): they read `c`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
}

/// Disclosure control for published outputs: a count from 1 to `n`, and a percentage or rate
/// built on one, is withheld (read `c`), with the judgement that would reveal it.
pub fn suppress(rows: &mut [ResultRow], n: f64) {
    let small = |v: Option<f64>| v.is_some_and(|v| (1.0..=n).contains(&v));
    for r in rows.iter_mut() {
        let hit = match r.unit {
            Unit::Count => small(r.value),
            Unit::Percent => small(r.numerator) || small(r.denominator),
            Unit::RatePer(_) => small(r.numerator),
            Unit::Number => false,
        };
        if hit {
            r.suppressed = true;
            r.numerator = None;
            if r.unit == Unit::Percent {
                r.denominator = None;
            }
            r.value = None;
            r.ci_low = None;
            r.ci_high = None;
            r.confidence = None;
            r.compared_england = Comparison::NotCompared;
            r.compared_sn = Comparison::NotCompared;
            r.funnel = None;
            r.rag = None;
            r.direction = None;
            r.judgement = None;
        }
    }
}

/// A number as the CSV writes it: whole numbers without a decimal point, others unrounded.
pub fn plain_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Of a measure's rows in the run's order, the one a book's "latest" reads: the last month,
/// else the last row.
pub fn latest<'a>(mut rows: impl DoubleEndedIterator<Item = &'a ResultRow> + Clone) -> Option<&'a ResultRow> {
    rows.clone().rfind(|r| r.period_kind == PeriodKind::Month).or_else(|| rows.next_back())
}

impl ResultRow {
    /// The value as the books show it: rounded to the measure's places, `%` on a percentage,
    /// `c` when withheld, empty when missing.
    pub fn shown(&self) -> String {
        if self.suppressed {
            return "c".into();
        }
        let v = display_value(self.value, self.precision);
        if v.is_empty() || self.unit != Unit::Percent {
            v
        } else {
            format!("{v}%")
        }
    }

    /// The row's cells as text, in the order of [`COLUMNS`]; missing values are empty.
    pub fn cells(&self) -> Vec<String> {
        let num = |v: Option<f64>| v.map(plain_number).unwrap_or_default();
        let withheld = |v: Option<f64>, hidden: bool| if self.suppressed && hidden { "c".to_string() } else { num(v) };
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        vec![
            self.reference.clone(),
            self.title.clone(),
            text(&self.theme),
            self.unit.name(),
            self.period_kind.name().to_string(),
            self.period_label.clone(),
            self.period_start.to_string(),
            self.period_end.to_string(),
            withheld(self.numerator, self.unit == Unit::Percent || self.unit.is_rate()),
            withheld(self.denominator, self.unit == Unit::Percent),
            withheld(self.value, true),
            num(self.target),
            self.rag.map(|r| r.name().to_string()).unwrap_or_default(),
            self.direction.map(|d| d.name().to_string()).unwrap_or_default(),
            self.judgement.map(|j| j.name().to_string()).unwrap_or_default(),
            num(self.benchmark_sn),
            num(self.benchmark_england),
            text(&self.breakdown),
            text(&self.breakdown_value),
            self.as_of.to_string(),
            num(self.benchmark_la),
            num(self.benchmark_sn_neighbours),
            num(self.ci_low),
            num(self.ci_high),
            self.compared_england.name().to_string(),
            self.compared_sn.name().to_string(),
            self.funnel.map(|f| f.label().to_string()).unwrap_or_default(),
            self.definition_version.to_string(),
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

/// The columns that hold numbers; the others hold text.
pub const NUMERIC_COLUMNS: &[&str] = &[
    "numerator",
    "denominator",
    "value",
    "target",
    "benchmark_sn",
    "benchmark_england",
    "benchmark_la",
    "benchmark_sn_neighbours",
    "ci_low",
    "ci_high",
];

/// The columns that hold whole numbers (Arrow `Int64`).
pub const INTEGER_COLUMNS: &[&str] = &["definition_version"];

/// The columns that hold dates (Arrow `Date32`).
pub const DATE_COLUMNS: &[&str] = &["period_start", "period_end", "as_of"];

/// The Arrow type of a result column: numbers as Float64 (a version as Int64), dates as
/// Date32, the rest text.
pub fn column_type(name: &str) -> DataType {
    if NUMERIC_COLUMNS.contains(&name) {
        DataType::Float64
    } else if INTEGER_COLUMNS.contains(&name) {
        DataType::Int64
    } else if DATE_COLUMNS.contains(&name) {
        DataType::Date32
    } else {
        DataType::Utf8
    }
}

/// The schema of the result table as Arrow (Parquet, Python): every column nullable.
pub fn schema() -> Schema {
    Schema::new(COLUMNS.iter().map(|c| Field::new(*c, column_type(c), true)).collect::<Vec<_>>())
}

/// The rows as an Arrow batch (Parquet, Python): numbers as Float64 (a withheld one, which
/// the text formats write `c`, is missing), dates as Date32, the rest as the text formats
/// write it (a missing value is null, not empty).
pub fn to_batch(rows: &[ResultRow]) -> RecordBatch {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
    let day = |d: NaiveDate| (d - epoch).num_days() as i32;
    let cells: Vec<Vec<String>> = rows.iter().map(ResultRow::cells).collect();
    let columns: Vec<ArrayRef> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| -> ArrayRef {
            match *c {
                "period_start" => Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| day(r.period_start)))),
                "period_end" => Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| day(r.period_end)))),
                "as_of" => Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| day(r.as_of)))),
                "definition_version" => {
                    Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| i64::from(r.definition_version))))
                }
                _ if NUMERIC_COLUMNS.contains(c) => {
                    Arc::new(Float64Array::from_iter(cells.iter().map(|r| r[i].parse::<f64>().ok())))
                }
                _ => Arc::new(StringArray::from_iter(cells.iter().map(|r| (!r[i].is_empty()).then_some(&r[i])))),
            }
        })
        .collect();
    RecordBatch::try_new(Arc::new(schema()), columns).expect("columns follow the schema")
}

pub fn to_parquet(rows: &[ResultRow]) -> Result<Vec<u8>, datafusion::parquet::errors::ParquetError> {
    let batch = to_batch(rows);
    let mut out = Vec::new();
    let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None)?;
    w.write(&batch)?;
    w.close()?;
    Ok(out)
}

/// A value rounded for display to `precision` places, half away from zero as Excel and the
/// judgement round (579.25 shows as 579.3, -0.25 as -0.3), never as `-0.0`.
pub fn display_value(v: Option<f64>, precision: u8) -> String {
    match v {
        None => String::new(),
        Some(v) => {
            let r = crate::judgement::rounded(v, precision);
            let r = if r == 0.0 { 0.0 } else { r };
            format!("{:.*}", precision as usize, r)
        }
    }
}

/// A value's confidence interval for display, at the measure's places: `55.3 to 73.6`.
pub fn display_interval(row: &ResultRow) -> String {
    match (row.ci_low, row.ci_high) {
        (Some(l), Some(h)) => {
            format!("{} to {}", display_value(Some(l), row.precision), display_value(Some(h), row.precision))
        }
        _ => String::new(),
    }
}

/// A comparison with a benchmark for display: empty where nothing was compared.
pub fn display_comparison(compared: Comparison) -> &'static str {
    match compared {
        Comparison::NotCompared => "",
        c => c.name(),
    }
}

/// The terminal table: one line per measure and period, values rounded for display, with
/// the judgement a book is read by (target, RAG, direction of travel) and, when any measure has
/// one, the confidence interval and its comparison with England and the statistical neighbours.
/// With `colour`, RAG text is coloured (red, yellow for amber, green) with ANSI escapes. A
/// measure's title stands on its first line only, so a long title does not widen every line.
pub fn to_table(rows: &[ResultRow], colour: bool) -> String {
    let intervals = rows.iter().any(|r| r.ci_low.is_some());
    let mut header = vec!["ref", "period", "numerator", "denominator", "value"];
    if intervals {
        header.push("interval");
    }
    header.extend(["target", "rag", "direction"]);
    if intervals {
        header.extend(["vs england", "vs sn"]);
    }
    header.extend(["breakdown", "title"]);
    let rag = header.iter().position(|h| *h == "rag").expect("rag is a column");
    let right: Vec<bool> =
        header.iter().map(|h| matches!(*h, "numerator" | "denominator" | "value" | "interval" | "target")).collect();
    let body: Vec<Vec<String>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let direction = match (&r.direction, &r.judgement) {
                (Some(d), Some(j)) if *j != Judgement::NotComparable => {
                    format!("{} {}", d.arrow(), j.name().replace('_', " "))
                }
                (Some(d), _) => format!("{} {}", d.arrow(), d.name()),
                _ => String::new(),
            };
            let mut cells = vec![
                r.reference.clone(),
                r.period_label.clone(),
                if r.suppressed && r.numerator.is_none() && r.unit != Unit::Count {
                    "c".into()
                } else {
                    r.numerator.map(plain_number).unwrap_or_default()
                },
                r.denominator.map(|d| display_value(Some(d), if d.fract() == 0.0 { 0 } else { 1 })).unwrap_or_default(),
                if r.suppressed { "c".to_string() } else { display_value(r.value, r.precision) },
            ];
            if intervals {
                cells.push(display_interval(r));
            }
            cells.extend([
                display_value(r.target, r.precision),
                r.rag.map(|c| c.name().to_string()).unwrap_or_default(),
                direction,
            ]);
            if intervals {
                cells.push(display_comparison(r.compared_england).to_string());
                cells.push(display_comparison(r.compared_sn).to_string());
            }
            cells.push(match (&r.breakdown, &r.breakdown_value) {
                (Some(b), v) => format!("{b}={}", v.as_deref().unwrap_or("(missing)")),
                _ => String::new(),
            });
            let first_of_measure = i == 0 || rows[i - 1].reference != r.reference;
            cells.push(if first_of_measure { r.title.clone() } else { String::new() });
            cells
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| body.iter().map(|r| r[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: &[String], paint: bool| -> String {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let padded =
                    if right[i] { format!("{c:>w$}", w = widths[i]) } else { format!("{c:<w$}", w = widths[i]) };
                let code = match c.as_str() {
                    "red" => "31",
                    "amber" => "33",
                    "green" => "32",
                    _ => "",
                };
                if paint && i == rag && !code.is_empty() {
                    format!("\x1b[1;{code}m{c}\x1b[0m{}", &padded[c.len()..])
                } else {
                    padded
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    let mut out = line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>(), false);
    out.push('\n');
    out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for r in &body {
        out.push_str(&line(r, colour));
        out.push('\n');
    }
    out
}

/// A month's row of a measure `1` in `unit` with these figures, for tests.
#[cfg(test)]
pub(crate) fn sample_row(
    unit: &str,
    numerator: Option<f64>,
    denominator: Option<f64>,
    value: Option<f64>,
) -> ResultRow {
    let d: NaiveDate = "2013-09-30".parse().unwrap();
    ResultRow {
        reference: "1".into(),
        title: "t".into(),
        theme: None,
        unit: Unit::parse(unit).unwrap(),
        period_kind: PeriodKind::Month,
        period_label: "2013-09".into(),
        period_start: d,
        period_end: d,
        numerator,
        denominator,
        value,
        target: None,
        rag: Some(RagColour::Red),
        direction: Some(Direction::Up),
        judgement: Some(Judgement::Worsening),
        benchmark_sn: None,
        benchmark_england: None,
        breakdown: None,
        breakdown_value: None,
        as_of: d,
        benchmark_la: None,
        benchmark_sn_neighbours: None,
        ci_low: Some(1.0),
        ci_high: Some(9.0),
        compared_england: Comparison::Similar,
        compared_sn: Comparison::Similar,
        funnel: None,
        definition_version: 1,
        confidence: Some(95.0),
        precision: 1,
        suppressed: false,
    }
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

    use super::sample_row as row;

    #[test]
    fn suppression_withholds_small_counts_and_what_is_built_on_them() {
        let mut rows = vec![
            row("count", None, None, Some(3.0)),
            row("count", None, None, Some(0.0)),
            row("count", None, None, Some(6.0)),
            row("percent", Some(2.0), Some(40.0), Some(5.0)),
            row("percent", Some(20.0), Some(40.0), Some(50.0)),
            row("rate_per_10000", Some(4.0), Some(80000.0), Some(0.5)),
            row("number", None, None, Some(2.0)),
        ];
        suppress(&mut rows, 5.0);
        let cells: Vec<String> = rows.iter().map(|r| r.cells()[8..15].join(",")).collect();
        assert_eq!(
            cells,
            [
                ",,c,,,,",
                ",,0,,red,up,worsening",
                ",,6,,red,up,worsening",
                "c,c,c,,,,",
                "20,40,50,,red,up,worsening",
                "c,80000,c,,,,",
                ",,2,,red,up,worsening",
            ]
        );
    }

    #[test]
    fn display_rounds_half_away_from_zero() {
        let shown = |v: f64, p: u8| display_value(Some(v), p);
        assert_eq!(shown(579.25, 1), "579.3");
        assert_eq!(shown(-579.25, 1), "-579.3");
        assert_eq!(shown(0.125, 2), "0.13");
        assert_eq!(shown(2.5, 0), "3");
        assert_eq!(shown(33.33333, 1), "33.3");
        assert_eq!(shown(-0.04, 1), "0.0");
        assert_eq!(shown(12.0, 0), "12");
        assert_eq!(display_value(None, 1), "");
    }

    #[test]
    fn table_shows_the_interval_and_comparisons_when_a_measure_has_one() {
        let mut with = row("percent", Some(65.0), Some(100.0), Some(65.0));
        (with.ci_low, with.ci_high) = (Some(55.25443), Some(73.63577));
        with.compared_england = Comparison::Better;
        with.compared_sn = Comparison::NotCompared;
        let table = to_table(&[with.clone()], false);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].contains("value      interval  target") && lines[0].contains("vs england  vs sn"), "{table}");
        assert!(lines[2].contains(" 65.0  55.3 to 73.6 ") && lines[2].contains(" better "), "{table}");
        let mut without = with;
        (without.ci_low, without.ci_high) = (None, None);
        let table = to_table(&[without], false);
        assert!(!table.contains("interval") && !table.contains("vs england"), "{table}");
    }

    #[test]
    fn table_shows_a_measures_title_on_its_first_line_only() {
        let mut first = row("count", None, None, Some(3.0));
        first.title = "A title of ninety characters, as some published indicators have, runs on and on and on".into();
        let mut second = first.clone();
        second.period_label = "2013-10".into();
        let mut other = first.clone();
        other.reference = "M2".into();
        other.title = "Short".into();
        let table = to_table(&[first, second, other], false);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[2].ends_with("runs on and on and on"), "{table}");
        assert!(!lines[3].contains("ninety") && lines[3].len() + 80 < lines[2].len(), "{table}");
        assert!(lines[4].ends_with("Short"), "{table}");
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("Since April, % IAs"), "\"Since April, % IAs\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
