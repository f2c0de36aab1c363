//! Plans as SQL, through DataFusion's unparser (applied to the plan as built, not optimised).

use super::CompileError;
use crate::refusal::Refusal;
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    visit_expressions_mut, visit_relations_mut, BinaryOperator, CaseWhen, DataType as SqlType, DateTimeField,
    Expr as SqlExpr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName, Statement, Value,
};
use datafusion::sql::sqlparser::dialect::SQLiteDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::unparser::dialect::{
    BigQueryDialect, DefaultDialect, Dialect as UnparserDialect, DuckDBDialect, MySqlDialect, PostgreSqlDialect,
    SnowflakeDialect, SqliteDialect,
};
use datafusion::sql::unparser::Unparser;
use std::ops::ControlFlow;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Dialect {
    /// DataFusion's own SQL.
    Datafusion,
    Postgres,
    Mysql,
    Sqlite,
    Duckdb,
    Bigquery,
    Snowflake,
}

impl Dialect {
    pub const ALL: [Dialect; 7] = [
        Dialect::Datafusion,
        Dialect::Postgres,
        Dialect::Mysql,
        Dialect::Sqlite,
        Dialect::Duckdb,
        Dialect::Bigquery,
        Dialect::Snowflake,
    ];

    /// The name `--dialect` and the Python package take.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Datafusion => "datafusion",
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
            Dialect::Sqlite => "sqlite",
            Dialect::Duckdb => "duckdb",
            Dialect::Bigquery => "bigquery",
            Dialect::Snowflake => "snowflake",
        }
    }

    /// The dialect of a name, in any case.
    pub fn parse(name: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name().eq_ignore_ascii_case(name))
    }
}

/// Stack for the unparser and SQL planner, which recurse once per nested expression.
pub const DEEP_STACK: usize = 256 << 20;

/// Runs `f` on a thread with a deep stack: plans of a whole book nest deeply.
pub fn with_deep_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(DEEP_STACK)
            .spawn_scoped(s, f)
            .expect("a thread can be started")
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

pub fn to_sql(plan: &LogicalPlan, dialect: Dialect) -> Result<String, CompileError> {
    with_deep_stack(|| Ok(unparse(plan, dialect, None)?.to_string()))
}

/// The same SQL laid out for reading: each clause on its own line, each item of a list on
/// its own indented line (`compile --emit sql`).
pub fn to_sql_pretty(plan: &LogicalPlan, dialect: Dialect) -> Result<String, CompileError> {
    with_deep_stack(|| Ok(format!("{:#}", unparse(plan, dialect, None)?)))
}

/// Tables a plan reads, and the schema they live in.
pub struct InSchema<'a> {
    pub schema: &'a str,
    pub tables: &'a [String],
}

/// SQL for `plan` whose source tables are read from `in_schema` when given.
pub fn to_sql_in(
    plan: &LogicalPlan,
    dialect: Dialect,
    in_schema: Option<&InSchema<'_>>,
) -> Result<String, CompileError> {
    with_deep_stack(|| Ok(unparse(plan, dialect, in_schema)?.to_string()))
}

fn unparse(plan: &LogicalPlan, dialect: Dialect, in_schema: Option<&InSchema<'_>>) -> Result<Statement, CompileError> {
    let d: Box<dyn UnparserDialect> = match dialect {
        Dialect::Datafusion => Box::new(DefaultDialect {}),
        Dialect::Postgres => Box::new(PostgreSqlDialect {}),
        Dialect::Mysql => Box::new(MySqlDialect {}),
        Dialect::Sqlite => Box::new(SqliteDialect {}),
        Dialect::Duckdb => Box::new(DuckDBDialect::new()),
        Dialect::Bigquery => Box::new(BigQueryDialect {}),
        Dialect::Snowflake => Box::new(SnowflakeDialect::new()),
    };
    let mut statement = Unparser::new(d.as_ref()).with_pretty(true).plan_to_sql(plan)?;
    if let Some(s) = in_schema {
        qualify_tables(&mut statement, s);
    }
    match dialect {
        Dialect::Sqlite => {
            day_differences(&mut statement, dialect);
            sqlite_dates(&mut statement)?;
            epoch_seconds(&mut statement, dialect)?;
        }
        Dialect::Mysql | Dialect::Bigquery | Dialect::Snowflake => {
            day_differences(&mut statement, dialect);
            filters_as_case(&mut statement);
            unit_intervals(&mut statement, dialect)?;
            epoch_seconds(&mut statement, dialect)?;
        }
        Dialect::Datafusion | Dialect::Postgres | Dialect::Duckdb => {}
    }
    quote_literals(&mut statement, dialect);
    Ok(statement)
}

