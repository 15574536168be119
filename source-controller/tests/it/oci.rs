//! OCIRepository against a real registry: tag, semver and digest refs, extract and copy, auth
//! from a dockerconfigjson Secret, a 404 reported and retried.

use std::sync::OnceLock;

use capstan_api::source::OCIRepository;
use capstan_e2e::{Registry, http_get};
use serde_json::{Value, json};

use crate::support::{Env, condition, download_artifact, hex, revision, sha256};

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::start().unwrap_or_else(|e| panic!("{e}")))
}

fn oci_repository(name: &str, url: &str, reference: Value, extra: Value) -> Value {
    let mut spec = json!({ "interval": "1m", "timeout": "20s", "url": url, "ref": reference, "insecure": true });
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    json!({ "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository", "metadata": { "name": name }, "spec": spec })
}

#[tokio::test]
async fn tags_semver_and_digests_become_artifacts_with_flux_revisions() {
    let env = Env::start("oci-refs", &[]).await;
    let registry = registry();
    let v1 = registry
        .push_files("refs/app", "1.0.0", &[("deploy/app.yaml", "v: 1\n")])
        .await
        .unwrap();
    let v2 = registry
        .push_files(
            "refs/app",
            "1.2.0",
            &[("deploy/app.yaml", "v: 2\n"), ("logo.png", "x")],
        )
        .await
        .unwrap();
    registry
        .push_files("refs/app", "2.0.0", &[("deploy/app.yaml", "v: 3\n")])
        .await
        .unwrap();
    let url = registry.url("refs/app");
    let cases = [
        (
            "tag",
            json!({ "tag": "1.0.0" }),
            format!("1.0.0@{}", v1.resolved.digest),
        ),
        (
            "semver",
            json!({ "semver": ">=1.0.0 <2.0.0" }),
            format!("1.2.0@{}", v2.resolved.digest),
        ),
        (
            "digest",
            json!({ "digest": v1.resolved.digest }),
            v1.resolved.digest.clone(),
        ),
    ];
    for (name, reference, _) in &cases {
        env.create::<OCIRepository>(oci_repository(name, &url, reference.clone(), json!({})))
            .await;
    }
    for (name, _, expected) in &cases {
        let ready = serde_json::to_value(env.wait_ready::<OCIRepository>(name).await).unwrap();
        assert_eq!(
            revision(&ready).as_deref(),
            Some(expected.as_str()),
            "{name}"
        );
        assert_eq!(ready["status"]["url"], ready["status"]["artifact"]["url"]);
    }
    let semver =
        serde_json::to_value(env.api::<OCIRepository>().get("semver").await.unwrap()).unwrap();
    let files = download_artifact(&semver["status"]["artifact"]);
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        vec!["deploy/app.yaml"],
        "default exclusions apply (logo.png)"
    );
    assert_eq!(files["deploy/app.yaml"], b"v: 2\n");
    assert!(
        semver["status"]["artifact"]["metadata"]["org.opencontainers.image.created"].is_string()
    );
}

#[tokio::test]
async fn a_copied_layer_is_stored_byte_for_byte() {
    let env = Env::start("oci-copy", &[]).await;
    let registry = registry();
    let pushed = registry
        .push_files("copy/app", "v1", &[("a.yaml", "a: 1\n")])
        .await
        .unwrap();
    env.create::<OCIRepository>(oci_repository(
        "copy",
        &registry.url("copy/app"),
        json!({ "tag": "v1" }),
        json!({ "layerSelector": { "mediaType": "application/vnd.cncf.flux.content.v1.tar+gzip", "operation": "copy" } }),
    ))
    .await;
    let ready = serde_json::to_value(env.wait_ready::<OCIRepository>("copy").await).unwrap();
    let artifact = &ready["status"]["artifact"];
    assert!(
        artifact["path"].as_str().unwrap().ends_with(".tgz"),
        "{artifact}"
    );
    let (status, body) = http_get(artifact["url"].as_str().unwrap()).unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        format!("sha256:{}", hex(&sha256(&body))),
        pushed.layers[0].digest,
        "the layer itself"
    );
    assert_eq!(
        artifact["digest"].as_str(),
        Some(pushed.layers[0].digest.as_str())
    );
}

#[tokio::test]
async fn registry_auth_comes_from_a_dockerconfigjson_secret() {
    let env = Env::start("oci-auth", &[]).await;
    let registry = Registry::start_with_auth().unwrap_or_else(|e| panic!("{e}"));
    registry
        .push_files("private/app", "v1", &[("a.yaml", "a: 1\n")])
        .await
        .unwrap();
    let config = registry.dockerconfigjson().unwrap();
    let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "regcred" },
        "type": "kubernetes.io/dockerconfigjson", "stringData": { ".dockerconfigjson": config }
    }))
    .unwrap();
    env.api::<k8s_openapi::api::core::v1::Secret>()
        .create(&Default::default(), &secret)
        .await
        .unwrap();
    let url = registry.url("private/app");
    env.create::<OCIRepository>(oci_repository(
        "with-auth",
        &url,
        json!({ "tag": "v1" }),
        json!({ "secretRef": { "name": "regcred" } }),
    ))
    .await;
    env.create::<OCIRepository>(oci_repository(
        "anonymous",
        &url,
        json!({ "tag": "v1" }),
        json!({}),
    ))
    .await;
    env.wait_ready::<OCIRepository>("with-auth").await;
    let (_, message) = env.wait_not_ready::<OCIRepository>("anonymous").await;
    let (_, password) = registry.credentials().unwrap();
    assert!(!message.contains(password));
    assert!(
        message.to_lowercase().contains("unauthorized") || message.contains("401"),
        "{message}"
    );
}

#[tokio::test]
async fn a_missing_tag_is_reported_and_retried() {
    let env = Env::start("oci-404", &[]).await;
    let registry = registry();
    registry
        .push_files("missing/app", "v1", &[("a.yaml", "a: 1\n")])
        .await
        .unwrap();
    env.create::<OCIRepository>(oci_repository(
        "missing",
        &registry.url("missing/app"),
        json!({ "tag": "v2" }),
        json!({ "interval": "3s" }),
    ))
    .await;
    let (reason, message) = env.wait_not_ready::<OCIRepository>("missing").await;
    assert_eq!(reason, "OCIArtifactPullFailed", "{message}");
    assert!(message.contains("v2"), "names the tag: {message}");
    let failed =
        serde_json::to_value(env.api::<OCIRepository>().get("missing").await.unwrap()).unwrap();
    assert_eq!(condition(&failed, "FetchFailed").unwrap()["status"], "True");
    // The tag appears: the next retry (interval 3s) picks it up without any request.
    registry
        .push_files("missing/app", "v2", &[("a.yaml", "a: 2\n")])
        .await
        .unwrap();
    env.wait_ready::<OCIRepository>("missing").await;
}
