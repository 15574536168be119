//! `capstan-api`: the Flux v2 API in Rust.
//!
//! Every kind Capstan's controllers reconcile, with Flux's groups, versions,
//! JSON field names, enums, defaults and status conditions, so existing Flux
//! manifests work unchanged. Spec fields keep the user's text (durations stay
//! `1m`, never `1m0s`), and defaults live in accessors on the types, as in
//! Flux's `api/v1` packages.
//!
//! - [`meta`]: shared references, `Artifact`, kustomize patch types.
//! - [`constants`]: condition types, reasons, annotations, labels, groups.
//! - [`conditions`]: setting conditions with Flux semantics, as pure functions.
//! - [`object`]: traits generic code uses to handle any kind.
//! - [`duration`]: Go duration parsing and formatting.
//! - [`validation`]: the error returned for rules Flux writes as CEL.
//! - [`source`], [`kustomize`], [`helm`], [`notification`], [`image`]: the kinds.
//! - [`crd`]: CRD generation, post-processed into a structural schema a
//!   v1.20 apiserver accepts (no `nullable`, no null enum values, no CEL).

#![deny(missing_docs)]

pub mod conditions;
pub mod constants;
pub mod crd;
pub mod duration;
pub mod helm;
pub mod image;
pub mod kustomize;
pub mod meta;
pub mod notification;
pub mod object;
pub mod source;
pub mod validation;

pub use constants::{
    FINALIZER, MAX_CONDITION_MESSAGE_LENGTH, annotation, condition, group, kind, label, reason,
};
pub use object::{FluxObject, ObjectWithConditions};
pub use validation::ValidationError;
