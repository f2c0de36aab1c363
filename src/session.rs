//! A session: checked rules, their project file and the caller's settings, resolved once into
//! what a run reads — where the book is computed (here, on Ballista or on PostgreSQL), the
//! memory its plans may use and where they spill, the timeout, disclosure control, whether
//! every period takes the latest definition — offering a run that returns a book, which
//! renders itself in every format with its manifest and charts. The command line and the
//! Python package turn their arguments into a [`Session`] and a [`Request`], and print or
//! hand back what comes out; neither assembles a run itself. The other commands that run or
//! compile the rules (`test`, `drill`, `catalogue`, `diff --data`, `compile`) go through a
//! session too, so each reads scorebook.toml's settings, memory included, as `run` does.

use crate::compile::sql::Dialect;
use crate::config::Config;
use crate::engine::warehouse::{self, Listing, ScriptRequest};
use crate::engine::{self, memory::Memory, Engine, RunError, RunOptions, RunOutput, Settings};
use crate::ir::Project;
use crate::output::{self, OutputFormat, Rendered};
use crate::span::SourceMap;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// How a session's books are computed, as the caller asks; what it leaves out, scorebook.toml
/// gives (the memory under `[run]`), else the defaults.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub engine: Engine,
    /// With a PostgreSQL engine: the schema holding the source tables.
    pub schema: Option<String>,
    pub memory_limit: Option<usize>,
    pub spill_dir: Option<PathBuf>,
    pub timeout: Option<Duration>,
    /// Disclosure control: counts from 1 to N, and figures built on them, withheld.
    pub suppress: Option<u32>,
    /// Every period computed with the latest version of each definition.
    pub backcast: bool,
}

/// The rules, their project file and the settings every run of the session reads.
pub struct Session {
    /// The paths the rules were read from, as given.
    pub paths: Vec<PathBuf>,
    pub files: SourceMap,
    /// The checked rules (with `backcast`, each measure's latest definition from the start).
    pub project: Project,
    pub config: Option<Config>,
    pub engine: Engine,
    pub schema: Option<String>,
    pub memory: Memory,
    pub timeout: Option<Duration>,
    pub suppress: Option<u32>,
    pub backcast: bool,
}

/// Which book one run computes, over which data.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub as_of: Option<NaiveDate>,
    /// A directory holding each source as `<source>.csv` (or another format).
    pub data_dir: Option<PathBuf>,
    /// Sources' data given directly, by source name: ahead of `data_dir` and scorebook.toml.
    pub tables: BTreeMap<String, crate::data::Supplied>,
    pub skip_bad_rows: bool,
    /// Refs or names of the measures to compute; all when empty.
    pub measures: Vec<String>,
    /// Whole reporting years, the first and last year they end in.
    pub years: Option<(i32, i32)>,
    /// The reporting year, when not scorebook.toml's.
    pub calendar: Option<crate::calendar::ReportingYear>,
    /// Where the run records its stages' times.
    pub timings: crate::timings::Timings,
}

/// A run's output, with the options it ran with.
pub struct Book {
    pub output: RunOutput,
    pub options: RunOptions,
}

impl Session {
    /// The session of checked rules and their project file, with the caller's `overrides`.
    pub fn open(
        paths: Vec<PathBuf>,
        files: SourceMap,
        mut project: Project,
        config: Option<Config>,
        overrides: Overrides,
    ) -> Result<Session, RunError> {
        let configured = engine::project_memory(config.as_ref())?;
        let memory = Memory {
            limit: overrides.memory_limit.or(configured.limit),
            spill_dir: overrides.spill_dir.or(configured.spill_dir),
        };
        if overrides.backcast {
            project.backcast();
        }
        Ok(Session {
            paths,
            files,
            project,
            config,
            engine: overrides.engine,
            schema: overrides.schema,
            memory,
            timeout: overrides.timeout,
            suppress: overrides.suppress,
            backcast: overrides.backcast,
        })
    }