/// Source tables as `schema.table`.
fn qualify_tables(statement: &mut Statement, in_schema: &InSchema<'_>) {
    let _ = visit_relations_mut(statement, |name| {
        if let [only] = name.0.as_slice() {
            if let Some(ident) = only.as_ident() {
                if in_schema.tables.contains(&ident.value) {
                    let table = ident.clone();
                    let schema = Ident::with_quote('"', in_schema.schema);
                    *name = ObjectName::from(vec![schema, table]);
                }
            }
        }
        ControlFlow::<()>::Continue(())
    });
}

/// SQLite has no date type and no interval arithmetic: dates stay ISO text, which compares in
/// date order, and `d + INTERVAL` becomes `date(d, ...)`, with months clamped to the month's
/// last day as in the other engines (SQLite's own `date('2012-02-29', '+12 months')` is
/// 1 March; scorebook's is 28 February).
fn sqlite_dates(statement: &mut Statement) -> Result<(), CompileError> {
    let mut problem = None;
    let _ = visit_expressions_mut(statement, |e| {
        if let SqlExpr::Cast { expr, data_type: SqlType::Date, .. } = e {
            *e = (**expr).clone();
            return ControlFlow::Continue(());
        }
        if let SqlExpr::BinaryOp { left, op, right } = e {
            let sign = match op {
                BinaryOperator::Plus => 1,
                BinaryOperator::Minus => -1,
                _ => return ControlFlow::Continue(()),
            };
            let SqlExpr::Interval(interval) = &**right else { return ControlFlow::Continue(()) };
            let Some((months, days)) = interval_parts(&interval.value.to_string()) else {
                problem = Some(cannot_write(&interval.to_string(), Dialect::Sqlite));
                return ControlFlow::Break(());
            };
            let d = left.to_string();
            let text = match (months * sign, days * sign) {
                (0, n) => format!("date({d}, '{n:+} days')"),
                (m, 0) => format!(
                    "CASE WHEN strftime('%d', date({d}, '{m:+} months')) = strftime('%d', {d}) THEN date({d}, '{m:+} months') ELSE date({d}, '{m:+} months', 'start of month', '-1 day') END"
                ),
                _ => {
                    problem = Some(cannot_write(&interval.to_string(), Dialect::Sqlite));
                    return ControlFlow::Break(());
                }
            };
            match Parser::new(&SQLiteDialect {}).try_with_sql(&text).and_then(|mut p| p.parse_expr()) {
                Ok(x) => *e = x,
                Err(err) => {
                    problem = Some(CompileError::internal(format!("rewriting {text} for SQLite: {err}")));
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    });
    match problem {
        Some(p) => Err(p),
        None => Ok(()),
    }
}

/// A difference of two dates is a number of days (`days_between`): the plan writes it as
/// `CAST(b AS DATE) - CAST(a AS DATE)`, which DataFusion, PostgreSQL and DuckDB read as days.
/// SQLite's dialect casts dates to TEXT, where `-` would subtract the years: the difference of
/// their Julian day numbers instead. MySQL, BigQuery and Snowflake have a function of their own.
fn day_differences(statement: &mut Statement, dialect: Dialect) {
    let _ = visit_expressions_mut(statement, |e| {
        let SqlExpr::BinaryOp { left, op: BinaryOperator::Minus, right } = e else {
            return ControlFlow::<()>::Continue(());
        };
        let date_type = if dialect == Dialect::Sqlite { SqlType::Text } else { SqlType::Date };
        let as_date = |x: &SqlExpr| match x {
            SqlExpr::Cast { expr, data_type, .. } if *data_type == date_type => Some((**expr).clone()),
            _ => None,
        };
        let (Some(b), Some(a)) = (as_date(left), as_date(right)) else { return ControlFlow::Continue(()) };
        let date = |x: SqlExpr| SqlExpr::Cast {
            kind: datafusion::sql::sqlparser::ast::CastKind::Cast,
            expr: Box::new(x),
            data_type: SqlType::Date,
            array: false,
            format: None,
        };
        let word = |w: &str| SqlExpr::Identifier(Ident::new(w));
        *e = match dialect {
            Dialect::Sqlite => {
                let days = SqlExpr::BinaryOp {
                    left: Box::new(call("julianday", vec![b])),
                    op: BinaryOperator::Minus,
                    right: Box::new(call("julianday", vec![a])),
                };
                SqlExpr::Cast {
                    kind: datafusion::sql::sqlparser::ast::CastKind::Cast,
                    expr: Box::new(SqlExpr::Nested(Box::new(days))),
                    data_type: SqlType::Integer(None),
                    array: false,
                    format: None,
                }
            }
            Dialect::Mysql => call("DATEDIFF", vec![date(b), date(a)]),
            Dialect::Bigquery => call("DATE_DIFF", vec![date(b), date(a), word("DAY")]),
            Dialect::Snowflake => call("DATEDIFF", vec![word("day"), date(a), date(b)]),
            Dialect::Datafusion | Dialect::Postgres | Dialect::Duckdb => return ControlFlow::Continue(()),
        };
        ControlFlow::Continue(())
    });
}

/// `date_part('epoch', t)`, a date-time's seconds from 1970-01-01 00:00 (of which
/// `seconds_between` is a difference), in the dialects that lack it, on the clock time as
/// written with no time zone: SQLite's `strftime('%s', t)` of its text, MySQL's seconds from
/// the epoch's DATETIME, BigQuery's seconds of the DATETIME read as UTC, Snowflake's
/// `epoch_second` of a TIMESTAMP_NTZ.
fn epoch_seconds(statement: &mut Statement, dialect: Dialect) -> Result<(), CompileError> {
    let mut problem = None;
    let _ = visit_expressions_mut(statement, |e| {
        let SqlExpr::Function(f) = e else { return ControlFlow::Continue(()) };
        if !f.name.to_string().eq_ignore_ascii_case("date_part") {
            return ControlFlow::Continue(());
        }
        let FunctionArguments::List(list) = &f.args else { return ControlFlow::Continue(()) };
        let [FunctionArg::Unnamed(FunctionArgExpr::Expr(part)), FunctionArg::Unnamed(FunctionArgExpr::Expr(t))] =
            list.args.as_slice()
        else {
            return ControlFlow::Continue(());
        };
        let is_epoch = matches!(part, SqlExpr::Value(v) if matches!(&v.value, Value::SingleQuotedString(p) if p.eq_ignore_ascii_case("epoch")));
        if !is_epoch {
            return ControlFlow::Continue(());
        }
        let text = match dialect {
            Dialect::Sqlite => format!("CAST(strftime('%s', {t}) AS INTEGER)"),
            Dialect::Mysql => format!("TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', {t})"),
            Dialect::Bigquery => format!("UNIX_SECONDS(TIMESTAMP({t}))"),
            Dialect::Snowflake => format!("DATE_PART(epoch_second, {t})"),
            Dialect::Datafusion | Dialect::Postgres | Dialect::Duckdb => return ControlFlow::Continue(()),
        };
        use datafusion::sql::sqlparser::dialect as parsing;
        let reader: Box<dyn parsing::Dialect> = match dialect {
            Dialect::Sqlite => Box::new(SQLiteDialect {}),
            Dialect::Mysql => Box::new(parsing::MySqlDialect {}),
            Dialect::Bigquery => Box::new(parsing::BigQueryDialect {}),
            _ => Box::new(parsing::SnowflakeDialect {}),
        };
        match Parser::new(reader.as_ref()).try_with_sql(&text).and_then(|mut p| p.parse_expr()) {
            Ok(x) => *e = x,
            Err(err) => {
                problem = Some(CompileError::internal(format!("rewriting {text}: {err}")));
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    match problem {
        Some(p) => Err(p),
        None => Ok(()),
    }
}

/// `name(args)`.
fn call(name: &str, args: Vec<SqlExpr>) -> SqlExpr {
    SqlExpr::Function(datafusion::sql::sqlparser::ast::Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(datafusion::sql::sqlparser::ast::FunctionArgumentList {
            duplicate_treatment: None,
            args: args.into_iter().map(|x| FunctionArg::Unnamed(FunctionArgExpr::Expr(x))).collect(),
            clauses: Vec::new(),
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: Vec::new(),
    })
}

/// `agg(x) FILTER (WHERE c)` as `agg(CASE WHEN c THEN x END)`, for engines without FILTER:
/// the aggregate skips the NULLs the CASE gives other rows, so the result is the same
/// (`count(*)` counts `CASE WHEN c THEN 1 END`).
fn filters_as_case(statement: &mut Statement) {
    let _ = visit_expressions_mut(statement, |e| {
        let SqlExpr::Function(f) = e else { return ControlFlow::<()>::Continue(()) };
        let Some(condition) = f.filter.take() else { return ControlFlow::Continue(()) };
        let when = |result: SqlExpr| SqlExpr::Case {
            case_token: AttachedToken::empty(),
            end_token: AttachedToken::empty(),
            operand: None,
            conditions: vec![CaseWhen { condition: (*condition).clone(), result }],
            else_result: None,
        };
        if let FunctionArguments::List(list) = &mut f.args {
            for arg in &mut list.args {
                if let FunctionArg::Unnamed(a) = arg {
                    *a = match std::mem::replace(a, FunctionArgExpr::Wildcard) {
                        FunctionArgExpr::Expr(x) => FunctionArgExpr::Expr(when(x)),
                        _ => FunctionArgExpr::Expr(when(number(1))),
                    };
                }
            }
        }
        ControlFlow::Continue(())
    });
}

fn number(n: i64) -> SqlExpr {
    SqlExpr::Value(Value::Number(n.to_string().parse().expect("an integer is a number"), false).with_empty_span())
}

/// An interval a dialect has no way to write (months and days at once, or one the unparser
/// gave in a form this rewriting does not read).
fn cannot_write(interval: &str, dialect: Dialect) -> CompileError {
    Refusal::new(format!("the {} script cannot write the interval {interval}", dialect.name()))
        .help("add months and days in two steps (`add_days(add_months(d, 1), 3)`), or choose --dialect duckdb or postgres")
        .into()
}

/// `INTERVAL '1 YEARS 3 MONS'` as `INTERVAL 15 MONTH` (MySQL, BigQuery) or
/// `INTERVAL '15 MONTH'` (Snowflake): month arithmetic these engines clamp to the month's end.
fn unit_intervals(statement: &mut Statement, dialect: Dialect) -> Result<(), CompileError> {
    let mut problem = None;
    let _ = visit_expressions_mut(statement, |e| {
        let SqlExpr::Interval(interval) = e else { return ControlFlow::Continue(()) };
        if interval.leading_field.is_some() {
            return ControlFlow::Continue(()); // already in the dialect's own style
        }
        let Some((months, days)) = interval_parts(&interval.value.to_string()) else {
            problem = Some(cannot_write(&interval.to_string(), dialect));
            return ControlFlow::Break(());
        };
        let (n, field, name) = match (months, days) {
            (m, 0) => (m, DateTimeField::Month, "MONTH"),
            (0, d) => (d, DateTimeField::Day, "DAY"),
            _ => {
                problem = Some(cannot_write(&interval.to_string(), dialect));
                return ControlFlow::Break(());
            }
        };
        let (value, leading_field) = if dialect == Dialect::Snowflake {
            (SqlExpr::Value(Value::SingleQuotedString(format!("{n} {name}")).with_empty_span()), None)
        } else {
            (number(n), Some(field))
        };
        *interval.value = value;
        interval.leading_field = leading_field;
        ControlFlow::Continue(())
    });
    match problem {
        Some(p) => Err(p),
        None => Ok(()),
    }
}

/// Months and days of an unparsed interval such as `'1 YEARS 3 MONS'` or
/// `'0 YEARS 0 MONS 30 DAYS 0 HOURS 0 MINS 0.000000000 SECS'`; `None` if it holds time.
fn interval_parts(text: &str) -> Option<(i64, i64)> {
    let words: Vec<&str> = text.trim_matches(|c| c == '\'' || c == ' ').split_whitespace().collect();
    let (mut months, mut days) = (0i64, 0i64);
    for pair in words.chunks(2) {
        let [n, unit] = pair else { return None };
        let n: f64 = n.parse().ok()?;
        match unit.to_ascii_uppercase().trim_end_matches('S') {
            "YEAR" => months += 12 * n as i64,
            "MON" | "MONTH" => months += n as i64,
            "DAY" => days += n as i64,
            "HOUR" | "MIN" | "MINUTE" | "SEC" | "SECOND" if n == 0.0 => {}
            _ => return None,
        }
    }
    Some((months, days))
}

/// Writes every text literal as the dialect reads it back, whatever it holds. The parser
/// library's own escaping leaves a quote after a backslash alone (it may be a MySQL escape),
/// so `x\'; DROP TABLE t; --` from a rule file would end the literal early in PostgreSQL.
fn quote_literals(statement: &mut Statement, dialect: Dialect) {
    let _ = visit_expressions_mut(statement, |e| {
        if let SqlExpr::Value(v) = e {
            if let Value::SingleQuotedString(text) = &v.value {
                // A placeholder is written out as it is: the quoted literal.
                v.value = Value::Placeholder(quote_literal(text, dialect));
            }
        }
        ControlFlow::<()>::Continue(())
    });
}

/// `text` as a single-quoted literal of the dialect.
pub fn quote_literal(text: &str, dialect: Dialect) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    match dialect {
        // Backslash is an escape character inside literals.
        Dialect::Mysql | Dialect::Bigquery | Dialect::Snowflake => {
            for c in text.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\'' => out.push_str("\\'"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\0' => out.push_str("\\0"),
                    c => out.push(c),
                }
            }
        }
        // Standard SQL: a backslash is itself, a quote is doubled.
        Dialect::Datafusion | Dialect::Postgres | Dialect::Sqlite | Dialect::Duckdb => {
            out.push_str(&text.replace('\'', "''"));
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::{to_sql, Dialect};
    use crate::compile::exprs::{days_between, seconds_between};
    use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use datafusion::common::ScalarValue;
    use datafusion::functions_aggregate::expr_fn::count;
    use datafusion::logical_expr::builder::LogicalTableSource;
    use datafusion::logical_expr::{col, lit, BinaryExpr, Expr, ExprFunctionExt, LogicalPlanBuilder, Operator};
    use std::sync::Arc;

    /// [`plan_of`] in `dialect`.
    fn sql_of(expr: Expr, dialect: Dialect) -> String {
        to_sql(&plan_of(expr), dialect).unwrap()
    }

    /// `SELECT expr FROM t`, t holding a date `a`, a date `b`, date-times `s` and `e`, text `x`.
    fn plan_of(expr: Expr) -> datafusion::logical_expr::LogicalPlan {
        let schema = Schema::new(vec![
            Field::new("a", DataType::Date32, true),
            Field::new("b", DataType::Date32, true),
            Field::new("s", DataType::Timestamp(TimeUnit::Microsecond, None), true),
            Field::new("e", DataType::Timestamp(TimeUnit::Microsecond, None), true),
            Field::new("x", DataType::Utf8, true),
        ]);
        LogicalPlanBuilder::scan("t", Arc::new(LogicalTableSource::new(Arc::new(schema))), None)
            .unwrap()
            .project(vec![expr.alias("v")])
            .unwrap()
            .build()
            .unwrap()
    }

    fn plus(d: Expr, interval: ScalarValue) -> Expr {
        Expr::BinaryExpr(BinaryExpr::new(Box::new(d), Operator::Plus, Box::new(lit(interval))))
    }

    /// Each dialect's rewrite of the forms the plans hold, as the fragment it writes.
    #[test]
    fn each_dialect_writes_days_intervals_seconds_and_literals_its_own_way() {
        use Dialect::*;
        let days = || days_between(col("a"), col("b"));
        let months = || plus(col("a"), ScalarValue::IntervalYearMonth(Some(3)));
        let plus_days = || plus(col("a"), ScalarValue::new_interval_dt(-7, 0));
        let seconds = || seconds_between(col("s"), col("e"));
        let quoted = || col("x").eq(lit("it's a \\ path"));
        let cases: Vec<(Expr, Dialect, &str)> = vec![
            (days(), Postgres, "CAST(\"t\".\"b\" AS DATE) - CAST(\"t\".\"a\" AS DATE)"),
            (days(), Sqlite, "CAST((julianday(`t`.`b`) - julianday(`t`.`a`)) AS INTEGER)"),
            (days(), Mysql, "DATEDIFF(CAST(`t`.`b` AS DATE), CAST(`t`.`a` AS DATE))"),
            (days(), Bigquery, "DATE_DIFF(CAST(`t`.`b` AS DATE), CAST(`t`.`a` AS DATE), DAY)"),
            (days(), Snowflake, "DATEDIFF(day, CAST(\"t\".\"a\" AS DATE), CAST(\"t\".\"b\" AS DATE))"),
            (months(), Mysql, "INTERVAL 3 MONTH"),
            (months(), Bigquery, "INTERVAL '3' MONTH"),
            (months(), Snowflake, "INTERVAL '3 MONTH'"),
            (months(), Sqlite, "date(`t`.`a`, '+3 months', 'start of month', '-1 day')"),
            (plus_days(), Sqlite, "date(`t`.`a`, '-7 days')"),
            (plus_days(), Mysql, "INTERVAL -7 DAY"),
            (seconds(), Postgres, "date_part('epoch', \"t\".\"e\")"),
            (seconds(), Sqlite, "CAST(strftime('%s', `t`.`e`) AS INTEGER)"),
            (seconds(), Mysql, "TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', `t`.`e`)"),
            (seconds(), Bigquery, "UNIX_SECONDS(TIMESTAMP(`t`.`e`))"),
            (seconds(), Snowflake, "DATE_PART(epoch_second, \"t\".\"e\")"),
            (quoted(), Postgres, "'it''s a \\ path'"),
            (quoted(), Duckdb, "'it''s a \\ path'"),
            (quoted(), Mysql, "'it\\'s a \\\\ path'"),
        ];
        for (expr, dialect, fragment) in cases {
            let sql = sql_of(expr, dialect);
            assert!(sql.contains(fragment), "{}: expected `{fragment}` in\n{sql}", dialect.name());
        }
    }

    #[test]
    fn a_filtered_aggregate_is_a_case_where_the_dialect_has_no_filter() {
        let filtered = || count(lit(1)).filter(col("x").eq(lit("y"))).build().unwrap();
        let schema = Schema::new(vec![Field::new("x", DataType::Utf8, true)]);
        let plan = |d| {
            let p = LogicalPlanBuilder::scan("t", Arc::new(LogicalTableSource::new(Arc::new(schema.clone()))), None)
                .unwrap()
                .aggregate(Vec::<Expr>::new(), vec![filtered().alias("n")])
                .unwrap()
                .build()
                .unwrap();
            to_sql(&p, d).unwrap()
        };
        for d in [Dialect::Postgres, Dialect::Duckdb, Dialect::Sqlite] {
            assert!(plan(d).contains("FILTER (WHERE"), "{}: {}", d.name(), plan(d));
        }
        for d in [Dialect::Mysql, Dialect::Bigquery, Dialect::Snowflake] {
            let sql = plan(d);
            assert!(!sql.contains("FILTER") && sql.contains("CASE WHEN"), "{}: {sql}", d.name());
        }
    }

    #[test]
    fn an_interval_of_months_and_days_at_once_is_refused_where_a_dialect_cannot_write_it() {
        let plan = plan_of(plus(col("a"), ScalarValue::new_interval_mdn(1, 3, 0)));
        for d in [Dialect::Mysql, Dialect::Bigquery, Dialect::Snowflake] {
            assert!(to_sql(&plan, d).is_err(), "{}", d.name());
        }
        let e = to_sql(&plan, Dialect::Sqlite).unwrap_err();
        let r = e.refusal().unwrap_or_else(|| panic!("{e}"));
        assert!(r.message.starts_with("the sqlite script cannot write the interval"), "{r:?}");
        assert!(r.help.unwrap().contains("add_days(add_months(d, 1), 3)"));
        assert!(to_sql(&plan, Dialect::Postgres).is_ok() && to_sql(&plan, Dialect::Duckdb).is_ok());
    }

    #[test]
    fn a_dialect_is_named_and_parsed_as_the_command_line_and_python_take_it() {
        for d in Dialect::ALL {
            assert_eq!(Dialect::parse(d.name()), Some(d));
            assert_eq!(Dialect::parse(&d.name().to_uppercase()), Some(d));
            #[cfg(feature = "cli")]
            {
                let clap = clap::ValueEnum::to_possible_value(&d).unwrap();
                assert_eq!(clap.get_name(), d.name());
            }
        }
        assert_eq!(Dialect::parse("oracle"), None);
    }
}
