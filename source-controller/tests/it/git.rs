//! GitRepository: every ref kind over ssh and http(s), exclusions, new commits, reconcile
//! requests, determinism, failures that keep the last good artifact, includes, finalizer.

use std::time::Duration;

use capstan_api::source::GitRepository;
use capstan_e2e::http_get;
use k8s_openapi::api::core::v1::Event;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use serde_json::json;

use crate::support::{Env, condition, download_artifact, git_repository, git_server, revision};

/// A repository with content that must and must not reach the artifact.
fn seed_repo(name: &str) -> String {
    let server = git_server();
    server.create_repo(name);
    let work = server.working_copy(name);
    work.write("deploy/app.yaml", "kind: ConfigMap\n")
        .write("deploy/logo.png", "not really a png")
        .write(".github/workflows/ci.yaml", "on: push\n")
        .write("docs/index.md", "# docs\n")
        .write(".sourceignore", "docs/\n")
        .write("README.md", "# app\n");
    std::os::unix::fs::symlink("/etc/passwd", work.path().join("deploy/passwd")).unwrap();
    std::os::unix::fs::symlink("../../../..", work.path().join("up")).unwrap();
    let head = work.commit("initial");
    work.push_head("refs/heads/main");
    head
}

#[tokio::test]
async fn a_branch_over_http_with_basic_auth_becomes_an_artifact_of_the_tracked_files() {
    let env = Env::start("git-http", &[]).await;
    let server = git_server();
    let head = seed_repo("http-app");
    env.secret(
        "basic",
        &[
            ("username", server.username()),
            ("password", server.password()),
        ],
    )
    .await;
    env.create::<GitRepository>(git_repository(
        "app",
        &server.http_url("http-app"),
        json!({ "branch": "main" }),
        json!({ "secretRef": { "name": "basic" } }),
    ))
    .await;
    let ready: GitRepository = env.wait_ready("app").await;
    let value = serde_json::to_value(&ready).unwrap();
    assert_eq!(revision(&value), Some(format!("main@sha1:{head}")));
    assert_eq!(
        condition(&value, "ArtifactInStorage").unwrap()["status"],
        "True"
    );
    assert!(
        condition(&value, "Reconciling").is_none(),
        "Reconciling is removed once Ready"
    );
    assert_eq!(
        value["status"]["artifact"]["path"],
        json!(format!("gitrepository/{}/app/{head}.tar.gz", env.ns()))
    );

    let files = download_artifact(&value["status"]["artifact"]);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    // .git, .github/, *.png (defaults), docs/ (.sourceignore) and both symlinks are left out.
    assert_eq!(names, vec![".sourceignore", "README.md", "deploy/app.yaml"]);
    assert_eq!(files["deploy/app.yaml"], b"kind: ConfigMap\n");
}

#[tokio::test]
async fn every_ref_kind_resolves_to_flux_revision_strings() {
    let env = Env::start("git-refs", &[]).await;
    let server = git_server();
    server.create_repo("refs");
    let work = server.working_copy("refs");
    work.write("a.yaml", "v: 1\n");
    let first = work.commit("first");
    work.tag("v1.0.0").annotated_tag("v1.1.0", "release 1.1.0");
    work.write("a.yaml", "v: 2\n");
    let second = work.commit("second");
    work.tag("v2.0.0");
    work.push_head("refs/heads/main").push_all();
    work.write("a.yaml", "v: pr\n");
    let pr = work.commit("pull request");
    work.push_head("refs/pull/1/head");

    let url = server.public_http_url("refs");
    let cases = [
        (
            "branch",
            json!({ "branch": "main" }),
            format!("main@sha1:{second}"),
        ),
        (
            "tag",
            json!({ "tag": "v1.1.0" }),
            format!("v1.1.0@sha1:{first}"),
        ),
        (
            "semver",
            json!({ "semver": ">=1.0.0 <2.0.0" }),
            format!("v1.1.0@sha1:{first}"),
        ),
        (
            "name",
            json!({ "name": "refs/pull/1/head" }),
            format!("refs/pull/1/head@sha1:{pr}"),
        ),
        (
            "commit",
            json!({ "commit": first }),
            format!("sha1:{first}"),
        ),
        (
            "commit-branch",
            json!({ "branch": "main", "commit": first }),
            format!("main@sha1:{first}"),
        ),
    ];
    for (name, reference, _) in &cases {
        env.create::<GitRepository>(git_repository(name, &url, reference.clone(), json!({})))
            .await;
    }
    for (name, _, expected) in &cases {
        let ready: GitRepository = env.wait_ready(name).await;
        assert_eq!(
            revision(&serde_json::to_value(&ready).unwrap()).as_deref(),
            Some(expected.as_str()),
            "{name}"
        );
    }
}

