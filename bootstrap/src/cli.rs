//! The command-line grammar. Flag names follow kubectl and the flux CLI where they overlap.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Capstan: GitOps for Kubernetes, wire-compatible with Flux.
#[derive(Debug, Parser)]
#[command(name = "capstan", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// Log level for diagnostics on stderr (error, warn, info, debug, trace).
    #[arg(long, global = true)]
    pub(crate) log_level: Option<String>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Development helpers: Capstan's embedded local cluster.
    #[command(subcommand)]
    Dev(DevCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum DevCommand {
    /// The embedded local cluster (etcd, kube-apiserver, kube-controller-manager, fake node).
    #[command(subcommand)]
    Cluster(ClusterCommand),
}

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

#[derive(Debug, clap::Args)]
pub(crate) struct StateDir {
    /// Where the cluster keeps its data, logs and kubeconfig.
    #[arg(long, env = "CAPSTAN_DEV_DIR")]
    pub(crate) dir: Option<PathBuf>,
}
