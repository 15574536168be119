//! The built-in transformers, one module each. Every transformer works on the whole
//! accumulated set of objects and fails with a message naming the object it choked on.

pub(crate) mod annotations;
pub(crate) mod images;
pub(crate) mod labels;
pub(crate) mod namespace;
pub(crate) mod prefix_suffix;
pub(crate) mod replicas;

use crate::resid::ResId;

/// Prefixes a transformer error with the object it happened on.
pub(crate) fn on_object(id: &ResId, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", crate::resmap::id_text(id))
}
