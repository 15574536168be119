//! Resolving `spec.sourceRef` to the source's current artifact.

use std::time::Duration;

use capstan_api::kustomize::{Kustomization, KustomizationSourceKind};
use capstan_api::meta::Artifact;
use capstan_api::source::{Bucket, GitRepository, OCIRepository};
use kube::{Api, Client, ResourceExt};

use super::error::KustomizationError;

/// Identifies a source object: kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceKey {
    /// `GitRepository`, `OCIRepository` or `Bucket`.
    pub kind: String,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
}

impl SourceKey {
    /// The source a Kustomization refers to (namespace defaults to the Kustomization's).
    pub fn of(kustomization: &Kustomization) -> Self {
        Self {
            kind: kustomization.spec.source_ref.kind.as_str().to_string(),
            namespace: kustomization.source_namespace().to_string(),
            name: kustomization.spec.source_ref.name.clone(),
        }
    }
}

/// The source's artifact; fails (retried) when the source is missing or has none yet, and
/// (terminally) when `--no-cross-namespace-refs` forbids the reference.
pub(super) async fn artifact(
    client: &Client,
    kustomization: &Kustomization,
    no_cross_namespace_refs: bool,
    requeue_dependency: Duration,
) -> Result<Artifact, KustomizationError> {
    let key = SourceKey::of(kustomization);
    if no_cross_namespace_refs && key.namespace != kustomization.namespace().unwrap_or_default() {
        return Err(KustomizationError::AccessDenied {
            kind: key.kind,
            namespace: key.namespace,
            name: key.name,
        });
    }
    let not_found = || KustomizationError::SourceNotFound {
        kind: key.kind.clone(),
        namespace: key.namespace.clone(),
        name: key.name.clone(),
    };
    let read = |e: kube::Error| KustomizationError::SourceNotReady {
        kind: key.kind.clone(),
        namespace: key.namespace.clone(),
        name: key.name.clone(),
        detail: format!("reading it failed: {e}"),
        retry: requeue_dependency,
    };
    let artifact = match kustomization.spec.source_ref.kind {
        KustomizationSourceKind::GitRepository => {
            let api: Api<GitRepository> = Api::namespaced(client.clone(), &key.namespace);
            api.get_opt(&key.name)
                .await
                .map_err(read)?
                .ok_or_else(not_found)?
                .status
                .and_then(|s| s.artifact)
        }
        KustomizationSourceKind::OCIRepository => {
            let api: Api<OCIRepository> = Api::namespaced(client.clone(), &key.namespace);
            api.get_opt(&key.name)
                .await
                .map_err(read)?
                .ok_or_else(not_found)?
                .status
                .and_then(|s| s.artifact)
        }
        KustomizationSourceKind::Bucket => {
            let api: Api<Bucket> = Api::namespaced(client.clone(), &key.namespace);
            api.get_opt(&key.name)
                .await
                .map_err(read)?
                .ok_or_else(not_found)?
                .status
                .and_then(|s| s.artifact)
        }
        _ => {
            return Err(KustomizationError::InvalidSpec(format!(
                "sourceRef.kind {} is not supported by Capstan yet",
                key.kind
            )));
        }
    };
    artifact.ok_or_else(|| KustomizationError::SourceNotReady {
        kind: key.kind.clone(),
        namespace: key.namespace.clone(),
        name: key.name.clone(),
        detail: "it has no artifact yet".into(),
        retry: requeue_dependency,
    })
}
