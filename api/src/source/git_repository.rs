//! `GitRepository` (`source.toolkit.fluxcd.io/v1`): a Git repository whose
//! checked-out revision source-controller publishes as an artifact.

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

/// Desired state of a GitRepository.
// Printer columns legitimately repeat `type_ = "string"`.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "source.toolkit.fluxcd.io",
    version = "v1",
    kind = "GitRepository",
    namespaced,
    status = "GitRepositoryStatus",
    shortname = "gitrepo",
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
    doc = "A Git repository published as an artifact by source-controller."
)]
#[serde(rename_all = "camelCase")]
pub struct GitRepositorySpec {
    /// Repository address: `http://`, `https://` or `ssh://`.
    #[schemars(pattern(r"^(http|https|ssh)://.*$"))]
    pub url: String,
    /// Secret with credentials: `username`/`password` or `bearerToken` for
    /// HTTPS, `identity`/`known_hosts` for SSH, `ca.crt`/`tls.crt`/`tls.key`
    /// for TLS, GitHub App keys for provider `github`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// How to authenticate; `generic` (secretRef) when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<GitProvider>,
    /// ServiceAccount used for workload identity; only with `azure` or `aws`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// How often to look for new revisions (Go duration).
    #[schemars(pattern(crate::duration::INTERVAL_PATTERN))]
    pub interval: String,
    /// Timeout of Git operations; 60s when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(crate::duration::TIMEOUT_PATTERN), extend("default" = "60s"))]
    pub timeout: Option<String>,
    /// Reference to check out; branch `master` when unset.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<GitRepositoryRef>,
    /// Commit or tag signature verification.
    #[serde(default, rename = "verify", skip_serializing_if = "Option::is_none")]
    pub verification: Option<GitRepositoryVerification>,
    /// Secret with `address` (and optional `username`, `password`) of a proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_secret_ref: Option<LocalObjectReference>,
    /// `.sourceignore`-style patterns replacing the default exclusions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore: Option<String>,
    /// Stop reconciling this object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// Check out submodules too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurse_submodules: Option<bool>,
    /// Other GitRepositories whose artifacts are copied into this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<Vec<GitRepositoryInclude>>,
    /// Directories to check out; the whole tree when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparse_checkout: Option<Vec<String>>,
}

/// Authentication provider of a GitRepository.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GitProvider {
    /// Credentials from `secretRef`.
    Generic,
    /// AWS CodeCommit with IAM credentials.
    Aws,
    /// Azure DevOps with workload identity.
    Azure,
    /// GitHub App credentials from `secretRef`.
    Github,
}

/// The Git reference to check out. Precedence, as Flux:
/// commit > name > semver > tag > branch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitRepositoryRef {
    /// Branch to follow; `master` when no field is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Tag to check out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// SemVer range; the highest matching tag is checked out.
    #[serde(default, rename = "semver", skip_serializing_if = "Option::is_none")]
    pub semver: Option<String>,
    /// Full reference name, e.g. `refs/pull/420/head`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Commit SHA; with `branch`, the branch is cloned shallowly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// What to check out, resolved from a GitRepositoryRef by precedence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GitCheckout<'a> {
    /// An exact commit, optionally on a branch to clone.
    Commit {
        /// The commit SHA.
        commit: &'a str,
        /// Branch expected to contain it.
        branch: Option<&'a str>,
    },
    /// A full reference name.
    Name(&'a str),
    /// The highest tag matching a SemVer range.
    SemVer(&'a str),
    /// A tag.
    Tag(&'a str),
    /// The head of a branch.
    Branch(&'a str),
}

impl GitRepositoryRef {
    /// Branch used when nothing is set.
    pub const DEFAULT_BRANCH: &str = "master";

    /// The checkout this reference asks for, by Flux's precedence.
    pub fn checkout(&self) -> GitCheckout<'_> {
        let branch = non_empty(self.branch.as_deref());
        if let Some(commit) = non_empty(self.commit.as_deref()) {
            return GitCheckout::Commit { commit, branch };
        }
        if let Some(name) = non_empty(self.name.as_deref()) {
            return GitCheckout::Name(name);
        }
        if let Some(range) = non_empty(self.semver.as_deref()) {
            return GitCheckout::SemVer(range);
        }
        if let Some(tag) = non_empty(self.tag.as_deref()) {
            return GitCheckout::Tag(tag);
        }
        GitCheckout::Branch(branch.unwrap_or(Self::DEFAULT_BRANCH))
    }
}

/// Which Git objects to verify.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum GitVerificationMode {
    /// Legacy spelling of `HEAD`.
    #[serde(rename = "head")]
    HeadLegacy,
    /// The commit HEAD points to.
    #[default]
    #[serde(rename = "HEAD")]
    Head,
    /// The tag object.
    Tag,
    /// Both the tag and the commit it points to.
    #[serde(rename = "TagAndHEAD")]
    TagAndHead,
}

impl GitVerificationMode {
    /// Whether the HEAD commit must be verified.
    pub fn verifies_head(self) -> bool {
        matches!(self, Self::Head | Self::HeadLegacy | Self::TagAndHead)
    }

    /// Whether the tag object must be verified.
    pub fn verifies_tag(self) -> bool {
        matches!(self, Self::Tag | Self::TagAndHead)
    }
}

/// Commit signature verification settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitRepositoryVerification {
    /// Objects to verify; `HEAD` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "HEAD"))]
    pub mode: Option<GitVerificationMode>,
    /// Secret with trusted keys: `*.asc` PGP keyrings, `*.sshpub` SSH keys.
    pub secret_ref: LocalObjectReference,
}

