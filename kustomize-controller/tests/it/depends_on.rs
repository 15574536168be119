//! dependsOn: a chain converges as each dependency turns Ready (no fixed 30 s polling); a
//! cycle is reported as Stalled, naming it.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Env, condition, config_map};

#[tokio::test]
async fn a_three_deep_chain_converges_without_polling_waits() {
    let env = Env::start(
        "ks-deps",
        &[
            ("a/cm.yaml", &config_map("a", "1")),
            ("b/cm.yaml", &config_map("b", "1")),
            ("c/cm.yaml", &config_map("c", "1")),
        ],
        &["--requeue-dependency=30s"],
    )
    .await;
    let revision = env.head_revision();
    let ns = env.ns().to_string();
    let started = Instant::now();
    // Created dependents first, so they must wait for their dependencies.
    env.kustomization(
        "c",
        "./c",
        json!({ "targetNamespace": ns, "dependsOn": [{ "name": "b" }] }),
    )
    .await;
    env.kustomization(
        "b",
        "./b",
        json!({ "targetNamespace": ns, "dependsOn": [{ "name": "a" }] }),
    )
    .await;
    env.kustomization("a", "./a", json!({ "targetNamespace": ns }))
        .await;
    env.wait_applied("c", &revision, Duration::from_secs(25))
        .await;
    let took = started.elapsed();
    // With Flux's 30 s dependency polling this takes at least 30 s.
    assert!(took < Duration::from_secs(25), "took {took:?}");
    eprintln!("3-deep dependsOn chain Ready in {took:?}");
}

#[tokio::test]
async fn a_dependency_cycle_is_stalled_naming_the_cycle() {
    let env = Env::start("ks-cycle", &[("a/cm.yaml", &config_map("a", "1"))], &[]).await;
    let ns = env.ns().to_string();
    env.kustomization(
        "x",
        "./a",
        json!({ "targetNamespace": ns, "dependsOn": [{ "name": "y" }] }),
    )
    .await;
    env.kustomization(
        "y",
        "./a",
        json!({ "targetNamespace": ns, "dependsOn": [{ "name": "x" }] }),
    )
    .await;
    let stalled = env
        .wait_ks("x", "x Stalled", Duration::from_secs(30), |o| {
            condition(o, "Stalled").is_some()
        })
        .await;
    let message = condition(&stalled, "Stalled").unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains(&format!("{ns}/x -> {ns}/y -> {ns}/x")),
        "{message}"
    );
}
