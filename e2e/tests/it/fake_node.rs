//! The fake node makes workloads healthy through the real controller-manager.

use std::time::Duration;

use capstan_e2e::{TestNamespace, cluster, wait_for};
use capstan_localcluster::{EXIT_CODE_ANNOTATION, NODE_NAME, NOT_READY_ANNOTATION};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, PostParams};
use serde_json::json;

fn deployment(name: &str, pod_annotations: serde_json::Value) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name },
        "spec": {
            "replicas": 2,
            "selector": { "matchLabels": { "app": name } },
            "template": {
                "metadata": { "labels": { "app": name }, "annotations": pod_annotations },
                "spec": { "containers": [{ "name": "app", "image": "ghcr.io/stefanprodan/podinfo:6.7.0" }] }
            }
        }
    }))
    .unwrap()
}

fn condition_true(deployment: &Deployment, type_: &str) -> bool {
    deployment
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == type_ && c.status == "True"))
}

#[tokio::test]
async fn the_fake_node_is_registered_ready() {
    let client = cluster().client().await;
    let node = Api::<Node>::all(client)
        .get(NODE_NAME)
        .await
        .expect("the fake node exists");
    let ready = node.status.and_then(|s| s.conditions).unwrap_or_default();
    assert!(
        ready
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True")
    );
}

#[tokio::test]
async fn a_deployment_becomes_available_through_the_fake_node() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "fake-node").await;
    let api: Api<Deployment> = Api::namespaced(client, ns.name());
    api.create(&PostParams::default(), &deployment("web", json!({})))
        .await
        .unwrap();
    let available = wait_for(
        "Deployment web Available with 2 ready replicas",
        Duration::from_secs(60),
        || async {
            let d = api.get("web").await.ok()?;
            let ready = d.status.as_ref()?.ready_replicas? == 2;
            (ready && condition_true(&d, "Available")).then_some(d)
        },
    )
    .await
    .unwrap();
    assert_eq!(available.status.unwrap().available_replicas, Some(2));
}

#[tokio::test]
async fn an_annotated_deployment_never_becomes_ready() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "fake-node").await;
    let api: Api<Deployment> = Api::namespaced(client, ns.name());
    api.create(
        &PostParams::default(),
        &deployment("stuck", json!({ NOT_READY_ANNOTATION: "false" })),
    )
    .await
    .unwrap();
    // The pods are created and reported Running but not Ready…
    wait_for(
        "stuck pods to be reported",
        Duration::from_secs(60),
        || async {
            let d = api.get("stuck").await.ok()?;
            (d.status.as_ref()?.replicas? == 2).then_some(())
        },
    )
    .await
    .unwrap();
    // …so the Deployment keeps zero ready replicas and is not Available.
    let d = api.get("stuck").await.unwrap();
    assert_eq!(d.status.as_ref().and_then(|s| s.ready_replicas), None);
    assert!(!condition_true(&d, "Available"));
}

#[tokio::test]
async fn jobs_complete_or_fail_by_the_exit_code_annotation() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "fake-node").await;
    let api: Api<Job> = Api::namespaced(client, ns.name());
    for (name, code) in [("ok", "0"), ("broken", "1")] {
        let job: Job = serde_json::from_value(json!({
            "apiVersion": "batch/v1", "kind": "Job", "metadata": { "name": name },
            "spec": { "backoffLimit": 0, "template": {
                "metadata": { "annotations": { EXIT_CODE_ANNOTATION: code } },
                "spec": { "restartPolicy": "Never", "containers": [{ "name": "c", "image": "busybox" }] } } }
        }))
        .unwrap();
        api.create(&PostParams::default(), &job).await.unwrap();
    }
    let has = |job: &Job, type_: &str| {
        job.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == type_ && c.status == "True"))
    };
    wait_for("Job ok Complete", Duration::from_secs(60), || async {
        api.get("ok").await.ok().filter(|j| has(j, "Complete"))
    })
    .await
    .unwrap();
    wait_for("Job broken Failed", Duration::from_secs(60), || async {
        api.get("broken").await.ok().filter(|j| has(j, "Failed"))
    })
    .await
    .unwrap();
}
