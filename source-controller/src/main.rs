//! source-controller: parse flags, run.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    source_controller::run(source_controller::Args::parse()).await
}
