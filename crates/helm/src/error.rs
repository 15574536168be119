//! The crate's error: its `Display` is what `helm template` prints after `Error: `.

use crate::chart::LoadError;

/// Why a render failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The chart could not be loaded.
    #[error("{0}")]
    Load(#[from] LoadError),
    /// The options or command line are invalid.
    #[error("{0}")]
    Invalid(String),
    /// User values could not be read or parsed.
    #[error("{0}")]
    Values(String),
    /// A template failed to parse or execute, or produced invalid YAML; Helm then suggests
    /// `--debug`.
    #[error("{0}\n\nUse --debug flag to render out invalid YAML")]
    Render(String),
}

impl Error {
    /// The message without Helm's `--debug` suggestion.
    pub fn message(&self) -> String {
        match self {
            Error::Load(e) => e.to_string(),
            Error::Invalid(m) | Error::Values(m) | Error::Render(m) => m.clone(),
        }
    }
}
