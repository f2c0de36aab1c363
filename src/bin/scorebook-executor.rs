//! A Ballista executor for `scorebook run --engine ballista://HOST:PORT`, built from the
//! `ballista-executor` crate with the project's DataFusion (see bench/ballista.sh). It reads
//! the sources from the paths the run names, so they must be visible to it.

use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use clap::Parser;
use std::sync::Arc;

/// Runs a Ballista executor until stopped.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Flight port other executors and clients fetch results from.
    #[arg(long, default_value_t = 50051)]
    port: u16,
    /// gRPC port the scheduler sends tasks to.
    #[arg(long, default_value_t = 50052)]
    grpc_port: u16,
    /// The scheduler's host.
    #[arg(long, default_value = "127.0.0.1")]
    scheduler_host: String,
    /// The scheduler's port.
    #[arg(long, default_value_t = 50050)]
    scheduler_port: u16,
    /// Tasks run at once (default: the machine's cores).
    #[arg(long)]
    concurrent_tasks: Option<usize>,
    /// Directory for shuffle files (default: a temporary directory).
    #[arg(long)]
    work_dir: Option<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Plans of a book nest deeply: read back from protobuf on threads with room for them.
    scorebook::engine::runtime()?.block_on(serve())
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let config = ExecutorProcessConfig {
        bind_host: args.bind.clone(),
        external_host: Some(args.bind),
        port: args.port,
        grpc_port: args.grpc_port,
        scheduler_host: args.scheduler_host,
        scheduler_port: args.scheduler_port,
        vcores: args.concurrent_tasks.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        work_dir: args.work_dir,
        ..ExecutorProcessConfig::default()
    };
    eprintln!(
        "scorebook-executor on port {} for the scheduler at {}:{}",
        config.port, config.scheduler_host, config.scheduler_port
    );
    start_executor_process(Arc::new(config)).await?;
    Ok(())
}
