//! Completion in context: what may be written where the cursor is, read from the text
//! before it on its line and from the measure or test around it.

use super::hover::{columns_of, meaning, measure_at};
use super::workspace::Analysis;
use crate::ir::{ColumnType, Function, Polarity};
use crate::span::FileId;
use crate::syntax::ast::ItemKind;
use crate::syntax::rule_names::{CLAUSE_WORDS, TOP_LEVEL_WORDS};

/// What a completion offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Keyword,
    Source,
    Column,
    Measure,
    Population,
    Function,
    Value,
}

pub struct Item {
    pub label: String,
    pub kind: Kind,
    pub detail: Option<String>,
    /// The text inserted, when it is not the label.
    pub insert: Option<String>,
}

fn item(label: impl Into<String>, kind: Kind, detail: Option<String>) -> Item {
    Item { label: label.into(), kind, detail, insert: None }
}

/// The clauses a measure's block may hold, as phrases: the parser's clause words, each
/// with the words that must follow it.
fn clauses() -> Vec<&'static str> {
    CLAUSE_WORDS
        .iter()
        .flat_map(|w| match *w {
            "percent" => vec!["percent of"],
            "rate" => vec!["rate of"],
            "ratio" => vec!["ratio of"],
            "numerator" => vec!["numerator sum"],
            "denominator" => vec!["denominator sum"],
            "in" => vec!["in period by"],
            "open" => vec!["open at period end", "open during period"],
            "latest" => vec!["latest snapshot"],
            "first" => vec!["first per"],
            "follow" => vec!["follow up"],
            "reported" => vec!["reported by financial year", "reported by calendar year", "reported by academic year"],
            "cumulative" => vec!["cumulative from year start", "cumulative from fy start"],
            other => vec![other],
        })
        .collect()
}

/// What a source block holds besides columns.
const SOURCE_ENTRIES: &[&str] = &["let", "previous", "next", "lookup", "spans", "snapshot at"];

/// Period kinds an expectation names.
pub const PERIODS: &[&str] = &["month", "quarter", "year", "ytd"];

fn sources(a: &Analysis) -> Vec<Item> {
    a.modules
        .iter()
        .flat_map(|(_, m)| &m.items)
        .filter_map(|i| match &i.kind {
            ItemKind::Source(s) => {
                Some(item(s.name.node.clone(), Kind::Source, s.description.as_ref().map(|d| d.node.clone())))
            }
            _ => None,
        })
        .collect()
}

fn measures(a: &Analysis) -> Vec<Item> {
    a.measures().map(|m| item(m.name.node.clone(), Kind::Measure, a.headline(&m.name.node))).collect()
}

fn populations(a: &Analysis) -> Vec<Item> {
    a.modules
        .iter()
        .flat_map(|(_, m)| &m.items)
        .filter_map(|i| match &i.kind {
            ItemKind::Population(p) => {
                Some(item(p.name.node.clone(), Kind::Population, Some(format!("from {}", p.source.node))))
            }
            _ => None,
        })
        .collect()
}

fn columns(a: &Analysis, source: &str) -> Vec<Item> {
    columns_of(a, source).into_iter().map(|(n, t)| item(n, Kind::Column, Some(format!("{t} — {source}")))).collect()
}

fn functions() -> Vec<Item> {
    Function::NAMES
        .iter()
        .filter_map(|n| Function::parse(n))
        .map(|f| Item {
            label: f.usage().split('(').next().unwrap_or_default().to_string(),
            kind: Kind::Function,
            detail: Some(format!("{} — {}", f.usage(), meaning(f))),
            insert: Some(format!("{}(", f.usage().split('(').next().unwrap_or_default())),
        })
        .collect()
}

/// The last word before the cursor and the text before that word.
fn split_last_word(before: &str) -> (&str, &str) {
    let start = before.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
    (&before[..start], &before[start..])
}

