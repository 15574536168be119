//! `ImagePolicy` (`image.toolkit.fluxcd.io/v1`): picks the latest image tag
//! of an ImageRepository by a policy.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::{DurationError, parse_duration};
use crate::meta::NamespacedObjectReference;
use crate::object::{impl_flux_object, impl_object_with_conditions};
use crate::validation::{ValidationError, ensure, ensure_duration};

/// Desired state of an ImagePolicy.
// Printer columns legitimately repeat `type_ = "string"`.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "image.toolkit.fluxcd.io",
    version = "v1",
    kind = "ImagePolicy",
    plural = "imagepolicies",
    namespaced,
    status = "ImagePolicyStatus",
    shortname = "imgpol",
    shortname = "imagepol",
    category = "all",
    category = "fluxcd",
    category = "fluxcd-images",
    annotation("kustomize.toolkit.fluxcd.io/substitute", "disabled"),
    printcolumn(name = "Image", type_ = "string", json_path = ".status.latestRef.name"),
    printcolumn(name = "Tag", type_ = "string", json_path = ".status.latestRef.tag"),
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
    doc = "A rule selecting the latest tag of a scanned image repository."
)]
#[serde(rename_all = "camelCase")]
pub struct ImagePolicySpec {
    /// The ImageRepository whose tags are considered.
    pub image_repository_ref: NamespacedObjectReference,
    /// How tags are ordered; set exactly one.
    pub policy: ImagePolicyChoice,
    /// Filter (and extract part of) tags before ordering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_tags: Option<TagFilter>,
    /// When `status.latestRef.digest` is set; `Never` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "Never"))]
    pub digest_reflection_policy: Option<ReflectionPolicy>,
    /// Digest refresh interval, only and required with `Always`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub interval: Option<String>,
    /// Stop evaluating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
}

/// Tag ordering policies; exactly one is set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImagePolicyChoice {
    /// Highest version within a SemVer range.
    #[serde(default, rename = "semver", skip_serializing_if = "Option::is_none")]
    pub semver: Option<SemVerPolicy>,
    /// Alphabetical order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alphabetical: Option<OrderPolicy>,
    /// Numerical order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerical: Option<OrderPolicy>,
}

/// SemVer range policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SemVerPolicy {
    /// Range; the highest matching tag wins.
    pub range: String,
}

/// Alphabetical or numerical ordering policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderPolicy {
    /// `asc` selects the last (highest) tag, `desc` the first; `asc` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "asc"))]
    pub order: Option<SortOrder>,
}

/// Sort order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Ascending; selects the highest.
    #[default]
    Asc,
    /// Descending; selects the lowest.
    Desc,
}

/// Regex filter over tags.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagFilter {
    /// Regex tags must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Replacement (e.g. `$ts`) giving the value to order by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract: Option<String>,
}

/// When the image digest is recorded in `status.latestRef`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ReflectionPolicy {
    /// Always refresh it, every `interval`.
    Always,
    /// Record it once per tag.
    IfNotPresent,
    /// Never record it.
    #[default]
    Never,
}

/// An image reference: name, tag and optional digest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageRef {
    /// Image name without tag.
    pub name: String,
    /// Tag.
    pub tag: String,
    /// Digest, `sha256:<hex>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

impl std::fmt::Display for ImageRef {
    /// `name:tag`, with `@digest` when known.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.name, self.tag)?;
        match self.digest.as_deref().filter(|d| !d.is_empty()) {
            Some(digest) => write!(f, "@{digest}"),
            None => Ok(()),
        }
    }
}

/// Observed state of an ImagePolicy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImagePolicyStatus {
    /// The selected image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_ref: Option<ImageRef>,
    /// The image selected before the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_previous_ref: Option<ImageRef>,
    /// Generation of the last finished reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling and Stalled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::meta::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// Last `reconcile.fluxcd.io/requestedAt` value handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
}

impl ImagePolicy {
    /// Digest refresh interval used with `Always` when `spec.interval` is unset.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(600);

