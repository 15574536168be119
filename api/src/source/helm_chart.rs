//! `HelmChart` (`source.toolkit.fluxcd.io/v1`): a chart taken from a
//! HelmRepository, GitRepository or Bucket and published as a packaged chart.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::{DurationError, parse_duration};
use crate::meta::Artifact;
use crate::meta::reference::non_empty;
use crate::object::{impl_flux_object, impl_object_with_conditions};
use crate::source::OCIRepositoryVerification;
use crate::validation::{ValidationError, ensure, ensure_duration};

/// Desired state of a HelmChart.
// Printer columns legitimately repeat `type_ = "string"`.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "source.toolkit.fluxcd.io",
    version = "v1",
    kind = "HelmChart",
    namespaced,
    status = "HelmChartStatus",
    shortname = "hc",
    category = "all",
    category = "fluxcd",
    category = "fluxcd-sources",
    annotation("kustomize.toolkit.fluxcd.io/substitute", "disabled"),
    printcolumn(name = "Chart", type_ = "string", json_path = ".spec.chart"),
    printcolumn(name = "Version", type_ = "string", json_path = ".spec.version"),
    printcolumn(
        name = "Source Kind",
        type_ = "string",
        json_path = ".spec.sourceRef.kind"
    ),
    printcolumn(
        name = "Source Name",
        type_ = "string",
        json_path = ".spec.sourceRef.name"
    ),
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
    doc = "A Helm chart packaged and published as an artifact by source-controller."
)]
#[serde(rename_all = "camelCase")]
pub struct HelmChartSpec {
    /// Chart name (HelmRepository) or path (GitRepository, Bucket).
    pub chart: String,
    /// SemVer range of the chart version; `*` when unset; ignored for Git
    /// and Bucket sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "*"))]
    pub version: Option<String>,
    /// Source of the chart, in the same namespace.
    pub source_ref: LocalHelmChartSourceReference,
    /// How often to check the source (Go duration).
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub interval: String,
    /// What makes a new artifact: a new chart version (default) or a new
    /// source revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "ChartVersion"))]
    pub reconcile_strategy: Option<ReconcileStrategy>,
    /// Values files merged in order and packaged as the chart's values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_files: Option<Vec<String>>,
    /// Skip missing values files instead of failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_missing_values_files: Option<bool>,
    /// Stop reconciling this object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// Signature verification; only for OCI HelmRepository sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<OCIRepositoryVerification>,
}

/// Kinds a HelmChart can take its chart from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum HelmChartSourceKind {
    /// A chart repository.
    HelmRepository,
    /// A chart directory in a Git artifact.
    GitRepository,
    /// A chart directory in a Bucket artifact.
    Bucket,
}

impl HelmChartSourceKind {
    /// The kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HelmRepository => "HelmRepository",
            Self::GitRepository => "GitRepository",
            Self::Bucket => "Bucket",
        }
    }
}

/// A chart source in the HelmChart's namespace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocalHelmChartSourceReference {
    /// API version of the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Kind of the source.
    pub kind: HelmChartSourceKind,
    /// Name of the source.
    pub name: String,
}

/// What triggers a new chart artifact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ReconcileStrategy {
    /// A new chart version.
    #[default]
    ChartVersion,
    /// A new source revision.
    Revision,
}

/// Observed state of a HelmChart.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmChartStatus {
    /// Generation of the last finished reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Source artifact revision the current chart was built from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_source_artifact_revision: Option<String>,
    /// Chart name resolved from `spec.chart`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_chart_name: Option<String>,
    /// Values files packaged in the current chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_values_files: Option<Vec<String>>,
    /// Ready, Reconciling, Stalled and the source conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::meta::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// Download address of the current chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The last packaged chart stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<Artifact>,
    /// Last `reconcile.fluxcd.io/requestedAt` value handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
}

impl HelmChart {
    /// Version range used when `spec.version` is unset.
    pub const DEFAULT_VERSION: &str = "*";

    /// `spec.interval` as a duration.
    pub fn interval(&self) -> Result<Duration, DurationError> {
        parse_duration(&self.spec.interval)
    }

    /// The chart version range, `*` when unset.
    pub fn version(&self) -> &str {
        non_empty(self.spec.version.as_deref()).unwrap_or(Self::DEFAULT_VERSION)
    }

    /// The reconcile strategy, `ChartVersion` when unset.
    pub fn reconcile_strategy(&self) -> ReconcileStrategy {
        self.spec.reconcile_strategy.unwrap_or_default()
    }

    /// The values files to merge, in order.
    pub fn values_files(&self) -> &[String] {
        self.spec.values_files.as_deref().unwrap_or_default()
    }

    /// The artifact in status, if any.
    pub fn artifact(&self) -> Option<&Artifact> {
        self.status.as_ref().and_then(|s| s.artifact.as_ref())
    }

    /// Checks the rules Flux enforces with CEL.
    pub fn validate(&self) -> Result<(), ValidationError> {
        ensure(
            self.spec.verify.is_none()
                || self.spec.source_ref.kind == HelmChartSourceKind::HelmRepository,
            "spec.verify",
            "only supported when spec.sourceRef.kind is 'HelmRepository'",
        )?;
        ensure_duration(Some(&self.spec.interval), "spec.interval")
    }
}

impl_object_with_conditions!(HelmChartStatus);
impl_flux_object!(HelmChart, HelmChartStatus);

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(spec: serde_json::Value) -> HelmChart {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "HelmChart",
            "metadata": {"name": "podinfo"},
            "spec": spec,
        }))
        .expect("valid HelmChart")
    }

    #[test]
    fn version_and_strategy_have_flux_defaults() {
        let c = chart(serde_json::json!({
            "chart": "podinfo", "interval": "5m",
            "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}
        }));
        assert_eq!(c.version(), "*");
        assert_eq!(c.reconcile_strategy(), ReconcileStrategy::ChartVersion);
        assert!(c.values_files().is_empty());
    }

    #[test]
    fn verify_requires_a_helm_repository_source() {
        let c = chart(serde_json::json!({
            "chart": "./charts/app", "interval": "5m",
            "sourceRef": {"kind": "GitRepository", "name": "repo"},
            "verify": {"provider": "cosign"}
        }));
        assert_eq!(
            c.validate().map_err(|e| e.field),
            Err("spec.verify".to_string())
        );
    }
}
