use std::path::{Path, PathBuf};

/// Why packing or unpacking failed; names the entry or file.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// A filesystem operation failed.
    #[error("{action} {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An entry would land outside the destination, or is of a refused type.
    #[error("refusing archive entry '{path}': {reason}")]
    UnsafePath {
        /// The entry's path as written in the archive.
        path: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A size or count bound was exceeded.
    #[error("{what} exceeds the limit of {limit}")]
    TooLarge {
        /// What was too large.
        what: String,
        /// The bound.
        limit: u64,
    },
    /// The data is not a readable tar (or tar.gz) archive.
    #[error("invalid archive: {message}")]
    Corrupt {
        /// The decoder's complaint.
        message: String,
    },
    /// The caller cancelled the extraction.
    #[error("extraction cancelled")]
    Cancelled,
}

impl ArchiveError {
    pub(crate) fn io<'a>(
        action: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(std::io::Error) -> ArchiveError + 'a {
        move |source| ArchiveError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn corrupt(error: std::io::Error) -> ArchiveError {
        ArchiveError::Corrupt {
            message: error.to_string(),
        }
    }
}
