//! `Receiver` (`notification.toolkit.fluxcd.io/v1`): a webhook endpoint that
//! requests reconciliation of selected objects when called.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::duration::{DurationError, parse_or};
use crate::meta::LocalObjectReference;
use crate::meta::reference::non_empty;
use crate::notification::CrossNamespaceObjectReference;
use crate::object::{impl_flux_object, impl_object_with_conditions};
use crate::validation::{ValidationError, ensure, ensure_duration};

/// Desired state of a Receiver.
// Printer columns legitimately repeat `type_ = "string"`.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "notification.toolkit.fluxcd.io",
    version = "v1",
    kind = "Receiver",
    namespaced,
    status = "ReceiverStatus",
    category = "all",
    category = "fluxcd",
    category = "fluxcd-notifications",
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
    doc = "A webhook that triggers reconciliation of selected objects."
)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverSpec {
    /// Sender type: decides payload validation and parsing.
    #[serde(rename = "type")]
    pub type_: ReceiverType,
    /// How often to re-check the Secret; 10m when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN), extend("default" = "10m"))]
    pub interval: Option<String>,
    /// Event types handled (e.g. `push`, `Push Hook`); all when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    /// Objects to reconcile on a valid call.
    pub resources: Vec<CrossNamespaceObjectReference>,
    /// CEL expression over `res`, `req` and `claims`; false skips a resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_filter: Option<String>,
    /// Secret with `token` (gcr also `email`, `audience`); required except
    /// for `generic-oidc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// OIDC issuers accepted by a `generic-oidc` receiver.
    #[serde(
        default,
        rename = "oidcProviders",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(extend(
        "x-kubernetes-list-type" = "map",
        "x-kubernetes-list-map-keys" = ["issuerURL"]
    ))]
    pub oidc_providers: Option<Vec<OIDCProvider>>,
    /// Stop handling calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
}

/// Webhook sender types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ReceiverType {
    /// Any caller knowing the secret path.
    #[serde(rename = "generic")]
    Generic,
    /// HMAC-signed calls (`X-Signature`).
    #[serde(rename = "generic-hmac")]
    GenericHmac,
    /// Calls authenticated by an OIDC token.
    #[serde(rename = "generic-oidc")]
    GenericOidc,
    /// GitHub (and Gitea) webhooks.
    #[serde(rename = "github")]
    GitHub,
    /// GitLab webhooks.
    #[serde(rename = "gitlab")]
    GitLab,
    /// Bitbucket Server webhooks.
    #[serde(rename = "bitbucket")]
    Bitbucket,
    /// Harbor webhooks.
    #[serde(rename = "harbor")]
    Harbor,
    /// Docker Hub webhooks.
    #[serde(rename = "dockerhub")]
    DockerHub,
    /// Quay webhooks.
    #[serde(rename = "quay")]
    Quay,
    /// Google Container Registry Pub/Sub push.
    #[serde(rename = "gcr")]
    Gcr,
    /// Nexus webhooks.
    #[serde(rename = "nexus")]
    Nexus,
    /// Azure Container Registry webhooks.
    #[serde(rename = "acr")]
    Acr,
    /// CDEvents.
    #[serde(rename = "cdevents")]
    CdEvents,
}

/// An OIDC issuer a `generic-oidc` receiver trusts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OIDCProvider {
    /// Issuer URL; must equal the token's `iss` claim.
    #[serde(rename = "issuerURL")]
    #[schemars(pattern(r"^https?://"))]
    pub issuer_url: String,
    /// Expected `aud` claim; `notification-controller` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Named CEL expressions, exposed as `vars.<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<Vec<OIDCVariable>>,
    /// CEL conditions on the claims; all must hold.
    #[schemars(length(min = 1))]
    pub validations: Vec<OIDCValidation>,
}

impl OIDCProvider {
    /// Audience expected when none is set.
    pub const DEFAULT_AUDIENCE: &str = "notification-controller";

    /// The expected audience.
    pub fn audience(&self) -> &str {
        non_empty(self.audience.as_deref()).unwrap_or(Self::DEFAULT_AUDIENCE)
    }
}

/// A named CEL expression over token claims.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OIDCVariable {
    /// Variable name (a CEL identifier).
    pub name: String,
    /// CEL expression.
    pub expression: String,
}

/// A CEL condition over token claims and variables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OIDCValidation {
    /// CEL boolean expression.
    pub expression: String,
    /// Returned to the caller when the expression is false.
    pub message: String,
}

