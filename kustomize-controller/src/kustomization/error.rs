//! What can fail while reconciling a Kustomization, and the Flux reason of each failure.

use std::time::Duration;

use capstan_api::reason;
use capstan_runtime::reconcile::ReconcileError;

/// A failed Kustomization step; messages name the object, file and field.
#[derive(Debug, thiserror::Error)]
pub enum KustomizationError {
    /// A spec field cannot be used (e.g. a duration that does not parse); waits for a change.
    #[error("invalid spec: {0}")]
    InvalidSpec(String),
    /// `--no-cross-namespace-refs` forbids the reference.
    #[error(
        "cannot access {kind} '{namespace}/{name}': cross-namespace references are not allowed"
    )]
    AccessDenied {
        /// The referenced kind.
        kind: String,
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// The source object does not exist.
    #[error("source '{kind}/{namespace}/{name}' not found")]
    SourceNotFound {
        /// The source kind.
        kind: String,
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// The source has no artifact yet (or the artifact is being rebuilt).
    #[error("source '{kind}/{namespace}/{name}' is not ready: {detail}")]
    SourceNotReady {
        /// The source kind.
        kind: String,
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// What is missing.
        detail: String,
        /// `--requeue-dependency`.
        retry: Duration,
    },
    /// A dependency is not ready yet.
    #[error("dependency not ready: {detail}")]
    DependencyNotReady {
        /// Which dependency and why.
        detail: String,
        /// `--requeue-dependency`.
        retry: Duration,
    },
    /// `dependsOn` forms a cycle; waits for a spec change.
    #[error("dependency cycle: {0}")]
    DependencyCycle(String),
    /// A CEL expression (`readyExpr`, `healthCheckExprs`) does not compile.
    #[error("invalid CEL expression in {field}")]
    InvalidExpression {
        /// The spec field.
        field: String,
        #[source]
        source: capstan_apply::ExprError,
    },
    /// Fetching, verifying or unpacking the artifact failed.
    #[error("failed to fetch artifact")]
    Fetch(#[source] capstan_runtime::artifact::FetchError),

    /// The client for the impersonated ServiceAccount could not be built.
    #[error("building a client for ServiceAccount '{namespace}/{name}'")]
    Impersonation {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        #[source]
        source: capstan_runtime::client::ConnectError,
    },
    /// The decryption Secret is missing or unreadable.
    #[error("cannot get decryption Secret '{namespace}/{name}': {detail}")]
    DecryptionSecret {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// What went wrong.
        detail: String,
    },
    /// Building the manifests failed: path, decryption, kustomize, or substitution.
    #[error("{0}")]
    Build(#[source] capstan_ksbuild::Error),
    /// Server-side apply failed (nothing of the set was applied when validation failed).
    #[error("apply failed")]
    Apply(#[source] Box<capstan_apply::ApplyError>),
    /// Garbage collection of objects that left the set failed.
    #[error("prune failed: {0}")]
    Prune(String),
    /// Health checks did not pass in time, or an object failed.
    #[error("health check failed after {elapsed}")]
    Health {
        /// How long it waited.
        elapsed: String,
        #[source]
        source: capstan_apply::WaitError,
    },
    /// A new source revision arrived during the health check: the check was abandoned.
    #[error("health check canceled due to new revision availability")]
    HealthCanceled,
}

impl ReconcileError for KustomizationError {
    fn reason(&self) -> &'static str {
        match self {
            Self::InvalidSpec(_) => reason::INVALID_SPEC,
            Self::AccessDenied { .. } => reason::ACCESS_DENIED,
            Self::SourceNotFound { .. }
            | Self::SourceNotReady { .. }
            | Self::Fetch(_)
            | Self::Build(capstan_ksbuild::Error::PathNotFound(_)) => reason::ARTIFACT_FAILED,
            Self::DependencyNotReady { .. } | Self::DependencyCycle(_) => {
                reason::DEPENDENCY_NOT_READY
            }
            Self::InvalidExpression { .. } => reason::INVALID_CEL_EXPRESSION,
            Self::Impersonation { .. } | Self::Apply(_) => reason::RECONCILIATION_FAILED,
            Self::DecryptionSecret { .. } | Self::Build(_) => reason::BUILD_FAILED,
            Self::Prune(_) => reason::PRUNE_FAILED,
            Self::Health { .. } => reason::HEALTH_CHECK_FAILED,
            Self::HealthCanceled => reason::HEALTH_CHECK_CANCELED,
        }
    }

    fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::InvalidSpec(_)
                | Self::AccessDenied { .. }
                | Self::DependencyCycle(_)
                | Self::InvalidExpression { .. }
        )
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::SourceNotReady { retry, .. } | Self::DependencyNotReady { retry, .. } => {
                Some(*retry)
            }
            Self::Fetch(capstan_runtime::artifact::FetchError::NotFound { .. }) => {
                Some(Duration::from_secs(5))
            }
            // The new revision is already queued; come back at once.
            Self::HealthCanceled => Some(Duration::from_millis(100)),
            _ => None,
        }
    }
}
