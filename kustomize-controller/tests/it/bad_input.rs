//! Bad input: Ready=False naming the object, file or field; nothing half-applied; the last
//! applied state left intact.

use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use serde_json::json;

use crate::support::{Env, config_map};

#[tokio::test]
async fn one_invalid_object_means_nothing_is_applied() {
    let bad_service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: broken\nspec:\n  ports:\n  - port: 99999\n";
    let env = Env::start(
        "ks-invalid",
        &[
            ("app/good.yaml", &config_map("good", "1")),
            ("app/bad.yaml", bad_service),
        ],
        &[],
    )
    .await;
    env.kustomization("app", "./app", json!({ "targetNamespace": env.ns() }))
        .await;
    let message = env
        .wait_failed("app", "ReconciliationFailed", Duration::from_secs(60))
        .await;
    assert!(
        message.contains(&format!("Service/{}/broken", env.ns())),
        "{message}"
    );
    assert!(
        message.contains("spec.ports[0].port"),
        "names the field: {message}"
    );
    assert!(
        env.api::<ConfigMap>()
            .get_opt("good")
            .await
            .unwrap()
            .is_none(),
        "the valid object was not applied either"
    );
}

#[tokio::test]
async fn a_broken_commit_keeps_the_last_applied_state() {
    let env = Env::start(
        "ks-keep",
        &[("app/cm.yaml", &config_map("kept", "v1"))],
        &[],
    )
    .await;
    let good = env.head_revision();
    env.kustomization("app", "./app", json!({ "targetNamespace": env.ns() }))
        .await;
    env.wait_applied("app", &good, Duration::from_secs(60))
        .await;
    let unknown_kind = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n";
    env.push(
        "broken",
        &[
            ("app/cm.yaml", Some(&config_map("kept", "v2"))),
            ("app/widget.yaml", Some(unknown_kind)),
        ],
    );
    let message = env
        .wait_failed("app", "ReconciliationFailed", Duration::from_secs(60))
        .await;
    assert!(
        message.contains("Widget") && message.contains("example.com/v1"),
        "names the unknown kind: {message}"
    );
    let object = serde_json::to_value(
        env.api::<capstan_api::kustomize::Kustomization>()
            .get("app")
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(object["status"]["lastAppliedRevision"], good);
    assert_eq!(
        env.api::<ConfigMap>()
            .get("kept")
            .await
            .unwrap()
            .data
            .unwrap()["value"],
        "v1",
        "nothing half-applied"
    );
}

#[tokio::test]
async fn missing_sources_variables_and_paths_are_named() {
    let env = Env::start(
        "ks-bad",
        &[(
            "app/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: ${undefined_var}\n",
        )],
        &[],
    )
    .await;
    let ns = env.ns().to_string();
    env.create::<capstan_api::kustomize::Kustomization>(json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": { "name": "no-source" },
        "spec": { "interval": "1m", "prune": true, "path": "./app", "sourceRef": { "kind": "GitRepository", "name": "absent" } }
    }))
    .await;
    let message = env
        .wait_failed("no-source", "ArtifactFailed", Duration::from_secs(30))
        .await;
    assert!(
        message.contains(&format!("GitRepository/{ns}/absent")),
        "{message}"
    );

    env.kustomization(
        "strict",
        "./app",
        json!({ "targetNamespace": ns, "postBuild": { "substitute": { "other": "x" } } }),
    )
    .await;
    let message = env
        .wait_failed("strict", "BuildFailed", Duration::from_secs(60))
        .await;
    assert!(
        message.contains("undefined_var") && message.contains(&format!("ConfigMap/{ns}/c")),
        "{message}"
    );

    env.kustomization("no-path", "./nope", json!({ "targetNamespace": ns }))
        .await;
    let message = env
        .wait_failed("no-path", "ArtifactFailed", Duration::from_secs(60))
        .await;
    assert!(message.contains("./nope"), "{message}");
}

#[tokio::test]
async fn a_tampered_artifact_is_refused_before_unpacking() {
    let env = Env::start("ks-digest", &[("app/cm.yaml", &config_map("c", "1"))], &[]).await;
    // Wait for the source artifact, then corrupt it on disk behind source-controller's back.
    let repo = capstan_e2e::wait_for("the artifact", Duration::from_secs(30), || async {
        let repo = env
            .api::<capstan_api::source::GitRepository>()
            .get("repo")
            .await
            .ok()?;
        repo.status?.artifact
    })
    .await
    .unwrap();
    std::fs::write(env.storage.path().join(&repo.path), b"tampered bytes").unwrap();
    env.kustomization("app", "./app", json!({ "targetNamespace": env.ns() }))
        .await;
    let message = env
        .wait_failed("app", "ArtifactFailed", Duration::from_secs(60))
        .await;
    assert!(message.contains("does not match its digest"), "{message}");
    assert!(env.api::<ConfigMap>().get_opt("c").await.unwrap().is_none());
}
