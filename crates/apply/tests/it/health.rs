//! Health checks against real controllers and the fake node.

use std::time::{Duration, Instant};

use capstan_api::meta::CustomHealthCheck;
use capstan_apply::ObjMetadata;
use capstan_apply::WaitError;
use capstan_apply::health::{CustomHealthChecks, WaitOptions};
use capstan_e2e::{TestNamespace, cluster};
use capstan_localcluster::{EXIT_CODE_ANNOTATION, NOT_READY_ANNOTATION};
use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::support::*;

fn wait(timeout_secs: u64) -> WaitOptions {
    WaitOptions {
        interval: Duration::from_millis(500),
        timeout: Duration::from_secs(timeout_secs),
        fail_fast: true,
    }
}

fn meta(object: &Value) -> ObjMetadata {
    ObjMetadata::from_object(object).unwrap()
}

fn job(namespace: &str, name: &str, exit_code: &str) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": namespace},
        "spec": {"backoffLimit": 0, "template": {
            "metadata": {"annotations": {EXIT_CODE_ANNOTATION: exit_code}},
            "spec": {"restartPolicy": "Never",
                "containers": [{"name": "run", "image": "busybox", "command": ["true"]}]}}}})
}

#[tokio::test]
async fn a_deployment_becomes_current_and_an_unready_one_times_out_with_a_message() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "health").await;
    let applier = applier(&client, "health", ns.name());
    let web = deployment(ns.name(), "web", 2, json!({}));
    let slow = deployment(ns.name(), "slow", 2, json!({NOT_READY_ANNOTATION: "false"}));
    applier
        .apply_all_staged(vec![web.clone(), slow.clone()])
        .await
        .unwrap();
    let checks = CustomHealthChecks::default();
    let cancel = CancellationToken::new();
    applier
        .wait_for_set(&[meta(&web)], &checks, &wait(90), &cancel)
        .await
        .unwrap();

    let error = applier
        .wait_for_set(&[meta(&web), meta(&slow)], &checks, &wait(8), &cancel)
        .await
        .unwrap_err();
    assert!(matches!(error, WaitError::Timeout { .. }), "{error}");
    let text = error.to_string();
    assert!(
        text.contains(&format!("Deployment/{}/slow: InProgress: ", ns.name())),
        "{text}"
    );
    assert!(text.contains("0/2"), "{text}");
    assert!(
        !text.contains(&format!("Deployment/{}/web", ns.name())),
        "{text}"
    );
}

#[tokio::test]
async fn a_wait_is_cancelled_at_once() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "health").await;
    let applier = applier(&client, "health", ns.name());
    let slow = deployment(ns.name(), "slow", 1, json!({NOT_READY_ANNOTATION: "false"}));
    applier.apply_all_staged(vec![slow.clone()]).await.unwrap();
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let error = applier
        .wait_for_set(
            &[meta(&slow)],
            &CustomHealthChecks::default(),
            &wait(120),
            &cancel,
        )
        .await
        .unwrap_err();
    assert!(error.is_cancelled(), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(error.to_string().contains("Deployment/"), "{error}");
}

#[tokio::test]
async fn a_job_completes_and_a_failing_job_fails_fast() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "health").await;
    let applier = applier(&client, "health", ns.name());
    let ok = job(ns.name(), "ok", "0");
    let bad = job(ns.name(), "bad", "3");
    applier
        .apply_all_staged(vec![ok.clone(), bad.clone()])
        .await
        .unwrap();
    let checks = CustomHealthChecks::default();
    let cancel = CancellationToken::new();
    applier
        .wait_for_set(&[meta(&ok)], &checks, &wait(90), &cancel)
        .await
        .unwrap();
    let started = Instant::now();
    let error = applier
        .wait_for_set(&[meta(&bad)], &checks, &wait(120), &cancel)
        .await
        .unwrap_err();
    assert!(matches!(error, WaitError::Failed { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(90));
    assert!(
        error
            .to_string()
            .contains(&format!("Job/{}/bad: Failed: Job Failed", ns.name())),
        "{error}"
    );
}

#[tokio::test]
async fn a_crd_is_established_and_a_cel_check_reads_custom_status() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "health").await;
    let group = group_for(ns.name());
    let applier = applier(&client, "health", ns.name());
    let crd = widget_crd(&group);
    let gadget = widget(&group, ns.name(), "w", 1);
    applier
        .apply_all_staged(vec![crd.clone(), gadget.clone()])
        .await
        .unwrap();
    let cancel = CancellationToken::new();
    applier
        .wait_for_set(
            &[meta(&crd)],
            &CustomHealthChecks::default(),
            &wait(30),
            &cancel,
        )
        .await
        .unwrap();

    let checks = CustomHealthChecks::compile(&[CustomHealthCheck {
        api_version: format!("{group}/v1"),
        kind: Some("Widget".into()),
        current: "status.phase == 'Done'".into(),
        in_progress: None,
        failed: Some("status.phase == 'Broken'".into()),
    }])
    .unwrap();
    // No status yet: in progress, with the evaluation error as the reason.
    let error = applier
        .wait_for_set(&[meta(&gadget)], &checks, &wait(2), &cancel)
        .await
        .unwrap_err();
    assert!(matches!(error, WaitError::Timeout { .. }), "{error}");

    let api = api_for(&client, &gadget).await;
    let set_phase = |phase: &'static str| {
        let api = api.clone();
        let group = group.clone();
        async move {
            api.patch_status(
                "w",
                &PatchParams::apply("test-controller").force(),
                &Patch::Apply(
                    json!({"apiVersion": format!("{group}/v1"), "kind": "Widget",
                    "metadata": {"name": "w"}, "status": {"phase": phase}}),
                ),
            )
            .await
            .unwrap();
        }
    };
    set_phase("Done").await;
    applier
        .wait_for_set(&[meta(&gadget)], &checks, &wait(30), &cancel)
        .await
        .unwrap();
    set_phase("Broken").await;
    let error = applier
        .wait_for_set(&[meta(&gadget)], &checks, &wait(30), &cancel)
        .await
        .unwrap_err();
    assert!(matches!(error, WaitError::Failed { .. }), "{error}");
}
