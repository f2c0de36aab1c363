//! Binding sources to files, and loading them as session tables.

use super::{columns, readers};
use crate::config::Config;
use crate::ir::{ColumnType, Project, Source};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use datafusion::prelude::{col, ident, lit, ParquetReadOptions, SessionContext};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File kinds scorebook reads, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Parquet,
    ArrowIpc,
    NdJson,
    Excel,
}

impl FileKind {
    pub const EXTENSIONS: &'static [(&'static str, FileKind)] = &[
        ("csv", FileKind::Csv),
        ("parquet", FileKind::Parquet),
        ("arrow", FileKind::ArrowIpc),
        ("ipc", FileKind::ArrowIpc),
        ("feather", FileKind::ArrowIpc),
        ("ndjson", FileKind::NdJson),
        ("jsonl", FileKind::NdJson),
        ("xlsx", FileKind::Excel),
        ("xls", FileKind::Excel),
        ("ods", FileKind::Excel),
    ];

    pub fn of(path: &Path) -> Option<FileKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        FileKind::EXTENSIONS.iter().find(|(e, _)| *e == ext).map(|(_, k)| *k)
    }
}

/// Where one source's data is.
#[derive(Clone, Debug)]
pub struct Binding {
    pub source: String,
    pub files: Vec<PathBuf>,
    pub sheet: Option<String>,
    /// Rows handed to the run in memory instead of files.
    pub table: Option<InMemory>,
}

/// A source's rows held in memory (a table passed from Python, say), checked against the
/// declaration as a Parquet file's columns are.
#[derive(Clone, Debug)]
pub struct InMemory {
    /// How messages name the table (`tables["children"]`).
    pub label: String,
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

/// A source's data given to a run directly, ahead of `--data` and scorebook.toml.
#[derive(Clone, Debug)]
pub enum Supplied {
    /// A file, a directory of files, or a glob.
    Path(PathBuf),
    Table(InMemory),
}

impl Supplied {
    /// What was given, as a run's manifest records it: the path, or `N rows in memory`.
    pub fn described(&self) -> String {
        match self {
            Supplied::Path(p) => p.display().to_string(),
            Supplied::Table(t) => format!("{} rows in memory", t.batches.iter().map(|b| b.num_rows()).sum::<usize>()),
        }
    }
}

/// A row that could not be read, and why (never the row's other values).
#[derive(Clone, Debug, Serialize)]
pub struct BadRow {
    pub line: u64,
    pub column: String,
    pub problem: String,
}

/// What reading one file found.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    pub path: String,
    pub rows: u64,
    pub bad_rows: u64,
    pub first_bad: Vec<BadRow>,
    /// Declared optional columns the file lacks and no measure reads: read as missing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub absent_columns: Vec<String>,
}

impl FileReport {
    pub fn new(path: &Path) -> Self {
        FileReport {
            path: path.display().to_string(),
            rows: 0,
            bad_rows: 0,
            first_bad: Vec::new(),
            absent_columns: Vec::new(),
        }
    }
}

/// A declared column that a file does not provide as declared.
#[derive(Clone, Debug, Serialize)]
pub struct SchemaProblem {
    pub file: String,
    pub column: String,
    pub expected: String,
    pub found: String,
}

#[derive(Debug)]
pub enum DataError {
    NoData { source: String, looked_for: Vec<PathBuf> },
    NoFiles { source: String, path: String },
    Io { path: String, error: std::io::Error },
    Empty { path: String },
    Malformed { path: String, line: u64, message: String },
    Schema(Vec<SchemaProblem>),
    BadRows(Box<FileReport>),
    DuplicateKeys { source: String, columns: Vec<String>, count: u64 },
    Engine(datafusion::error::DataFusionError),
}

impl DataError {
    pub fn io(path: &Path, error: std::io::Error) -> Self {
        DataError::Io { path: path.display().to_string(), error }
    }

