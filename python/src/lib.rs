//! `scorebook._scorebook`: the Python binding over the scorebook library. It converts
//! arguments, results and errors and does nothing else: every check, plan and output is the
//! library's, so a book computed here is the command line's to the byte.

use datafusion::arrow::array::{RecordBatch, RecordBatchIterator, RecordBatchReader};
use datafusion::arrow::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use pyo3::exceptions::{PyKeyboardInterrupt, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyList, PyString};
use scorebook::config::Config;
use scorebook::data::{DataError as LoadFailure, InMemory, Supplied};
use scorebook::diagnostics::render;
use scorebook::engine::{self, RunError as Failure};
use scorebook::output::OutputFormat;
use scorebook::session::{Overrides, Request, Session};
use scorebook::span::SourceMap;
use std::collections::BTreeMap;
use std::ffi::CStr;
use std::path::PathBuf;
use std::sync::OnceLock;

pyo3::create_exception!(
    _scorebook,
    Error,
    pyo3::exceptions::PyException,
    "Something scorebook was asked to do could not be done; the message says why and what to do. \
     `reason` and `help` hold the two apart where the failure is the caller's to act on (each None \
     otherwise)."
);
pyo3::create_exception!(
    _scorebook,
    CheckError,
    Error,
    "The rules have errors. `diagnostics` holds them (code, file, line, column, message, help)."
);
pyo3::create_exception!(
    _scorebook,
    DataError,
    Error,
    "The data does not match the rules' source declarations, or cannot be read. `file`, `column`, \
     `line` and `source` say where (each None when it does not apply); `problems` lists every \
     column that does not match."
);

const STREAM: &CStr = c"arrow_array_stream";

/// One runtime for every call, its threads sized for a book's plans.
fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(r) = RUNTIME.get() {
        return Ok(r);
    }
    let built = engine::runtime().map_err(|e| Error::new_err(format!("starting the engine's threads: {e}")))?;
    Ok(RUNTIME.get_or_init(|| built))
}

/// Runs engine work without the GIL; Ctrl-C (any pending Python signal) stops it.
fn without_gil<T: Send>(py: Python<'_>, work: impl std::future::Future<Output = T> + Send) -> PyResult<T> {
    let rt = runtime()?;
    py.detach(|| {
        rt.block_on(async {
            tokio::pin!(work);
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
            loop {
                tokio::select! {
                    done = &mut work => return Ok(done),
                    _ = tick.tick() => Python::attach(|py| py.check_signals())?,
                }
            }
        })
    })
    .map_err(|e: PyErr| {
        Python::attach(|py| {
            if e.is_instance_of::<PyKeyboardInterrupt>(py) {
                PyKeyboardInterrupt::new_err("the run was stopped; nothing was written")
            } else {
                e
            }
        })
    })
}

/// `paths`: one path (str or os.PathLike) or a sequence of them.
fn paths_of(obj: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    if let Ok(p) = obj.extract::<PathBuf>() {
        return Ok(vec![p]);
    }
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(|_| PyTypeError::new_err("paths: a path, or a list of paths"))? {
        out.push(item?.extract::<PathBuf>().map_err(|_| PyTypeError::new_err("paths: a path, or a list of paths"))?);
    }
    Ok(out)
}

/// One name or a sequence of names.
fn names_of(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(Vec::new()) };
    if let Ok(s) = obj.extract::<String>() {
        return Ok(vec![s]);
    }
    obj.extract::<Vec<String>>().map_err(|_| PyTypeError::new_err("measures: a ref or name, or a list of them"))
}

/// A date: `YYYY-MM-DD`, or a `datetime.date`.
fn date_of(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<chrono::NaiveDate>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(None) };
    let text = match obj.extract::<String>() {
        Ok(s) => s.trim().to_string(),
        Err(_) if obj.hasattr("year")? && obj.hasattr("month")? && obj.hasattr("day")? => {
            let part = |name: &str| obj.getattr(name).and_then(|v| v.extract::<u32>());
            format!("{:04}-{:02}-{:02}", part("year")?, part("month")?, part("day")?)
        }
        Err(_) => return Err(PyTypeError::new_err(format!("{what}: a date, or text such as 2013-09-30"))),
    };
    scorebook::calendar::parse_date(&text).map(Some).map_err(|e| PyValueError::new_err(format!("{what}: {e}")))
}

/// `calendar`: a reporting year's name, checked as `run --calendar` is.
fn calendar_of(name: Option<&str>) -> PyResult<Option<scorebook::calendar::ReportingYear>> {
    name.map(|n| {
        scorebook::calendar::ReportingYear::parse(n).map_err(|e| PyValueError::new_err(format!("calendar: {e}")))
    })
    .transpose()
}

