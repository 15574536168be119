//! The cluster-facing applier: validate the whole set with a server-side dry-run, then apply it
//! in stages, sending only objects that are new or drifted.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream;
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::changeset::{Action, ChangeSet};
use crate::cleanup::{CleanupOptions, cleanup_patch};
use crate::drift::{DriftIgnoreRule, has_drifted, ignore_paths_for};
use crate::dry_run::{Desired, DryRun, Outcome, dry_run, is_force_annotated, is_merge, refusal};
use crate::error::{ApplyError, Refusal, ResourceError, ValidationPoint, WaitError};
use crate::health::{ClusterReader, CustomHealthChecks, WaitOptions, wait_for_set};
use crate::normalize::normalize;
use crate::object::{self, ObjMetadata};
use crate::order::{self, Stage, kind_rank, stage_of};
use crate::resources::{Resolved, ResourceCache};

/// How an apply behaves; `Default` is kustomize-controller's (`kustomize-controller` field
/// manager, Flux's cleanup list, 4 concurrent requests, 2 s / 60 s stage waits).
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// The server-side apply field manager; every apply forces ownership.
    pub field_manager: String,
    /// Labels set on every object (`kustomize.toolkit.fluxcd.io/name|namespace`); prune only
    /// deletes live objects that still carry them.
    pub owner_labels: BTreeMap<String, String>,
    /// Recreate objects whose immutable fields changed (Flux `spec.force`); the annotation
    /// `kustomize.toolkit.fluxcd.io/force: enabled` does the same per object.
    pub force: bool,
    /// Concurrent requests within a stage (Flux `--concurrent-ssa`).
    pub concurrency: usize,
    /// Poll interval of the waits between stages and of recreation.
    pub wait_interval: Duration,
    /// Bound of the waits between stages and of recreation.
    pub wait_timeout: Duration,
    /// What to remove from live objects before applying, so manual edits are reverted.
    pub cleanup: CleanupOptions,
    /// Drift-ignore rules (Flux `spec.ignore`).
    pub drift_ignore: Vec<DriftIgnoreRule>,
    /// Kinds (`Kind` or `Kind.group`) applied in a stage of their own before the rest (Flux
    /// `--custom-apply-stage-kinds`).
    pub custom_stage_kinds: Vec<String>,
}

impl ApplyOptions {
    /// Options for a field manager with Flux's cleanup list and defaults.
    pub fn new(field_manager: impl Into<String>) -> Self {
        let field_manager = field_manager.into();
        Self {
            cleanup: CleanupOptions::flux(&field_manager),
            field_manager,
            owner_labels: BTreeMap::new(),
            force: false,
            concurrency: 4,
            wait_interval: Duration::from_secs(2),
            wait_timeout: Duration::from_secs(60),
            drift_ignore: Vec::new(),
            custom_stage_kinds: Vec::new(),
        }
    }

    /// Sets the owner labels.
    pub fn with_owner_labels<K, V>(mut self, labels: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.owner_labels = labels
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// The owner labels of a Kustomization (`kustomize.toolkit.fluxcd.io/name|namespace`).
    pub fn kustomization_owner(name: &str, namespace: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            (
                capstan_api::label::KUSTOMIZE_NAME.to_string(),
                name.to_string(),
            ),
            (
                capstan_api::label::KUSTOMIZE_NAMESPACE.to_string(),
                namespace.to_string(),
            ),
        ])
    }
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self::new("kustomize-controller")
    }
}

/// A plan or a refusal, or an error that stops everything.
type PlanResult = Result<Result<PlanAction, Refusal>, ApplyError>;

/// What will be done to one object, decided from its dry-run.
#[derive(Clone, Debug)]
enum PlanAction {
    Skip,
    Unchanged,
    Create,
    Configure { cleanup: Option<Value> },
    Recreate,
}

