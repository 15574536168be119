//! Least-privilege RBAC, per controller.
//!
//! Flux gives every controller one shared `crd-controller` ClusterRole with `*` on every
//! toolkit group. Capstan gives each controller only what its code calls:
//!
//! - a ClusterRole `<controller>-<namespace>`: its own kinds (read, patch for finalizers,
//!   `/status`, `/finalizers`), the kinds it reads (kustomize-controller: sources), Secrets and
//!   ConfigMaps read-only (credentials, decryption keys, substitutions), Events create/patch
//!   in both APIs, and for kustomize-controller `impersonate` on ServiceAccounts (tenancy);
//! - a Role `<controller>-leader-election` in the install namespace: create Leases, and
//!   get/update only its own Lease by name.
//!
//! As Flux, the `cluster-reconciler-<namespace>` ClusterRoleBinding gives kustomize-controller
//! `cluster-admin`: it applies arbitrary manifests. Tenancy comes from impersonation: a
//! Kustomization with `spec.serviceAccountName` (or every one, with the controller flag
//! `--default-service-account`) is applied with that ServiceAccount's rights only. Deleting
//! the binding leaves kustomize-controller its own ClusterRole, enough to reconcile with
//! impersonation everywhere.
//!
//! Cluster-scoped names carry the namespace (Flux's `crd-controller-flux-system` rule), so
//! installs in two namespaces do not overwrite each other's roles.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::component::Component;
use crate::labels;
use crate::options::InstallOptions;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// The sources kustomize-controller reads (`spec.sourceRef` kinds it supports).
const KUSTOMIZE_SOURCES: &[&str] = &["gitrepositories", "ocirepositories", "buckets"];

/// The name of a controller's ClusterRole and ClusterRoleBinding.
pub fn cluster_role_name(component: Component, namespace: &str) -> String {
    format!("{}-{namespace}", component.name())
}

/// The name of the ClusterRoleBinding of `cluster-admin` to kustomize-controller.
pub fn reconciler_binding_name(namespace: &str) -> String {
    format!("cluster-reconciler-{namespace}")
}

/// The names of the aggregated `edit` and `view` ClusterRoles for Capstan's kinds.
pub fn aggregated_role_names(namespace: &str) -> [String; 2] {
    [
        format!("capstan-edit-{namespace}"),
        format!("capstan-view-{namespace}"),
    ]
}

fn rule(groups: &[&str], resources: &[String], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(groups.iter().map(ToString::to_string).collect()),
        resources: Some(resources.to_vec()),
        verbs: verbs.iter().map(ToString::to_string).collect(),
        ..PolicyRule::default()
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

/// The plurals of the kinds a controller owns, per group, in CRD order.
fn owned_plurals(component: Component) -> Vec<(String, Vec<String>)> {
    let mut by_group: Vec<(String, Vec<String>)> = Vec::new();
    for crd in component.crds() {
        let plural = crd.spec.names.plural.clone();
        match by_group.iter_mut().find(|(g, _)| *g == crd.spec.group) {
            Some((_, plurals)) => plurals.push(plural),
            None => by_group.push((crd.spec.group.clone(), vec![plural])),
        }
    }
    by_group
}

/// The rules of a controller's own ClusterRole.
pub(crate) fn controller_rules(component: Component) -> Vec<PolicyRule> {
    let mut rules = Vec::new();
    for (group, plurals) in owned_plurals(component) {
        let suffixed = |suffix: &str| -> Vec<String> {
            plurals.iter().map(|p| format!("{p}/{suffix}")).collect()
        };
        // `patch` adds and removes the finalizer; `update` is kept for clients that replace.
        rules.push(rule(
            &[&group],
            &plurals,
            &["get", "list", "watch", "patch", "update"],
        ));
        rules.push(rule(
            &[&group],
            &suffixed("status"),
            &["get", "patch", "update"],
        ));
        // Needed where the OwnerReferencesPermissionEnforcement admission plugin runs.
        rules.push(rule(&[&group], &suffixed("finalizers"), &["update"]));
    }
    match component {
        Component::SourceController => {}
        Component::KustomizeController => {
            rules.push(rule(
                &[capstan_api::constants::group::SOURCE],
                &strings(KUSTOMIZE_SOURCES),
                &["get", "list", "watch"],
            ));
        }
    }
    // Credentials (source secretRef), decryption keys, post-build substitutions.
    rules.push(rule(
        &[""],
        &strings(&["configmaps", "secrets"]),
        &["get", "list", "watch"],
    ));
    // The runtime writes core Events; events.k8s.io is the same resource under its new API.
    rules.push(rule(&[""], &strings(&["events"]), &["create", "patch"]));
    rules.push(rule(
        &["events.k8s.io"],
        &strings(&["events"]),
        &["create", "patch"],
    ));
    match component {
        Component::SourceController => {}
        Component::KustomizeController => {
            rules.push(rule(
                &[""],
                &strings(&["serviceaccounts"]),
                &["impersonate"],
            ));
        }
    }
    rules
}

fn meta(name: String, namespace: Option<&str>, labels: BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: namespace.map(str::to_string),
        labels: Some(labels),
        ..ObjectMeta::default()
    }
}

fn service_account_subject(component: Component, namespace: &str) -> Subject {
    Subject {
        kind: "ServiceAccount".to_string(),
        name: component.name().to_string(),
        namespace: Some(namespace.to_string()),
        api_group: None,
    }
}

