//! Connecting to the cluster: `--kubeconfig` (or `KUBECONFIG`) outside a cluster, the pod's
//! service account inside one.

use std::path::Path;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// Why no client could be built.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The kubeconfig file could not be read or used.
    #[error("loading kubeconfig {path}")]
    Kubeconfig {
        /// The file that was given.
        path: String,
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// Neither a kubeconfig nor an in-cluster environment was found.
    #[error("no kubeconfig given and not running in a cluster")]
    Infer(#[source] kube::config::InferConfigError),
    /// The client could not be built from the config.
    #[error("building the Kubernetes client")]
    Client(#[source] kube::Error),
}

/// Builds a client from `kubeconfig` when given, else infers (in-cluster, then `~/.kube`).
pub async fn connect(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Result<Client, ConnectError> {
    let config = load_config(kubeconfig, context).await?;
    Client::try_from(config).map_err(ConnectError::Client)
}

/// The client configuration [`connect`] uses, for callers that derive further clients from it
/// (impersonation of a tenant's ServiceAccount).
pub async fn load_config(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Result<Config, ConnectError> {
    Ok(match kubeconfig {
        Some(path) => {
            let fail = |source| ConnectError::Kubeconfig {
                path: path.display().to_string(),
                source,
            };
            let file = Kubeconfig::read_from(path).map_err(fail)?;
            let options = KubeConfigOptions {
                context: context.map(str::to_string),
                ..Default::default()
            };
            Config::from_custom_kubeconfig(file, &options)
                .await
                .map_err(fail)?
        }
        None => Config::infer().await.map_err(ConnectError::Infer)?,
    })
}

/// A client acting as ServiceAccount `namespace/name` (Kubernetes impersonation), so the
/// apiserver's RBAC for that account bounds what it can do: the tenancy boundary.
pub fn impersonating(config: &Config, namespace: &str, name: &str) -> Result<Client, ConnectError> {
    let mut config = config.clone();
    config.auth_info.impersonate = Some(format!("system:serviceaccount:{namespace}:{name}"));
    config.auth_info.impersonate_groups = None;
    Client::try_from(config).map_err(ConnectError::Client)
}
