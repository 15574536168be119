//! Manual edits are reverted; `ssa: Merge`, `IfNotPresent` and `Ignore` change that.

use capstan_apply::Action;
use capstan_e2e::{TestNamespace, cluster};
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use crate::support::*;

fn manager(name: &str) -> PatchParams {
    PatchParams {
        field_manager: Some(name.to_string()),
        ..PatchParams::default()
    }
}

#[tokio::test]
async fn kubectl_edit_and_scale_are_reverted_and_managed_fields_cleaned() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "drift").await;
    let applier = applier(&client, "drift", ns.name());
    let web = deployment(ns.name(), "web", 2, json!({}));
    applier.apply_all_staged(vec![web.clone()]).await.unwrap();

    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns.name());
    deployments
        .patch(
            "web",
            &manager("kubectl-edit"),
            &Patch::Merge(json!({"metadata": {"labels": {"edited": "by-hand"},
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
                "spec": {"minReadySeconds": 7}})),
        )
        .await
        .unwrap();
    deployments
        .patch_scale(
            "web",
            &manager("kubectl"),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .unwrap();
    let edited = live(&client, &web).await.unwrap();
    assert_eq!(edited["spec"]["replicas"], 5);
    assert!(
        managers(&edited).iter().any(|m| m.starts_with("kubectl")),
        "{:?}",
        managers(&edited)
    );

    let result = applier.apply_all_staged(vec![web.clone()]).await.unwrap();
    assert_eq!(result.entries[0].action, Action::Configured, "{result}");
    let reverted = live(&client, &web).await.unwrap();
    assert_eq!(reverted["spec"]["replicas"], 2);
    assert!(
        reverted["metadata"]["labels"].get("edited").is_none(),
        "{reverted}"
    );
    assert!(
        reverted["spec"]
            .get("minReadySeconds")
            .is_none_or(|v| v == 0),
        "{reverted}"
    );
    assert!(
        reverted["metadata"]["annotations"]
            .get("kubectl.kubernetes.io/last-applied-configuration")
            .is_none()
    );
    let owners = managers(&reverted);
    assert!(
        !owners.iter().any(|m| m.starts_with("kubectl")),
        "{owners:?}"
    );
    assert!(
        owners.contains(&"kustomize-controller:Apply".to_string()),
        "{owners:?}"
    );

    // Cleaned up, the next run changes nothing. A v1.20 apiserver lets a controller's status
    // update carry its cached, stale managedFields back (fixed upstream in later releases), which
    // can resurrect the kubectl entries once while the rollout settles; so wait for the rollout,
    // then allow one more cleanup only when such an entry is back.
    let checks = capstan_apply::health::CustomHealthChecks::default();
    let options = capstan_apply::health::WaitOptions {
        interval: std::time::Duration::from_millis(500),
        timeout: std::time::Duration::from_secs(60),
        fail_fast: true,
    };
    let meta = capstan_apply::ObjMetadata::from_object(&web).unwrap();
    applier
        .wait_for_set(&[meta], &checks, &options, &Default::default())
        .await
        .unwrap();
    let before = live(&client, &web).await.unwrap();
    let again = applier.apply_all_staged(vec![web.clone()]).await.unwrap();
    if managers(&before).iter().any(|m| m.starts_with("kubectl")) {
        let last = applier.apply_all_staged(vec![web.clone()]).await.unwrap();
        assert_eq!(last.entries[0].action, Action::Unchanged, "{last}");
    } else {
        assert_eq!(
            again.entries[0].action,
            Action::Unchanged,
            "{again}; managers {:?}",
            managers(&before)
        );
    }
}

#[tokio::test]
async fn ssa_merge_keeps_fields_of_other_managers() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "drift").await;
    let applier = applier(&client, "drift", ns.name());
    let mut cm = config_map(ns.name(), "merged", json!({"mine": "1"}));
    cm["metadata"]["annotations"] = json!({"kustomize.toolkit.fluxcd.io/ssa": "Merge"});
    applier.apply_all_staged(vec![cm.clone()]).await.unwrap();
    let api = api_for(&client, &cm).await;
    api.patch(
        "merged",
        &manager("kubectl-edit"),
        &Patch::Merge(json!({"data": {"theirs": "2"}})),
    )
    .await
    .unwrap();
    let result = applier.apply_all_staged(vec![cm.clone()]).await.unwrap();
    assert_eq!(result.entries[0].action, Action::Unchanged, "{result}");
    let kept = live(&client, &cm).await.unwrap();
    assert_eq!(kept["data"], json!({"mine": "1", "theirs": "2"}));
    assert!(managers(&kept).contains(&"kubectl-edit:Update".to_string()));

    // Without Merge, the foreign field is removed.
    let plain = config_map(ns.name(), "plain", json!({"mine": "1"}));
    applier.apply_all_staged(vec![plain.clone()]).await.unwrap();
    api.patch(
        "plain",
        &manager("kubectl-edit"),
        &Patch::Merge(json!({"data": {"theirs": "2"}})),
    )
    .await
    .unwrap();
    applier.apply_all_staged(vec![plain.clone()]).await.unwrap();
    assert_eq!(
        live(&client, &plain).await.unwrap()["data"],
        json!({"mine": "1"})
    );
}

#[tokio::test]
async fn if_not_present_creates_once_and_ignore_never_applies() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "drift").await;
    let applier = applier(&client, "drift", ns.name());
    let mut once = config_map(ns.name(), "once", json!({"v": "1"}));
    once["metadata"]["annotations"] = json!({"kustomize.toolkit.fluxcd.io/ssa": "IfNotPresent"});
    let mut ignored = config_map(ns.name(), "ignored", json!({"v": "1"}));
    ignored["metadata"]["annotations"] = json!({"kustomize.toolkit.fluxcd.io/ssa": "Ignore"});
    let mut disabled = config_map(ns.name(), "disabled", json!({"v": "1"}));
    disabled["metadata"]["annotations"] =
        json!({"kustomize.toolkit.fluxcd.io/reconcile": "disabled"});

    let first = applier
        .apply_all_staged(vec![once.clone(), ignored.clone(), disabled.clone()])
        .await
        .unwrap();
    let action = |set: &capstan_apply::ChangeSet, name: &str| {
        set.entries
            .iter()
            .find(|e| e.object.name == name)
            .map(|e| e.action)
    };
    assert_eq!(action(&first, "once"), Some(Action::Created));
    assert_eq!(action(&first, "ignored"), Some(Action::Skipped));
    assert_eq!(action(&first, "disabled"), Some(Action::Skipped));
    assert!(live(&client, &ignored).await.is_none());
    assert!(live(&client, &disabled).await.is_none());

    once["data"]["v"] = json!("2");
    let second = applier.apply_all_staged(vec![once.clone()]).await.unwrap();
    assert_eq!(action(&second, "once"), Some(Action::Skipped));
    assert_eq!(live(&client, &once).await.unwrap()["data"]["v"], "1");
}
