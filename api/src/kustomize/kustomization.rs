//! `Kustomization` (`kustomize.toolkit.fluxcd.io/v1`): build a path of a
//! source artifact with kustomize and keep the cluster equal to the result.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::{DurationError, parse_duration};
use crate::meta::reference::non_empty;
use crate::meta::{
    CommonMetadata, CustomHealthCheck, DependencyReference, IgnoreRule, Image, KubeConfigReference,
    LocalObjectReference, NamespacedObjectKindReference, Patch, ReconcileSnapshot,
    ResourceInventory, ValuesKind,
};
use crate::object::{impl_flux_object, impl_object_with_conditions};
use crate::validation::{ValidationError, ensure_duration};

/// Desired state of a Kustomization.
// Printer columns legitimately repeat `type_ = "string"`.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "kustomize.toolkit.fluxcd.io",
    version = "v1",
    kind = "Kustomization",
    namespaced,
    status = "KustomizationStatus",
    shortname = "ks",
    category = "all",
    category = "fluxcd",
    category = "fluxcd-appliers",
    annotation("kustomize.toolkit.fluxcd.io/substitute", "disabled"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Status",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].message"
    ),
    derive = "PartialEq",
    doc = "Manifests built with kustomize from a source artifact and applied to the cluster."
)]
#[serde(rename_all = "camelCase")]
pub struct KustomizationSpec {
    /// Labels and annotations set on every applied object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_metadata: Option<CommonMetadata>,
    /// Kustomizations that must be ready first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<DependencyReference>>,
    /// How to decrypt SOPS-encrypted manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decryption: Option<Decryption>,
    /// How often to reconcile (Go duration).
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub interval: String,
    /// Delay before retrying a failure; the interval when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub retry_interval: Option<String>,
    /// Kubeconfig of a remote cluster to apply to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_config: Option<KubeConfigReference>,
    /// Directory in the artifact holding `kustomization.yaml` or plain
    /// manifests; the artifact root when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Variable substitution applied after the build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_build: Option<PostBuild>,
    /// Delete objects that left the source (garbage collection).
    pub prune: bool,
    /// What deleting the Kustomization does to its objects; `MirrorPrune`
    /// (follow `prune`) when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<DeletionPolicy>,
    /// Objects whose health gates readiness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_checks: Option<Vec<NamespacedObjectKindReference>>,
    /// Prefix added to every object name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub name_prefix: Option<String>,
    /// Suffix added to every object name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub name_suffix: Option<String>,
    /// Strategic-merge or JSON 6902 patches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patches: Option<Vec<Patch>>,
    /// Image name, tag and digest rewrites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<Image>>,
    /// ServiceAccount to impersonate when applying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// Source whose artifact holds the manifests.
    pub source_ref: CrossNamespaceSourceReference,
    /// Stop reconciling this object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// Namespace set on every namespaced object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub target_namespace: Option<String>,
    /// Timeout of apply and health checks; interval minus 30s (at least 30s)
    /// when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub timeout: Option<String>,
    /// Recreate objects whose immutable fields changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub force: Option<bool>,
    /// Health-check every applied object (overrides `healthChecks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<bool>,
    /// Kustomize components to include, relative to `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<String>>,
    /// Drop components that are missing instead of failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_missing_components: Option<bool>,
    /// CEL health rules for custom resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_exprs: Option<Vec<CustomHealthCheck>>,
    /// Kustomize build metadata options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_metadata: Option<Vec<BuildMetadata>>,
    /// JSON pointers left out of drift detection and apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore: Option<Vec<IgnoreRule>>,
}

/// Source kinds a Kustomization can build from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum KustomizationSourceKind {
    /// An OCI artifact.
    #[serde(rename = "OCIRepository")]
    OCIRepository,
    /// A Git repository.
    GitRepository,
    /// An object storage bucket.
    Bucket,
    /// An artifact produced by a third-party controller.
    ExternalArtifact,
}

impl KustomizationSourceKind {
    /// The kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OCIRepository => "OCIRepository",
            Self::GitRepository => "GitRepository",
            Self::Bucket => "Bucket",
            Self::ExternalArtifact => "ExternalArtifact",
        }
    }
}

/// A source in any namespace (unless cross-namespace references are off).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CrossNamespaceSourceReference {
    /// API version of the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Kind of the source.
    pub kind: KustomizationSourceKind,
    /// Name of the source.
    pub name: String,
    /// Namespace of the source; the Kustomization's when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl CrossNamespaceSourceReference {
    /// The namespace to look in: the reference's own, or `default`.
    pub fn namespace_or<'a>(&'a self, default: &'a str) -> &'a str {
        non_empty(self.namespace.as_deref()).unwrap_or(default)
    }
}

