//! `HelmRelease` (`helm.toolkit.fluxcd.io/v2`): a Helm release kept equal to
//! a chart and its values.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::constants::annotation;
use crate::duration::{DurationError, parse_duration, parse_or};
use crate::meta::reference::non_empty;
use crate::meta::{
    CommonMetadata, CustomHealthCheck, DependencyReference, IgnoreRule, Image, KubeConfigReference,
    LocalObjectReference, Patch, ResourceInventory, ValuesReference,
};
use crate::object::{impl_flux_object, impl_object_with_conditions};
use crate::source::{ReconcileStrategy, VerificationProvider};
use crate::validation::{ValidationError, ensure, ensure_duration};

/// Desired state of a HelmRelease.
// Printer columns legitimately repeat `type_ = "string"`.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "helm.toolkit.fluxcd.io",
    version = "v2",
    kind = "HelmRelease",
    namespaced,
    status = "HelmReleaseStatus",
    shortname = "hr",
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
    doc = "A Helm release installed and upgraded from a chart artifact."
)]
#[serde(rename_all = "camelCase")]
pub struct HelmReleaseSpec {
    /// Template of the HelmChart the controller creates; exclusive with `chartRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<HelmChartTemplate>,
    /// Existing chart source; exclusive with `chart`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart_ref: Option<ChartSourceReference>,
    /// How often to reconcile (Go duration).
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub interval: String,
    /// Kubeconfig of a remote cluster to release to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_config: Option<KubeConfigReference>,
    /// Stop reconciling this object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// Helm release name; `[targetNamespace-]name` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 53))]
    pub release_name: Option<String>,
    /// Namespace the release is installed into; the HelmRelease's when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub target_namespace: Option<String>,
    /// Namespace of the Helm release storage; the HelmRelease's when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub storage_namespace: Option<String>,
    /// HelmReleases that must be ready first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<DependencyReference>>,
    /// Timeout of each Kubernetes operation of a Helm action; 5m when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub timeout: Option<String>,
    /// Release revisions kept by Helm; 5 when unset, 0 for unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::meta::schema::go_int)]
    pub max_history: Option<i64>,
    /// ServiceAccount to impersonate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub service_account_name: Option<String>,
    /// Reuse one Kubernetes client per reconciliation; true when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_client: Option<bool>,
    /// Drift detection between the release manifest and the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_detection: Option<DriftDetection>,
    /// Helm install settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<Install>,
    /// Helm upgrade settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<Upgrade>,
    /// Helm test settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<Test>,
    /// Helm rollback settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<Rollback>,
    /// Helm uninstall settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uninstall: Option<Uninstall>,
    /// ConfigMaps and Secrets holding values, merged in order before `values`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_from: Option<Vec<ValuesReference>>,
    /// Inline values, merged last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::meta::schema::free_form")]
    pub values: Option<serde_json::Value>,
    /// Kustomize post-renderers applied in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_renderers: Option<Vec<PostRenderer>>,
    /// Labels and annotations set on every rendered object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_metadata: Option<CommonMetadata>,
    /// Whether post-renderers see hooks: `combined` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_render_strategy: Option<PostRenderStrategy>,
    /// How to wait for resources: kstatus `poller` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_strategy: Option<WaitStrategy>,
    /// CEL health rules for custom resources (poller strategy only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_exprs: Option<Vec<CustomHealthCheck>>,
}

/// Template of the HelmChart created for a HelmRelease.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmChartTemplate {
    /// Labels and annotations of the HelmChart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<HelmChartTemplateObjectMeta>,
    /// Spec of the HelmChart.
    pub spec: HelmChartTemplateSpec,
}

/// Labels and annotations of a templated HelmChart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmChartTemplateObjectMeta {
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// Spec of a templated HelmChart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmChartTemplateSpec {
    /// Chart name or path in the source.
    #[schemars(length(min = 1, max = 2048))]
    pub chart: String,
    /// SemVer range of the chart version; `*` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "*"))]
    pub version: Option<String>,
    /// Source of the chart.
    pub source_ref: ChartTemplateSourceReference,
    /// How often to check the source; the release interval when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub interval: Option<String>,
    /// What makes a new chart artifact; `ChartVersion` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "ChartVersion"))]
    pub reconcile_strategy: Option<ReconcileStrategy>,
    /// Values files merged in order into the chart's values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_files: Option<Vec<String>>,
    /// Skip missing values files instead of failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_missing_values_files: Option<bool>,
    /// Signature verification of an OCI chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<HelmChartTemplateVerification>,
}

