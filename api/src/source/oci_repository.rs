//! `OCIRepository` (`source.toolkit.fluxcd.io/v1`): an OCI artifact whose
//! selected layer source-controller publishes as an artifact.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::{DurationError, parse_duration, parse_or};
use crate::meta::reference::non_empty;
use crate::meta::{Artifact, LocalObjectReference};
use crate::object::{impl_flux_object, impl_object_with_conditions};
use crate::validation::{ValidationError, ensure_duration};

/// Desired state of an OCIRepository.
// Printer columns legitimately repeat `type_ = "string"`.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "source.toolkit.fluxcd.io",
    version = "v1",
    kind = "OCIRepository",
    plural = "ocirepositories",
    namespaced,
    status = "OCIRepositoryStatus",
    shortname = "ocirepo",
    category = "all",
    category = "fluxcd",
    category = "fluxcd-sources",
    annotation("kustomize.toolkit.fluxcd.io/substitute", "disabled"),
    printcolumn(name = "URL", type_ = "string", json_path = ".spec.url"),
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
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    derive = "PartialEq",
    doc = "An OCI artifact published as an artifact by source-controller."
)]
#[serde(rename_all = "camelCase")]
pub struct OCIRepositorySpec {
    /// Repository address, `oci://<registry>/<repository>`.
    #[schemars(pattern(r"^oci://.*$"))]
    pub url: String,
    /// Tag, SemVer range or digest to pull; tag `latest` when unset.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<OCIRepositoryRef>,
    /// Layer to extract or copy; the first layer, extracted, when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_selector: Option<OCILayerSelector>,
    /// Registry authentication provider; `generic` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "generic"))]
    pub provider: Option<OCIProvider>,
    /// `kubernetes.io/dockerconfigjson` Secret with registry credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// Signature verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<OCIRepositoryVerification>,
    /// ServiceAccount whose image pull secrets are used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// Secret with `ca.crt` and/or `tls.crt`/`tls.key` for the registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_secret_ref: Option<LocalObjectReference>,
    /// Secret with `address` (and optional `username`, `password`) of a proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_secret_ref: Option<LocalObjectReference>,
    /// How often to look for new revisions (Go duration).
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub interval: String,
    /// Timeout of registry operations; 60s when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::TIMEOUT_PATTERN), extend("default" = "60s"))]
    pub timeout: Option<String>,
    /// `.sourceignore`-style patterns replacing the default exclusions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore: Option<String>,
    /// Talk plain HTTP to the registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
    /// Stop reconciling this object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
}

/// Which artifact version to pull. Precedence: digest > semver > tag.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OCIRepositoryRef {
    /// Exact digest, `sha256:<hex>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// SemVer range; the highest matching tag is pulled.
    #[serde(default, rename = "semver", skip_serializing_if = "Option::is_none")]
    pub semver: Option<String>,
    /// Regular expression the SemVer candidates must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semver_filter: Option<String>,
    /// Tag to pull; `latest` when nothing is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// What to pull, resolved from an OCIRepositoryRef by precedence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OCIReference<'a> {
    /// An exact digest.
    Digest(&'a str),
    /// The highest tag in a SemVer range, optionally filtered by a regex.
    SemVer {
        /// The range.
        range: &'a str,
        /// Regex candidates must match.
        filter: Option<&'a str>,
    },
    /// A tag.
    Tag(&'a str),
}

impl OCIRepositoryRef {
    /// Tag used when nothing is set.
    pub const DEFAULT_TAG: &str = "latest";

    /// The version this reference asks for, by Flux's precedence.
    pub fn resolve(&self) -> OCIReference<'_> {
        if let Some(digest) = non_empty(self.digest.as_deref()) {
            return OCIReference::Digest(digest);
        }
        if let Some(range) = non_empty(self.semver.as_deref()) {
            return OCIReference::SemVer {
                range,
                filter: non_empty(self.semver_filter.as_deref()),
            };
        }
        OCIReference::Tag(non_empty(self.tag.as_deref()).unwrap_or(Self::DEFAULT_TAG))
    }
}

/// Selects the artifact layer to publish.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OCILayerSelector {
    /// Media type of the layer; the first layer when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Extract the layer (default) or copy it as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<OCILayerOperation>,
}

/// How the selected layer is stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OCILayerOperation {
    /// Untar the layer and re-archive its content.
    #[default]
    Extract,
    /// Store the compressed layer unchanged.
    Copy,
}

/// Registry authentication provider.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OCIProvider {
    /// Static credentials from `secretRef` or the ServiceAccount.
    #[default]
    Generic,
    /// AWS ECR with workload identity.
    Aws,
    /// Azure ACR with workload identity.
    Azure,
    /// Google Artifact Registry with workload identity.
    Gcp,
}

