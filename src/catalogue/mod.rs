//! The catalogue: a static site of every measure, derived from the checked rules rather than
//! typed again — what Fingertips' indicator pages show (definition, numerator, denominator,
//! methodology, interval, benchmarking, disclosure control) and what only the rules know: the
//! sources and columns read with file and line, the tests that cover it, the measures it
//! depends on and those that depend on it. It opens from the file system: no server, no network.

mod html;
mod words;

use crate::ir::{ExprKind, Measure, Project};
use crate::results::ResultRow;
use crate::span::{SourceMap, Span};
use crate::testing::Outcome;

pub use html::pages;

/// What the catalogue is drawn from.
pub struct Catalogue<'a> {
    pub project: &'a Project,
    pub files: &'a SourceMap,
    /// The test blocks' outcomes (coverage); empty when the project has none.
    pub tests: &'a [Outcome],
    /// A run's rows, for each measure's latest value; empty without data.
    pub rows: &'a [ResultRow],
    /// Disclosure control: counts from 1 to N withheld (`run --suppress N`), if any.
    pub suppress: Option<u32>,
    /// The project's confidence level (percent) and amber banding (within this % of target).
    pub confidence: f64,
    pub amber_within_percent: f64,
}

/// One file of the site: its path under the output directory and its text.
pub struct Page {
    pub path: String,
    pub html: String,
}

impl Catalogue<'_> {
    /// `file:line` of a span, as the rules' paths are shown.
    fn place(&self, span: Span) -> String {
        let f = self.files.get(span.file);
        let (line, _) = f.line_col(span.start);
        format!("{}:{line}", f.display_path())
    }

    /// The rules' text at a span, on one line.
    fn written(&self, span: Span) -> String {
        self.files.text_on_one_line(span)
    }

    /// The measures `m` is calculated from (`calculate`, `rate of`), by name.
    fn reads(&self, m: &Measure) -> Vec<&Measure> {
        m.definition.measures_read().iter().filter_map(|n| self.project.measure(n)).collect()
    }

    /// The measures calculated from `m`.
    fn read_by(&self, m: &Measure) -> Vec<&Measure> {
        self.project.measures.iter().filter(|x| self.reads(x).iter().any(|r| r.name == m.name)).collect()
    }

    /// Every column a measure's definition (in any of its versions) and breakdowns read, each
    /// once: `source.column`, with where it is declared.
    fn columns_read(&self, m: &Measure) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for version in m.every_version() {
            self.columns_read_by(version, &mut out);
        }
        out
    }

    fn columns_read_by(&self, m: &Measure, out: &mut Vec<(String, String)>) {
        let Some(rows) = m.definition.rows() else { return };
        let Some(source) = self.project.source(&rows.source) else { return };
        let mut push = |name: String, span: Span| {
            if !out.iter().any(|(n, _)| *n == name) {
                out.push((name, self.place(span)));
            }
        };
        let mut exprs = m.definition.exprs();
        exprs.extend(m.breakdowns.iter().map(|b| &b.expr));
        match &rows.selection {
            crate::ir::Selection::OpenAtEnd { start, end } | crate::ir::Selection::OpenDuring { start, end } => {
                for c in [start, end] {
                    if let Some(col) = source.column(c) {
                        push(format!("{}.{c}", source.name), col.span);
                    }
                }
            }
            crate::ir::Selection::LatestSnapshot(c) => {
                if let Some(col) = source.column(c) {
                    push(format!("{}.{c}", source.name), col.span);
                }
            }
            _ => {}
        }
        for e in exprs {
            e.walk(&mut |x| match &x.kind {
                ExprKind::Column { scope: None, name } => {
                    if let Some(col) = source.column(name) {
                        push(format!("{}.{name}", source.name), col.span);
                    }
                }
                ExprKind::LookupColumn { path, name } => {
                    // The source the last step finds, and its column.
                    let mut at = Some(source);
                    for step in path {
                        at = at.and_then(|s| s.lookup(step)).and_then(|l| self.project.source(&l.source));
                    }
                    if let Some(col) = at.and_then(|s| s.column(name).map(|c| (s, c))) {
                        push(format!("{}.{name}", col.0.name), col.1.span);
                    }
                }
                ExprKind::Named { name, .. } => {
                    if let Some(n) = source.named_value(name) {
                        push(format!("{}.{name} (named value)", source.name), n.span);
                    }
                }
                _ => {}
            });
        }
    }

    /// The tests that expect something of a measure, and the RAG bands their runs reached.
    fn tests_of(&self, m: &Measure) -> (Vec<(String, String)>, Vec<String>) {
        let tests: Vec<(String, String)> = self
            .tests
            .iter()
            .filter(|o| o.measures.contains(&m.name))
            .map(|o| (o.name.clone(), self.place(o.span)))
            .collect();
        // As `test --coverage` counts them: the measure's rows in any test's run.
        let bands = crate::testing::bands_reached(m, self.tests);
        (tests, bands)
    }

    /// The measure's latest monthly row (else its latest row), from the run.
    fn latest(&self, m: &Measure) -> Option<&ResultRow> {
        crate::results::latest(self.rows.iter().filter(|r| r.reference == m.reference && r.breakdown.is_none()))
    }
}

/// Writes the site's pages under `dir`, each file replaced whole.
pub fn write_site(dir: &std::path::Path, pages: &[Page]) -> Result<(), String> {
    for page in pages {
        let path = dir.join(&page.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        crate::fsutil::write_atomically(&path, page.html.as_bytes())
            .map_err(|e| crate::fsutil::write_failed(&path, &e))?;
    }
    Ok(())
}

/// A measure's page name: its ref, with anything but letters, digits, `.`, `-` and `_` as `_`.
pub fn page_name(reference: &str) -> String {
    let safe: String =
        reference.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    format!("{safe}.html")
}