/// `years`: `(2013, 2025)`, `"2013..2025"`, or one year; checked as `run --years` is.
fn years_of(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<(i32, i32)>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(None) };
    let text = if let Ok(y) = obj.extract::<i32>() {
        y.to_string()
    } else if let Ok((first, last)) = obj.extract::<(i32, i32)>() {
        format!("{first}..{last}")
    } else if let Ok(text) = obj.extract::<String>() {
        text
    } else {
        return Err(PyTypeError::new_err("years: (first, last), \"2013..2025\", or one year"));
    };
    scorebook::calendar::parse_years(&text).map(Some).map_err(|e| PyValueError::new_err(format!("years: {e}")))
}

/// The project file: the path given, else scorebook.toml in the working directory.
fn config_of(path: Option<PathBuf>) -> PyResult<Option<Config>> {
    match path {
        Some(p) => Config::read(&p).map(Some),
        None => Config::discover(),
    }
    .map_err(|e| Error::new_err(e.to_string()))
}

/// A diagnostic: where in which rule file, what is wrong and how to put it right.
#[pyclass(frozen, get_all, module = "scorebook")]
struct Diagnostic {
    /// `SB201`; `scorebook explain SB201` says more.
    code: String,
    /// `error` or `warning`.
    severity: String,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: String,
    help: Option<String>,
    /// The diagnostic as `scorebook check` prints it, with the source lines.
    rendered: String,
}

#[pymethods]
impl Diagnostic {
    fn __str__(&self) -> String {
        self.rendered.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "Diagnostic({} {} at {}:{}:{}: {})",
            self.code, self.severity, self.file, self.line, self.column, self.message
        )
    }
}

fn diagnostics_of(diags: &[scorebook::diagnostics::Diagnostic], files: &SourceMap) -> Vec<Diagnostic> {
    diags
        .iter()
        .map(|d| {
            let j = render::to_json(d, files);
            Diagnostic {
                code: j.code.to_string(),
                severity: if d.is_error() { "error" } else { "warning" }.to_string(),
                file: j.file,
                line: j.line,
                column: j.column,
                end_line: j.end_line,
                end_column: j.end_column,
                message: j.message.to_string(),
                help: j.help.map(str::to_string),
                rendered: render::human(d, files, false),
            }
        })
        .collect()
}

/// The checked project, or `CheckError` carrying the diagnostics.
fn checked(
    py: Python<'_>,
    paths: &[PathBuf],
    profile: Option<&PathBuf>,
) -> PyResult<(SourceMap, scorebook::ir::Project)> {
    let (files, checked) = scorebook::project::check_with_profile(paths, profile.map(PathBuf::as_path))
        .map_err(|e| Error::new_err(e.to_string()))?;
    match checked.project {
        Some(p) => Ok((files, p)),
        None => {
            let diags = diagnostics_of(&checked.diagnostics, &files);
            let errors = diags.iter().filter(|d| d.severity == "error").count();
            let text: String = diags.iter().map(|d| d.rendered.as_str()).collect();
            let err = CheckError::new_err(format!(
                "the rules have {errors} error{}:\n{text}",
                if errors == 1 { "" } else { "s" }
            ));
            let list = PyList::empty(py);
            for d in diags {
                list.append(Py::new(py, d)?)?;
            }
            err.value(py).setattr("diagnostics", list)?;
            Err(err)
        }
    }
}

/// A run's failure as the exception that says most: `DataError` for the data, else `Error`.
fn raised(py: Python<'_>, failure: Failure) -> PyErr {
    let message = failure.to_string();
    let refusal = failure.refusal();
    let Failure::Data(data) = &failure else {
        let err = Error::new_err(message);
        let value = err.value(py);
        let _ = value.setattr("reason", refusal.as_ref().map(|r| r.message.clone()));
        let _ = value.setattr("help", refusal.and_then(|r| r.help));
        return err;
    };
    let err = DataError::new_err(message);
    let _ = err.value(py).setattr("reason", None::<String>);
    let _ = err.value(py).setattr("help", None::<String>);
    let (mut file, mut column, mut line, mut source) = (None::<String>, None::<String>, None::<u64>, None::<String>);
    let problems = PyList::empty(py);
    match data {
        LoadFailure::Schema(found) => {
            for p in found {
                let d = PyDict::new(py);
                let _ = d.set_item("file", &p.file);
                let _ = d.set_item("column", &p.column);
                let _ = d.set_item("expected", &p.expected);
                let _ = d.set_item("found", &p.found);
                let _ = problems.append(d);
            }
            if let Some(p) = found.first() {
                file = Some(p.file.clone());
                column = Some(p.column.clone());
            }
        }
        LoadFailure::BadRows(report) => {
            file = Some(report.path.clone());
            if let Some(b) = report.first_bad.first() {
                line = Some(b.line);
                column = Some(b.column.clone());
            }
        }
        LoadFailure::Malformed { path, line: l, .. } => {
            file = Some(path.clone());
            line = (*l > 0).then_some(*l);
        }
        LoadFailure::Io { path, .. } | LoadFailure::Empty { path } => file = Some(path.clone()),
        LoadFailure::NoData { source: s, .. } | LoadFailure::NoFiles { source: s, .. } => source = Some(s.clone()),
        LoadFailure::DuplicateKeys { source: s, .. } => source = Some(s.clone()),
        LoadFailure::Engine(_) => {}
    }
    let value = err.value(py);
    let _ = value.setattr("file", file);
    let _ = value.setattr("column", column);
    let _ = value.setattr("line", line);
    let _ = value.setattr("source", source);
    let _ = value.setattr("problems", problems);
    err
}

