//! `kustomize.toolkit.fluxcd.io/v1`: the Kustomization applier.

pub mod kustomization;

pub use kustomization::{
    BuildMetadata, CrossNamespaceSourceReference, Decryption, DecryptionProvider, DeletionPolicy,
    Kustomization, KustomizationSourceKind, KustomizationSpec, KustomizationStatus, PostBuild,
    SubstituteReference, SubstituteStrategy,
};