    /// The digest reflection policy, `Never` when unset.
    pub fn digest_reflection_policy(&self) -> ReflectionPolicy {
        self.spec.digest_reflection_policy.unwrap_or_default()
    }

    /// Periodic refresh interval: only with `Always` (10m when unset);
    /// `None` means "re-evaluate only when the repository changes".
    pub fn interval(&self) -> Result<Option<Duration>, DurationError> {
        if self.digest_reflection_policy() != ReflectionPolicy::Always {
            return Ok(None);
        }
        match self.spec.interval.as_deref() {
            Some(text) => parse_duration(text).map(|d| {
                Some(if d.is_zero() {
                    Self::DEFAULT_INTERVAL
                } else {
                    d
                })
            }),
            None => Ok(Some(Self::DEFAULT_INTERVAL)),
        }
    }

    /// Checks the rules Flux enforces with CEL, and that one policy is set.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let always = self.digest_reflection_policy() == ReflectionPolicy::Always;
        ensure(
            self.spec.interval.is_none() || always,
            "spec.interval",
            "only accepted when spec.digestReflectionPolicy is set to 'Always'",
        )?;
        ensure(
            self.spec.interval.is_some() || !always,
            "spec.interval",
            "must be set when spec.digestReflectionPolicy is set to 'Always'",
        )?;
        let policy = &self.spec.policy;
        let chosen = [
            policy.semver.is_some(),
            policy.alphabetical.is_some(),
            policy.numerical.is_some(),
        ];
        ensure(
            chosen.iter().filter(|set| **set).count() == 1,
            "spec.policy",
            "exactly one of semver, alphabetical or numerical must be set",
        )?;
        ensure_duration(self.spec.interval.as_deref(), "spec.interval")
    }
}

impl_object_with_conditions!(ImagePolicyStatus);
impl_flux_object!(ImagePolicy, ImagePolicyStatus, optional_interval);

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(spec: serde_json::Value) -> ImagePolicy {
        let mut base = serde_json::json!({
            "imageRepositoryRef": {"name": "app"},
            "policy": {"semver": {"range": ">=1.0.0"}}
        });
        if let (Some(b), Some(extra)) = (base.as_object_mut(), spec.as_object()) {
            b.extend(extra.clone());
        }
        serde_json::from_value(serde_json::json!({
            "apiVersion": "image.toolkit.fluxcd.io/v1",
            "kind": "ImagePolicy",
            "metadata": {"name": "app"},
            "spec": base,
        }))
        .expect("valid ImagePolicy")
    }

    #[test]
    fn interval_only_applies_with_always() {
        let p = policy(serde_json::json!({}));
        assert_eq!(p.digest_reflection_policy(), ReflectionPolicy::Never);
        assert_eq!(p.interval(), Ok(None));
        assert_eq!(p.validate(), Ok(()));
        let always = policy(serde_json::json!({"digestReflectionPolicy": "Always"}));
        assert_eq!(
            always.validate().map_err(|e| e.field),
            Err("spec.interval".to_string())
        );
        let always =
            policy(serde_json::json!({"digestReflectionPolicy": "Always", "interval": "1h"}));
        assert_eq!(always.interval(), Ok(Some(Duration::from_secs(3600))));
        let never = policy(serde_json::json!({"interval": "1h"}));
        assert!(never.validate().is_err());
    }

    #[test]
    fn exactly_one_ordering_policy() {
        let two = policy(serde_json::json!({"policy": {
            "semver": {"range": "*"}, "alphabetical": {}}}));
        assert_eq!(
            two.validate().map_err(|e| e.field),
            Err("spec.policy".to_string())
        );
    }

    #[test]
    fn image_ref_prints_name_tag_and_digest() {
        let r = ImageRef {
            name: "ghcr.io/org/app".into(),
            tag: "1.2.3".into(),
            digest: Some("sha256:ab".into()),
        };
        assert_eq!(r.to_string(), "ghcr.io/org/app:1.2.3@sha256:ab");
    }
}
