//! The controller process: metrics, probes, leader election with the artifact server following
//! the lease.

use std::time::Duration;

use capstan_api::source::GitRepository;
use capstan_e2e::{ControllerProcess, cluster, free_port, http_get, wait_for};
use serde_json::json;

use crate::support::{Env, git_repository, git_server};

#[tokio::test]
async fn reconciles_are_measured_on_the_metrics_endpoint() {
    let env = Env::start("metrics", &[]).await;
    let server = git_server();
    server.create_repo("metrics");
    let work = server.working_copy("metrics");
    work.write("a.yaml", "a: 1\n");
    work.commit("one");
    work.push_head("refs/heads/main");
    env.create::<GitRepository>(git_repository(
        "app",
        &server.public_http_url("metrics"),
        json!({ "branch": "main" }),
        json!({}),
    ))
    .await;
    env.wait_ready::<GitRepository>("app").await;
    let metrics = env.controller.metrics();
    let series = format!(
        "gotk_reconcile_duration_seconds_count{{kind=\"GitRepository\",name=\"app\",namespace=\"{}\"}}",
        env.ns()
    );
    assert!(metrics.contains(&series), "{metrics}");
    let (status, _) = http_get(&format!(
        "http://127.0.0.1:{}/healthz",
        env.controller.health_port()
    ))
    .unwrap();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn only_the_leader_serves_artifacts_and_a_standby_takes_over() {
    let env = Env::start("leader", &[]).await;
    drop(env.controller);
    let cluster = cluster();
    let namespace = env.namespace.name().to_string();
    let start = |port: u16| {
        let storage = tempfile::tempdir().unwrap();
        let args = vec![
            "--enable-leader-election".to_string(),
            "--leader-election-lease-duration=4s".to_string(),
            "--leader-election-renew-deadline=3s".to_string(),
            "--leader-election-retry-period=1s".to_string(),
            format!("--storage-path={}", storage.path().display()),
            format!("--storage-addr=127.0.0.1:{port}"),
            format!("--storage-adv-addr=127.0.0.1:{port}"),
        ];
        (
            ControllerProcess::start(
                std::path::Path::new(env!("CARGO_BIN_EXE_source-controller")),
                cluster,
                &namespace,
                &args,
            ),
            storage,
        )
    };
    let (first_port, second_port) = (free_port(), free_port());
    let first = start(first_port);
    let serving = |port: u16| http_get(&format!("http://127.0.0.1:{port}/")).is_ok();
    wait_for(
        "the first replica to lead and serve",
        Duration::from_secs(20),
        || async { serving(first_port).then_some(()) },
    )
    .await
    .unwrap();
    let second = start(second_port);
    // The standby is healthy (its probes answer) but does not serve artifacts.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(second.0.is_running());
    assert!(!serving(second_port), "a standby must not serve artifacts");
    drop(first);
    wait_for(
        "the standby to take over",
        Duration::from_secs(20),
        || async { serving(second_port).then_some(()) },
    )
    .await
    .unwrap();
}
