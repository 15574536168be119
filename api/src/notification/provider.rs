//! `Provider` (`notification.toolkit.fluxcd.io/v1beta3`): where alerts are
//! sent. As in Flux v1beta3 it is static configuration with no status.

use std::time::Duration;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::{DurationError, parse_or};
use crate::meta::LocalObjectReference;
use crate::meta::reference::non_empty;
use crate::validation::{ValidationError, ensure, ensure_duration};

/// Desired state of a Provider.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "notification.toolkit.fluxcd.io",
    version = "v1beta3",
    kind = "Provider",
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
    doc = "A notification target (chat, webhook, Git commit status, ...)."
)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSpec {
    /// Which provider implementation to use.
    #[serde(rename = "type")]
    pub type_: ProviderType,
    /// Deprecated and unused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub interval: Option<String>,
    /// Destination channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub channel: Option<String>,
    /// Name events are posted as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub username: Option<String>,
    /// Endpoint (URL, project ID, topic, ...) depending on the type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub address: Option<String>,
    /// Timeout of a send; 15s when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::TIMEOUT_PATTERN))]
    pub timeout: Option<String>,
    /// Deprecated: use `proxySecretRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048), pattern(r"^(http|https)://.*$"))]
    pub proxy: Option<String>,
    /// Secret with `address` (and optional `username`, `password`) of a proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_secret_ref: Option<LocalObjectReference>,
    /// Secret with `address`, `token`, `username`, `password`, `headers`, `proxy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// ServiceAccount for workload identity (azureeventhub, azuredevops,
    /// googlepubsub).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// Secret with `ca.crt` and/or `tls.crt`/`tls.key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_secret_ref: Option<LocalObjectReference>,
    /// Stop sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// CEL expression (over `event`, `provider`, `alert`) giving the commit
    /// status key; commit-status types only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_status_expr: Option<String>,
}

/// Provider implementations, spelled as Flux does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ProviderType {
    /// Slack.
    #[serde(rename = "slack")]
    Slack,
    /// Discord.
    #[serde(rename = "discord")]
    Discord,
    /// Microsoft Teams.
    #[serde(rename = "msteams")]
    MsTeams,
    /// Rocket.Chat.
    #[serde(rename = "rocket")]
    Rocket,
    /// JSON event POSTed to `address`.
    #[serde(rename = "generic")]
    Generic,
    /// JSON event POSTed with an `X-Signature` HMAC header.
    #[serde(rename = "generic-hmac")]
    GenericHmac,
    /// GitHub commit status.
    #[serde(rename = "github")]
    GitHub,
    /// GitLab commit status.
    #[serde(rename = "gitlab")]
    GitLab,
    /// Gitea commit status.
    #[serde(rename = "gitea")]
    Gitea,
    /// Gitea pull request comment.
    #[serde(rename = "giteapullrequestcomment")]
    GiteaPullRequestComment,
    /// Bitbucket Server commit status.
    #[serde(rename = "bitbucketserver")]
    BitbucketServer,
    /// Bitbucket Cloud commit status.
    #[serde(rename = "bitbucket")]
    Bitbucket,
    /// Azure DevOps commit status.
    #[serde(rename = "azuredevops")]
    AzureDevOps,
    /// Google Chat.
    #[serde(rename = "googlechat")]
    GoogleChat,
    /// Google Pub/Sub.
    #[serde(rename = "googlepubsub")]
    GooglePubSub,
    /// Webex.
    #[serde(rename = "webex")]
    Webex,
    /// Sentry.
    #[serde(rename = "sentry")]
    Sentry,
    /// Azure Event Hub.
    #[serde(rename = "azureeventhub")]
    AzureEventHub,
    /// Telegram.
    #[serde(rename = "telegram")]
    Telegram,
    /// Lark.
    #[serde(rename = "lark")]
    Lark,
    /// Matrix.
    #[serde(rename = "matrix")]
    Matrix,
    /// Opsgenie.
    #[serde(rename = "opsgenie")]
    Opsgenie,
    /// Prometheus Alertmanager.
    #[serde(rename = "alertmanager")]
    Alertmanager,
    /// Grafana annotations.
    #[serde(rename = "grafana")]
    Grafana,
    /// GitHub repository dispatch.
    #[serde(rename = "githubdispatch")]
    GitHubDispatch,
    /// GitHub pull request comment.
    #[serde(rename = "githubpullrequestcomment")]
    GitHubPullRequestComment,
    /// GitLab merge request comment.
    #[serde(rename = "gitlabmergerequestcomment")]
    GitLabMergeRequestComment,
    /// PagerDuty.
    #[serde(rename = "pagerduty")]
    PagerDuty,
    /// Datadog.
    #[serde(rename = "datadog")]
    Datadog,
    /// NATS.
    #[serde(rename = "nats")]
    Nats,
    /// Zulip.
    #[serde(rename = "zulip")]
    Zulip,
    /// OpenTelemetry traces.
    #[serde(rename = "otel")]
    Otel,
    /// Zoom.
    #[serde(rename = "zoom")]
    Zoom,
    /// incident.io.
    #[serde(rename = "incident.io")]
    IncidentIo,
}

