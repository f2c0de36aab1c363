"""scorebook: performance indicators defined in a rules language, computed with DataFusion.

The functions here are the command line's, in process::

    import scorebook

    problems = scorebook.check("rules")                      # list[Diagnostic]
    book = scorebook.run("rules", data="data", as_of="2013-09-30")
    df = book.to_pandas()                                     # or .to_polars(), .to_pyarrow()
    book.write("book.xlsx")
    sql = scorebook.compile("rules", emit="script", dialect="duckdb", as_of="2013-09-30")
    report = scorebook.test("rules")                          # report.passed, report.failed
    changes = scorebook.diff("main")                          # the measures main -> working tree

Sources can come from memory instead of files: ``tables={"children": table}`` takes any
object exporting ``__arrow_c_stream__`` (a pyarrow Table, a polars DataFrame, a DuckDB
relation) or a path. A ``Book`` exports ``__arrow_c_stream__`` itself.
"""

from ._scorebook import (
    Book,
    CheckError,
    DataError,
    Diagnostic,
    Error,
    TestReport,
    TestResult,
    __version__,
    catalogue,
    check,
    compile,
    diff,
    explain,
    run,
    schemas,
    test,
)

__all__ = [
    "Book",
    "CheckError",
    "DataError",
    "Diagnostic",
    "Error",
    "TestReport",
    "TestResult",
    "__version__",
    "catalogue",
    "check",
    "compile",
    "diff",
    "explain",
    "run",
    "schemas",
    "test",
]