/// Signature verification of a templated chart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmChartTemplateVerification {
    /// Signing technology; `cosign` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(required, extend("default" = "cosign"))]
    pub provider: Option<VerificationProvider>,
    /// Secret with the trusted public keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
}

/// Kinds a templated HelmChart can take its chart from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ChartTemplateSourceKind {
    /// A chart repository.
    HelmRepository,
    /// A Git repository.
    GitRepository,
    /// An object storage bucket.
    Bucket,
}

/// The source of a templated HelmChart, in any namespace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChartTemplateSourceReference {
    /// API version of the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Kind of the source.
    pub kind: ChartTemplateSourceKind,
    /// Name of the source.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Namespace of the source; the HelmRelease's when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub namespace: Option<String>,
}

/// Kinds a HelmRelease can reference a chart artifact from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ChartRefKind {
    /// An OCI artifact holding a chart.
    #[serde(rename = "OCIRepository")]
    OCIRepository,
    /// A HelmChart.
    HelmChart,
    /// An artifact produced by a third-party controller.
    ExternalArtifact,
}

/// A chart artifact source in any namespace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChartSourceReference {
    /// API version of the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Kind of the source.
    pub kind: ChartRefKind,
    /// Name of the source.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Namespace of the source; the HelmRelease's when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub namespace: Option<String>,
}

/// Drift detection settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftDetection {
    /// `enabled` (correct), `warn` (report) or `disabled` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<DriftDetectionMode>,
    /// JSON pointers to ignore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore: Option<Vec<IgnoreRule>>,
}

/// How drift is handled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DriftDetectionMode {
    /// Detect drift and correct it with an upgrade.
    Enabled,
    /// Detect drift and only report it.
    Warn,
    /// Do not look for drift.
    #[default]
    Disabled,
}

/// What to do when an install or upgrade fails.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Strategy {
    /// Remediate (default behaviour) or retry without remediation.
    pub name: StrategyName,
    /// Delay between retries (RetryOnFailure only); 5m when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub retry_interval: Option<String>,
}

/// Failure strategy name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum StrategyName {
    /// Remediate per `remediation`.
    #[default]
    RemediateOnFailure,
    /// Retry after `retryInterval` without remediating.
    RetryOnFailure,
}

/// CRD handling on install and upgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum CRDsPolicy {
    /// Neither create nor replace CRDs.
    Skip,
    /// Create missing CRDs, leave existing ones.
    Create,
    /// Create missing CRDs and replace existing ones.
    CreateReplace,
}

/// Helm install settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Install {
    /// Timeout of the install; the release timeout when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub timeout: Option<String>,
    /// Failure strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Remediation of failed installs (uninstall between retries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<InstallRemediation>,
    /// Do not adopt existing objects not owned by the release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_take_ownership: Option<bool>,
    /// Do not wait for resources to be ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_wait: Option<bool>,
    /// Do not wait for Jobs to complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_wait_for_jobs: Option<bool>,
    /// Do not run hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_hooks: Option<bool>,
    /// Do not validate rendered objects against the OpenAPI schema.
    #[serde(
        default,
        rename = "disableOpenAPIValidation",
        skip_serializing_if = "Option::is_none"
    )]
    pub disable_openapi_validation: Option<bool>,
    /// Do not validate values against the chart's JSON schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_schema_validation: Option<bool>,
    /// Reuse the name of a deleted release kept in history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace: Option<bool>,
    /// Deprecated: use `crds: Skip`.
    #[serde(default, rename = "skipCRDs", skip_serializing_if = "Option::is_none")]
    pub skip_crds: Option<bool>,
    /// CRD policy; `Create` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crds: Option<CRDsPolicy>,
    /// Create the target namespace if missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_namespace: Option<bool>,
    /// Install with server-side apply; true when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_side_apply: Option<bool>,
}

/// Remediation of failed installs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstallRemediation {
    /// Retries before giving up; 0 when unset, negative for unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::meta::schema::go_int)]
    pub retries: Option<i64>,
    /// Do not remediate failed tests; `test.ignoreFailures` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_test_failures: Option<bool>,
    /// Remediate the last failure too; false when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediate_last_failure: Option<bool>,
}

