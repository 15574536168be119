//! `Alert` (`notification.toolkit.fluxcd.io/v1beta3`): which events go to
//! which Provider. As in Flux v1beta3 it is static configuration with no
//! status.

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::meta::LocalObjectReference;
use crate::notification::CrossNamespaceObjectReference;
use crate::validation::ValidationError;

/// Desired state of an Alert.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "notification.toolkit.fluxcd.io",
    version = "v1beta3",
    kind = "Alert",
    namespaced,
    category = "all",
    category = "fluxcd",
    category = "fluxcd-notifications",
    annotation("kustomize.toolkit.fluxcd.io/substitute", "disabled"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    derive = "PartialEq",
    doc = "A rule forwarding events of selected objects to a Provider."
)]
#[serde(rename_all = "camelCase")]
pub struct AlertSpec {
    /// Provider to send to, in the same namespace.
    pub provider_ref: LocalObjectReference,
    /// `info` (every event, default) or `error` (errors only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "info"))]
    pub event_severity: Option<EventSeverity>,
    /// Objects whose events are sent.
    pub event_sources: Vec<CrossNamespaceObjectReference>,
    /// Go regexes; only matching messages are sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusion_list: Option<Vec<String>>,
    /// Metadata added to every event (event's own keys win).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_metadata: Option<BTreeMap<String, String>>,
    /// Go regexes; matching messages are dropped (after the inclusion list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusion_list: Option<Vec<String>>,
    /// Deprecated: short description added to events as `summary` metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255))]
    pub summary: Option<String>,
    /// Stop sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
}

/// Event severity filter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EventSeverity {
    /// Every event.
    #[default]
    Info,
    /// Error events only.
    Error,
}

impl Alert {
    /// Whether sending is suspended.
    pub fn is_suspended(&self) -> bool {
        self.spec.suspend.unwrap_or(false)
    }

    /// The severity filter, `info` when unset.
    pub fn event_severity(&self) -> EventSeverity {
        self.spec.event_severity.unwrap_or_default()
    }

    /// Checks every event source against Flux's rules (`matchLabels` and
    /// namespace `*` need name `*`).
    pub fn validate(&self) -> Result<(), ValidationError> {
        for (i, source) in self.spec.event_sources.iter().enumerate() {
            source.validate(&format!("spec.eventSources[{i}]"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(sources: serde_json::Value) -> Alert {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "notification.toolkit.fluxcd.io/v1beta3",
            "kind": "Alert",
            "metadata": {"name": "a", "namespace": "flux-system"},
            "spec": {"providerRef": {"name": "slack"}, "eventSources": sources},
        }))
        .expect("valid Alert")
    }

    #[test]
    fn match_labels_require_wildcard_name() {
        let bad = alert(serde_json::json!([
            {"kind": "GitRepository", "name": "*"},
            {"kind": "Kustomization", "name": "apps", "matchLabels": {"team": "a"}}
        ]));
        assert_eq!(
            bad.validate().map_err(|e| e.field),
            Err("spec.eventSources[1].matchLabels".to_string())
        );
        let ok = alert(serde_json::json!([
            {"kind": "Kustomization", "name": "*", "matchLabels": {"team": "a"}}
        ]));
        assert_eq!(ok.validate(), Ok(()));
        assert_eq!(ok.event_severity(), EventSeverity::Info);
    }

    #[test]
    fn wildcard_namespace_requires_wildcard_name() {
        let bad = alert(serde_json::json!([
            {"kind": "HelmRelease", "name": "x", "namespace": "*"}
        ]));
        assert_eq!(
            bad.validate().map_err(|e| e.field),
            Err("spec.eventSources[0].namespace".to_string())
        );
        assert_eq!(bad.spec.event_sources[0].namespace_or("flux-system"), "*");
    }
}