    pub fn csv(path: &Path, e: csv::Error) -> Self {
        let line = e.position().map_or(0, |p| p.line());
        let message = match e.kind() {
            csv::ErrorKind::Utf8 { err, .. } => {
                format!("field {} is not UTF-8 text; save the file as UTF-8 (CSV UTF-8 in Excel)", err.field() + 1)
            }
            _ => e.to_string(),
        };
        DataError::Malformed { path: path.display().to_string(), line, message }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::NoData { source, looked_for } => {
                write!(f, "no data for source `{source}`: looked for ")?;
                let shown: Vec<String> = looked_for.iter().map(|p| p.display().to_string()).collect();
                write!(f, "{}", shown.join(", "))?;
                write!(f, "\n  help: pass --data DIR holding {source}.csv (or .parquet), or bind it in scorebook.toml under [sources.{source}]")
            }
            DataError::NoFiles { source, path } => {
                write!(f, "no data files for source `{source}` at {path}\n  help: the path is a file, a directory of .csv/.parquet files, or a glob")
            }
            DataError::Io { path, error } => write!(f, "{path}: {error}"),
            DataError::Empty { path } => write!(f, "{path}: the file is empty; it needs at least a header row"),
            DataError::Malformed { path, line, message } => {
                if *line > 0 {
                    write!(f, "{path}:{line}: {message}")
                } else {
                    write!(f, "{path}: {message}")
                }
            }
            DataError::Schema(problems) => {
                writeln!(f, "the data does not match the source declarations ({} problem{}):", problems.len(), if problems.len() == 1 { "" } else { "s" })?;
                for p in problems {
                    writeln!(f, "  {}: column `{}`: expected {}, found {}", p.file, p.column, p.expected, p.found)?;
                }
                write!(f, "  help: rename the columns in the file, or declare their headers with `from \"Header\"` in the source")
            }
            DataError::BadRows(r) => {
                writeln!(f, "{}: {} row{} cannot be read:", r.path, r.bad_rows, if r.bad_rows == 1 { "" } else { "s" })?;
                for b in &r.first_bad {
                    writeln!(f, "  line {}, column `{}`: {}", b.line, b.column, b.problem)?;
                }
                if r.bad_rows > r.first_bad.len() as u64 {
                    writeln!(f, "  ... and {} more", r.bad_rows - r.first_bad.len() as u64)?;
                }
                write!(f, "  help: correct the file, or pass --on-bad-rows skip to leave these rows out (they are counted in the output)")
            }
            DataError::DuplicateKeys { source, columns, count } => write!(
                f,
                "source `{source}`: {count} value{} of the key ({}) {} on more than one row\n  help: each row needs its own key; remove the duplicated rows from the export",
                if *count == 1 { "" } else { "s" },
                columns.join(", "),
                if *count == 1 { "appears" } else { "appear" }
            ),
            DataError::Engine(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DataError {}

impl From<datafusion::error::DataFusionError> for DataError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        DataError::Engine(e)
    }
}

/// Files for a path that is a file, a directory of data files, or a glob.
fn expand(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && FileKind::of(p).is_some())
            .collect();
        files.sort();
        return files;
    }
    let mut files: Vec<PathBuf> =
        glob::glob(&path.display().to_string()).into_iter().flatten().flatten().filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// Where each source's data is: what the run was given, then `--data DIR`, then
