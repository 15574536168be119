//! Object references (Flux's `apis/meta/reference_types.go` and friends).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Names an object in the referrer's own namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocalObjectReference {
    /// Name of the referenced object.
    pub name: String,
}

impl LocalObjectReference {
    /// A reference to `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }
}

/// Names an object in any namespace; an empty namespace means the referrer's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespacedObjectReference {
    /// Name of the referenced object.
    pub name: String,
    /// Namespace of the referenced object; defaults to the referrer's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl NamespacedObjectReference {
    /// The namespace to look in: the reference's own, or `default`.
    pub fn namespace_or<'a>(&'a self, default: &'a str) -> &'a str {
        non_empty(self.namespace.as_deref()).unwrap_or(default)
    }
}

/// Names a typed object in any namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespacedObjectKindReference {
    /// API version of the referenced object; the preferred version when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Kind of the referenced object.
    pub kind: String,
    /// Name of the referenced object.
    pub name: String,
    /// Namespace of the referenced object; defaults to the referrer's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl NamespacedObjectKindReference {
    /// The namespace to look in: the reference's own, or `default`.
    pub fn namespace_or<'a>(&'a self, default: &'a str) -> &'a str {
        non_empty(self.namespace.as_deref()).unwrap_or(default)
    }
}

/// Names one key of a Secret in the referrer's namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyReference {
    /// Name of the Secret.
    pub name: String,
    /// Key in the Secret; each user documents its own default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// A `dependsOn` entry: an object that must be ready first.
///
/// As Flux, an optional CEL `readyExpr` replaces the built-in readiness check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DependencyReference {
    /// Name of the dependency.
    pub name: String,
    /// Namespace of the dependency; defaults to the dependant's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// CEL expression over `self` and `dep` deciding readiness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_expr: Option<String>,
}

impl DependencyReference {
    /// The namespace to look in: the reference's own, or `default`.
    pub fn namespace_or<'a>(&'a self, default: &'a str) -> &'a str {
        non_empty(self.namespace.as_deref()).unwrap_or(default)
    }
}

impl std::fmt::Display for DependencyReference {
    /// Flux's string form: `ns/name`, `name`, with `@expr` when set.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(ns) = non_empty(self.namespace.as_deref()) {
            write!(f, "{ns}/")?;
        }
        f.write_str(&self.name)?;
        if let Some(expr) = non_empty(self.ready_expr.as_deref()) {
            write!(f, "@{expr}")?;
        }
        Ok(())
    }
}

/// Where a remote cluster's kubeconfig comes from: exactly one of a Secret key
/// (static kubeconfig) or a ConfigMap (workload identity settings).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubeConfigReference {
    /// ConfigMap holding `provider`, `cluster`, `address`, `ca.crt`,
    /// `audiences` and `serviceAccountName` for workload identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_ref: Option<LocalObjectReference>,
    /// Secret holding a kubeconfig under `key` (default `value` or `value.yaml`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretKeyReference>,
}

impl KubeConfigReference {
    /// Checks Flux's CEL rule: exactly one of `configMapRef` and `secretRef`.
    /// `field` is the JSON path of this reference, e.g. `spec.kubeConfig`.
    pub fn validate(&self, field: &str) -> Result<(), crate::validation::ValidationError> {
        match (&self.config_map_ref, &self.secret_ref) {
            (Some(_), None) | (None, Some(_)) => Ok(()),
            _ => Err(crate::validation::ValidationError::new(
                field,
                "exactly one of configMapRef or secretRef must be specified",
            )),
        }
    }
}

/// Kind of object a values or substitution reference points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ValuesKind {
    /// A Secret.
    Secret,
    /// A ConfigMap.
    ConfigMap,
}

/// Where to read Helm values from, and how to merge them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValuesReference {
    /// Kind of the object holding the values.
    pub kind: ValuesKind,
    /// Name of the object, in the referrer's namespace.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Data key holding the values; `values.yaml` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253), pattern(r"^[\-._a-zA-Z0-9]+$"))]
    pub values_key: Option<String>,
    /// Dot path the value is merged at, instead of the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 250), pattern(r"^([a-zA-Z0-9_\-.\\\/]|\[[0-9]{1,5}\])+$"))]
    pub target_path: Option<String>,
    /// Tolerate a missing object or key instead of failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
    /// With `targetPath`, use the value as a literal string, not YAML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub literal: Option<bool>,
}

impl ValuesReference {
    /// Flux's default data key.
    pub const DEFAULT_VALUES_KEY: &str = "values.yaml";

    /// The data key to read, defaulting to `values.yaml`.
    pub fn values_key(&self) -> &str {
        non_empty(self.values_key.as_deref()).unwrap_or(Self::DEFAULT_VALUES_KEY)
    }

    /// Whether a missing object or key is tolerated.
    pub fn is_optional(&self) -> bool {
        self.optional.unwrap_or(false)
    }
}

/// `Some(s)` unless `s` is absent or empty (Go treats both as unset).
pub(crate) fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_reference_prints_flux_string_form() {
        let dep = DependencyReference {
            name: "db".into(),
            namespace: Some("infra".into()),
            ready_expr: Some("dep.status.ready".into()),
        };
        assert_eq!(dep.to_string(), "infra/db@dep.status.ready");
        let bare = DependencyReference {
            name: "db".into(),
            ..Default::default()
        };
        assert_eq!(bare.to_string(), "db");
        assert_eq!(bare.namespace_or("apps"), "apps");
    }

    #[test]
    fn empty_namespace_means_the_referrers() {
        let r = NamespacedObjectReference {
            name: "a".into(),
            namespace: Some(String::new()),
        };
        assert_eq!(r.namespace_or("own"), "own");
    }

    #[test]
    fn kube_config_needs_exactly_one_source() {
        let none = KubeConfigReference::default();
        assert_eq!(
            none.validate("spec.kubeConfig").map_err(|e| e.field),
            Err("spec.kubeConfig".to_string())
        );
        let both = KubeConfigReference {
            config_map_ref: Some(LocalObjectReference::new("c")),
            secret_ref: Some(SecretKeyReference {
                name: "s".into(),
                key: None,
            }),
        };
        assert!(both.validate("spec.kubeConfig").is_err());
        let one = KubeConfigReference {
            config_map_ref: None,
            ..both
        };
        assert_eq!(one.validate("spec.kubeConfig"), Ok(()));
    }

    #[test]
    fn values_key_defaults_to_values_yaml() {
        let r: ValuesReference =
            serde_json::from_str(r#"{"kind":"ConfigMap","name":"v"}"#).expect("parse");
        assert_eq!(r.values_key(), "values.yaml");
        assert!(!r.is_optional());
    }
}
