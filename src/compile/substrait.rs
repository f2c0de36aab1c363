//! The book's plans as Substrait protobuf (`compile --emit substrait`), for engines that
//! consume Substrait, and read back into DataFusion plans. Tables are named, not embedded:
//! the consumer resolves each source and the calendar (`scorebook_calendar`: date, idx) by name.

use super::CompileError;
use crate::refusal::Refusal;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::LogicalPlan;
use datafusion_substrait::logical_plan::{consumer::from_substrait_plan, producer::to_substrait_plan};
use prost::Message;

/// `plan` as a Substrait `Plan` message.
pub fn to_bytes(plan: &LogicalPlan) -> Result<Vec<u8>, CompileError> {
    let state = SessionStateBuilder::new().with_default_features().build();
    let plan = to_substrait_plan(plan, &state)
        .map_err(|e| {
            Refusal::new(format!("the book's plan cannot be written as Substrait: {e}"))
                .help("Substrait's producer cannot express part of this plan; `--emit plan` shows the plan, and `--emit sql` or `--emit script` write it for other engines")
        })?;
    Ok(plan.encode_to_vec())
}

/// A Substrait `Plan` message as a DataFusion plan over the tables of `state`.
pub async fn from_bytes(bytes: &[u8], state: &SessionState) -> datafusion::error::Result<LogicalPlan> {
    let plan = datafusion_substrait::serializer::deserialize_bytes(bytes)?;
    from_substrait_plan(state, &plan).await
}