/// Check rule files against their source declarations, reading no data.
///
/// paths: a rule file or a directory searched for `.ind` files, or a list of them.
/// profile: source declarations that replace the project's of the same names.
///
/// Returns every diagnostic, errors and warnings (an empty list when the rules are clean);
/// `str(d)` prints one as `scorebook check` does.
#[pyfunction]
#[pyo3(signature = (paths, *, profile=None))]
fn check(py: Python<'_>, paths: &Bound<'_, PyAny>, profile: Option<PathBuf>) -> PyResult<Vec<Diagnostic>> {
    let paths = paths_of(paths)?;
    let (files, checked) = py
        .detach(|| scorebook::project::check_with_profile(&paths, profile.as_deref()))
        .map_err(|e| Error::new_err(e.to_string()))?;
    Ok(diagnostics_of(&checked.diagnostics, &files))
}

/// One source's data given in `tables`: a path, or any object exporting `__arrow_c_stream__`.
fn supplied(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Supplied> {
    if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
        return Ok(Supplied::Path(obj.extract::<PathBuf>()?));
    }
    if !obj.hasattr("__arrow_c_stream__")? {
        let kind = obj.get_type().name()?;
        return Err(PyTypeError::new_err(format!(
            "tables[{name:?}]: a {kind} is not a table scorebook can read; give an object with `__arrow_c_stream__` \
             (a pyarrow Table, a polars DataFrame, a DuckDB relation; for pandas, pyarrow.Table.from_pandas(df)) or a file path"
        )));
    }
    let capsule = obj.call_method1("__arrow_c_stream__", (obj.py().None(),))?;
    let capsule = capsule.cast::<PyCapsule>().map_err(|_| {
        PyTypeError::new_err(format!("tables[{name:?}]: `__arrow_c_stream__` did not return a PyCapsule"))
    })?;
    let pointer = capsule.pointer_checked(Some(STREAM))?;
    // SAFETY: the capsule holds an `ArrowArrayStream` (checked by its name); `from_raw` moves
    // the stream out and leaves a released one behind for the capsule's destructor.
    let reader = unsafe { ArrowArrayStreamReader::from_raw(pointer.as_ptr().cast::<FFI_ArrowArrayStream>()) }
        .map_err(|e| DataError::new_err(format!("tables[{name:?}]: reading the table's Arrow stream: {e}")))?;
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<RecordBatch>, _>>()
        .map_err(|e| DataError::new_err(format!("tables[{name:?}]: reading the table's Arrow stream: {e}")))?;
    Ok(Supplied::Table(InMemory { label: format!("tables[{name:?}]"), schema, batches }))
}

/// A computed book: the result table, with the performance book laid out from it.
#[pyclass(frozen, module = "scorebook")]
struct Book {
    /// The rules, project file and settings the book was run with.
    session: Session,
    book: scorebook::session::Book,
    /// The options the manifest records.
    asked: serde_json::Value,
}

impl Book {
    fn output(&self) -> &engine::RunOutput {
        &self.book.output
    }

    fn batch(&self) -> RecordBatch {
        scorebook::results::to_batch(&self.output().rows)
    }

    fn built_manifest(&self) -> PyResult<engine::manifest::Manifest> {
        self.session.manifest(&self.book, self.asked.clone()).map_err(Error::new_err)
    }

    /// The output in `format`, as the command line writes it.
    fn rendered(&self, py: Python<'_>, format: OutputFormat) -> PyResult<Vec<u8>> {
        let manifest = if format == OutputFormat::Json { Some(self.built_manifest()?) } else { None };
        // The charts are a second run of the plans, over the last months, where the book ran
        // (as the command line draws them); a book from the warehouse script has none.
        let charts = if format == OutputFormat::Html {
            let (rows, problem) = without_gil(py, self.session.charts(&self.book))?;
            if let Some(p) = problem {
                warn(py, &p)?;
            }
            rows
        } else {
            Vec::new()
        };
        self.session
            .render(&self.book, format, manifest.as_ref(), charts, false)
            .map(|r| r.bytes)
            .map_err(Error::new_err)
    }
}

/// A library imported when a method needs it, or an ImportError saying how to get it.
fn needs<'py>(py: Python<'py>, module: &str, method: &str) -> PyResult<Bound<'py, PyModule>> {
    py.import(module).map_err(|e| {
        pyo3::exceptions::PyImportError::new_err(format!("Book.{method}() needs {module}: pip install {module} ({e})"))
    })
}

/// A Python `UserWarning`.
fn warn(py: Python<'_>, message: &str) -> PyResult<()> {
    let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
    let text = std::ffi::CString::new(message.replace('\0', " ")).expect("no NUL left");
    PyErr::warn(py, &category, &text, 1)
}

