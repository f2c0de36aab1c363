"""Run a `scorebook compile --emit script` script on a real SQL engine over CSV files.

    python3 run_script.py ENGINE SCRIPT DATA_DIR TYPES_JSON [DSN [SCHEMA]]
    python3 run_script.py load DATA_DIR TYPES_JSON DSN SCHEMA
    python3 run_script.py drop DSN SCHEMA

ENGINE is duckdb, sqlite or postgres. TYPES_JSON maps each source table to its declared
columns ([[name, type, date_format, header], ...] with scorebook's types: text, int, decimal,
bool, date, datetime; a date format such as "dd/mm/yyyy" or "yyyy-mm-dd hh:mm:ss", or null for
ISO dates and date-times; the header in the file, or null for the name); every `DATA_DIR/<table>.csv` is loaded with those types (an empty cell is
NULL), as the warehouse would hold it. The script's
statements before the `-- scorebook: result` line are executed, then its result query, whose
rows are printed as CSV (NULL as an empty cell, dates as YYYY-MM-DD). On PostgreSQL the tables
go into SCHEMA when given (the script must then name it, `--schema`), else into a fresh schema
on the search path; either is dropped afterwards.
"""

import csv
import datetime
import json
import os
import sys

MARKER = "-- scorebook: result"


def strptime_pattern(fmt):
    """A scorebook date pattern (`dd/mm/yyyy`, `yyyy-mm-dd hh:mm:ss`) as a strptime pattern
    (`%d/%m/%Y`, `%Y-%m-%d %H:%M:%S`): `mm` after `hh` is the minute."""
    out, rest, hour = "", fmt, False
    while rest:
        for token, code in (("yyyy", "%Y"), ("yy", "%y"), ("dd", "%d"), ("hh", "%H"), ("mm", None), ("ss", "%S")):
            if rest.startswith(token):
                if token == "hh":
                    hour = True
                out += code or ("%M" if hour else "%m")
                rest = rest[len(token):]
                break
        else:
            out += rest[0]
            rest = rest[1:]
    return out


def iso_datetime(value, fmt):
    """A date-time cell as ISO text (`2024-02-29 23:40:00`), read with its format or as ISO."""
    value = value.strip()
    if fmt:
        return datetime.datetime.strptime(value, strptime_pattern(fmt)).isoformat(sep=" ")
    return datetime.datetime.fromisoformat(value).isoformat(sep=" ")


def column_spec(c):
    name, ty = c[0], c[1]
    fmt = c[2] if len(c) > 2 else None
    header = (c[3] if len(c) > 3 else None) or name
    return name, ty, fmt, header


def convert(value, ty, engine, fmt=None):
    if value.strip() == "":
        return None
    if ty == "date" and fmt:
        return datetime.datetime.strptime(value.strip(), strptime_pattern(fmt)).date().isoformat()
    if ty == "datetime":
        return iso_datetime(value, fmt)
    if ty == "int":
        return int(value)
    if ty == "decimal":
        return float(value)
    if ty == "bool":
        b = value.lower() == "true"
        return int(b) if engine == "sqlite" else b
    return value  # text, and dates as ISO text (cast by the typed column where there is one)


SQL_TYPES = {
    "text": "TEXT",
    "int": "BIGINT",
    "decimal": "DOUBLE PRECISION",
    "bool": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
}


