"""The council book (council-book.md §4) in hand-written DuckDB SQL, the peer baseline for bench/run.sh.

    python3 bench/duckdb_book.py per-measure DATA AS_OF OUT.csv
    python3 bench/duckdb_book.py tuned       DATA AS_OF OUT.csv
    python3 bench/duckdb_book.py compare BOOK.csv PER_MEASURE.csv TUNED.csv

`per-measure` is the way analysts write it today: one query per measure and period, each with
its dates written in. `tuned` is one hand-tuned query per source computing every measure of that
source for every period at once (a periods table joined to the rows, filtered aggregates,
per-row facts such as "is a repeat referral" computed once). Both read DATA/<table>.parquet, or
DATA/<table>.csv loaded with the contract's types, and write one row per measure and period
window: ref, period_start, period_end, numerator, denominator, value. They compute the reported
periods and the previous periods direction of travel compares with, as scorebook does.

`compare` checks that the three results agree on every numerator, denominator and value of the
book's total rows (relative difference at most 1e-9), and exits 1 naming the first differences.
"""

import csv
import datetime as dt
import math
import os
import sys

import duckdb

HOLIDAYS = os.path.join(os.path.dirname(__file__), "..", "src", "calendar", "bank-holidays-england-and-wales.csv")
JULY = dt.date(2013, 7, 1)  # "Since 1 July" measures (2.3, 2.4a, 2.4b)
TEAMS = "('checs', 'cat', 'cin', 'cp')"

# The contract's column types (council-book.md §1), for reading CSV.
TABLES = {
    "assessments": "assessment_id VARCHAR, child_id VARCHAR, referral_id VARCHAR, assessment_type VARCHAR, "
    "start_date DATE, child_seen_date DATE, completed_date DATE, outcome VARCHAR, team VARCHAR",
    "cin_episodes": "episode_id VARCHAR, child_id VARCHAR, start_date DATE, end_date DATE, primary_need VARCHAR, "
    "closure_reason VARCHAR",
    "cla_episodes": "period_id VARCHAR, child_id VARCHAR, start_date DATE, end_date DATE, legal_status VARCHAR, "
    "placement_type VARCHAR",
    "contacts": "contact_id VARCHAR, child_id VARCHAR, contact_date DATE, contact_source VARCHAR, "
    "contact_method VARCHAR, outcome VARCHAR",
    "cp_plans": "plan_id VARCHAR, child_id VARCHAR, start_date DATE, end_date DATE, initial_category VARCHAR, "
    "previous_plans BIGINT",
    "cse_plans": "cse_plan_id VARCHAR, child_id VARCHAR, start_date DATE, end_date DATE",
    "early_help": "caf_id VARCHAR, child_id VARCHAR, start_date DATE, end_date DATE, lead_agency VARCHAR",
    "member_training": "member_id VARCHAR, trained_date DATE",
    "population": "area_code VARCHAR, year BIGINT, age_group VARCHAR, population BIGINT",
    "private_fostering": "arrangement_id VARCHAR, child_id VARCHAR, start_date DATE, end_date DATE",
    "referrals": "referral_id VARCHAR, child_id VARCHAR, referral_date DATE, referral_source VARCHAR, nfa BOOLEAN, "
    "team VARCHAR",
    "s47_enquiries": "s47_id VARCHAR, child_id VARCHAR, start_date DATE, icpc_date DATE, icpc_not_required BOOLEAN, "
    "cp_plan_resulted BOOLEAN",
    "workforce": "snapshot_date DATE, post_id VARCHAR, team VARCHAR, status VARCHAR, contract VARCHAR, "
    "experienced BOOLEAN, caseload BIGINT",
}


# ---------------------------------------------------------------------------------------------
# Reporting calendar (council-book.md §2)


def add_months(d, n):
    month = d.month - 1 + n
    year, month = d.year + month // 12, month % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last))


