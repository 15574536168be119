//! The one error type of this crate, and its mapping to Flux's condition reasons.

use std::path::PathBuf;
use std::time::Duration;

use capstan_api::reason;

/// Everything that can go wrong talking to or writing a Git repository.
///
/// Every message names the remote URL (userinfo stripped) and, where one is involved, the
/// reference; none ever holds a password, token or key. [`Error::reason`] gives the Flux
/// condition reason.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL cannot be used: not `http://`, `https://` or `ssh://`, or malformed.
    #[error("invalid Git URL '{url}': {problem}")]
    InvalidUrl {
        /// The URL, userinfo stripped.
        url: String,
        /// What is wrong with it.
        problem: String,
    },

    /// A key of the `secretRef` Secret is unusable (bad PEM, conflicting keys, a header
    /// breaking value, an unsupported key).
    #[error("invalid '{key}' in the git secret: {problem}")]
    InvalidSecret {
        /// The Secret data key, e.g. `known_hosts`.
        key: &'static str,
        /// What is wrong with it (never the value).
        problem: String,
    },

    /// The server refused the credentials, or asked for credentials the Secret does not have.
    #[error("authentication to {url} failed: {detail}")]
    AuthenticationFailed {
        /// The remote URL, userinfo stripped.
        url: String,
        /// What was tried and refused.
        detail: String,
    },

    /// No `known_hosts` entry names the ssh server.
    #[error(
        "ssh host key of {host} is unknown: the server presented {key_type} key {fingerprint}, \
         and no known_hosts entry lists {host}; add the server's key to the secret's known_hosts"
    )]
    HostKeyUnknown {
        /// The host as looked up in `known_hosts` (`host` or `[host]:port`).
        host: String,
        /// The presented key's type, e.g. `ssh-ed25519`.
        key_type: String,
        /// The presented key's fingerprint, `SHA256:<base64>`.
        fingerprint: String,
        /// The presented public key, base64 as in a `known_hosts` line (empty when the server
        /// presented none). Public: it lets `capstan bootstrap` show the scanned key.
        public_key: String,
    },

    /// `known_hosts` lists the ssh server, but not with the key it presented (or the key is
    /// marked `@revoked`).
    #[error(
        "ssh host key of {host} does not match known_hosts: the server presented {key_type} key \
         {fingerprint}, known_hosts has {known} for it; if the server's key changed on purpose, \
         update the secret's known_hosts"
    )]
    HostKeyMismatch {
        /// The host as looked up in `known_hosts`.
        host: String,
        /// The presented key's type.
        key_type: String,
        /// The presented key's fingerprint, `SHA256:<base64>`.
        fingerprint: String,
        /// What `known_hosts` holds for the host (types and fingerprints, or `@revoked`).
        known: String,
    },

    /// The https server's certificate is trusted neither by the system nor by `ca.crt`.
    #[error("TLS certificate of {url} is not trusted: {detail}")]
    CertificateUntrusted {
        /// The remote URL, userinfo stripped.
        url: String,
        /// Why the chain or name did not verify.
        detail: String,
    },

    /// The server has no repository at the URL (or hides it from these credentials).
    #[error("no Git repository found at {url}; check the URL and that the credentials may read it")]
    RepositoryNotFound {
        /// The remote URL, userinfo stripped.
        url: String,
    },

    /// The branch, tag or reference does not exist on the remote.
    #[error("{reference} not found in {url}")]
    RefNotFound {
        /// The remote URL, userinfo stripped.
        url: String,
        /// The full reference, e.g. `refs/heads/main`.
        reference: String,
    },

    /// No tag of the remote matches the `semver` range.
    #[error("no tag in {url} matches the semver range '{range}'")]
    NoMatchingTag {
        /// The remote URL, userinfo stripped.
        url: String,
        /// The range of `spec.ref.semver`.
        range: String,
    },

    /// The `semver` range does not parse (Masterminds syntax).
    #[error("invalid semver range '{range}': {problem}")]
    InvalidSemverRange {
        /// The range of `spec.ref.semver`.
        range: String,
        /// What does not parse.
        problem: String,
    },

    /// The commit of `spec.ref.commit` is not in the remote (or not on the given branch).
    #[error("commit {commit} not found in {url}{}", branch.as_ref().map(|b| format!(" on branch '{b}'")).unwrap_or_default())]
    CommitNotFound {
        /// The remote URL, userinfo stripped.
        url: String,
        /// The commit as given.
        commit: String,
        /// The branch it was looked for on, if any.
        branch: Option<String>,
    },

    /// The server cannot be reached: name resolution, refused connection, network down.
    #[error("{url} is unreachable: {detail}")]
    Unreachable {
        /// The remote URL, userinfo stripped.
        url: String,
        /// The network error.
        detail: String,
    },

    /// The operation did not finish within the deadline (Flux's `spec.timeout`).
    #[error("{operation} {url} timed out after {timeout:?}")]
    Timeout {
        /// What was being done, e.g. `cloning`.
        operation: &'static str,
        /// The remote URL, userinfo stripped.
        url: String,
        /// The deadline's full duration.
        timeout: Duration,
    },

    /// The operation was cancelled through its [`crate::Deadline`].
    #[error("{operation} {url} was cancelled")]
    Cancelled {
        /// What was being done.
        operation: &'static str,
        /// The remote URL, userinfo stripped.
        url: String,
    },

    /// The push was refused: not a fast-forward, or refused by the server (protected branch,
    /// hook), with the server's message.
    #[error("push of {reference} to {url} was rejected: {message}")]
    PushRejected {
        /// The remote URL, userinfo stripped.
        url: String,
        /// The remote reference, e.g. `refs/heads/main`.
        reference: String,
        /// Why, in the server's or libgit2's words.
        message: String,
    },

    /// Any other failure of a network operation.
    #[error("{operation} {url} failed")]
    Remote {
        /// What was being done.
        operation: &'static str,
        /// The remote URL, userinfo stripped.
        url: String,
        /// libgit2's error, secrets removed.
        #[source]
        cause: GitCause,
    },

    /// A failure of a local repository operation (open, index, commit, checkout).
    #[error("{operation} in {path} failed")]
    Local {
        /// What was being done.
        operation: &'static str,
        /// The repository's directory.
        path: PathBuf,
        /// libgit2's error.
        #[source]
        cause: GitCause,
    },

    /// The clone target exists and is not an empty directory.
    #[error("cannot clone into {path}: it is not an empty directory")]
    DirectoryNotEmpty {
        /// The target directory.
        path: PathBuf,
    },

    /// A filesystem operation failed.
    #[error("{operation} {path} failed")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },

    /// The worker thread of a network operation could not be started or panicked.
    #[error("{operation} {url} failed: {problem}")]
    Worker {
        /// What was being done.
        operation: &'static str,
        /// The remote URL, userinfo stripped.
        url: String,
        /// What happened to the worker.
        problem: String,
    },
}

