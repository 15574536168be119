//! `capstan dev`: the embedded local environment for people without a cluster.

mod cluster;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

/// `capstan dev` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// The embedded local cluster (etcd, kube-apiserver, kube-controller-manager, fake node).
    #[command(subcommand)]
    Cluster(ClusterCommand),
}

/// `capstan dev cluster` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ClusterCommand {
    /// Provision (first time: ~9 minutes) and start the local cluster in the background, then
    /// print its kubeconfig path. Does nothing but print the path when it already runs.
    Up(StateDir),
    /// Stop the local cluster; its data is kept for the next `up`.
    Down(StateDir),
    /// Print the kubeconfig path of the running local cluster.
    Kubeconfig(StateDir),
    /// Run the local cluster in the foreground until interrupted (what `up` starts).
    #[command(hide = true)]
    Serve(StateDir),
}

/// Where a local environment keeps its state.
#[derive(Debug, clap::Args)]
pub(crate) struct StateDir {
    /// Where the cluster keeps its data, logs and kubeconfig.
    #[arg(long, env = "CAPSTAN_DEV_DIR")]
    pub(crate) dir: Option<PathBuf>,
}

pub(crate) fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Cluster(command) => cluster::run(command),
    }
}