/// Turns serde JSON into Python objects (through the json module, so types are plain).
fn python_of<'py>(py: Python<'py>, value: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).map_err(|e| Error::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

#[pymethods]
impl Book {
    /// The result table as an Arrow C stream (the Arrow PyCapsule interface): pyarrow, polars,
    /// DuckDB and others read it without copies.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema; // The table has one schema; consumers cast if they must.
        let batch = self.batch();
        let schema = batch.schema();
        let reader: Box<dyn RecordBatchReader + Send> = Box::new(RecordBatchIterator::new(vec![Ok(batch)], schema));
        PyCapsule::new_with_value(py, FFI_ArrowArrayStream::new(reader), STREAM)
    }

    /// The result table as a pyarrow Table (imports pyarrow).
    fn to_pyarrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        needs(slf.py(), "pyarrow", "to_pyarrow")?.call_method1("table", (slf,))
    }

    /// The result table as a pandas DataFrame (imports pandas; through pyarrow when it is
    /// installed, else from the columns directly: numbers as float64 with NaN for missing,
    /// dates as `datetime.date`).
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let pandas = needs(py, "pandas", "to_pandas")?;
        if py.import("pyarrow").is_ok() {
            return Book::to_pyarrow(slf)?.call_method0("to_pandas");
        }
        use datafusion::arrow::array::{Array, AsArray};
        use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type};
        let date = py.import("datetime")?.getattr("date")?;
        let batch = slf.get().batch();
        let columns = PyDict::new(py);
        for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
            let values = PyList::empty(py);
            match field.data_type() {
                DataType::Float64 => {
                    let a = array.as_primitive::<Float64Type>();
                    for i in 0..a.len() {
                        values.append(if a.is_null(i) { f64::NAN } else { a.value(i) })?;
                    }
                }
                DataType::Date32 => {
                    let a = array.as_primitive::<Date32Type>();
                    for i in 0..a.len() {
                        let day = a.value_as_date(i).map(|d| d.to_string());
                        match day {
                            Some(d) => values.append(date.call_method1("fromisoformat", (d,))?)?,
                            None => values.append(py.None())?,
                        }
                    }
                }
                DataType::Int64 => {
                    let a = array.as_primitive::<Int64Type>();
                    for i in 0..a.len() {
                        values.append((!a.is_null(i)).then(|| a.value(i)))?;
                    }
                }
                DataType::Utf8 => {
                    let a = array.as_string::<i32>();
                    for i in 0..a.len() {
                        values.append((!a.is_null(i)).then(|| a.value(i)))?;
                    }
                }
                other => {
                    let column = field.name();
                    return Err(Error::new_err(format!("column `{column}` of the result table is {other}, which to_pandas() cannot convert without pyarrow; this is a bug in scorebook")));
                }
            }
            columns.set_item(field.name(), values)?;
        }
        pandas.call_method1("DataFrame", (columns,))
    }

    /// The result table as a polars DataFrame (imports polars).
    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        needs(slf.py(), "polars", "to_polars")?.call_method1("DataFrame", (slf,))
    }

    /// The result table's column names, in order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        scorebook::results::COLUMNS.iter().map(|c| c.to_string()).collect()
    }

    fn __len__(&self) -> usize {
        self.output().rows.len()
    }

    fn __repr__(&self) -> String {
        let measures: std::collections::BTreeSet<&str> =
            self.output().rows.iter().map(|r| r.reference.as_str()).collect();
        format!(
            "<scorebook.Book as of {}: {} measures, {} rows>",
            self.output().as_of,
            measures.len(),
            self.output().rows.len()
        )
    }

    /// The book's as-of date.
    #[getter]
    fn as_of<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let d = self.output().as_of;
        use chrono::Datelike;
        py.import("datetime")?.getattr("date")?.call1((d.year(), d.month(), d.day()))
    }

    /// What the run warned about (also issued as Python warnings when the run finished).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.output().warnings.clone()
    }

    /// The data-quality counts of the run, as `run --format json` lists them.
    #[getter]
    fn data_quality<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        python_of(py, &self.output().quality)
    }

    /// What was read from each file or table: rows, bad rows, absent optional columns.
    #[getter]
    fn files<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        python_of(py, &self.output().load.files)
    }

    /// The run's manifest: scorebook's version, the rules' hash, every input file with its
    /// size, rows and SHA-256, the as-of date and the options.
    #[getter]
    fn manifest<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        python_of(py, &self.built_manifest()?)
    }

    /// The performance book as one self-contained HTML page (with SPC charts), as
    /// `scorebook run --format html` writes it.
    fn html(&self, py: Python<'_>) -> PyResult<String> {
        let bytes = self.rendered(py, OutputFormat::Html)?;
        String::from_utf8(bytes).map_err(|e| Error::new_err(e.to_string()))
    }

    /// The output in a format (`csv`, `json`, `table`, `markdown`, `html`) as text.
    #[pyo3(signature = (format="csv"))]
    fn text(&self, py: Python<'_>, format: &str) -> PyResult<String> {
        let format = format_named(format)?;
        if format.is_binary() {
            return Err(PyValueError::new_err(format!("format {:?} is binary: use write()", format.name())));
        }
        String::from_utf8(self.rendered(py, format)?).map_err(|e| Error::new_err(e.to_string()))
    }

    /// Writes the output to `path` atomically (a file already there is replaced whole, or left
    /// as it was); the format is taken from the extension unless given.
    #[pyo3(signature = (path, format=None))]
    fn write(&self, py: Python<'_>, path: PathBuf, format: Option<&str>) -> PyResult<()> {
        let format = match format {
            Some(f) => format_named(f)?,
            None => {
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
                match ext.as_str() {
                    "csv" => OutputFormat::Csv,
                    "json" => OutputFormat::Json,
                    "parquet" => OutputFormat::Parquet,
                    "html" | "htm" => OutputFormat::Html,
                    "xlsx" => OutputFormat::Xlsx,
                    "md" | "markdown" => OutputFormat::Markdown,
                    "txt" => OutputFormat::Table,
                    _ => {
                        return Err(PyValueError::new_err(format!(
                            "{}: give format= (csv, json, parquet, html, xlsx, markdown or table), or a file name ending in one",
                            path.display()
                        )))
                    }
                }
            }
        };
        let bytes = self.rendered(py, format)?;
        py.detach(|| scorebook::fsutil::write_atomically(&path, &bytes))
            .map_err(|e| Error::new_err(scorebook::fsutil::write_failed(&path, &e)))
    }
}