/// Applies sets of objects to one cluster. Cheap to clone; clones share the discovery cache.
#[derive(Clone, Debug)]
pub struct Applier {
    resources: ResourceCache,
    options: ApplyOptions,
}

impl Applier {
    /// An applier with its own discovery cache.
    pub fn new(client: Client, options: ApplyOptions) -> Self {
        Self::with_resources(ResourceCache::new(client), options)
    }

    /// An applier sharing a discovery cache (one per cluster is enough).
    pub fn with_resources(resources: ResourceCache, options: ApplyOptions) -> Self {
        Self { resources, options }
    }

    /// The options.
    pub fn options(&self) -> &ApplyOptions {
        &self.options
    }

    /// The discovery cache.
    pub fn resources(&self) -> &ResourceCache {
        &self.resources
    }

    /// A reader of live objects for the health waiter.
    pub fn reader(&self) -> ClusterReader {
        ClusterReader::new(self.resources.clone())
    }

    /// Waits until `objects` are healthy (see [`crate::health::wait_for_set`]).
    pub async fn wait_for_set(
        &self,
        objects: &[ObjMetadata],
        checks: &CustomHealthChecks,
        options: &WaitOptions,
        cancel: &CancellationToken,
    ) -> Result<(), WaitError> {
        wait_for_set(&self.reader(), objects, checks, options, cancel).await
    }

