//! The installation as an ordered list of objects, each with the file of `manifests/` it is
//! committed in.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde::Serialize;
use serde_json::Value;

use crate::component::Component;
use crate::labels;
use crate::namespace::namespace;
use crate::options::InstallOptions;
use crate::policies::network_policies;
use crate::rbac;
use crate::workload;

/// The folder of `manifests/` the namespace and the top-level kustomization live in.
pub(crate) const INSTALL_DIR: &str = "install";
/// The folder of the CRDs (written by `capstan_api::crd`).
pub(crate) const CRDS_DIR: &str = "crds";
/// The folder of the RBAC shared by the controllers.
pub(crate) const RBAC_DIR: &str = "rbac";
/// The folder of the NetworkPolicies.
pub(crate) const POLICIES_DIR: &str = "policies";

/// One generated object and where `manifests/` keeps it.
#[derive(Clone, Debug)]
pub(crate) struct Placed {
    /// The folder under `manifests/`.
    pub(crate) dir: String,
    /// The file in that folder.
    pub(crate) file: String,
    /// The object.
    pub(crate) object: Value,
}

/// What `capstan install` applies, in order: the Namespace, the CRDs of the selected
/// components, RBAC (ServiceAccounts, per-controller roles, `cluster-reconciler`, aggregated
/// `edit`/`view`), Services, Deployments, NetworkPolicies.
///
/// Generation cannot fail; check the options first with [`InstallOptions::validate`].
pub fn generate(options: &InstallOptions) -> Vec<Value> {
    placed(options).into_iter().map(|p| p.object).collect()
}

/// The CRDs installed for `components` (those of the groups each controller owns), in
/// `capstan_api::crd::crds()` order.
pub fn crds_of(components: &[Component]) -> Vec<CustomResourceDefinition> {
    let mut crds = Vec::new();
    for component in crate::component::canonical(components) {
        crds.extend(component.crds());
    }
    crds
}

/// Serialises a typed object. k8s-openapi objects always serialise (string keys only); the
/// `Null` fallback is unreachable and would be refused by the apiserver, not panic.
fn to_value<T: Serialize>(object: &T) -> Value {
    serde_json::to_value(object).unwrap_or(Value::Null)
}

/// The CRD as it is committed (integral numbers, as `capstan_api::crd::crd_yaml` writes it)
/// with the install labels the top-level kustomization adds.
fn crd_value(options: &InstallOptions, crd: &CustomResourceDefinition) -> Value {
    let mut value = to_value(crd);
    capstan_api::crd::schema::integral_numbers_deep(&mut value);
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        let labels = metadata
            .entry("labels")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Some(labels) = labels.as_object_mut() {
            for (key, label) in labels::common(options) {
                labels.insert(key, Value::String(label));
            }
        }
    }
    value
}

/// Every object with its place, in [`generate`] order.
pub(crate) fn placed(options: &InstallOptions) -> Vec<Placed> {
    let components = options.selected();
    let mut out = Vec::new();
    let mut put = |dir: &str, file: &str, object: Value| {
        out.push(Placed {
            dir: dir.to_string(),
            file: file.to_string(),
            object,
        });
    };

    put(INSTALL_DIR, "namespace.yaml", to_value(&namespace(options)));
    for crd in crds_of(&components) {
        put(
            CRDS_DIR,
            &capstan_api::crd::file_name(&crd),
            crd_value(options, &crd),
        );
    }
    for &component in &components {
        let dir = component.name();
        put(
            dir,
            "rbac.yaml",
            to_value(&rbac::service_account(options, component)),
        );
        put(
            dir,
            "rbac.yaml",
            to_value(&rbac::cluster_role(options, component)),
        );
        put(
            dir,
            "rbac.yaml",
            to_value(&rbac::cluster_role_binding(options, component)),
        );
        put(
            dir,
            "rbac.yaml",
            to_value(&rbac::leader_election_role(options, component)),
        );
        put(
            dir,
            "rbac.yaml",
            to_value(&rbac::leader_election_binding(options, component)),
        );
    }
    if let Some(binding) = rbac::reconciler_binding(options) {
        put(RBAC_DIR, "reconciler.yaml", to_value(&binding));
    }
    let [edit, view] = rbac::aggregated_roles(options);
    put(RBAC_DIR, "edit.yaml", to_value(&edit));
    put(RBAC_DIR, "view.yaml", to_value(&view));
    for &component in &components {
        if let Some(service) = workload::service(options, component) {
            put(component.name(), "service.yaml", to_value(&service));
        }
    }
    for &component in &components {
        put(
            component.name(),
            "deployment.yaml",
            to_value(&workload::deployment(options, component)),
        );
    }
    for policy in network_policies(options) {
        let file = format!("{}.yaml", policy.metadata.name.clone().unwrap_or_default());
        put(POLICIES_DIR, &file, to_value(&policy));
    }
    out
}
