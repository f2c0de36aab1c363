"""The Python package against the command line: the same books, plans, tests and errors."""

import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import warnings
import _thread
import datetime
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import scorebook
from conftest import AS_OF, EDGE, RULES, ROOT, binary, cli


def cli_csv(data: Path) -> str:
    return cli("run", "rules", "--data", str(data), "--as-of", AS_OF, "--format", "csv")


def arrow_tables(data: Path) -> dict:
    """Each source's CSV read by pyarrow with the declared types."""
    declared = scorebook.schemas(RULES)
    tables = {}
    for name, schema in declared.items():
        path = data / f"{name}.csv"
        if not path.exists():
            continue
        options = pacsv.ConvertOptions(column_types=schema, null_values=[""], strings_can_be_null=True)
        tables[name] = pacsv.read_csv(path, convert_options=options)
    return tables


def assert_same_cells(book: scorebook.Book, expected_csv: str) -> None:
    """Every cell of the book equals the command line's CSV, and so does the CSV itself."""
    assert book.text("csv") == expected_csv
    ours = book.to_pandas()
    theirs = pd.read_csv(io.StringIO(expected_csv), dtype=str, keep_default_na=False)
    assert list(ours.columns) == list(theirs.columns)
    assert len(ours) == len(theirs) > 0
    numeric = {f.name for f in book.to_pyarrow().schema if pa.types.is_floating(f.type)}
    whole = {f.name for f in book.to_pyarrow().schema if pa.types.is_integer(f.type)}
    for column in theirs.columns:
        for row, (a, b) in enumerate(zip(ours[column], theirs[column])):
            if column in whole:
                assert str(int(a)) == b, (column, row)
            elif column in numeric:
                if b == "":
                    assert pd.isna(a), (column, row)
                else:
                    assert a == pytest.approx(float(b), rel=1e-12), (column, row)
            elif isinstance(a, datetime.date):
                assert a.isoformat() == b, (column, row)
            else:
                assert (a if isinstance(a, str) else "") == b, (column, row)


@pytest.mark.parametrize("data", ["edge", "synth"])
def test_run_over_files_equals_the_command_line(data, synth_data):
    folder = EDGE if data == "edge" else synth_data
    book = scorebook.run(RULES, data=folder, as_of=AS_OF)
    assert_same_cells(book, cli_csv(folder))


@pytest.mark.parametrize("backcast", [False, True])
def test_versions_and_backcast_equal_the_command_line(backcast):
    fixture = "tests/fixtures/versions/book.ind"
    book = scorebook.run(ROOT / fixture, data=EDGE, as_of=AS_OF, backcast=backcast)
    args = ["run", fixture, "--data", str(EDGE), "--as-of", AS_OF, "--format", "csv"]
    assert_same_cells(book, cli(*args, *(["--backcast"] if backcast else [])))
    versions = book.to_pyarrow().column("definition_version")
    assert versions.type == pa.int64()
    assert set(versions.to_pylist()) == ({2, 3} if backcast else {1, 2, 3})
    assert book.manifest["options"]["backcast"] is backcast


@pytest.mark.parametrize("calendar", ["calendar", "academic"])
def test_run_and_compile_in_another_reporting_year_equal_the_command_line(calendar, synth_data):
    book = scorebook.run(RULES, data=synth_data, as_of=AS_OF, calendar=calendar)
    expected = cli(
        "run", "rules", "--data", str(synth_data), "--as-of", AS_OF, "--format", "csv", "--calendar", calendar
    )
    assert_same_cells(book, expected)
    labels = set(book.to_pandas()["period_label"])
    assert ("2013 YTD" if calendar == "calendar" else "2013/14 YTD") in labels
    script = scorebook.compile(RULES, emit="script", dialect="duckdb", as_of=AS_OF, calendar=calendar)
    theirs = cli(
        "compile", "rules", "--emit", "script", "--dialect", "duckdb", "--as-of", AS_OF, "--calendar", calendar
    )
    assert script == theirs
    with pytest.raises(ValueError, match="academic"):
        scorebook.run(RULES, data=synth_data, as_of=AS_OF, calendar="fiscal")