impl Error {
    /// The Flux condition reason for this error.
    ///
    /// As Flux: an unusable URL is `URLInvalid`; secret problems are `AuthenticationFailed`;
    /// everything that fails while talking to the remote is `GitOperationFailed`. Capstan
    /// also reports credentials the server refused as `AuthenticationFailed` (Flux folds them
    /// into `GitOperationFailed`), because that tells the user which object to fix.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::InvalidUrl { .. } => reason::URL_INVALID,
            Error::InvalidSecret { .. } | Error::AuthenticationFailed { .. } => {
                reason::AUTHENTICATION_FAILED
            }
            Error::HostKeyUnknown { .. }
            | Error::HostKeyMismatch { .. }
            | Error::CertificateUntrusted { .. }
            | Error::RepositoryNotFound { .. }
            | Error::RefNotFound { .. }
            | Error::NoMatchingTag { .. }
            | Error::InvalidSemverRange { .. }
            | Error::CommitNotFound { .. }
            | Error::Unreachable { .. }
            | Error::Timeout { .. }
            | Error::Cancelled { .. }
            | Error::PushRejected { .. }
            | Error::Remote { .. }
            | Error::Local { .. }
            | Error::DirectoryNotEmpty { .. }
            | Error::Io { .. }
            | Error::Worker { .. } => reason::GIT_OPERATION_FAILED,
        }
    }

    /// Whether retrying the same operation unchanged may succeed (network trouble, timeouts),
    /// as opposed to errors that need a change to the spec, the Secret or the remote.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Unreachable { .. }
            | Error::Timeout { .. }
            | Error::Cancelled { .. }
            | Error::Remote { .. }
            | Error::Worker { .. } => true,
            Error::InvalidUrl { .. }
            | Error::InvalidSecret { .. }
            | Error::AuthenticationFailed { .. }
            | Error::HostKeyUnknown { .. }
            | Error::HostKeyMismatch { .. }
            | Error::CertificateUntrusted { .. }
            | Error::RepositoryNotFound { .. }
            | Error::RefNotFound { .. }
            | Error::NoMatchingTag { .. }
            | Error::InvalidSemverRange { .. }
            | Error::CommitNotFound { .. }
            | Error::PushRejected { .. }
            | Error::Local { .. }
            | Error::DirectoryNotEmpty { .. }
            | Error::Io { .. } => false,
        }
    }

    pub(crate) fn local(
        operation: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(git2::Error) -> Error {
        let path = path.to_path_buf();
        move |error| Error::Local {
            operation,
            path,
            cause: GitCause::new(&error, &[]),
        }
    }

    pub(crate) fn io(
        operation: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::Io {
            operation,
            path,
            source,
        }
    }
}

