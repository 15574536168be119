//! The command-line grammar's top level. Each command module owns its own flags; this file only
//! lists the commands. Global flags follow kubectl and the flux CLI.

use clap::{Parser, Subcommand};

use crate::global::GlobalArgs;

/// Capstan: GitOps for Kubernetes, wire-compatible with Flux.
#[derive(Debug, Parser)]
#[command(name = "capstan", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// Flags every command accepts.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Render a Helm chart locally, as `helm template` (Helm v4) does: same flags, same output.
    // Helm's own `--version` (the chart version) must reach Helm's parser, not clap.
    #[command(disable_version_flag = true)]
    Template(crate::template::Args),
    /// Build a kustomization directory and print its objects, as `kubectl kustomize` does.
    #[command(disable_version_flag = true)]
    Kustomize(crate::kustomize::Args),
    /// Development helpers: the embedded local cluster and the full local demo.
    #[command(subcommand)]
    Dev(crate::dev::Command),
    /// Run a controller in this process (what `capstan dev up` starts; in a cluster the
    /// controllers run from their own images).
    #[command(subcommand, hide = true)]
    Controller(crate::controller::Command),
}
