//! Apply, update, prune, drift correction, variables, deletion.

use std::time::Duration;

use capstan_api::kustomize::Kustomization;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Event};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use serde_json::json;

use crate::support::{Env, config_map, deployment};

#[tokio::test]
async fn a_repository_is_applied_updated_pruned_and_drift_is_reverted() {
    let env = Env::start(
        "ks-apply",
        &[
            ("apps/config.yaml", &config_map("settings", "v1")),
            ("apps/web.yaml", &deployment("web", 2, true)),
            ("apps/extra.yaml", &config_map("extra", "x")),
        ],
        &[],
    )
    .await;
    let revision = env.head_revision();
    env.kustomization(
        "apps",
        "./apps",
        json!({ "targetNamespace": env.ns(), "wait": true }),
    )
    .await;
    let applied = env
        .wait_applied("apps", &revision, Duration::from_secs(90))
        .await;
    let entries: Vec<&str> = applied["status"]["inventory"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    let ns = env.ns();
    assert!(
        entries.contains(&format!("{ns}_settings__ConfigMap").as_str()),
        "{entries:?}"
    );
    assert!(
        entries.contains(&format!("{ns}_web_apps_Deployment").as_str()),
        "{entries:?}"
    );
    assert_eq!(applied["status"]["lastAttemptedRevision"], revision);
    let cm = env.api::<ConfigMap>().get("settings").await.unwrap();
    let labels = cm.metadata.labels.unwrap();
    assert_eq!(labels["kustomize.toolkit.fluxcd.io/name"], "apps");
    assert_eq!(labels["kustomize.toolkit.fluxcd.io/namespace"], ns);
    let healthy = crate::support::condition(&applied, "Healthy").unwrap();
    assert_eq!(healthy["status"], "True");

    // The event lists the change set.
    let events = env
        .api::<Event>()
        .list(&ListParams::default().fields("involvedObject.name=apps"))
        .await
        .unwrap();
    let messages: Vec<String> = events
        .items
        .iter()
        .filter_map(|e| e.message.clone())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains(&format!("Deployment/{ns}/web created"))),
        "{messages:?}"
    );

    // A push is a deployment; a removed file is pruned.
    let revision = env.push(
        "update",
        &[
            ("apps/config.yaml", Some(&config_map("settings", "v2"))),
            ("apps/extra.yaml", None),
        ],
    );
    env.wait_applied("apps", &revision, Duration::from_secs(30))
        .await;
    let cm = env.api::<ConfigMap>().get("settings").await.unwrap();
    assert_eq!(cm.data.unwrap()["value"], "v2");
    assert!(
        env.api::<ConfigMap>()
            .get_opt("extra")
            .await
            .unwrap()
            .is_none(),
        "extra was pruned"
    );

    // Manual edits (kubectl scale, kubectl edit) are reverted on the next reconcile.
    let scale = json!({ "spec": { "replicas": 5 } });
    env.api::<Deployment>()
        .patch_scale("web", &PatchParams::default(), &Patch::Merge(&scale))
        .await
        .unwrap();
    let edit = json!({ "data": { "value": "hand-edited" } });
    env.api::<ConfigMap>()
        .patch(
            "settings",
            &PatchParams {
                field_manager: Some("kubectl-edit".into()),
                ..Default::default()
            },
            &Patch::Merge(&edit),
        )
        .await
        .unwrap();
    env.request_reconcile("apps", "revert-drift").await;
    env.wait_ks(
        "apps",
        "the drift reconcile",
        Duration::from_secs(30),
        |o| o["status"]["lastHandledReconcileAt"] == "revert-drift",
    )
    .await;
    let web = env.api::<Deployment>().get("web").await.unwrap();
    assert_eq!(
        web.spec.unwrap().replicas,
        Some(2),
        "kubectl scale reverted"
    );
    assert_eq!(
        env.api::<ConfigMap>()
            .get("settings")
            .await
            .unwrap()
            .data
            .unwrap()["value"],
        "v2",
        "kubectl edit reverted"
    );

    // Deleting the Kustomization (prune: true, MirrorPrune) removes what it applied.
    env.api::<Kustomization>()
        .delete("apps", &DeleteParams::default())
        .await
        .unwrap();
    capstan_e2e::wait_for(
        "applied objects to be deleted",
        Duration::from_secs(60),
        || async {
            let gone = env
                .api::<ConfigMap>()
                .get_opt("settings")
                .await
                .ok()?
                .is_none()
                && env
                    .api::<Kustomization>()
                    .get_opt("apps")
                    .await
                    .ok()?
                    .is_none();
            gone.then_some(())
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn post_build_variables_come_from_the_spec_and_config_maps() {
    let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-${cluster}\ndata:\n  region: ${region}\n  tier: ${tier:=standard}\n  literal: $${not_a_var}\n";
    let env = Env::start("ks-vars", &[("app/cm.yaml", manifest)], &[]).await;
    let vars: ConfigMap = serde_json::from_value(json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "cluster-vars" }, "data": { "region": "eu-west-1", "cluster": "from-cm" } })).unwrap();
    env.api::<ConfigMap>()
        .create(&Default::default(), &vars)
        .await
        .unwrap();
    let revision = env.head_revision();
    env.kustomization(
        "app",
        "./app",
        json!({ "targetNamespace": env.ns(), "postBuild": {
            "substitute": { "cluster": "prod" },
            "substituteFrom": [{ "kind": "ConfigMap", "name": "cluster-vars" }, { "kind": "Secret", "name": "absent", "optional": true }]
        } }),
    )
    .await;
    env.wait_applied("app", &revision, Duration::from_secs(60))
        .await;
    let cm = env
        .api::<ConfigMap>()
        .get("app-prod")
        .await
        .expect("inline substitute wins over substituteFrom");
    let data = cm.data.unwrap();
    assert_eq!(data["region"], "eu-west-1");
    assert_eq!(data["tier"], "standard");
    assert_eq!(data["literal"], "${not_a_var}");
}