    /// Validates then applies a set in stages (Flux's `ApplyAllStaged`).
    ///
    /// 1. Every object is normalized, labelled with the owner labels and dry-run (server-side,
    ///    forced, under the field manager). If any is refused, or its kind is served by no API
    ///    and defined by no CRD of the set, nothing is applied and the error names each one.
    ///    Objects whose CRD or Namespace is created by this set cannot be dry-run yet: they are
    ///    validated right after the first stage and before the second
    ///    ([`ValidationPoint::AfterDefinitions`]).
    /// 2. Stages: CRDs, Namespaces and ClusterRoles, then waiting for them (CRDs
    ///    `Established`); `*Class` kinds, then waiting; custom stage kinds; the rest. Within a
    ///    stage objects go in Flux's `ReconcileOrder`, kinds of equal rank concurrently.
    /// 3. Per object: unchanged objects (dry-run equals live, see [`crate::drift`]) are not
    ///    sent; drifted ones first get the managed-fields cleanup (unless `ssa: Merge`), then a
    ///    forced server-side apply. Immutable-field errors recreate the object when forced.
    pub async fn apply_all_staged(&self, objects: Vec<Value>) -> Result<ChangeSet, ApplyError> {
        let mut desired = prepare(objects, &self.options.owner_labels)?;
        let definitions = CrdDefinitions::of(&desired);
        let count = desired.len();

        // Resolve kinds; defer those a CRD of the set defines.
        let mut resolved: Vec<Option<Resolved>> = vec![None; count];
        let mut deferred = vec![false; count];
        let mut refused = Vec::new();
        for (i, item) in desired.iter().enumerate() {
            match self.resources.resolve(&item.meta).await {
                Ok(found) => resolved[i] = Some(found),
                Err(ResourceError::UnknownKind { .. }) if definitions.defines(&item.meta) => {
                    deferred[i] = true;
                }
                Err(ResourceError::UnknownKind { .. }) => refused.push(unknown_kind(&item.meta)),
                Err(error) => return Err(error.into()),
            }
        }
        for i in 0..count {
            let namespaced = resolved[i]
                .as_ref()
                .map(|r| r.namespaced)
                .or_else(|| definitions.is_namespaced(&desired[i].meta));
            fix_scope(&mut desired[i], namespaced)?;
        }

        // Objects in a Namespace this set creates wait for it.
        let set_namespaces: BTreeSet<String> = desired
            .iter()
            .filter(|d| d.meta.is_namespace())
            .map(|d| d.meta.name.clone())
            .collect();
        let mut live_namespaces: HashMap<String, bool> = HashMap::new();
        for i in 0..count {
            let namespace = desired[i].meta.namespace.clone();
            if deferred[i] || namespace.is_empty() || !set_namespaces.contains(&namespace) {
                continue;
            }
            let exists = match live_namespaces.get(&namespace) {
                Some(exists) => *exists,
                None => {
                    let exists = self.namespace_exists(&namespace).await?;
                    live_namespaces.insert(namespace, exists);
                    exists
                }
            };
            deferred[i] = !exists;
        }

        // Validate everything that can be validated now.
        let mut plans: Vec<Option<PlanAction>> = vec![None; count];
        let now: Vec<usize> = (0..count).filter(|i| !deferred[*i]).collect();
        let (planned, mut more) = self.plan(&now, &desired, &resolved).await?;
        refused.append(&mut more);
        if !refused.is_empty() {
            return Err(ApplyError::Validation {
                point: ValidationPoint::BeforeApply,
                refused: sorted(refused),
                applied: ChangeSet::default(),
            });
        }
        for (i, plan) in planned {
            plans[i] = Some(plan);
        }

        let mut applied = ChangeSet::default();
        let mut changed_groups: BTreeSet<String> = BTreeSet::new();
        let mut definitions_applied = false;
        for stage in Stage::ALL {
            let mut indices: Vec<usize> = (0..count)
                .filter(|i| stage_of(&desired[*i].meta, &self.options.custom_stage_kinds) == stage)
                .collect();
            indices.sort_by(|a, b| order::compare(&desired[*a].meta, &desired[*b].meta));
            if indices.is_empty() {
                continue;
            }

            // Validate deferred objects, and re-validate objects whose CRD just changed (its
            // schema or defaults may change the dry-run result).
            let replan: Vec<usize> = indices
                .iter()
                .copied()
                .filter(|i| deferred[*i] || changed_groups.contains(&desired[*i].meta.group))
                .collect();
            if !replan.is_empty() {
                let mut refused = Vec::new();
                let mut ready = Vec::new();
                for &i in &replan {
                    if resolved[i].is_some() {
                        ready.push(i);
                        continue;
                    }
                    match self.resolve_new_kind(&desired[i].meta).await {
                        Ok(found) => {
                            if found.namespaced && desired[i].meta.namespace.is_empty() {
                                refused.push(Refusal {
                                    object: desired[i].meta.clone(),
                                    reason: String::new(),
                                    message: "namespace not specified for a namespaced object"
                                        .into(),
                                });
                                continue;
                            }
                            resolved[i] = Some(found);
                            ready.push(i);
                        }
                        Err(ResourceError::UnknownKind { .. }) => {
                            refused.push(unknown_kind(&desired[i].meta));
                        }
                        Err(error) => return Err(error.into()),
                    }
                }
                let (planned, mut more) = self.plan(&ready, &desired, &resolved).await?;
                refused.append(&mut more);
                if !refused.is_empty() {
                    let point = if definitions_applied && replan.iter().any(|i| deferred[*i]) {
                        ValidationPoint::AfterDefinitions
                    } else {
                        ValidationPoint::AfterStage
                    };
                    return Err(ApplyError::Validation {
                        point,
                        refused: sorted(refused),
                        applied,
                    });
                }
                for (i, plan) in planned {
                    plans[i] = Some(plan);
                }
            }

            let (entries, failures) = self.run_stage(&indices, &desired, &resolved, &plans).await;
            for (i, action) in &entries {
                applied.push(desired[*i].meta.clone(), *action);
                if desired[*i].meta.is_crd()
                    && matches!(action, Action::Created | Action::Configured)
                    && let Some(group) = desired[*i]
                        .object
                        .pointer("/spec/group")
                        .and_then(Value::as_str)
                {
                    changed_groups.insert(group.to_string());
                }
            }
            if !failures.is_empty() {
                return Err(ApplyError::Apply {
                    failures: sorted(failures),
                    applied,
                });
            }
            if stage == Stage::Definitions {
                definitions_applied = true;
            }
            if stage.is_waited_for() {
                let waited: Vec<ObjMetadata> = entries
                    .iter()
                    .filter(|(_, action)| *action != Action::Skipped)
                    .map(|(i, _)| desired[*i].meta.clone())
                    .collect();
                let options = WaitOptions {
                    interval: self.options.wait_interval,
                    timeout: self.options.wait_timeout,
                    fail_fast: true,
                };
                if let Err(source) = self
                    .wait_for_set(
                        &waited,
                        &CustomHealthChecks::default(),
                        &options,
                        &CancellationToken::new(),
                    )
                    .await
                {
                    return Err(ApplyError::StageNotReady {
                        stage: stage.describe(),
                        source,
                        applied,
                    });
                }
            }
        }
        // Report in apply order across stages.
        Ok(applied)
    }

