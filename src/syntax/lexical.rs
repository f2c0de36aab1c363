//! A quick pass over the raw text before parsing: it finds comments (which the parser skips
//! but the formatter keeps), strings left open at the end of a line, and nesting so deep that
//! parsing it would only waste the stack.

use super::ast::Comment;
use crate::diagnostics::{Code, Diagnostic};
use crate::span::{FileId, Span};

/// Deeper nesting of `(` and `{` than this is refused before parsing.
pub const MAX_NESTING: usize = 200;

pub struct LexicalScan {
    pub comments: Vec<Comment>,
    pub problems: Vec<Diagnostic>,
}

pub fn scan(file: FileId, text: &str) -> LexicalScan {
    let mut comments = Vec::new();
    let mut problems = Vec::new();
    let mut depth = 0usize;
    let mut too_deep_reported = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                let body = text[i + 1..end].trim_end_matches('\r');
                comments.push(Comment { text: body.to_string(), span: Span::new(file, i, i + 1 + body.len()) });
                i = end;
            }
            b'"' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => {
                            let line_end = i;
                            problems.push(
                                Diagnostic::new(
                                    Code::UnterminatedString,
                                    Span::new(file, start, line_end.max(start + 1)),
                                    "this string is not closed before the end of the line",
                                )
                                .label("string starts here")
                                .help("close it with `\"` on the same line; write a quote inside a string as `\\\"`"),
                            );
                            break;
                        }
                        Some(b'\\') => i += 2,
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            b'(' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING && !too_deep_reported {
                    too_deep_reported = true;
                    problems.push(
                        Diagnostic::new(
                            Code::TooDeep,
                            Span::new(file, i, i + 1),
                            format!("brackets are nested more than {MAX_NESTING} levels deep"),
                        )
                        .label("too deep here")
                        .help("remove redundant parentheses"),
                    );
                }
                i += 1;
            }
            b')' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    LexicalScan { comments, problems }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_comments_outside_strings() {
        let s = scan(FileId(0), "title \"a # b\" # real\n# own line\r\n");
        let texts: Vec<_> = s.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, [" real", " own line"]);
        assert!(s.problems.is_empty());
    }

    #[test]
    fn reports_open_string_at_its_quote() {
        let s = scan(FileId(0), "ref \"3.2\ntitle \"x\"\n");
        assert_eq!(s.problems.len(), 1);
        assert_eq!(s.problems[0].code, Code::UnterminatedString);
        assert_eq!(s.problems[0].primary.span.start, 4);
    }

    #[test]
    fn refuses_deep_nesting_once() {
        let text = "(".repeat(10_000);
        let s = scan(FileId(0), &text);
        assert_eq!(s.problems.len(), 1);
        assert_eq!(s.problems[0].code, Code::TooDeep);
    }
}