/// What happens to applied objects when the Kustomization is deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum DeletionPolicy {
    /// Delete them if `prune` is true, orphan them otherwise.
    #[default]
    MirrorPrune,
    /// Delete them.
    Delete,
    /// Delete them and wait until they are gone.
    WaitForTermination,
    /// Leave them.
    Orphan,
}

/// SOPS decryption settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Decryption {
    /// Decryption engine; only `sops`.
    pub provider: DecryptionProvider,
    /// ServiceAccount for cloud KMS workload identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// Secret with keys: `*.agekey`, `*.asc`, `sops.vault-token`, `sops.aws-kms`,
    /// `sops.azure-kv`, `sops.gcp-kms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
}

/// Decryption engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DecryptionProvider {
    /// Mozilla SOPS.
    Sops,
}

/// Post-build variable substitution.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostBuild {
    /// Variables by name; these win over `substituteFrom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitute: Option<BTreeMap<String, String>>,
    /// ConfigMaps and Secrets whose data are variables; later ones win.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitute_from: Option<Vec<SubstituteReference>>,
    /// When to substitute: only with variables defined (default) or always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitute_strategy: Option<SubstituteStrategy>,
}

/// When post-build substitution runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum SubstituteStrategy {
    /// Only when at least one variable is defined.
    #[default]
    WithVariables,
    /// Always, so `${var:=default}` works without variables.
    Always,
}

/// A ConfigMap or Secret whose data are substitution variables.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubstituteReference {
    /// `Secret` or `ConfigMap`.
    pub kind: ValuesKind,
    /// Name of the object, in the Kustomization's namespace.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Treat a missing object as empty instead of failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub optional: Option<bool>,
}

/// Kustomize build metadata options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum BuildMetadata {
    /// Annotate objects with the file they came from.
    OriginAnnotations,
    /// Annotate objects with the transformers that changed them.
    TransformerAnnotations,
}

/// Observed state of a Kustomization.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KustomizationStatus {
    /// Last `reconcile.fluxcd.io/requestedAt` value handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
    /// Generation of the last finished reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling, Stalled and Healthy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::meta::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// Source revision last applied successfully.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_applied_revision: Option<String>,
    /// Origin revision (artifact metadata) last applied successfully.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_applied_origin_revision: Option<String>,
    /// Source revision of the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_revision: Option<String>,
    /// Objects applied by the last successful reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<ResourceInventory>,
    /// The last distinct build results, newest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<ReconcileSnapshot>>,
}

impl Kustomization {
    /// Lower bound of the default timeout.
    pub const MIN_TIMEOUT: Duration = Duration::from_secs(30);

    /// `spec.interval` as a duration.
    pub fn interval(&self) -> Result<Duration, DurationError> {
        parse_duration(&self.spec.interval)
    }

    /// Delay before retrying a failure: `retryInterval`, else the interval.
    pub fn retry_interval(&self) -> Result<Duration, DurationError> {
        match self.spec.retry_interval.as_deref() {
            Some(text) => parse_duration(text),
            None => self.interval(),
        }
    }

    /// Apply and health-check timeout: `timeout`, else interval − 30s;
    /// never below 30s (Flux's `GetTimeout`).
    pub fn timeout(&self) -> Result<Duration, DurationError> {
        let wanted = match self.spec.timeout.as_deref() {
            Some(text) => parse_duration(text)?,
            None => self.interval()?.saturating_sub(Self::MIN_TIMEOUT),
        };
        Ok(wanted.max(Self::MIN_TIMEOUT))
    }

    /// The deletion policy, `MirrorPrune` when unset.
    pub fn deletion_policy(&self) -> DeletionPolicy {
        self.spec.deletion_policy.unwrap_or_default()
    }

    /// Whether deleting this Kustomization deletes its objects.
    pub fn deletes_objects_on_deletion(&self) -> bool {
        match self.deletion_policy() {
            DeletionPolicy::MirrorPrune => self.spec.prune,
            DeletionPolicy::Delete | DeletionPolicy::WaitForTermination => true,
            DeletionPolicy::Orphan => false,
        }
    }

    /// The source's namespace, defaulting to the Kustomization's.
    pub fn source_namespace(&self) -> &str {
        let own = self.metadata.namespace.as_deref().unwrap_or_default();
        self.spec.source_ref.namespace_or(own)
    }

    /// The build path, the artifact root (`""`) when unset.
    pub fn path(&self) -> &str {
        self.spec.path.as_deref().unwrap_or_default()
    }