def test_run_over_paths_in_tables(synth_data):
    tables = {p.stem: str(p) for p in synth_data.glob("*.csv")}
    book = scorebook.run(str(RULES), tables=tables, as_of=AS_OF)
    assert book.text("csv") == cli_csv(synth_data)


@pytest.mark.parametrize("kind", ["pyarrow", "polars", "pandas"])
def test_run_over_tables_in_memory_equals_the_command_line(kind, synth_data):
    tables = arrow_tables(synth_data)
    if kind == "polars":
        tables = {name: pl.from_arrow(t) for name, t in tables.items()}
        assert all(isinstance(t, pl.DataFrame) for t in tables.values())
    elif kind == "pandas":
        tables = {
            name: pa.Table.from_pandas(t.to_pandas(types_mapper=pd.ArrowDtype), preserve_index=False)
            for name, t in tables.items()
        }
    book = scorebook.run(RULES, tables=tables, as_of=AS_OF)
    assert_same_cells(book, cli_csv(synth_data))
    assert book.manifest["options"]["tables"]["children"].endswith("rows in memory")


def test_edge_fixture_as_polars_frames_read_by_polars_itself():
    """polars' own CSV reader (text as string views, dates parsed) gives the same book."""
    declared = scorebook.schemas(RULES)
    tables = {}
    for name, schema in declared.items():
        path = EDGE / f"{name}.csv"
        if path.exists():
            types = {f.name: pl.from_arrow(pa.array([], type=f.type)).dtype for f in schema}
            tables[name] = pl.read_csv(path, schema_overrides=types)
    book = scorebook.run(RULES, tables=tables, as_of=AS_OF)
    assert book.text("csv") == cli_csv(EDGE)


def test_duckdb_relations_and_pandas_frames_are_tables():
    import duckdb

    referrals = EDGE / "referrals.csv"
    relation = duckdb.sql(f"select * from read_csv('{referrals}')")
    frame = pd.read_csv(EDGE / "assessments.csv", dtype_backend="pyarrow", engine="pyarrow")
    book = scorebook.run(RULES, data=EDGE, tables={"referrals": relation, "assessments": frame}, as_of=AS_OF)
    assert book.text("csv") == cli_csv(EDGE)
    assert book.manifest["options"]["tables"] == {
        "assessments": "10 rows in memory",
        "referrals": f"{len(referrals.read_text().splitlines()) - 1} rows in memory",
    }


def test_a_wrong_column_type_raises_data_error_naming_the_column(synth_data):
    tables = arrow_tables(synth_data)
    referrals = tables["referrals"]
    i = referrals.schema.get_field_index("referral_date")
    tables["referrals"] = referrals.set_column(i, "referral_date", referrals["referral_date"].cast(pa.string()))
    with pytest.raises(scorebook.DataError) as raised:
        scorebook.run(RULES, tables=tables, as_of=AS_OF)
    e = raised.value
    assert e.column == "referral_date"
    assert e.file == 'tables["referrals"]'
    assert e.problems == [
        {"file": 'tables["referrals"]', "column": "referral_date", "expected": "date", "found": "Utf8"}
    ]
    assert 'tables["referrals"]: column `referral_date`: expected date, found Utf8' in str(e)
    assert isinstance(e, scorebook.Error)


