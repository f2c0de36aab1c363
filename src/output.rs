//! A run's results in each output format: the result table (terminal table, CSV, JSON,
//! Parquet) and the performance book laid out from it (HTML, Excel, Markdown). The command
//! line and the Python package write through here, so their files are the same bytes.

use crate::config::Config;
use crate::engine::{manifest::Manifest, RunOutput};
use crate::ir::Project;
use crate::{book, results};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
    Parquet,
    /// The performance book and target tracker as one self-contained page.
    Html,
    /// The performance book and target tracker as an Excel workbook.
    Xlsx,
    /// The performance book as a Markdown table.
    Markdown,
}

impl OutputFormat {
    pub const ALL: [OutputFormat; 7] = [
        OutputFormat::Table,
        OutputFormat::Csv,
        OutputFormat::Json,
        OutputFormat::Parquet,
        OutputFormat::Html,
        OutputFormat::Xlsx,
        OutputFormat::Markdown,
    ];

    /// The name the command line and the Python package call it by.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
            OutputFormat::Parquet => "parquet",
            OutputFormat::Html => "html",
            OutputFormat::Xlsx => "xlsx",
            OutputFormat::Markdown => "markdown",
        }
    }

    pub fn named(name: &str) -> Option<OutputFormat> {
        OutputFormat::ALL.into_iter().find(|f| f.name() == name.to_ascii_lowercase())
    }

    /// Binary formats go to a file, never to a terminal.
    pub fn is_binary(self) -> bool {
        matches!(self, OutputFormat::Parquet | OutputFormat::Xlsx)
    }

    /// The formats that lay the rows out as the performance book.
    pub fn is_book(self) -> bool {
        matches!(self, OutputFormat::Html | OutputFormat::Xlsx | OutputFormat::Markdown)
    }
}

/// The book's heading: `[book]` in scorebook.toml, or a title after the project's folder
/// (the folder holding scorebook.toml, else the first path's; a folder named `rules` is
/// named by the folder it is in).
pub fn heading(config: Option<&Config>, paths: &[PathBuf]) -> book::Heading {
    let section = config.map(|c| c.book.clone()).unwrap_or_default();
    let folder = match config {
        Some(c) => Some(if c.base.as_os_str().is_empty() { PathBuf::from(".") } else { c.base.clone() }),
        None => {
            paths
                .first()
                .map(|p| if p.is_file() { p.parent().map(PathBuf::from).unwrap_or_default() } else { p.clone() })
        }
    };
    let name = folder
        .and_then(|f| std::path::absolute(if f.as_os_str().is_empty() { PathBuf::from(".") } else { f }).ok())
        .map(|f| {
            let mut parts: Vec<String> = f
                .components()
                .filter_map(|c| match c {
                    std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect();
            while parts.len() > 1 && parts.last().is_some_and(|n| n == "rules" || n == ".") {
                parts.pop();
            }
            parts.pop().unwrap_or_default()
        })
        .filter(|n| !n.is_empty());
    let title = section.title.unwrap_or_else(|| match name {
        Some(n) => format!("{n} Performance Book"),
        None => book::Heading::default().title,
    });
    book::Heading { title, subtitle: section.subtitle }
}

/// The book's layout of a run's rows, with each measure's polarity, funnel and breakdown headings.
pub fn book_of(project: &Project, rows: &[results::ResultRow], heading: book::Heading) -> book::Book {
    let facts = |reference: &str| {
        project
            .measures
            .iter()
            .find(|m| m.reference == reference)
            .map(|m| book::LineFacts {
                polarity: m.polarity.name().to_string(),
                overdispersed: m.funnel.as_ref().is_some_and(|f| f.overdispersed),
                headings: m.breakdowns.iter().map(|b| (b.name.clone(), b.heading().to_string())).collect(),
                versions: m
                    .versions
                    .iter()
                    .map(|v| book::VersionMark { number: v.number, from: v.from, note: v.note.clone() })
                    .collect(),
            })
            .unwrap_or_default()
    };
    book::layout(rows, &facts, heading)
}

/// What a format needs besides the run's rows.
pub struct Context<'a> {
    pub project: &'a Project,
    pub heading: book::Heading,
    /// The run's manifest, which JSON output carries.
    pub manifest: Option<&'a Manifest>,
    /// SPC charts drawn under the HTML book.
    pub charts: Vec<crate::spc::SpcRow>,
    /// Colour in the terminal table.
    pub colour: bool,
}

/// A run written in one format, and what it holds ("42 result rows", "the book (...)").
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub summary: String,
}

/// Writes a run's output in `format`.
pub fn render(format: OutputFormat, output: &RunOutput, context: Context<'_>) -> Result<Rendered, String> {
    let rows = &output.rows;
    let summary = format!("{} result row{}", rows.len(), if rows.len() == 1 { "" } else { "s" });
    let bytes = match format {
        OutputFormat::Table => results::to_table(rows, context.colour).into_bytes(),
        OutputFormat::Csv => results::to_csv(rows).into_bytes(),
        OutputFormat::Json => {
            let mut doc = serde_json::json!({
                "manifest": context.manifest,
                "warnings": output.warnings,
                "data_quality": output.quality,
                "files": output.load.files,
                "results": rows,
            });
            // Keys in one order whatever the build: a build with Ballista turns on
            // serde_json's `preserve_order`, which would otherwise keep insertion order.
            doc.sort_all_objects();
            let mut s = serde_json::to_string_pretty(&doc).expect("results serialise");
            s.push('\n');
            s.into_bytes()
        }
        OutputFormat::Parquet => results::to_parquet(rows).map_err(|e| e.to_string())?,
        OutputFormat::Html | OutputFormat::Xlsx | OutputFormat::Markdown => {
            let mut book = book_of(context.project, rows, context.heading);
            book.charts = context.charts;
            let summary = format!("the book ({})", book.summary());
            let bytes = match format {
                OutputFormat::Html => book::to_html(&book).into_bytes(),
                OutputFormat::Markdown => book::to_markdown(&book).into_bytes(),
                _ => book::to_xlsx(&book).map_err(|e| e.to_string())?,
            };
            return Ok(Rendered { bytes, summary });
        }
    };
    Ok(Rendered { bytes, summary })
}