/// Signature verification of an OCI artifact (also used by HelmChart).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OCIRepositoryVerification {
    /// Signing technology; `cosign` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(required, extend("default" = "cosign"))]
    pub provider: Option<VerificationProvider>,
    /// Secret with the trusted public keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// Keyless (Fulcio) identities accepted; any one match suffices.
    #[serde(
        default,
        rename = "matchOIDCIdentity",
        skip_serializing_if = "Option::is_none"
    )]
    pub match_oidc_identity: Option<Vec<OIDCIdentityMatch>>,
    /// Secret with `trusted_root.json` for self-hosted Sigstore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_root_secret_ref: Option<LocalObjectReference>,
}

impl OCIRepositoryVerification {
    /// The signing technology, `cosign` when unset.
    pub fn provider(&self) -> VerificationProvider {
        self.provider.unwrap_or_default()
    }
}

/// Signing technology.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VerificationProvider {
    /// Sigstore cosign.
    #[default]
    Cosign,
    /// Notary Project notation.
    Notation,
}

/// A keyless signing identity: regexes over the certificate's issuer and subject.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OIDCIdentityMatch {
    /// Regex matched against the OIDC issuer.
    pub issuer: String,
    /// Regex matched against the identity subject.
    pub subject: String,
}

/// Observed state of an OCIRepository.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OCIRepositoryStatus {
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
    /// `spec.layerSelector` used for the current artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_layer_selector: Option<OCILayerSelector>,
    /// Last `reconcile.fluxcd.io/requestedAt` value handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
}

impl OCIRepository {
    /// Default registry operation timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

    /// `spec.interval` as a duration.
    pub fn interval(&self) -> Result<Duration, DurationError> {
        parse_duration(&self.spec.interval)
    }

    /// Registry operation timeout, 60s when unset.
    pub fn timeout(&self) -> Result<Duration, DurationError> {
        parse_or(self.spec.timeout.as_deref(), Self::DEFAULT_TIMEOUT)
    }

    /// The authentication provider, `generic` when unset.
    pub fn provider(&self) -> OCIProvider {
        self.spec.provider.unwrap_or_default()
    }

    /// What to pull, by Flux's precedence (tag `latest` by default).
    pub fn reference(&self) -> OCIReference<'_> {
        match &self.spec.reference {
            Some(r) => r.resolve(),
            None => OCIReference::Tag(OCIRepositoryRef::DEFAULT_TAG),
        }
    }

    /// Media type of the layer to select, if restricted.
    pub fn layer_media_type(&self) -> Option<&str> {
        let selector = self.spec.layer_selector.as_ref()?;
        non_empty(selector.media_type.as_deref())
    }

    /// What to do with the selected layer, `extract` when unset.
    pub fn layer_operation(&self) -> OCILayerOperation {
        self.spec
            .layer_selector
            .as_ref()
            .and_then(|s| s.operation)
            .unwrap_or_default()
    }

    /// The artifact in status, if any.
    pub fn artifact(&self) -> Option<&Artifact> {
        self.status.as_ref().and_then(|s| s.artifact.as_ref())
    }

    /// Checks durations (Flux has no CEL rules on this kind).
    pub fn validate(&self) -> Result<(), ValidationError> {
        ensure_duration(Some(&self.spec.interval), "spec.interval")?;
        ensure_duration(self.spec.timeout.as_deref(), "spec.timeout")
    }
}

impl_object_with_conditions!(OCIRepositoryStatus);
impl_flux_object!(OCIRepository, OCIRepositoryStatus);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_precedence_is_digest_semver_tag() {
        let all = OCIRepositoryRef {
            digest: Some("sha256:aa".into()),
            semver: Some(">=1".into()),
            semver_filter: Some(".*-rc".into()),
            tag: Some("v1".into()),
        };
        assert_eq!(all.resolve(), OCIReference::Digest("sha256:aa"));
        let no_digest = OCIRepositoryRef {
            digest: None,
            ..all
        };
        assert_eq!(
            no_digest.resolve(),
            OCIReference::SemVer {
                range: ">=1",
                filter: Some(".*-rc")
            }
        );
        let tag_only = OCIRepositoryRef {
            semver: None,
            ..no_digest
        };
        assert_eq!(tag_only.resolve(), OCIReference::Tag("v1"));
        assert_eq!(
            OCIRepositoryRef::default().resolve(),
            OCIReference::Tag("latest")
        );
    }

    #[test]
    fn defaults_are_first_layer_extracted_generic_sixty_seconds() {
        let repo = OCIRepository::new(
            "app",
            OCIRepositorySpec {
                url: "oci://ghcr.io/org/app".into(),
                reference: None,
                layer_selector: None,
                provider: None,
                secret_ref: None,
                verify: None,
                service_account_name: None,
                cert_secret_ref: None,
                proxy_secret_ref: None,
                interval: "5m".into(),
                timeout: None,
                ignore: None,
                insecure: None,
                suspend: None,
            },
        );
        assert_eq!(repo.layer_operation(), OCILayerOperation::Extract);
        assert_eq!(repo.layer_media_type(), None);
        assert_eq!(repo.provider(), OCIProvider::Generic);
        assert_eq!(repo.timeout(), Ok(Duration::from_secs(60)));
        assert_eq!(repo.reference(), OCIReference::Tag("latest"));
        assert_eq!(repo.validate(), Ok(()));
    }
}
