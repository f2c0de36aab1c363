//! The book as an Excel workbook: the Performance Book and Target Tracker sheets, RAG as
//! fills and as text, benchmark cells filled by how the interval compares with them; and the
//! Results sheet, the result table itself.

use super::{arrow, Book, BookLine};
use crate::calendar::PeriodKind;
use crate::results::ResultRow;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

fn rag_format(rag: Option<&str>) -> Format {
    let base = Format::new().set_bold().set_align(FormatAlign::Center).set_border(FormatBorder::Thin);
    match rag {
        Some("green") => base.set_background_color(Color::RGB(0x66bd63)),
        Some("amber") => base.set_background_color(Color::RGB(0xfdae61)),
        Some("red") => base.set_background_color(Color::RGB(0xd7301f)).set_font_color(Color::White),
        _ => base,
    }
}

fn write_rag(ws: &mut Worksheet, row: u32, col: u16, rag: Option<&str>) -> Result<(), XlsxError> {
    let text = rag.map(|r| {
        let mut c = r.chars();
        c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
    });
    ws.write_string_with_format(row, col, text.unwrap_or_default(), &rag_format(rag))?;
    Ok(())
}

fn write_value(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    value: Option<f64>,
    precision: u8,
    percent: bool,
    f: &Format,
) -> Result<(), XlsxError> {
    match value {
        Some(v) => {
            let shown = crate::judgement::rounded(v, precision);
            let pattern = format!(
                "0{}{}",
                if precision > 0 { format!(".{}", "0".repeat(precision as usize)) } else { String::new() },
                if percent { "\"%\"" } else { "" }
            );
            ws.write_number_with_format(row, col, shown, &f.clone().set_num_format(pattern))?;
        }
        None => {
            ws.write_blank(row, col, f)?;
        }
    }
    Ok(())
}

/// The fill of a benchmark cell for how the measure's interval compares with it, as the HTML
/// book colours it.
fn comparison_format(compared: &str, base: &Format) -> Format {
    match super::comparison(compared) {
        Some(c) if c.white_text => base.clone().set_background_color(Color::RGB(c.fill)).set_font_color(Color::White),
        Some(c) => base.clone().set_background_color(Color::RGB(c.fill)),
        None => base.clone(),
    }
}

/// The Results sheet: the result table as a run writes it (every column, values unrounded),
/// filterable, one row per measure, period and breakdown value.
fn write_results(wb: &mut Workbook, book: &Book, header: &Format) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet().set_name("Results")?;
    let numeric = crate::results::NUMERIC_COLUMNS;
    for (c, name) in crate::results::COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, header)?;
    }
    let mut r = 0;
    for row in book.rows() {
        r += 1;
        for (c, (name, cell)) in crate::results::COLUMNS.iter().zip(row.cells()).enumerate() {
            match cell.parse::<f64>() {
                Ok(v) if numeric.contains(name) => ws.write_number(r, c as u16, v)?,
                _ if cell.is_empty() => continue,
                _ => ws.write_string(r, c as u16, &cell)?,
            };
        }
    }
    ws.set_freeze_panes(1, 1)?;
    ws.autofilter(0, 0, r, crate::results::COLUMNS.len() as u16 - 1)?;
    ws.set_column_width(1, 50)?;
    Ok(())
}

/// Writes the book's title, its subtitle and as-of line above a sheet's table; returns the
/// row of the table's header.
fn write_heading(ws: &mut Worksheet, book: &Book, sheet: &str) -> Result<u32, XlsxError> {
    let title = Format::new().set_bold().set_font_size(14);
    ws.write_string_with_format(0, 0, format!("{} — {sheet}", book.heading.title), &title)?;
    let mut row = 1;
    if let Some(subtitle) = &book.heading.subtitle {
        ws.write_string(row, 0, subtitle)?;
        row += 1;
    }
    if let Some(d) = book.as_of {
        ws.write_string_with_format(row, 0, format!("As of {d}"), &Format::new().set_font_color(Color::RGB(0x555555)))?;
        row += 1;
    }
    ws.set_header(format!("&C{}", book.heading.title.replace('&', "&&")));
    Ok(row + 1)
}

