"""Type stubs for scorebook (the extension module scorebook._scorebook)."""

import datetime
import os
from pathlib import Path
from typing import Any, Literal, Mapping, Optional, Protocol, Sequence, Union

__version__: str

_Path = Union[str, "os.PathLike[str]"]
_Paths = Union[_Path, Sequence[_Path]]
_Date = Union[str, datetime.date]

class _ArrowStream(Protocol):
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...

class Error(Exception):
    """Something scorebook was asked to do could not be done; the message says why and what to do."""

    reason: Optional[str]
    """What cannot be done, without the help; None when the failure is not the caller's to act on."""
    help: Optional[str]
    """What to do about it, when scorebook knows."""

class CheckError(Error):
    """The rules have errors."""

    diagnostics: list[Diagnostic]

class DataError(Error):
    """The data does not match the rules' source declarations, or cannot be read."""

    file: Optional[str]
    column: Optional[str]
    line: Optional[int]
    source: Optional[str]
    problems: list[dict[str, str]]

class Diagnostic:
    """A problem in a rule file: where, what, and how to put it right."""

    code: str
    severity: Literal["error", "warning"]
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    help: Optional[str]
    rendered: str

class Book:
    """A computed book: the result table, and the performance book laid out from it."""

    columns: list[str]
    as_of: datetime.date
    warnings: list[str]
    data_quality: list[dict[str, Any]]
    files: list[dict[str, Any]]
    manifest: dict[str, Any]
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def __len__(self) -> int: ...
    def to_pyarrow(self) -> Any: ...
    def to_pandas(self) -> Any: ...
    def to_polars(self) -> Any: ...
    def html(self) -> str: ...
    def text(self, format: Literal["csv", "json", "table", "markdown", "html"] = "csv") -> str: ...
    def write(
        self,
        path: _Path,
        format: Optional[Literal["csv", "json", "parquet", "html", "xlsx", "markdown", "table"]] = None,
    ) -> None: ...

class TestResult:
    name: str
    file: str
    line: int
    column: int
    passed: bool
    error: Optional[str]
    failures: list[dict[str, Any]]

class TestReport:
    passed: int
    failed: int
    tests: list[TestResult]
    def __bool__(self) -> bool: ...

def check(paths: _Paths, *, profile: Optional[_Path] = None) -> list[Diagnostic]: ...
def run(
    paths: _Paths,
    *,
    as_of: Optional[_Date] = None,
    data: Optional[_Path] = None,
    tables: Optional[Mapping[str, Union[_ArrowStream, _Path]]] = None,
    config: Optional[_Path] = None,
    years: Union[None, int, str, tuple[int, int]] = None,
    measures: Union[None, str, Sequence[str]] = None,
    suppress: Optional[int] = None,
    profile: Optional[_Path] = None,
    on_bad_rows: Literal["stop", "skip"] = "stop",
    memory_limit: Union[None, int, str] = None,
    timeout: Optional[float] = None,
    engine: str = "local",
    schema: Optional[str] = None,
    calendar: Optional[Literal["financial", "calendar", "academic"]] = None,
    backcast: bool = False,
) -> Book: ...
def compile(
    paths: _Paths,
    *,
    emit: Literal["sql", "plan", "script"] = "sql",
    dialect: Literal["datafusion", "postgres", "mysql", "sqlite", "duckdb", "bigquery", "snowflake"] = "datafusion",
    as_of: Optional[_Date] = None,
    schema: Optional[str] = None,
    measures: Union[None, str, Sequence[str]] = None,
    config: Optional[_Path] = None,
    profile: Optional[_Path] = None,
    calendar: Optional[Literal["financial", "calendar", "academic"]] = None,
) -> str: ...
def test(
    paths: _Paths, *, filter: Optional[str] = None, profile: Optional[_Path] = None, config: Optional[_Path] = None
) -> TestReport: ...
def diff(
    base: str,
    head: Optional[str] = None,
    paths: Optional[_Paths] = None,
    *,
    data: Optional[_Path] = None,
    as_of: Optional[_Date] = None,
    config: Optional[_Path] = None,
    format: Literal["json", "text", "markdown"] = "json",
) -> Any: ...
def catalogue(
    paths: _Paths,
    out: _Path,
    *,
    data: Optional[_Path] = None,
    as_of: Optional[_Date] = None,
    config: Optional[_Path] = None,
    suppress: Optional[int] = None,
    profile: Optional[_Path] = None,
) -> list[Path]: ...
def explain(code: str) -> str: ...
def schemas(paths: _Paths, *, profile: Optional[_Path] = None) -> dict[str, Any]: ...
