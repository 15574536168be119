//! `Bucket` (`source.toolkit.fluxcd.io/v1`): an S3-compatible, GCS or Azure
//! Blob bucket whose objects source-controller publishes as an artifact.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::{DurationError, parse_duration, parse_or};
use crate::meta::reference::non_empty;
use crate::meta::{Artifact, LocalObjectReference};
use crate::object::{impl_flux_object, impl_object_with_conditions};
use crate::validation::{ValidationError, ensure, ensure_duration};

/// Desired state of a Bucket.
// Printer columns legitimately repeat `type_ = "string"`.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "source.toolkit.fluxcd.io",
    version = "v1",
    kind = "Bucket",
    namespaced,
    status = "BucketStatus",
    category = "all",
    category = "fluxcd",
    category = "fluxcd-sources",
    annotation("kustomize.toolkit.fluxcd.io/substitute", "disabled"),
    printcolumn(name = "Endpoint", type_ = "string", json_path = ".spec.endpoint"),
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
    doc = "An object storage bucket published as an artifact by source-controller."
)]
#[serde(rename_all = "camelCase")]
pub struct BucketSpec {
    /// Storage API; `generic` (S3 compatible) when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "generic"))]
    pub provider: Option<BucketProvider>,
    /// Name of the bucket.
    pub bucket_name: String,
    /// Storage address (host and optional port).
    pub endpoint: String,
    /// Security Token Service for temporary credentials (`aws`, `generic`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sts: Option<BucketSTSSpec>,
    /// Talk plain HTTP to the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
    /// Region of the bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Only objects under this key prefix are fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Secret with access credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// ServiceAccount for workload identity (`aws`, `gcp`, `azure`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// Secret with `ca.crt` and/or `tls.crt`/`tls.key` (`generic` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_secret_ref: Option<LocalObjectReference>,
    /// Secret with `address` (and optional `username`, `password`) of a proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_secret_ref: Option<LocalObjectReference>,
    /// How often to look for changes (Go duration).
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub interval: String,
    /// Timeout of fetch operations; 60s when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::TIMEOUT_PATTERN), extend("default" = "60s"))]
    pub timeout: Option<String>,
    /// `.sourceignore`-style patterns replacing the default exclusions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore: Option<String>,
    /// Stop reconciling this object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
}

/// Object storage API.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BucketProvider {
    /// Any S3-compatible API (MinIO, Ceph, ...).
    #[default]
    Generic,
    /// Amazon S3.
    Aws,
    /// Google Cloud Storage.
    Gcp,
    /// Azure Blob Storage.
    Azure,
}

/// Security Token Service settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BucketSTSSpec {
    /// STS flavour: `aws` or `ldap`.
    pub provider: STSProvider,
    /// HTTP/S address of the STS.
    #[schemars(pattern(r"^(http|https)://.*$"))]
    pub endpoint: String,
    /// Secret with `username`/`password` (`ldap` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// Secret with `ca.crt` and/or `tls.crt`/`tls.key` (`ldap` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_secret_ref: Option<LocalObjectReference>,
}

/// Security Token Service flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum STSProvider {
    /// AWS STS.
    Aws,
    /// MinIO LDAP STS.
    Ldap,
}

/// Observed state of a Bucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BucketStatus {
    /// Generation of the last finished reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling, Stalled and the source conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::meta::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// Download address of the current artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The last artifact stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<Artifact>,
    /// `spec.ignore` used for the current artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_ignore: Option<String>,
    /// Last `reconcile.fluxcd.io/requestedAt` value handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
}

impl Bucket {
    /// Default fetch timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

    /// `spec.interval` as a duration.
    pub fn interval(&self) -> Result<Duration, DurationError> {
        parse_duration(&self.spec.interval)
    }

    /// Fetch timeout, 60s when unset.
    pub fn timeout(&self) -> Result<Duration, DurationError> {
        parse_or(self.spec.timeout.as_deref(), Self::DEFAULT_TIMEOUT)
    }

    /// The storage API, `generic` when unset.
    pub fn provider(&self) -> BucketProvider {
        self.spec.provider.unwrap_or_default()
    }

    /// The artifact in status, if any.
    pub fn artifact(&self) -> Option<&Artifact> {
        self.status.as_ref().and_then(|s| s.artifact.as_ref())
    }