    /// What the engine is handed for `request`.
    fn options(&self, request: Request) -> RunOptions {
        let cluster = match &self.engine {
            Engine::Plans(cluster) => cluster.clone(),
            Engine::Postgres(_) => Default::default(),
        };
        RunOptions {
            as_of: request.as_of,
            data_dir: request.data_dir,
            skip_bad_rows: request.skip_bad_rows,
            measures: request.measures,
            years: request.years,
            months: None,
            calendar: request.calendar,
            memory: self.memory.clone(),
            timeout: self.timeout,
            cluster,
            tables: request.tables,
            timings: request.timings,
        }
    }

    /// The book `request` asks for, computed where the session computes, its figures withheld
    /// as the session's disclosure control says.
    pub async fn run(&self, request: Request) -> Result<Book, RunError> {
        let options = self.options(request);
        let mut output =
            engine::run_on(&self.engine, &self.project, self.config.as_ref(), &options, self.schema.as_deref()).await?;
        if let Some(n) = self.suppress {
            crate::results::suppress(&mut output.rows, f64::from(n));
        }
        Ok(Book { output, options })
    }

    /// What a run of `book` was asked, as its manifest records it (`extra` adds the caller's
    /// own, such as the output format).
    pub fn asked(&self, book: &Book, extra: serde_json::Map<String, serde_json::Value>) -> serde_json::Value {
        let o = &book.options;
        let mut asked = serde_json::json!({
            "paths": self.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "data": o.data_dir.as_ref().map(|p| p.display().to_string()),
            "measures": o.measures,
            "years": o.years.map(|(a, b)| format!("{a}..{b}")),
            "engine": self.engine.shown(),
            "on_bad_rows": if o.skip_bad_rows { "skip" } else { "stop" },
            "suppress": self.suppress,
            "timeout": self.timeout.map(engine::seconds),
            "memory_limit": self.memory.bytes().map(engine::memory::show_size),
            "backcast": self.backcast,
        });
        if let Some(map) = asked.as_object_mut() {
            if let Some(year) = o.calendar {
                map.insert("calendar".into(), year.name().into());
            }
            if !o.tables.is_empty() {
                let tables: BTreeMap<String, String> =
                    o.tables.iter().map(|(name, t)| (name.clone(), t.described())).collect();
                map.insert("tables".into(), serde_json::json!(tables));
            }
            map.extend(extra);
        }
        asked
    }

    /// The manifest of `book`: its inputs hashed, and what it was `asked`.
    pub fn manifest(&self, book: &Book, asked: serde_json::Value) -> Result<engine::manifest::Manifest, String> {
        let out = &book.output;
        engine::manifest::build(&self.files, &out.bindings, &out.load, out.as_of, asked)
            .map_err(|e| format!("reading the inputs for the manifest: {e}"))
    }

    /// The SPC charts the HTML book draws under its tables: a second run of the plans over the
    /// months `[spc]` asks for, where the book ran; none for a book of whole years or from the
    /// warehouse script. When they cannot be drawn, none and a warning saying why.
    pub async fn charts(&self, book: &Book) -> (Vec<crate::spc::SpcRow>, Option<String>) {
        if !matches!(self.engine, Engine::Plans(_)) || book.options.years.is_some() {
            return (Vec::new(), None);
        }
        // Timed as one stage, not as a second run's stages.
        let run = RunOptions { timings: Default::default(), ..book.options.clone() };
        let start = std::time::Instant::now();
        let drawn = crate::spc::for_the_book(&self.project, self.config.as_ref(), run, self.suppress).await;
        book.options.timings.record("SPC charts (the last 24 months, run again)", start);
        drawn
    }

