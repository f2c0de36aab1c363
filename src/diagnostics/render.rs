//! Rendering diagnostics for people (miette), for tools (JSON) and for GitHub Actions.

use super::{Diagnostic, Severity};
use crate::span::SourceMap;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

/// How `check` and friends print diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    /// Snippets with underlines and help, for people.
    Human,
    /// One JSON object per diagnostic, one per line.
    Json,
    /// GitHub Actions workflow commands (`::error file=...`).
    Github,
}

/// A diagnostic bound to its file, in the shape miette renders.
struct Report<'a> {
    diag: &'a Diagnostic,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
}

impl std::fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(self.diag.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.diag.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

fn labeled(span: crate::span::Span, text: &str, primary: bool) -> LabeledSpan {
    let at = SourceSpan::new(span.start.into(), span.len());
    let label = (!text.is_empty()).then(|| text.to_string());
    if primary {
        LabeledSpan::new_primary_with_span(label, at)
    } else {
        LabeledSpan::new_with_span(label, at)
    }
}

/// Renders one diagnostic with a snippet of its file. `color` adds ANSI colours.
pub fn human(diag: &Diagnostic, files: &SourceMap, color: bool) -> String {
    let file = files.get(diag.primary.span.file);
    let mut labels = vec![labeled(diag.primary.span, &diag.primary.text, true)];
    // Secondary labels in another file cannot share this snippet; they are left out.
    labels.extend(
        diag.secondary
            .iter()
            .filter(|l| l.span.file == diag.primary.span.file)
            .map(|l| labeled(l.span, &l.text, false)),
    );
    let report = Report { diag, source: NamedSource::new(file.display_path(), file.text.clone()), labels };
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    // Rendering into a String cannot fail.
    let _ = handler.render_report(&mut out, &report);
    for label in diag.secondary.iter().filter(|l| l.span.file != diag.primary.span.file) {
        let other = files.get(label.span.file);
        let (line, col) = other.line_col(label.span.start);
        out.push_str(&format!("  note: {} ({}:{}:{})\n", label.text, other.display_path(), line, col));
    }
    out
}

/// The fields of one diagnostic as `--format json` writes them.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub code: &'static str,
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: &'a str,
    pub help: Option<&'a str>,
}

pub fn to_json<'a>(diag: &'a Diagnostic, files: &SourceMap) -> JsonDiagnostic<'a> {
    let file = files.get(diag.primary.span.file);
    let (line, column) = file.line_col(diag.primary.span.start);
    let (end_line, end_column) = file.line_col(diag.primary.span.end);
    JsonDiagnostic {
        code: diag.code.as_str(),
        severity: diag.severity,
        file: file.display_path(),
        line,
        column,
        end_line,
        end_column,
        message: &diag.message,
        help: diag.help.as_deref(),
    }
}

/// One JSON object on one line.
pub fn json(diag: &Diagnostic, files: &SourceMap) -> String {
    serde_json::to_string(&to_json(diag, files)).expect("diagnostics serialise")
}

/// A GitHub Actions workflow command, so the diagnostic shows on the pull request.
pub fn github(diag: &Diagnostic, files: &SourceMap) -> String {
    let j = to_json(diag, files);
    let level = match diag.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut message = diag.message.clone();
    if let Some(help) = &diag.help {
        message.push('\n');
        message.push_str(help);
    }
    format!(
        "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        escape_property(&j.file),
        j.line,
        j.column,
        j.end_line,
        j.end_column,
        escape_property(&format!("{} {}", j.code, diag.code.explanation().title)),
        escape_data(&message)
    )
}

// GitHub's escaping rules for workflow commands.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Renders every diagnostic in the given format, each followed by a newline.
pub fn render_all(diags: &[Diagnostic], files: &SourceMap, format: Format, color: bool) -> String {
    let mut out = String::new();
    for d in diags {
        match format {
            Format::Human => {
                out.push_str(&human(d, files, color));
                out.push('\n');
            }
            Format::Json => {
                out.push_str(&json(d, files));
                out.push('\n');
            }
            Format::Github => {
                out.push_str(&github(d, files));
                out.push('\n');
            }
        }
    }
    out
}