/// Completions at a byte offset of a file.
pub fn at(a: &Analysis, file: FileId, offset: usize) -> Vec<Item> {
    let text = &a.files.get(file).text;
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let (before_word, _) = split_last_word(&text[line_start..offset]);
    let context = before_word.trim_start();
    let words: Vec<&str> = context.split_whitespace().collect();
    let last = words.last().copied().unwrap_or("");
    // A half-typed file does not parse: read the measure around the cursor from the text.
    let (in_measure, row) = match measure_at(a, file, offset) {
        Some((_, row)) => (true, row),
        None => match measure_in_text(text, offset) {
            Some(row) => (true, row),
            None => (false, None),
        },
    };
    // `alias.` or `lookup.`: the columns of what the qualifier names.
    if let Some(q) = context.strip_suffix('.') {
        let (_, qualifier) = split_last_word(q);
        let source = a
            .index
            .occurrences
            .iter()
            .find_map(|o| match &o.target {
                crate::check::resolution::Target::Alias { name, source, .. }
                    if name == qualifier && o.span.file == file =>
                {
                    Some(source.clone())
                }
                _ => None,
            })
            .or_else(|| {
                // Not indexed (the file does not parse as typed): `SOURCE as ALIAS` before it.
                let words: Vec<&str> = text[..offset].split_whitespace().collect();
                words.windows(3).rev().find(|w| w[1] == "as" && w[2] == qualifier).map(|w| w[0].to_string())
            })
            .or_else(|| {
                // An adjacent row (`earlier.`): the columns of the table declaring it.
                a.index.occurrences.iter().find_map(|o| match &o.target {
                    crate::check::resolution::Target::Adjacent { table, name } if name == qualifier => {
                        Some(table.clone())
                    }
                    _ => None,
                })
            })
            .or_else(|| adjacent_in_text(text, qualifier))
            .unwrap_or_else(|| qualifier.to_string());
        return columns(a, &source);
    }
    // Inside a source's braces: its entries, and after a column's name, the types.
    if !in_measure && in_source_block(text, offset) {
        return match words.as_slice() {
            [] => SOURCE_ENTRIES.iter().map(|w| item(*w, Kind::Keyword, Some("source entry".into()))).collect(),
            [name] if !SOURCE_ENTRIES.contains(name) => {
                ColumnType::NAMES.iter().map(|t| item(*t, Kind::Keyword, Some("column type".into()))).collect()
            }
            _ => Vec::new(),
        };
    }
    if context.ends_with("in period by ") || last == "spans" || last == "at" && words.contains(&"snapshot") {
        return row.map(|r| columns(a, &r)).unwrap_or_default();
    }
    match last {
        "polarity" => {
            return Polarity::NAMES.iter().map(|p| item(*p, Kind::Value, None)).collect();
        }
        "count" | "exists" | "published" | "given" | "from" | "lookup" => {
            let mut out = sources(a);
            if last == "count" {
                out.insert(0, item("distinct", Kind::Keyword, None));
            }
            return out;
        }
        "of" if matches!(words.first(), Some(&("percent" | "rate" | "ratio"))) => {
            return if words.first() == Some(&"rate") { measures(a) } else { sources(a) };
        }
        "calculate" | "expect" => return measures(a),
        "for" if words.first() == Some(&"expect") => {
            return PERIODS.iter().map(|p| item(*p, Kind::Keyword, Some("period".into()))).collect();
        }
        _ => {}
    }
    if words.len() >= 2 && words[words.len() - 2] == "per" && last.chars().all(|c| c.is_ascii_digit() || c == ',') {
        return populations(a);
    }
    if context.is_empty() {
        return match in_measure {
            true => clauses().into_iter().map(|c| item(c, Kind::Keyword, Some("clause".into()))).collect(),
            false => TOP_LEVEL_WORDS.iter().map(|c| item(*c, Kind::Keyword, None)).collect(),
        };
    }
    // Inside a condition: the row's columns and the functions.
    let mut out = row.map(|r| columns(a, &r)).unwrap_or_default();
    if in_measure {
        out.extend(functions());
    }
    out
}

/// The source declaring `previous NAME by ...` (or `next`), read from the text alone.
fn adjacent_in_text(text: &str, name: &str) -> Option<String> {
    let at = [format!("previous {name} by"), format!("next {name} by")].iter().find_map(|d| text.find(d.as_str()))?;
    let open = text[..at].rmatch_indices("source ").map(|(i, _)| i).find(|&i| i == 0 || text[..i].ends_with('\n'))?;
    text[open + "source ".len()..].split_whitespace().next().map(str::to_string)
}

/// Is `offset` inside the braces of a `source NAME {` block (read from the text alone)?
fn in_source_block(text: &str, offset: usize) -> bool {
    let before = &text[..offset];
    let Some(open) = before.rmatch_indices("source ").map(|(i, _)| i).find(|&i| i == 0 || before[..i].ends_with('\n'))
    else {
        return false;
    };
    let block = &before[open..];
    block.contains('{') && !block.lines().skip(1).any(|l| l.trim_start().starts_with('}'))
}

/// The measure block around `offset` read from the text alone, and the source its rows come
/// from (`count [distinct C from] S`, `percent of [distinct C from] S`): for a file that does
/// not parse as it is being typed.
fn measure_in_text(text: &str, offset: usize) -> Option<Option<String>> {
    let before = &text[..offset];
    let start = before.rmatch_indices("measure ").map(|(i, _)| i).find(|&i| {
        let line_start = before[..i].rfind('\n').map_or(0, |n| n + 1);
        before[line_start..i].trim().is_empty()
    })?;
    let indent = start - text[..start].rfind('\n').map_or(0, |n| n + 1);
    let mut end = text.len();
    let mut at = start;
    for line in text[start..].split_inclusive('\n') {
        let closing = line.trim() == "}" && line.len() - line.trim_start().len() <= indent;
        if closing && at > start {
            end = at;
            break;
        }
        at += line.len();
    }
    if offset > end {
        return None;
    }
    let words: Vec<&str> = text[start..end].split_whitespace().collect();
    let source = words.windows(2).enumerate().find_map(|(i, w)| {
        let rest = match w {
            ["count", _] => &words[i + 1..],
            ["percent" | "ratio", "of"] => &words[i + 2..],
            _ => return None,
        };
        match rest {
            ["distinct", _, "from", s, ..] => Some(s.to_string()),
            [s, ..] if *s != "distinct" => Some(s.to_string()),
            _ => None,
        }
    });
    Some(source)
}