    /// The SPC charts of `request`'s measures over the months `options` asks for, with the
    /// run's warnings and as-of date (`scorebook spc`).
    pub async fn spc(
        &self,
        request: Request,
        options: &crate::spc::SpcOptions,
    ) -> Result<(Vec<crate::spc::SpcRow>, Vec<String>, NaiveDate), RunError> {
        let run = self.options(request);
        crate::spc::charts(&self.project, self.config.as_ref(), run, options, self.suppress).await
    }

    /// The settings every run and test of the session reads: scorebook.toml's (else the
    /// defaults), with the session's memory.
    pub fn settings(&self) -> Result<Settings, RunError> {
        Ok(Settings { memory: self.memory.clone(), ..Settings::resolve(&self.project, self.config.as_ref())? })
    }

    /// The project's test blocks whose name holds `filter` (all without one), each run over its
    /// given rows with the session's settings.
    pub async fn test(&self, filter: Option<&str>) -> Result<Vec<crate::testing::Outcome>, RunError> {
        Ok(crate::testing::run_all(&self.project, &self.settings()?, filter).await)
    }

    /// The rows behind the figure of `request`'s one measure in the period labelled `period`
    /// (`2013-09`, `2013-14 Q2`), with every value its definition read (`scorebook drill`).
    pub async fn drill(
        &self,
        request: Request,
        period: &str,
    ) -> Result<Vec<datafusion::arrow::record_batch::RecordBatch>, RunError> {
        let options = self.options(request);
        engine::drill(&self.project, self.config.as_ref(), &options, period, &self.files).await
    }

    /// The catalogue's pages: the tests run for what covers each measure, and with `data`, the
    /// book it asks for (each measure's latest value, withheld as the session's disclosure
    /// control says).
    pub async fn catalogue(&self, data: Option<Request>) -> Result<Vec<crate::catalogue::Page>, RunError> {
        let settings = self.settings()?;
        let tests = crate::testing::run_all(&self.project, &settings, None).await;
        let rows = match data {
            Some(request) => self.run(request).await?.output.rows,
            None => Vec::new(),
        };
        Ok(crate::catalogue::pages(&crate::catalogue::Catalogue {
            project: &self.project,
            files: &self.files,
            tests: &tests,
            rows: &rows,
            suppress: self.suppress,
            confidence: settings.judging.confidence,
            amber_within_percent: settings.judging.default_rag.amber_within_percent,
        }))
    }

    /// The book's plans for `request` (its as-of date, else scorebook.toml's, else today; its
    /// measures; its reporting year) as `listing` shows them, in `dialect`, the session's
    /// schema naming the source tables (`scorebook compile`).
    pub fn compile(&self, listing: Listing, dialect: Dialect, request: &Request) -> Result<String, RunError> {
        self.scripted(dialect, request, |script| {
            warehouse::listing(&self.project, self.config.as_ref(), listing, script)
        })
    }

    /// The book's plans for `request` themselves, as [`Session::compile`] lists them (what
    /// `compile --emit substrait` serialises).
    pub fn plans(&self, dialect: Dialect, request: &Request) -> Result<crate::compile::BookPlan, RunError> {
        self.scripted(dialect, request, |script| warehouse::declared_book(&self.project, self.config.as_ref(), script))
    }

