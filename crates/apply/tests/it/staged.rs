//! Staged apply of a set holding a CRD and its custom resources, a Namespace and objects in it.

use capstan_apply::{Action, ChangeSet};
use capstan_e2e::{TestNamespace, cluster};
use serde_json::json;

use crate::support::*;

fn actions(set: &ChangeSet) -> Vec<String> {
    set.entries.iter().map(ToString::to_string).collect()
}

#[tokio::test]
async fn a_crd_its_resources_and_a_new_namespace_apply_in_stages_then_stay_unchanged() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "staged").await;
    let group = group_for(ns.name());
    let extra = format!("{}-extra", ns.name());
    let set = vec![
        widget(&group, ns.name(), "small", 1),
        config_map(&extra, "settings", json!({"mode": "fast"})),
        widget_crd(&group),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": extra}}),
        widget(&group, &extra, "big", 9),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": ns.name()},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": ns.name()},
            "stringData": {"password": "hunter22"}}),
    ];
    let applier = applier(&client, "staged", ns.name());

    let first = applier.apply_all_staged(set.clone()).await.unwrap();
    assert_eq!(
        actions(&first),
        [
            format!("CustomResourceDefinition/widgets.{group} created"),
            format!("Namespace/{extra} created"),
            format!("ConfigMap/{extra}/settings created"),
            format!("Secret/{}/creds created", ns.name()),
            format!("Service/{}/web created", ns.name()),
            format!("Widget/{}/small created", ns.name()),
            format!("Widget/{extra}/big created"),
        ],
        "{first}"
    );
    let widget_live = live(&client, &widget(&group, &extra, "big", 9))
        .await
        .unwrap();
    assert_eq!(widget_live["spec"]["size"], 9);
    assert_eq!(
        widget_live["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"],
        "staged"
    );

    let mut before = Vec::new();
    for object in &set {
        before.push(resource_version(&live(&client, object).await.unwrap()));
    }
    let second = applier.apply_all_staged(set.clone()).await.unwrap();
    assert!(
        second.entries.iter().all(|e| e.action == Action::Unchanged),
        "{second}"
    );
    assert!(!second.has_changes());
    for (object, rv) in set.iter().zip(before) {
        let now = resource_version(&live(&client, object).await.unwrap());
        assert_eq!(now, rv, "{} was rewritten", object["metadata"]["name"]);
    }

    // The inventory of the change set has Flux's ids.
    let inventory = second.to_inventory();
    assert!(
        inventory
            .entries
            .iter()
            .any(|e| e.id == format!("_{extra}__Namespace") && e.v == "v1")
    );
    assert!(
        inventory
            .entries
            .iter()
            .any(|e| e.id == format!("{}_small_{group}_Widget", ns.name()))
    );
}

#[tokio::test]
async fn a_changed_field_is_configured_and_the_rest_unchanged() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "staged").await;
    let applier = applier(&client, "staged", ns.name());
    let a = config_map(ns.name(), "a", json!({"k": "1"}));
    let b = config_map(ns.name(), "b", json!({"k": "1"}));
    applier
        .apply_all_staged(vec![a.clone(), b.clone()])
        .await
        .unwrap();
    let changed = config_map(ns.name(), "b", json!({"k": "2"}));
    let result = applier
        .apply_all_staged(vec![a.clone(), changed])
        .await
        .unwrap();
    assert_eq!(
        actions(&result),
        [
            format!("ConfigMap/{}/a unchanged", ns.name()),
            format!("ConfigMap/{}/b configured", ns.name())
        ]
    );
    assert_eq!(result.changes().entries.len(), 1);
    assert_eq!(live(&client, &b).await.unwrap()["data"]["k"], "2");
}