    async fn namespace_exists(&self, name: &str) -> Result<bool, ApplyError> {
        let meta = ObjMetadata::new("", "v1", "Namespace", "", name);
        let resolved = self.resources.resolve(&meta).await?;
        let api = self.resources.api(&resolved, "");
        api.get_opt(name)
            .await
            .map(|found| found.is_some())
            .map_err(|source| ApplyError::Get {
                object: meta,
                source,
            })
    }

    /// Resolves a kind whose CRD was just applied; discovery may lag `Established` briefly.
    async fn resolve_new_kind(&self, meta: &ObjMetadata) -> Result<Resolved, ResourceError> {
        let deadline = Instant::now() + self.options.wait_timeout;
        loop {
            match self.resources.resolve(meta).await {
                Err(ResourceError::UnknownKind { .. }) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                other => return other,
            }
        }
    }

    /// Dry-runs `indices` concurrently; returns the plans and the refusals.
    async fn plan(
        &self,
        indices: &[usize],
        desired: &[Desired],
        resolved: &[Option<Resolved>],
    ) -> Result<(Vec<(usize, PlanAction)>, Vec<Refusal>), ApplyError> {
        let results: Vec<(usize, PlanResult)> = stream::iter(indices.iter().copied())
            .map(|i| async move {
                let item = &desired[i];
                let Some(found) = resolved[i].as_ref() else {
                    return (i, Ok(Err(unknown_kind(&item.meta))));
                };
                let api = self.resources.api(found, &item.meta.namespace);
                let result = dry_run(&api, item, &self.options.field_manager)
                    .await
                    .map(|run| self.decide(item, run))
                    .map_err(|source| ApplyError::Get {
                        object: item.meta.clone(),
                        source,
                    });
                (i, result)
            })
            .buffered(self.options.concurrency.max(1))
            .collect()
            .await;
        let mut plans = Vec::new();
        let mut refused = Vec::new();
        for (i, result) in results {
            match result? {
                Ok(plan) => plans.push((i, plan)),
                Err(refusal) => refused.push(refusal),
            }
        }
        Ok((plans, refused))
    }

    fn decide(&self, desired: &Desired, run: DryRun) -> Result<PlanAction, Refusal> {
        let live = run.live.as_ref();
        match run.outcome {
            Outcome::Skipped => Ok(PlanAction::Skip),
            Outcome::Refused(refusal) => Err(refusal),
            Outcome::Immutable(refusal) => {
                if self.options.force || is_force_annotated(&desired.object, live) {
                    Ok(PlanAction::Recreate)
                } else {
                    Err(refusal)
                }
            }
            Outcome::Merged(merged) => {
                let Some(live) = live else {
                    return Ok(PlanAction::Create);
                };
                let cleanup = if is_merge(&desired.object, Some(live)) {
                    None
                } else {
                    cleanup_patch(live, &self.options.cleanup, &self.options.field_manager)
                };
                let ignore =
                    ignore_paths_for(&self.options.drift_ignore, &desired.meta, &desired.object);
                if cleanup.is_some() || has_drifted(live, &merged, &ignore) {
                    Ok(PlanAction::Configure { cleanup })
                } else {
                    Ok(PlanAction::Unchanged)
                }
            }
        }
    }