    fn scripted<T>(
        &self,
        dialect: Dialect,
        request: &Request,
        then: impl FnOnce(&ScriptRequest<'_>) -> Result<T, RunError>,
    ) -> Result<T, RunError> {
        let as_of = engine::as_of_or_today(request.as_of, self.config.as_ref())?;
        let chosen = engine::chosen_measures(&self.project, &request.measures)?;
        then(&ScriptRequest {
            as_of,
            chosen: chosen.as_deref(),
            dialect,
            schema: self.schema.as_deref(),
            calendar: request.calendar,
        })
    }

    /// `book` in `format`, as `scorebook run` writes it: JSON with its `manifest`, HTML with
    /// its `charts`, the terminal table in `colour` or not.
    pub fn render(
        &self,
        book: &Book,
        format: OutputFormat,
        manifest: Option<&engine::manifest::Manifest>,
        charts: Vec<crate::spc::SpcRow>,
        colour: bool,
    ) -> Result<Rendered, String> {
        let context = output::Context {
            project: &self.project,
            heading: output::heading(self.config.as_ref(), &self.paths),
            manifest,
            charts,
            colour,
        };
        output::render(format, &book.output, context)
    }
}

/// Both revisions' books of `request`, each computed by a session of its rules (read from
/// `paths`) under `config`, and what each measure's values did between them (`scorebook diff
/// --data`).
pub async fn compare_values(
    paths: &[PathBuf],
    config: Option<&Config>,
    (base, head): (&crate::diff::Revision, &crate::diff::Revision),
    request: Request,
    diffs: &mut [crate::diff::MeasureDiff],
) -> Result<(), RunError> {
    let opened = |rev: &crate::diff::Revision| {
        Session::open(paths.to_vec(), rev.files.clone(), rev.project.clone(), config.cloned(), Overrides::default())
    };
    let old = opened(base)?.run(request.clone()).await?;
    let new = opened(head)?.run(request).await?;
    crate::diff::compare_values(diffs, &old.output.rows, &new.output.rows);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(overrides: Overrides) -> Session {
        let paths = vec![PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))];
        let (files, checked) = crate::project::check_paths(&paths).unwrap();
        Session::open(paths, files, checked.project.unwrap(), None, overrides).unwrap()
    }

    fn edge(measures: &[&str]) -> Request {
        Request {
            as_of: NaiveDate::from_ymd_opt(2013, 9, 30),
            data_dir: Some(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/edge"))),
            measures: measures.iter().map(|m| m.to_string()).collect(),
            ..Request::default()
        }
    }

    #[test]
    fn a_run_is_the_engines_with_the_sessions_disclosure_control() {
        let runtime = crate::engine::runtime().unwrap();
        let plain = session(Overrides::default());
        let suppressed = session(Overrides { suppress: Some(5), ..Overrides::default() });
        let all = runtime.block_on(plain.run(edge(&["1.1a", "2.1a"]))).unwrap();
        let withheld = runtime.block_on(suppressed.run(edge(&["1.1a", "2.1a"]))).unwrap();
        let mut expected = all.output.rows.clone();
        crate::results::suppress(&mut expected, 5.0);
        assert_eq!(withheld.output.rows, expected);
        // The edge fixture's counts are small: some figures are withheld, not all rows.
        let hidden = withheld.output.rows.iter().filter(|r| r.suppressed).count();
        assert!(hidden > 0 && hidden < withheld.output.rows.len(), "{hidden}");
        // The plans ran here, with the session's memory.
        assert_eq!(withheld.options.cluster, crate::engine::Cluster::Local);
    }

    #[test]
    fn the_manifest_records_what_was_asked_once() {
        let s = session(Overrides {
            memory_limit: Some(1 << 30),
            timeout: Some(Duration::from_secs(90)),
            suppress: Some(5),
            ..Overrides::default()
        });
        assert_eq!(s.memory.limit, Some(1 << 30));
        let runtime = crate::engine::runtime().unwrap();
        let book = runtime.block_on(s.run(edge(&["3.2"]))).unwrap();
        let mut extra = serde_json::Map::new();
        extra.insert("format".into(), "csv".into());
        let asked = s.asked(&book, extra);
        let want = serde_json::json!({
            "paths": [concat!(env!("CARGO_MANIFEST_DIR"), "/rules")],
            "data": concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/edge"),
            "measures": ["3.2"],
            "years": null,
            "engine": "local",
            "on_bad_rows": "stop",
            "suppress": 5,
            "timeout": "90s",
            "memory_limit": "1GB",
            "backcast": false,
            "format": "csv",
        });
        assert_eq!(asked, want);
    }
}
