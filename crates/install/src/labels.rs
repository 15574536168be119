//! The labels on every installed object, as Flux's (`app.kubernetes.io/*`), with
//! `part-of: capstan`. `capstan uninstall` and `capstan check` find objects by them.

use std::collections::BTreeMap;

use crate::component::Component;
use crate::options::InstallOptions;

/// `app.kubernetes.io/part-of`: always [`PART_OF_VALUE`].
pub const PART_OF: &str = "app.kubernetes.io/part-of";
/// The value of [`PART_OF`].
pub const PART_OF_VALUE: &str = "capstan";
/// `app.kubernetes.io/instance`: the install namespace, so two installs stay apart.
pub const INSTANCE: &str = "app.kubernetes.io/instance";
/// `app.kubernetes.io/version`: the image tag installed.
pub const VERSION: &str = "app.kubernetes.io/version";
/// `app.kubernetes.io/component`: the controller an object belongs to.
pub const COMPONENT: &str = "app.kubernetes.io/component";
/// The pod label Deployments select on, `app: <controller>` as Flux (users' NetworkPolicies
/// and dashboards match it).
pub const APP: &str = "app";

/// The label selector of everything one installation created (besides the CRDs, which are
/// shared by the whole cluster): `app.kubernetes.io/part-of=capstan,app.kubernetes.io/instance=<ns>`.
pub fn instance_selector(namespace: &str) -> String {
    format!("{PART_OF}={PART_OF_VALUE},{INSTANCE}={namespace}")
}

/// `part-of`, `instance` and `version`.
pub(crate) fn common(options: &InstallOptions) -> BTreeMap<String, String> {
    BTreeMap::from([
        (PART_OF.to_string(), PART_OF_VALUE.to_string()),
        (INSTANCE.to_string(), options.namespace.clone()),
        (VERSION.to_string(), options.tag()),
    ])
}

/// [`common`] plus `component: <controller>`.
pub(crate) fn of_component(
    options: &InstallOptions,
    component: Component,
) -> BTreeMap<String, String> {
    let mut labels = common(options);
    labels.insert(COMPONENT.to_string(), component.name().to_string());
    labels
}

/// The pod selector of a controller's Deployment and Service.
pub(crate) fn app(component: Component) -> BTreeMap<String, String> {
    BTreeMap::from([(APP.to_string(), component.name().to_string())])
}