/// Helm upgrade settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Upgrade {
    /// Timeout of the upgrade; the release timeout when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub timeout: Option<String>,
    /// Failure strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Remediation of failed upgrades.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<UpgradeRemediation>,
    /// Do not adopt existing objects not owned by the release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_take_ownership: Option<bool>,
    /// Do not wait for resources to be ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_wait: Option<bool>,
    /// Do not wait for Jobs to complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_wait_for_jobs: Option<bool>,
    /// Do not run hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_hooks: Option<bool>,
    /// Do not validate rendered objects against the OpenAPI schema.
    #[serde(
        default,
        rename = "disableOpenAPIValidation",
        skip_serializing_if = "Option::is_none"
    )]
    pub disable_openapi_validation: Option<bool>,
    /// Do not validate values against the chart's JSON schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_schema_validation: Option<bool>,
    /// Replace resources instead of patching them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
    /// Reuse the last release's values, merged with the new ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preserve_values: Option<bool>,
    /// Delete new resources of a failed upgrade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_on_fail: Option<bool>,
    /// CRD policy; `Skip` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crds: Option<CRDsPolicy>,
    /// Server-side apply: `enabled`, `disabled` or `auto` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_side_apply: Option<ServerSideApplyMode>,
    /// What a changed chart name does: `Reinstall` (default) or `InPlaceUpdate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart_name_change_strategy: Option<ChartNameChangeStrategy>,
}

/// Remediation of failed upgrades.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeRemediation {
    /// Retries before giving up; 0 when unset, negative for unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::meta::schema::go_int)]
    pub retries: Option<i64>,
    /// Do not remediate failed tests; `test.ignoreFailures` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_test_failures: Option<bool>,
    /// Remediate the last failure too; true when retries > 0, when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediate_last_failure: Option<bool>,
    /// `rollback` (default) or `uninstall`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<RemediationStrategy>,
}

/// How a failed upgrade is remediated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RemediationStrategy {
    /// Roll back to the previous release.
    #[default]
    Rollback,
    /// Uninstall the release.
    Uninstall,
}

/// Server-side apply mode of upgrades and rollbacks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ServerSideApplyMode {
    /// Always server-side apply.
    Enabled,
    /// Never server-side apply.
    Disabled,
    /// Follow what the release was installed with.
    #[default]
    Auto,
}

/// What a changed chart name does to the release.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ChartNameChangeStrategy {
    /// Upgrade the existing release in place.
    InPlaceUpdate,
    /// Uninstall and install again.
    #[default]
    Reinstall,
}

/// Helm test settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Test {
    /// Run tests after install and upgrade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    /// Timeout of the tests; the release timeout when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub timeout: Option<String>,
    /// Do not remediate failed tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_failures: Option<bool>,
    /// Tests to run or exclude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<TestFilter>>,
}

/// Selects one test by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestFilter {
    /// Name of the test.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Exclude the test instead of selecting it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude: Option<bool>,
}

/// Helm rollback settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rollback {
    /// Timeout of the rollback; the release timeout when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub timeout: Option<String>,
    /// Do not wait for resources to be ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_wait: Option<bool>,
    /// Do not wait for Jobs to complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_wait_for_jobs: Option<bool>,
    /// Do not run hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_hooks: Option<bool>,
    /// Deprecated no-op: restart pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recreate: Option<bool>,
    /// Replace resources instead of patching them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
    /// Delete new resources of a failed rollback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_on_fail: Option<bool>,
    /// Server-side apply: `enabled`, `disabled` or `auto` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_side_apply: Option<ServerSideApplyMode>,
}

/// Helm uninstall settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Uninstall {
    /// Timeout of the uninstall; the release timeout when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub timeout: Option<String>,
    /// Do not run hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_hooks: Option<bool>,
    /// Keep the release history (mark it uninstalled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_history: Option<bool>,
    /// Do not wait for resources to be deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_wait: Option<bool>,
    /// Deletion propagation; `background` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "background"))]
    pub deletion_propagation: Option<DeletionPropagation>,
}

/// Kubernetes deletion propagation policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeletionPropagation {
    /// Delete dependents in the background.
    #[default]
    Background,
    /// Delete dependents first.
    Foreground,
    /// Leave dependents.
    Orphan,
}

/// A post-renderer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostRenderer {
    /// Kustomize patches and image rewrites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kustomize: Option<Kustomize>,
}

/// Kustomize post-renderer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Kustomize {
    /// Strategic-merge or JSON 6902 patches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patches: Option<Vec<Patch>>,
    /// Image rewrites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<Image>>,
}

