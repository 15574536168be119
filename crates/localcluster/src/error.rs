use std::path::PathBuf;

/// Why the local cluster could not be provisioned, started or used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The provisioning script (Debian packages, apiserver build) failed.
    #[error("provisioning the cluster binaries failed: {0}")]
    Provision(String),
    /// A filesystem operation on the cluster's working directory failed.
    #[error("{action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Generating the cluster's certificates or keys failed.
    #[error("generating cluster certificates")]
    Pki(#[source] rcgen::Error),
    /// A control-plane process could not be started or died early.
    #[error("{process} {problem} (log: {log})")]
    Process {
        process: &'static str,
        problem: String,
        log: PathBuf,
    },
    /// The control plane did not become ready in time.
    #[error("{what} was not ready after {seconds}s (logs in {dir})")]
    Timeout {
        what: String,
        seconds: u64,
        dir: PathBuf,
    },
    /// Building a client from the cluster's kubeconfig failed.
    #[error("loading the kubeconfig {path}")]
    Kubeconfig {
        path: PathBuf,
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// A request to the cluster failed.
    #[error("{action}")]
    Kube {
        action: String,
        #[source]
        source: kube::Error,
    },
}

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }

    pub(crate) fn kube(action: impl Into<String>) -> impl FnOnce(kube::Error) -> Self {
        let action = action.into();
        move |source| Self::Kube { action, source }
    }
}
