//! What changed in a measure, worded from the rules: each clause that differs in canonical
//! form (`meeting: <= 10 → <= 15`), each declaration it reads that differs (`source
//! assessments: let x: ... → ...`), and each measure it is calculated from that was redefined.

use super::{defines_differently, inputs_changed, Input, Revision};
use crate::format::{clause_line, source_lines};
use crate::ir::Measure;
use crate::syntax::ast::{self, ItemKind};

/// What differs between a measure's two versions, in the order the head's rules write it.
pub fn changed(base: &Revision, head: &Revision, b: &Measure, h: &Measure) -> Vec<String> {
    let mut out = Vec::new();
    if b.name != h.name {
        out.push(format!("name: {} → {}", b.name, h.name));
    }
    let lines = |r: &Revision, name: &str| -> Vec<(String, String)> {
        let Some(m) = measure_decl(r, name) else { return Vec::new() };
        let mut lines: Vec<(String, String)> =
            m.clauses.iter().map(|c| (c.kind.slot().to_string(), clause_line(&c.kind))).collect();
        // A version's date and note, and each clause it writes, under its number.
        for v in &m.versions {
            let version = format!("version {}", v.number.node);
            lines.push((version.clone(), format!("from {} {:?}", v.from.node, v.note.node)));
            lines.extend(v.clauses.iter().map(|c| (format!("{version} {}", c.kind.slot()), clause_line(&c.kind))));
        }
        lines
    };
    out.extend(keyed_changes(&lines(base, &b.name), &lines(head, &h.name), ""));
    for input in inputs_changed(&base.project, &head.project, b) {
        match input {
            Input::Source(s) => {
                let decl = |r: &Revision| source_decl(r, &s).map(source_lines);
                match (decl(base), decl(head)) {
                    (Some(old), Some(new)) => {
                        let found = keyed_changes(&old, &new, &format!("source {s}: "));
                        if found.is_empty() {
                            out.push(format!("source {s} changed"));
                        }
                        out.extend(found);
                    }
                    (Some(_), None) => out.push(format!("source {s} removed")),
                    _ => out.push(format!("source {s} changed")),
                }
            }
            Input::Population(p) => out.push(format!("population {p} changed")),
            Input::Reference(r) => out.push(format!("reference {r} changed")),
        }
    }
    if base.project.calendar != head.project.calendar {
        out.push("the working-day calendar changed".to_string());
    }
    for name in b.definition.measures_read() {
        if let (Some(x), Some(y)) = (base.project.measure(&name), head.project.measure(&name)) {
            if defines_differently(&base.project, &head.project, x, y, &mut Vec::new()) {
                out.push(format!("reads {name}, whose definition changed"));
            }
        }
    }
    out
}

fn measure_decl<'r>(r: &'r Revision, name: &str) -> Option<&'r ast::Measure> {
    let items = r.modules.iter().flat_map(|(_, m)| &m.items);
    items
        .flat_map(|i| match &i.kind {
            ItemKind::Measure(m) => vec![m],
            ItemKind::Theme(t) => t.measures.iter().collect(),
            _ => Vec::new(),
        })
        .find(|m| m.name.node == name)
}

fn source_decl<'r>(r: &'r Revision, name: &str) -> Option<&'r ast::SourceDecl> {
    r.modules.iter().flat_map(|(_, m)| &m.items).find_map(|i| match &i.kind {
        ItemKind::Source(s) if s.name.node == name => Some(s),
        _ => None,
    })
}

/// The differences of two lists of keyed lines (a clause's keyword, a declaration's name): a
/// key whose one line changed as `key: old → new` (the common words left out); lines only one
/// side has as `key: + line` or `key: − line`.
fn keyed_changes(old: &[(String, String)], new: &[(String, String)], prefix: &str) -> Vec<String> {
    let mut keys: Vec<&str> = Vec::new();
    for (k, _) in new.iter().chain(old) {
        if !keys.contains(&k.as_str()) {
            keys.push(k);
        }
    }
    let mut out = Vec::new();
    for key in keys {
        let of = |lines: &[(String, String)]| -> Vec<String> {
            lines.iter().filter(|(k, _)| k == key).map(|(_, l)| l.clone()).collect()
        };
        let (was, now) = (of(old), of(new));
        if was == now {
            continue;
        }
        match (was.as_slice(), now.as_slice()) {
            ([a], [b]) => {
                let (a, b) = (without_key(a, key), without_key(b, key));
                let (a, b) = differing(&a, &b);
                out.push(format!("{prefix}{key}: {a} → {b}"));
            }
            _ => {
                for l in was.iter().filter(|l| !now.contains(l)) {
                    out.push(format!("{prefix}{key}: − {}", without_key(l, key)));
                }
                for l in now.iter().filter(|l| !was.contains(l)) {
                    out.push(format!("{prefix}{key}: + {}", without_key(l, key)));
                }
            }
        }
    }
    out
}

/// A line without its leading keyword (`meeting x <= 10` → `x <= 10`; under `version 2
/// meeting` too).
fn without_key(line: &str, key: &str) -> String {
    let keyword = key.strip_prefix("version ").and_then(|k| k.split_once(' ')).map_or(key, |(_, k)| k);
    line.strip_prefix(keyword).map_or(line, str::trim_start).to_string()
}

/// The words where two texts differ, with one word of context before the first difference:
/// `working_days(a, b) <= 10` and `working_days(a, b) <= 15` give `<= 10` and `<= 15`.
fn differing(a: &str, b: &str) -> (String, String) {
    let (wa, wb): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    let mut start = wa.iter().zip(&wb).take_while(|(x, y)| x == y).count();
    let max_end = wa.len().min(wb.len()) - start;
    let end = wa.iter().rev().zip(wb.iter().rev()).take(max_end).take_while(|(x, y)| x == y).count();
    start = start.saturating_sub(1);
    let cut = |w: &[&str]| {
        let text = w[start..w.len() - end].join(" ");
        if text.is_empty() {
            "(nothing)".to_string()
        } else {
            text
        }
    };
    (cut(&wa), cut(&wb))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differing_words_keep_one_word_of_context() {
        let cases = [
            ("working_days(a, b) <= 10", "working_days(a, b) <= 15", "<= 10", "<= 15"),
            ("high", "low", "high", "low"),
            ("60%", "65%", "60%", "65%"),
            ("a = 1 and b = 2", "a = 1 and b = 3 and c = 4", "= 2", "= 3 and c = 4"),
            ("x", "x and y", "x", "x and y"),
        ];
        for (a, b, x, y) in cases {
            assert_eq!(differing(a, b), (x.to_string(), y.to_string()), "{a} / {b}");
        }
    }

    #[test]
    fn keyed_lines_give_changes_additions_and_removals() {
        let l = |k: &str, v: &str| (k.to_string(), v.to_string());
        let old = [l("title", "title \"A\""), l("where", "where a = 1"), l("excluding", "excluding b")];
        let new = [l("title", "title \"B\""), l("where", "where a = 1"), l("where", "where c = 2")];
        assert_eq!(keyed_changes(&old, &new, ""), ["title: \"A\" → \"B\"", "where: + c = 2", "excluding: − b"]);
    }
}
