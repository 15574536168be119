//! Kustomization: make the cluster equal to a source's manifests, keep it so, say why not.
//!
//! Steps, as Flux's kustomize-controller: resolve the source artifact (`--no-cross-namespace-refs`
//! enforced) → check `dependsOn` (cycles reported) → fetch, verify and unpack the artifact
//! (cached by digest) → `kustomize build` with the spec's overlay → post-build substitution →
//! staged server-side apply, validated first (one bad object: nothing applied) → prune what
//! left the inventory → health checks (cancelled at once by a new revision) → status, inventory,
//! history and one event listing the change set.

mod dependencies;
mod error;
mod source;
mod tenancy;
pub mod triggers;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use capstan_api::kustomize::{DeletionPolicy, Kustomization, KustomizationStatus};
use capstan_api::meta::{ReconcileSnapshot, ResourceInventory};
use capstan_api::{condition, reason};
use capstan_apply::health::{CustomHealthChecks, WaitOptions};
use capstan_apply::{Applier, ApplyOptions, ChangeSet, DeleteOptions, ObjMetadata};
use capstan_runtime::artifact::ArtifactFetcher;
use capstan_runtime::events::ObjectEvent;
use capstan_runtime::reconcile::{Applied, Progress, Reconciler};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::{Client, ResourceExt};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

pub use error::KustomizationError;
pub use source::SourceKey;
pub use tenancy::Clients;

use crate::args::FeatureGates;

/// The field manager of everything kustomize-controller applies (Flux's).
pub const FIELD_MANAGER: &str = "kustomize-controller";

/// Settings of the Kustomization reconciler, from the controller's flags.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--no-cross-namespace-refs`.
    pub no_cross_namespace_refs: bool,
    /// `--requeue-dependency`.
    pub requeue_dependency: Duration,
    /// `--no-remote-bases`.
    pub no_remote_bases: bool,
    /// `--concurrent-ssa`.
    pub concurrent_ssa: usize,
    /// `--override-manager` entries.
    pub override_managers: Vec<String>,
    /// `--custom-apply-stage-kinds`.
    pub custom_stage_kinds: Vec<String>,
    /// `--feature-gates`.
    pub gates: FeatureGates,
    /// `--sops-age-secret` (`namespace/name`): age keys for Kustomizations whose decryption
    /// names no Secret.
    pub sops_age_secret: Option<(String, String)>,
}

/// Health checks in progress, by Kustomization, cancelled when their source moves on.
pub type InFlight = Arc<Mutex<HashMap<(String, String), (SourceKey, String, CancellationToken)>>>;

/// The Kustomization reconciler.
#[derive(Clone)]
pub struct KustomizationReconciler {
    client: Client,
    clients: Clients,
    fetcher: ArtifactFetcher,
    settings: Settings,
    in_flight: InFlight,
}

impl KustomizationReconciler {
    /// A reconciler using `client` to read sources and dependencies and `clients` to apply.
    pub fn new(
        client: Client,
        clients: Clients,
        fetcher: ArtifactFetcher,
        settings: Settings,
    ) -> Self {
        Self {
            client,
            clients,
            fetcher,
            settings,
            in_flight: Arc::default(),
        }
    }

    /// The registry of running health checks, shared with the source triggers.
    pub fn in_flight(&self) -> InFlight {
        self.in_flight.clone()
    }
}

impl Reconciler<Kustomization> for KustomizationReconciler {
    type Error = KustomizationError;

    async fn apply(
        &self,
        object: Arc<Kustomization>,
        progress: &mut Progress<Kustomization>,
    ) -> Result<Applied, KustomizationError> {
        let started = Instant::now();
        let mut built = None;
        let result = self.reconcile(&object, progress, &mut built).await;
        if let Some((digest, revision)) = built {
            record_history(
                progress.status_mut(),
                digest,
                revision,
                result.is_ok(),
                started.elapsed(),
            );
        }
        result
    }

