//! What makes a Kustomization reconcile besides its own changes and interval:
//!
//! - its **source** got a new artifact revision → reconcile it now (and cancel a health check
//!   still running for an older revision: a fix pushed during a failing rollout is applied
//!   within seconds instead of after the timeout);
//! - one of its **dependencies** turned Ready or applied a new revision → reconcile it now, so
//!   a `dependsOn` chain converges without Flux's fixed 30 s polling.

use std::hash::{DefaultHasher, Hash, Hasher};

use capstan_api::kustomize::Kustomization;
use capstan_api::meta::Artifact;
use capstan_api::source::{GitRepository, OCIRepository};
use capstan_runtime::controller::Runtime;
use kube::runtime::controller::Controller;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Resource, ResourceExt};
use tracing::info;

use super::{InFlight, SourceKey};

/// Adds the source and dependency triggers to the Kustomization controller.
pub fn configure(
    runtime: Runtime,
    in_flight: InFlight,
) -> impl FnOnce(Controller<Kustomization>) -> Controller<Kustomization> {
    move |controller| {
        let store = controller.store();
        let (git_store, oci_store, dep_store) = (store.clone(), store.clone(), store);
        let (git_flight, oci_flight) = (in_flight.clone(), in_flight);
        let git = watcher(
            runtime.watched_api::<GitRepository>(),
            watcher::Config::default(),
        )
        .default_backoff()
        .applied_objects()
        .predicate_filter(
            |r: &GitRepository| artifact_hash(r.status.as_ref().and_then(|s| s.artifact.as_ref())),
            Default::default(),
        );
        let oci = watcher(
            runtime.watched_api::<OCIRepository>(),
            watcher::Config::default(),
        )
        .default_backoff()
        .applied_objects()
        .predicate_filter(
            |r: &OCIRepository| artifact_hash(r.status.as_ref().and_then(|s| s.artifact.as_ref())),
            Default::default(),
        );
        let dependencies = watcher(
            runtime.watched_api::<Kustomization>(),
            runtime.watcher_config(),
        )
        .default_backoff()
        .applied_objects()
        .predicate_filter(readiness_hash, Default::default());
        controller
            .watches_stream(git, move |repo: GitRepository| {
                let revision = repo
                    .status
                    .as_ref()
                    .and_then(|s| s.artifact.as_ref())
                    .map(|a| a.revision.clone());
                on_new_revision(&git_store, &git_flight, &source_key(&repo), revision)
            })
            .watches_stream(oci, move |repo: OCIRepository| {
                let revision = repo
                    .status
                    .as_ref()
                    .and_then(|s| s.artifact.as_ref())
                    .map(|a| a.revision.clone());
                on_new_revision(&oci_store, &oci_flight, &source_key(&repo), revision)
            })
            .watches_stream(dependencies, move |dependency: Kustomization| {
                dependents_of(&dep_store, &dependency)
            })
    }
}

fn source_key<K: Resource<DynamicType = ()>>(object: &K) -> SourceKey {
    SourceKey {
        kind: K::kind(&()).to_string(),
        namespace: object.namespace().unwrap_or_default(),
        name: object.name_any(),
    }
}

/// Kustomizations using `source` that have not attempted `revision` yet; health checks they
/// run for an older revision are cancelled.
fn on_new_revision(
    store: &Store<Kustomization>,
    in_flight: &InFlight,
    source: &SourceKey,
    revision: Option<String>,
) -> Vec<ObjectRef<Kustomization>> {
    let Some(revision) = revision else {
        return Vec::new();
    };
    {
        let in_flight = in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for ((namespace, name), (key, checking, token)) in in_flight.iter() {
            if key == source && checking != &revision {
                info!(kustomization = %format!("{namespace}/{name}"), %revision, "new revision: cancelling the running health check");
                token.cancel();
            }
        }
    }
    store
        .state()
        .into_iter()
        .filter(|ks| &SourceKey::of(ks) == source)
        .filter(|ks| {
            ks.status
                .as_ref()
                .and_then(|s| s.last_attempted_revision.as_deref())
                != Some(revision.as_str())
        })
        .map(|ks| ObjectRef::from_obj(&*ks))
        .collect()
}

/// Kustomizations whose `dependsOn` names `dependency`.
fn dependents_of(
    store: &Store<Kustomization>,
    dependency: &Kustomization,
) -> Vec<ObjectRef<Kustomization>> {
    let target = (
        dependency.namespace().unwrap_or_default(),
        dependency.name_any(),
    );
    store
        .state()
        .into_iter()
        .filter(|ks| ks.dependencies().contains(&target))
        .map(|ks| ObjectRef::from_obj(&*ks))
        .collect()
}

fn artifact_hash(artifact: Option<&Artifact>) -> Option<u64> {
    let artifact = artifact?;
    let mut hasher = DefaultHasher::new();
    artifact.revision.hash(&mut hasher);
    artifact.digest.hash(&mut hasher);
    Some(hasher.finish())
}

/// Changes when a Kustomization's readiness or applied revision changes.
fn readiness_hash(kustomization: &Kustomization) -> Option<u64> {
    let status = kustomization.status.as_ref()?;
    let mut hasher = DefaultHasher::new();
    capstan_api::conditions::is_ready(&status.conditions).hash(&mut hasher);
    status.last_applied_revision.hash(&mut hasher);
    status.observed_generation.hash(&mut hasher);
    Some(hasher.finish())
}