/// Which rendered objects post-renderers see.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PostRenderStrategy {
    /// Manifests only, hooks untouched.
    Nohooks,
    /// Manifests and hooks together.
    #[default]
    Combined,
    /// Manifests and hooks in separate passes.
    Separate,
}

/// How to wait for released resources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaitStrategy {
    /// `poller` (kstatus) or `legacy` (Helm's own).
    pub name: WaitStrategyName,
}

/// Wait implementation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WaitStrategyName {
    /// kstatus poller.
    #[default]
    Poller,
    /// Helm's legacy waiter.
    Legacy,
}

/// The last release action attempted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseAction {
    /// `helm install`.
    Install,
    /// `helm upgrade`.
    Upgrade,
}

/// Observed state of a HelmRelease.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmReleaseStatus {
    /// Generation of the last finished reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Digest of the post-renderers last applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_post_renderers_digest: Option<String>,
    /// Digest of the common metadata last applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_common_metadata_digest: Option<String>,
    /// Generation of the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_generation: Option<i64>,
    /// Ready, Reconciling, Stalled, Released, TestSuccess, Remediated, Drifted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::meta::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// `<namespace>/<name>` of the HelmChart created for the release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm_chart: Option<String>,
    /// Namespace of the current release storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub storage_namespace: Option<String>,
    /// Releases performed, newest first, up to the last successful one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<Snapshot>>,
    /// Objects of the current release (CRDs included, hooks excluded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<ResourceInventory>,
    /// Last action attempted, deciding which remediation applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_release_action: Option<ReleaseAction>,
    /// Duration of the last action attempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_release_action_duration: Option<String>,
    /// Failures against the current desired state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures: Option<i64>,
    /// Install failures against the current desired state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_failures: Option<i64>,
    /// Upgrade failures against the current desired state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_failures: Option<i64>,
    /// Chart revision of the last attempt (`<version>+<digest12>` for OCI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_revision: Option<String>,
    /// OCI digest of the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_revision_digest: Option<String>,
    /// Deprecated: SHA1 of the values of the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_values_checksum: Option<String>,
    /// Deprecated: revision of the last successful release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::meta::schema::go_int)]
    pub last_release_revision: Option<i64>,
    /// Digest of the values of the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_config_digest: Option<String>,
    /// Last `reconcile.fluxcd.io/forceAt` value handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_force_at: Option<String>,
    /// Last `reconcile.fluxcd.io/resetAt` value handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reset_at: Option<String>,
    /// Last `reconcile.fluxcd.io/requestedAt` value handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
}

/// A point-in-time record of one Helm release revision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Version of the digest calculation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Digest of the stored release, `<algo>:<hex>`.
    pub digest: String,
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Release revision.
    #[schemars(transform = crate::meta::schema::go_int)]
    pub version: i64,
    /// Helm release status (`deployed`, `superseded`, `failed`, ...).
    pub status: String,
    /// Action that produced the revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Chart name.
    pub chart_name: String,
    /// Chart version.
    pub chart_version: String,
    /// Chart appVersion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    /// Digest of the release values, `<algo>:<hex>`.
    pub config_digest: String,
    /// First deployment time.
    pub first_deployed: Time,
    /// Last deployment time.
    pub last_deployed: Time,
    /// Deletion time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Time>,
    /// Test hooks observed, by name; present (maybe empty) once tested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_hooks: Option<BTreeMap<String, TestHookStatus>>,
    /// Digest of the OCI chart artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci_digest: Option<String>,
}

impl Snapshot {
    /// `<namespace>/<name>.v<version>`, as Flux prints releases.
    pub fn full_release_name(&self) -> String {
        format!("{}/{}.v{}", self.namespace, self.name, self.version)
    }

    /// `<chart>@<version>`.
    pub fn versioned_chart_name(&self) -> String {
        format!("{}@{}", self.chart_name, self.chart_version)
    }

    /// Whether any observed test hook is in `phase` (e.g. `Failed`).
    pub fn has_test_in_phase(&self, phase: &str) -> bool {
        self.test_hooks
            .iter()
            .flat_map(BTreeMap::values)
            .any(|h| h.phase.as_deref() == Some(phase))
    }
}

/// Observed run of one test hook.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestHookStatus {
    /// When the hook last started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_started: Option<Time>,
    /// When the hook last completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_completed: Option<Time>,
    /// Phase the hook was observed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
}

