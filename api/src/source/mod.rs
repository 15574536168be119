//! `source.toolkit.fluxcd.io/v1`: the kinds source-controller turns into artifacts.

pub mod bucket;
pub mod git_repository;
pub mod helm_chart;
pub mod helm_repository;
pub mod oci_repository;

pub use bucket::{Bucket, BucketProvider, BucketSTSSpec, BucketSpec, BucketStatus, STSProvider};
pub use git_repository::{
    GitCheckout, GitProvider, GitRepository, GitRepositoryInclude, GitRepositoryRef,
    GitRepositorySpec, GitRepositoryStatus, GitRepositoryVerification, GitVerificationMode,
};
pub use helm_chart::{
    HelmChart, HelmChartSourceKind, HelmChartSpec, HelmChartStatus, LocalHelmChartSourceReference,
    ReconcileStrategy,
};
pub use helm_repository::{
    HelmRepository, HelmRepositorySpec, HelmRepositoryStatus, HelmRepositoryType,
};
pub use oci_repository::{
    OCILayerOperation, OCILayerSelector, OCIProvider, OCIReference, OCIRepository,
    OCIRepositoryRef, OCIRepositorySpec, OCIRepositoryStatus, OCIRepositoryVerification,
    OIDCIdentityMatch, VerificationProvider,
};