    /// Executes a stage's plans: kinds of equal rank concurrently, ranks in order.
    async fn run_stage(
        &self,
        indices: &[usize],
        desired: &[Desired],
        resolved: &[Option<Resolved>],
        plans: &[Option<PlanAction>],
    ) -> (Vec<(usize, Action)>, Vec<Refusal>) {
        let mut entries = Vec::with_capacity(indices.len());
        let mut failures = Vec::new();
        let mut start = 0;
        while start < indices.len() {
            let rank = kind_rank(&desired[indices[start]].meta.kind);
            let end = indices[start..]
                .iter()
                .position(|i| kind_rank(&desired[*i].meta.kind) != rank)
                .map_or(indices.len(), |offset| start + offset);
            let results: Vec<(usize, Result<Action, Refusal>)> =
                stream::iter(indices[start..end].iter().copied())
                    .map(|i| async move {
                        let result = match (resolved[i].as_ref(), plans[i].as_ref()) {
                            (Some(found), Some(plan)) => {
                                self.execute(&desired[i], found, plan).await
                            }
                            _ => Err(Refusal {
                                object: desired[i].meta.clone(),
                                reason: String::new(),
                                message: "the object was not validated".into(),
                            }),
                        };
                        (i, result)
                    })
                    .buffered(self.options.concurrency.max(1))
                    .collect()
                    .await;
            for (i, result) in results {
                match result {
                    Ok(action) => entries.push((i, action)),
                    Err(refusal) => failures.push(refusal),
                }
            }
            start = end;
        }
        (entries, failures)
    }

    async fn execute(
        &self,
        desired: &Desired,
        resolved: &Resolved,
        plan: &PlanAction,
    ) -> Result<Action, Refusal> {
        let api = self.resources.api(resolved, &desired.meta.namespace);
        match plan {
            PlanAction::Skip => Ok(Action::Skipped),
            PlanAction::Unchanged => Ok(Action::Unchanged),
            PlanAction::Create => {
                self.server_side_apply(&api, desired).await?;
                Ok(Action::Created)
            }
            PlanAction::Configure { cleanup } => {
                if let Some(patch) = cleanup {
                    self.clean_up(&api, desired, patch.clone()).await?;
                }
                self.server_side_apply(&api, desired).await?;
                Ok(Action::Configured)
            }
            PlanAction::Recreate => {
                self.recreate(&api, desired).await?;
                Ok(Action::Created)
            }
        }
    }

    /// Sends the cleanup patch. The patch pins the `resourceVersion` it was computed from;
    /// controllers write status all the time, so on a conflict the live object is read again
    /// and the patch recomputed, a few times.
    async fn clean_up(
        &self,
        api: &Api<DynamicObject>,
        desired: &Desired,
        mut patch: Value,
    ) -> Result<(), Refusal> {
        const ATTEMPTS: usize = 5;
        let params = PatchParams {
            field_manager: Some(self.options.field_manager.clone()),
            ..PatchParams::default()
        };
        let fail = |e: &kube::Error| {
            prefixed(
                refusal(&desired.meta, &desired.object, e),
                "managedFields cleanup failed: ",
            )
        };
        for attempt in 1..=ATTEMPTS {
            match api
                .patch(&desired.meta.name, &params, &Patch::Merge(&patch))
                .await
            {
                Ok(_) => return Ok(()),
                Err(kube::Error::Api(status)) if status.is_conflict() && attempt < ATTEMPTS => {
                    let live = match api.get_opt(&desired.meta.name).await {
                        Ok(Some(live)) => serde_json::to_value(live).map_err(|e| Refusal {
                            object: desired.meta.clone(),
                            reason: String::new(),
                            message: format!("managedFields cleanup failed: {e}"),
                        })?,
                        // Gone meanwhile: the apply creates it again.
                        Ok(None) => return Ok(()),
                        Err(e) => return Err(fail(&e)),
                    };
                    match cleanup_patch(&live, &self.options.cleanup, &self.options.field_manager) {
                        Some(next) => patch = next,
                        None => return Ok(()),
                    }
                }
                Err(e) => return Err(fail(&e)),
            }
        }
        Ok(())
    }