/// `[sources.NAME]`, then `[data] dir`.
pub fn bind(
    sources: &[&Source],
    config: Option<&Config>,
    data_dir: Option<&Path>,
    supplied: &BTreeMap<String, Supplied>,
) -> Result<Vec<Binding>, DataError> {
    let mut out = Vec::new();
    for s in sources {
        match supplied.get(&s.name) {
            Some(Supplied::Table(t)) => {
                out.push(Binding { source: s.name.clone(), files: Vec::new(), sheet: None, table: Some(t.clone()) });
                continue;
            }
            Some(Supplied::Path(path)) => {
                let files = expand(path);
                if files.is_empty() {
                    return Err(DataError::NoFiles { source: s.name.clone(), path: path.display().to_string() });
                }
                out.push(Binding { source: s.name.clone(), files, sheet: None, table: None });
                continue;
            }
            None => {}
        }
        let mut looked_for = Vec::new();
        // DIR/NAME.csv (or another known extension), else a directory DIR/NAME/ of such files
        // (a source split by authority or year).
        let mut in_dir = |dir: &Path| -> Option<Vec<PathBuf>> {
            let file = FileKind::EXTENSIONS.iter().map(|(ext, _)| dir.join(format!("{}.{ext}", s.name))).find(|p| {
                looked_for.push(p.clone());
                p.is_file()
            });
            file.map(|f| vec![f]).or_else(|| Some(expand(&dir.join(&s.name))).filter(|files| !files.is_empty()))
        };
        if let Some(files) = data_dir.and_then(&mut in_dir) {
            out.push(Binding { source: s.name.clone(), files, sheet: None, table: None });
            continue;
        }
        if let Some((c, b)) = config.and_then(|c| c.sources.get(&s.name).map(|b| (c, b))) {
            let path = c.resolve(&b.path);
            let files = expand(&path);
            if files.is_empty() {
                return Err(DataError::NoFiles { source: s.name.clone(), path: path.display().to_string() });
            }
            out.push(Binding { source: s.name.clone(), files, sheet: b.sheet.clone(), table: None });
            continue;
        }
        let config_dir = config.and_then(|c| c.data.dir.as_ref().map(|d| c.resolve(d)));
        if let Some(files) = config_dir.as_deref().and_then(&mut in_dir) {
            out.push(Binding { source: s.name.clone(), files, sheet: None, table: None });
            continue;
        }
        if looked_for.is_empty() {
            looked_for.push(PathBuf::from(format!("{}.csv", s.name)));
        }
        looked_for.truncate(2);
        return Err(DataError::NoData { source: s.name.clone(), looked_for });
    }
    Ok(out)
}

/// The sources the given measures (indices into the project) and their populations read:
/// the tables holding data (a subset reads the table it is taken from).
pub fn sources_used(project: &Project, measures: &[usize]) -> Vec<String> {
    let mut names = BTreeSet::new();
    for m in measures.iter().flat_map(|&i| project.measures[i].every_version()) {
        if let Some(rows) = m.definition.rows() {
            names.insert(rows.source.clone());
            if let Some(s) = project.source(&rows.source) {
                names.extend(s.lookups.iter().map(|l| l.source.clone()));
            }
            for e in rows.filters.iter().chain(&rows.exclusions) {
                collect_exists_sources(e, &mut names);
            }
            if let crate::ir::Selection::EventIn(date) = &rows.selection {
                collect_exists_sources(date, &mut names);
            }
            // A subset's filters (and its parents') may read lookups of lookups.
            let mut at = project.source(&rows.source);
            while let Some(subset) = at.and_then(|s| s.subset.as_ref()) {
                for e in subset.filters.iter().chain(&subset.exclusions) {
                    collect_exists_sources(e, &mut names);
                }
                at = project.source(&subset.parent);
            }
        }
        for b in &m.breakdowns {
            collect_exists_sources(&b.expr, &mut names);
        }
        if let Some(p) = &m.benchmarks.published {
            names.insert(p.source.clone());
            if let Some(pop) = p.per.as_ref().and_then(|(_, name)| project.population(name)) {
                names.insert(pop.source.clone());
            }
        }
        match &m.definition {
            crate::ir::Definition::Proportion { numerator, .. } => collect_exists_sources(numerator, &mut names),
            crate::ir::Definition::Aggregate { expr, .. } => collect_exists_sources(expr, &mut names),
            crate::ir::Definition::SumRatio { numerator, denominator, meets, .. } => {
                for e in [numerator, denominator].into_iter().chain(meets) {
                    collect_exists_sources(e, &mut names);
                }
            }
            crate::ir::Definition::Rate { population, summed, standardised, .. } => {
                if let Some(p) = project.population(population) {
                    names.insert(p.source.clone());
                }
                if let Some(crate::ir::Standardised::Indirect(x)) = standardised {
                    if let Some(r) = project.reference(&x.reference) {
                        names.insert(r.source.clone());
                    }
                }
                if let Some(expr) = summed {
                    collect_exists_sources(expr, &mut names);
                }
            }
            _ => {}
        }
    }
    let tables: BTreeSet<&str> = names.iter().map(|n| project.table_of(n)).collect();
    project.sources.iter().filter(|s| tables.contains(s.name.as_str())).map(|s| s.name.clone()).collect()
}