fn format_named(name: &str) -> PyResult<OutputFormat> {
    OutputFormat::named(name).ok_or_else(|| {
        let names: Vec<&str> = OutputFormat::ALL.iter().map(|f| f.name()).collect();
        PyValueError::new_err(format!("format {name:?}: expected one of {}", names.join(", ")))
    })
}

/// Compute the book over data, as `scorebook run` does.
///
/// paths: rule files or directories of them.
/// as_of: the book's as-of date (`"2013-09-30"` or a `datetime.date`); scorebook.toml may
///     give a default.
/// data: a directory holding each source as `<source>.csv` (or .parquet, .arrow, .ndjson, .xlsx).
/// tables: source name -> data, ahead of `data` and scorebook.toml: any object exporting
///     `__arrow_c_stream__` (a pyarrow Table or RecordBatchReader, a polars DataFrame, a DuckDB
///     relation; pandas through `pyarrow.Table.from_pandas`) or a file path. Columns are
///     checked against the declarations as a Parquet file's are.
/// config: the project file (default: scorebook.toml in the working directory, if any).
/// years: whole reporting years instead of one book: `(2013, 2025)` or `"2013..2025"`.
/// calendar: the reporting year, `"financial"`, `"calendar"` or `"academic"` (default:
///     `[calendar] year` in scorebook.toml, else financial).
/// measures: compute only these measures (refs or names).
/// suppress: disclosure control; counts from 1 to N, and figures built on them, withheld.
/// profile: source declarations replacing the project's of the same names.
/// on_bad_rows: `"stop"` (raise DataError naming the rows) or `"skip"` (leave them out).
/// memory_limit: bytes, or a size such as `"2GB"`; beyond it sorts and aggregates spill.
/// timeout: seconds the run may take.
/// engine: where the book is computed: `"local"` (DataFusion over the data), a PostgreSQL URL
///     (`"postgres://analyst@warehouse/social_care"`: the warehouse script over the server's
///     tables, in `schema`), `"ballista://HOST:PORT"` or `"ballista-standalone"` (a build with
///     Ballista).
/// schema: with a PostgreSQL engine, the schema holding the source tables.
/// backcast: compute every period with the latest version of each measure's definition
///     (default: each period with the version in force at its end).
///
/// Returns a `Book`. Raises `CheckError` when the rules have errors, `DataError` when the
/// data does not match them, `Error` otherwise; the run's warnings are issued as
/// `UserWarning`s. The GIL is released while the plans run, and Ctrl-C stops them.
#[pyfunction]
#[pyo3(signature = (paths, *, as_of=None, data=None, tables=None, config=None, years=None, measures=None,
                    suppress=None, profile=None, on_bad_rows="stop", memory_limit=None, timeout=None,
                    engine="local", schema=None, calendar=None, backcast=false))]
