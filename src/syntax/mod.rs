//! Stage 1: text → AST. `parse` is the one entry point.

pub mod ast;
mod grammar;
mod lexical;
mod parser;
pub(crate) mod rule_names;

use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::span::{FileId, Span};
use ast::Module;
use grammar::{Rule, RulesParser};
use pest::Parser as _;

/// Parses one file. Errors are diagnostics with spans; a file either parses whole or not.
pub fn parse(file: FileId, text: &str) -> Result<Module, Vec<Diagnostic>> {
    let scan = lexical::scan(file, text);
    if !scan.problems.is_empty() {
        return Err(scan.problems);
    }
    let mut pairs = RulesParser::parse(Rule::file, text).map_err(|e| vec![syntax_error(file, text, e)])?;
    let root = pairs.next().expect("grammar and parser disagree: no file");
    let items = parser::AstBuilder { file, text, comments: &scan.comments }.file(root).map_err(|d| vec![*d])?;
    Ok(Module { items, comments: scan.comments })
}

/// The word (or character) at a byte offset, for "found ..." in messages.
fn token_at(text: &str, pos: usize) -> (String, usize) {
    let rest = &text[pos.min(text.len())..];
    let Some(first) = rest.chars().next() else {
        return ("end of file".to_string(), 0);
    };
    if first.is_ascii_alphanumeric() || first == '_' {
        let word: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let len = word.len();
        (word, len)
    } else {
        (first.to_string(), first.len_utf8())
    }
}

fn syntax_error(file: FileId, text: &str, err: pest::error::Error<Rule>) -> Diagnostic {
    let pos = match err.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let positives = match &err.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    if positives.contains(&Rule::column_type) || (positives == [Rule::ident] && in_source_block(text, pos)) {
        if let Some(d) = stray_column_option(file, text, pos) {
            return d;
        }
    }
    let (found, len) = token_at(text, pos);
    let span = Span::new(file, pos, pos + len.max(if pos < text.len() { 1 } else { 0 }));
    let ctx = rule_names::context(&positives);
    let expected = rule_names::describe_expected(&positives);
    let is_word = found.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && found != "end of file";
    if is_word && !ctx.words().is_empty() && !ctx.words().contains(&found.as_str()) {
        let help = match did_you_mean(&found, ctx.words().iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("expected {expected}"),
        };
        return Diagnostic::new(Code::UnknownClause, span, format!("unknown keyword `{found}`"))
            .label("not a keyword here")
            .help(help);
    }
    if found == "end of file" {
        let last = text.trim_end().len();
        let at = text[..last].char_indices().next_back().map_or(0, |(i, _)| i);
        return Diagnostic::new(
            Code::Syntax,
            Span::new(file, at, last),
            format!("the file ends before a block is closed: expected {expected}"),
        )
        .label("the file ends here")
        .help("close every `{` with `}`");
    }
    let found_text = format!("`{found}`");
    Diagnostic::new(Code::Syntax, span, format!("expected {expected}, found {found_text}"))
        .label(format!("expected {}", short(&expected)))
        .help(help_for(&positives))
}

/// Is `pos` directly inside the braces of a `source` declaration?
fn in_source_block(text: &str, pos: usize) -> bool {
    let mut depth = 0i32;
    for (i, c) in text[..pos].char_indices().rev() {
        match c {
            '}' => depth += 1,
            '{' if depth == 0 => {
                let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
                return text[line_start..i].trim_start().starts_with("source");
            }
            '{' => depth -= 1,
            _ => {}
        }
    }
    false
}

/// The first word in a source block, before `pos`, that stands where a column option
/// should and is not one (`id text primary`). Columns read `name type option...`.
fn stray_column_option(file: FileId, text: &str, pos: usize) -> Option<Diagnostic> {
    let block = text[..pos].rfind('{')? + 1;
    let mut offset = block;
    for line in text[block..pos].split_inclusive('\n') {
        let code = line.split('#').next().unwrap_or("");
        let mut position = 0;
        let mut after_arrow = false;
        let mut rest = code;
        let mut at = offset;
        while !rest.is_empty() {
            let skipped = rest.len() - rest.trim_start().len();
            rest = rest.trim_start();
            at += skipped;
            if rest.is_empty() {
                break;
            }
            let len = if let Some(inner) = rest.strip_prefix('"') {
                inner.find('"').map_or(rest.len(), |i| i + 2)
            } else {
                rest.find(|c: char| c.is_whitespace() || c == ',').unwrap_or(rest.len()).max(1)
            };
            let word = &rest[..len];
            position += 1;
            let is_word = word.starts_with(|c: char| c.is_ascii_alphabetic());
            let known = ["key", "from", "format", "missing", "map", "true", "false"].contains(&word);
            let first = position == 1 && (word == "spans" || word == "snapshot");
            if first {
                break;
            }
            if position >= 3 && is_word && !known && !after_arrow {
                return Some(unknown_column_option(file, word, Span::new(file, at, at + len)));
            }
            after_arrow = word == "->";
            rest = &rest[len..];
            at += len;
        }
        offset += line.len();
    }
    None
}

pub(crate) fn unknown_column_option(_file: FileId, word: &str, span: Span) -> Diagnostic {
    let help = match did_you_mean(word, rule_names::COLUMN_OPTION_WORDS.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "a column's options are `key`, `from \"Header\"`, `format \"dd/mm/yyyy\"`, `missing \"c\", ...` and `map \"raw\" -> value`".to_string(),
    };
    Diagnostic::new(Code::UnknownClause, span, format!("unknown column option `{word}`"))
        .label("not a column option")
        .help(help)
}

