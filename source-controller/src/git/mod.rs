//! GitRepository: fetch the revision `spec.ref` names and store it as an artifact.
//!
//! Steps, as Flux's source-controller: verify the stored artifact (rebuild a corrupt one) and
//! garbage-collect → read the auth Secret → resolve the remote revision without cloning →
//! when revision, ignore rules and includes are unchanged, stop (nothing to do) → shallow clone
//! → copy included artifacts → archive into storage → status and `NewArtifact` event. A failure
//! keeps the last good artifact in status and in storage, so consumers keep working.

mod error;

use std::sync::Arc;

use capstan_api::meta::Artifact;
use capstan_api::source::{GitRepository, GitRepositoryStatus};
use capstan_api::{condition, reason};
use capstan_git::{Auth, Checkout, Commit, Deadline, Remote};
use capstan_runtime::events::ObjectEvent;
use capstan_runtime::reconcile::{Applied, Progress, ReconcileError, Reconciler, error_chain};
use kube::runtime::controller::Controller;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use tracing::info;

pub use error::GitRepositoryError;

use crate::include;
use crate::secrets::secret_data;
use crate::storage::{ArchiveLimits, ArtifactDir, IgnoreRules, Storage};

/// The GitRepository reconciler.
#[derive(Clone)]
pub struct GitRepositoryReconciler {
    client: Client,
    storage: Storage,
}

impl GitRepositoryReconciler {
    /// A reconciler storing artifacts in `storage`.
    pub fn new(client: Client, storage: Storage) -> Self {
        Self { client, storage }
    }
}

impl Reconciler<GitRepository> for GitRepositoryReconciler {
    type Error = GitRepositoryError;

    async fn apply(
        &self,
        object: Arc<GitRepository>,
        progress: &mut Progress<GitRepository>,
    ) -> Result<Applied, GitRepositoryError> {
        let result = self.reconcile(&object, progress).await;
        match &result {
            Ok(_) => {
                for type_ in [
                    condition::FETCH_FAILED,
                    condition::INCLUDE_UNAVAILABLE,
                    condition::STORAGE_OPERATION_FAILED,
                    condition::BUILD_FAILED,
                ] {
                    progress.clear(type_);
                }
            }
            Err(error) => {
                progress.mark(error.condition(), true, error.reason(), &error_chain(error))
            }
        }
        result
    }

    async fn cleanup(&self, object: Arc<GitRepository>) -> Result<(), GitRepositoryError> {
        let dir = artifact_dir(&object);
        self.storage
            .remove_all(&dir)
            .map_err(GitRepositoryError::Archive)?;
        info!(object = %format!("GitRepository/{}/{}", object.namespace().unwrap_or_default(), object.name_any()), "removed stored artifacts");
        Ok(())
    }
}

fn artifact_dir(object: &GitRepository) -> ArtifactDir {
    ArtifactDir::new(
        "GitRepository",
        &object.namespace().unwrap_or_default(),
        &object.name_any(),
    )
}

impl GitRepositoryReconciler {
    async fn reconcile(
        &self,
        object: &GitRepository,
        progress: &mut Progress<GitRepository>,
    ) -> Result<Applied, GitRepositoryError> {
        let dir = artifact_dir(object);
        if let Some(event) =
            crate::verify_stored_artifact(&self.storage, &dir, &mut progress.status_mut().artifact)
        {
            progress.record(event);
        }
        let auth = self.auth(object).await?;
        let remote =
            Remote::new(&object.spec.url, auth).map_err(GitRepositoryError::Credentials)?;
        let checkout = Checkout::from_ref(object.spec.reference.as_ref());
        let timeout = object.timeout().map_err(GitRepositoryError::Duration)?;

        let resolved = {
            let (remote, checkout) = (remote.clone(), checkout.clone());
            run_blocking(move || remote.resolve(&checkout, &Deadline::after(timeout)))
                .await?
                .map_err(GitRepositoryError::Checkout)?
        };
        let includes = include::resolve(&self.client, object).await?;
        if self.is_up_to_date(object, progress.status(), &resolved.revision, &includes) {
            let message = format!("stored artifact for revision '{}'", resolved.revision);
            return Ok(Applied::new(reason::SUCCEEDED, message));
        }

        progress
            .reconciling(&format!(
                "building artifact: new upstream revision '{}'",
                resolved.revision
            ))
            .await;
        let workdir = tempfile::Builder::new()
            .prefix("gitrepository-")
            .tempdir()
            .map_err(|e| {
                GitRepositoryError::Internal(format!("creating a temporary directory: {e}"))
            })?;
        let checkout_dir = workdir.path().join("source");
        let commit: Commit = {
            let (remote, checkout, path) = (remote.clone(), checkout.clone(), checkout_dir.clone());
            run_blocking(move || remote.clone_into(&path, &checkout, &Deadline::after(timeout)))
                .await?
                .map_err(GitRepositoryError::Checkout)?
        };
        include::copy_into(&self.storage, &includes, &checkout_dir)?;

        let artifact = {
            let storage = self.storage.clone();
            let ignore_spec = object.spec.ignore.clone();
            let (target, file, path) = (
                dir.clone(),
                format!("{}.tar.gz", commit.hash),
                checkout_dir.clone(),
            );
            run_blocking(move || {
                let rules = IgnoreRules::for_tree(&path, ignore_spec.as_deref());
                storage.archive(&target, &file, &path, &rules, &ArchiveLimits::default())
            })
            .await?
            .map_err(GitRepositoryError::Archive)?
        };
        let artifact = Artifact {
            revision: commit.revision.clone(),
            ..artifact
        };
        let message = format!("stored artifact for revision '{}'", commit.revision);
        let status = progress.status_mut();
        status.artifact = Some(artifact.clone());
        status.observed_ignore = object.spec.ignore.clone();
        status.observed_include = object.spec.include.clone().filter(|i| !i.is_empty());
        status.included_artifacts =
            (!includes.is_empty()).then(|| includes.iter().map(|i| i.artifact.clone()).collect());
        progress.mark(
            condition::ARTIFACT_IN_STORAGE,
            true,
            reason::SUCCEEDED,
            &message,
        );
        let _ = self.storage.garbage_collect(&dir, Some(&artifact));
        drop(workdir);
        let event = ObjectEvent::normal(
            reason::NEW_ARTIFACT,
            format!("stored artifact for commit '{}'", commit.summary()),
        )
        .with_metadata("source.toolkit.fluxcd.io/revision", commit.revision.clone());
        Ok(Applied::new(reason::SUCCEEDED, message).with_event(event))
    }

