//! What can fail while reconciling an OCIRepository, and the Flux reason of each failure.

use capstan_api::reason;
use capstan_runtime::reconcile::ReconcileError;

use crate::secrets::SecretError;
use crate::storage::StorageError;

/// A failed OCIRepository step; messages name the URL, reference or Secret, never a credential.
#[derive(Debug, thiserror::Error)]
pub enum OciRepositoryError {
    /// `spec.interval` or `spec.timeout` does not parse.
    #[error("invalid duration in spec")]
    Duration(#[source] capstan_api::duration::DurationError),
    /// A referenced Secret (`secretRef`, `certSecretRef`) is missing or unreadable.
    #[error("failed to get secret")]
    Secret(#[source] SecretError),
    /// The URL or the Secret's content is unusable.
    #[error("invalid repository configuration")]
    Config(#[source] capstan_oci::Error),
    /// Resolving the reference failed (registry unreachable, tag missing, auth refused...).
    #[error("failed to determine artifact digest")]
    Resolve(#[source] capstan_oci::Error),
    /// Pulling or extracting the layer failed.
    #[error("failed to pull artifact")]
    Pull(#[source] capstan_oci::Error),
    /// Writing the artifact failed.
    #[error("failed to store the artifact")]
    Archive(#[source] StorageError),
    /// A temporary directory or worker failed.
    #[error("{0}")]
    Internal(String),
}

impl OciRepositoryError {
    /// The abnormal-true condition this failure sets besides Ready=False.
    pub fn condition(&self) -> &'static str {
        use capstan_api::condition;
        match self {
            Self::Duration(_)
            | Self::Secret(_)
            | Self::Config(_)
            | Self::Resolve(_)
            | Self::Pull(_) => condition::FETCH_FAILED,
            Self::Archive(_) | Self::Internal(_) => condition::STORAGE_OPERATION_FAILED,
        }
    }
}

impl ReconcileError for OciRepositoryError {
    fn reason(&self) -> &'static str {
        match self {
            Self::Duration(_) => reason::INVALID_SPEC,
            Self::Secret(_) => reason::AUTHENTICATION_FAILED,
            Self::Config(error) | Self::Resolve(error) | Self::Pull(error) => error.reason(),
            Self::Archive(_) => reason::ARCHIVE_OPERATION_FAILED,
            Self::Internal(_) => reason::DIRECTORY_CREATION_FAILED,
        }
    }

    fn is_terminal(&self) -> bool {
        matches!(self, Self::Duration(_))
    }
}
