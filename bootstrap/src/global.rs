//! Flags every command accepts, as kubectl and the flux CLI spell them, and the cluster client
//! they select.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kube::Client;

/// The namespace Capstan's controllers and their objects live in by default.
pub(crate) const DEFAULT_NAMESPACE: &str = "capstan-system";

/// Global flags.
#[derive(Debug, Clone, Args)]
pub(crate) struct GlobalArgs {
    /// Path to the kubeconfig file (default: `KUBECONFIG`, then `~/.kube/config`).
    #[arg(long, global = true, env = "KUBECONFIG")]
    pub(crate) kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, global = true)]
    pub(crate) context: Option<String>,
    /// The namespace of the objects a command works on.
    #[arg(short = 'n', long, global = true, default_value = DEFAULT_NAMESPACE)]
    pub(crate) namespace: String,
    /// How long a command may wait for the cluster.
    #[arg(long, global = true, default_value = "5m", value_parser = capstan_runtime::args::parse_duration)]
    pub(crate) timeout: Duration,
    /// Log level for diagnostics on stderr (error, warn, info, debug, trace).
    #[arg(long, global = true)]
    pub(crate) log_level: Option<String>,
}

impl GlobalArgs {
    /// A client for the selected kubeconfig and context.
    pub(crate) async fn client(&self) -> anyhow::Result<Client> {
        let config = self.config().await?;
        Ok(Client::try_from(config)?)
    }

    /// The client configuration for the selected kubeconfig and context.
    pub(crate) async fn config(&self) -> anyhow::Result<kube::Config> {
        capstan_runtime::client::load_config(self.kubeconfig.as_deref(), self.context.as_deref())
            .await
            .map_err(|e| anyhow::anyhow!("{}: no cluster to talk to; pass --kubeconfig or start one with `capstan dev cluster up`", capstan_runtime::reconcile::error_chain(&e)))
    }
}