/// Observed state of a Receiver.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverStatus {
    /// Last `reconcile.fluxcd.io/requestedAt` value handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
    /// Ready, Reconciling and Stalled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::meta::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// `/hook/<sha256(token+name+namespace)>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_path: Option<String>,
    /// Generation of the last finished reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

impl Receiver {
    /// Interval used when `spec.interval` is unset.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(600);
    /// Prefix of every webhook path.
    pub const WEBHOOK_PATH_PREFIX: &str = "/hook/";

    /// Secret re-check interval, 10m when unset.
    pub fn interval(&self) -> Result<Duration, DurationError> {
        parse_or(self.spec.interval.as_deref(), Self::DEFAULT_INTERVAL)
    }

    /// The webhook path for `token`: `/hook/` + hex SHA-256 of
    /// token, name and namespace concatenated (as Flux).
    pub fn webhook_path(&self, token: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(token.as_bytes());
        hasher.update(self.metadata.name.as_deref().unwrap_or_default().as_bytes());
        hasher.update(
            self.metadata
                .namespace
                .as_deref()
                .unwrap_or_default()
                .as_bytes(),
        );
        let hex: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{}{hex}", Self::WEBHOOK_PATH_PREFIX)
    }

    /// Checks the rules Flux enforces with CEL.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let oidc = self.spec.type_ == ReceiverType::GenericOidc;
        let providers = self.spec.oidc_providers.as_deref().unwrap_or_default();
        ensure(
            !oidc || !providers.is_empty(),
            "spec.oidcProviders",
            "generic-oidc receivers must define at least one oidcProvider",
        )?;
        ensure(
            oidc || providers.is_empty(),
            "spec.oidcProviders",
            "can only be set when type is generic-oidc",
        )?;
        ensure(
            !oidc || self.spec.secret_ref.is_none(),
            "spec.secretRef",
            "cannot be set when type is generic-oidc",
        )?;
        ensure(
            oidc || self.spec.secret_ref.is_some(),
            "spec.secretRef",
            "required when type is not generic-oidc",
        )?;
        for (i, resource) in self.spec.resources.iter().enumerate() {
            resource.validate(&format!("spec.resources[{i}]"))?;
        }
        ensure_duration(self.spec.interval.as_deref(), "spec.interval")
    }
}

impl_object_with_conditions!(ReceiverStatus);
impl_flux_object!(Receiver, ReceiverStatus);

#[cfg(test)]
mod tests {
    use super::*;

    fn receiver(spec: serde_json::Value) -> Receiver {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "notification.toolkit.fluxcd.io/v1",
            "kind": "Receiver",
            "metadata": {"name": "github-receiver", "namespace": "flux-system"},
            "spec": spec,
        }))
        .expect("valid Receiver")
    }

    #[test]
    fn webhook_path_is_sha256_of_token_name_namespace() {
        let r = receiver(serde_json::json!({"type": "github",
            "resources": [{"kind": "GitRepository", "name": "app"}],
            "secretRef": {"name": "token"}}));
        let expected: String = Sha256::digest(b"s3cretgithub-receiverflux-system")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(r.webhook_path("s3cret"), format!("/hook/{expected}"));
        assert_eq!(r.interval(), Ok(Duration::from_secs(600)));
        assert_eq!(r.validate(), Ok(()));
    }

    #[test]
    fn secret_ref_and_oidc_providers_follow_the_type() {
        let no_secret = receiver(serde_json::json!({"type": "generic", "resources": []}));
        assert_eq!(
            no_secret.validate().map_err(|e| e.field),
            Err("spec.secretRef".to_string())
        );
        let oidc_without_providers =
            receiver(serde_json::json!({"type": "generic-oidc", "resources": []}));
        assert_eq!(
            oidc_without_providers.validate().map_err(|e| e.field),
            Err("spec.oidcProviders".to_string())
        );
        let oidc = receiver(serde_json::json!({"type": "generic-oidc", "resources": [],
            "oidcProviders": [{"issuerURL": "https://token.actions.githubusercontent.com",
                "validations": [{"expression": "true", "message": "m"}]}]}));
        assert_eq!(oidc.validate(), Ok(()));
        let providers = oidc.spec.oidc_providers.as_deref().unwrap_or_default();
        assert_eq!(providers[0].audience(), "notification-controller");
    }
}