impl HelmRelease {
    /// Timeout used when `spec.timeout` is unset.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
    /// Revisions kept when `spec.maxHistory` is unset.
    pub const DEFAULT_MAX_HISTORY: i64 = 5;
    /// Retry interval of the RetryOnFailure strategy when unset.
    pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(300);
    /// Longest Helm release name.
    pub const MAX_RELEASE_NAME_LENGTH: usize = 53;

    /// `spec.interval` as a duration.
    pub fn interval(&self) -> Result<Duration, DurationError> {
        parse_duration(&self.spec.interval)
    }

    /// Per-operation timeout of Helm actions, 5m when unset.
    pub fn timeout(&self) -> Result<Duration, DurationError> {
        parse_or(self.spec.timeout.as_deref(), Self::DEFAULT_TIMEOUT)
    }

    /// Revisions Helm keeps, 5 when unset (0 means unlimited).
    pub fn max_history(&self) -> i64 {
        self.spec.max_history.unwrap_or(Self::DEFAULT_MAX_HISTORY)
    }

    /// Whether one Kubernetes client is reused per reconciliation (default true).
    pub fn uses_persistent_client(&self) -> bool {
        self.spec.persistent_client.unwrap_or(true)
    }

    /// The Helm release name: `spec.releaseName`, else
    /// `[targetNamespace-]name`; longer than 53 characters it becomes the
    /// first 40 characters, `-`, and 12 hex digits of its SHA-256 (as Flux).
    pub fn release_name(&self) -> String {
        if let Some(name) = non_empty(self.spec.release_name.as_deref()) {
            return name.to_string();
        }
        let name = self.metadata.name.as_deref().unwrap_or_default();
        let full = match non_empty(self.spec.target_namespace.as_deref()) {
            Some(ns) => format!("{ns}-{name}"),
            None => name.to_string(),
        };
        shorten_release_name(&full)
    }

    /// Namespace the release is installed into.
    pub fn release_namespace(&self) -> &str {
        non_empty(self.spec.target_namespace.as_deref())
            .unwrap_or_else(|| self.metadata.namespace.as_deref().unwrap_or_default())
    }

    /// Namespace of the Helm release storage.
    pub fn storage_namespace(&self) -> &str {
        non_empty(self.spec.storage_namespace.as_deref())
            .unwrap_or_else(|| self.metadata.namespace.as_deref().unwrap_or_default())
    }

    /// Name of the HelmChart created for `spec.chart`: `<namespace>-<name>`.
    pub fn helm_chart_name(&self) -> String {
        format!(
            "{}-{}",
            self.metadata.namespace.as_deref().unwrap_or_default(),
            self.metadata.name.as_deref().unwrap_or_default()
        )
    }

    /// Namespace of the templated chart's source, defaulting to this object's.
    pub fn chart_source_namespace(&self) -> Option<&str> {
        let chart = self.spec.chart.as_ref()?;
        Some(
            non_empty(chart.spec.source_ref.namespace.as_deref())
                .unwrap_or_else(|| self.metadata.namespace.as_deref().unwrap_or_default()),
        )
    }

    /// Interval of the templated HelmChart, the release interval when unset.
    pub fn chart_interval(&self) -> Result<Duration, DurationError> {
        match self
            .spec
            .chart
            .as_ref()
            .and_then(|c| c.spec.interval.as_deref())
        {
            Some(text) => parse_duration(text),
            None => self.interval(),
        }
    }

    /// Namespace of `spec.chartRef`, defaulting to this object's.
    pub fn chart_ref_namespace(&self) -> Option<&str> {
        let r = self.spec.chart_ref.as_ref()?;
        Some(
            non_empty(r.namespace.as_deref())
                .unwrap_or_else(|| self.metadata.namespace.as_deref().unwrap_or_default()),
        )
    }

    /// The drift detection mode, `disabled` when unset.
    pub fn drift_detection_mode(&self) -> DriftDetectionMode {
        self.spec
            .drift_detection
            .as_ref()
            .and_then(|d| d.mode)
            .unwrap_or_default()
    }

    /// Install CRD policy: `crds`, `Skip` for the deprecated `skipCRDs`,
    /// else `Create`.
    pub fn install_crds_policy(&self) -> CRDsPolicy {
        let install = self.spec.install.as_ref();
        match install.and_then(|i| i.crds) {
            Some(policy) => policy,
            None if install.and_then(|i| i.skip_crds).unwrap_or(false) => CRDsPolicy::Skip,
            None => CRDsPolicy::Create,
        }
    }

