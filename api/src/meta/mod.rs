//! Types shared by several kinds, defined once (Flux's `fluxcd/pkg/apis`).

pub mod acl;
pub mod artifact;
pub mod history;
pub mod inventory;
pub mod kustomize;
pub mod reference;
pub mod schema;

pub use acl::{AccessFrom, NamespaceSelector};
pub use artifact::Artifact;
pub use history::ReconcileSnapshot;
pub use inventory::{ResourceInventory, ResourceRef};
pub use kustomize::{CommonMetadata, CustomHealthCheck, IgnoreRule, Image, Patch, Selector};
pub use reference::{
    DependencyReference, KubeConfigReference, LocalObjectReference, NamespacedObjectKindReference,
    NamespacedObjectReference, SecretKeyReference, ValuesKind, ValuesReference,
};