/// Per source, the declared optional columns that nothing in the project reads: a file may
/// lack them (they are read as missing, with a warning). A column counts as read when any
/// measure, breakdown, subset, population or lookup of the project names a column of that
/// name, or the source holds published benchmarks (read by their layout). A population reads
/// `year`, `population` and what its filter names; its `area_code` may be left out of a file
/// of one area.
pub fn unread_optional_columns(project: &Project) -> BTreeMap<String, BTreeSet<String>> {
    let mut named: BTreeSet<&str> = BTreeSet::new();
    let mut exprs: Vec<&crate::ir::Expr> = Vec::new();
    let mut whole: BTreeSet<&str> = BTreeSet::new();
    for m in project.measures.iter().flat_map(crate::ir::Measure::every_version) {
        if let Some(rows) = m.definition.rows() {
            exprs.extend(rows.filters.iter().chain(&rows.exclusions));
            match &rows.selection {
                crate::ir::Selection::All => {}
                crate::ir::Selection::EventIn(date) => exprs.push(date),
                crate::ir::Selection::LatestSnapshot(c) => {
                    named.insert(c);
                }
                crate::ir::Selection::OpenAtEnd { start, end } | crate::ir::Selection::OpenDuring { start, end } => {
                    named.extend([start.as_str(), end.as_str()]);
                }
            }
        }
        named.extend(m.definition.entity());
        match &m.definition {
            crate::ir::Definition::Count { .. } => {}
            crate::ir::Definition::Proportion { numerator, .. } => exprs.push(numerator),
            crate::ir::Definition::Rate { summed, standardised, .. } => {
                exprs.extend(summed);
                match standardised {
                    Some(crate::ir::Standardised::Direct(st)) => exprs.push(&st.by),
                    Some(crate::ir::Standardised::Indirect(_)) | None => {}
                }
                if standardised.is_some() {
                    named.insert(crate::ir::AGE_GROUP);
                }
            }
            crate::ir::Definition::Aggregate { expr, .. } | crate::ir::Definition::Derived { expr } => exprs.push(expr),
            crate::ir::Definition::SumRatio { numerator, denominator, meets, .. } => {
                exprs.extend([numerator, denominator]);
                exprs.extend(meets);
            }
        }
        exprs.extend(m.breakdowns.iter().map(|b| &b.expr));
        if let Some(p) = &m.benchmarks.published {
            whole.insert(&p.source);
        }
    }
    for p in &project.populations {
        named.extend(["year", "population"]);
        exprs.extend(&p.filter);
    }
    for r in &project.references {
        named.extend(["year", crate::ir::AGE_GROUP, "events", "population"]);
        exprs.extend(&r.filter);
    }
    for s in &project.sources {
        named.extend(s.spans.iter().flat_map(|(a, b)| [a.as_str(), b.as_str()]));
        named.extend(s.snapshot.as_deref());
        for l in &s.lookups {
            named.extend([l.by.as_str(), l.key.as_str()]);
        }
        for a in &s.adjacent {
            named.extend([a.by.as_str(), a.order.as_str()]);
        }
        if let Some(subset) = &s.subset {
            exprs.extend(subset.filters.iter().chain(&subset.exclusions));
        }
    }
    for e in exprs {
        e.walk(&mut |x| {
            if let crate::ir::ExprKind::Column { name, .. }
            | crate::ir::ExprKind::LookupColumn { name, .. }
            | crate::ir::ExprKind::AdjacentColumn { name, .. } = &x.kind
            {
                named.insert(name);
            }
        });
    }
    project
        .sources
        .iter()
        .filter(|s| s.subset.is_none() && !whole.contains(s.name.as_str()))
        .map(|s| {
            let unread = s
                .columns
                .iter()
                .filter(|c| c.optional && !c.key && !named.contains(c.name.as_str()))
                .map(|c| c.name.clone())
                .collect();
            (s.name.clone(), unread)
        })
        .collect()
}

