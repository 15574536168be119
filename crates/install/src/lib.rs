//! `capstan-install`: what `capstan install` puts in a cluster, as typed Kubernetes objects.
//!
//! Flux's installation, adapted to Capstan's controllers: the Namespace, the CRDs of the
//! selected controllers, least-privilege RBAC per controller (plus Flux's `cluster-reconciler`
//! binding and aggregated `edit`/`view` roles), a Deployment per controller with the
//! restricted security context, source-controller's Service and Flux's NetworkPolicies.
//!
//! Entry points:
//! - [`generate`]: the objects for an [`InstallOptions`], in apply order, as JSON values the
//!   apply engine takes directly; [`to_yaml`] prints them (`capstan install --export`).
//! - [`manifest_files`] / [`write_manifests`]: the committed `manifests/` tree (a folder and a
//!   kustomization per component, `manifests/install` for everything), regenerated with
//!   [`REGENERATE`] and checked by `tests/manifests_up_to_date.rs`.
//!
//! Key decision: the objects are built with k8s-openapi's types, never from YAML templates, so
//! a misspelt field does not compile; and one function builds both the exported stream and the
//! committed files, so `kubectl apply -k manifests/install` and `capstan install` cannot
//! drift apart. Everything is parametric in the namespace: cluster-scoped RBAC names end in
//! it, so installs in different namespaces do not collide (the CRDs, being cluster-wide,
//! are shared).

#![deny(missing_docs)]

mod component;
mod generate;
pub mod labels;
mod namespace;
mod options;
mod policies;
pub mod rbac;
mod render;
pub mod workload;

pub use component::{Component, ComponentError, parse_components};
pub use generate::{crds_of, generate};
pub use options::{
    DEFAULT_NAMESPACE, DEFAULT_REGISTRY, InstallOptions, InvalidOptions, LOG_LEVELS,
    default_version,
};
pub use render::{
    MANIFESTS_HEADER, REGENERATE, manifest_dirs, manifest_files, to_yaml, write_manifests,
};

#[cfg(test)]
mod tests;