    async fn server_side_apply(
        &self,
        api: &Api<DynamicObject>,
        desired: &Desired,
    ) -> Result<(), Refusal> {
        let params = PatchParams::apply(&self.options.field_manager).force();
        api.patch(&desired.meta.name, &params, &Patch::Apply(&desired.object))
            .await
            .map(|_| ())
            .map_err(|e| {
                prefixed(
                    refusal(&desired.meta, &desired.object, &e),
                    "apply failed: ",
                )
            })
    }

    /// Deletes (background propagation), waits until gone, applies again.
    async fn recreate(&self, api: &Api<DynamicObject>, desired: &Desired) -> Result<(), Refusal> {
        let name = &desired.meta.name;
        let fail = |e: kube::Error, what: &str| {
            prefixed(refusal(&desired.meta, &desired.object, &e), what)
        };
        match api.delete(name, &DeleteParams::background()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.is_not_found() => {}
            Err(e) => {
                return Err(fail(
                    e,
                    "immutable field detected, failed to delete object: ",
                ));
            }
        }
        let deadline = Instant::now() + self.options.wait_timeout;
        loop {
            match api.get_opt(name).await {
                Ok(None) => break,
                Ok(Some(_)) if Instant::now() < deadline => {
                    tokio::time::sleep(self.options.wait_interval.min(Duration::from_millis(500)))
                        .await;
                }
                Ok(Some(_)) => {
                    return Err(Refusal {
                        object: desired.meta.clone(),
                        reason: String::new(),
                        message: format!(
                            "immutable field detected, the object was not deleted within {:?}",
                            self.options.wait_timeout
                        ),
                    });
                }
                Err(e) => {
                    return Err(fail(
                        e,
                        "immutable field detected, failed to wait for the deletion: ",
                    ));
                }
            }
        }
        self.server_side_apply(api, desired).await
    }
}

fn prefixed(mut refusal: Refusal, prefix: &str) -> Refusal {
    refusal.message = format!("{prefix}{}", refusal.message);
    refusal
}

fn sorted(mut refusals: Vec<Refusal>) -> Vec<Refusal> {
    refusals.sort_by(|a, b| order::compare(&a.object, &b.object));
    refusals
}

fn unknown_kind(meta: &ObjMetadata) -> Refusal {
    Refusal {
        object: meta.clone(),
        reason: String::new(),
        message: format!(
            "no API serves {}, Kind={} (is its CustomResourceDefinition installed or part of the set?)",
            meta.api_version(),
            meta.kind
        ),
    }
}

/// Parses, normalizes and labels the manifests; refuses duplicates.
pub(crate) fn prepare(
    objects: Vec<Value>,
    owner_labels: &BTreeMap<String, String>,
) -> Result<Vec<Desired>, ApplyError> {
    let mut seen = BTreeSet::new();
    let mut desired = Vec::with_capacity(objects.len());
    for mut object in objects {
        let meta = ObjMetadata::from_object(&object)?;
        if !seen.insert(meta.inventory_id()) {
            return Err(ApplyError::Duplicate { object: meta });
        }
        normalize(&mut object, &meta);
        object::set_labels(&mut object, owner_labels);
        desired.push(Desired { meta, object });
    }
    Ok(desired)
}

