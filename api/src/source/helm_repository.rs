//! `HelmRepository` (`source.toolkit.fluxcd.io/v1`): a Helm chart repository
//! whose index source-controller publishes (HTTP type), or registry settings
//! used by HelmCharts (OCI type, no artifact).

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::{DurationError, parse_or};
use crate::meta::{AccessFrom, Artifact, LocalObjectReference};
use crate::object::{impl_flux_object, impl_object_with_conditions};
use crate::source::OCIProvider;
use crate::validation::{ValidationError, ensure, ensure_duration};

/// Desired state of a HelmRepository.
// Printer columns legitimately repeat `type_ = "string"`.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "source.toolkit.fluxcd.io",
    version = "v1",
    kind = "HelmRepository",
    namespaced,
    status = "HelmRepositoryStatus",
    shortname = "helmrepo",
    category = "all",
    category = "fluxcd",
    category = "fluxcd-sources",
    annotation("kustomize.toolkit.fluxcd.io/substitute", "disabled"),
    printcolumn(name = "URL", type_ = "string", json_path = ".spec.url"),
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
    doc = "A Helm repository index published as an artifact by source-controller."
)]
#[serde(rename_all = "camelCase")]
pub struct HelmRepositorySpec {
    /// Repository address: `http://`, `https://` or `oci://`.
    #[schemars(pattern(r"^(http|https|oci)://.*$"))]
    pub url: String,
    /// Secret with `username`/`password` (legacy `certFile`/`keyFile`/`caFile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// Secret with `ca.crt` and/or `tls.crt`/`tls.key`; wins over `secretRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_secret_ref: Option<LocalObjectReference>,
    /// Send credentials to hosts other than the URL's (chart URLs elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_credentials: Option<bool>,
    /// How often to fetch the index; 1m when unset; ignored for `oci`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub interval: Option<String>,
    /// Talk plain HTTP to the registry (`oci` type only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
    /// Timeout of index fetches and chart pulls; 60s when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::TIMEOUT_PATTERN))]
    pub timeout: Option<String>,
    /// Stop reconciling this object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// Namespaces allowed to reference this object (declared, not enforced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_from: Option<AccessFrom>,
    /// `default` (HTTP index) or `oci` (registry).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<HelmRepositoryType>,
    /// Registry authentication provider (`oci` type only); `generic` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "generic"))]
    pub provider: Option<OCIProvider>,
}

/// Kind of Helm repository.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HelmRepositoryType {
    /// An HTTP/S repository with an `index.yaml`.
    #[default]
    Default,
    /// An OCI registry; produces no artifact.
    Oci,
}

/// Observed state of a HelmRepository.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmRepositoryStatus {
    /// Generation of the last finished reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling, Stalled and the source conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::meta::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// Download address of the current index (`index.yaml`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The last index stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<Artifact>,
    /// Last `reconcile.fluxcd.io/requestedAt` value handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
}

impl HelmRepository {
    /// Interval used when `spec.interval` is unset.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
    /// Timeout used when `spec.timeout` is unset.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

    /// Index fetch interval, 1m when unset.
    pub fn interval(&self) -> Result<Duration, DurationError> {
        parse_or(self.spec.interval.as_deref(), Self::DEFAULT_INTERVAL)
    }

    /// Index fetch / chart pull timeout, 60s when unset.
    pub fn timeout(&self) -> Result<Duration, DurationError> {
        parse_or(self.spec.timeout.as_deref(), Self::DEFAULT_TIMEOUT)
    }

    /// The repository type, `default` when unset.
    pub fn repository_type(&self) -> HelmRepositoryType {
        self.spec.type_.unwrap_or_default()
    }

    /// Whether this is an OCI registry (no index, no artifact).
    pub fn is_oci(&self) -> bool {
        self.repository_type() == HelmRepositoryType::Oci
    }

    /// The registry authentication provider, `generic` when unset.
    pub fn provider(&self) -> OCIProvider {
        self.spec.provider.unwrap_or_default()
    }

    /// The artifact in status, if any.
    pub fn artifact(&self) -> Option<&Artifact> {
        self.status.as_ref().and_then(|s| s.artifact.as_ref())
    }

    /// Checks that an `oci` repository has an `oci://` URL, and durations.
    pub fn validate(&self) -> Result<(), ValidationError> {
        ensure(
            !self.is_oci() || self.spec.url.starts_with("oci://"),
            "spec.url",
            "must start with 'oci://' when spec.type is 'oci'",
        )?;
        ensure_duration(self.spec.interval.as_deref(), "spec.interval")?;
        ensure_duration(self.spec.timeout.as_deref(), "spec.timeout")
    }
}

impl_object_with_conditions!(HelmRepositoryStatus);
impl_flux_object!(HelmRepository, HelmRepositoryStatus);

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(spec: serde_json::Value) -> HelmRepository {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "HelmRepository",
            "metadata": {"name": "podinfo"},
            "spec": spec,
        }))
        .expect("valid HelmRepository")
    }

    #[test]
    fn interval_and_timeout_default_to_one_minute() {
        let r = repo(serde_json::json!({"url": "https://charts.example.com"}));
        assert_eq!(r.interval(), Ok(Duration::from_secs(60)));
        assert_eq!(r.timeout(), Ok(Duration::from_secs(60)));
        assert!(!r.is_oci());
    }

    #[test]
    fn oci_type_needs_an_oci_url() {
        let bad = repo(serde_json::json!({"url": "https://x", "type": "oci"}));
        assert_eq!(
            bad.validate().map_err(|e| e.field),
            Err("spec.url".to_string())
        );
        let ok = repo(serde_json::json!({"url": "oci://ghcr.io/x", "type": "oci"}));
        assert!(ok.is_oci());
        assert_eq!(ok.validate(), Ok(()));
    }
}
