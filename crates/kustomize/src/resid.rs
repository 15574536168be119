//! Resource identity: group/version/kind, name and namespace, as kustomize compares them.

use std::fmt;

/// A group, version and kind. Empty fields act as wildcards when used as a selector.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Gvk {
    /// API group ("" for the core group).
    pub(crate) group: String,
    /// API version.
    pub(crate) version: String,
    /// Kind.
    pub(crate) kind: String,
}

/// The namespace kustomize uses for ids of cluster-scoped objects.
pub(crate) const NOT_A_NAMESPACE: &str = "_non_namespaceable_";
/// The namespace an object without one lands in.
pub(crate) const DEFAULT_NAMESPACE: &str = "default";

/// Kinds kyaml's built-in OpenAPI schema (Kubernetes 1.21) lists as cluster-scoped, with the
/// group/versions it knows them under. Anything else (CRDs included) is namespaced.
const CLUSTER_SCOPED: &[(&str, &[&str], &[&str])] = &[
    (
        "",
        &["v1"],
        &["Namespace", "Node", "PersistentVolume", "ComponentStatus"],
    ),
    (
        "admissionregistration.k8s.io",
        &["v1", "v1beta1"],
        &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
    ),
    (
        "apiextensions.k8s.io",
        &["v1", "v1beta1"],
        &["CustomResourceDefinition"],
    ),
    (
        "apiregistration.k8s.io",
        &["v1", "v1beta1"],
        &["APIService"],
    ),
    (
        "authentication.k8s.io",
        &["v1", "v1beta1"],
        &["TokenReview"],
    ),
    (
        "authorization.k8s.io",
        &["v1", "v1beta1"],
        &[
            "SelfSubjectAccessReview",
            "SelfSubjectRulesReview",
            "SubjectAccessReview",
        ],
    ),
    (
        "certificates.k8s.io",
        &["v1", "v1beta1"],
        &["CertificateSigningRequest"],
    ),
    (
        "flowcontrol.apiserver.k8s.io",
        &["v1alpha1", "v1beta1"],
        &["FlowSchema", "PriorityLevelConfiguration"],
    ),
    (
        "internal.apiserver.k8s.io",
        &["v1alpha1"],
        &["StorageVersion"],
    ),
    ("networking.k8s.io", &["v1", "v1beta1"], &["IngressClass"]),
    (
        "node.k8s.io",
        &["v1", "v1alpha1", "v1beta1"],
        &["RuntimeClass"],
    ),
    ("policy", &["v1beta1"], &["PodSecurityPolicy"]),
    (
        "rbac.authorization.k8s.io",
        &["v1", "v1alpha1", "v1beta1"],
        &["ClusterRole", "ClusterRoleBinding"],
    ),
    (
        "scheduling.k8s.io",
        &["v1", "v1alpha1", "v1beta1"],
        &["PriorityClass"],
    ),
    (
        "storage.k8s.io",
        &["v1", "v1beta1"],
        &["StorageClass", "VolumeAttachment", "CSIDriver", "CSINode"],
    ),
    ("storage.k8s.io", &["v1alpha1"], &["VolumeAttachment"]),
];

impl Gvk {
    /// Splits an `apiVersion` into group and version (`apps/v1` → `apps`, `v1`; `v1` → ``, `v1`).
    #[must_use]
    pub(crate) fn from_api_version(api_version: &str, kind: &str) -> Gvk {
        let (group, version) = parse_group_version(api_version);
        Gvk {
            group,
            version,
            kind: kind.to_string(),
        }
    }

    /// `group/version`, or just `version` for the core group.
    #[must_use]
    pub(crate) fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether objects of this kind live outside namespaces (per kyaml's built-in schema).
    #[must_use]
    pub(crate) fn is_cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED.iter().any(|(g, versions, kinds)| {
            *g == self.group
                && versions.contains(&self.version.as_str())
                && kinds.contains(&self.kind.as_str())
        })
    }

    /// kustomize's `IsSelected`: empty selector fields match anything.
    #[must_use]
    pub(crate) fn is_selected_by(&self, selector: &Gvk) -> bool {
        (selector.group.is_empty() || self.group == selector.group)
            && (selector.version.is_empty() || self.version == selector.version)
            && (selector.kind.is_empty() || self.kind == selector.kind)
    }

