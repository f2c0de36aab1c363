//! `test` blocks: given data against the sources, expectations against measures and the
//! periods a run as of the test's date reports.

use super::resolution::Target;
use super::Checker;
use crate::calendar::{periods_as_of, PeriodKind, ReportingYear};
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, ColumnType, Expected, Field, PeriodRef, Value};
use crate::span::{FileId, Span};
use crate::syntax::ast::{self, ExpectedValueKind, PeriodSelectorKind, TestEntryKind};
use chrono::NaiveDate;

/// A test cell read as its column's type (the contract's forms: ISO dates and date-times,
/// true/false).
pub(crate) fn parse_cell(text: &str, ty: ColumnType) -> Option<Value> {
    Some(match ty {
        ColumnType::Text => Value::Text(text.to_string()),
        ColumnType::Int => Value::Int(text.parse().ok()?),
        ColumnType::Decimal => {
            let v: f64 = text.parse().ok()?;
            if !v.is_finite() {
                return None;
            }
            Value::Decimal(v)
        }
        ColumnType::Bool => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return None,
        },
        ColumnType::Date => Value::Date(NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?),
        ColumnType::DateTime => Value::DateTime(crate::data::date_format::parse_iso_datetime(text)?),
    })
}

impl Checker<'_> {
    pub(super) fn test_block(
        &mut self,
        t: &ast::TestBlock,
        file: FileId,
        measures: &[ir::Measure],
    ) -> Option<ir::Test> {
        let mut givens = Vec::new();
        let mut as_of: Option<(NaiveDate, Span)> = None;
        let mut expectations = Vec::new();
        let mut ok = true;
        for entry in &t.entries {
            match &entry.kind {
                TestEntryKind::AsOf(d) => {
                    if let Some((_, first)) = as_of {
                        self.error(
                            Diagnostic::new(Code::AsOf, entry.span, "this test gives its as-of date twice")
                                .label("second as-of date")
                                .with_secondary(first, "first one")
                                .help("keep one `as of` line"),
                        );
                        ok = false;
                    }
                    as_of = Some((d.node, entry.span));
                }
                TestEntryKind::GivenFile { source, path } => {
                    let Some(src) = self.given_source(source) else {
                        ok = false;
                        continue;
                    };
                    let full = self.files.dir_of(file).join(&path.node);
                    if !full.is_file() {
                        self.error(
                            Diagnostic::new(
                                Code::GivenFileMissing,
                                path.span,
                                format!("no file `{}` beside this rule file", path.node),
                            )
                            .label("not found")
                            .help(format!(
                                "the path is relative to the rule file's directory; looked for {}",
                                full.display()
                            )),
                        );
                        ok = false;
                        continue;
                    }
                    givens.push(ir::Given {
                        source: src.name.clone(),
                        data: ir::GivenData::File(full),
                        span: entry.span,
                    });
                }
                TestEntryKind::GivenTable { source, table } => match self.given_table(source, table) {
                    Some(data) => givens.push(ir::Given { source: source.node.clone(), data, span: entry.span }),
                    None => ok = false,
                },
                TestEntryKind::Expect(_) => {}
            }
        }
        let Some((as_of, _)) = as_of else {
            self.error(
                Diagnostic::new(Code::AsOf, t.name.span, format!("test \"{}\" has no as-of date", t.name.node))
                    .label("needs `as of YYYY-MM-DD`")
                    .help("add `as of 2013-09-30` (the date the book is run as of)"),
            );
            return None;
        };
        for entry in &t.entries {
            if let TestEntryKind::Expect(e) = &entry.kind {
                match self.expectation(e, entry.span, as_of, measures) {
                    Some(x) => expectations.push(x),
                    None => ok = false,
                }
            }
        }
        if expectations.is_empty() && ok {
            self.error(
                Diagnostic::new(Code::NoExpectations, t.name.span, format!("test \"{}\" expects nothing", t.name.node))
                    .label("no `expect`")
                    .help("add `expect MEASURE for PERIOD = VALUE`"),
            );
        }
        ok.then(|| ir::Test { name: t.name.node.clone(), givens, as_of, expectations, span: t.name.span })
    }

    /// The source a `given` gives rows of: one with data of its own, not a subset.
    fn given_source(&mut self, source: &ast::Ident) -> Option<ir::Source> {
        let src = self.lookup_source(source)?;
        if src.subset.is_some() {
            self.error(super::sources::not_a_table(source, &src, "a `given` table"));
            return None;
        }
        Some(src)
    }

    fn given_table(&mut self, source: &ast::Ident, table: &ast::Table) -> Option<ir::GivenData> {
        let src = self.given_source(source)?;
        let mut ok = true;
        let mut types = Vec::new();
        for h in &table.header {
            match src.column(&h.node) {
                Some(c) => {
                    types.push(c.ty);
                    self.resolves_value(h, &src);
                }
                None => {
                    let help = match did_you_mean(&h.node, src.columns.iter().map(|c| c.name.as_str())) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "`{}` has columns {}",
                            src.name,
                            src.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    };
                    self.error(
                        Diagnostic::new(
                            Code::UnknownGivenColumn,
                            h.span,
                            format!("source `{}` has no column `{}`", src.name, h.node),
                        )
                        .label("not a column of the source")
                        .help(help),
                    );
                    ok = false;
                    types.push(ColumnType::Text);
                }
            }
        }
        let mut rows = Vec::new();
        for row in &table.rows {
            if row.cells.len() != table.header.len() {
                self.error(
                    Diagnostic::new(
                        Code::RowWidth,
                        row.span,
                        format!(
                            "this row has {} cells and the header has {} columns",
                            row.cells.len(),
                            table.header.len()
                        ),
                    )
                    .label("wrong number of cells")
                    .help("give one cell per column, separated by `|`; leave a cell empty for a missing value"),
                );
                ok = false;
                continue;
            }
            let mut values = Vec::new();
            for ((cell, ty), name) in row.cells.iter().zip(&types).zip(&table.header) {
                let Some(text) = &cell.text else {
                    values.push(None);
                    continue;
                };
                match parse_cell(text, *ty) {
                    Some(v) => values.push(Some(v)),
                    None => {
                        self.error(
                            Diagnostic::new(
                                Code::BadCell,
                                cell.span,
                                format!("`{text}` is not a {} value for column `{}`", ty.name(), name.node),
                            )
                            .label(format!("expected {}", ty.name()))
                            .help(format!(
                                "write {}; leave the cell empty for a missing value",
                                super::sources::example_of(*ty)
                            )),
                        );
                        ok = false;
                        values.push(None);
                    }
                }
            }
            rows.push(values);
        }
        ok.then(|| ir::GivenData::Rows { columns: table.header.iter().map(|h| h.node.clone()).collect(), rows })
    }

    fn expectation(
        &mut self,
        e: &ast::Expectation,
        span: Span,
        as_of: NaiveDate,
        measures: &[ir::Measure],
    ) -> Option<ir::Expectation> {
        if self.measure_names.contains_key(&e.measure.node) {
            self.resolves(e.measure.span, Target::Measure(e.measure.node.clone()));
        }
        let Some(measure) = measures.iter().find(|m| m.name == e.measure.node) else {
            if !self.measure_names.contains_key(&e.measure.node) {
                let suggestion = did_you_mean(&e.measure.node, self.measure_names.keys().map(String::as_str));
                self.error(super::unknown(
                    Code::UnknownMeasure,
                    &e.measure,
                    "measure",
                    suggestion,
                    "use the name after `measure`",
                ));
            }
            return None;
        };
        let version = match &e.version {
            Some(v) if v.node.fract() == 0.0 && v.node >= 1.0 && v.node <= (measure.versions.len() + 1) as f64 => {
                Some(v.node as u32)
            }
            Some(v) => {
                self.error(
                    Diagnostic::new(
                        Code::NoSuchVersion,
                        v.span,
                        format!("measure `{}` has no version {}", measure.name, v.node),
                    )
                    .label("no such version")
                    .help(match measure.versions.len() {
                        0 => "the measure has one definition, version 1; remove `version N`".to_string(),
                        n => format!("its versions are 1 to {}", n + 1),
                    }),
                );
                return None;
            }
            None => None,
        };
        let period = self.period_ref(&e.period, as_of)?;
        let field = match &e.field {
            None => Field::Value,
            Some(f) => match Field::parse(&f.node) {
                Some(f) => f,
                None => {
                    self.error(super::unknown_word(f, "field", Field::NAMES));
                    return None;
                }
            },
        };
        let breakdown = match &e.breakdown {
            None => None,
            Some((col, value)) => {
                if !measure.breakdowns.iter().any(|b| b.name == col.node) {
                    self.error(
                        Diagnostic::new(
                            Code::UnknownColumn,
                            col.span,
                            format!("measure `{}` has no breakdown by `{}`", measure.name, col.node),
                        )
                        .label("not a breakdown of this measure")
                        .help(if measure.breakdowns.is_empty() {
                            "add `by COLUMN` to the measure, or remove `by ...` from the expectation".to_string()
                        } else {
                            let names: Vec<&str> = measure.breakdowns.iter().map(|b| b.name.as_str()).collect();
                            format!("its breakdowns are {}", names.join(", "))
                        }),
                    );
                    return None;
                }
                Some((col.node.clone(), value.node.clone()))
            }
        };
        // A word may be written bare (`rag = red`) or quoted (`rag = "red"`): the same word.
        let word = match &e.value.kind {
            ExpectedValueKind::Text(t) if matches!(field, Field::Rag | Field::Direction | Field::Judgement) => {
                ExpectedValueKind::Word(t.clone())
            }
            other => other.clone(),
        };
        let expected = match (&word, field) {
            (ExpectedValueKind::Missing, _) => Expected::Missing,
            (
                ExpectedValueKind::Number(q),
                Field::Value | Field::Numerator | Field::Denominator | Field::Target | Field::DefinitionVersion,
            ) => {
                if q.percent && field == Field::DefinitionVersion {
                    self.error(expectation_type(
                        e.value.span,
                        "a version is a number: 1, 2, ...",
                        "write it without `%`",
                    ));
                    return None;
                }
                if q.percent && !(field == Field::Value || field == Field::Target) {
                    self.error(expectation_type(
                        e.value.span,
                        "a numerator or denominator is a count, not a percentage",
                        "write the count without `%`",
                    ));
                    return None;
                }
                let decimals = q.text.split_once('.').map_or(0, |(_, d)| d.len().min(12) as u8);
                let text = format!("{}{}", q.text, if q.percent { "%" } else { "" });
                Expected::Number { value: q.value, decimals, text }
            }
            (ExpectedValueKind::Word(w), Field::Rag) if ir::RagColour::parse(w).is_some() => Expected::Word(w.clone()),
            (ExpectedValueKind::Word(w), Field::Direction) if ["up", "down", "same"].contains(&w.as_str()) => {
                Expected::Word(w.clone())
            }
            (ExpectedValueKind::Word(w), Field::Judgement)
                if ["improving", "worsening", "no_change", "not_comparable", "definition_changed"]
                    .contains(&w.as_str()) =>
            {
                Expected::Word(w.clone())
            }
            (_, f) => {
                let want = match f {
                    Field::Rag => "`red`, `amber` or `green`",
                    Field::Direction => "`up`, `down` or `same`",
                    Field::Judgement => {
                        "`improving`, `worsening`, `no_change`, `not_comparable` or `definition_changed`"
                    }
                    _ => "a number",
                };
                self.error(expectation_type(
                    e.value.span,
                    &format!("this field takes {want}, or `missing`"),
                    &format!("write {want} (quoted or not)"),
                ));
                return None;
            }
        };
        Some(ir::Expectation { measure: measure.name.clone(), version, period, breakdown, field, expected, span })
    }

    /// A test's period, checked against the book as of the test's date in the reporting year
    /// its label names (`2012-13`, `2012`, `2012/13`); a month is checked against every
    /// calendar's book, the project's being known only when the test runs.
    fn period_ref(&mut self, p: &ast::PeriodSelector, as_of: NaiveDate) -> Option<ir::PeriodRef> {
        let parsed = match &p.kind {
            PeriodSelectorKind::Ytd => return Some(PeriodRef::Ytd),
            PeriodSelectorKind::Year { label } => {
                ReportingYear::of_label(label).map(|(year, start)| (PeriodRef::Year(year.label(start)), Some(year)))
            }
            PeriodSelectorKind::Quarter { label, quarter } => {
                let q: u8 = quarter.trim_start_matches('Q').parse().unwrap_or(0);
                ReportingYear::of_label(label)
                    .filter(|_| (1..=4).contains(&q))
                    .map(|(year, start)| (PeriodRef::Quarter(format!("{} Q{q}", year.label(start))), Some(year)))
            }
            PeriodSelectorKind::Month { label } => label.split_once('-').and_then(|(y, m)| {
                let (year, month): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
                (1..=12).contains(&month).then(|| (PeriodRef::Month(format!("{year}-{month:02}")), None))
            }),
        };
        let Some((parsed, calendar)) = parsed else {
            self.error(
                Diagnostic::new(Code::BadPeriod, p.span, "this is not a period")
                    .label("no such period")
                    .help("write `month 2013-09`, `quarter 2013-14 Q2`, `year 2012-13` (or a calendar year `2012`, an academic year `2012/13`) or `ytd`"),
            );
            return None;
        };
        let label = parsed.label().unwrap_or_default().to_string();
        let calendars = calendar.map_or(ReportingYear::ALL.to_vec(), |c| vec![c]);
        let reported = |year: ReportingYear| {
            periods_as_of(as_of, year).iter().any(|r| r.label == label && r.kind != PeriodKind::Ytd)
        };
        if calendars.iter().any(|y| reported(*y)) {
            return Some(parsed);
        }
        let year = calendar.unwrap_or_default();
        let this = year.start_year(as_of);
        if parsed == PeriodRef::Year(year.label(this)) {
            // The year of the as-of date is the book's `ytd` period: the same row when the
            // year is over, and named as such when it is not.
            let year_end = year.range(this).end;
            if as_of == year_end {
                return Some(PeriodRef::Ytd);
            }
            self.error(
                Diagnostic::new(Code::BadPeriod, p.span, format!("{label} is not over by {as_of}"))
                    .label("the year of the as-of date")
                    .help(format!(
                        "a book as of {as_of} reports {label} so far as its `ytd` period ({label} YTD): write `ytd`, or make the as-of date {year_end} to expect the whole year"
                    )),
            );
            return None;
        }
        self.error(
            Diagnostic::new(Code::BadPeriod, p.span, format!("a book as of {as_of} does not report {label}"))
                .label("not a period of this run")
                .help(format!(
                    "as of {as_of} the periods are year {}, the months and quarters of {} up to {as_of}, and ytd",
                    year.label(this - 1),
                    year.label(this)
                )),
        );
        None
    }
}

fn expectation_type(span: Span, message: &str, help: &str) -> Diagnostic {
    Diagnostic::new(Code::ExpectationType, span, message.to_string())
        .label("wrong kind of value")
        .help(help.to_string())
}
