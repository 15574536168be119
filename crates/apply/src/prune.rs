//! Prune and delete: remove objects in reverse apply order with background propagation, but
//! only live objects that still carry the owner labels (another owner may have adopted them),
//! and never those opted out by annotation or label.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use capstan_api::meta::ResourceInventory;
use kube::api::{DeleteParams, PropagationPolicy};
use tokio_util::sync::CancellationToken;

use crate::apply::Applier;
use crate::changeset::{Action, ChangeSet};
use crate::dry_run::has_metadata;
use crate::error::{DeleteError, InventoryError, ResourceError, WaitError};
use crate::health::wait_for_termination;
use crate::inventory;
use crate::object::{self, ObjMetadata};
use crate::order;

/// Which live objects may be deleted, and how.
#[derive(Clone, Debug)]
pub struct DeleteOptions {
    /// Labels the live object must carry, all of them (an empty map matches every object).
    pub owner_labels: BTreeMap<String, String>,
    /// `(key, value)` pairs (label or annotation, value compared ignoring case) that protect
    /// an object from deletion.
    pub exclusions: Vec<(String, String)>,
    /// Propagation policy of the delete requests.
    pub propagation: PropagationPolicy,
}

impl DeleteOptions {
    /// Flux's prune options: background propagation; skip `prune: disabled`,
    /// `reconcile: disabled` and `ssa: Ignore`.
    pub fn flux(owner_labels: BTreeMap<String, String>) -> Self {
        use capstan_api::annotation::{
            DISABLED, KUSTOMIZE_PRUNE, KUSTOMIZE_RECONCILE, KUSTOMIZE_SSA, SSA_IGNORE,
        };
        Self {
            owner_labels,
            exclusions: vec![
                (KUSTOMIZE_PRUNE.into(), DISABLED.into()),
                (KUSTOMIZE_RECONCILE.into(), DISABLED.into()),
                (KUSTOMIZE_SSA.into(), SSA_IGNORE.into()),
            ],
            propagation: PropagationPolicy::Background,
        }
    }
}

/// One object that could not be deleted; `Display` names it and the cause chain.
#[derive(Debug)]
pub struct DeleteFailure {
    /// The object.
    pub object: ObjMetadata,
    /// Why.
    pub error: DeleteError,
}

impl fmt::Display for DeleteFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.object, self.error)?;
        let mut source = std::error::Error::source(&self.error);
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// What a prune or delete did: `deleted` (also for objects already gone) and `skipped`
/// entries, in deletion order, and the objects that failed.
#[derive(Debug, Default)]
pub struct DeleteReport {
    /// Deleted and skipped objects.
    pub change_set: ChangeSet,
    /// Objects whose deletion failed; merge them back into the inventory
    /// ([`crate::inventory::merge_objects`]) so the next run retries.
    pub failures: Vec<DeleteFailure>,
}

impl DeleteReport {
    /// Whether every deletion succeeded.
    pub fn is_success(&self) -> bool {
        self.failures.is_empty()
    }

    /// The objects that failed.
    pub fn failed_objects(&self) -> Vec<ObjMetadata> {
        self.failures.iter().map(|f| f.object.clone()).collect()
    }

