//! The install namespace, labelled as Flux labels `flux-system`.

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::labels;
use crate::options::InstallOptions;

/// The Namespace. Pod Security admission warns on anything below `restricted`, which every
/// Capstan pod meets; it does not enforce, so users may still run debug pods there.
pub(crate) fn namespace(options: &InstallOptions) -> Namespace {
    let mut labels = labels::common(options);
    labels.insert(
        "pod-security.kubernetes.io/warn".to_string(),
        "restricted".to_string(),
    );
    labels.insert(
        "pod-security.kubernetes.io/warn-version".to_string(),
        "latest".to_string(),
    );
    Namespace {
        metadata: ObjectMeta {
            name: Some(options.namespace.clone()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}
