//! What can fail while reconciling a GitRepository, and the Flux reason of each failure.

use capstan_api::reason;
use capstan_runtime::reconcile::ReconcileError;

use crate::secrets::SecretError;
use crate::storage::StorageError;

/// A failed GitRepository step. Messages name the object, URL, ref, Secret or file; never a
/// credential (the git crate scrubs its causes).
#[derive(Debug, thiserror::Error)]
pub enum GitRepositoryError {
    /// `spec.interval` or `spec.timeout` does not parse.
    #[error("invalid duration in spec")]
    Duration(#[source] capstan_api::duration::DurationError),
    /// The `secretRef` Secret is missing or unreadable.
    #[error("failed to get auth secret")]
    Secret(#[source] SecretError),
    /// The Secret's content is unusable, or the server refused it.
    #[error("invalid auth secret")]
    Credentials(#[source] capstan_git::Error),
    /// Resolving or cloning the revision failed.
    #[error("failed to checkout and determine revision")]
    Checkout(#[source] capstan_git::Error),
    /// An included GitRepository has no artifact yet, or it could not be copied.
    #[error("include '{name}': {problem}")]
    Include {
        /// The included GitRepository.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// Writing the artifact failed.
    #[error("failed to archive the source")]
    Archive(#[source] StorageError),
    /// A temporary directory or worker failed.
    #[error("{0}")]
    Internal(String),
}

impl GitRepositoryError {
    /// The abnormal-true condition this failure sets besides Ready=False.
    pub fn condition(&self) -> &'static str {
        use capstan_api::condition;
        match self {
            Self::Duration(_) | Self::Secret(_) | Self::Credentials(_) | Self::Checkout(_) => {
                condition::FETCH_FAILED
            }
            Self::Include { .. } => condition::INCLUDE_UNAVAILABLE,
            Self::Archive(_) | Self::Internal(_) => condition::STORAGE_OPERATION_FAILED,
        }
    }
}

impl ReconcileError for GitRepositoryError {
    fn reason(&self) -> &'static str {
        match self {
            Self::Duration(_) => reason::INVALID_SPEC,
            Self::Secret(_) => reason::AUTHENTICATION_FAILED,
            Self::Credentials(error) | Self::Checkout(error) => error.reason(),
            Self::Include { .. } => "IncludeUnavailable",
            Self::Archive(_) => reason::ARCHIVE_OPERATION_FAILED,
            Self::Internal(_) => reason::DIRECTORY_CREATION_FAILED,
        }
    }

    fn is_terminal(&self) -> bool {
        matches!(self, Self::Duration(_))
    }
}