    /// The failures as one message (`; `-separated), empty when none.
    pub fn failure_message(&self) -> String {
        self.failures
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl Applier {
    /// Deletes the objects of `old` that are not in `new` (Flux prune), guarded by the owner
    /// labels of the apply options.
    pub async fn prune(
        &self,
        old: &ResourceInventory,
        new: &ResourceInventory,
    ) -> Result<DeleteReport, InventoryError> {
        let stale = inventory::stale_objects(old, new)?;
        let options = DeleteOptions::flux(self.options().owner_labels.clone());
        Ok(self.delete_all(&stale, &options).await)
    }

    /// Deletes every object (deletionPolicy `Delete`), in reverse apply order, one at a time;
    /// failures are reported per object and do not stop the others. An object that is already
    /// gone, or whose kind is no longer served, counts as deleted.
    pub async fn delete_all(
        &self,
        objects: &[ObjMetadata],
        options: &DeleteOptions,
    ) -> DeleteReport {
        let mut ordered = objects.to_vec();
        ordered.sort_by(order::compare);
        ordered.reverse();
        let mut report = DeleteReport::default();
        for object in ordered {
            match self.delete_one(&object, options).await {
                Ok(action) => report.change_set.push(object, action),
                Err(error) => report.failures.push(DeleteFailure { object, error }),
            }
        }
        report
    }

    async fn delete_one(
        &self,
        object: &ObjMetadata,
        options: &DeleteOptions,
    ) -> Result<Action, DeleteError> {
        let resolved = match self.resources().resolve(object).await {
            Ok(found) => found,
            Err(ResourceError::UnknownKind { .. }) => return Ok(Action::Deleted),
            Err(error) => return Err(error.into()),
        };
        let api = self.resources().api(&resolved, &object.namespace);
        let live = match api.get_opt(&object.name).await.map_err(DeleteError::Get)? {
            Some(live) => serde_json::to_value(live)
                .map_err(|e| DeleteError::Get(kube::Error::SerdeError(e)))?,
            None => return Ok(Action::Deleted),
        };
        if !is_deletable(&live, options) {
            return Ok(Action::Skipped);
        }
        let params = DeleteParams {
            propagation_policy: Some(options.propagation.clone()),
            ..DeleteParams::default()
        };
        match api.delete(&object.name, &params).await {
            Ok(_) => Ok(Action::Deleted),
            Err(kube::Error::Api(status)) if status.is_not_found() => Ok(Action::Deleted),
            Err(error) => Err(DeleteError::Delete(error)),
        }
    }

    /// Whether prune would delete this object now (used by diff).
    pub(crate) async fn would_delete(&self, object: &ObjMetadata, options: &DeleteOptions) -> bool {
        let Ok(resolved) = self.resources().resolve(object).await else {
            return false;
        };
        let api = self.resources().api(&resolved, &object.namespace);
        match api.get_opt(&object.name).await {
            Ok(Some(live)) => serde_json::to_value(live)
                .map(|live| is_deletable(&live, options))
                .unwrap_or(false),
            _ => false,
        }
    }

    /// Waits until the objects are gone (deletionPolicy `WaitForTermination`), polling every
    /// `interval` (Flux: 2 s) up to `timeout`; cancellable.
    pub async fn wait_for_termination(
        &self,
        objects: &[ObjMetadata],
        interval: Duration,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), WaitError> {
        wait_for_termination(&self.reader(), objects, interval, timeout, cancel).await
    }
}

/// Whether a live object carries every owner label and no exclusion.
pub(crate) fn is_deletable(live: &serde_json::Value, options: &DeleteOptions) -> bool {
    let labels = object::labels(live);
    let owned = options
        .owner_labels
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v));
    owned
        && !options
            .exclusions
            .iter()
            .any(|(k, v)| has_metadata(live, k, v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn owner() -> BTreeMap<String, String> {
        crate::apply::ApplyOptions::kustomization_owner("app", "flux-system")
    }

    #[test]
    fn only_objects_with_matching_owner_labels_are_deletable() {
        let options = DeleteOptions::flux(owner());
        let owned = json!({"metadata": {"labels": {"kustomize.toolkit.fluxcd.io/name": "app",
            "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}}});
        assert!(is_deletable(&owned, &options));
        let adopted = json!({"metadata": {"labels": {"kustomize.toolkit.fluxcd.io/name": "other",
            "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}}});
        assert!(!is_deletable(&adopted, &options));
        let unlabelled = json!({"metadata": {}});
        assert!(!is_deletable(&unlabelled, &options));
        assert!(is_deletable(
            &unlabelled,
            &DeleteOptions::flux(BTreeMap::new())
        ));
    }

    #[test]
    fn opted_out_objects_are_not_deletable() {
        let options = DeleteOptions::flux(owner());
        for (key, value) in [
            ("kustomize.toolkit.fluxcd.io/prune", "disabled"),
            ("kustomize.toolkit.fluxcd.io/reconcile", "disabled"),
            ("kustomize.toolkit.fluxcd.io/ssa", "Ignore"),
        ] {
            let object = json!({"metadata": {"labels": {"kustomize.toolkit.fluxcd.io/name": "app",
                "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}, "annotations": {key: value}}});
            assert!(!is_deletable(&object, &options), "{key}");
        }
    }
}