pub fn to_xlsx(book: &Book) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(&book.heading.title));
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xdde3ea))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let plain = Format::new().set_border(FormatBorder::Thin);
    let indented = plain.clone().set_indent(2).set_font_color(Color::RGB(0x333333));
    let ws = wb.add_worksheet().set_name("Performance Book")?;
    let top = write_heading(ws, book, "Performance Book")?;
    let mut heads = vec!["Theme".to_string(), "Ref".into(), "Measure".into(), "Polarity".into(), "RAG".into()];
    heads.extend(book.periods.iter().map(|(k, l)| k.column_label(l)));
    heads.extend(["Direction".to_string(), "Judgement".into(), "SN Av".into(), "England Av".into()]);
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(top, c as u16, h, &header)?;
    }
    ws.set_freeze_panes(top + 1, 3)?;
    ws.set_column_width(2, 60)?;
    ws.group_symbols_above(true);
    let mut r = top;
    for line in &book.lines {
        r += 1;
        ws.write_string_with_format(r, 0, &line.theme, &plain)?;
        ws.write_string_with_format(r, 1, &line.reference, &plain)?;
        let title = std::iter::once(line.title.clone()).chain(line.versions.iter().map(|v| v.describe()));
        ws.write_string_with_format(r, 2, title.collect::<Vec<_>>().join("\n"), &plain)?;
        ws.write_string_with_format(r, 3, line.polarity.replace('_', " "), &plain)?;
        write_judged(ws, r, book, line, &line.cells, true, &plain)?;
        let first = r + 1;
        for b in &line.breakdowns {
            r += 1;
            ws.write_blank(r, 0, &plain)?;
            ws.write_string_with_format(r, 1, &line.reference, &plain)?;
            ws.write_string_with_format(r, 2, b.label(), &indented)?;
            ws.write_blank(r, 3, &plain)?;
            write_judged(ws, r, book, line, &b.cells, false, &plain)?;
        }
        if r >= first {
            ws.group_rows(first, r)?;
        }
    }

    if book.has_comparisons() {
        r += 2;
        ws.write_string(r, 2, "Benchmark cells compare the latest month's confidence interval with the benchmark:")?;
        for (k, c) in super::COMPARISONS.iter().enumerate() {
            ws.write_string_with_format(r + 1 + k as u32, 2, c.label, &comparison_format(c.name, &plain))?;
        }
    }

    let tracker = wb.add_worksheet().set_name("Target Tracker")?;
    let top = write_heading(tracker, book, "Target Tracker")?;
    let months: Vec<&String> =
        book.periods.iter().filter(|(k, _)| *k == PeriodKind::Month).map(|(_, l)| l).rev().take(2).collect();
    let mut heads = vec!["Theme".to_string(), "Ref".into(), "Measure".into(), "Target".into()];
    for m in months.iter().rev() {
        heads.push(PeriodKind::Month.column_label(m));
        heads.push("RAG".into());
    }
    heads.extend(["YTD".to_string(), "RAG".into()]);
    for (c, h) in heads.iter().enumerate() {
        tracker.write_string_with_format(top, c as u16, h, &header)?;
    }
    tracker.set_freeze_panes(top + 1, 3)?;
    tracker.set_column_width(2, 60)?;
    for (i, line) in book.lines.iter().filter(|l| l.target().is_some()).enumerate() {
        let r = top + 1 + i as u32;
        tracker.write_string_with_format(r, 0, &line.theme, &plain)?;
        tracker.write_string_with_format(r, 1, &line.reference, &plain)?;
        tracker.write_string_with_format(r, 2, &line.title, &plain)?;
        let target =
            line.cells.iter().find(|x| x.period_kind == PeriodKind::Year).and_then(|x| x.target).or(line.target());
        write_value(tracker, r, 3, target, line.precision.min(1), false, &plain)?;
        let mut cells: Vec<Option<&ResultRow>> =
            months.iter().rev().map(|l| line.cells.iter().find(|x| &&x.period_label == l)).collect();
        cells.push(line.cells.iter().find(|x| x.period_kind == PeriodKind::Ytd));
        for (k, cell) in cells.iter().enumerate() {
            let col = 4 + 2 * k as u16;
            write_shown(tracker, r, col, line, *cell, &plain)?;
            write_rag(tracker, r, col + 1, cell.and_then(|x| x.rag.map(crate::ir::RagColour::name)))?;
        }
    }
    write_results(&mut wb, book, &header)?;
    wb.save_to_buffer()
}

/// A value cell: the number at the measure's places, or `c` when withheld.
fn write_shown(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    line: &BookLine,
    cell: Option<&ResultRow>,
    f: &Format,
) -> Result<(), XlsxError> {
    match cell {
        Some(x) if x.suppressed => {
            ws.write_string_with_format(row, col, "c", &f.clone().set_align(FormatAlign::Right))?;
            Ok(())
        }
        _ => write_value(
            ws,
            row,
            col,
            cell.and_then(|x| x.value),
            line.precision,
            line.unit == crate::ir::Unit::Percent,
            f,
        ),
    }
}

/// RAG, the period values, direction, judgement and (on a measure's own row) benchmarks.
fn write_judged(
    ws: &mut Worksheet,
    r: u32,
    book: &Book,
    line: &BookLine,
    cells: &[ResultRow],
    benchmarks: bool,
    plain: &Format,
) -> Result<(), XlsxError> {
    let latest = super::latest_of(cells);
    write_rag(ws, r, 4, latest.and_then(|x| x.rag.map(crate::ir::RagColour::name)))?;
    for (j, (_, label)) in book.periods.iter().enumerate() {
        let cell = cells.iter().find(|x| &x.period_label == label);
        let col = 5 + j as u16;
        // A break in the series: marked by a left border, and a note saying which version.
        match cell.and_then(|x| line.break_at(x)) {
            Some(v) => {
                let marked =
                    plain.clone().set_border_left(FormatBorder::Thick).set_border_left_color(Color::RGB(0x542788));
                write_shown(ws, r, col, line, cell, &marked)?;
                let text = format!("{} (not judged against the period before)", v.describe());
                ws.insert_note(r, col, &rust_xlsxwriter::Note::new(text).set_author("scorebook"))?;
            }
            None => write_shown(ws, r, col, line, cell, plain)?,
        }
    }
    let c = 5 + book.periods.len() as u16;
    ws.write_string_with_format(r, c, arrow(latest.and_then(|x| x.direction)), plain)?;
    ws.write_string_with_format(
        r,
        c + 1,
        latest.and_then(|x| x.judgement.map(crate::judgement::Judgement::name)).unwrap_or("").replace('_', " "),
        plain,
    )?;
    let bench = |f: fn(&ResultRow) -> Option<f64>| if benchmarks { latest.and_then(f) } else { None };
    let compared = |f: fn(&ResultRow) -> &str| {
        comparison_format(if benchmarks { latest.map(f).unwrap_or_default() } else { "" }, plain)
    };
    write_value(ws, r, c + 2, bench(|x| x.benchmark_sn), line.precision, false, &compared(|x| x.compared_sn.name()))?;
    write_value(
        ws,
        r,
        c + 3,
        bench(|x| x.benchmark_england),
        line.precision,
        false,
        &compared(|x| x.compared_england.name()),
    )?;
    Ok(())
}
