//! The book as Markdown tables, for pasting into reports.

use super::{arrow, column_label, Book};

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

pub fn to_markdown(book: &Book) -> String {
    let mut head = vec!["Ref".to_string(), "Measure".into(), "RAG".into()];
    head.extend(book.periods.iter().map(|(k, l)| column_label(*k, l)));
    head.extend(["Direction".to_string(), "SN Av".into(), "England Av".into()]);
    let mut out = format!("| {} |\n|{}|\n", head.join(" | "), head.iter().map(|_| "---").collect::<Vec<_>>().join("|"));
    for line in &book.lines {
        let latest = line.latest();
        let mut row =
            vec![cell(&line.reference), cell(&line.title), latest.and_then(|r| r.rag.clone()).unwrap_or_default()];
        for (_, label) in &book.periods {
            row.push(line.cells.iter().find(|r| &r.period_label == label).map(|r| line.shown(r)).unwrap_or_default());
        }
        row.push(
            format!(
                "{} {}",
                arrow(latest.and_then(|r| r.direction.as_deref())),
                latest.and_then(|r| r.judgement.clone()).unwrap_or_default().replace('_', " ")
            )
            .trim()
            .to_string(),
        );
        row.push(latest.and_then(|r| r.benchmark_sn).map(crate::results::plain_number).unwrap_or_default());
        row.push(latest.and_then(|r| r.benchmark_england).map(crate::results::plain_number).unwrap_or_default());
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}
