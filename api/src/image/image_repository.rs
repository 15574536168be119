//! `ImageRepository` (`image.toolkit.fluxcd.io/v1`): a container image
//! repository whose tags image-reflector-controller scans.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::{DurationError, parse_duration};
use crate::meta::{AccessFrom, LocalObjectReference};
use crate::object::{impl_flux_object, impl_object_with_conditions};
use crate::source::OCIProvider;
use crate::validation::{ValidationError, ensure, ensure_duration};

/// Desired state of an ImageRepository.
// Printer columns legitimately repeat `type_ = "string"`.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "image.toolkit.fluxcd.io",
    version = "v1",
    kind = "ImageRepository",
    plural = "imagerepositories",
    namespaced,
    status = "ImageRepositoryStatus",
    shortname = "imgrepo",
    shortname = "imagerepo",
    category = "all",
    category = "fluxcd",
    category = "fluxcd-images",
    annotation("kustomize.toolkit.fluxcd.io/substitute", "disabled"),
    printcolumn(name = "Image", type_ = "string", json_path = ".spec.image"),
    printcolumn(
        name = "Tags",
        type_ = "string",
        json_path = ".status.lastScanResult.tagCount"
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
    printcolumn(
        name = "Last scan",
        type_ = "string",
        json_path = ".status.lastScanResult.scanTime",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    derive = "PartialEq",
    doc = "A container image repository whose tags are scanned."
)]
#[serde(rename_all = "camelCase")]
pub struct ImageRepositorySpec {
    /// Image repository, e.g. `ghcr.io/stefanprodan/podinfo`.
    pub image: String,
    /// How often to scan (Go duration).
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub interval: String,
    /// Timeout of a scan; the interval when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::TIMEOUT_PATTERN))]
    pub timeout: Option<String>,
    /// `kubernetes.io/dockerconfigjson` Secret with registry credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// Secret with `address` (and optional `username`, `password`) of a proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_secret_ref: Option<LocalObjectReference>,
    /// ServiceAccount whose image pull secrets are used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253))]
    pub service_account_name: Option<String>,
    /// Secret with `ca.crt` and/or `tls.crt`/`tls.key` for the registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_secret_ref: Option<LocalObjectReference>,
    /// Stop scanning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// Namespaces whose ImagePolicies may reference this repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_from: Option<AccessFrom>,
    /// Regexes of tags not to store; `^.*\.sig$` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 25), extend("default" = ["^.*\\.sig$"]))]
    pub exclusion_list: Option<Vec<String>>,
    /// Registry authentication provider; `generic` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "generic"))]
    pub provider: Option<OCIProvider>,
    /// Talk plain HTTP to the registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
}

/// Result of the last scan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScanResult {
    /// Stable hash of the scanned tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Number of tags found.
    #[schemars(transform = crate::meta::schema::go_int)]
    pub tag_count: i64,
    /// When the scan ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_time: Option<Time>,
    /// The first ten tags in descending alphabetical order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_tags: Option<Vec<String>>,
}

/// Observed state of an ImageRepository.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageRepositoryStatus {
    /// Ready, Reconciling and Stalled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::meta::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// Generation of the last finished reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Fully qualified image name, e.g. `docker.io/library/alpine`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_image_name: Option<String>,
    /// Result of the last scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_scan_result: Option<ScanResult>,
    /// Exclusion list used for the last scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_exclusion_list: Option<Vec<String>>,
    /// Last `reconcile.fluxcd.io/requestedAt` value handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
}

impl ImageRepository {
    /// Tag exclusion used when `spec.exclusionList` is empty.
    pub const DEFAULT_EXCLUSION_LIST: &[&str] = &["^.*\\.sig$"];
    /// Shortest scan timeout.
    pub const MIN_TIMEOUT: Duration = Duration::from_secs(1);

    /// `spec.interval` as a duration.
    pub fn interval(&self) -> Result<Duration, DurationError> {
        parse_duration(&self.spec.interval)
    }

    /// Scan timeout: `timeout`, else the interval; at least one second.
    pub fn timeout(&self) -> Result<Duration, DurationError> {
        let wanted = match self.spec.timeout.as_deref() {
            Some(text) => parse_duration(text)?,
            None => self.interval()?,
        };
        Ok(wanted.max(Self::MIN_TIMEOUT))
    }

    /// Tag exclusion regexes, Flux's default when unset or empty.
    pub fn exclusion_list(&self) -> Vec<String> {
        match self.spec.exclusion_list.as_deref() {
            Some(list) if !list.is_empty() => list.to_vec(),
            _ => Self::DEFAULT_EXCLUSION_LIST
                .iter()
                .map(|s| (*s).to_string())
                .collect(),
        }
    }

    /// The registry authentication provider, `generic` when unset.
    pub fn provider(&self) -> OCIProvider {
        self.spec.provider.unwrap_or_default()
    }

    /// Checks list bounds and durations.
    pub fn validate(&self) -> Result<(), ValidationError> {
        ensure(
            self.spec
                .exclusion_list
                .as_ref()
                .is_none_or(|l| l.len() <= 25),
            "spec.exclusionList",
            "must have at most 25 items",
        )?;
        ensure_duration(Some(&self.spec.interval), "spec.interval")?;
        ensure_duration(self.spec.timeout.as_deref(), "spec.timeout")
    }
}

impl_object_with_conditions!(ImageRepositoryStatus);
impl_flux_object!(ImageRepository, ImageRepositoryStatus);

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(spec: serde_json::Value) -> ImageRepository {
        let mut base = serde_json::json!({"image": "ghcr.io/org/app", "interval": "5m"});
        if let (Some(b), Some(extra)) = (base.as_object_mut(), spec.as_object()) {
            b.extend(extra.clone());
        }
        serde_json::from_value(serde_json::json!({
            "apiVersion": "image.toolkit.fluxcd.io/v1",
            "kind": "ImageRepository",
            "metadata": {"name": "app"},
            "spec": base,
        }))
        .expect("valid ImageRepository")
    }

    #[test]
    fn timeout_defaults_to_interval_and_exclusions_to_signatures() {
        let r = repo(serde_json::json!({}));
        assert_eq!(r.timeout(), Ok(Duration::from_secs(300)));
        assert_eq!(r.exclusion_list(), vec!["^.*\\.sig$".to_string()]);
        assert_eq!(r.provider(), OCIProvider::Generic);
        let r = repo(serde_json::json!({"timeout": "100ms", "exclusionList": ["^dev-"]}));
        assert_eq!(r.timeout(), Ok(Duration::from_secs(1)));
        assert_eq!(r.exclusion_list(), vec!["^dev-".to_string()]);
    }
}
