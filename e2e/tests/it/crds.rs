use capstan_api::crd::crds;
use capstan_e2e::{cluster, kubectl};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::Api;

/// The 13 CRDs under Flux's names.
const FLUX_CRDS: [&str; 13] = [
    "gitrepositories.source.toolkit.fluxcd.io",
    "ocirepositories.source.toolkit.fluxcd.io",
    "helmrepositories.source.toolkit.fluxcd.io",
    "helmcharts.source.toolkit.fluxcd.io",
    "buckets.source.toolkit.fluxcd.io",
    "kustomizations.kustomize.toolkit.fluxcd.io",
    "helmreleases.helm.toolkit.fluxcd.io",
    "providers.notification.toolkit.fluxcd.io",
    "alerts.notification.toolkit.fluxcd.io",
    "receivers.notification.toolkit.fluxcd.io",
    "imagerepositories.image.toolkit.fluxcd.io",
    "imagepolicies.image.toolkit.fluxcd.io",
    "imageupdateautomations.image.toolkit.fluxcd.io",
];

#[tokio::test]
async fn every_crd_is_established_and_structural() {
    let client = cluster().client().await;
    let api: Api<CustomResourceDefinition> = Api::all(client);
    assert_eq!(crds().len(), FLUX_CRDS.len());
    for name in FLUX_CRDS {
        let crd = api
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("CRD {name} is not installed: {e}"));
        let conditions = crd.status.and_then(|s| s.conditions).unwrap_or_default();
        let is = |type_: &str| {
            conditions
                .iter()
                .any(|c| c.type_ == type_ && c.status == "True")
        };
        assert!(
            is("Established"),
            "{name} is not Established: {conditions:?}"
        );
        assert!(
            is("NamesAccepted"),
            "{name} names not accepted: {conditions:?}"
        );
        assert!(
            !is("NonStructuralSchema"),
            "{name} has a non-structural schema: {conditions:?}"
        );
    }
}

#[test]
fn kubectl_lists_the_flux_crds_and_applies_the_committed_yaml() {
    let cluster = cluster();
    let crd_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../manifests/crds");
    // The committed YAML (not only the in-memory types) must be accepted by kubectl's
    // client-side validation and the apiserver.
    let applied = kubectl(cluster, &["apply", "-k", crd_dir]);
    assert!(
        applied.status.success(),
        "kubectl apply -k manifests/crds: {}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let listed = kubectl(cluster, &["get", "crd", "-o", "name"]);
    let names = String::from_utf8_lossy(&listed.stdout);
    for name in FLUX_CRDS {
        assert!(
            names.contains(name),
            "kubectl get crd does not list {name}:\n{names}"
        );
    }
}