def load(cursor, engine, data_dir, types, schema=None):
    """Creates every declared table (in `schema` if given) and loads its CSV file."""
    for table, specs in types.items():
        columns = [column_spec(c) for c in specs]
        path = os.path.join(data_dir, table + ".csv")
        name = f'"{schema}"."{table}"' if schema else f'"{table}"'
        if engine == "sqlite":
            ddl = ", ".join(f'"{c}"' for c, *_ in columns)
        else:
            ddl = ", ".join(f'"{c}" {SQL_TYPES[t]}' for c, t, *_ in columns)
        cursor.execute(f"CREATE TABLE {name} ({ddl})")
        if not os.path.exists(path):
            continue
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = [tuple(convert(r.get(h) or "", t, engine, f) for _, t, f, h in columns) for r in reader]
        if not rows:
            continue
        if engine == "postgres":
            with cursor.copy(f"COPY {name} FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
        elif engine == "duckdb":
            # DuckDB reads the file itself (a row-by-row insert is slow), every cell as text.
            header = next(csv.reader(open(path, newline="", encoding="utf-8-sig")))
            def typed(h, t, f):
                if h not in header:
                    return "NULL"
                # A blank cell is missing; text keeps its spaces otherwise, as scorebook reads it.
                cell = f"CASE WHEN trim(\"{h}\") = '' THEN NULL ELSE \"{h}\" END"
                if t != "text":
                    cell = f"NULLIF(trim(\"{h}\"), '')"
                if t == "date" and f:
                    return f"CAST(strptime({cell}, '{strptime_pattern(f)}') AS DATE)"
                if t == "datetime" and f:
                    return f"CAST(strptime({cell}, '{strptime_pattern(f)}') AS TIMESTAMP)"
                return f"CAST({cell} AS {SQL_TYPES[t]})"

            select = ", ".join(typed(h, t, f) for _, t, f, h in columns)
            source = path.replace("'", "''")
            cursor.execute(f"INSERT INTO {name} SELECT {select} FROM read_csv('{source}', all_varchar = true, header = true)")
        else:
            marks = ", ".join(["?"] * len(columns))
            cursor.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)


def cell(v):
    if v is None:
        return ""
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float):
        return repr(v)
    return str(v)


def load_only():
    """`load DATA_DIR TYPES_JSON DSN SCHEMA`: loads the tables into a fresh SCHEMA and leaves
    them there (for `scorebook run --engine postgres://...`); `drop DSN SCHEMA` removes it."""
    import psycopg

    if sys.argv[1] == "drop":
        dsn, schema = sys.argv[2:4]
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        return
    data_dir, types_path, dsn, schema = sys.argv[2:6]
    with psycopg.connect(dsn, autocommit=True) as con:
        cur = con.cursor()
        cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        cur.execute(f'CREATE SCHEMA "{schema}"')
        load(cur, "postgres", data_dir, json.load(open(types_path, encoding="utf-8")), schema)


def main():
    if sys.argv[1] in ("load", "drop"):
        return load_only()
    engine, script_path, data_dir, types_path = sys.argv[1:5]
    dsn = sys.argv[5] if len(sys.argv) > 5 else None
    table_schema = sys.argv[6] if len(sys.argv) > 6 else None
    script = open(script_path, encoding="utf-8").read()
    prelude, query = script.split(MARKER, 1)
    types = json.load(open(types_path, encoding="utf-8"))
    if engine == "duckdb":
        import duckdb

        con = duckdb.connect()
        cur = con
    elif engine == "sqlite":
        import sqlite3

        con = sqlite3.connect(":memory:")
        cur = con.cursor()
    elif engine == "postgres":
        import psycopg

        con = psycopg.connect(dsn, autocommit=True)
        cur = con.cursor()
        # A fresh, empty schema on the search path: the script's temporary calendar needs no
        # schema, and unqualified table names find nothing but what is loaded here.
        schema = "scorebook_test_" + str(os.getpid())
        cur.execute(f'CREATE SCHEMA "{schema}"')
        cur.execute(f'SET search_path TO "{schema}"')
        if table_schema:
            cur.execute(f'DROP SCHEMA IF EXISTS "{table_schema}" CASCADE')
            cur.execute(f'CREATE SCHEMA "{table_schema}"')
    else:
        sys.exit(f"unknown engine {engine}")
    try:
        load(cur, engine, data_dir, types, table_schema if engine == "postgres" else None)
        if engine == "sqlite":
            cur.executescript(prelude)
        else:
            for statement in prelude.split(";"):
                if statement.strip() and not all(l.startswith("--") or not l.strip() for l in statement.splitlines()):
                    cur.execute(statement)
        cur.execute(query.strip().rstrip(";"))
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    finally:
        if engine == "postgres":
            cur.execute(f'DROP SCHEMA "{schema}" CASCADE')
            if table_schema:
                cur.execute(f'DROP SCHEMA "{table_schema}" CASCADE')
        con.close()
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(names)
    for r in rows:
        out.writerow([cell(v) for v in r])


if __name__ == "__main__":
    main()
