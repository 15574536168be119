//! Prune deletes what left the set, in reverse apply order, guarded by owner labels.

use std::time::Duration;

use capstan_apply::{Action, DeleteOptions, ObjMetadata, inventory};
use capstan_e2e::{TestNamespace, cluster};
use kube::api::{Patch, PatchParams};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::support::*;

#[tokio::test]
async fn prune_deletes_what_left_in_reverse_order_and_keeps_adopted_or_protected_objects() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "prune").await;
    let applier = applier(&client, "prune", ns.name());
    let scratch = format!("{}-scratch", ns.name());
    let kept = config_map(ns.name(), "kept", json!({}));
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": scratch}});
    let inner = config_map(&scratch, "inner", json!({}));
    let web = deployment(&scratch, "web", 1, json!({}));
    let adopted = config_map(ns.name(), "adopted", json!({}));
    let mut protected = config_map(ns.name(), "protected", json!({}));
    protected["metadata"]["annotations"] = json!({"kustomize.toolkit.fluxcd.io/prune": "disabled"});

    let first = applier
        .apply_all_staged(vec![
            kept.clone(),
            namespace.clone(),
            inner.clone(),
            web.clone(),
            adopted.clone(),
            protected.clone(),
        ])
        .await
        .unwrap();
    let old = first.to_inventory();

    // Another Kustomization took `adopted` over.
    api_for(&client, &adopted)
        .await
        .patch(
            "adopted",
            &PatchParams::apply("other-owner").force(),
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "adopted", "labels": {"kustomize.toolkit.fluxcd.io/name": "other"}}})),
        )
        .await
        .unwrap();

    let second = applier.apply_all_staged(vec![kept.clone()]).await.unwrap();
    let new = second.to_inventory();
    let report = applier.prune(&old, &new).await.unwrap();
    assert!(report.is_success(), "{}", report.failure_message());
    let lines: Vec<String> = report
        .change_set
        .entries
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines,
        [
            format!("Deployment/{scratch}/web deleted"),
            format!("ConfigMap/{scratch}/inner deleted"),
            format!("ConfigMap/{}/protected skipped", ns.name()),
            format!("ConfigMap/{}/adopted skipped", ns.name()),
            format!("Namespace/{scratch} deleted"),
        ]
    );
    assert!(live(&client, &kept).await.is_some());
    assert!(live(&client, &adopted).await.is_some());
    assert!(live(&client, &protected).await.is_some());
    assert!(live(&client, &web).await.is_none());

    // The namespace terminates (the namespace controller empties it).
    let gone = ObjMetadata::from_object(&namespace).unwrap();
    applier
        .wait_for_termination(
            &[gone],
            Duration::from_millis(500),
            Duration::from_secs(90),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn delete_all_reports_missing_objects_as_deleted_and_failures_per_object() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "prune").await;
    let applier = applier(&client, "prune", ns.name());
    let a = config_map(ns.name(), "a", json!({}));
    let set = applier.apply_all_staged(vec![a.clone()]).await.unwrap();
    let mut objects = inventory::objects(&set.to_inventory()).unwrap();
    objects.push(ObjMetadata::new(
        "",
        "v1",
        "ConfigMap",
        ns.name(),
        "never-existed",
    ));
    objects.push(ObjMetadata::new(
        "gone.capstan.dev",
        "v1",
        "Thing",
        ns.name(),
        "t",
    ));
    let options = DeleteOptions::flux(applier.options().owner_labels.clone());
    let report = applier.delete_all(&objects, &options).await;
    assert!(report.is_success(), "{}", report.failure_message());
    assert!(
        report
            .change_set
            .entries
            .iter()
            .all(|e| e.action == Action::Deleted)
    );
    assert!(live(&client, &a).await.is_none());
}