def fy_start(d):
    return dt.date(d.year if d.month >= 4 else d.year - 1, 4, 1)


def windows(as_of):
    """Every period window the book computes: the reported periods and their previous periods."""
    fy = fy_start(as_of)
    out = {(add_months(fy, -12), fy - dt.timedelta(days=1)), (add_months(fy, -24), add_months(fy, -12) - dt.timedelta(days=1))}
    for step in (1, 3):
        start = fy
        while start <= as_of:
            end = add_months(start, step) - dt.timedelta(days=1)
            out.add((start, min(end, as_of)))
            out.add((add_months(start, -step), start - dt.timedelta(days=1)))
            start = add_months(start, step)
    out.add((fy, as_of))
    out.add((add_months(fy, -12), add_months(as_of, -12)))
    return sorted(out)


def connect(data):
    con = duckdb.connect()
    for table, columns in TABLES.items():
        parquet = os.path.join(data, table + ".parquet")
        if os.path.exists(parquet):
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{parquet}')")
        else:
            types = "{" + ", ".join(f"'{c.split()[0]}': '{c.split()[1]}'" for c in columns.split(", ")) + "}"
            path = os.path.join(data, table + ".csv")
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{path}', header = true, columns = {types})")
    # Working days: wd(d) counts the working days up to d, so working_days(a, b) = wd(b) - wd(a).
    con.execute(
        f"""CREATE TABLE cal AS
        WITH h AS (SELECT * FROM read_csv('{HOLIDAYS}', header = true, columns = {{'date': 'DATE', 'title': 'VARCHAR'}}))
        SELECT t.d::DATE AS d,
               sum(CASE WHEN dayofweek(t.d) IN (0, 6) OR h.date IS NOT NULL THEN 0 ELSE 1 END) OVER (ORDER BY t.d) AS wd
        FROM range(DATE '1990-01-01', DATE '2041-01-01', INTERVAL 1 DAY) t(d) LEFT JOIN h ON h.date = t.d::DATE"""
    )
    # The 0-17 population of each mid-year that has a positive one.
    con.execute(
        """CREATE TABLE pop AS SELECT year, sum(population) AS population FROM population
        WHERE age_group = '0-17' GROUP BY year HAVING sum(population) > 0"""
    )
    return con


def population_year(e):
    return e.year if e.month >= 4 else e.year - 1


def share(num, den):
    return (num, den, 100.0 * num / den if den else None)


def rate(num, pop):
    return (num, pop, 10000.0 * num / pop if pop else None)


def cell(form, e, values, pop=None):
    """(numerator, denominator, value) of a measure of `form` for the window ending `e`, from
    the figures its query gave (the count or aggregate; or the numerator and denominator)."""
    if form.startswith("since july") and e < JULY:
        return (None, None, None)
    if form in ("count", "number"):
        return (None, None, values[0])
    if form == "rate":
        return rate(values[0], pop)
    return share(values[0], values[1])


# ---------------------------------------------------------------------------------------------
# One query per measure and period


def open_at(e):
    return f"start_date <= {e} AND (end_date IS NULL OR end_date > {e})"


NOT_SHORT_BREAK = "(legal_status IS NULL OR legal_status NOT IN ('V3', 'V4'))"


def timely(kind, start, e, days):
    return f"""SELECT count(*) FILTER (WHERE cc.wd - cs.wd <= {days}), count(*) FROM assessments a
        LEFT JOIN cal cs ON cs.d = a.start_date LEFT JOIN cal cc ON cc.d = a.completed_date
        WHERE assessment_type = '{kind}' AND completed_date BETWEEN {start} AND {e}"""


def snapshot(s, e, where, select):
    return f"""SELECT {select} FROM workforce
        WHERE snapshot_date = (SELECT max(snapshot_date) FROM workforce WHERE snapshot_date BETWEEN {s} AND {e})
        AND team IN {TEAMS} {where}"""