    async fn cleanup(&self, object: Arc<Kustomization>) -> Result<(), KustomizationError> {
        let described = format!(
            "Kustomization/{}/{}",
            object.namespace().unwrap_or_default(),
            object.name_any()
        );
        let inventory = object
            .status
            .as_ref()
            .and_then(|s| s.inventory.clone())
            .unwrap_or_default();
        if object.spec.suspend.unwrap_or(false)
            || inventory.entries.is_empty()
            || !object.deletes_objects_on_deletion()
        {
            info!(object = %described, "finalizing without deleting applied objects");
            return Ok(());
        }
        let client = match self.clients.for_kustomization(&object) {
            Ok(client) => client,
            Err(error) => {
                // As Flux: a tenant whose ServiceAccount is gone must not block deletion forever.
                warn!(object = %described, %error, "cannot impersonate; finalizing without deleting objects");
                return Ok(());
            }
        };
        let objects = capstan_apply::inventory::objects(&inventory)
            .map_err(|e| KustomizationError::Prune(e.to_string()))?;
        let applier = Applier::new(client, self.apply_options(&object)?);
        let report = applier
            .delete_all(&objects, &DeleteOptions::flux(owner_labels(&object)))
            .await;
        if !report.is_success() {
            return Err(KustomizationError::Prune(report.failure_message()));
        }
        if object.deletion_policy() == DeletionPolicy::WaitForTermination {
            let timeout = object
                .timeout()
                .map_err(|e| KustomizationError::InvalidSpec(e.to_string()))?;
            applier
                .wait_for_termination(
                    &objects,
                    Duration::from_secs(2),
                    timeout,
                    &CancellationToken::new(),
                )
                .await
                .map_err(|source| KustomizationError::Health {
                    elapsed: format!("{timeout:?}"),
                    source,
                })?;
        }
        info!(object = %described, deleted = report.change_set.entries.len(), "deleted applied objects");
        Ok(())
    }

    fn retry_interval(&self, object: &Kustomization) -> Option<Duration> {
        object.retry_interval().ok()
    }
}

fn owner_labels(object: &Kustomization) -> BTreeMap<String, String> {
    ApplyOptions::kustomization_owner(&object.name_any(), &object.namespace().unwrap_or_default())
}

