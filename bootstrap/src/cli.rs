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
    /// Render a Helm chart locally, as `helm template` (Helm v4) does: same flags, same output.
    // Helm's own `--version` (the chart version) must reach Helm's parser, not clap.
    #[command(disable_version_flag = true)]
    Template(TemplateArgs),
    /// Build a kustomization directory and print its objects, as `kubectl kustomize` does.
    #[command(disable_version_flag = true)]
    Kustomize(KustomizeArgs),
}

/// `capstan template`: everything after the subcommand goes to Helm's flag parser untouched,
/// so flags, their defaults and their errors are exactly `helm template`'s.
#[derive(Debug, clap::Args)]
pub(crate) struct TemplateArgs {
    /// `[NAME] CHART [flags]`, as for `helm template`; CHART is a chart directory or `.tgz`.
    #[arg(
        value_name = "HELM_TEMPLATE_ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub(crate) args: Vec<String>,
}

/// `capstan kustomize`: the directory to build, with kubectl's defaults.
#[derive(Debug, clap::Args)]
pub(crate) struct KustomizeArgs {
    /// The directory holding `kustomization.yaml` (default: the current directory).
    #[arg(default_value = ".")]
    pub(crate) dir: PathBuf,
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