# ref -> (form, SQL for the window [s, e]); fy is the start of e's financial year, july 2013-07-01.
PER_MEASURE = {
    "1.1a": ("count", "SELECT count(DISTINCT child_id) FROM cin_episodes WHERE {open}"),
    "1.1b": ("rate", "SELECT count(DISTINCT child_id) FROM cin_episodes WHERE {open}"),
    "1.2a": ("count", "SELECT count(DISTINCT child_id) FROM cp_plans WHERE {open}"),
    "1.2b": ("rate", "SELECT count(DISTINCT child_id) FROM cp_plans WHERE {open}"),
    "1.3": ("count", "SELECT count(*) FROM s47_enquiries WHERE icpc_date BETWEEN {s} AND {e}"),
    "1.4": ("count", "SELECT count(DISTINCT child_id) FROM private_fostering WHERE {open}"),
    "1.5": ("count", "SELECT count(DISTINCT child_id) FROM cse_plans WHERE {open}"),
    "1.6": ("count", "SELECT count(DISTINCT child_id) FROM cla_episodes WHERE {open} AND " + NOT_SHORT_BREAK),
    "1.7": (
        "count",
        "SELECT count(DISTINCT child_id) FROM cla_episodes WHERE start_date BETWEEN {s} AND {e} AND " + NOT_SHORT_BREAK,
    ),
    "2.1a": ("share", timely("initial", "{s}", "{e}", 10)),
    "2.1b": ("share", timely("initial", "{fy}", "{e}", 10)),
    "2.2a": ("share", timely("core", "{s}", "{e}", 35)),
    "2.2b": ("share", timely("core", "{fy}", "{e}", 35)),
    "2.3": (
        "since july share",
        """SELECT count(*) FILTER (WHERE child_seen_date <= {e} AND cv.wd - cs.wd <= 10), count(*) FROM assessments a
        LEFT JOIN cal cs ON cs.d = a.start_date LEFT JOIN cal cv ON cv.d = a.child_seen_date
        WHERE assessment_type = 'combined' AND start_date BETWEEN {july} AND {e}""",
    ),
    "2.4a": ("since july share", timely("combined", "{july}", "{e}", 35)),
    "2.4b": ("since july share", timely("combined", "{july}", "{e}", 45)),
    "2.5": ("count", "SELECT count(*) FROM cp_plans WHERE {open} AND start_date + INTERVAL 15 MONTH < {e}"),
    "2.9": ("share", snapshot("{s}", "{e}", "", "count(*) FILTER (WHERE status = 'vacant'), count(*)")),
    "2.11": (
        "share",
        snapshot(
            "{s}",
            "{e}",
            "AND status = 'filled'",
            "count(*) FILTER (WHERE contract = 'permanent' AND experienced), count(*)",
        ),
    ),
    "2.12": ("number", snapshot("{s}", "{e}", "AND status = 'filled'", "max(caseload)")),
    "3.1b": ("rate", "SELECT count(*) FROM referrals WHERE referral_date BETWEEN {s} AND {e}"),
    "3.2": (
        "share",
        """SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM referrals o WHERE o.child_id = r.child_id
            AND o.referral_date >= r.referral_date - INTERVAL 12 MONTH AND o.referral_date < r.referral_date)),
        count(*) FROM referrals r WHERE referral_date BETWEEN {s} AND {e}""",
    ),
    "3.3": (
        "share",
        """SELECT count(*) FILTER (WHERE contact_method = 'telephone'), count(*) FROM contacts
        WHERE contact_date BETWEEN {s} AND {e} AND (contact_source IS NULL OR contact_source <> 'individual')""",
    ),
    "3.4": ("count", "SELECT count(*) FROM contacts WHERE contact_date BETWEEN {s} AND {e}"),
    "3.5": (
        "share",
        """SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM assessments a WHERE a.referral_id = r.referral_id
            AND a.assessment_type IN ('initial', 'combined') AND a.start_date <= {e})),
        count(*) FROM referrals r WHERE referral_date BETWEEN {s} AND {e}""",
    ),
    "3.6": (
        "share",
        """SELECT count(*) FILTER (WHERE outcome = 'nfa'), count(*) FROM assessments
        WHERE assessment_type = 'initial' AND completed_date BETWEEN {s} AND {e}""",
    ),
    "3.7": (
        "share",
        "SELECT count(*) FILTER (WHERE previous_plans >= 1), count(*) FROM cp_plans WHERE start_date BETWEEN {s} AND {e}",
    ),
    "4.1": ("rate", "SELECT count(*) FROM early_help WHERE {open}"),
    "4.2": ("count", "SELECT count(*) FROM early_help WHERE start_date BETWEEN {s} AND {e}"),
    "4.3": (
        "share",
        "SELECT count(*) FILTER (WHERE lead_agency IS NOT NULL AND lead_agency <> 'la'), count(*) FROM early_help "
        "WHERE {open}",
    ),
    "4.4": (
        "share",
        """SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM early_help h WHERE h.child_id = r.child_id
            AND h.start_date < r.referral_date)),
        count(*) FROM referrals r WHERE referral_date BETWEEN {s} AND {e}""",
    ),
    "4.5": ("share", "SELECT count(*) FILTER (WHERE trained_date <= {e}), count(*) FROM member_training"),
}