def test_a_missing_column_and_a_bad_row_raise_data_error(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(EDGE, data)
    referrals = (data / "referrals.csv").read_text().splitlines()
    header = referrals[0].split(",")
    cells = referrals[2].split(",")
    cells[header.index("referral_date")] = "31/02/2013"
    referrals[2] = ",".join(cells)
    (data / "referrals.csv").write_text("\n".join(referrals) + "\n")
    with pytest.raises(scorebook.DataError) as raised:
        scorebook.run(RULES, data=data, as_of=AS_OF)
    e = raised.value
    assert e.file == str(data / "referrals.csv")
    assert e.line == 3
    assert e.column == "referral_date"
    assert "--on-bad-rows skip" in str(e)
    book = scorebook.run(RULES, data=data, as_of=AS_OF, on_bad_rows="skip")
    assert [f["bad_rows"] for f in book.files if f["path"].endswith("referrals.csv")] == [1]

    referrals = arrow_tables(EDGE)["referrals"].drop_columns(["child_id"])
    with pytest.raises(scorebook.DataError) as raised:
        scorebook.run(RULES, data=EDGE, tables={"referrals": referrals}, as_of=AS_OF)
    assert raised.value.column == "child_id"
    assert raised.value.problems[0]["found"] == "no such column"


def test_a_typo_in_a_rule_raises_check_error_with_sb201(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    text = (rules / "2-quality-of-practice.ind").read_text()
    assert "completed_date" in text
    (rules / "2-quality-of-practice.ind").write_text(text.replace("completed_date", "completed_dtae", 1))
    with pytest.raises(scorebook.CheckError) as raised:
        scorebook.run(rules, data=EDGE, as_of=AS_OF)
    e = raised.value
    assert "SB201" in str(e)
    [d] = [d for d in e.diagnostics if d.severity == "error"]
    assert d.code == "SB201"
    assert d.file.endswith("2-quality-of-practice.ind")
    line = text.splitlines()[d.line - 1]
    assert line[d.column - 1 :].startswith("completed_date")
    assert d.end_line == d.line and d.end_column == d.column + len("completed_dtae")
    assert "completed_date" in (d.help or "") + d.message
    # check() returns the same diagnostic; str() is the command line's rendering.
    [c] = [c for c in scorebook.check(rules) if c.severity == "error"]
    assert (c.code, c.line, c.column) == (d.code, d.line, d.column)
    shown = cli("check", str(rules), "--format", "human", expect=1)
    assert str(c) in shown
    assert "SB201" in scorebook.explain("SB201")


def test_check_is_clean_on_the_shipped_rules():
    assert scorebook.check(RULES) == []
    assert scorebook.check([RULES / "sources.ind", RULES / "1-setting-the-scene.ind"]) == []


@pytest.mark.parametrize(
    "emit,dialect", [("sql", "datafusion"), ("plan", "datafusion"), ("script", "duckdb"), ("script", "postgres")]
)
def test_compile_returns_what_the_command_line_prints(emit, dialect):
    ours = scorebook.compile(RULES, emit=emit, dialect=dialect, as_of=AS_OF)
    theirs = cli("compile", "rules", "--emit", emit, "--dialect", dialect, "--as-of", AS_OF)
    assert ours == theirs
    assert len(ours) > 1000


def test_compile_chosen_measures_and_bad_arguments():
    one = scorebook.compile(RULES, emit="sql", as_of=AS_OF, measures=["3.2"])
    assert one == cli("compile", "rules", "--emit", "sql", "--as-of", AS_OF, "--measure", "3.2")
    with pytest.raises(scorebook.Error, match="no measure has that ref or name"):
        scorebook.compile(RULES, as_of=AS_OF, measures="nosuch")
    with pytest.raises(ValueError, match="dialect"):
        scorebook.compile(RULES, dialect="oracle", as_of=AS_OF)


def test_test_counts_match_the_command_line():
    import json

    for paths in (["rules"], ["tests/fixtures/failing-test.ind"]):
        report = scorebook.test([ROOT / p for p in paths])
        expected = json.loads(cli("test", *paths, "--format", "json", expect=0 if paths == ["rules"] else 1))
        assert (report.passed, report.failed) == (expected["passed"], expected["failed"])
        assert [t.name for t in report.tests] == [t["name"] for t in expected["tests"]]
        for ours, theirs in zip(report.tests, expected["tests"]):
            assert (ours.passed, ours.line) == (theirs["passed"], theirs["line"])
            assert [(f["expected"], f["actual"], f["line"]) for f in ours.failures] == [
                (f["expected"], f["actual"], f["line"]) for f in theirs["failures"]
            ]
    assert scorebook.test(RULES).failed == 0 and bool(scorebook.test(RULES))
    filtered = scorebook.test(ROOT / "tests/fixtures/failing-test.ind", filter="pass")
    assert (filtered.passed, filtered.failed) == (1, 0)


def test_tests_run_with_the_project_files_settings():
    """tests/fixtures/settings/scorebook.toml closes 4 June 2013 and bands amber within 60%."""
    folder = ROOT / "tests/fixtures/settings"
    report = scorebook.test(folder / "rules.ind", config=folder / "scorebook.toml")
    assert (report.passed, report.failed) == (2, 0)
    plain = scorebook.test(folder / "rules.ind")
    assert (plain.passed, plain.failed) == (0, 2)
    assert ("2", "1") in [(f["expected"], f["actual"]) for t in plain.tests for f in t.failures]


def test_the_arrow_stream_is_read_by_polars_and_duckdb_without_pyarrow():
    """A fresh interpreter where pyarrow cannot be imported: polars and DuckDB read the book
    through __arrow_c_stream__ alone, and to_pandas() builds the frame from the columns."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["pyarrow"] = None  # any import of pyarrow now fails
        import scorebook, polars, duckdb
        book = scorebook.run({str(RULES)!r}, data={str(EDGE)!r}, as_of={AS_OF!r})
        frame = polars.DataFrame(book)
        assert frame.shape == (len(book), len(book.columns)), frame.shape
        assert frame.columns == book.columns
        row = frame.filter((polars.col("ref") == "3.2") & (polars.col("period_label") == "2013-09")).row(0, named=True)
        [(count,)] = duckdb.sql("select count(*) from book where ref = '3.2'").fetchall()
        [(value,)] = duckdb.sql("select value from book where ref = '3.2' and period_label = '2013-09'").fetchall()
        assert count == frame.filter(polars.col("ref") == "3.2").height
        assert value == row["value"]
        frame = book.to_pandas()  # pandas alone, built from the columns
        assert frame.shape == (len(book), len(book.columns))
        assert str(frame["value"].dtype) == "float64"
        assert str(frame["definition_version"].dtype) == "int64"
        assert frame[(frame["ref"] == "3.2") & (frame["period_label"] == "2013-09")]["value"].iloc[0] == value
        import datetime
        assert frame["as_of"].iloc[0] == datetime.date.fromisoformat({AS_OF!r}) == row["as_of"]
        print(row["value"])
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    expected = [
        line.split(",")
        for line in cli_csv(EDGE).splitlines()
        if line.startswith("3.2,") and ",month,2013-09," in line
    ]
    header = cli_csv(EDGE).splitlines()[0].split(",")
    assert float(done.stdout.strip()) == pytest.approx(float(expected[0][header.index("value")]))


def test_book_writes_every_format_like_the_command_line(tmp_path):
    book = scorebook.run(RULES, data=EDGE, as_of=AS_OF)
    for fmt, ext in [("csv", "csv"), ("markdown", "md"), ("html", "html")]:
        path = tmp_path / f"book.{ext}"
        book.write(path)
        theirs = cli("run", "rules", "--data", str(EDGE), "--as-of", AS_OF, "--format", fmt)
        assert path.read_text() == theirs, fmt
    assert book.html() == (tmp_path / "book.html").read_text()
    book.write(tmp_path / "book.parquet")
    assert pq.read_table(tmp_path / "book.parquet").equals(book.to_pyarrow())
    table = book.to_pyarrow()
    assert {table.schema.field(c).type for c in ["period_start", "period_end", "as_of"]} == {pa.date32()}
    assert table.schema.field("value").type == pa.float64()
    assert book.to_pandas()["as_of"].iloc[0] == datetime.date(2013, 9, 30)
    book.write(tmp_path / "book.xlsx")
    assert (tmp_path / "book.xlsx").read_bytes()[:2] == b"PK"
    json_text = book.text("json")
    assert '"results"' in json_text and '"manifest"' in json_text
    with pytest.raises(ValueError, match="give format="):
        book.write(tmp_path / "book.unknown")
    kept = tmp_path / "kept.csv"
    kept.write_text("last month's book\n")
    with pytest.raises(scorebook.Error, match=str(tmp_path / "missing")):
        book.write(tmp_path / "missing" / "book.csv")
    assert kept.read_text() == "last month's book\n"


def test_book_properties_and_manifest():
    book = scorebook.run(RULES, data=EDGE, as_of="2013-09-30", measures=["3.2", "1.1a"], suppress=None)
    assert book.as_of == datetime.date(2013, 9, 30)
    assert set(book.to_pandas()["ref"]) == {"3.2", "1.1a"}
    manifest = book.manifest
    assert manifest["tool"] == "scorebook"
    assert manifest["as_of"] == "2013-09-30"
    assert {i["source"] for i in manifest["inputs"]} >= {"referrals", "cin_episodes"}
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert manifest["options"]["measures"] == ["3.2", "1.1a"]
    assert repr(book).startswith("<scorebook.Book as of 2013-09-30: 2 measures")
    dated = scorebook.run(RULES, data=EDGE, as_of=datetime.date(2013, 9, 30), measures="3.2")
    assert dated.text() == scorebook.run(RULES, data=EDGE, as_of="2013-09-30", measures="3.2").text()


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="not a date"):
        scorebook.run(RULES, data=EDGE, as_of="30/09/2013")
    with pytest.raises(ValueError, match="runs backwards"):
        scorebook.run(RULES, data=EDGE, years="2025..2013")
    with pytest.raises(ValueError, match="not a range of years"):
        scorebook.run(RULES, data=EDGE, years=(1066, 1067))
    with pytest.raises(scorebook.Error, match="no source of that name") as refused:
        scorebook.run(RULES, data=EDGE, as_of=AS_OF, tables={"nosuch": pa.table({"a": [1]})})
    assert refused.value.reason == "a table was given for `nosuch`, but no source of that name is declared"
    assert refused.value.help.startswith("the sources are children, contacts, referrals, ")
    with pytest.raises(TypeError, match="__arrow_c_stream__"):
        scorebook.run(RULES, data=EDGE, as_of=AS_OF, tables={"children": [1, 2, 3]})
    with pytest.raises(ValueError, match="on_bad_rows"):
        scorebook.run(RULES, data=EDGE, as_of=AS_OF, on_bad_rows="ignore")
    with pytest.raises(scorebook.Error, match="no as-of date") as refused:
        scorebook.run(RULES, data=EDGE)
    assert refused.value.reason == "no as-of date"
    assert refused.value.help == "pass --as-of YYYY-MM-DD, or set as_of under [project] in scorebook.toml"


def test_suppression_and_warnings_reach_python():
    book = scorebook.run(RULES, data=EDGE, as_of=AS_OF, suppress=5)
    expected = cli("run", "rules", "--data", str(EDGE), "--as-of", AS_OF, "--format", "csv", "--suppress", "5")
    assert book.text("csv") == expected
    referrals = arrow_tables(EDGE)["referrals"].slice(0, 0)
    with pytest.warns(UserWarning, match=r'tables\["referrals"\]: a header and no rows'):
        scorebook.run(RULES, data=EDGE, tables={"referrals": referrals}, as_of=AS_OF)


def test_ctrl_c_stops_a_run(synth_data):
    started = time.monotonic()
    scorebook.run(RULES, data=synth_data, as_of=AS_OF)
    whole = time.monotonic() - started
    timer = threading.Timer(0.2, _thread.interrupt_main)
    started = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        scorebook.run(RULES, data=synth_data, as_of=AS_OF)
    stopped = time.monotonic() - started
    timer.cancel()
    assert stopped < 0.2 + max(whole / 2, 0.5), (stopped, whole)


def test_help_and_stubs():
    assert "as_of" in scorebook.run.__doc__ and "__arrow_c_stream__" in scorebook.run.__doc__
    stubs = Path(scorebook.__file__).with_name("__init__.pyi")
    assert stubs.exists() and "def run(" in stubs.read_text()
    assert Path(scorebook.__file__).with_name("py.typed").exists()


AMBULANCE = ROOT / "examples" / "ambulance"
AMBULANCE_EDGE = ROOT / "tests" / "fixtures" / "ambulance"


def test_date_times_go_in_as_arrow_timestamps_of_any_unit_and_pandas_datetimes():
    """Date-time columns are timestamps without a time zone (microseconds); tables handed over
    with seconds, milliseconds or pandas' nanoseconds give the command line's book."""
    declared = scorebook.schemas(AMBULANCE)
    assert declared["incidents"].field("clock_start").type == pa.timestamp("us")
    assert declared["handovers"].field("handover_complete").type == pa.timestamp("us")
    expected = cli(
        "run", str(AMBULANCE), "--data", str(AMBULANCE_EDGE), "--as-of", "2024-03-31", "--format", "csv"
    )
    incidents = pd.read_csv(AMBULANCE_EDGE / "incidents.csv", dtype=str, encoding="utf-8-sig")
    for column in ["clock_start", "first_arrival"]:
        incidents[column] = pd.to_datetime(incidents[column], format="%Y-%m-%d %H:%M:%S").astype("datetime64[ns]")
    assert str(incidents["clock_start"].dtype) == "datetime64[ns]"
    handovers = pacsv.read_csv(
        AMBULANCE_EDGE / "handovers.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={"arrival_at_hospital": pa.timestamp("s"), "handover_complete": pa.timestamp("ms")},
            strings_can_be_null=True,
        ),
    )
    book = scorebook.run(AMBULANCE, tables={"incidents": incidents, "handovers": handovers}, as_of="2024-03-31")
    assert book.text("csv") == expected
    rows = book.to_pyarrow().to_pylist()
    lost = [r for r in rows if r["ref"] == "AMB.6" and r["period_label"] == "2024-03" and not r["breakdown"]]
    assert lost[0]["numerator"] == pytest.approx(50 + 1 / 60)


@pytest.mark.skipif(not os.environ.get("SCOREBOOK_POSTGRES"), reason="needs SCOREBOOK_POSTGRES (scripts/postgres.sh)")
def test_run_on_postgres_equals_the_command_line(tmp_path):
    """The edge fixtures loaded into a schema of the CI server: Python's run on it writes the
    command line's book, and the manifest names the server without a password."""
    url = os.environ["SCOREBOOK_POSTGRES"]
    kinds = {pa.string(): "text", pa.int64(): "int", pa.float64(): "decimal", pa.date32(): "date", pa.bool_(): "bool"}
    types = {
        name: [[f.name, "datetime" if pa.types.is_timestamp(f.type) else kinds[f.type], None, None] for f in schema]
        for name, schema in scorebook.schemas(RULES).items()
    }
    (tmp_path / "types.json").write_text(__import__("json").dumps(types))
    schema = f"python_run_{os.getpid()}"
    harness = str(ROOT / "tests/warehouse/run_script.py")
    subprocess.run([sys.executable, harness, "load", str(EDGE), str(tmp_path / "types.json"), url, schema], check=True)
    try:
        book = scorebook.run(RULES, as_of=AS_OF, engine=url, schema=schema)
        theirs = cli("run", "rules", "--as-of", AS_OF, "--format", "csv", "--engine", url, "--schema", schema)
    finally:
        subprocess.run([sys.executable, harness, "drop", url, schema], check=True)
    assert book.text("csv") == theirs
    assert len(book) == len(cli_csv(EDGE).splitlines()) - 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no chart is drawn from data the run never read
        assert "<html" in book.html()
    assert book.manifest["options"]["engine"] == url  # the CI server's URL has no password
    with pytest.raises(scorebook.Error, match="reads the sources from the server's tables"):
        scorebook.run(RULES, as_of=AS_OF, engine=url, data=EDGE)
    with pytest.raises(ValueError, match="engine"):
        scorebook.run(RULES, as_of=AS_OF, engine="oracle://nowhere")


DSR_RULES = """
source deaths {
  death_id       text key
  date_of_death  date
  age_band       text
}
source population {
  year        int
  age_group   text
  population  int
}
population residents from population
measure dsr {
  ref "DSR"
  count deaths in period by date_of_death
  per 100000 residents standardised by age_band using esp2013
}
"""


def test_a_standardised_rate_from_frames_equals_the_published_worked_example(tmp_path):
    # PHEindicatormethods' DSR vignette: 8283.016, 6570.819 to 10289.65 at 95%.
    bands = ["0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49",
             "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+"]
    people = [30, 35, 35, 35, 40, 40, 45, 50, 50, 50, 60, 60, 70, 75, 70, 60, 20, 20, 15]
    died = [1, 1, 0, 0, 0, 1, 1, 3, 3, 3, 3, 10, 10, 10, 10, 8, 8, 8, 8]
    deaths = [(f"d{band}-{k}", datetime.date(2012, 4 + k % 9, 15), band)
              for band, n in zip(bands, died) for k in range(n)]
    frames = {
        "deaths": pd.DataFrame(deaths, columns=["death_id", "date_of_death", "age_band"]),
        "population": pd.DataFrame({"year": [2012] * 19, "age_group": bands, "population": people}),
    }
    rules = tmp_path / "dsr.ind"
    rules.write_text(DSR_RULES)
    tables = {name: pa.Table.from_pandas(frame, preserve_index=False) for name, frame in frames.items()}
    book = scorebook.run(str(rules), tables=tables, as_of="2013-09-30")
    year = book.to_pandas().set_index("period_label").loc["2012-13"]
    assert year["numerator"] == 88 and year["denominator"] == 860
    for column, published in [("value", 8283.016), ("ci_low", 6570.819), ("ci_high", 10289.65)]:
        assert year[column] == pytest.approx(published, rel=5e-7), column
    for name, frame in frames.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    expected = cli("run", str(rules), "--data", str(tmp_path), "--as-of", "2013-09-30", "--format", "csv")
    assert book.text("csv") == expected


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=Analyst", "-c", "user.email=a@example.org",
         "-c", "commit.gpgsign=false", *args],
        check=True, capture_output=True,
    )