impl GitRepositoryVerification {
    /// The mode, `HEAD` when unset.
    pub fn mode(&self) -> GitVerificationMode {
        self.mode.unwrap_or_default()
    }
}

/// Another GitRepository's artifact to copy into this one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitRepositoryInclude {
    /// The GitRepository to include, in the same namespace.
    pub repository: LocalObjectReference,
    /// Directory of the included artifact to copy; its root when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_path: Option<String>,
    /// Destination directory; the included repository's name when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_path: Option<String>,
}

impl GitRepositoryInclude {
    /// Source directory, the artifact root when unset.
    pub fn from_path(&self) -> &str {
        self.from_path.as_deref().unwrap_or("")
    }

    /// Destination directory, defaulting to the included repository's name.
    pub fn to_path(&self) -> &str {
        non_empty(self.to_path.as_deref()).unwrap_or(&self.repository.name)
    }
}

/// Observed state of a GitRepository.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitRepositoryStatus {
    /// Generation of the last finished reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling, Stalled and the source conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::meta::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// The last artifact stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<Artifact>,
    /// Artifacts of the included repositories, in `spec.include` order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included_artifacts: Option<Vec<Artifact>>,
    /// `spec.ignore` used for the current artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_ignore: Option<String>,
    /// `spec.recurseSubmodules` used for the current artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_recurse_submodules: Option<bool>,
    /// `spec.include` used for the current artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_include: Option<Vec<GitRepositoryInclude>>,
    /// `spec.sparseCheckout` used for the current artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_sparse_checkout: Option<Vec<String>>,
    /// Verification mode used for the current artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_verification_mode: Option<GitVerificationMode>,
    /// Last `reconcile.fluxcd.io/requestedAt` value handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
}

impl GitRepository {
    /// Default Git operation timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

    /// `spec.interval` as a duration.
    pub fn interval(&self) -> Result<Duration, DurationError> {
        parse_duration(&self.spec.interval)
    }

    /// Git operation timeout, 60s when unset.
    pub fn timeout(&self) -> Result<Duration, DurationError> {
        parse_or(self.spec.timeout.as_deref(), Self::DEFAULT_TIMEOUT)
    }

    /// The authentication provider, `generic` when unset.
    pub fn provider(&self) -> GitProvider {
        self.spec.provider.unwrap_or(GitProvider::Generic)
    }

