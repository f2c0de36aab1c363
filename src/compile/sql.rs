//! Plans as SQL, through DataFusion's unparser (applied to the plan as built, not optimised).

use super::CompileError;
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::sqlparser::ast::{visit_expressions_mut, Expr as SqlExpr, Statement, Value};
use datafusion::sql::unparser::dialect::{
    BigQueryDialect, DefaultDialect, Dialect as UnparserDialect, DuckDBDialect, MySqlDialect, PostgreSqlDialect,
    SnowflakeDialect, SqliteDialect,
};
use datafusion::sql::unparser::Unparser;
use std::ops::ControlFlow;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
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
    with_deep_stack(|| unparse(plan, dialect))
}

fn unparse(plan: &LogicalPlan, dialect: Dialect) -> Result<String, CompileError> {
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
    quote_literals(&mut statement, dialect);
    Ok(statement.to_string())
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