    /// Upgrade CRD policy, `Skip` when unset.
    pub fn upgrade_crds_policy(&self) -> CRDsPolicy {
        self.spec
            .upgrade
            .as_ref()
            .and_then(|u| u.crds)
            .unwrap_or(CRDsPolicy::Skip)
    }

    /// Install failure strategy and its retry interval (5m when unset).
    pub fn install_strategy(&self) -> Result<(StrategyName, Duration), DurationError> {
        strategy_of(self.spec.install.as_ref().and_then(|i| i.strategy.as_ref()))
    }

    /// Upgrade failure strategy and its retry interval (5m when unset).
    pub fn upgrade_strategy(&self) -> Result<(StrategyName, Duration), DurationError> {
        strategy_of(self.spec.upgrade.as_ref().and_then(|u| u.strategy.as_ref()))
    }

    /// Install retries: 0 when unset, negative for unlimited.
    pub fn install_retries(&self) -> i64 {
        self.install_remediation()
            .and_then(|r| r.retries)
            .unwrap_or(0)
    }

    /// Upgrade retries: 0 when unset, negative for unlimited.
    pub fn upgrade_retries(&self) -> i64 {
        self.upgrade_remediation()
            .and_then(|r| r.retries)
            .unwrap_or(0)
    }

    /// Whether the last failed install is remediated too (default false).
    pub fn install_remediates_last_failure(&self) -> bool {
        self.install_remediation()
            .and_then(|r| r.remediate_last_failure)
            .unwrap_or(false)
    }

    /// Whether the last failed upgrade is remediated too (default: retries > 0).
    pub fn upgrade_remediates_last_failure(&self) -> bool {
        self.upgrade_remediation()
            .and_then(|r| r.remediate_last_failure)
            .unwrap_or(self.upgrade_retries() > 0)
    }

    /// How failed upgrades are remediated, `rollback` when unset.
    pub fn upgrade_remediation_strategy(&self) -> RemediationStrategy {
        self.upgrade_remediation()
            .and_then(|r| r.strategy)
            .unwrap_or_default()
    }

    /// Whether install test failures are ignored (default `test.ignoreFailures`).
    pub fn install_ignores_test_failures(&self) -> bool {
        self.install_remediation()
            .and_then(|r| r.ignore_test_failures)
            .unwrap_or_else(|| self.test_ignores_failures())
    }

    /// Whether upgrade test failures are ignored (default `test.ignoreFailures`).
    pub fn upgrade_ignores_test_failures(&self) -> bool {
        self.upgrade_remediation()
            .and_then(|r| r.ignore_test_failures)
            .unwrap_or_else(|| self.test_ignores_failures())
    }

    /// Whether tests run after install and upgrade.
    pub fn tests_enabled(&self) -> bool {
        self.spec
            .test
            .as_ref()
            .and_then(|t| t.enable)
            .unwrap_or(false)
    }

    /// Deletion propagation of uninstalls, `background` when unset.
    pub fn uninstall_deletion_propagation(&self) -> DeletionPropagation {
        self.spec
            .uninstall
            .as_ref()
            .and_then(|u| u.deletion_propagation)
            .unwrap_or_default()
    }

    /// The post-render strategy, `combined` when unset.
    pub fn post_render_strategy(&self) -> PostRenderStrategy {
        self.spec.post_render_strategy.unwrap_or_default()
    }

    /// The wait strategy, `poller` when unset.
    pub fn wait_strategy(&self) -> WaitStrategyName {
        self.spec
            .wait_strategy
            .as_ref()
            .map_or(WaitStrategyName::Poller, |w| w.name)
    }

    /// Consumes a `reconcile.fluxcd.io/forceAt` request: true when it equals
    /// `requestedAt` and neither was handled yet. Records the token in
    /// `status.lastHandledForceAt` either way (Flux's `ShouldHandleForceRequest`).
    pub fn take_force_request(&mut self) -> bool {
        self.take_request(annotation::FORCE_REQUESTED_AT, |s| {
            &mut s.last_handled_force_at
        })
    }

    /// Consumes a `reconcile.fluxcd.io/resetAt` request, as
    /// [`Self::take_force_request`] does for `forceAt`.
    pub fn take_reset_request(&mut self) -> bool {
        self.take_request(annotation::RESET_REQUESTED_AT, |s| {
            &mut s.last_handled_reset_at
        })
    }