#[allow(clippy::too_many_arguments)]
fn run(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    as_of: Option<&Bound<'_, PyAny>>,
    data: Option<PathBuf>,
    tables: Option<&Bound<'_, PyDict>>,
    config: Option<PathBuf>,
    years: Option<&Bound<'_, PyAny>>,
    measures: Option<&Bound<'_, PyAny>>,
    suppress: Option<u32>,
    profile: Option<PathBuf>,
    on_bad_rows: &str,
    memory_limit: Option<&Bound<'_, PyAny>>,
    timeout: Option<f64>,
    engine: &str,
    schema: Option<String>,
    calendar: Option<&str>,
    backcast: bool,
) -> PyResult<Book> {
    let on = engine::Engine::parse(engine).map_err(|e| PyValueError::new_err(format!("engine: {engine:?}: {e}")))?;
    let paths = paths_of(paths)?;
    let (files, project) = checked(py, &paths, profile.as_ref())?;
    let config = config_of(config)?;
    let skip_bad_rows = match on_bad_rows {
        "stop" => false,
        "skip" => true,
        other => return Err(PyValueError::new_err(format!("on_bad_rows: {other:?} is not \"stop\" or \"skip\""))),
    };
    let mut given = BTreeMap::new();
    if let Some(tables) = tables {
        for (name, table) in tables.iter() {
            let name: String = name.extract().map_err(|_| PyTypeError::new_err("tables: keys are source names"))?;
            given.insert(name.clone(), supplied(&name, &table)?);
        }
    }
    let memory_limit = match memory_limit.filter(|m| !m.is_none()) {
        None => None,
        Some(m) => Some(match m.extract::<usize>() {
            Ok(bytes) => bytes,
            Err(_) => engine::memory::parse_size(&m.extract::<String>()?).map_err(PyValueError::new_err)?,
        }),
    };
    let overrides = Overrides {
        engine: on,
        schema,
        memory_limit,
        spill_dir: None,
        timeout: timeout.map(std::time::Duration::from_secs_f64),
        suppress,
        backcast,
    };
    let session = Session::open(paths, files, project, config, overrides).map_err(|e| raised(py, e))?;
    let request = Request {
        as_of: date_of(as_of, "as_of")?,
        data_dir: data,
        tables: given,
        skip_bad_rows,
        measures: names_of(measures)?,
        years: years_of(years)?,
        calendar: calendar_of(calendar)?,
        ..Request::default()
    };
    let book = without_gil(py, session.run(request))?.map_err(|e| raised(py, e))?;
    for w in book.output.warnings.iter().chain(&book.output.load.warnings()) {
        warn(py, w)?;
    }
    let asked = session.asked(&book, serde_json::Map::new());
    Ok(Book { session, book, asked })
}

/// The book's plans as text, as `scorebook compile` prints them.
///
/// emit: `"sql"` (one statement per plan), `"plan"` (DataFusion's logical plans) or
///     `"script"` (one self-contained SQL script to run in a warehouse).
/// dialect: the SQL dialect: datafusion, postgres, mysql, sqlite, duckdb, bigquery, snowflake.
/// as_of: the as-of date the periods are taken from (default: scorebook.toml's, else today).
/// schema: the schema holding the source tables, for a script.
/// measures: compile only these measures (refs or names).
/// calendar: the reporting year, `"financial"`, `"calendar"` or `"academic"`.
#[pyfunction]
#[pyo3(signature = (paths, *, emit="sql", dialect="datafusion", as_of=None, schema=None, measures=None,
                    config=None, profile=None, calendar=None))]
#[allow(clippy::too_many_arguments)]
fn compile(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    emit: &str,
    dialect: &str,
    as_of: Option<&Bound<'_, PyAny>>,
    schema: Option<String>,
    measures: Option<&Bound<'_, PyAny>>,
    config: Option<PathBuf>,
    profile: Option<PathBuf>,
    calendar: Option<&str>,
) -> PyResult<String> {
    use engine::warehouse::Listing;
    let listing = match emit {
        "sql" => Listing::Sql,
        "plan" => Listing::Plan,
        "script" => Listing::Script,
        other => return Err(PyValueError::new_err(format!("emit: {other:?} is not \"sql\", \"plan\" or \"script\""))),
    };
    let dialect = scorebook::compile::sql::Dialect::parse(dialect).ok_or_else(|| {
        let names: Vec<&str> = scorebook::compile::sql::Dialect::ALL.iter().map(|d| d.name()).collect();
        PyValueError::new_err(format!("dialect: {dialect:?} is not one of {}", names.join(", ")))
    })?;
    let paths = paths_of(paths)?;
    let (files, project) = checked(py, &paths, profile.as_ref())?;
    let config = config_of(config)?;
    let overrides = Overrides { schema, ..Overrides::default() };
    let session = Session::open(paths, files, project, config, overrides).map_err(|e| raised(py, e))?;
    // A script or plan for today unless asked for another day, as `scorebook compile`.
    let request = Request {
        as_of: date_of(as_of, "as_of")?,
        measures: names_of(measures)?,
        calendar: calendar_of(calendar)?,
        ..Request::default()
    };
    py.detach(|| session.compile(listing, dialect, &request)).map_err(|e| raised(py, e))
}

/// One test block's outcome.
#[pyclass(frozen, get_all, module = "scorebook")]
struct TestResult {
    name: String,
    file: String,
    line: usize,
    column: usize,
    passed: bool,
    /// Why the test could not run at all, if it could not.
    error: Option<String>,
    /// The expectations that did not hold: dicts of expectation, expected, actual, line, column.
    failures: Py<PyList>,
}

#[pymethods]
impl TestResult {
    fn __repr__(&self) -> String {
        format!(
            "<TestResult {} {} ({}:{})>",
            if self.passed { "PASS" } else { "FAIL" },
            self.name,
            self.file,
            self.line
        )
    }
}

