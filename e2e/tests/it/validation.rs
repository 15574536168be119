//! Malformed objects are refused by the apiserver with the schema's message naming the field.

use capstan_e2e::{TestNamespace, cluster, kubectl_stdin};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use serde_json::{Value, json};

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// Creates `object` and returns the apiserver's refusal message; panics if it was accepted.
async fn refusal(resource: &ApiResource, namespace: &str, object: Value) -> String {
    let client = cluster().client().await;
    let api: Api<DynamicObject> = Api::namespaced_with(client, namespace, resource);
    let object: DynamicObject = serde_json::from_value(object).unwrap();
    match api.create(&PostParams::default(), &object).await {
        Ok(_) => panic!("the apiserver accepted an invalid object"),
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 422, "expected Invalid (422): {status:?}");
            status.message
        }
        Err(other) => panic!("unexpected error: {other}"),
    }
}

fn git_repository(spec: Value) -> Value {
    json!({ "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository", "metadata": { "name": "bad" }, "spec": spec })
}

fn kustomization(spec: Value) -> Value {
    json!({ "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": { "name": "bad" }, "spec": spec })
}

#[tokio::test]
async fn a_bad_enum_value_is_refused_naming_the_field() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "invalid").await;
    let ks = resource(
        "kustomize.toolkit.fluxcd.io",
        "v1",
        "Kustomization",
        "kustomizations",
    );
    let message = refusal(
        &ks,
        ns.name(),
        kustomization(json!({
            "interval": "5m", "prune": true, "deletionPolicy": "Sometimes",
            "sourceRef": { "kind": "GitRepository", "name": "podinfo" }
        })),
    )
    .await;
    assert!(message.contains("spec.deletionPolicy"), "{message}");
    assert!(
        message.contains("Unsupported value: \"Sometimes\""),
        "{message}"
    );

    let message = refusal(
        &ks,
        ns.name(),
        kustomization(json!({ "interval": "5m", "prune": true, "sourceRef": { "kind": "ConfigMap", "name": "x" } })),
    )
    .await;
    assert!(message.contains("spec.sourceRef.kind"), "{message}");
}

#[tokio::test]
async fn a_missing_required_field_is_refused_naming_the_field() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "invalid").await;
    let git = resource(
        "source.toolkit.fluxcd.io",
        "v1",
        "GitRepository",
        "gitrepositories",
    );
    let message = refusal(&git, ns.name(), git_repository(json!({ "interval": "1m" }))).await;
    assert!(message.contains("spec.url: Required value"), "{message}");

    let ks = resource(
        "kustomize.toolkit.fluxcd.io",
        "v1",
        "Kustomization",
        "kustomizations",
    );
    let message = refusal(
        &ks,
        ns.name(),
        kustomization(
            json!({ "interval": "5m", "sourceRef": { "kind": "GitRepository", "name": "x" } }),
        ),
    )
    .await;
    assert!(message.contains("spec.prune: Required value"), "{message}");
}

#[tokio::test]
async fn a_malformed_interval_or_url_is_refused_naming_the_field() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "invalid").await;
    let git = resource(
        "source.toolkit.fluxcd.io",
        "v1",
        "GitRepository",
        "gitrepositories",
    );
    let message = refusal(
        &git,
        ns.name(),
        git_repository(json!({ "interval": "5 minutes", "url": "https://example.com/x" })),
    )
    .await;
    assert!(message.contains("spec.interval"), "{message}");
    assert!(message.contains("should match"), "{message}");

    let message = refusal(
        &git,
        ns.name(),
        git_repository(json!({ "interval": "1m", "url": "ftp://example.com/x" })),
    )
    .await;
    assert!(message.contains("spec.url"), "{message}");

    let oci = resource(
        "source.toolkit.fluxcd.io",
        "v1",
        "OCIRepository",
        "ocirepositories",
    );
    let message = refusal(
        &oci,
        ns.name(),
        json!({ "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository", "metadata": { "name": "bad" },
                "spec": { "interval": "1m", "url": "https://ghcr.io/x", "timeout": "1h" } }),
    )
    .await;
    assert!(message.contains("spec.url"), "{message}");
    assert!(
        message.contains("spec.timeout"),
        "timeouts allow ms, s and m only: {message}"
    );
}

#[tokio::test]
async fn kubectl_reports_the_invalid_field_to_the_user() {
    let cluster = cluster();
    let client = cluster.client().await;
    let ns = TestNamespace::create(&client, "invalid").await;
    let manifest = format!(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: bad\n  namespace: {}\nspec:\n  interval: 1m\n  url: https://example.com/x\n  ref:\n    branch: main\n  provider: gitlab\n",
        ns.name()
    );
    let output = kubectl_stdin(cluster, &["apply", "-f", "-"], &manifest);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("spec.provider"), "{stderr}");
}

#[tokio::test]
async fn empty_strings_are_valid_values() {
    // Guards the apiserver build: unpatched go-openapi refuses "" as "must be of type string: null"
    // under Go >= 1.19 (see crates/localcluster/scripts/provision-cluster.sh).
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "empty").await;
    let ks = resource(
        "kustomize.toolkit.fluxcd.io",
        "v1",
        "Kustomization",
        "kustomizations",
    );
    let api: Api<DynamicObject> = Api::namespaced_with(client, ns.name(), &ks);
    let object: DynamicObject = serde_json::from_value(kustomization(json!({
        "interval": "5m", "prune": true, "path": "",
        "postBuild": { "substitute": { "cluster_suffix": "" } },
        "sourceRef": { "kind": "GitRepository", "name": "podinfo" }
    })))
    .unwrap();
    let created = api
        .create(&PostParams::default(), &object)
        .await
        .expect("empty strings must be accepted");
    assert_eq!(created.data["spec"]["path"], json!(""));
    assert_eq!(
        created.data["spec"]["postBuild"]["substitute"]["cluster_suffix"],
        json!("")
    );
}
