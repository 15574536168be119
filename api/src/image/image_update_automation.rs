//! `ImageUpdateAutomation` (`image.toolkit.fluxcd.io/v1`): rewrites image
//! references marked with setters in a Git repository and pushes a commit.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::{DurationError, parse_duration};
use crate::image::ImageRef;
use crate::meta::LocalObjectReference;
use crate::meta::reference::non_empty;
use crate::object::{impl_flux_object, impl_object_with_conditions};
use crate::source::GitRepositoryRef;
use crate::validation::{ValidationError, ensure, ensure_duration};

/// Desired state of an ImageUpdateAutomation.
// Printer columns legitimately repeat `type_ = "string"`.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "image.toolkit.fluxcd.io",
    version = "v1",
    kind = "ImageUpdateAutomation",
    namespaced,
    status = "ImageUpdateAutomationStatus",
    shortname = "iua",
    shortname = "imgupd",
    shortname = "imgauto",
    category = "all",
    category = "fluxcd",
    category = "fluxcd-images",
    annotation("kustomize.toolkit.fluxcd.io/substitute", "disabled"),
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
        name = "Last run",
        type_ = "string",
        json_path = ".status.lastAutomationRunTime",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    derive = "PartialEq",
    doc = "Image tag updates committed and pushed to a Git repository."
)]
#[serde(rename_all = "camelCase")]
pub struct ImageUpdateAutomationSpec {
    /// The GitRepository giving URL, credentials and default checkout.
    pub source_ref: AutomationSourceReference,
    /// Checkout, commit and push settings (required in practice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitSpec>,
    /// How often to run (Go duration).
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub interval: String,
    /// ImagePolicies to apply, by label; all in the namespace when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_selector: Option<LabelSelector>,
    /// How files are updated; Setters over the whole tree when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = {"strategy": "Setters"}))]
    pub update: Option<UpdateStrategy>,
    /// Stop running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
}

/// Source kinds an automation can update (only GitRepository).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum AutomationSourceKind {
    /// A GitRepository.
    #[default]
    GitRepository,
}

/// The GitRepository an automation updates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutomationSourceReference {
    /// API version of the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Kind of the source; `GitRepository`.
    #[schemars(extend("default" = "GitRepository"))]
    pub kind: AutomationSourceKind,
    /// Name of the source.
    pub name: String,
    /// Namespace of the source; the automation's when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// Git settings of an automation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitSpec {
    /// What to check out; the GitRepository's ref when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout: Option<GitCheckoutSpec>,
    /// How to write the commit.
    pub commit: CommitSpec,
    /// Where to push; the checked-out branch when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<PushSpec>,
}

/// Checkout settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitCheckoutSpec {
    /// Reference to check out.
    #[serde(rename = "ref")]
    pub reference: GitRepositoryRef,
}

/// Commit settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommitSpec {
    /// Commit author.
    pub author: CommitUser,
    /// Key used to sign the commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<SigningKey>,
    /// Go template of the commit message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_template: Option<String>,
    /// Values available to the template as `.Values`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_template_values: Option<BTreeMap<String, String>>,
}

/// Commit author.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommitUser {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email address.
    pub email: String,
}

/// Commit signing key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SigningKey {
    /// Secret with `git.asc` (+`passphrase`) for GPG or `identity`
    /// (+`password`) for SSH.
    pub secret_ref: LocalObjectReference,
    /// `gpg` or `ssh`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<SigningKeyType>,
}

/// Signature format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SigningKeyType {
    /// OpenPGP.
    #[default]
    Gpg,
    /// SSH signature.
    Ssh,
}

/// Push settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushSpec {
    /// Branch to push to, created from the checkout if missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Refspec to push.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refspec: Option<String>,
    /// Git push options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<BTreeMap<String, String>>,
}

/// How files are updated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStrategy {
    /// Update strategy; `Setters` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "Setters"))]
    pub strategy: Option<UpdateStrategyName>,
    /// Directory to update; the repository root when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Update strategies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum UpdateStrategyName {
    /// `# {"$imagepolicy": "ns:name[:tag|:name|:digest]"}` markers.
    #[default]
    Setters,
}