    /// Nothing to do: the stored artifact is intact, at the remote's revision, built with the
    /// current ignore rules and includes.
    fn is_up_to_date(
        &self,
        object: &GitRepository,
        status: &GitRepositoryStatus,
        revision: &str,
        includes: &[include::Included],
    ) -> bool {
        let Some(artifact) = &status.artifact else {
            return false;
        };
        let includes_same = status.observed_include.clone().unwrap_or_default()
            == object.spec.include.clone().unwrap_or_default()
            && status
                .included_artifacts
                .as_ref()
                .map_or(includes.is_empty(), |stored| {
                    stored.len() == includes.len()
                        && stored.iter().zip(includes).all(|(a, b)| {
                            a.revision == b.artifact.revision && a.digest == b.artifact.digest
                        })
                });
        artifact.has_revision(revision)
            && status.observed_ignore == object.spec.ignore
            && includes_same
    }

    async fn auth(&self, object: &GitRepository) -> Result<Auth, GitRepositoryError> {
        let Some(secret) = &object.spec.secret_ref else {
            return Ok(Auth::none());
        };
        let namespace = object.namespace().unwrap_or_default();
        let data = secret_data(&self.client, &namespace, &secret.name)
            .await
            .map_err(GitRepositoryError::Secret)?;
        Auth::from_secret_data(data).map_err(GitRepositoryError::Credentials)
    }
}

/// Runs blocking work (libgit2, file IO) off the async workers.
async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, GitRepositoryError> {
    crate::run_blocking(work)
        .await
        .map_err(GitRepositoryError::Internal)
}

/// Adds the trigger "an included GitRepository got a new artifact → reconcile the
/// GitRepositories that include it", so includes propagate without waiting for the interval.
pub fn with_include_triggers(
    runtime: capstan_runtime::controller::Runtime,
) -> impl FnOnce(Controller<GitRepository>) -> Controller<GitRepository> {
    move |controller| {
        let store = controller.store();
        let changes = watcher(
            runtime.watched_api::<GitRepository>(),
            runtime.watcher_config(),
        )
        .default_backoff()
        .applied_objects()
        .predicate_filter(artifact_revision, Default::default());
        controller.watches_stream(changes, move |changed: GitRepository| {
            let namespace = changed.namespace();
            let name = changed.name_any();
            store
                .state()
                .into_iter()
                .filter(|repo| {
                    repo.namespace() == namespace
                        && repo
                            .spec
                            .include
                            .iter()
                            .flatten()
                            .any(|i| i.repository.name == name)
                })
                .map(|repo| ObjectRef::from_obj(&*repo))
                .collect::<Vec<_>>()
        })
    }
}

/// Fires when a GitRepository's artifact revision or digest changes.
fn artifact_revision(repo: &GitRepository) -> Option<u64> {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let artifact = repo.status.as_ref()?.artifact.as_ref()?;
    let mut hasher = DefaultHasher::new();
    artifact.revision.hash(&mut hasher);
    artifact.digest.hash(&mut hasher);
    Some(hasher.finish())
}