/// Sources that `exists`, aggregates over related rows and lookups (through lookups) read in
/// an expression.
fn collect_exists_sources(e: &crate::ir::Expr, out: &mut BTreeSet<String>) {
    e.walk(&mut |x| match &x.kind {
        crate::ir::ExprKind::Exists { source, .. } | crate::ir::ExprKind::Related { source, .. } => {
            out.insert(source.clone());
        }
        crate::ir::ExprKind::LookupColumn { path, .. } => out.extend(path.iter().cloned()),
        _ => {}
    });
}

/// What loading found, for the manifest and for warnings.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LoadReport {
    pub files: Vec<FileReport>,
}

impl LoadReport {
    /// What reading found that the user should hear of: files with no rows, and bad rows
    /// left out.
    pub fn warnings(&self) -> Vec<String> {
        let empty = self
            .files
            .iter()
            .filter(|f| f.rows == 0 && f.bad_rows == 0)
            .map(|f| format!("{}: a header and no rows, so every figure from it is zero or missing", f.path));
        let bad =
            self.files.iter().filter(|f| f.bad_rows > 0).map(|f| {
                format!("{}: {} bad row{} left out", f.path, f.bad_rows, if f.bad_rows == 1 { "" } else { "s" })
            });
        empty.chain(bad).collect()
    }
}

/// Does a file's Arrow type carry a declared type without loss?
fn compatible(declared: ColumnType, found: &DataType) -> bool {
    use DataType::*;
    match declared {
        ColumnType::Text => matches!(found, Utf8 | LargeUtf8 | Utf8View | Dictionary(..)),
        ColumnType::Int => matches!(found, Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32),
        ColumnType::Decimal => {
            matches!(
                found,
                Float16
                    | Float32
                    | Float64
                    | Decimal128(..)
                    | Decimal256(..)
                    | Int8
                    | Int16
                    | Int32
                    | Int64
                    | UInt8
                    | UInt16
                    | UInt32
                    | UInt64
            )
        }
        ColumnType::Bool => matches!(found, Boolean),
        ColumnType::Date => matches!(found, Date32 | Date64 | Timestamp(..)),
        // A timestamp with a time zone is read as the clock time in UTC.
        ColumnType::DateTime => matches!(found, Date32 | Date64 | Timestamp(..)),
    }
}

