//! Immutable-field changes fail without force and recreate the object with it.

use capstan_apply::{Action, ApplyError, ValidationPoint};
use capstan_e2e::{TestNamespace, cluster};
use serde_json::{Value, json};

use crate::support::*;

fn job(namespace: &str, command: &str) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "namespace": namespace},
        "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "migrate", "image": "busybox", "command": ["sh", "-c", command]}]}}}})
}

fn uid(object: &Value) -> String {
    object["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_changed_job_template_fails_without_force_and_is_recreated_with_it() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "force").await;
    let mut applier = applier(&client, "force", ns.name());
    let first = job(ns.name(), "echo one");
    applier.apply_all_staged(vec![first.clone()]).await.unwrap();
    let original = uid(&live(&client, &first).await.unwrap());

    let changed = job(ns.name(), "echo two");
    let error = applier
        .apply_all_staged(vec![changed.clone()])
        .await
        .unwrap_err();
    let ApplyError::Validation { point, refused, .. } = &error else {
        panic!("expected a validation error, got {error}");
    };
    assert_eq!(*point, ValidationPoint::BeforeApply);
    assert_eq!(refused.len(), 1);
    let text = error.to_string();
    assert!(
        text.contains(&format!("Job/{}/migrate", ns.name())),
        "{text}"
    );
    assert!(text.contains("field is immutable"), "{text}");
    assert_eq!(uid(&live(&client, &first).await.unwrap()), original);

    let mut options = applier.options().clone();
    options.force = true;
    applier = capstan_apply::Applier::with_resources(applier.resources().clone(), options);
    let result = applier
        .apply_all_staged(vec![changed.clone()])
        .await
        .unwrap();
    assert_eq!(result.entries[0].action, Action::Created, "{result}");
    let recreated = live(&client, &changed).await.unwrap();
    assert_ne!(uid(&recreated), original);
    assert_eq!(
        recreated["spec"]["template"]["spec"]["containers"][0]["command"][2],
        "echo two"
    );

    // The server-generated selector and labels of a Job are not drift.
    let again = applier.apply_all_staged(vec![changed]).await.unwrap();
    assert_eq!(again.entries[0].action, Action::Unchanged, "{again}");
}

#[tokio::test]
async fn the_force_annotation_recreates_a_deployment_whose_selector_changed() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "force").await;
    let applier = applier(&client, "force", ns.name());
    let mut web = deployment(ns.name(), "web", 1, json!({}));
    web["metadata"]["annotations"] = json!({"kustomize.toolkit.fluxcd.io/force": "enabled"});
    applier.apply_all_staged(vec![web.clone()]).await.unwrap();
    let original = uid(&live(&client, &web).await.unwrap());

    web["spec"]["selector"]["matchLabels"]["tier"] = json!("front");
    web["spec"]["template"]["metadata"]["labels"]["tier"] = json!("front");
    let result = applier.apply_all_staged(vec![web.clone()]).await.unwrap();
    assert_eq!(result.entries[0].action, Action::Created, "{result}");
    let recreated = live(&client, &web).await.unwrap();
    assert_ne!(uid(&recreated), original);
    assert_eq!(
        recreated["spec"]["selector"]["matchLabels"]["tier"],
        "front"
    );
}
