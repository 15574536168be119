//! OCIRepository: pull the artifact `spec.ref` names from a registry and store it.
//!
//! Steps, as Flux: verify the stored artifact and garbage-collect → credentials from the
//! `dockerconfigjson` Secret → resolve the reference to a manifest digest (one `HEAD`, plus a
//! tag listing for semver) → when revision, ignore rules and layer selector are unchanged, stop
//! → pull the selected layer (digest verified while streaming) → extract it and re-archive with
//! the ignore rules, or copy it as is → status and `NewArtifact` event.

mod error;

use std::sync::Arc;

use capstan_api::meta::Artifact;
use capstan_api::source::{OCIRepository, OCIRepositoryStatus};
use capstan_api::{condition, reason};
use capstan_oci::{
    Content, Credentials, LayerSelector, Limits, OciClient, OciUrl, RegistryOptions,
};
use capstan_runtime::events::ObjectEvent;
use capstan_runtime::reconcile::{Applied, Progress, ReconcileError, Reconciler, error_chain};
use kube::{Client, ResourceExt};

pub use error::OciRepositoryError;

use crate::secrets::secret_data;
use crate::storage::{ArchiveLimits, ArtifactDir, IgnoreRules, Storage};

/// The OCIRepository reconciler.
#[derive(Clone)]
pub struct OciRepositoryReconciler {
    client: Client,
    storage: Storage,
}

impl OciRepositoryReconciler {
    /// A reconciler storing artifacts in `storage`.
    pub fn new(client: Client, storage: Storage) -> Self {
        Self { client, storage }
    }
}

fn artifact_dir(object: &OCIRepository) -> ArtifactDir {
    ArtifactDir::new(
        "OCIRepository",
        &object.namespace().unwrap_or_default(),
        &object.name_any(),
    )
}

impl Reconciler<OCIRepository> for OciRepositoryReconciler {
    type Error = OciRepositoryError;

    async fn apply(
        &self,
        object: Arc<OCIRepository>,
        progress: &mut Progress<OCIRepository>,
    ) -> Result<Applied, OciRepositoryError> {
        let result = self.reconcile(&object, progress).await;
        match &result {
            Ok(_) => {
                for type_ in [condition::FETCH_FAILED, condition::STORAGE_OPERATION_FAILED] {
                    progress.clear(type_);
                }
            }
            Err(error) => {
                progress.mark(error.condition(), true, error.reason(), &error_chain(error))
            }
        }
        result
    }

    async fn cleanup(&self, object: Arc<OCIRepository>) -> Result<(), OciRepositoryError> {
        self.storage
            .remove_all(&artifact_dir(&object))
            .map_err(OciRepositoryError::Archive)
    }
}