/// Registers a columnar file set (Parquet or Arrow IPC), or a table held in memory, as a view
/// with the declared names and types.
async fn register_columnar(
    ctx: &SessionContext,
    source: &Source,
    binding: &Binding,
    kind: FileKind,
    may_lack: &BTreeSet<String>,
) -> Result<FileReport, DataError> {
    let paths: Vec<String> = binding.files.iter().map(|p| p.display().to_string()).collect();
    let (df, shown) = match (&binding.table, kind) {
        (Some(t), _) => {
            let table = MemTable::try_new(t.schema.clone(), vec![t.batches.clone()])?;
            (ctx.read_table(Arc::new(table))?, t.label.clone())
        }
        (None, FileKind::Parquet) => {
            (ctx.read_parquet(paths.clone(), ParquetReadOptions::default()).await?, paths.join(", "))
        }
        (None, _) => (ctx.read_arrow(paths.clone(), Default::default()).await?, paths.join(", ")),
    };
    let schema = df.schema().clone();
    let mut problems = Vec::new();
    let mut select = Vec::new();
    let mut absent_columns = Vec::new();
    for c in &source.columns {
        let wanted = c.header.as_deref().unwrap_or(&c.name);
        let field = schema
            .fields()
            .iter()
            .find(|f| f.name() == wanted)
            .or_else(|| schema.fields().iter().find(|f| *f.name() == c.name));
        match field {
            None if may_lack.contains(&c.name) => {
                absent_columns.push(c.name.clone());
                select
                    .push(datafusion::prelude::cast(lit(ScalarValue::Null), columns::arrow_type(c.ty)).alias(&c.name));
            }
            None => problems.push(SchemaProblem {
                file: shown.clone(),
                column: c.name.clone(),
                expected: format!("a column named `{wanted}` ({})", c.ty.name()),
                found: "no such column".into(),
            }),
            Some(f) if !compatible(c.ty, f.data_type()) => problems.push(SchemaProblem {
                file: shown.clone(),
                column: c.name.clone(),
                expected: c.ty.name().to_string(),
                found: f.data_type().to_string(),
            }),
            Some(f) => {
                let target = columns::arrow_type(c.ty);
                let e = ident(f.name());
                let e = if *f.data_type() == target { e } else { datafusion::prelude::cast(e, target) };
                select.push(e.alias(&c.name));
            }
        }
    }
    if !problems.is_empty() {
        return Err(DataError::Schema(problems));
    }
    let view = df.select(select)?;
    let rows = view.clone().count().await? as u64;
    ctx.register_table(source.name.as_str(), view.into_view())?;
    Ok(FileReport { path: shown, rows, bad_rows: 0, first_bad: Vec::new(), absent_columns })
}

/// Options for reading data.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Leave out rows that cannot be read (counted in the report) instead of stopping.
    pub skip_bad_rows: bool,
    /// Where each source's reading and key check are timed.
    pub timings: crate::timings::Timings,
}

/// Reads every bound source into the session. Schema problems of all files are reported together.
pub async fn load(
    ctx: &SessionContext,
    project: &Project,
    bindings: &[Binding],
    options: LoadOptions,
) -> Result<LoadReport, DataError> {
    let mut report = LoadReport::default();
    let mut schema_problems = Vec::new();
    let unread = unread_optional_columns(project);
    let may_lack = |source: &Source| unread.get(&source.name).cloned().unwrap_or_default();
    let columnar = |binding: &Binding| {
        let kind = binding.files.first().and_then(|f| FileKind::of(f)).unwrap_or(FileKind::Csv);
        (binding.table.is_some() || matches!(kind, FileKind::Parquet | FileKind::ArrowIpc)).then_some(kind)
    };
    // Row-oriented files are parsed here, side by side; columnar ones are read by the plans.
    let mut jobs = Vec::new();
    for binding in bindings.iter().filter(|b| columnar(b).is_none()) {
        let source = project.source(&binding.source).expect("bindings are made for declared sources");
        let reading = readers::Reading { skip_bad_rows: options.skip_bad_rows, may_lack: may_lack(source) };
        for file in &binding.files {
            jobs.push(ReadJob { source, file, sheet: binding.sheet.as_deref(), reading: reading.clone() });
        }
    }
    let start = std::time::Instant::now();
    let mut parsed = read_side_by_side(&jobs).into_iter();
    if !jobs.is_empty() {
        options.timings.record("read CSV, side by side", start);
    }
    for binding in bindings {
        let source = project.source(&binding.source).expect("bindings are made for declared sources");
        let start = std::time::Instant::now();
        if let Some(kind) = columnar(binding) {
            match register_columnar(ctx, source, binding, kind, &may_lack(source)).await {
                Ok(r) => report.files.push(r),
                Err(DataError::Schema(p)) => schema_problems.extend(p),
                Err(e) => return Err(e),
            }
            options.timings.record(format!("read {}", source.name), start);
            continue;
        }
        let mut batches = Vec::new();
        for _ in &binding.files {
            match parsed.next().expect("one result per file") {
                Ok((b, r)) => {
                    batches.extend(b);
                    report.files.push(r);
                }
                Err(DataError::Schema(p)) => schema_problems.extend(p),
                Err(e) => return Err(e),
            }
        }
        let table = MemTable::try_new(readers::declared_schema(source), vec![batches])?;
        ctx.register_table(source.name.as_str(), Arc::new(table))?;
    }
    if !schema_problems.is_empty() {
        return Err(DataError::Schema(schema_problems));
    }
    // Every source's keys side by side; the first duplicate in the bindings' order is reported.
    let start = std::time::Instant::now();
    let mut checks = tokio::task::JoinSet::new();
    for (i, binding) in bindings.iter().enumerate() {
        let source = project.source(&binding.source).expect("declared").clone();
        let (ctx, timings) = (ctx.clone(), options.timings.clone());
        checks.spawn(async move {
            let start = std::time::Instant::now();
            let checked = check_keys(&ctx, &source).await;
            timings.record_parallel(format!("check keys {}", source.name), start);
            (i, checked)
        });
    }
    let mut checked: Vec<(usize, Result<(), DataError>)> = checks.join_all().await;
    checked.sort_by_key(|(i, _)| *i);
    options.timings.record("check keys, side by side", start);
    for (_, c) in checked {
        c?;
    }
    Ok(report)
}