/// The outcome of `scorebook.test`: counts and each test's result.
#[pyclass(frozen, get_all, module = "scorebook")]
struct TestReport {
    passed: usize,
    failed: usize,
    tests: Py<PyList>,
}

#[pymethods]
impl TestReport {
    fn __bool__(&self) -> bool {
        self.failed == 0
    }

    fn __repr__(&self) -> String {
        format!("<TestReport {} passed, {} failed>", self.passed, self.failed)
    }
}

/// Run the test blocks of the rule files, as `scorebook test` does.
///
/// paths: rule files or directories of them.
/// filter: run only the tests whose name contains this text.
/// config: the project file whose holidays, RAG banding and confidence level the tests run
///     with (default: scorebook.toml in the current directory, if any), as `run` uses them.
///
/// Returns a `TestReport`: `passed`, `failed`, and `tests`, each with its failures.
#[pyfunction]
#[pyo3(signature = (paths, *, filter=None, profile=None, config=None))]
fn test(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    filter: Option<String>,
    profile: Option<PathBuf>,
    config: Option<PathBuf>,
) -> PyResult<TestReport> {
    let paths = paths_of(paths)?;
    let (files, project) = checked(py, &paths, profile.as_ref())?;
    let config = config_of(config)?;
    let session = Session::open(paths, files, project, config, Overrides::default())
        .map_err(|e| Error::new_err(e.to_string()))?;
    let outcomes = without_gil(py, session.test(filter.as_deref()))?.map_err(|e| Error::new_err(e.to_string()))?;
    let files = &session.files;
    let tests = PyList::empty(py);
    for o in &outcomes {
        let f = files.get(o.span.file);
        let (line, column) = f.line_col(o.span.start);
        let failures = PyList::empty(py);
        for x in &o.failures {
            let (l, c) = files.get(x.span.file).line_col(x.span.start);
            let d = PyDict::new(py);
            d.set_item("expectation", &x.what)?;
            d.set_item("expected", &x.expected)?;
            d.set_item("actual", &x.actual)?;
            d.set_item("line", l)?;
            d.set_item("column", c)?;
            failures.append(d)?;
        }
        let result = TestResult {
            name: o.name.clone(),
            file: f.display_path(),
            line,
            column,
            passed: o.passed(),
            error: o.error.clone(),
            failures: failures.unbind(),
        };
        tests.append(Py::new(py, result)?)?;
    }
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    Ok(TestReport { passed, failed: outcomes.len() - passed, tests: tests.unbind() })
}

/// A source's declared schema, handed to pyarrow through the Arrow PyCapsule interface.
#[pyclass(frozen, module = "scorebook")]
struct DeclaredSchema {
    schema: datafusion::arrow::datatypes::SchemaRef,
}

#[pymethods]
impl DeclaredSchema {
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let ffi = datafusion::arrow::ffi::FFI_ArrowSchema::try_from(self.schema.as_ref())
            .map_err(|e| Error::new_err(e.to_string()))?;
        PyCapsule::new_with_value(py, ffi, c"arrow_schema")
    }
}

/// The Arrow schema each source is declared with: source name -> `pyarrow.Schema` (imports
/// pyarrow). A table with these column names and types (`table.cast(schema)`, or CSV read
/// with `pyarrow.csv.ConvertOptions(column_types=schema)`) passes `run`'s checks.
#[pyfunction]
#[pyo3(signature = (paths, *, profile=None))]
fn schemas<'py>(py: Python<'py>, paths: &Bound<'py, PyAny>, profile: Option<PathBuf>) -> PyResult<Bound<'py, PyDict>> {
    let paths = paths_of(paths)?;
    let (_, project) = checked(py, &paths, profile.as_ref())?;
    let pyarrow = py.import("pyarrow").map_err(|e| {
        pyo3::exceptions::PyImportError::new_err(format!("schemas() needs pyarrow: pip install pyarrow ({e})"))
    })?;
    let out = PyDict::new(py);
    for source in project.sources.iter().filter(|s| s.subset.is_none()) {
        let holder = DeclaredSchema { schema: scorebook::data::readers::declared_schema(source) };
        out.set_item(&source.name, pyarrow.call_method1("schema", (Py::new(py, holder)?,))?)?;
    }
    Ok(out)
}

