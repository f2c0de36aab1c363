//! Runs a book plan one piece at a time. The book's totals plan joins one aggregate row per
//! source (and per population) and computes every cell from them; planned as one piece,
//! DataFusion spends most of a run resolving thousands of cell expressions against the
//! joined schema at every optimizer pass. Each aggregate is planned and run on its own here,
//! its rows held as a table, and only then the cells are computed over those rows, without
//! the logical optimizer: the same plan, with the same results, at a fifth of the planning
//! cost (bench/run.sh, BENCHMARKS.md).

use datafusion::arrow::array::RecordBatch;
use datafusion::catalog::default_table_source::provider_as_source;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::datasource::MemTable;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::SessionContext;
use std::sync::Arc;

/// The pieces of `plan`, each with its alias: the aliased inputs its top (projections and
/// joins) is built from, which run on their own (and, on a cluster, are sent to the executors).
pub fn inputs(plan: &LogicalPlan) -> Vec<(String, LogicalPlan)> {
    match plan {
        LogicalPlan::SubqueryAlias(a) => vec![(a.alias.to_string(), a.input.as_ref().clone())],
        LogicalPlan::Projection(_) | LogicalPlan::Join(_) => plan.inputs().into_iter().flat_map(inputs).collect(),
        _ => Vec::new(),
    }
}

/// Executes `plan` with each aggregate input run first on its own (in `ctx`, which may send
/// it to a cluster); the cells over their rows are computed here.
/// Each piece's time is recorded as `aggregate NAME{suffix}`, the cells' as `plan the
/// cells{suffix}` and `compute the cells{suffix}`.
pub async fn collect(
    ctx: &SessionContext,
    plan: &LogicalPlan,
    timings: &crate::timings::Timings,
    suffix: &str,
) -> Result<Vec<RecordBatch>> {
    // The pieces run side by side, as they would inside one plan.
    let mut running = tokio::task::JoinSet::new();
    for (name, input) in inputs(plan) {
        let ctx = ctx.clone();
        let timings = timings.clone();
        let stage = format!("aggregate {name}{suffix}");
        running.spawn(async move {
            let start = std::time::Instant::now();
            let schema = Arc::clone(input.schema().inner());
            let run = async {
                let batches = ctx.execute_logical_plan(input).await?.collect().await?;
                MemTable::try_new(schema, vec![batches])
            };
            let table = run.await.map_err(|e| e.context(format!("computing `{name}`")))?;
            timings.record_parallel(stage, start);
            Ok::<_, DataFusionError>((name, provider_as_source(Arc::new(table))))
        });
    }
    let mut tables = Vec::new();
    let start = std::time::Instant::now();
    while let Some(done) = running.join_next().await {
        tables.push(done.map_err(|e| DataFusionError::External(Box::new(e)))??);
    }
    timings.record(format!("aggregates{suffix}, side by side"), start);
    let start = std::time::Instant::now();
    let top = plan
        .clone()
        .transform_down(|node| {
            let LogicalPlan::SubqueryAlias(alias) = &node else { return Ok(Transformed::no(node)) };
            let Some((name, source)) = tables.iter().find(|(name, _)| *name == alias.alias.to_string()) else {
                return Ok(Transformed::no(node));
            };
            let scan =
                LogicalPlanBuilder::scan(name.clone(), Arc::clone(source), None)?.alias(name.clone())?.build()?;
            Ok(Transformed::new(scan, true, TreeNodeRecursion::Jump))
        })?
        .data;
    // The top computes the cells from small tables (a row per source, or per breakdown
    // value), each one partition: the logical and physical optimizers have little to gain
    // there and, over thousands of cell expressions, cost more than all the pieces. On one
    // partition every operator's input is already as it needs it, but for a window over rows
    // in order (an over-dispersed funnel's ranks): the one physical rule kept sorts its input.
    let sorts = datafusion::physical_optimizer::ensure_requirements::EnsureRequirements::new();
    let state = SessionStateBuilder::new()
        .with_config(super::session_config().with_target_partitions(1))
        .with_default_features()
        .with_optimizer_rules(vec![])
        .with_physical_optimizer_rules(vec![Arc::new(sorts)])
        .build();
    let top = state.create_physical_plan(&top).await?;
    timings.record(format!("plan the cells{suffix}"), start);
    let start = std::time::Instant::now();
    let cells = datafusion::physical_plan::collect(top, state.task_ctx()).await;
    timings.record(format!("compute the cells{suffix}"), start);
    cells
}