/// One row-oriented file to parse.
struct ReadJob<'a> {
    source: &'a Source,
    file: &'a Path,
    sheet: Option<&'a str>,
    reading: readers::Reading,
}

impl ReadJob<'_> {
    fn read(&self) -> Result<(Vec<RecordBatch>, FileReport), DataError> {
        match FileKind::of(self.file).unwrap_or(FileKind::Csv) {
            FileKind::NdJson => readers::read_ndjson(self.file, self.source, &self.reading),
            FileKind::Excel => readers::read_excel(self.file, self.sheet, self.source, &self.reading),
            _ => readers::read_csv(self.file, self.source, &self.reading),
        }
    }
}

/// Parses the files on every core, largest first, each file on one thread; the results in
/// the jobs' order, so that errors and reports read as if the files were read one by one.
fn read_side_by_side(jobs: &[ReadJob<'_>]) -> Vec<Result<(Vec<RecordBatch>, FileReport), DataError>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let size = |j: &ReadJob<'_>| std::fs::metadata(j.file).map_or(0, |m| m.len());
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(size(&jobs[i])));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(jobs.len());
    let next = AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<_>>> = jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let read = jobs[i].read();
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(read);
                }
            });
        }
    });
    results.into_iter().map(|r| r.into_inner().unwrap_or_else(|e| e.into_inner()).expect("every job is read")).collect()
}

/// A key identifies a row: the same key on two rows is a data error. The keys are hashed
/// as they stream from the source (64-bit hashes in a set): when no two hashes are equal, no
/// two keys are. Only when two are (a duplicate, or, by a chance of about one in 370,000 at ten
/// million rows, two keys with one hash) is every key counted exactly by a grouped
/// aggregate, which says how many values are duplicated. A source's key check was a third of a
/// run's work as a grouped aggregate over text keys; hashing costs a tenth of that.
async fn check_keys(ctx: &SessionContext, source: &Source) -> Result<(), DataError> {
    let keys: Vec<&str> = source.columns.iter().filter(|c| c.key).map(|c| c.name.as_str()).collect();
    if keys.is_empty() {
        return Ok(());
    }
    let df = ctx.table(source.name.as_str()).await?;
    if hashes_differ(df.clone().select(keys.iter().map(|k| ident(*k)))?).await? {
        return Ok(());
    }
    let group: Vec<_> = keys.iter().map(|k| ident(*k)).collect();
    let dupes = df
        .aggregate(
            group,
            vec![datafusion::functions_aggregate::expr_fn::count(datafusion::prelude::lit(1)).alias("n")],
        )?
        .filter(col("n").gt(datafusion::prelude::lit(1)))?
        .count()
        .await? as u64;
    if dupes > 0 {
        return Err(DataError::DuplicateKeys {
            source: source.name.clone(),
            columns: keys.iter().map(|k| k.to_string()).collect(),
            count: dupes,
        });
    }
    Ok(())
}