    /// Whether every applied object is health-checked.
    pub fn waits(&self) -> bool {
        self.spec.wait.unwrap_or(false)
    }

    /// Whether objects are recreated on immutable-field changes.
    pub fn forces(&self) -> bool {
        self.spec.force.unwrap_or(false)
    }

    /// The substitution strategy, `WithVariables` when unset.
    pub fn substitute_strategy(&self) -> SubstituteStrategy {
        self.spec
            .post_build
            .as_ref()
            .and_then(|p| p.substitute_strategy)
            .unwrap_or_default()
    }

    /// The dependencies, with each namespace defaulted to this object's.
    pub fn dependencies(&self) -> Vec<(String, String)> {
        let own = self.metadata.namespace.as_deref().unwrap_or_default();
        self.spec
            .depends_on
            .iter()
            .flatten()
            .map(|d| (d.namespace_or(own).to_string(), d.name.clone()))
            .collect()
    }

    /// Checks the rules Flux enforces with CEL, and durations.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(kc) = &self.spec.kube_config {
            kc.validate("spec.kubeConfig")?;
        }
        ensure_duration(Some(&self.spec.interval), "spec.interval")?;
        ensure_duration(self.spec.retry_interval.as_deref(), "spec.retryInterval")?;
        ensure_duration(self.spec.timeout.as_deref(), "spec.timeout")
    }
}

impl_object_with_conditions!(KustomizationStatus);
impl_flux_object!(Kustomization, KustomizationStatus);

#[cfg(test)]
mod tests {
    use super::*;

    fn ks(spec: serde_json::Value) -> Kustomization {
        let mut base = serde_json::json!({
            "interval": "10m", "prune": true,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"}
        });
        if let (Some(b), Some(extra)) = (base.as_object_mut(), spec.as_object()) {
            b.extend(extra.clone());
        }
        serde_json::from_value(serde_json::json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": "flux-system"},
            "spec": base,
        }))
        .expect("valid Kustomization")
    }

    #[test]
    fn retry_interval_defaults_to_interval() {
        assert_eq!(
            ks(serde_json::json!({})).retry_interval(),
            Ok(Duration::from_secs(600))
        );
        assert_eq!(
            ks(serde_json::json!({"retryInterval": "2m"})).retry_interval(),
            Ok(Duration::from_secs(120))
        );
    }

    #[test]
    fn timeout_is_interval_minus_thirty_seconds_floored_at_thirty() {
        assert_eq!(
            ks(serde_json::json!({})).timeout(),
            Ok(Duration::from_secs(570))
        );
        assert_eq!(
            ks(serde_json::json!({"interval": "45s"})).timeout(),
            Ok(Duration::from_secs(30))
        );
        assert_eq!(
            ks(serde_json::json!({"timeout": "5s"})).timeout(),
            Ok(Duration::from_secs(30))
        );
        assert_eq!(
            ks(serde_json::json!({"timeout": "3m"})).timeout(),
            Ok(Duration::from_secs(180))
        );
    }

    #[test]
    fn deletion_policy_mirrors_prune_by_default() {
        let k = ks(serde_json::json!({}));
        assert_eq!(k.deletion_policy(), DeletionPolicy::MirrorPrune);
        assert!(k.deletes_objects_on_deletion());
        assert!(!ks(serde_json::json!({"prune": false})).deletes_objects_on_deletion());
        assert!(!ks(serde_json::json!({"deletionPolicy": "Orphan"})).deletes_objects_on_deletion());
    }

    #[test]
    fn source_and_dependency_namespaces_default_to_own() {
        let k = ks(serde_json::json!({"dependsOn": [{"name": "infra"},
            {"name": "db", "namespace": "data"}]}));
        assert_eq!(k.source_namespace(), "flux-system");
        assert_eq!(
            k.dependencies(),
            [
                ("flux-system".to_string(), "infra".to_string()),
                ("data".to_string(), "db".to_string())
            ]
        );
        assert_eq!(k.substitute_strategy(), SubstituteStrategy::WithVariables);
        assert_eq!(k.path(), "");
    }

    #[test]
    fn kube_config_needs_exactly_one_reference() {
        let bad = ks(serde_json::json!({"kubeConfig": {}}));
        assert_eq!(
            bad.validate().map_err(|e| e.field),
            Err("spec.kubeConfig".to_string())
        );
        let ok = ks(serde_json::json!({"kubeConfig": {"secretRef": {"name": "kc"}}}));
        assert_eq!(ok.validate(), Ok(()));
    }
}