def literal(d):
    return f"DATE '{d.isoformat()}'"


def population(con, e):
    row = con.execute(
        f"SELECT population FROM pop WHERE year = (SELECT max(year) FROM pop WHERE year <= {population_year(e)})"
    ).fetchone()
    return row[0] if row else None


def per_measure(con, as_of):
    out = []
    for s, e in windows(as_of):
        names = {"s": literal(s), "e": literal(e), "fy": literal(fy_start(e)), "july": literal(JULY), "open": open_at(literal(e))}
        for ref, (form, sql) in PER_MEASURE.items():
            if form.startswith("since july") and e < JULY:
                out.append((ref, s, e) + cell(form, e, ()))
                continue
            row = con.execute(sql.format(**names)).fetchone()
            pop = population(con, e) if form == "rate" else None
            out.append((ref, s, e) + cell(form, e, row, pop))
    return out


# ---------------------------------------------------------------------------------------------
# One hand-tuned query per source

OPEN = "x.start_date <= p.e AND coalesce(x.end_date, DATE '9999-12-31') > p.e"

TUNED = {
    # source -> (query over periods p(s, e, fy, july_ok, pop), {ref: (form, column, ...)})
    "cin_episodes": (
        f"""SELECT p.s, p.e, p.pop, count(DISTINCT x.child_id) AS n
        FROM periods p LEFT JOIN cin_episodes x ON {OPEN} GROUP BY ALL""",
        {"1.1a": ("count", "n"), "1.1b": ("rate", "n")},
    ),
    "cp_plans": (
        f"""SELECT p.s, p.e, p.pop,
            count(DISTINCT x.child_id) FILTER (WHERE {OPEN}) AS open_children,
            count(*) FILTER (WHERE {OPEN} AND x.start_date + INTERVAL 15 MONTH < p.e) AS long_open,
            count(*) FILTER (WHERE x.start_date >= p.s) AS started,
            count(*) FILTER (WHERE x.start_date >= p.s AND x.previous_plans >= 1) AS repeat_plans
        FROM periods p LEFT JOIN cp_plans x ON x.start_date <= p.e GROUP BY ALL""",
        {
            "1.2a": ("count", "open_children"),
            "1.2b": ("rate", "open_children"),
            "2.5": ("count", "long_open"),
            "3.7": ("share", "repeat_plans", "started"),
        },
    ),
    "s47_enquiries": (
        """WITH daily AS (SELECT icpc_date AS d, count(*) AS n FROM s47_enquiries GROUP BY ALL)
        SELECT p.s, p.e, coalesce(sum(daily.n), 0) AS n FROM periods p LEFT JOIN daily ON daily.d BETWEEN p.s AND p.e
        GROUP BY ALL""",
        {"1.3": ("count", "n")},
    ),
    "private_fostering": (
        f"SELECT p.s, p.e, count(DISTINCT x.child_id) AS n FROM periods p LEFT JOIN private_fostering x ON {OPEN} GROUP BY ALL",
        {"1.4": ("count", "n")},
    ),
    "cse_plans": (
        f"SELECT p.s, p.e, count(DISTINCT x.child_id) AS n FROM periods p LEFT JOIN cse_plans x ON {OPEN} GROUP BY ALL",
        {"1.5": ("count", "n")},
    ),
    "cla_episodes": (
        f"""SELECT p.s, p.e,
            count(DISTINCT x.child_id) FILTER (WHERE {OPEN}) AS open_children,
            count(DISTINCT x.child_id) FILTER (WHERE x.start_date >= p.s) AS started
        FROM periods p LEFT JOIN cla_episodes x ON x.start_date <= p.e
            AND (x.legal_status IS NULL OR x.legal_status NOT IN ('V3', 'V4'))
        GROUP BY ALL""",
        {"1.6": ("count", "open_children"), "1.7": ("count", "started")},
    ),
    "assessments": (
        f"""WITH a AS (
            SELECT a.assessment_type AS kind, a.start_date, a.completed_date, a.child_seen_date, a.outcome,
                cc.wd - cs.wd AS days_to_complete, cv.wd - cs.wd AS days_to_see
            FROM assessments a LEFT JOIN cal cs ON cs.d = a.start_date LEFT JOIN cal cc ON cc.d = a.completed_date
                LEFT JOIN cal cv ON cv.d = a.child_seen_date
            WHERE a.assessment_type IN ('initial', 'core', 'combined')),
        completed AS (
            SELECT p.s, p.e,
                count(*) FILTER (WHERE kind = 'initial' AND completed_date >= p.s) AS initial,
                count(*) FILTER (WHERE kind = 'initial' AND completed_date >= p.s AND days_to_complete <= 10) AS initial_10,
                count(*) FILTER (WHERE kind = 'initial' AND completed_date >= p.s AND outcome = 'nfa') AS initial_nfa,
                count(*) FILTER (WHERE kind = 'initial' AND completed_date >= p.fy) AS initial_fy,
                count(*) FILTER (WHERE kind = 'initial' AND completed_date >= p.fy AND days_to_complete <= 10) AS initial_fy_10,
                count(*) FILTER (WHERE kind = 'core' AND completed_date >= p.s) AS core,
                count(*) FILTER (WHERE kind = 'core' AND completed_date >= p.s AND days_to_complete <= 35) AS core_35,
                count(*) FILTER (WHERE kind = 'core' AND completed_date >= p.fy) AS core_fy,
                count(*) FILTER (WHERE kind = 'core' AND completed_date >= p.fy AND days_to_complete <= 35) AS core_fy_35,
                count(*) FILTER (WHERE kind = 'combined' AND completed_date >= DATE '{JULY}') AS combined,
                count(*) FILTER (WHERE kind = 'combined' AND completed_date >= DATE '{JULY}' AND days_to_complete <= 35)
                    AS combined_35,
                count(*) FILTER (WHERE kind = 'combined' AND completed_date >= DATE '{JULY}' AND days_to_complete <= 45)
                    AS combined_45
            FROM periods p LEFT JOIN a ON a.completed_date <= p.e AND a.completed_date >= least(p.s, p.fy, DATE '{JULY}')
            GROUP BY ALL),
        started AS (
            SELECT p.s, p.e, count(a.kind) AS combined_started,
                count(*) FILTER (WHERE a.child_seen_date <= p.e AND a.days_to_see <= 10) AS combined_seen_10
            FROM periods p LEFT JOIN a ON a.kind = 'combined' AND a.start_date BETWEEN DATE '{JULY}' AND p.e
            GROUP BY ALL)
        SELECT * FROM completed JOIN started USING (s, e)""",
        {
            "2.1a": ("share", "initial_10", "initial"),
            "2.1b": ("share", "initial_fy_10", "initial_fy"),
            "2.2a": ("share", "core_35", "core"),
            "2.2b": ("share", "core_fy_35", "core_fy"),
            "2.3": ("since july share", "combined_seen_10", "combined_started"),
            "2.4a": ("since july share", "combined_35", "combined"),
            "2.4b": ("since july share", "combined_45", "combined"),
            "3.6": ("share", "initial_nfa", "initial"),
        },
    ),
    "workforce": (
        f"""WITH latest AS (
            SELECT p.s, p.e, max(w.snapshot_date) AS d
            FROM periods p LEFT JOIN (SELECT DISTINCT snapshot_date FROM workforce) w ON w.snapshot_date BETWEEN p.s AND p.e
            GROUP BY ALL)
        SELECT l.s, l.e, count(w.post_id) AS posts,
            count(*) FILTER (WHERE w.status = 'vacant') AS vacant,
            count(*) FILTER (WHERE w.status = 'filled') AS filled,
            count(*) FILTER (WHERE w.status = 'filled' AND w.contract = 'permanent' AND w.experienced) AS permanent_experienced,
            max(w.caseload) FILTER (WHERE w.status = 'filled') AS max_caseload
        FROM latest l LEFT JOIN workforce w ON w.snapshot_date = l.d AND w.team IN {TEAMS}
        GROUP BY ALL""",
        {
            "2.9": ("share", "vacant", "posts"),
            "2.11": ("share", "permanent_experienced", "filled"),
            "2.12": ("number", "max_caseload"),
        },
    ),
    "referrals": (
        """WITH r AS (
            SELECT r.referral_date,
                max(r.referral_date) OVER (PARTITION BY r.child_id ORDER BY r.referral_date
                    RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL 1 DAY PRECEDING)
                    >= r.referral_date - INTERVAL 12 MONTH AS is_repeat,
                h.first_caf < r.referral_date AS after_caf,
                a.first_assessment
            FROM referrals r
            LEFT JOIN (SELECT child_id, min(start_date) AS first_caf FROM early_help GROUP BY ALL) h USING (child_id)
            LEFT JOIN (SELECT referral_id, min(start_date) AS first_assessment FROM assessments
                WHERE assessment_type IN ('initial', 'combined') GROUP BY ALL) a USING (referral_id))
        SELECT p.s, p.e, p.pop, count(r.referral_date) AS referrals,
            count(*) FILTER (WHERE r.is_repeat) AS repeats,
            count(*) FILTER (WHERE r.after_caf) AS after_caf,
            count(*) FILTER (WHERE r.referral_date IS NOT NULL AND (r.first_assessment IS NULL OR r.first_assessment > p.e))
                AS not_assessed
        FROM periods p LEFT JOIN r ON r.referral_date BETWEEN p.s AND p.e
        GROUP BY ALL""",
        {
            "3.1b": ("rate", "referrals"),
            "3.2": ("share", "repeats", "referrals"),
            "3.5": ("share", "not_assessed", "referrals"),
            "4.4": ("share", "after_caf", "referrals"),
        },
    ),
    "contacts": (
        """WITH daily AS (
            SELECT contact_date AS d, count(*) AS n,
                count(*) FILTER (WHERE contact_source IS NULL OR contact_source <> 'individual') AS agency,
                count(*) FILTER (WHERE (contact_source IS NULL OR contact_source <> 'individual')
                    AND contact_method = 'telephone') AS agency_phone
            FROM contacts GROUP BY ALL)
        SELECT p.s, p.e, coalesce(sum(n), 0) AS n, coalesce(sum(agency), 0) AS agency,
            coalesce(sum(agency_phone), 0) AS agency_phone
        FROM periods p LEFT JOIN daily ON daily.d BETWEEN p.s AND p.e GROUP BY ALL""",
        {"3.3": ("share", "agency_phone", "agency"), "3.4": ("count", "n")},
    ),
    "early_help": (
        f"""SELECT p.s, p.e, p.pop, count(*) FILTER (WHERE {OPEN}) AS open,
            count(*) FILTER (WHERE {OPEN} AND x.lead_agency <> 'la') AS open_not_la,
            count(*) FILTER (WHERE x.start_date >= p.s) AS started
        FROM periods p LEFT JOIN early_help x ON x.start_date <= p.e GROUP BY ALL""",
        {"4.1": ("rate", "open"), "4.2": ("count", "started"), "4.3": ("share", "open_not_la", "open")},
    ),
    "member_training": (
        """SELECT p.s, p.e, count(m.member_id) AS members, count(*) FILTER (WHERE m.trained_date <= p.e) AS trained
        FROM periods p LEFT JOIN member_training m ON true GROUP BY ALL""",
        {"4.5": ("share", "trained", "members")},
    ),
}


