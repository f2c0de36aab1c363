//! The book's plans on a Ballista cluster: `run --engine ballista://HOST:PORT` connects to a
//! scheduler, `--engine ballista-standalone` starts a scheduler and an executor in process.
//! The plans are the local run's: each source's aggregate is sent to the scheduler as a
//! DataFusion logical plan (datafusion-proto), run by the executors, and its one row comes
//! back; the cells are then computed locally (engine::pieces). Sources must be Parquet files
//! at paths the executors can read, and the working-day calendar is a Parquet file
//! in the system's temporary directory, so no table held in this process's memory is named.

use super::{session_config, Cluster, RunError};
use crate::calendar::working_days::HolidayList;
use crate::compile::CALENDAR_TABLE;
use crate::refusal::Refusal;
use ballista::prelude::SessionContextExt;
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use std::path::PathBuf;

/// A session whose queries run on the cluster, with the calendar registered.
pub async fn session(cluster: &Cluster, holidays: &HolidayList) -> Result<SessionContext, RunError> {
    let state = SessionStateBuilder::new().with_config(session_config()).with_default_features().build();
    let ctx = match cluster {
        Cluster::Local => return Err(RunError::Internal("a cluster session asked for a local run".into())),
        Cluster::BallistaStandalone => SessionContext::standalone_with_state(state)
            .await
            .map_err(|e| RunError::Refused(Refusal::new(format!("starting Ballista in process: {e}"))))?,
        Cluster::Ballista(url) => {
            let unreachable = |e: datafusion::error::DataFusionError| {
                RunError::Refused(Refusal::new(format!(
                    "connecting to the Ballista scheduler at {url}: {e}"
                )).help("start one (`scorebook-scheduler --port PORT` and an executor; bench/ballista.sh shows how) or check the host and port"))
            };
            let ctx = SessionContext::remote_with_state(url, state).await.map_err(unreachable)?;
            // The context connects lazily: ask the cluster something now, so that an
            // unreachable scheduler is reported as such rather than by the first data check.
            ctx.sql("SELECT 1").await.map_err(unreachable)?.collect().await.map_err(unreachable)?;
            ctx
        }
    };
    let calendar = calendar_file(holidays)?;
    ctx.register_parquet(CALENDAR_TABLE, calendar.display().to_string(), ParquetReadOptions::default()).await?;
    Ok(ctx)
}

/// The calendar table as a Parquet file, written once per holiday list.
fn calendar_file(holidays: &HolidayList) -> Result<PathBuf, RunError> {
    let mut key = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&holidays.days, &mut key);
    let name = format!("scorebook-calendar-{:016x}.parquet", std::hash::Hasher::finish(&key));
    let path = std::env::temp_dir().join(name);
    if path.exists() {
        return Ok(path);
    }
    let table = super::calendar_batch(holidays)?;
    let mut bytes = Vec::new();
    let written = ArrowWriter::try_new(&mut bytes, table.schema(), None).and_then(|mut w| {
        w.write(&table)?;
        w.close()
    });
    written.map_err(datafusion::error::DataFusionError::from)?;
    crate::fsutil::write_atomically(&path, &bytes).map_err(|e| {
        RunError::Refused(Refusal::new(format!("writing the calendar for the cluster to {}: {e}", path.display())))
    })?;
    Ok(path)
}

/// Why a plan cannot be sent to the executors, if it cannot: it must serialise with
/// datafusion-proto (no table held in memory, no function the executors lack).
pub fn check_sendable(name: &str, plan: &LogicalPlan) -> Result<(), RunError> {
    datafusion_proto::bytes::logical_plan_to_bytes(plan).map(|_| ()).map_err(|e| {
        RunError::Refused(
            Refusal::new(format!("the plan of `{name}` cannot be sent to the Ballista executors: {e}"))
                .help("sources must be Parquet files the executors can read"),
        )
    })
}

/// A run that lost an executor, said as such (Ballista reports it as a failed connection to
/// the executor's address, while fetching a task's results or a shuffle's partitions); other
/// failures as they are.
pub fn explain(e: RunError, cluster: &Cluster) -> RunError {
    let Some(df) = e.datafusion() else { return e };
    let text = df.to_string();
    // `... executor at http://127.0.0.1:50051: tonic::transport::Error(...)`, or
    // `Shuffle fetch partition error from Executor ID ... ConnectError("tcp connect error", 127.0.0.1:50051, ...`
    let address = ["Error connecting to Ballista scheduler or executor at ", "ConnectError(\"tcp connect error\", "]
        .iter()
        .find_map(|marker| text.find(marker).map(|at| &text[at + marker.len()..]))
        .filter(|_| text.contains("executor") || text.contains("Executor"))
        .map(|rest| {
            let rest = rest.trim_start_matches("http://").trim_start_matches("https://");
            rest.split([' ', ',', ')', '"']).next().unwrap_or_default().trim_end_matches(':').to_string()
        });
    let Some(address) = address else { return e };
    let scheduler = match cluster {
        Cluster::Ballista(url) => format!(" of {url}"),
        _ => String::new(),
    };
    RunError::Refused(Refusal::new(format!(
        "the Ballista executor at {address}{scheduler} was lost during the run: its results could not be fetched; nothing was written"
    )).help("restart the executor (or run again on the executors left); the scheduler reruns a stage only on executors that are alive"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::error::DataFusionError;

    fn explained(text: &str) -> String {
        let cluster = Cluster::Ballista("ballista://127.0.0.1:50050".into());
        explain(RunError::Execution(DataFusionError::Execution(text.into())), &cluster).to_string()
    }

    #[test]
    fn a_lost_executor_is_named_by_its_address() {
        let fetch = "GrpcConnectionError(\"Error connecting to Ballista scheduler or executor at http://127.0.0.1:51061: tonic::transport::Error(Transport, ConnectError(...))\")";
        let shuffle = "Shuffle fetch partition error from Executor 027e76ee, map_stage 0, map_partition 0, error desc: Status { code: Unavailable, message: \"tcp connect error\", source: Some(tonic::transport::Error(Transport, ConnectError(ConnectError(\"tcp connect error\", 127.0.0.1:46723, Os { code: 111 })))) }";
        assert!(explained(fetch).starts_with(
            "the Ballista executor at 127.0.0.1:51061 of ballista://127.0.0.1:50050 was lost during the run"
        ));
        assert!(
            explained(shuffle).starts_with("the Ballista executor at 127.0.0.1:46723 of ballista://127.0.0.1:50050")
        );
        assert_eq!(
            explained("Arrow error: divide by zero"),
            "running the plans failed: Execution error: Arrow error: divide by zero"
        );
    }
}