/// Whether every row of `keys` hashes differently (missing values hash alike, as a grouped
/// aggregate groups them together).
async fn hashes_differ(keys: datafusion::dataframe::DataFrame) -> Result<bool, DataError> {
    use datafusion::common::hash_utils::{create_hashes, QualityRandomState};
    use futures::StreamExt;
    let state = QualityRandomState::with_seed(0);
    let mut seen: std::collections::HashSet<u64, std::hash::BuildHasherDefault<Mixed>> = Default::default();
    let mut hashes = Vec::new();
    let mut stream = keys.execute_stream().await?;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        hashes.clear();
        hashes.resize(batch.num_rows(), 0);
        create_hashes(batch.columns(), &state, &mut hashes)?;
        seen.reserve(hashes.len());
        if !hashes.iter().all(|h| seen.insert(*h)) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A hasher for values that are hashes already: the value is its own hash.
#[derive(Default)]
struct Mixed(u64);

impl std::hash::Hasher for Mixed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Column;
    use datafusion::arrow::array::StringArray;

    fn text_key(name: &str) -> Column {
        Column {
            name: name.into(),
            ty: ColumnType::Text,
            optional: true,
            key: true,
            header: None,
            date_format: None,
            missing_codes: Vec::new(),
            value_map: Vec::new(),
            span: Default::default(),
        }
    }

    /// `check_keys` over a source `t` whose key columns hold `columns`.
    async fn checked(columns: &[(&str, Vec<Option<&str>>)]) -> Result<(), DataError> {
        let source = Source {
            name: "t".into(),
            description: None,
            columns: columns.iter().map(|(name, _)| text_key(name)).collect(),
            spans: None,
            snapshot: None,
            lookups: Vec::new(),
            named: Vec::new(),
            adjacent: Vec::new(),
            subset: None,
            span: Default::default(),
        };
        let arrays = columns
            .iter()
            .map(|(_, values)| Arc::new(StringArray::from(values.clone())) as datafusion::arrow::array::ArrayRef)
            .collect();
        let batch = RecordBatch::try_new(readers::declared_schema(&source), arrays).unwrap();
        let ctx = SessionContext::new();
        ctx.register_batch("t", batch).unwrap();
        check_keys(&ctx, &source).await
    }

    fn duplicated(result: Result<(), DataError>) -> Option<u64> {
        match result {
            Ok(()) => None,
            Err(DataError::DuplicateKeys { count, .. }) => Some(count),
            Err(e) => panic!("{e}"),
        }
    }

    #[tokio::test]
    async fn keys_are_checked_exactly_whichever_way_their_hashes_fall() {
        assert_eq!(duplicated(checked(&[("id", vec![Some("a"), Some("b"), Some("c")])]).await), None);
        // Two values each on two rows (one three times): two duplicated values.
        let ids = vec![Some("a"), Some("b"), Some("a"), Some("c"), Some("b"), Some("b")];
        assert_eq!(duplicated(checked(&[("id", ids)]).await), Some(2));
        // Two rows without a key share the missing value, as a grouped aggregate counts them.
        assert_eq!(duplicated(checked(&[("id", vec![None, Some("a"), None])]).await), Some(1));
        // A key of two columns: each column repeats, no pair does.
        let pairs = [("la", vec![Some("x"), Some("x"), Some("y")]), ("id", vec![Some("1"), Some("2"), Some("1")])];
        assert_eq!(duplicated(checked(&pairs).await), None);
        let pairs = [("la", vec![Some("x"), Some("y"), Some("x")]), ("id", vec![Some("1"), Some("1"), Some("1")])];
        assert_eq!(duplicated(checked(&pairs).await), Some(1));
    }
}