impl OciRepositoryReconciler {
    async fn reconcile(
        &self,
        object: &OCIRepository,
        progress: &mut Progress<OCIRepository>,
    ) -> Result<Applied, OciRepositoryError> {
        let dir = artifact_dir(object);
        if let Some(event) =
            crate::verify_stored_artifact(&self.storage, &dir, &mut progress.status_mut().artifact)
        {
            progress.record(event);
        }
        let client = self.registry_client(object).await?;
        let resolved = client
            .resolve(object.reference())
            .await
            .map_err(OciRepositoryError::Resolve)?;
        let revision = resolved.revision();
        if is_up_to_date(object, progress.status(), &revision) {
            return Ok(Applied::new(
                reason::SUCCEEDED,
                format!("stored artifact for digest '{revision}'"),
            ));
        }

        progress
            .reconciling(&format!("building artifact: new revision '{revision}'"))
            .await;
        let selector = object
            .spec
            .layer_selector
            .as_ref()
            .map(LayerSelector::from)
            .unwrap_or_default();
        let workdir = tempfile::Builder::new()
            .prefix("ocirepository-")
            .tempdir()
            .map_err(|e| {
                OciRepositoryError::Internal(format!("creating a temporary directory: {e}"))
            })?;
        let pulled = client
            .pull(&resolved, &selector, workdir.path(), &Limits::default())
            .await
            .map_err(OciRepositoryError::Pull)?;
        let storage = self.storage.clone();
        let target = dir.clone();
        let ignore = object.spec.ignore.clone();
        let hex = resolved.digest_hex().to_string();
        let content = pulled.content.clone();
        let root = workdir.path().to_path_buf();
        let stored = crate::run_blocking(move || match content {
            Content::Extracted(_) => {
                let rules = IgnoreRules::for_tree(&root, ignore.as_deref());
                storage.archive(
                    &target,
                    &format!("{hex}.tar.gz"),
                    &root,
                    &rules,
                    &ArchiveLimits::default(),
                )
            }
            Content::Copied(file) => {
                let mut input =
                    std::fs::File::open(&file).map_err(crate::storage::io_err("opening", &file))?;
                storage.store_reader(&target, &format!("{hex}.tgz"), &mut input)
            }
        })
        .await
        .map_err(OciRepositoryError::Internal)?
        .map_err(OciRepositoryError::Archive)?;

        let metadata = (!pulled.annotations.is_empty()).then(|| pulled.annotations.clone());
        let artifact = Artifact {
            revision: revision.clone(),
            metadata,
            ..stored
        };
        let message = format!("stored artifact for digest '{revision}'");
        let status = progress.status_mut();
        status.url = Some(artifact.url.clone());
        status.artifact = Some(artifact.clone());
        status.observed_ignore = object.spec.ignore.clone();
        status.observed_layer_selector = object.spec.layer_selector.clone();
        progress.mark(
            condition::ARTIFACT_IN_STORAGE,
            true,
            reason::SUCCEEDED,
            &message,
        );
        let _ = self.storage.garbage_collect(&dir, Some(&artifact));
        let event = ObjectEvent::normal(
            reason::NEW_ARTIFACT,
            format!(
                "stored artifact with revision '{revision}' from '{}'",
                object.spec.url
            ),
        )
        .with_metadata("source.toolkit.fluxcd.io/revision", revision);
        Ok(Applied::new(reason::SUCCEEDED, message).with_event(event))
    }

    async fn registry_client(
        &self,
        object: &OCIRepository,
    ) -> Result<OciClient, OciRepositoryError> {
        let url = OciUrl::parse(&object.spec.url).map_err(OciRepositoryError::Config)?;
        let namespace = object.namespace().unwrap_or_default();
        let credentials = match &object.spec.secret_ref {
            Some(secret) => {
                let data = secret_data(&self.client, &namespace, &secret.name)
                    .await
                    .map_err(OciRepositoryError::Secret)?;
                let json = data
                    .get(capstan_oci::DOCKERCONFIGJSON_KEY)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                Credentials::from_dockerconfigjson(json, url.registry())
                    .map_err(OciRepositoryError::Config)?
            }
            None => None,
        };
        let ca_certificate = match &object.spec.cert_secret_ref {
            Some(secret) => {
                let data = secret_data(&self.client, &namespace, &secret.name)
                    .await
                    .map_err(OciRepositoryError::Secret)?;
                data.get("ca.crt").cloned()
            }
            None => None,
        };
        let timeout = object.timeout().map_err(OciRepositoryError::Duration)?;
        let options = RegistryOptions {
            credentials,
            insecure: object.spec.insecure.unwrap_or(false),
            ca_certificate,
            timeout,
        };
        OciClient::new(url, options).map_err(OciRepositoryError::Config)
    }
}

fn is_up_to_date(object: &OCIRepository, status: &OCIRepositoryStatus, revision: &str) -> bool {
    let Some(artifact) = &status.artifact else {
        return false;
    };
    artifact.has_revision(revision)
        && status.observed_ignore == object.spec.ignore
        && status.observed_layer_selector == object.spec.layer_selector
}