    fn take_request(
        &mut self,
        key: &str,
        handled: fn(&mut HelmReleaseStatus) -> &mut Option<String>,
    ) -> bool {
        let annotations = self.metadata.annotations.clone().unwrap_or_default();
        let Some(request) = annotations.get(key) else {
            return false;
        };
        let status = self.status.get_or_insert_with(Default::default);
        let previous = handled(status).replace(request.clone());
        let reconcile = annotations.get(annotation::RECONCILE_REQUESTED_AT);
        reconcile == Some(request)
            && status.last_handled_reconcile_at.as_ref() != Some(request)
            && previous.as_ref() != Some(request)
    }

    fn install_remediation(&self) -> Option<&InstallRemediation> {
        self.spec.install.as_ref()?.remediation.as_ref()
    }

    fn upgrade_remediation(&self) -> Option<&UpgradeRemediation> {
        self.spec.upgrade.as_ref()?.remediation.as_ref()
    }

    fn test_ignores_failures(&self) -> bool {
        self.spec
            .test
            .as_ref()
            .and_then(|t| t.ignore_failures)
            .unwrap_or(false)
    }

    /// Checks the rules Flux enforces with CEL, and durations.
    pub fn validate(&self) -> Result<(), ValidationError> {
        ensure(
            self.spec.chart.is_some() != self.spec.chart_ref.is_some(),
            "spec.chart",
            "exactly one of spec.chart or spec.chartRef must be set",
        )?;
        for (field, strategy) in [
            (
                "spec.install.strategy.retryInterval",
                self.spec.install.as_ref().and_then(|i| i.strategy.as_ref()),
            ),
            (
                "spec.upgrade.strategy.retryInterval",
                self.spec.upgrade.as_ref().and_then(|u| u.strategy.as_ref()),
            ),
        ] {
            if let Some(s) = strategy {
                ensure(
                    s.retry_interval.is_none() || s.name == StrategyName::RetryOnFailure,
                    field,
                    "can only be set when the strategy name is 'RetryOnFailure'",
                )?;
                ensure_duration(s.retry_interval.as_deref(), field)?;
            }
        }
        if let Some(kc) = &self.spec.kube_config {
            kc.validate("spec.kubeConfig")?;
        }
        ensure_duration(Some(&self.spec.interval), "spec.interval")?;
        ensure_duration(self.spec.timeout.as_deref(), "spec.timeout")
    }
}

/// The strategy name and retry interval of an optional strategy.
fn strategy_of(strategy: Option<&Strategy>) -> Result<(StrategyName, Duration), DurationError> {
    let name = strategy.map(|s| s.name).unwrap_or_default();
    let interval = parse_or(
        strategy.and_then(|s| s.retry_interval.as_deref()),
        HelmRelease::DEFAULT_RETRY_INTERVAL,
    )?;
    Ok((name, interval))
}

/// Flux's release-name shortening: names over 53 characters become their
/// first 40 characters, `-`, and the first 12 hex digits of their SHA-256.
pub fn shorten_release_name(name: &str) -> String {
    if name.len() <= HelmRelease::MAX_RELEASE_NAME_LENGTH {
        return name.to_string();
    }
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    // Counting chars, not bytes, keeps non-ASCII input from splitting a char.
    let prefix: String = name.chars().take(40).collect();
    format!("{prefix}-{}", &hex[..12])
}

impl_object_with_conditions!(HelmReleaseStatus);
impl_flux_object!(HelmRelease, HelmReleaseStatus);

#[cfg(test)]
mod tests {
    use super::*;

