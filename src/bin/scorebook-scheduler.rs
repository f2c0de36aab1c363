//! A Ballista scheduler for `scorebook run --engine ballista://HOST:PORT`, built from the
//! `ballista-scheduler` crate with the project's DataFusion (see bench/ballista.sh).

use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use clap::Parser;
use std::sync::Arc;

/// Runs a Ballista scheduler until stopped.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// gRPC port executors and clients connect to.
    #[arg(long, default_value_t = 50050)]
    port: u16,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Plans of a book nest deeply: read back from protobuf on threads with room for them.
    scorebook::engine::runtime()?.block_on(serve())
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut config = SchedulerConfig::default().with_hostname(args.bind.clone()).with_port(args.port);
    config.bind_host = args.bind.clone();
    let address = format!("{}:{}", args.bind, args.port).parse()?;
    let cluster = BallistaCluster::new_from_config(&config).await?;
    eprintln!("scorebook-scheduler listening on {address}");
    start_server(cluster, address, Arc::new(config)).await?;
    Ok(())
}