/// A controller's ServiceAccount (imagePullSecrets are set on the pod, as Flux does).
pub(crate) fn service_account(options: &InstallOptions, component: Component) -> ServiceAccount {
    ServiceAccount {
        metadata: meta(
            component.name().to_string(),
            Some(&options.namespace),
            labels::of_component(options, component),
        ),
        ..ServiceAccount::default()
    }
}

/// A controller's ClusterRole.
pub(crate) fn cluster_role(options: &InstallOptions, component: Component) -> ClusterRole {
    ClusterRole {
        metadata: meta(
            cluster_role_name(component, &options.namespace),
            None,
            labels::of_component(options, component),
        ),
        rules: Some(controller_rules(component)),
        ..ClusterRole::default()
    }
}

/// Binds a controller's ClusterRole to its ServiceAccount.
pub(crate) fn cluster_role_binding(
    options: &InstallOptions,
    component: Component,
) -> ClusterRoleBinding {
    let name = cluster_role_name(component, &options.namespace);
    ClusterRoleBinding {
        metadata: meta(name.clone(), None, labels::of_component(options, component)),
        role_ref: RoleRef {
            api_group: RBAC_GROUP.to_string(),
            kind: "ClusterRole".to_string(),
            name,
        },
        subjects: Some(vec![service_account_subject(component, &options.namespace)]),
    }
}

/// The leader-election Role: create Leases, and read/renew only the controller's own.
pub(crate) fn leader_election_role(options: &InstallOptions, component: Component) -> Role {
    let leases = strings(&["leases"]);
    let own = PolicyRule {
        resource_names: Some(vec![component.lease_name()]),
        ..rule(
            &["coordination.k8s.io"],
            &leases,
            &["get", "update", "patch"],
        )
    };
    Role {
        metadata: meta(
            component.lease_name(),
            Some(&options.namespace),
            labels::of_component(options, component),
        ),
        // `create` cannot be limited by name (the object does not exist yet).
        rules: Some(vec![
            rule(&["coordination.k8s.io"], &leases, &["create"]),
            own,
        ]),
    }
}

/// Binds the leader-election Role to the controller's ServiceAccount.
pub(crate) fn leader_election_binding(
    options: &InstallOptions,
    component: Component,
) -> RoleBinding {
    RoleBinding {
        metadata: meta(
            component.lease_name(),
            Some(&options.namespace),
            labels::of_component(options, component),
        ),
        role_ref: RoleRef {
            api_group: RBAC_GROUP.to_string(),
            kind: "Role".to_string(),
            name: component.lease_name(),
        },
        subjects: Some(vec![service_account_subject(component, &options.namespace)]),
    }
}

/// The `cluster-reconciler-<namespace>` binding of `cluster-admin` to the controllers that
/// apply arbitrary manifests (Flux's `reconciler.yaml`); `None` when none is selected.
pub(crate) fn reconciler_binding(options: &InstallOptions) -> Option<ClusterRoleBinding> {
    let appliers: Vec<Component> = options
        .selected()
        .into_iter()
        .filter(|c| is_applier(*c))
        .collect();
    if appliers.is_empty() {
        return None;
    }
    Some(ClusterRoleBinding {
        metadata: meta(
            reconciler_binding_name(&options.namespace),
            None,
            labels::common(options),
        ),
        role_ref: RoleRef {
            api_group: RBAC_GROUP.to_string(),
            kind: "ClusterRole".to_string(),
            name: "cluster-admin".to_string(),
        },
        subjects: Some(
            appliers
                .into_iter()
                .map(|c| service_account_subject(c, &options.namespace))
                .collect(),
        ),
    })
}

/// Whether a controller applies user manifests (and so gets `cluster-admin`).
pub fn is_applier(component: Component) -> bool {
    match component {
        Component::SourceController => false,
        Component::KustomizeController => true,
    }
}

/// Flux's aggregated `edit` and `view` ClusterRoles for the installed kinds: namespace admins
/// and editors may manage Capstan objects, viewers may read them.
pub(crate) fn aggregated_roles(options: &InstallOptions) -> [ClusterRole; 2] {
    let mut by_group: Vec<(String, Vec<String>)> = Vec::new();
    for component in options.selected() {
        by_group.extend(owned_plurals(component));
    }
    let rules = |verbs: &[&str]| -> Vec<PolicyRule> {
        by_group
            .iter()
            .map(|(group, plurals)| rule(&[group], plurals, verbs))
            .collect()
    };
    let aggregate = |to: &[&str]| {
        let mut labels = labels::common(options);
        for role in to {
            labels.insert(
                format!("{RBAC_GROUP}/aggregate-to-{role}"),
                "true".to_string(),
            );
        }
        labels
    };
    let [edit, view] = aggregated_role_names(&options.namespace);
    [
        ClusterRole {
            metadata: meta(edit, None, aggregate(&["admin", "edit"])),
            rules: Some(rules(&[
                "create",
                "delete",
                "deletecollection",
                "patch",
                "update",
            ])),
            ..ClusterRole::default()
        },
        ClusterRole {
            metadata: meta(view, None, aggregate(&["admin", "edit", "view"])),
            rules: Some(rules(&["get", "list", "watch"])),
            ..ClusterRole::default()
        },
    ]
}
