//! The object reference Alerts and Receivers use to select Flux objects.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::validation::{ValidationError, ensure};

/// Kinds whose events can be alerted on, or that a Receiver can trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum FluxKind {
    /// `Bucket`.
    Bucket,
    /// `GitRepository`.
    GitRepository,
    /// `Kustomization`.
    Kustomization,
    /// `HelmRelease`.
    HelmRelease,
    /// `HelmChart`.
    HelmChart,
    /// `HelmRepository`.
    HelmRepository,
    /// `ImageRepository`.
    ImageRepository,
    /// `ImagePolicy`.
    ImagePolicy,
    /// `ImageUpdateAutomation`.
    ImageUpdateAutomation,
    /// `OCIRepository`.
    #[serde(rename = "OCIRepository")]
    OCIRepository,
    /// `ArtifactGenerator` (source-watcher).
    ArtifactGenerator,
    /// `ExternalArtifact`.
    ExternalArtifact,
    /// `FluxInstance` (Flux Operator).
    FluxInstance,
    /// `ResourceSet` (Flux Operator).
    ResourceSet,
    /// `ResourceSetInputProvider` (Flux Operator).
    ResourceSetInputProvider,
}

impl FluxKind {
    /// The kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bucket => "Bucket",
            Self::GitRepository => "GitRepository",
            Self::Kustomization => "Kustomization",
            Self::HelmRelease => "HelmRelease",
            Self::HelmChart => "HelmChart",
            Self::HelmRepository => "HelmRepository",
            Self::ImageRepository => "ImageRepository",
            Self::ImagePolicy => "ImagePolicy",
            Self::ImageUpdateAutomation => "ImageUpdateAutomation",
            Self::OCIRepository => "OCIRepository",
            Self::ArtifactGenerator => "ArtifactGenerator",
            Self::ExternalArtifact => "ExternalArtifact",
            Self::FluxInstance => "FluxInstance",
            Self::ResourceSet => "ResourceSet",
            Self::ResourceSetInputProvider => "ResourceSetInputProvider",
        }
    }
}

/// Selects Flux objects by kind, name (`*` for all) and namespace, optionally
/// narrowed by labels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CrossNamespaceObjectReference {
    /// API version of the objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Kind of the objects.
    pub kind: FluxKind,
    /// Name of the object, or `*` for every object of the kind.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Namespace of the objects, `*` for all (needs name `*`); the
    /// referrer's when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub namespace: Option<String>,
    /// Labels the objects must carry; needs name `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<BTreeMap<String, String>>,
    /// CEL expression over `res` (Receiver only) deciding whether to trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
}

impl CrossNamespaceObjectReference {
    /// Name that selects every object.
    pub const WILDCARD: &str = "*";

    /// The namespace to look in: the reference's own, or `default`.
    pub fn namespace_or<'a>(&'a self, default: &'a str) -> &'a str {
        crate::meta::reference::non_empty(self.namespace.as_deref()).unwrap_or(default)
    }

    /// Whether `name` selects every object of the kind.
    pub fn is_wildcard(&self) -> bool {
        self.name == Self::WILDCARD
    }

    /// Checks Flux's rules: `matchLabels` and namespace `*` need name `*`.
    /// `field` is this reference's JSON path, e.g. `spec.eventSources[0]`.
    pub fn validate(&self, field: &str) -> Result<(), ValidationError> {
        ensure(
            self.match_labels.is_none() || self.is_wildcard(),
            &format!("{field}.matchLabels"),
            "requires name to be '*'",
        )?;
        ensure(
            self.namespace.as_deref() != Some(Self::WILDCARD) || self.is_wildcard(),
            &format!("{field}.namespace"),
            "'*' requires name to be '*'",
        )
    }
}