    fn hr(spec: serde_json::Value) -> HelmRelease {
        let mut base = serde_json::json!({
            "interval": "10m",
            "chart": {"spec": {"chart": "podinfo",
                "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}}
        });
        if let (Some(b), Some(extra)) = (base.as_object_mut(), spec.as_object()) {
            b.extend(extra.clone());
        }
        serde_json::from_value(serde_json::json!({
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": {"name": "podinfo", "namespace": "apps"},
            "spec": base,
        }))
        .expect("valid HelmRelease")
    }

    #[test]
    fn defaults_match_flux_accessors() {
        let r = hr(serde_json::json!({}));
        assert_eq!(r.timeout(), Ok(Duration::from_secs(300)));
        assert_eq!(r.max_history(), 5);
        assert!(r.uses_persistent_client());
        assert_eq!(r.release_name(), "podinfo");
        assert_eq!(r.release_namespace(), "apps");
        assert_eq!(r.storage_namespace(), "apps");
        assert_eq!(r.helm_chart_name(), "apps-podinfo");
        assert_eq!(r.chart_source_namespace(), Some("apps"));
        assert_eq!(r.chart_interval(), Ok(Duration::from_secs(600)));
        assert_eq!(r.drift_detection_mode(), DriftDetectionMode::Disabled);
        assert_eq!(r.install_crds_policy(), CRDsPolicy::Create);
        assert_eq!(r.upgrade_crds_policy(), CRDsPolicy::Skip);
        assert_eq!(
            r.upgrade_remediation_strategy(),
            RemediationStrategy::Rollback
        );
        assert_eq!(
            r.uninstall_deletion_propagation(),
            DeletionPropagation::Background
        );
        assert_eq!(r.post_render_strategy(), PostRenderStrategy::Combined);
        assert_eq!(r.wait_strategy(), WaitStrategyName::Poller);
        assert!(!r.upgrade_remediates_last_failure());
        assert_eq!(
            r.install_strategy(),
            Ok((StrategyName::RemediateOnFailure, Duration::from_secs(300)))
        );
    }

    #[test]
    fn release_name_uses_target_namespace_and_shortens_past_53_chars() {
        let r = hr(serde_json::json!({"targetNamespace": "prod"}));
        assert_eq!(r.release_name(), "prod-podinfo");
        let long_ns = "a".repeat(60);
        let r = hr(serde_json::json!({"targetNamespace": long_ns}));
        let name = r.release_name();
        assert_eq!(name.len(), 53);
        assert!(name.starts_with(&"a".repeat(40)));
        assert_eq!(&name[40..41], "-");
        assert!(name[41..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(shorten_release_name(&format!("{long_ns}-podinfo")), name);
        let explicit = hr(serde_json::json!({"releaseName": "mine", "targetNamespace": "x"}));
        assert_eq!(explicit.release_name(), "mine");
    }

    #[test]
    fn upgrade_remediates_last_failure_when_retries_are_positive() {
        let r = hr(serde_json::json!({"upgrade": {"remediation": {"retries": 3}}}));
        assert_eq!(r.upgrade_retries(), 3);
        assert!(r.upgrade_remediates_last_failure());
        let r = hr(serde_json::json!({"test": {"ignoreFailures": true}}));
        assert!(r.install_ignores_test_failures());
    }

    #[test]
    fn exactly_one_of_chart_and_chart_ref() {
        let both = hr(serde_json::json!({"chartRef": {"kind": "OCIRepository", "name": "x"}}));
        assert_eq!(
            both.validate().map_err(|e| e.field),
            Err("spec.chart".to_string())
        );
        let mut neither = hr(serde_json::json!({}));
        neither.spec.chart = None;
        assert!(neither.validate().is_err());
        assert_eq!(hr(serde_json::json!({})).validate(), Ok(()));
    }

    #[test]
    fn retry_interval_only_with_retry_on_failure() {
        let bad = hr(serde_json::json!({"install": {"strategy": {
            "name": "RemediateOnFailure", "retryInterval": "1m"}}}));
        assert_eq!(
            bad.validate().map_err(|e| e.field),
            Err("spec.install.strategy.retryInterval".to_string())
        );
        let ok = hr(serde_json::json!({"upgrade": {"strategy": {
            "name": "RetryOnFailure", "retryInterval": "1m"}}}));
        assert_eq!(ok.validate(), Ok(()));
    }

    #[test]
    fn force_request_is_handled_once_and_only_with_matching_requested_at() {
        let mut r = hr(serde_json::json!({}));
        let mut annotations = BTreeMap::new();
        annotations.insert(annotation::FORCE_REQUESTED_AT.to_string(), "t1".to_string());
        annotations.insert(
            annotation::RECONCILE_REQUESTED_AT.to_string(),
            "t1".to_string(),
        );
        r.metadata.annotations = Some(annotations.clone());
        assert!(r.take_force_request());
        assert!(!r.take_force_request());
        assert_eq!(
            r.status
                .as_ref()
                .and_then(|s| s.last_handled_force_at.as_deref()),
            Some("t1")
        );
        annotations.insert(annotation::RESET_REQUESTED_AT.to_string(), "t2".to_string());
        r.metadata.annotations = Some(annotations);
        assert!(!r.take_reset_request());
    }
}
