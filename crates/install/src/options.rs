//! What an installation is parametrised by: `capstan install`'s flags, as `flux install`'s.

use crate::component::{Component, canonical};

/// The namespace Capstan installs into by default (Flux: `flux-system`).
pub const DEFAULT_NAMESPACE: &str = "capstan-system";

/// Where the controller images are published.
pub const DEFAULT_REGISTRY: &str = "ghcr.io/capstan-gitops";

/// The log levels the controllers accept (`--log-level`).
pub const LOG_LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error"];

/// The parameters of an installation; `Default` is what `capstan install` does with no flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallOptions {
    /// The namespace of the controllers; it also suffixes the cluster-scoped RBAC names, so
    /// installs in two namespaces do not overwrite each other's ClusterRoles.
    pub namespace: String,
    /// The controllers to install (with the CRDs they own).
    pub components: Vec<Component>,
    /// The image registry: images are `<registry>/<controller>:<version>`.
    pub registry: String,
    /// The image tag (`v0.1.0`; a bare `0.1.0` gets its `v`), also the
    /// `app.kubernetes.io/version` label.
    pub version: String,
    /// A Secret in the namespace the kubelet pulls the images with.
    pub image_pull_secret: Option<String>,
    /// Whether the controllers watch every namespace or only their own.
    pub watch_all_namespaces: bool,
    /// Whether to install Flux's NetworkPolicies (ingress only from the namespace, metrics
    /// scraping from anywhere, egress open).
    pub network_policy: bool,
    /// The controllers' `--log-level`.
    pub log_level: String,
    /// The cluster's DNS domain, for the artifact URLs source-controller advertises.
    pub cluster_domain: String,
    /// Taint keys the controllers tolerate (`operator: Exists`), for dedicated nodes.
    pub toleration_keys: Vec<String>,
}

impl Default for InstallOptions {
    fn default() -> Self {
        Self {
            namespace: DEFAULT_NAMESPACE.to_string(),
            components: Component::all().to_vec(),
            registry: DEFAULT_REGISTRY.to_string(),
            version: default_version(),
            image_pull_secret: None,
            watch_all_namespaces: true,
            network_policy: true,
            log_level: "info".to_string(),
            cluster_domain: "cluster.local".to_string(),
            toleration_keys: Vec::new(),
        }
    }
}

/// `v` + this crate's version: the CLI installs the controllers it was released with.
pub fn default_version() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

impl InstallOptions {
    /// The selected components, deduplicated, in install order.
    pub fn selected(&self) -> Vec<Component> {
        canonical(&self.components)
    }

    /// The image tag: `version` with a leading `v` added to a bare semantic version.
    pub fn tag(&self) -> String {
        let version = self.version.trim();
        if version.starts_with(|c: char| c.is_ascii_digit()) {
            format!("v{version}")
        } else {
            version.to_string()
        }
    }

    /// The image of a controller: `<registry>/<controller>:<tag>`.
    pub fn image(&self, component: Component) -> String {
        format!(
            "{}/{}:{}",
            self.registry.trim_end_matches('/'),
            component.name(),
            self.tag()
        )
    }

    /// Checks the options once, so generation itself cannot fail; each message names the
    /// option and what a valid value looks like.
    pub fn validate(&self) -> Result<(), InvalidOptions> {
        let invalid = |option: &'static str, message: String| InvalidOptions { option, message };
        if !is_dns_label(&self.namespace) {
            return Err(invalid(
                "namespace",
                format!(
                    "'{}' is not a valid namespace name (lower-case letters, digits and '-', at most 63 characters)",
                    self.namespace
                ),
            ));
        }
        if self.selected().is_empty() {
            return Err(invalid(
                "components",
                format!("no component selected; valid: {}", Component::names()),
            ));
        }
        if self.registry.trim().is_empty() || self.registry.contains(char::is_whitespace) {
            return Err(invalid(
                "registry",
                format!("'{}' is not an image registry", self.registry),
            ));
        }
        let tag = self.tag();
        let tag_ok = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !tag_ok {
            return Err(invalid(
                "version",
                format!("'{}' is not a valid image tag", self.version),
            ));
        }
        if !LOG_LEVELS.contains(&self.log_level.as_str()) {
            return Err(invalid(
                "log-level",
                format!(
                    "'{}' is not one of {}",
                    self.log_level,
                    LOG_LEVELS.join(", ")
                ),
            ));
        }
        if let Some(secret) = &self.image_pull_secret
            && !is_dns_subdomain(secret)
        {
            return Err(invalid(
                "image-pull-secret",
                format!("'{secret}' is not a valid Secret name"),
            ));
        }
        if !self.cluster_domain.split('.').all(is_dns_label) {
            return Err(invalid(
                "cluster-domain",
                format!("'{}' is not a DNS domain", self.cluster_domain),
            ));
        }
        if let Some(key) = self.toleration_keys.iter().find(|k| k.trim().is_empty()) {
            return Err(invalid(
                "toleration-keys",
                format!("'{key}' is not a taint key"),
            ));
        }
        Ok(())
    }
}

/// An option [`InstallOptions::validate`] refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid --{option}: {message}")]
pub struct InvalidOptions {
    /// The flag's name, without dashes.
    pub option: &'static str,
    /// What is wrong and what is expected.
    pub message: String,
}

fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_flux_install_defaults_for_capstan() {
        let options = InstallOptions::default();
        assert_eq!(options.namespace, "capstan-system");
        assert_eq!(options.selected(), Component::all());
        assert!(options.watch_all_namespaces && options.network_policy);
        assert_eq!(
            options.image(Component::SourceController),
            format!(
                "ghcr.io/capstan-gitops/source-controller:v{}",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert_eq!(options.validate(), Ok(()));
    }

    #[test]
    fn a_bare_version_gets_its_v_and_the_registry_its_slash() {
        let options = InstallOptions {
            version: "1.2.3".into(),
            registry: "registry.local:5000/mirror/".into(),
            ..InstallOptions::default()
        };
        assert_eq!(
            options.image(Component::KustomizeController),
            "registry.local:5000/mirror/kustomize-controller:v1.2.3"
        );
        let options = InstallOptions {
            version: "latest".into(),
            ..InstallOptions::default()
        };
        assert_eq!(options.tag(), "latest");
    }

    #[test]
    fn invalid_options_name_the_flag() {
        let bad = |options: InstallOptions| options.validate().unwrap_err().option;
        let base = InstallOptions::default;
        assert_eq!(
            bad(InstallOptions {
                namespace: "Capstan".into(),
                ..base()
            }),
            "namespace"
        );
        assert_eq!(
            bad(InstallOptions {
                log_level: "loud".into(),
                ..base()
            }),
            "log-level"
        );
        assert_eq!(
            bad(InstallOptions {
                components: vec![],
                ..base()
            }),
            "components"
        );
        assert_eq!(
            bad(InstallOptions {
                version: "v1 2".into(),
                ..base()
            }),
            "version"
        );
        assert_eq!(
            bad(InstallOptions {
                cluster_domain: "cluster..local".into(),
                ..base()
            }),
            "cluster-domain"
        );
    }
}