fn short(expected: &str) -> &str {
    expected.split(" (").next().unwrap_or(expected)
}

fn help_for(positives: &[Rule]) -> String {
    let has = |r: Rule| positives.contains(&r);
    if rule_names::context(positives) == rule_names::Context::MeasureClause {
        "each clause of a measure starts with its keyword; a measure ends with `}`".into()
    } else if has(Rule::kw_by) {
        "a period selection reads `in period by DATE_COLUMN`".into()
    } else if has(Rule::column_type) {
        "a column reads `name type`, for example `referral_date date` or `end_date date?`".into()
    } else if has(Rule::expr) || has(Rule::path) || has(Rule::literal) {
        "an expression is a column, a value (`\"text\"`, 42, 2013-04-01, true), a function call or a comparison".into()
    } else if has(Rule::table_row) {
        "a table row lists cells separated by `|`, one per column".into()
    } else {
        "see `scorebook explain SB100` for the shape of each item".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ast::*;

    fn parse_ok(text: &str) -> Module {
        match parse(FileId(0), text) {
            Ok(m) => m,
            Err(d) => panic!("{text}\n{d:#?}"),
        }
    }

    fn parse_err(text: &str) -> Diagnostic {
        parse(FileId(0), text).expect_err("should not parse").remove(0)
    }

    #[test]
    fn parses_source_with_options() {
        let m = parse_ok(
            r#"source referrals "Referrals" {
                 referral_id text key
                 referral_date date from "Date of referral" format "dd/mm/yyyy"
                 nfa bool map "a) Yes" -> true, "b) No" -> false
                 end_date date?
                 spans referral_date .. end_date
               }"#,
        );
        let ItemKind::Source(s) = &m.items[0].kind else { panic!() };
        assert_eq!(s.name.node, "referrals");
        assert_eq!(s.entries.len(), 5);
        let SourceEntryKind::Column(c) = &s.entries[3].kind else { panic!() };
        assert!(c.optional);
        let SourceEntryKind::Column(nfa) = &s.entries[2].kind else { panic!() };
        let ColumnOptionKind::Map(entries) = &nfa.options[0].kind else { panic!() };
        assert_eq!(entries[1].to, Literal::Bool(false));
    }

    #[test]
    fn operator_precedence() {
        let m = parse_ok("measure m { where not a = 1 or b < 2 + 3 * 4 and c is missing }");
        let ItemKind::Measure(me) = &m.items[0].kind else { panic!() };
        let ClauseKind::Where(e) = &me.clauses[0].kind else { panic!() };
        // or at the top; `not` binds looser than `=`
        let ExprKind::Binary { op: BinaryOp::Or, left, right } = &e.kind else { panic!("{e:?}") };
        assert!(matches!(left.kind, ExprKind::Unary { op: UnaryOp::Not, .. }));
        let ExprKind::Binary { op: BinaryOp::And, left: lt, .. } = &right.kind else { panic!() };
        let ExprKind::Binary { op: BinaryOp::Lt, right: sum, .. } = &lt.kind else { panic!() };
        let ExprKind::Binary { op: BinaryOp::Add, right: prod, .. } = &sum.kind else { panic!() };
        assert!(matches!(prod.kind, ExprKind::Binary { op: BinaryOp::Mul, .. }));
    }

    #[test]
    fn parses_tables_with_empty_cells() {
        let m = parse_ok(
            "test \"t\" {\n given referrals {\n  referral_id | child_id | team\n  r1 | c1 |\n  \"r 2\" | | cat # note\n }\n as of 2013-09-30\n expect m for month 2013-09 numerator = 1\n}",
        );
        let ItemKind::Test(t) = &m.items[0].kind else { panic!() };
        let TestEntryKind::GivenTable { table, .. } = &t.entries[0].kind else { panic!() };
        assert_eq!(
            table.header.iter().map(|h| h.node.as_str()).collect::<Vec<_>>(),
            ["referral_id", "child_id", "team"]
        );
        assert_eq!(table.rows[0].cells[2].text, None);
        assert_eq!(table.rows[1].cells[0].text.as_deref(), Some("r 2"));
        assert!(table.rows[1].cells[0].quoted);
        assert_eq!(table.rows[1].cells[1].text, None);
        let TestEntryKind::Expect(e) = &t.entries[2].kind else { panic!() };
        assert_eq!(e.field.as_ref().unwrap().node, "numerator");
    }

    #[test]
    fn unknown_clause_suggests_keyword() {
        let d = parse_err("measure m {\n  polarty high\n}");
        assert_eq!(d.code, Code::UnknownClause);
        assert_eq!(d.help.as_deref(), Some("did you mean `polarity`?"));
        assert_eq!(d.primary.span.start, 14);
    }

    #[test]
    fn invalid_date_is_its_own_error() {
        let d = parse_err("measure m { cumulative since 2013-02-30 }");
        assert_eq!(d.code, Code::InvalidDate);
    }

    #[test]
    fn keeps_byte_order_mark_out_of_the_way() {
        let m = parse_ok("\u{FEFF}measure m { count x }");
        assert_eq!(m.items.len(), 1);
    }
}
