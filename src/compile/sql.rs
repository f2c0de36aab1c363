//! Plans as SQL, through DataFusion's unparser (applied to the plan as built, not optimised).

use super::CompileError;
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::unparser::dialect::{
    BigQueryDialect, DefaultDialect, Dialect as UnparserDialect, DuckDBDialect, MySqlDialect, PostgreSqlDialect,
    SnowflakeDialect, SqliteDialect,
};
use datafusion::sql::unparser::Unparser;

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
    let statement = Unparser::new(d.as_ref()).with_pretty(true).plan_to_sql(plan)?;
    Ok(statement.to_string())
}