#[tokio::test]
async fn ssh_with_known_hosts_works_and_an_unknown_host_key_is_refused() {
    let env = Env::start("git-ssh", &[]).await;
    let server = git_server();
    let head = seed_repo("ssh-app");
    env.secret(
        "ssh",
        &[
            ("identity", server.ssh_identity_pem()),
            ("known_hosts", server.known_hosts()),
        ],
    )
    .await;
    env.create::<GitRepository>(git_repository(
        "app",
        &server.ssh_url("ssh-app"),
        json!({ "branch": "main" }),
        json!({ "secretRef": { "name": "ssh" } }),
    ))
    .await;
    let ready: GitRepository = env.wait_ready("app").await;
    assert_eq!(
        revision(&serde_json::to_value(&ready).unwrap()),
        Some(format!("main@sha1:{head}"))
    );

    let other_key = "[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    env.secret(
        "wrong-host",
        &[
            ("identity", server.ssh_identity_pem()),
            ("known_hosts", other_key),
        ],
    )
    .await;
    env.create::<GitRepository>(git_repository(
        "unknown-host",
        &server.ssh_url("ssh-app"),
        json!({ "branch": "main" }),
        json!({ "secretRef": { "name": "wrong-host" } }),
    ))
    .await;
    let (_, message) = env.wait_not_ready::<GitRepository>("unknown-host").await;
    assert!(
        message.contains("host key") && message.contains("127.0.0.1"),
        "{message}"
    );
    assert!(
        message.contains("SHA256:"),
        "the presented key's fingerprint is named: {message}"
    );
}