/// A libgit2 error, kept as text with every known secret value removed, so a chain of
/// sources printed into a condition message or an event cannot leak one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitCause {
    message: String,
    class: String,
    code: String,
}

impl GitCause {
    /// Keeps `error`'s message with each of `secrets` (non-empty ones) replaced.
    pub(crate) fn new(error: &git2::Error, secrets: &[&str]) -> GitCause {
        let mut message = error.message().to_string();
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            message = message.replace(secret, "<redacted>");
        }
        GitCause {
            message,
            class: format!("{:?}", error.class()),
            code: format!("{:?}", error.code()),
        }
    }

    /// libgit2's message, secrets removed.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for GitCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (libgit2 {}/{})", self.message, self.class, self.code)
    }
}

impl std::error::Error for GitCause {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_credentials_map_to_authentication_failed() {
        let error = Error::AuthenticationFailed {
            url: "https://example.com/repo.git".into(),
            detail: "refused".into(),
        };
        assert_eq!(error.reason(), "AuthenticationFailed");
        assert!(!error.is_transient());
    }

    #[test]
    fn network_errors_map_to_git_operation_failed() {
        let error = Error::Unreachable {
            url: "ssh://example.com/repo.git".into(),
            detail: "refused".into(),
        };
        assert_eq!(error.reason(), "GitOperationFailed");
        assert!(error.is_transient());
    }

    #[test]
    fn invalid_url_maps_to_url_invalid() {
        let error = Error::InvalidUrl {
            url: "ftp://x".into(),
            problem: "scheme".into(),
        };
        assert_eq!(error.reason(), "URLInvalid");
    }

    #[test]
    fn commit_not_found_names_the_branch() {
        let error = Error::CommitNotFound {
            url: "u".into(),
            commit: "abc".into(),
            branch: Some("main".into()),
        };
        assert_eq!(
            error.to_string(),
            "commit abc not found in u on branch 'main'"
        );
    }

    #[test]
    fn git_cause_removes_secret_values() {
        let error = git2::Error::from_str("bad token s3cr3t in request");
        let cause = GitCause::new(&error, &["s3cr3t", ""]);
        assert_eq!(cause.message(), "bad token <redacted> in request");
    }
}
