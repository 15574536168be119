//! Apply order, pure: Flux's `ReconcileOrder` within a stage, and which stage an object is in.

use std::cmp::Ordering;

use crate::object::ObjMetadata;

/// Kinds applied first, in this order (Flux's `ReconcileOrder.First`).
const FIRST: &[&str] = &[
    "CustomResourceDefinition",
    "Namespace",
    "ClusterRole",
    "ClusterClass",
    "RuntimeClass",
    "PriorityClass",
    "StorageClass",
    "VolumeSnapshotClass",
    "IngressClass",
    "GatewayClass",
    "ClusterRoleBinding",
    "ResourceQuota",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Secret",
    "Service",
    "LimitRange",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// Kinds applied last, in this order: webhooks must not intercept the rest of their own set.
const LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// The rank of a kind: negative for the kinds Flux applies first (CRDs, Namespaces...), zero for
/// others, positive for webhook configurations, applied last.
pub fn kind_rank(kind: &str) -> i32 {
    if let Some(i) = FIRST.iter().position(|k| *k == kind) {
        return i as i32 - FIRST.len() as i32;
    }
    if let Some(i) = LAST.iter().position(|k| *k == kind) {
        return i as i32 + 1;
    }
    0
}

/// Flux's apply order: by kind rank, then group, then kind, then namespace, then name, so the
/// result does not depend on input order.
pub fn compare(a: &ObjMetadata, b: &ObjMetadata) -> Ordering {
    if a.group != b.group || a.kind != b.kind {
        let by_rank = kind_rank(&a.kind).cmp(&kind_rank(&b.kind));
        if by_rank != Ordering::Equal {
            return by_rank;
        }
        return a.group.cmp(&b.group).then_with(|| a.kind.cmp(&b.kind));
    }
    a.namespace
        .cmp(&b.namespace)
        .then_with(|| a.name.cmp(&b.name))
}

/// Sorts objects in apply order.
pub fn sort(objects: &mut [ObjMetadata]) {
    objects.sort_by(compare);
}

/// The stages of a staged apply, applied in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// CustomResourceDefinitions, Namespaces and ClusterRoles; waited for (CRDs `Established`).
    Definitions,
    /// Kinds whose name ends in `Class` (StorageClass, IngressClass...); waited for.
    Classes,
    /// Kinds the caller listed (`--custom-apply-stage-kinds`); not waited for.
    Custom,
    /// Everything else.
    Rest,
}

impl Stage {
    /// Every stage, in apply order.
    pub const ALL: [Stage; 4] = [
        Stage::Definitions,
        Stage::Classes,
        Stage::Custom,
        Stage::Rest,
    ];

    /// A human name for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Stage::Definitions => "CustomResourceDefinitions, Namespaces and ClusterRoles",
            Stage::Classes => "class objects",
            Stage::Custom => "custom stage objects",
            Stage::Rest => "remaining objects",
        }
    }

    /// Whether the stage's objects are waited for before the next stage (Flux waits for the
    /// first two).
    pub fn is_waited_for(self) -> bool {
        matches!(self, Stage::Definitions | Stage::Classes)
    }
}

/// The stage of an object. `custom_kinds` holds `Kind` or `Kind.group` entries.
pub fn stage_of(object: &ObjMetadata, custom_kinds: &[String]) -> Stage {
    if object.is_crd() || object.is_namespace() || object.is_cluster_role() {
        return Stage::Definitions;
    }
    if object.kind.ends_with("Class") {
        return Stage::Classes;
    }
    let qualified = format!("{}.{}", object.kind, object.group);
    if custom_kinds
        .iter()
        .any(|k| *k == object.kind || *k == qualified)
    {
        return Stage::Custom;
    }
    Stage::Rest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(group: &str, kind: &str, ns: &str, name: &str) -> ObjMetadata {
        ObjMetadata::new(group, "v1", kind, ns, name)
    }

    #[test]
    fn reconcile_order_puts_definitions_first_and_webhooks_last() {
        let mut objects = vec![
            obj(
                "admissionregistration.k8s.io",
                "ValidatingWebhookConfiguration",
                "",
                "v",
            ),
            obj("example.com", "Widget", "apps", "w"),
            obj("apps", "Deployment", "apps", "web"),
            obj(
                "admissionregistration.k8s.io",
                "MutatingWebhookConfiguration",
                "",
                "m",
            ),
            obj("", "Service", "apps", "web"),
            obj("", "Namespace", "", "apps"),
            obj(
                "apiextensions.k8s.io",
                "CustomResourceDefinition",
                "",
                "widgets.example.com",
            ),
            obj("rbac.authorization.k8s.io", "ClusterRole", "", "r"),
            obj("", "ConfigMap", "apps", "c"),
            obj("", "ServiceAccount", "apps", "sa"),
        ];
        sort(&mut objects);
        let kinds: Vec<&str> = objects.iter().map(|o| o.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "CustomResourceDefinition",
                "Namespace",
                "ClusterRole",
                "ServiceAccount",
                "ConfigMap",
                "Service",
                "Deployment",
                "Widget",
                "MutatingWebhookConfiguration",
                "ValidatingWebhookConfiguration",
            ]
        );
    }

    #[test]
    fn ties_break_by_namespace_then_name_regardless_of_input_order() {
        let mut a = vec![
            obj("", "ConfigMap", "b", "a"),
            obj("", "ConfigMap", "a", "z"),
            obj("", "ConfigMap", "a", "b"),
        ];
        let mut b = a.clone();
        b.reverse();
        sort(&mut a);
        sort(&mut b);
        assert_eq!(a, b);
        let names: Vec<_> = a
            .iter()
            .map(|o| format!("{}/{}", o.namespace, o.name))
            .collect();
        assert_eq!(names, ["a/b", "a/z", "b/a"]);
    }

    #[test]
    fn unknown_kinds_sort_by_group_then_kind() {
        let mut objects = vec![
            obj("z.example.com", "Alpha", "", "x"),
            obj("a.example.com", "Zeta", "", "x"),
            obj("a.example.com", "Beta", "", "x"),
        ];
        sort(&mut objects);
        let kinds: Vec<_> = objects.iter().map(|o| o.kind.as_str()).collect();
        assert_eq!(kinds, ["Beta", "Zeta", "Alpha"]);
    }

    #[test]
    fn stages_follow_flux() {
        let custom = vec!["Backup.velero.io".to_string()];
        let crd = obj("apiextensions.k8s.io", "CustomResourceDefinition", "", "x");
        assert_eq!(stage_of(&crd, &custom), Stage::Definitions);
        assert_eq!(
            stage_of(&obj("", "Namespace", "", "a"), &custom),
            Stage::Definitions
        );
        let role = obj("rbac.authorization.k8s.io", "ClusterRole", "", "r");
        assert_eq!(stage_of(&role, &custom), Stage::Definitions);
        let sc = obj("storage.k8s.io", "StorageClass", "", "fast");
        assert_eq!(stage_of(&sc, &custom), Stage::Classes);
        let backup = obj("velero.io", "Backup", "v", "b");
        assert_eq!(stage_of(&backup, &custom), Stage::Custom);
        let deploy = obj("apps", "Deployment", "a", "d");
        assert_eq!(stage_of(&deploy, &custom), Stage::Rest);
        // A `Namespace` kind outside the core group is not a Namespace.
        assert_eq!(
            stage_of(&obj("x.io", "Namespace", "a", "n"), &[]),
            Stage::Rest
        );
    }
}
