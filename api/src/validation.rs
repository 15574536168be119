//! The error `validate()` returns for rules Flux writes as CEL
//! (`x-kubernetes-validations`).
//!
//! Those rules are left out of the generated CRDs on purpose: a v1.20
//! apiserver drops them and `kubectl` refuses them. Each kind's `validate()`
//! checks them instead, so a controller can mark the object Stalled with a
//! message naming the field.

use thiserror::Error;

/// A spec rule violation, naming the JSON path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid {field}: {message}")]
pub struct ValidationError {
    /// JSON path of the field, e.g. `spec.serviceAccountName`.
    pub field: String,
    /// What is wrong, in lower case, without a trailing period.
    pub message: String,
}

impl ValidationError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// `Ok(())` when `holds`, else a [`ValidationError`] about `field`.
pub(crate) fn ensure(holds: bool, field: &str, message: &str) -> Result<(), ValidationError> {
    if holds {
        Ok(())
    } else {
        Err(ValidationError::new(field, message))
    }
}

/// Checks that an optional duration field parses; the apiserver only checks
/// the pattern, and a controller should fail with the field's name.
pub(crate) fn ensure_duration(value: Option<&str>, field: &str) -> Result<(), ValidationError> {
    match value.map(crate::duration::parse_duration) {
        Some(Err(e)) => Err(ValidationError::new(field, e.to_string())),
        _ => Ok(()),
    }
}
