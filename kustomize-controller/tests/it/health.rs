//! Health checks: a rollout that never becomes ready fails at the timeout, and a fix pushed
//! during the wait is applied within seconds (the running check is cancelled).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Env, condition, deployment};

#[tokio::test]
async fn an_unready_deployment_fails_the_health_check_at_the_timeout() {
    let env = Env::start(
        "ks-unhealthy",
        &[("app/web.yaml", &deployment("web", 1, false))],
        &[],
    )
    .await;
    env.kustomization(
        "app",
        "./app",
        json!({ "targetNamespace": env.ns(), "wait": true, "timeout": "10s" }),
    )
    .await;
    let message = env
        .wait_failed("app", "HealthCheckFailed", Duration::from_secs(60))
        .await;
    assert!(
        message.contains(&format!("Deployment/{}/web", env.ns())),
        "names the object: {message}"
    );
    let object = serde_json::to_value(
        env.api::<capstan_api::kustomize::Kustomization>()
            .get("app")
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(condition(&object, "Healthy").unwrap()["status"], "False");
}

#[tokio::test]
async fn a_fix_pushed_during_a_health_check_is_applied_within_seconds() {
    let env = Env::start(
        "ks-fix",
        &[("app/web.yaml", &deployment("web", 1, false))],
        &[],
    )
    .await;
    // A long timeout: without cancellation the fix would wait for it.
    env.kustomization(
        "app",
        "./app",
        json!({ "targetNamespace": env.ns(), "wait": true, "timeout": "5m" }),
    )
    .await;
    env.wait_ks(
        "app",
        "the health check to start",
        Duration::from_secs(60),
        |o| {
            condition(o, "Reconciling")
                .and_then(|c| c["message"].as_str())
                .is_some_and(|m| m.starts_with("Running health checks"))
        },
    )
    .await;
    let pushed = Instant::now();
    let fixed = env.push(
        "fix readiness",
        &[("app/web.yaml", Some(&deployment("web", 1, true)))],
    );
    env.wait_applied("app", &fixed, Duration::from_secs(45))
        .await;
    let took = pushed.elapsed();
    assert!(took < Duration::from_secs(45), "the fix took {took:?}");
    eprintln!("fix applied {took:?} after the push (timeout was 5m)");
}