    /// What to check out, by Flux's precedence (branch `master` by default).
    pub fn checkout(&self) -> GitCheckout<'_> {
        match &self.spec.reference {
            Some(r) => r.checkout(),
            None => GitCheckout::Branch(GitRepositoryRef::DEFAULT_BRANCH),
        }
    }

    /// The artifact in status, if any.
    pub fn artifact(&self) -> Option<&Artifact> {
        self.status.as_ref().and_then(|s| s.artifact.as_ref())
    }

    /// Checks the rules Flux enforces with CEL.
    pub fn validate(&self) -> Result<(), ValidationError> {
        ensure(
            non_empty(self.spec.service_account_name.as_deref()).is_none()
                || matches!(
                    self.spec.provider,
                    Some(GitProvider::Azure | GitProvider::Aws)
                ),
            "spec.serviceAccountName",
            "can only be set when spec.provider is 'azure' or 'aws'",
        )?;
        ensure_duration(Some(&self.spec.interval), "spec.interval")?;
        ensure_duration(self.spec.timeout.as_deref(), "spec.timeout")
    }
}

impl_object_with_conditions!(GitRepositoryStatus);
impl_flux_object!(GitRepository, GitRepositoryStatus);

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(spec: serde_json::Value) -> GitRepository {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "GitRepository",
            "metadata": {"name": "podinfo", "namespace": "default"},
            "spec": spec,
        }))
        .expect("valid GitRepository")
    }

    #[test]
    fn checkout_defaults_to_master_branch() {
        let r = repo(serde_json::json!({"url": "https://x/y", "interval": "1m"}));
        assert_eq!(r.checkout(), GitCheckout::Branch("master"));
        let r = repo(serde_json::json!({"url": "https://x/y", "interval": "1m", "ref": {}}));
        assert_eq!(r.checkout(), GitCheckout::Branch("master"));
    }

    #[test]
    fn checkout_precedence_is_commit_name_semver_tag_branch() {
        let all = GitRepositoryRef {
            branch: Some("main".into()),
            tag: Some("v1".into()),
            semver: Some(">=1".into()),
            name: Some("refs/heads/x".into()),
            commit: Some("abc".into()),
        };
        assert_eq!(
            all.checkout(),
            GitCheckout::Commit {
                commit: "abc",
                branch: Some("main")
            }
        );
        let no_commit = GitRepositoryRef {
            commit: None,
            ..all.clone()
        };
        assert_eq!(no_commit.checkout(), GitCheckout::Name("refs/heads/x"));
        let no_name = GitRepositoryRef {
            name: None,
            ..no_commit
        };
        assert_eq!(no_name.checkout(), GitCheckout::SemVer(">=1"));
        let no_semver = GitRepositoryRef {
            semver: None,
            ..no_name
        };
        assert_eq!(no_semver.checkout(), GitCheckout::Tag("v1"));
        let branch_only = GitRepositoryRef {
            tag: None,
            ..no_semver
        };
        assert_eq!(branch_only.checkout(), GitCheckout::Branch("main"));
    }

    #[test]
    fn timeout_defaults_to_sixty_seconds() {
        let r = repo(serde_json::json!({"url": "https://x/y", "interval": "1m30s"}));
        assert_eq!(r.timeout(), Ok(Duration::from_secs(60)));
        assert_eq!(r.interval(), Ok(Duration::from_secs(90)));
        assert_eq!(r.provider(), GitProvider::Generic);
    }

    #[test]
    fn service_account_requires_azure_or_aws_provider() {
        let bad = repo(serde_json::json!({
            "url": "https://x/y", "interval": "1m", "serviceAccountName": "sa"
        }));
        let err = bad.validate().expect_err("must fail");
        assert_eq!(err.field, "spec.serviceAccountName");
        let ok = repo(serde_json::json!({
            "url": "https://x/y", "interval": "1m", "serviceAccountName": "sa", "provider": "aws"
        }));
        assert_eq!(ok.validate(), Ok(()));
    }

    #[test]
    fn include_destination_defaults_to_repository_name() {
        let inc = GitRepositoryInclude {
            repository: LocalObjectReference::new("shared"),
            ..Default::default()
        };
        assert_eq!(inc.to_path(), "shared");
        assert_eq!(inc.from_path(), "");
    }

    #[test]
    fn verification_mode_defaults_to_head() {
        let v = GitRepositoryVerification {
            mode: None,
            secret_ref: LocalObjectReference::new("keys"),
        };
        assert_eq!(v.mode(), GitVerificationMode::Head);
        assert!(v.mode().verifies_head() && !v.mode().verifies_tag());
    }
}