def test_diff_classes_measures_like_the_command_line(tmp_path, monkeypatch):
    """A title edit and a new timescale between two commits: the same JSON as `scorebook
    diff`, values compared over the edge data, and a revision git does not know is an Error."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "base")
    quality = rules / "2-quality-of-practice.ind"
    text = quality.read_text()
    old = "meeting   working_days(start_date, completed_date) <= 10\n    polarity  high\n    benchmark sn 79%"
    assert text.count(old) == 1
    quality.write_text(text.replace(old, old.replace("<= 10", "<= 15")))
    monkeypatch.chdir(tmp_path)
    doc = scorebook.diff("main", data=EDGE, as_of=AS_OF)
    assert doc["base"]["revision"] == "main" and doc["head"]["revision"] == "working tree"
    by_ref = {m["ref"]: m for m in doc["measures"]}
    assert by_ref["2.1a"]["change"] == "definition"
    assert by_ref["2.1a"]["what"] == ["meeting: <= 10 → <= 15"]
    assert by_ref["2.1a"]["periods_changed"] > 0
    assert by_ref["1.1a"]["change"] == "unchanged" and by_ref["1.1a"]["periods_changed"] == 0
    done = subprocess.run(
        [str(binary()), "diff", "main", "--data", str(EDGE), "--as-of", AS_OF, "--format", "json"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == doc
    assert "meeting: <= 10 → <= 15" in scorebook.diff("main", format="text")
    with pytest.raises(scorebook.Error) as e:
        scorebook.diff("no-such-branch")
    assert "no revision `no-such-branch`" in str(e.value) and e.value.help


def test_catalogue_writes_the_command_lines_site(tmp_path, monkeypatch):
    """The same pages as `scorebook catalogue`, with the latest values from the edge data."""
    monkeypatch.chdir(ROOT)  # pages name the rule files as they were given: `rules/...`
    written = scorebook.catalogue("rules", tmp_path / "py", data=EDGE, as_of=AS_OF)
    assert tmp_path / "py" / "index.html" in written
    cli("catalogue", "rules", "--out", str(tmp_path / "cli"), "--data", str(EDGE), "--as-of", AS_OF)
    for path in written:
        relative = path.relative_to(tmp_path / "py")
        assert path.read_text() == (tmp_path / "cli" / relative).read_text(), relative
    page = (tmp_path / "py" / "measures" / "3.2.html").read_text()
    assert '<span class="rag red">red</span>' in page