/// Observed state of an ImageUpdateAutomation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageUpdateAutomationStatus {
    /// When the automation last ran to completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_automation_run_time: Option<Time>,
    /// SHA of the last commit pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_push_commit: Option<String>,
    /// When the last commit was pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_push_time: Option<Time>,
    /// Generation of the last finished reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling and Stalled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::meta::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// Latest images of the policies applied, by policy name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_policies: Option<BTreeMap<String, ImageRef>>,
    /// Source revision seen by the last run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_source_revision: Option<String>,
    /// Last `reconcile.fluxcd.io/requestedAt` value handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
}

impl ImageUpdateAutomation {
    /// Commit message used when no template is set.
    pub const DEFAULT_COMMIT_MESSAGE: &str = "Update from image update automation";

    /// `spec.interval` as a duration.
    pub fn interval(&self) -> Result<Duration, DurationError> {
        parse_duration(&self.spec.interval)
    }

    /// The source's namespace, defaulting to the automation's.
    pub fn source_namespace(&self) -> &str {
        non_empty(self.spec.source_ref.namespace.as_deref())
            .unwrap_or_else(|| self.metadata.namespace.as_deref().unwrap_or_default())
    }

    /// Directory to update, the repository root (`""`) when unset.
    pub fn update_path(&self) -> &str {
        self.spec
            .update
            .as_ref()
            .and_then(|u| u.path.as_deref())
            .unwrap_or_default()
    }

    /// The checkout reference, if it overrides the GitRepository's.
    pub fn checkout_ref(&self) -> Option<&GitRepositoryRef> {
        Some(&self.spec.git.as_ref()?.checkout.as_ref()?.reference)
    }

    /// Branch to push to, if set.
    pub fn push_branch(&self) -> Option<&str> {
        let push = self.spec.git.as_ref()?.push.as_ref()?;
        non_empty(push.branch.as_deref())
    }

    /// The commit message template, or `None` for the default message.
    pub fn message_template(&self) -> Option<&str> {
        non_empty(self.spec.git.as_ref()?.commit.message_template.as_deref())
    }

    /// Checks that Git settings are present, and durations.
    pub fn validate(&self) -> Result<(), ValidationError> {
        ensure(
            self.spec.git.is_some(),
            "spec.git",
            "must be set for a GitRepository source",
        )?;
        ensure_duration(Some(&self.spec.interval), "spec.interval")
    }
}

impl_object_with_conditions!(ImageUpdateAutomationStatus);
impl_flux_object!(ImageUpdateAutomation, ImageUpdateAutomationStatus);

#[cfg(test)]
mod tests {
    use super::*;

    fn automation(spec: serde_json::Value) -> ImageUpdateAutomation {
        let mut base = serde_json::json!({
            "interval": "30m",
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"}
        });
        if let (Some(b), Some(extra)) = (base.as_object_mut(), spec.as_object()) {
            b.extend(extra.clone());
        }
        serde_json::from_value(serde_json::json!({
            "apiVersion": "image.toolkit.fluxcd.io/v1",
            "kind": "ImageUpdateAutomation",
            "metadata": {"name": "auto", "namespace": "flux-system"},
            "spec": base,
        }))
        .expect("valid ImageUpdateAutomation")
    }

    #[test]
    fn git_settings_are_required_and_read_back() {
        let bare = automation(serde_json::json!({}));
        assert_eq!(
            bare.validate().map_err(|e| e.field),
            Err("spec.git".to_string())
        );
        assert_eq!(bare.update_path(), "");
        assert_eq!(bare.source_namespace(), "flux-system");
        let full = automation(serde_json::json!({
            "git": {
                "checkout": {"ref": {"branch": "main"}},
                "commit": {"author": {"email": "bot@example.com"}},
                "push": {"branch": "image-updates"}
            },
            "update": {"path": "./clusters", "strategy": "Setters"}
        }));
        assert_eq!(full.validate(), Ok(()));
        assert_eq!(full.push_branch(), Some("image-updates"));
        assert_eq!(full.update_path(), "./clusters");
        assert_eq!(full.message_template(), None);
        assert_eq!(
            full.checkout_ref().map(GitRepositoryRef::checkout),
            Some(crate::source::GitCheckout::Branch("main"))
        );
    }
}