/// Checks the namespace against the scope: a namespaced object needs one; a cluster-scoped
/// object loses one (the apiserver would refuse the mismatch).
pub(crate) fn fix_scope(desired: &mut Desired, namespaced: Option<bool>) -> Result<(), ApplyError> {
    match namespaced {
        Some(true) if desired.meta.namespace.is_empty() => Err(ApplyError::MissingNamespace {
            object: desired.meta.clone(),
        }),
        Some(false) if !desired.meta.namespace.is_empty() => {
            desired.meta.namespace.clear();
            if let Some(metadata) = object::metadata_mut(&mut desired.object) {
                metadata.remove("namespace");
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The kinds the CRDs of a set define, with their scope.
pub(crate) struct CrdDefinitions {
    kinds: HashMap<(String, String), bool>,
}

impl CrdDefinitions {
    pub(crate) fn of(desired: &[Desired]) -> Self {
        let kinds = desired
            .iter()
            .filter(|d| d.meta.is_crd())
            .filter_map(|d| {
                let spec = d.object.get("spec")?;
                let group = spec.get("group")?.as_str()?.to_string();
                let kind = spec.pointer("/names/kind")?.as_str()?.to_string();
                let namespaced = spec.get("scope").and_then(Value::as_str) != Some("Cluster");
                Some(((group, kind), namespaced))
            })
            .collect();
        Self { kinds }
    }

    pub(crate) fn defines(&self, meta: &ObjMetadata) -> bool {
        self.kinds
            .contains_key(&(meta.group.clone(), meta.kind.clone()))
    }

    pub(crate) fn is_namespaced(&self, meta: &ObjMetadata) -> Option<bool> {
        self.kinds
            .get(&(meta.group.clone(), meta.kind.clone()))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prepare_labels_normalizes_and_refuses_duplicates() {
        let owner = ApplyOptions::kustomization_owner("app", "flux-system");
        let objects = vec![json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "a", "labels": {"x": "1"}}, "status": {}})];
        let desired = prepare(objects.clone(), &owner).unwrap();
        assert_eq!(
            desired[0].object["metadata"]["labels"],
            json!({"x": "1", "kustomize.toolkit.fluxcd.io/name": "app",
                "kustomize.toolkit.fluxcd.io/namespace": "flux-system"})
        );
        assert!(desired[0].object.get("status").is_none());
        let twice = vec![objects[0].clone(), objects[0].clone()];
        let error = prepare(twice, &owner).unwrap_err();
        assert_eq!(
            error.to_string(),
            "ConfigMap/a/c: the object appears more than once in the set"
        );
    }

    #[test]
    fn scope_fix_requires_namespaces_and_drops_them_when_cluster_scoped() {
        let mut desired = prepare(
            vec![json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})],
            &BTreeMap::new(),
        )
        .unwrap();
        let error = fix_scope(&mut desired[0], Some(true)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "ConfigMap/c: namespace not specified for a namespaced object"
        );
        let mut desired = prepare(
            vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n", "namespace": "x"}})],
            &BTreeMap::new(),
        )
        .unwrap();
        fix_scope(&mut desired[0], Some(false)).unwrap();
        assert_eq!(desired[0].meta.to_string(), "Namespace/n");
        assert!(desired[0].object["metadata"].get("namespace").is_none());
    }

    #[test]
    fn crd_definitions_know_their_kinds_and_scope() {
        let desired = prepare(
            vec![json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {"group": "example.com", "scope": "Cluster", "names": {"kind": "Widget", "plural": "widgets"}}})],
            &BTreeMap::new(),
        )
        .unwrap();
        let defs = CrdDefinitions::of(&desired);
        let widget = ObjMetadata::new("example.com", "v1", "Widget", "", "w");
        assert!(defs.defines(&widget));
        assert_eq!(defs.is_namespaced(&widget), Some(false));
        assert!(!defs.defines(&ObjMetadata::new("example.com", "v1", "Gadget", "", "g")));
    }
}