impl KustomizationReconciler {
    fn apply_options(&self, object: &Kustomization) -> Result<ApplyOptions, KustomizationError> {
        let mut options = ApplyOptions::new(FIELD_MANAGER).with_owner_labels(owner_labels(object));
        options.force = object.forces();
        options.concurrency = self.settings.concurrent_ssa.max(1);
        options.custom_stage_kinds = self.settings.custom_stage_kinds.clone();
        options.cleanup = capstan_apply::CleanupOptions::flux(FIELD_MANAGER)
            .with_override_managers(self.settings.override_managers.iter());
        options.drift_ignore = object
            .spec
            .ignore
            .iter()
            .flatten()
            .map(|rule| {
                capstan_apply::DriftIgnoreRule::compile(rule)
                    .map_err(|e| KustomizationError::InvalidSpec(format!("spec.ignore: {e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(options)
    }

    /// The steps; `built` receives the digest of the built manifests (for `status.history`).
    async fn reconcile(
        &self,
        object: &Kustomization,
        progress: &mut Progress<Kustomization>,
        built: &mut Option<(String, String)>,
    ) -> Result<Applied, KustomizationError> {
        let invalid = |e: capstan_api::duration::DurationError| {
            KustomizationError::InvalidSpec(e.to_string())
        };
        let timeout = object.timeout().map_err(invalid)?;
        let checks = CustomHealthChecks::compile(
            object
                .spec
                .health_check_exprs
                .as_deref()
                .unwrap_or_default(),
        )
        .map_err(|source| KustomizationError::InvalidExpression {
            field: "spec.healthCheckExprs".into(),
            source,
        })?;
        let artifact = source::artifact(
            &self.client,
            object,
            self.settings.no_cross_namespace_refs,
            self.settings.requeue_dependency,
        )
        .await?;
        let revision = artifact.revision.clone();
        if object
            .spec
            .depends_on
            .as_ref()
            .is_some_and(|d| !d.is_empty())
        {
            dependencies::find_cycle(&self.client, object).await?;
            dependencies::check(
                &self.client,
                object,
                &revision,
                self.settings.requeue_dependency,
            )
            .await?;
        }

        progress
            .reconciling(&format!(
                "Fetching manifests for revision {revision} with a timeout of {}",
                capstan_api::duration::format_duration(timeout)
            ))
            .await;
        let tree: PathBuf = self
            .fetcher
            .fetch(&artifact)
            .await
            .map_err(KustomizationError::Fetch)?;
        progress.status_mut().last_attempted_revision = Some(revision.clone());

        progress
            .reconciling(&format!("Building manifests for revision {revision}"))
            .await;
        let client = self.clients.for_kustomization(object)?;
        let keyring = self.keyring(object).await?;
        let objects = {
            let (tree, object_copy, no_remote) =
                (tree.clone(), object.clone(), self.settings.no_remote_bases);
            tokio::task::spawn_blocking(move || {
                let settings = capstan_ksbuild::BuildSettings {
                    no_remote_bases: no_remote,
                    keyring: keyring.as_ref(),
                };
                capstan_ksbuild::build(&tree, &object_copy, &settings)
            })
            .await
            .map_err(|e| KustomizationError::InvalidSpec(format!("build worker failed: {e}")))?
            .map_err(KustomizationError::Build)?
        };
        let variables = capstan_ksbuild::vars::load(&client, object)
            .await
            .map_err(KustomizationError::Build)?;
        let strict = self.settings.gates.strict_post_build_substitutions;
        let objects = capstan_ksbuild::vars::substitute_all(
            objects,
            &variables,
            object.substitute_strategy(),
            strict,
        )
        .map_err(KustomizationError::Build)?;
        *built = Some((digest_of(&objects), revision.clone()));

        progress
            .reconciling(&format!("Applying revision {revision}"))
            .await;
        let applier = Applier::new(client, self.apply_options(object)?);
        let change_set = applier
            .apply_all_staged(objects.clone())
            .await
            .map_err(|error| KustomizationError::Apply(Box::new(error)))?;
        let mut inventory = change_set.to_inventory();
        let old_inventory = progress.status().inventory.clone().unwrap_or_default();
        let mut events = change_set_lines(&change_set);
        let pruned = if object.spec.prune {
            let report = applier
                .prune(&old_inventory, &inventory)
                .await
                .map_err(|e| KustomizationError::Prune(e.to_string()))?;
            // Objects that could not be deleted stay in the inventory, so the next run retries.
            capstan_apply::inventory::merge_objects(&mut inventory, &report.failed_objects());
            events.extend(change_set_lines(&report.change_set));
            if !report.is_success() {
                progress.status_mut().inventory = Some(inventory);
                return Err(KustomizationError::Prune(report.failure_message()));
            }
            report.change_set
        } else {
            ChangeSet::default()
        };
        progress.status_mut().inventory = Some(inventory.clone());

        let health_targets = health_targets(object, &inventory)?;
        if health_targets.is_empty() {
            progress.clear(condition::HEALTHY);
        } else {
            progress
                .reconciling(&format!(
                    "Running health checks for revision {revision} with a timeout of {}",
                    capstan_api::duration::format_duration(timeout)
                ))
                .await;
            let started = Instant::now();
            let cancel = self.register_health_check(object, &revision);
            let options = WaitOptions {
                timeout,
                fail_fast: !self.settings.gates.disable_fail_fast,
                ..WaitOptions::default()
            };
            let waited = applier
                .wait_for_set(&health_targets, &checks, &options, &cancel)
                .await;
            self.unregister_health_check(object);
            match waited {
                Ok(()) => progress.mark(
                    condition::HEALTHY,
                    true,
                    reason::SUCCEEDED,
                    &format!("Health check passed in {}", seconds(started.elapsed())),
                ),
                Err(error) => {
                    let canceled = cancel.is_cancelled();
                    let failure = if canceled {
                        KustomizationError::HealthCanceled
                    } else {
                        KustomizationError::Health {
                            elapsed: seconds(started.elapsed()),
                            source: error,
                        }
                    };
                    let message = capstan_runtime::reconcile::error_chain(&failure);
                    progress.mark(
                        condition::HEALTHY,
                        false,
                        capstan_runtime::reconcile::ReconcileError::reason(&failure),
                        &message,
                    );
                    return Err(failure);
                }
            }
        }

        let status = progress.status_mut();
        status.last_applied_revision = Some(revision.clone());
        status.last_applied_origin_revision = artifact.origin_revision().map(str::to_string);
        let message = format!("Applied revision: {revision}");
        let mut applied = Applied::new(reason::RECONCILIATION_SUCCEEDED, message);
        if change_set.has_changes() || pruned.has_changes() {
            let event = ObjectEvent::normal(reason::RECONCILIATION_SUCCEEDED, events.join("\n"))
                .with_metadata("kustomize.toolkit.fluxcd.io/revision", revision);
            applied = applied.with_event(event);
        }
        Ok(applied)
    }

    /// The SOPS keys of `spec.decryption` (its `secretRef`, else `--sops-age-secret`), or `None`
    /// when the Kustomization has no decryption configured.
    async fn keyring(
        &self,
        object: &Kustomization,
    ) -> Result<Option<capstan_ksbuild::Keyring>, KustomizationError> {
        let Some(decryption) = &object.spec.decryption else {
            return Ok(None);
        };
        let own = object.namespace().unwrap_or_default();
        let reference = match (&decryption.secret_ref, &self.settings.sops_age_secret) {
            (Some(secret), _) => Some((own, secret.name.clone())),
            (None, Some((namespace, name))) => Some((namespace.clone(), name.clone())),
            (None, None) => None,
        };
        let Some((namespace, name)) = reference else {
            return Ok(Some(capstan_ksbuild::Keyring::new()));
        };
        let api: kube::Api<k8s_openapi::api::core::v1::Secret> =
            kube::Api::namespaced(self.client.clone(), &namespace);
        let failed = |detail: String| KustomizationError::DecryptionSecret {
            namespace: namespace.clone(),
            name: name.clone(),
            detail,
        };
        let secret = api
            .get_opt(&name)
            .await
            .map_err(|e| failed(e.to_string()))?
            .ok_or_else(|| failed("not found".into()))?;
        let data = secret.data.unwrap_or_default();
        let entries = data.iter().map(|(k, v)| (k.as_str(), v.0.as_slice()));
        capstan_ksbuild::keyring_from_secret(entries)
            .map(Some)
            .map_err(KustomizationError::Build)
    }

    fn register_health_check(&self, object: &Kustomization, revision: &str) -> CancellationToken {
        let token = CancellationToken::new();
        if self.settings.gates.cancel_health_check_on_new_revision {
            let key = (object.namespace().unwrap_or_default(), object.name_any());
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            in_flight.insert(
                key,
                (SourceKey::of(object), revision.to_string(), token.clone()),
            );
        }
        token
    }

    fn unregister_health_check(&self, object: &Kustomization) {
        let key = (object.namespace().unwrap_or_default(), object.name_any());
        self.in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&key);
    }
}

/// What to health-check: every applied object with `wait`, else `healthChecks`.
fn health_targets(
    object: &Kustomization,
    inventory: &ResourceInventory,
) -> Result<Vec<ObjMetadata>, KustomizationError> {
    if object.waits() {
        return capstan_apply::inventory::objects(inventory)
            .map_err(|e| KustomizationError::InvalidSpec(e.to_string()));
    }
    let own_namespace = object.namespace().unwrap_or_default();
    object
        .spec
        .health_checks
        .iter()
        .flatten()
        .map(|check| {
            let (group, version) = check
                .api_version
                .as_deref()
                .unwrap_or("v1")
                .rsplit_once('/')
                .map_or(
                    ("", check.api_version.as_deref().unwrap_or("v1")),
                    |(g, v)| (g, v),
                );
            Ok(ObjMetadata::new(
                group,
                version,
                &check.kind,
                check.namespace.as_deref().unwrap_or(&own_namespace),
                &check.name,
            ))
        })
        .collect()
}

/// Flux's change-set lines: `Deployment/apps/web configured`.
fn change_set_lines(change_set: &ChangeSet) -> Vec<String> {
    change_set
        .changes()
        .entries
        .iter()
        .map(|e| format!("{} {}", e.object, e.action.as_str()))
        .collect()
}

fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

/// sha256 of the built manifests, as Flux records in `status.history`.
fn digest_of(objects: &[Value]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for object in objects {
        hasher.update(serde_json::to_vec(object).unwrap_or_default());
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

/// Keeps `status.history` (at most 5 snapshots, newest first) as Flux: one entry per distinct
/// build digest with counts and the last outcome.
fn record_history(
    status: &mut KustomizationStatus,
    digest: String,
    revision: String,
    succeeded: bool,
    elapsed: Duration,
) {
    let now = Time(Timestamp::now());
    let outcome = if succeeded {
        reason::RECONCILIATION_SUCCEEDED
    } else {
        reason::RECONCILIATION_FAILED
    };
    let history = status.history.get_or_insert_with(Vec::new);
    if let Some(position) = history.iter().position(|h| h.digest == digest) {
        let mut entry = history.remove(position);
        entry.last_reconciled = now;
        entry.last_reconciled_duration = format!("{:.3}s", elapsed.as_secs_f64());
        entry.last_reconciled_status = outcome.to_string();
        entry.total_reconciliations += 1;
        history.insert(0, entry);
    } else {
        history.insert(
            0,
            ReconcileSnapshot {
                digest,
                first_reconciled: now.clone(),
                last_reconciled: now,
                last_reconciled_duration: format!("{:.3}s", elapsed.as_secs_f64()),
                last_reconciled_status: outcome.to_string(),
                total_reconciliations: 1,
                metadata: Some([("revision".to_string(), revision)].into()),
            },
        );
    }
    history.truncate(5);
}
