//! Plans as SQL, through DataFusion's unparser (applied to the plan as built, not optimised).

use super::CompileError;
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::unparser::dialect::{
    BigQueryDialect, DefaultDialect, Dialect as UnparserDialect, DuckDBDialect, MySqlDialect, PostgreSqlDialect, SqliteDialect,
    SnowflakeDialect,
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

pub fn to_sql(plan: &LogicalPlan, dialect: Dialect) -> Result<String, CompileError> {
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