    /// Checks the seven rules Flux enforces with CEL on provider, STS and
    /// credentials.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let provider = self.provider();
        let sts = self.spec.sts.as_ref();
        let sa = non_empty(self.spec.service_account_name.as_deref()).is_some();
        ensure(
            sts.is_none() || matches!(provider, BucketProvider::Aws | BucketProvider::Generic),
            "spec.sts",
            "STS configuration is only supported for the 'aws' and 'generic' Bucket providers",
        )?;
        if let Some(sts) = sts {
            ensure(
                provider != BucketProvider::Aws || sts.provider == STSProvider::Aws,
                "spec.sts.provider",
                "'aws' is the only supported STS provider for the 'aws' Bucket provider",
            )?;
            ensure(
                provider != BucketProvider::Generic || sts.provider == STSProvider::Ldap,
                "spec.sts.provider",
                "'ldap' is the only supported STS provider for the 'generic' Bucket provider",
            )?;
            ensure(
                sts.provider != STSProvider::Aws || sts.secret_ref.is_none(),
                "spec.sts.secretRef",
                "not required for the 'aws' STS provider",
            )?;
            ensure(
                sts.provider != STSProvider::Aws || sts.cert_secret_ref.is_none(),
                "spec.sts.certSecretRef",
                "not required for the 'aws' STS provider",
            )?;
        }
        ensure(
            provider != BucketProvider::Generic || !sa,
            "spec.serviceAccountName",
            "not supported for the 'generic' Bucket provider",
        )?;
        ensure(
            self.spec.secret_ref.is_none() || !sa,
            "spec.serviceAccountName",
            "cannot set both spec.secretRef and spec.serviceAccountName",
        )?;
        ensure_duration(Some(&self.spec.interval), "spec.interval")?;
        ensure_duration(self.spec.timeout.as_deref(), "spec.timeout")
    }
}

impl_object_with_conditions!(BucketStatus);
impl_flux_object!(Bucket, BucketStatus);

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(spec: serde_json::Value) -> Bucket {
        let mut base = serde_json::json!({
            "bucketName": "b", "endpoint": "minio:9000", "interval": "5m"
        });
        if let (Some(b), Some(extra)) = (base.as_object_mut(), spec.as_object()) {
            b.extend(extra.clone());
        }
        serde_json::from_value(serde_json::json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "Bucket",
            "metadata": {"name": "b"},
            "spec": base,
        }))
        .expect("valid Bucket")
    }

    fn field_of(b: &Bucket) -> Option<String> {
        b.validate().err().map(|e| e.field)
    }

    #[test]
    fn sts_rules_follow_flux() {
        let gcp = bucket(serde_json::json!({"provider": "gcp",
            "sts": {"provider": "aws", "endpoint": "https://sts"}}));
        assert_eq!(field_of(&gcp).as_deref(), Some("spec.sts"));
        let aws_ldap = bucket(serde_json::json!({"provider": "aws",
            "sts": {"provider": "ldap", "endpoint": "https://sts"}}));
        assert_eq!(field_of(&aws_ldap).as_deref(), Some("spec.sts.provider"));
        let generic_aws = bucket(serde_json::json!({
            "sts": {"provider": "aws", "endpoint": "https://sts"}}));
        assert_eq!(field_of(&generic_aws).as_deref(), Some("spec.sts.provider"));
        let aws_secret = bucket(serde_json::json!({"provider": "aws",
            "sts": {"provider": "aws", "endpoint": "https://sts", "secretRef": {"name": "s"}}}));
        assert_eq!(field_of(&aws_secret).as_deref(), Some("spec.sts.secretRef"));
        let ldap = bucket(serde_json::json!({
            "sts": {"provider": "ldap", "endpoint": "https://sts", "secretRef": {"name": "s"}}}));
        assert_eq!(field_of(&ldap), None);
    }

    #[test]
    fn service_account_rules_follow_flux() {
        let generic = bucket(serde_json::json!({"serviceAccountName": "sa"}));
        assert_eq!(
            field_of(&generic).as_deref(),
            Some("spec.serviceAccountName")
        );
        let both = bucket(serde_json::json!({"provider": "aws",
            "serviceAccountName": "sa", "secretRef": {"name": "s"}}));
        assert_eq!(field_of(&both).as_deref(), Some("spec.serviceAccountName"));
        let aws = bucket(serde_json::json!({"provider": "aws", "serviceAccountName": "sa"}));
        assert_eq!(field_of(&aws), None);
        assert_eq!(aws.timeout(), Ok(Duration::from_secs(60)));
    }
}
