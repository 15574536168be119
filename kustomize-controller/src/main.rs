//! kustomize-controller: parse flags, run.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kustomize_controller::run(kustomize_controller::Args::parse()).await
}