/// Compare the measures of two git revisions of the rules, as `scorebook diff` does.
///
/// base: the git revision compared from (`"main"`, `"HEAD~1"`, a commit).
/// head: the revision compared with; the working tree when None.
/// paths: rule files or directories, as the working tree holds them (default `"rules"`).
/// data, as_of, config: run both revisions over the same data and compare each measure's
///     values period by period.
/// format: `"json"` (a dict: base, head, measures with ref, title, change, what,
///     periods_changed, rag_flips, direction_flips, periods), `"text"` or `"markdown"` (the
///     whole report, as a string).
///
/// Raises `CheckError` when a revision's rules do not check, `Error` when git cannot read a
/// revision or a run fails.
#[pyfunction]
#[pyo3(signature = (base, head=None, paths=None, *, data=None, as_of=None, config=None, format="json"))]
#[allow(clippy::too_many_arguments)]
fn diff<'py>(
    py: Python<'py>,
    base: &str,
    head: Option<&str>,
    paths: Option<&Bound<'py, PyAny>>,
    data: Option<PathBuf>,
    as_of: Option<&Bound<'py, PyAny>>,
    config: Option<PathBuf>,
    format: &str,
) -> PyResult<Bound<'py, PyAny>> {
    use scorebook::diff::{self, revision};
    if !["json", "text", "markdown"].contains(&format) {
        return Err(PyValueError::new_err(format!("format: {format:?} is not \"json\", \"text\" or \"markdown\"")));
    }
    let paths = match paths {
        Some(p) => paths_of(p)?,
        None => vec![PathBuf::from("rules")],
    };
    let read = |rev: Option<&str>| -> PyResult<diff::Revision> {
        py.detach(|| revision::read(&paths, rev)).map_err(|e| match e {
            revision::ReadError::Refused(r) => {
                let err = Error::new_err(r.to_string());
                let _ = err.value(py).setattr("reason", r.message.clone());
                let _ = err.value(py).setattr("help", r.help.clone());
                err
            }
            revision::ReadError::Rules { revision, files, diagnostics } => {
                let diags = diagnostics_of(&diagnostics, &files);
                let text: String = diags.iter().map(|d| d.rendered.as_str()).collect();
                let err = CheckError::new_err(format!("the rules of {revision} do not check:\n{text}"));
                let list = PyList::empty(py);
                for d in diags {
                    let _ = Py::new(py, d).and_then(|d| list.append(d));
                }
                let _ = err.value(py).setattr("diagnostics", list);
                err
            }
        })
    };
    let (old, new) = (read(Some(base))?, read(head)?);
    let mut diffs = diff::compare(&old, &new);
    if let Some(data) = data {
        let config = config_of(config)?;
        let request = Request { as_of: date_of(as_of, "as_of")?, data_dir: Some(data), ..Request::default() };
        let compared = scorebook::session::compare_values(&paths, config.as_ref(), (&old, &new), request, &mut diffs);
        without_gil(py, compared)?.map_err(|e| raised(py, e))?;
    }
    match format {
        "text" => Ok(diff::to_text(&old, &new, &diffs).into_pyobject(py)?.into_any()),
        "markdown" => {
            let (comment, whole) = diff::to_markdown(&old, &new, &diffs);
            Ok(whole.unwrap_or(comment).into_pyobject(py)?.into_any())
        }
        _ => py.import("json")?.call_method1("loads", (diff::to_json(&old, &new, &diffs),)),
    }
}

/// Write the catalogue of a project's measures, as `scorebook catalogue` does: a static site
/// (`index.html`, `coverage.html`, `measures/REF.html`) under `out`.
///
/// data, as_of, config: each measure's latest value, RAG rating and direction from a run.
/// suppress: disclosure control of those values, said on each page.
///
/// Returns the paths written. Raises `CheckError` when the rules have errors, `DataError` or
/// `Error` when the run fails.
#[pyfunction]
#[pyo3(signature = (paths, out, *, data=None, as_of=None, config=None, suppress=None, profile=None))]
#[allow(clippy::too_many_arguments)]
fn catalogue(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    out: PathBuf,
    data: Option<PathBuf>,
    as_of: Option<&Bound<'_, PyAny>>,
    config: Option<PathBuf>,
    suppress: Option<u32>,
    profile: Option<PathBuf>,
) -> PyResult<Vec<PathBuf>> {
    let paths = paths_of(paths)?;
    let (files, project) = checked(py, &paths, profile.as_ref())?;
    let config = config_of(config)?;
    let overrides = Overrides { suppress, ..Overrides::default() };
    let session = Session::open(paths, files, project, config, overrides).map_err(|e| raised(py, e))?;
    let data = match data {
        Some(d) => Some(Request { as_of: date_of(as_of, "as_of")?, data_dir: Some(d), ..Request::default() }),
        None => None,
    };
    let pages = without_gil(py, session.catalogue(data))?.map_err(|e| raised(py, e))?;
    scorebook::catalogue::write_site(&out, &pages).map_err(Error::new_err)?;
    Ok(pages.iter().map(|p| out.join(&p.path)).collect())
}

/// The text `scorebook explain CODE` prints.
#[pyfunction]
fn explain(code: &str) -> PyResult<String> {
    scorebook::diagnostics::Code::parse(code)
        .map(|c| c.render_explanation())
        .ok_or_else(|| PyValueError::new_err(format!("{code:?} is not a diagnostic code (they look like SB201)")))
}

#[pymodule]
fn _scorebook(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("CheckError", py.get_type::<CheckError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add_class::<Diagnostic>()?;
    m.add_class::<Book>()?;
    m.add_class::<TestResult>()?;
    m.add_class::<TestReport>()?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(test, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(catalogue, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(schemas, m)?)?;
    Ok(())
}