    /// kustomize's `Gvk.String()`: `group_version_kind` with `~G`, `~V`, `~K` for empty parts.
    #[must_use]
    pub(crate) fn sort_string(&self) -> String {
        let g = if self.group.is_empty() {
            "~G"
        } else {
            &self.group
        };
        let v = if self.version.is_empty() {
            "~V"
        } else {
            &self.version
        };
        let k = if self.kind.is_empty() {
            "~K"
        } else {
            &self.kind
        };
        format!("{g}_{v}_{k}")
    }
}

/// `resid.ParseGroupVersion`.
pub(crate) fn parse_group_version(api_version: &str) -> (String, String) {
    match api_version.split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api_version.to_string()),
    }
}

/// An object's identity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct ResId {
    /// Group, version, kind.
    pub(crate) gvk: Gvk,
    /// `metadata.name`.
    pub(crate) name: String,
    /// `metadata.namespace` (possibly empty).
    pub(crate) namespace: String,
}

impl ResId {
    /// kustomize's `EffectiveNamespace`: `_non_namespaceable_` for cluster-scoped kinds,
    /// `default` for an empty namespace.
    #[must_use]
    pub(crate) fn effective_namespace(&self) -> String {
        if self.gvk.is_cluster_scoped() {
            NOT_A_NAMESPACE.to_string()
        } else if self.namespace.is_empty() {
            DEFAULT_NAMESPACE.to_string()
        } else {
            self.namespace.clone()
        }
    }

    /// Same namespace once defaults are applied.
    #[must_use]
    pub(crate) fn ns_equals(&self, other: &ResId) -> bool {
        self.effective_namespace() == other.effective_namespace()
    }

    /// kustomize's `ResId.Equals`: same gvk, name and effective namespace.
    #[must_use]
    pub(crate) fn equals(&self, other: &ResId) -> bool {
        self.gvk == other.gvk && self.name == other.name && self.ns_equals(other)
    }

    /// Same gvk and name, any namespace.
    #[must_use]
    pub(crate) fn gvkn_equals(&self, other: &ResId) -> bool {
        self.gvk == other.gvk && self.name == other.name
    }

    /// kustomize's `IsSelectedBy` for exact (non-regex) selectors.
    #[must_use]
    pub(crate) fn is_selected_by(&self, selector: &ResId) -> bool {
        (selector.name.is_empty() || selector.name == self.name)
            && (selector.namespace.is_empty() || selector.ns_equals(self))
            && self.gvk.is_selected_by(&selector.gvk)
    }

    /// kustomize's `ResId.String()` used for legacy sorting: `gvk|namespace|name`.
    #[must_use]
    pub(crate) fn sort_string(&self) -> String {
        let ns = if self.namespace.is_empty() {
            "~X"
        } else {
            &self.namespace
        };
        let name = if self.name.is_empty() {
            "~N"
        } else {
            &self.name
        };
        format!("{}|{}|{}", self.gvk.sort_string(), ns, name)
    }
}

impl fmt::Display for ResId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let av = self.gvk.api_version();
        if !av.is_empty() {
            write!(f, "{av} ")?;
        }
        write!(
            f,
            "{}",
            if self.gvk.kind.is_empty() {
                "<no kind>"
            } else {
                &self.gvk.kind
            }
        )?;
        if !self.namespace.is_empty() {
            write!(f, " {}/{}", self.namespace, self.name)
        } else {
            write!(f, " {}", self.name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_scope_follows_the_builtin_schema() {
        assert!(Gvk::from_api_version("v1", "Namespace").is_cluster_scoped());
        assert!(
            Gvk::from_api_version("rbac.authorization.k8s.io/v1", "ClusterRole")
                .is_cluster_scoped()
        );
        assert!(!Gvk::from_api_version("example.com/v1", "Namespace").is_cluster_scoped());
        assert!(!Gvk::from_api_version("apps/v1", "Deployment").is_cluster_scoped());
    }

    #[test]
    fn empty_namespace_equals_default() {
        let a = ResId {
            gvk: Gvk::from_api_version("v1", "ConfigMap"),
            name: "x".into(),
            namespace: String::new(),
        };
        let mut b = a.clone();
        b.namespace = "default".into();
        assert!(a.equals(&b));
    }
}
