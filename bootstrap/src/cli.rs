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
    /// Bootstrap a cluster from a Git repository: commit Capstan's manifests, install, sync.
    #[command(subcommand)]
    Bootstrap(crate::bootstrap::Command),
    /// The status of sources and Kustomizations, as `flux get` prints it.
    Get(crate::get::Args),
    /// Reconcile an object now and wait for the outcome.
    Reconcile(crate::reconcile::Args),
    /// Suspend the reconciliation of objects.
    Suspend(crate::suspend::SuspendArgs),
    /// Resume suspended objects and wait for their reconciliation.
    Resume(crate::suspend::ResumeArgs),
    /// The Kubernetes Events of Capstan's objects.
    Events(crate::events::Args),
    /// The objects a Kustomization manages, as a tree.
    Tree(crate::tree::Args),
    /// Print objects as YAML to commit to Git.
    Export(crate::export::Args),
    /// Render a Kustomization from a local directory as the controller would.
    Build(crate::build::Args),
    /// Diff a Kustomization rendered from a local directory against the cluster.
    Diff(crate::diff::Args),
    /// Print a shell completion script.
    Completion(crate::completion::Args),
    /// Install Capstan's controllers and CRDs, or print them with `--export`.
    Install(crate::install::Args),
    /// Remove Capstan's controllers and CRDs, keeping what they applied.
    Uninstall(crate::uninstall::Args),
    /// Check the prerequisites (`--pre`) or the health of an installation.
    Check(crate::check::Args),
    /// Development helpers: the embedded local cluster and the full local demo.
    #[command(subcommand)]
    Dev(crate::dev::Command),
    /// Run a controller in this process (what `capstan dev up` starts; in a cluster the
    /// controllers run from their own images).
    #[command(subcommand, hide = true)]
    Controller(crate::controller::Command),
}
