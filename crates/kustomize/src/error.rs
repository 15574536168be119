//! The one error type a build returns, and where it points.
//!
//! Decision: [`BuildError`]'s `Display` is the complete, user-facing message (what
//! `capstan kustomize` prints on stderr): the kustomization file, field and entry, the cause,
//! and the chain of kustomizations that included the failing one. It therefore has no
//! `source()`; the typed cause stays reachable through [`BuildError::kind`] (whose variants
//! keep their own `#[source]`), so reporters that join error chains do not repeat it.

use std::fmt;

use crate::fs::FsError;
use crate::yaml::{EmitError, YamlError};

/// Where in the kustomization tree something went wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The kustomization file (path inside the build root), if the error belongs to one.
    pub file: Option<String>,
    /// The field of that file (`resources`, `patches`, ...).
    pub field: Option<String>,
    /// The entry of that field (a path, a name, or `#index`).
    pub entry: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(file) = &self.file {
            parts.push(format!("kustomization '{file}'"));
        }
        if let Some(field) = &self.field {
            parts.push(format!("field '{field}'"));
        }
        if let Some(entry) = &self.entry {
            parts.push(format!("entry '{entry}'"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// What went wrong, without the location.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// A file or directory could not be read, or a path left the root.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// A YAML document could not be parsed.
    #[error("malformed yaml in '{file}'")]
    Yaml {
        /// The file holding the document.
        file: String,
        /// The parser's complaint.
        #[source]
        source: YamlError,
    },
    /// A directory has no `kustomization.yaml`, `kustomization.yml` or `Kustomization`.
    #[error(
        "no kustomization file (kustomization.yaml, kustomization.yml or Kustomization) in '{0}'"
    )]
    NoKustomization(String),
    /// More than one kustomization file in one directory.
    #[error("found multiple kustomization files in '{0}'")]
    MultipleKustomizations(String),
    /// The kustomization file itself is invalid (unknown field, wrong type, bad value).
    #[error("invalid kustomization: {0}")]
    InvalidKustomization(String),
    /// A kustomization includes itself, directly or through others.
    #[error("cycle detected: '{candidate}' contains visited root '{visited}'")]
    Cycle {
        /// The directory being included.
        candidate: String,
        /// The kustomization directory already on the include chain.
        visited: String,
    },
    /// A file is outside the kustomization directory under the root-only load restriction.
    #[error("security; file '{path}' is not in or below '{root}'")]
    OutsideKustomizationRoot {
        /// The file.
        path: String,
        /// The kustomization directory.
        root: String,
    },
    /// A remote base was referenced.
    #[error("remote resource '{url}' refused: {reason}")]
    Remote {
        /// The URL as written.
        url: String,
        /// Why it was not fetched.
        reason: String,
    },
    /// An object in the input is invalid (no kind, no name, not a mapping...).
    #[error("invalid object in '{file}': {message}")]
    InvalidObject {
        /// The file holding the object.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// Two objects with the same identity.
    #[error("may not add resource with an already registered id: {0}")]
    DuplicateId(String),
    /// A patch, transformer or generator could not be applied.
    #[error("{0}")]
    Transform(String),
    /// The result cannot be printed (e.g. an infinite float).
    #[error("cannot print {object}")]
    Emit {
        /// The object being printed.
        object: String,
        /// The JSON encoder's complaint.
        #[source]
        source: EmitError,
    },
}

#[derive(Debug)]
struct Inner {
    location: Location,
    kind: ErrorKind,
    via: Vec<Location>,
}

/// Why a build failed. `Display` is the complete message (see the module docs).
#[derive(Debug)]
pub struct BuildError(Box<Inner>);

impl BuildError {
    pub(crate) fn new(location: Location, kind: ErrorKind) -> BuildError {
        BuildError(Box::new(Inner {
            location,
            kind,
            via: Vec::new(),
        }))
    }

    /// Where the error happened (the innermost kustomization, field and entry).
    #[must_use]
    pub fn location(&self) -> &Location {
        &self.0.location
    }

    /// The typed cause.
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The kustomization entries that led to the failing one, innermost first.
    #[must_use]
    pub fn included_from(&self) -> &[Location] {
        &self.0.via
    }

    /// Records that the failing kustomization was reached through `loc`.
    pub(crate) fn via(mut self, loc: Location) -> BuildError {
        self.0.via.push(loc);
        self
    }

    /// Fills in the parts of the location that are still unknown.
    pub(crate) fn at(mut self, loc: &Location) -> BuildError {
        let l = &mut self.0.location;
        if l.file.is_none() {
            l.file.clone_from(&loc.file);
            if l.field.is_none() {
                l.field.clone_from(&loc.field);
            }
            if l.entry.is_none() {
                l.entry.clone_from(&loc.entry);
            }
        }
        self
    }
}

fn write_chain(f: &mut fmt::Formatter<'_>, mut err: &dyn std::error::Error) -> fmt::Result {
    while let Some(src) = err.source() {
        write!(f, ": {src}")?;
        err = src;
    }
    Ok(())
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = self.0.location.to_string();
        if !loc.is_empty() {
            write!(f, "{loc}: ")?;
        }
        write!(f, "{}", self.0.kind)?;
        write_chain(f, &self.0.kind)?;
        for v in &self.0.via {
            write!(f, " (included from {v})")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildError {}

/// Shorthand for a location with a file, field and entry.
pub(crate) fn loc(file: &str, field: &str, entry: impl Into<String>) -> Location {
    Location {
        file: Some(file.to_string()),
        field: Some(field.to_string()),
        entry: Some(entry.into()),
    }
}

/// Shorthand for a transform error at a location.
pub(crate) fn transform_err(location: Location, message: impl Into<String>) -> BuildError {
    BuildError::new(location, ErrorKind::Transform(message.into()))
}