def tuned(con, as_of):
    rows = [(s, e, fy_start(e), population_year(e)) for s, e in windows(as_of)]
    con.execute("CREATE TABLE windows (s DATE, e DATE, fy DATE, py BIGINT)")
    con.executemany("INSERT INTO windows VALUES (?, ?, ?, ?)", rows)
    con.execute(
        """CREATE TABLE periods AS SELECT w.s, w.e, w.fy,
            (SELECT population FROM pop WHERE year = (SELECT max(year) FROM pop WHERE year <= w.py)) AS pop
        FROM windows w"""
    )
    out = []
    for sql, measures in TUNED.values():
        cursor = con.execute(sql)
        names = [c[0] for c in cursor.description]
        for record in cursor.fetchall():
            row = dict(zip(names, record))
            s, e = row["s"], row["e"]
            for ref, (form, *columns) in measures.items():
                out.append((ref, s, e) + cell(form, e, [row[c] for c in columns], row.get("pop")))
    return out


# ---------------------------------------------------------------------------------------------


def write(rows, path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ref", "period_start", "period_end", "numerator", "denominator", "value"])
        for ref, s, e, num, den, value in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
            w.writerow([ref, s, e] + ["" if v is None else repr(v) for v in (num, den, value)])


def read(path):
    with open(path, newline="") as f:
        return {(r["ref"], r["period_start"], r["period_end"]): r for r in csv.DictReader(f) if not r.get("breakdown")}


def same(a, b):
    if a == "" or b == "":
        return a == b
    x, y = float(a), float(b)
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)


def compare(book_path, *others):
    book = read(book_path)
    problems = []
    for path in others:
        other = read(path)
        for key, row in book.items():
            theirs = other.get(key)
            if theirs is None:
                problems.append(f"{path}: no row for {key}")
                continue
            for field in ("numerator", "denominator", "value"):
                if not same(row[field], theirs[field]):
                    problems.append(f"{path}: {key} {field}: scorebook {row[field]!r}, DuckDB {theirs[field]!r}")
    for p in problems[:20]:
        print(p, file=sys.stderr)
    if problems:
        print(f"{len(problems)} differences", file=sys.stderr)
        return 1
    print(f"{len(book)} measure-periods agree in all {1 + len(others)} results ({3 * len(book) * (1 + len(others))} values)")
    return 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "compare":
        return compare(*argv[1:])
    if len(argv) != 4 or argv[0] not in ("per-measure", "tuned"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, data, as_of, out = argv
    con = connect(data)
    as_of = dt.date.fromisoformat(as_of)
    write(per_measure(con, as_of) if mode == "per-measure" else tuned(con, as_of), out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
