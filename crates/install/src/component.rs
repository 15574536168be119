//! The controllers Capstan installs, and what each one owns.
//!
//! Adding a controller is one variant here plus its arms in `workload.rs` and `rbac.rs`; the
//! exhaustive matches make the compiler list every place that needs a decision.

use std::fmt;
use std::str::FromStr;

use capstan_api::constants::group;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

/// A controller Capstan can install, named as its Flux counterpart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Component {
    /// Turns GitRepository and OCIRepository objects into artifacts served over HTTP.
    SourceController,
    /// Applies Kustomizations' artifacts to the cluster, impersonating tenants.
    KustomizeController,
}

/// Flux components Capstan does not ship yet; naming them in errors tells a Flux user the
/// flag is right but the controller is missing, rather than that they misspelled it.
const NOT_YET: &[&str] = &[
    "helm-controller",
    "notification-controller",
    "image-reflector-controller",
    "image-automation-controller",
    "source-watcher",
];

impl Component {
    /// Every component Capstan ships, in install order (sources before their consumers).
    pub fn all() -> &'static [Component] {
        &[Component::SourceController, Component::KustomizeController]
    }

    /// The controller's name: Deployment, ServiceAccount and image name, as Flux spells it.
    pub fn name(self) -> &'static str {
        match self {
            Component::SourceController => "source-controller",
            Component::KustomizeController => "kustomize-controller",
        }
    }

    /// The API groups whose CRDs this controller owns: they are installed with it.
    pub fn crd_groups(self) -> &'static [&'static str] {
        match self {
            Component::SourceController => &[group::SOURCE],
            Component::KustomizeController => &[group::KUSTOMIZE],
        }
    }

    /// The CRDs installed with this controller, in `capstan_api::crd::crds()` order.
    pub fn crds(self) -> Vec<CustomResourceDefinition> {
        let groups = self.crd_groups();
        capstan_api::crd::crds()
            .into_iter()
            .filter(|crd| groups.contains(&crd.spec.group.as_str()))
            .collect()
    }

    /// The name of the Lease the controller's replicas elect a leader with (Flux's
    /// `<controller>-leader-election`).
    pub fn lease_name(self) -> String {
        format!("{}-leader-election", self.name())
    }

    /// The comma-separated names of every component, for help and error text.
    pub fn names() -> String {
        Component::all()
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Component {
    type Err = ComponentError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let name = name.trim();
        if let Some(found) = Component::all().iter().find(|c| c.name() == name) {
            return Ok(*found);
        }
        if NOT_YET.contains(&name) {
            return Err(ComponentError::NotYetAvailable {
                name: name.to_string(),
            });
        }
        Err(ComponentError::Unknown {
            name: name.to_string(),
        })
    }
}

/// A `--components` value that names no component Capstan ships.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ComponentError {
    /// A name no Flux or Capstan component has.
    #[error("unknown component '{name}'; valid components: {}", Component::names())]
    Unknown {
        /// The name given.
        name: String,
    },
    /// A Flux component Capstan has no controller for yet.
    #[error(
        "component '{name}' is a Flux component Capstan does not ship yet; valid components: {}",
        Component::names()
    )]
    NotYetAvailable {
        /// The name given.
        name: String,
    },
    /// The list selects nothing.
    #[error("no component selected; valid components: {}", Component::names())]
    Empty,
}

/// Parses a comma-separated component list (`source-controller,kustomize-controller`), as
/// Flux's `--components`: blanks are ignored, duplicates collapse, and the result is in
/// [`Component::all`] order whatever the order given.
pub fn parse_components(list: &str) -> Result<Vec<Component>, ComponentError> {
    let mut selected = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        selected.push(name.parse::<Component>()?);
    }
    let selected = canonical(&selected);
    if selected.is_empty() {
        return Err(ComponentError::Empty);
    }
    Ok(selected)
}

/// `components` deduplicated, in [`Component::all`] order.
pub(crate) fn canonical(components: &[Component]) -> Vec<Component> {
    Component::all()
        .iter()
        .copied()
        .filter(|c| components.contains(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for component in Component::all() {
            assert_eq!(component.name().parse::<Component>(), Ok(*component));
        }
    }

    #[test]
    fn a_list_is_deduplicated_and_put_in_install_order() {
        assert_eq!(
            parse_components(" kustomize-controller,source-controller,,kustomize-controller"),
            Ok(vec![
                Component::SourceController,
                Component::KustomizeController
            ])
        );
    }

    #[test]
    fn unknown_components_are_refused_with_the_valid_names() {
        let error = parse_components("source-controller,sauce-controller").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown component 'sauce-controller'; valid components: source-controller, kustomize-controller"
        );
    }

    #[test]
    fn flux_components_not_shipped_yet_say_so() {
        let error = parse_components("helm-controller").unwrap_err();
        assert!(matches!(error, ComponentError::NotYetAvailable { .. }));
        assert!(error.to_string().contains("does not ship yet"), "{error}");
        assert!(
            error
                .to_string()
                .contains("source-controller, kustomize-controller")
        );
    }

    #[test]
    fn an_empty_list_is_refused() {
        assert_eq!(parse_components(" , "), Err(ComponentError::Empty));
    }

    #[test]
    fn source_controller_owns_the_five_source_crds_and_kustomize_controller_one() {
        let kinds = |c: Component| -> Vec<String> {
            c.crds()
                .into_iter()
                .map(|crd| crd.spec.names.kind)
                .collect()
        };
        assert_eq!(
            kinds(Component::SourceController),
            [
                "GitRepository",
                "OCIRepository",
                "HelmRepository",
                "HelmChart",
                "Bucket"
            ]
        );
        assert_eq!(kinds(Component::KustomizeController), ["Kustomization"]);
    }
}