#[tokio::test]
async fn a_pushed_commit_is_fetched_within_one_interval_and_at_once_on_request() {
    let env = Env::start("git-push", &[]).await;
    let server = git_server();
    server.create_repo("push");
    let work = server.working_copy("push");
    work.write("a.yaml", "v: 1\n");
    work.commit("one");
    work.push_head("refs/heads/main");
    let url = server.public_http_url("push");
    env.create::<GitRepository>(git_repository(
        "fast",
        &url,
        json!({ "branch": "main" }),
        json!({ "interval": "5s" }),
    ))
    .await;
    env.create::<GitRepository>(git_repository(
        "slow",
        &url,
        json!({ "branch": "main" }),
        json!({ "interval": "1h" }),
    ))
    .await;
    env.wait_ready::<GitRepository>("fast").await;
    env.wait_ready::<GitRepository>("slow").await;

    work.write("a.yaml", "v: 2\n");
    let second = work.commit("two");
    work.push_head("refs/heads/main");
    let expected = format!("main@sha1:{second}");
    // Within one interval (5s, plus jitter and the fetch itself).
    env.wait::<GitRepository>("fast", "the new commit", Duration::from_secs(15), |o| {
        revision(o).as_deref() == Some(expected.as_str())
    })
    .await;
    // The 1h one only moves on request.
    env.request_reconcile::<GitRepository>("slow", "2026-11-22T10:00:00Z")
        .await;
    let slow: GitRepository = env
        .wait(
            "slow",
            "the reconcile request to be handled",
            Duration::from_secs(10),
            |o| {
                revision(o).as_deref() == Some(expected.as_str())
                    && o["status"]["lastHandledReconcileAt"] == "2026-11-22T10:00:00Z"
            },
        )
        .await;
    let files = download_artifact(&serde_json::to_value(&slow).unwrap()["status"]["artifact"]);
    assert_eq!(files["a.yaml"], b"v: 2\n");

    let events = env
        .api::<Event>()
        .list(&ListParams::default().fields("involvedObject.name=fast"))
        .await
        .unwrap();
    assert!(
        events
            .items
            .iter()
            .any(|e| e.reason.as_deref() == Some("NewArtifact")
                && e.message
                    .as_deref()
                    .is_some_and(|m| m.contains("stored artifact for commit 'two'"))),
        "a NewArtifact event names the commit: {:?}",
        events
            .items
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn two_builds_of_the_same_commit_have_the_same_digest() {
    let env = Env::start("git-digest", &[]).await;
    let server = git_server();
    seed_repo("same");
    env.create::<GitRepository>(git_repository(
        "one",
        &server.public_http_url("same"),
        json!({ "branch": "main" }),
        json!({}),
    ))
    .await;
    env.create::<GitRepository>(git_repository(
        "two",
        &server.public_http_url("same"),
        json!({ "branch": "main" }),
        json!({}),
    ))
    .await;
    let one = serde_json::to_value(env.wait_ready::<GitRepository>("one").await).unwrap();
    let two = serde_json::to_value(env.wait_ready::<GitRepository>("two").await).unwrap();
    assert_eq!(
        one["status"]["artifact"]["digest"],
        two["status"]["artifact"]["digest"]
    );
    assert_ne!(
        one["status"]["artifact"]["path"],
        two["status"]["artifact"]["path"]
    );
}

#[tokio::test]
async fn failures_are_reported_without_secrets_and_keep_the_last_good_artifact() {
    let env = Env::start("git-fail", &[]).await;
    let server = git_server();
    seed_repo("fail");
    env.secret(
        "basic",
        &[
            ("username", server.username()),
            ("password", server.password()),
        ],
    )
    .await;
    env.secret(
        "wrong",
        &[
            ("username", server.username()),
            ("password", "hunter2-not-the-password"),
        ],
    )
    .await;
    let url = server.http_url("fail");
    env.create::<GitRepository>(git_repository(
        "app",
        &url,
        json!({ "branch": "main" }),
        json!({ "secretRef": { "name": "basic" }, "interval": "5s" }),
    ))
    .await;
    let good = serde_json::to_value(env.wait_ready::<GitRepository>("app").await).unwrap();

    // A new commit, but now the credentials are wrong.
    let work = server.working_copy("fail");
    work.write("new.yaml", "x: 1\n");
    work.commit("unreachable for us");
    work.push_head("refs/heads/main");
    let patch = json!({ "spec": { "secretRef": { "name": "wrong" } } });
    env.api::<GitRepository>()
        .patch("app", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    let (reason, message) = env.wait_not_ready::<GitRepository>("app").await;
    assert_eq!(reason, "AuthenticationFailed", "{message}");
    assert!(
        !message.contains("hunter2"),
        "no secret in the condition: {message}"
    );
    assert!(
        !env.controller.log().contains("hunter2"),
        "no secret in the log"
    );
    let failed =
        serde_json::to_value(env.api::<GitRepository>().get("app").await.unwrap()).unwrap();
    assert_eq!(condition(&failed, "FetchFailed").unwrap()["status"], "True");
    assert_eq!(
        failed["status"]["artifact"], good["status"]["artifact"],
        "the last good artifact stays in status"
    );
    download_artifact(&failed["status"]["artifact"]);

    let cases = [
        (
            "missing-secret",
            url.clone(),
            json!({ "branch": "main" }),
            json!({ "secretRef": { "name": "absent" } }),
            "AuthenticationFailed",
            format!("secret '{}/absent' not found", env.ns()),
        ),
        (
            "missing-branch",
            server.public_http_url("fail"),
            json!({ "branch": "nope" }),
            json!({}),
            "GitOperationFailed",
            "nope".to_string(),
        ),
        (
            "missing-tag",
            server.public_http_url("fail"),
            json!({ "tag": "v9.9.9" }),
            json!({}),
            "GitOperationFailed",
            "v9.9.9".to_string(),
        ),
        (
            "unreachable",
            "http://127.0.0.1:1/x.git".to_string(),
            json!({ "branch": "main" }),
            json!({}),
            "GitOperationFailed",
            "127.0.0.1:1".to_string(),
        ),
    ];
    for (name, url, reference, extra, _, _) in &cases {
        env.create::<GitRepository>(git_repository(name, url, reference.clone(), extra.clone()))
            .await;
    }
    for (name, _, _, _, expected_reason, expected_text) in &cases {
        let (reason, message) = env.wait_not_ready::<GitRepository>(name).await;
        assert_eq!(&reason, expected_reason, "{name}: {message}");
        assert!(
            message.contains(expected_text.as_str()),
            "{name}: {message}"
        );
    }
}

#[tokio::test]
async fn a_corrupt_stored_artifact_is_rebuilt() {
    let env = Env::start("git-corrupt", &[]).await;
    let server = git_server();
    seed_repo("corrupt");
    env.create::<GitRepository>(git_repository(
        "app",
        &server.public_http_url("corrupt"),
        json!({ "branch": "main" }),
        json!({}),
    ))
    .await;
    let ready = serde_json::to_value(env.wait_ready::<GitRepository>("app").await).unwrap();
    let path = env
        .storage
        .path()
        .join(ready["status"]["artifact"]["path"].as_str().unwrap());
    std::fs::write(&path, b"tampered").unwrap();
    env.request_reconcile::<GitRepository>("app", "rebuild")
        .await;
    let rebuilt: GitRepository = env
        .wait("app", "the rebuild", Duration::from_secs(20), |o| {
            o["status"]["lastHandledReconcileAt"] == "rebuild"
        })
        .await;
    let rebuilt = serde_json::to_value(rebuilt).unwrap();
    assert_eq!(
        rebuilt["status"]["artifact"]["digest"], ready["status"]["artifact"]["digest"],
        "same commit, same digest"
    );
    download_artifact(&rebuilt["status"]["artifact"]);
    let events = env
        .api::<Event>()
        .list(&ListParams::default().fields("involvedObject.name=app"))
        .await
        .unwrap();
    assert!(
        events
            .items
            .iter()
            .any(|e| e.reason.as_deref() == Some("ArtifactVerificationFailed"))
    );
}

#[tokio::test]
async fn includes_copy_other_repositories_artifacts_and_deletion_removes_artifacts() {
    let env = Env::start("git-include", &[]).await;
    let server = git_server();
    server.create_repo("lib");
    let lib = server.working_copy("lib");
    lib.write("manifests/crd.yaml", "kind: CustomResourceDefinition\n")
        .write("other.txt", "x");
    lib.commit("lib");
    lib.push_head("refs/heads/main");
    seed_repo("main-app");
    env.create::<GitRepository>(git_repository(
        "lib",
        &server.public_http_url("lib"),
        json!({ "branch": "main" }),
        json!({}),
    ))
    .await;
    env.create::<GitRepository>(git_repository(
        "app",
        &server.public_http_url("main-app"),
        json!({ "branch": "main" }),
        json!({ "include": [{ "repository": { "name": "lib" }, "fromPath": "manifests", "toPath": "vendor/lib" }] }),
    ))
    .await;
    let app = serde_json::to_value(env.wait_ready::<GitRepository>("app").await).unwrap();
    let files = download_artifact(&app["status"]["artifact"]);
    assert_eq!(
        files["vendor/lib/crd.yaml"],
        b"kind: CustomResourceDefinition\n"
    );
    assert!(!files.contains_key("vendor/lib/other.txt"));
    assert_eq!(
        app["status"]["includedArtifacts"].as_array().map(Vec::len),
        Some(1)
    );

    let url = app["status"]["artifact"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    env.api::<GitRepository>()
        .delete("app", &DeleteParams::default())
        .await
        .unwrap();
    capstan_e2e::wait_for("app to be deleted", Duration::from_secs(20), || async {
        env.api::<GitRepository>()
            .get_opt("app")
            .await
            .ok()
            .flatten()
            .is_none()
            .then_some(())
    })
    .await
    .unwrap();
    let (status, _) = http_get(&url).unwrap();
    assert_eq!(status, 404, "the finalizer removed the artifact");
    assert!(
        !env.storage
            .path()
            .join(format!("gitrepository/{}/app", env.ns()))
            .exists()
    );
}