impl ProviderType {
    /// Whether the provider reports Git commit statuses (and so may use
    /// `commitStatusExpr`).
    pub fn is_commit_status(self) -> bool {
        matches!(
            self,
            Self::GitHub
                | Self::GitLab
                | Self::Gitea
                | Self::BitbucketServer
                | Self::Bitbucket
                | Self::AzureDevOps
        )
    }
}

impl Provider {
    /// Send timeout used when `spec.timeout` is unset.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

    /// Whether sending is suspended.
    pub fn is_suspended(&self) -> bool {
        self.spec.suspend.unwrap_or(false)
    }

    /// Send timeout, 15s when unset.
    pub fn timeout(&self) -> Result<Duration, DurationError> {
        parse_or(self.spec.timeout.as_deref(), Self::DEFAULT_TIMEOUT)
    }

    /// Checks the rule Flux enforces with CEL, and durations.
    pub fn validate(&self) -> Result<(), ValidationError> {
        ensure(
            non_empty(self.spec.commit_status_expr.as_deref()).is_none()
                || self.spec.type_.is_commit_status(),
            "spec.commitStatusExpr",
            "only supported for the 'github', 'gitlab', 'gitea', 'bitbucketserver', \
             'bitbucket', 'azuredevops' provider types",
        )?;
        ensure_duration(self.spec.timeout.as_deref(), "spec.timeout")?;
        ensure_duration(self.spec.interval.as_deref(), "spec.interval")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(spec: serde_json::Value) -> Provider {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "notification.toolkit.fluxcd.io/v1beta3",
            "kind": "Provider",
            "metadata": {"name": "p"},
            "spec": spec,
        }))
        .expect("valid Provider")
    }

    #[test]
    fn types_keep_flux_spelling() {
        let p = provider(serde_json::json!({"type": "incident.io"}));
        assert_eq!(p.spec.type_, ProviderType::IncidentIo);
        let p = provider(serde_json::json!({"type": "generic-hmac"}));
        assert_eq!(
            serde_json::to_value(p.spec.type_).expect("json"),
            serde_json::json!("generic-hmac")
        );
        assert_eq!(p.timeout(), Ok(Duration::from_secs(15)));
    }

    #[test]
    fn commit_status_expr_only_for_commit_status_types() {
        let bad = provider(serde_json::json!({"type": "slack", "commitStatusExpr": "x"}));
        assert_eq!(
            bad.validate().map_err(|e| e.field),
            Err("spec.commitStatusExpr".to_string())
        );
        let ok = provider(serde_json::json!({"type": "github", "commitStatusExpr": "x"}));
        assert_eq!(ok.validate(), Ok(()));
    }
}
