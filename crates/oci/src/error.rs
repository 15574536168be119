//! The one error type of the crate, and its mapping to Flux condition reasons.

use std::path::PathBuf;
use std::time::Duration;

use capstan_api::reason;

/// Everything that can go wrong talking to a registry or handling what it sent.
///
/// Messages name the repository URL and the reference (tag or digest) involved. No variant
/// ever holds a credential: registry answers are quoted, never the request's headers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL is not `oci://<host>[:port]/<repository>`.
    #[error("invalid OCI repository URL '{url}': {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `ref.tag` or `ref.digest` is malformed.
    #[error("invalid reference '{reference}' for '{url}': {reason}")]
    InvalidReference {
        /// The repository URL.
        url: String,
        /// The tag or digest as given.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `ref.semver` is not a valid SemVer range, or `ref.semverFilter` not a valid regex.
    #[error("invalid semver selector '{expression}' for '{url}': {reason}")]
    InvalidSemver {
        /// The repository URL.
        url: String,
        /// The range or filter as given.
        expression: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No tag of the repository satisfies `ref.semver` (after `ref.semverFilter`).
    #[error("no match found for semver: {range} in '{url}' ({candidates} tags considered)")]
    NoSemverMatch {
        /// The repository URL.
        url: String,
        /// The range as given.
        range: String,
        /// How many tags passed the filter.
        candidates: usize,
    },
    /// The `.dockerconfigjson` content or the CA certificate cannot be used.
    #[error("invalid registry credentials for '{url}': {reason}")]
    InvalidCredentials {
        /// The repository URL.
        url: String,
        /// What is wrong; never quotes the secret's content.
        reason: String,
    },
    /// The registry refused the request (401/403, or the credentials were rejected).
    #[error("unauthorized to access '{url}' ({reference}): {message}")]
    Unauthorized {
        /// The repository URL.
        url: String,
        /// The tag, digest or operation that was refused.
        reference: String,
        /// The registry's answer.
        message: String,
    },
    /// The registry answered 404: the tag, the digest or the repository does not exist.
    #[error("'{reference}' not found in '{url}': {message}")]
    NotFound {
        /// The repository URL.
        url: String,
        /// The tag, digest or blob that is missing.
        reference: String,
        /// The registry's answer.
        message: String,
    },
    /// The registry cannot be reached (connection refused, DNS, TLS handshake...).
    #[error("registry of '{url}' is unreachable ({reference}): {message}")]
    Unreachable {
        /// The repository URL.
        url: String,
        /// The tag, digest or operation attempted.
        reference: String,
        /// The transport error.
        message: String,
    },
    /// The operation did not finish within the timeout.
    #[error("{operation} of '{url}' timed out after {timeout:?}")]
    Timeout {
        /// The repository URL.
        url: String,
        /// What was being done.
        operation: String,
        /// The bound that was exceeded.
        timeout: Duration,
    },
    /// Any other registry failure (5xx, protocol violation...).
    #[error("registry error for '{url}' ({reference}): {message}")]
    Registry {
        /// The repository URL.
        url: String,
        /// The tag, digest or operation attempted.
        reference: String,
        /// The registry's answer or the protocol problem.
        message: String,
    },
    /// The manifest cannot be used: unknown media type, an index of several manifests...
    #[error("unsupported manifest for '{url}' ({reference}): {reason}")]
    InvalidManifest {
        /// The repository URL.
        url: String,
        /// The tag or digest pulled.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Content does not hash to the digest it was asked for.
    #[error("digest mismatch for '{url}': expected {expected}, got {actual}")]
    DigestMismatch {
        /// The repository URL.
        url: String,
        /// The digest asked for.
        expected: String,
        /// The digest of what the registry sent.
        actual: String,
    },
    /// The manifest has no layer at all.
    #[error("no layers found in artifact '{url}' ({reference})")]
    NoLayers {
        /// The repository URL.
        url: String,
        /// The tag or digest pulled.
        reference: String,
    },
    /// `layerSelector.mediaType` matches no layer.
    #[error(
        "failed to find layer with media type '{media_type}' in artifact '{url}' ({reference}); available: {}",
        available.join(", ")
    )]
    LayerNotFound {
        /// The repository URL.
        url: String,
        /// The tag or digest pulled.
        reference: String,
        /// The media type asked for.
        media_type: String,
        /// The media types of the artifact's layers, in order.
        available: Vec<String>,
    },
    /// A bound was exceeded: layer size, extracted size, file count or tag count.
    #[error("{what} exceeds the limit of {limit}")]
    TooLarge {
        /// What was too large, naming the artifact.
        what: String,
        /// The bound (bytes or entries, as `what` says).
        limit: u64,
    },
    /// An archive entry would escape the destination or is of a refused kind.
    #[error("unsafe path '{path}' in layer archive: {reason}")]
    UnsafePath {
        /// The entry's path as written in the archive.
        path: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The layer is not a valid (gzip-compressed) tar archive.
    #[error("invalid layer archive: {message}")]
    Archive {
        /// The decoder's complaint.
        message: String,
    },
    /// A local filesystem operation failed.
    #[error("{action} '{}': {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The Flux condition reason this error is reported under (as source-controller's
    /// OCIRepository reconciler does).
    pub fn reason(&self) -> &'static str {
        match self {
            Error::InvalidUrl { .. } => reason::URL_INVALID,
            Error::InvalidCredentials { .. } | Error::Unauthorized { .. } => {
                reason::AUTHENTICATION_FAILED
            }
            // As Flux: failing to determine the tag (semver) is a read failure.
            Error::InvalidSemver { .. } | Error::NoSemverMatch { .. } => {
                reason::READ_OPERATION_FAILED
            }
            Error::InvalidReference { .. }
            | Error::NotFound { .. }
            | Error::Unreachable { .. }
            | Error::Timeout { .. }
            | Error::Registry { .. }
            | Error::InvalidManifest { .. } => reason::OCI_ARTIFACT_PULL_FAILED,
            Error::DigestMismatch { .. }
            | Error::NoLayers { .. }
            | Error::LayerNotFound { .. }
            | Error::TooLarge { .. }
            | Error::UnsafePath { .. }
            | Error::Archive { .. }
            | Error::Io { .. } => reason::OCI_ARTIFACT_LAYER_OPERATION_FAILED,
        }
    }

    /// Whether retrying cannot help until the spec changes (Flux marks these Stalled).
    pub fn is_terminal(&self) -> bool {
        match self {
            Error::InvalidUrl { .. }
            | Error::InvalidReference { .. }
            | Error::InvalidSemver { .. } => true,
            Error::NoSemverMatch { .. }
            | Error::InvalidCredentials { .. }
            | Error::Unauthorized { .. }
            | Error::NotFound { .. }
            | Error::Unreachable { .. }
            | Error::Timeout { .. }
            | Error::Registry { .. }
            | Error::InvalidManifest { .. }
            | Error::DigestMismatch { .. }
            | Error::NoLayers { .. }
            | Error::LayerNotFound { .. }
            | Error::TooLarge { .. }
            | Error::UnsafePath { .. }
            | Error::Archive { .. }
            | Error::Io { .. } => false,
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}

/// Cuts a registry's answer to a length fit for a condition message, on a char boundary.
pub(crate) fn truncate(message: &str) -> String {
    const MAX: usize = 512;
    let message = message.trim();
    if message.len() <= MAX {
        return message.to_string();
    }
    let mut end = MAX;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &message[..end])
}

impl From<capstan_archive::ArchiveError> for Error {
    fn from(error: capstan_archive::ArchiveError) -> Self {
        use capstan_archive::ArchiveError;
        match error {
            ArchiveError::Io {
                action,
                path,
                source,
            } => Error::Io {
                action,
                path,
                source,
            },
            ArchiveError::UnsafePath { path, reason } => Error::UnsafePath { path, reason },
            ArchiveError::TooLarge { what, limit } => Error::TooLarge {
                what: format!("{what} of the layer"),
                limit,
            },
            ArchiveError::Corrupt { message } => Error::Archive { message },
            ArchiveError::Cancelled => Error::Archive {
                message: "extraction cancelled".to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_maps_to_a_flux_reason() {
        let url = "oci://r/a".to_string();
        let cases = [
            (
                Error::InvalidUrl {
                    url: url.clone(),
                    reason: String::new(),
                },
                "URLInvalid",
            ),
            (
                Error::Unauthorized {
                    url: url.clone(),
                    reference: "latest".into(),
                    message: String::new(),
                },
                "AuthenticationFailed",
            ),
            (
                Error::NotFound {
                    url: url.clone(),
                    reference: "latest".into(),
                    message: String::new(),
                },
                "OCIArtifactPullFailed",
            ),
            (
                Error::LayerNotFound {
                    url: url.clone(),
                    reference: "latest".into(),
                    media_type: "a".into(),
                    available: vec!["b".into()],
                },
                "OCIArtifactLayerOperationFailed",
            ),
            (
                Error::NoSemverMatch {
                    url,
                    range: "1.x".into(),
                    candidates: 0,
                },
                "ReadOperationFailed",
            ),
        ];
        for (error, reason) in cases {
            assert_eq!(error.reason(), reason, "{error}");
        }
    }

    #[test]
    fn layer_not_found_names_the_wanted_and_available_media_types() {
        let error = Error::LayerNotFound {
            url: "oci://r/a".into(),
            reference: "v1".into(),
            media_type: "application/x-wanted".into(),
            available: vec!["application/x-one".into(), "application/x-two".into()],
        };
        let message = error.to_string();
        assert!(message.contains("application/x-wanted"), "{message}");
        assert!(
            message.contains("application/x-one, application/x-two"),
            "{message}"
        );
        assert!(message.contains("oci://r/a"), "{message}");
    }

    #[test]
    fn long_registry_answers_are_truncated_on_a_char_boundary() {
        let long = "é".repeat(600);
        let cut = truncate(&long);
        assert!(cut.len() < 600, "{}", cut.len());
        assert!(cut.ends_with("..."));
    }
}
