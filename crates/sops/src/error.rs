//! Errors. They name the file, the key path in the document and what failed; they never carry a
//! decrypted value or key material (see the `no_secret_in_errors` tests).

use std::fmt;

/// A failure to decrypt one document. `Display` is `<file>: <what failed>`.
#[derive(Debug)]
pub struct Error {
    file: String,
    kind: ErrorKind,
}

impl Error {
    pub(crate) fn new(file: &str, kind: ErrorKind) -> Self {
        Self {
            file: file.to_owned(),
            kind,
        }
    }

    /// The display name the caller gave for the document.
    #[must_use]
    pub fn file(&self) -> &str {
        &self.file
    }

    /// What failed, for callers that branch on it (e.g. a wrong key is not retried).
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.kind)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.kind)
    }
}

/// What went wrong while decrypting a document. Paths are written `data.password`, list items
/// `args[2]`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The document has no `sops` metadata: it is not a sops file (or its metadata was removed).
    #[error("no sops metadata found: the document is not encrypted by sops")]
    MetadataNotFound,
    /// The `sops` metadata is present but unusable.
    #[error("malformed sops metadata at sops.{field}: {reason}")]
    Metadata {
        /// The metadata field, e.g. `lastmodified`.
        field: String,
        /// Why it is unusable.
        reason: String,
    },
    /// The document is not valid in its format.
    #[error("cannot parse the document as {format}: {reason}")]
    Parse {
        /// The format that was expected.
        format: &'static str,
        /// The parser's complaint, with a position; never document content.
        reason: String,
    },
    /// None of the keyring's keys opens any of the file's encrypted data keys.
    #[error(
        "wrong key: no age or PGP key in the decryption secret matches the file's recipients ({recipients}); the secret holds {available}"
    )]
    NoMatchingKey {
        /// The file's recipients (age recipients, PGP fingerprints), shortened.
        recipients: String,
        /// The public side of the keys the keyring holds, shortened.
        available: String,
    },
    /// The file's data key is held only by key providers Capstan does not implement.
    #[error(
        "unsupported key provider: the file can only be decrypted with {providers}; Capstan supports age and PGP keys"
    )]
    UnsupportedProvider {
        /// The providers found in the metadata, e.g. `AWS KMS, HashiCorp Vault`.
        providers: String,
    },
    /// Too few Shamir key groups could be opened.
    #[error(
        "shamir_threshold is {threshold} but only {recovered} key group(s) could be decrypted; the file's groups need {recipients}"
    )]
    ShamirThreshold {
        /// Groups needed.
        threshold: usize,
        /// Groups opened.
        recovered: usize,
        /// The recipients of every group, shortened.
        recipients: String,
    },
    /// A recipient opened its encrypted data key, but what came out is not a usable key.
    #[error("the data key recovered with {recipient} is malformed: {reason}")]
    DataKey {
        /// The recipient that produced the bad key.
        recipient: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An `ENC[...]` value cannot be parsed.
    #[error("truncated or malformed ENC value at {path}: {reason}")]
    MalformedValue {
        /// Where the value sits.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// AES-GCM refused a value: the ciphertext was altered or moved from another key.
    #[error(
        "cannot decrypt the value at {path}: authentication failed (the ciphertext was altered, or moved from another key)"
    )]
    ValueAuthentication {
        /// Where the value sits.
        path: String,
    },
    /// A value that the file's rules say is encrypted is a plain scalar.
    #[error("expected an encrypted value at {path}, found a plain {found}")]
    NotEncrypted {
        /// Where the value sits.
        path: String,
        /// The plain value's type (never its content).
        found: &'static str,
    },
    /// Every value decrypted, but their digest differs from the stored MAC.
    #[error("MAC mismatch: the file was modified after encryption")]
    MacMismatch,
    /// The stored MAC itself does not decrypt.
    #[error(
        "MAC mismatch: the stored MAC does not decrypt; sops.mac or sops.lastmodified was modified after encryption"
    )]
    MacAuthentication,
    /// A feature of the file that Capstan does not implement.
    #[error("unsupported: {what}")]
    Unsupported {
        /// What it is.
        what: String,
    },
}

/// A failure to read the keys of a decryption Secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// An entry selected by its suffix (`.agekey`, `.asc`) does not hold usable keys.
    #[error("decryption secret entry {entry}: {reason}")]
    InvalidEntry {
        /// The Secret's data key, e.g. `identity.agekey`.
        entry: String,
        /// What is wrong with it (never the key material).
        reason: String,
    },
}
