//! The whole loop, as a user meets it: `capstan bootstrap git` from an empty repository (over
//! ssh with a generated deploy key, over https with basic auth and a private CA), then every
//! `git push` is a deployment, a removed file is pruned, a manual edit is reverted, and a
//! rerun of bootstrap changes nothing. Bad input changes nothing anywhere.
//!
//! Timings of push → applied are printed (`cargo test -p capstan-e2e --test gitops --
//! --nocapture`) and recorded in docs/benchmarks.md.

mod bad_input;
mod support;

use capstan_api::kustomize::Kustomization;
use capstan_api::source::GitRepository;
use capstan_e2e::{cluster, kubectl};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use kube::api::ListParams;

use support::{
    CLUSTER_PATH, World, assert_ok, bootstrap_with_generated_key, capstan, config_map_yaml, get,
    git_server, release, text, timed,
};

/// Ready, at `revision`, for a GitRepository.
fn source_ready_at(repo: &GitRepository, revision: &str) -> bool {
    let status = repo.status.clone().unwrap_or_default();
    status.artifact.is_some_and(|a| a.revision == revision)
        && capstan_api::conditions::is_ready(&status.conditions)
}

#[tokio::test]
async fn bootstrap_over_ssh_then_every_push_is_a_deployment() {
    let w = World::start("gitops-ssh").await;
    let ns = w.ns().to_string();
    let url = git_server().ssh_url(&ns);

    // Bootstrap an empty repository with a generated deploy key and a scanned host key.
    let bootstrap = [
        "bootstrap",
        "git",
        "--url",
        url.as_str(),
        "--branch",
        "main",
        "--path",
        CLUSTER_PATH,
    ];
    let (status, stderr) = bootstrap_with_generated_key(&bootstrap, &ns).await;
    assert!(
        status.success(),
        "bootstrap failed:\n{stderr}\n{}",
        w.logs()
    );
    for expected in [
        "cluster reachable",
        "generating an ed25519 deploy key",
        "scanning the ssh host key",
        "will be created",
        "pushed main@sha1:",
        "components installed",
        "bootstrap finished",
    ] {
        assert!(stderr.contains(expected), "missing '{expected}':\n{stderr}");
    }
    let head = w.server_head();
    let revision = format!("main@sha1:{head}");
    let work = w.working_copy();
    for file in ["components.yaml", "sync.yaml", "kustomization.yaml"] {
        let path = work.path().join(CLUSTER_PATH).join(&ns).join(file);
        assert!(path.is_file(), "{} was not committed", path.display());
    }
    let source = get(&w.api::<GitRepository>(), &ns).await;
    assert!(source_ready_at(&source, &revision), "{source:?}");
    assert_eq!(source.spec.url, url);
    let secret = get(&w.api::<Secret>(), &ns).await;
    let keys: Vec<_> = secret.data.unwrap_or_default().into_keys().collect();
    assert_eq!(keys, ["identity", "identity.pub", "known_hosts"]);
    let deployments = w.api::<Deployment>().list(&ListParams::default()).await;
    let names: Vec<_> = deployments
        .unwrap()
        .items
        .into_iter()
        .filter_map(|d| d.metadata.name)
        .collect();
    assert_eq!(names, ["kustomize-controller", "source-controller"]);
    let check = w.capstan(&["check"]).await;
    assert_ok(&check, "capstan check", &w);

    // A push is a deployment: measured from the push to the object applied, via reconcile.
    let app = format!("{CLUSTER_PATH}/apps/app.yaml");
    work.write(&app, &config_map_yaml(&ns, "app", "1"));
    work.commit("Deploy app release 1");
    let (output, took) = timed(async {
        work.push_head("refs/heads/main");
        w.capstan(&["reconcile", "kustomization", &ns, "--with-source"])
            .await
    })
    .await;
    assert_ok(&output, "capstan reconcile --with-source", &w);
    eprintln!("push → applied via `capstan reconcile --with-source`: {took:?}");
    w.wait_config_map(&ns, "app", "release 1 applied", |cm| {
        release(cm) == Some("1")
    })
    .await;
    let ks = get(&w.api::<Kustomization>(), &ns).await;
    let applied = ks.status.unwrap_or_default().last_applied_revision;
    assert_eq!(applied, Some(format!("main@sha1:{}", work.head())));

    // A manual edit (kubectl, another field manager) is reverted on the next reconcile.
    let edit = kubectl(
        cluster(),
        &[
            "-n",
            &ns,
            "patch",
            "configmap",
            "app",
            "--type=merge",
            "-p",
            r#"{"data":{"release":"edited by hand"}}"#,
        ],
    );
    assert!(edit.status.success(), "{}", text(&edit.stderr));
    let output = w.capstan(&["reconcile", "kustomization", &ns]).await;
    assert_ok(&output, "capstan reconcile", &w);
    w.wait_config_map(&ns, "app", "the manual edit reverted", |cm| {
        release(cm) == Some("1")
    })
    .await;

    // A removed file is pruned.
    work.remove(&app);
    work.commit("Remove app");
    work.push_head("refs/heads/main");
    let output = w
        .capstan(&["reconcile", "kustomization", &ns, "--with-source"])
        .await;
    assert_ok(&output, "capstan reconcile --with-source", &w);
    w.wait_config_map(&ns, "app", "app pruned", |cm| cm.is_none())
        .await;

    // Rerunning bootstrap changes nothing: no commit, same Secret, same specs.
    let head = w.server_head();
    let secret_version = get(&w.api::<Secret>(), &ns).await.metadata.resource_version;
    let source_generation = get(&w.api::<GitRepository>(), &ns)
        .await
        .metadata
        .generation;
    let ks_generation = get(&w.api::<Kustomization>(), &ns)
        .await
        .metadata
        .generation;
    let rerun = w.capstan(&bootstrap).await;
    assert_ok(&rerun, "the bootstrap rerun", &w);
    let stderr = text(&rerun.stderr);
    assert!(stderr.contains("reusing the deploy key"), "{stderr}");
    assert!(stderr.contains("nothing to commit"), "{stderr}");
    assert_eq!(w.server_head(), head, "the rerun committed");
    let secret_after = get(&w.api::<Secret>(), &ns).await.metadata.resource_version;
    assert_eq!(secret_after, secret_version, "the rerun changed the Secret");
    let source_after = get(&w.api::<GitRepository>(), &ns).await;
    assert_eq!(source_after.metadata.generation, source_generation);
    let ks_after = get(&w.api::<Kustomization>(), &ns).await;
    assert_eq!(ks_after.metadata.generation, ks_generation);
}

#[tokio::test]
async fn bootstrap_over_https_and_the_interval_picks_up_pushes() {
    let w = World::start("gitops-https").await;
    let ns = w.ns().to_string();
    let server = git_server();
    let url = server.https_url(&ns);
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), server.ca_pem()).unwrap();
    let ca_path = ca.path().to_string_lossy().into_owned();
    let output = capstan(
        &[
            "bootstrap",
            "git",
            "--url",
            &url,
            "--username",
            server.username(),
            "--ca-file",
            &ca_path,
            "--path",
            CLUSTER_PATH,
            "--interval",
            "3s",
        ],
        &ns,
        &[("CAPSTAN_GIT_PASSWORD", server.password())],
    )
    .await;
    assert_ok(&output, "bootstrap over https", &w);
    let printed = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(
        !printed.contains(server.password()),
        "the password was printed"
    );
    let secret = get(&w.api::<Secret>(), &ns).await;
    let keys: Vec<_> = secret.data.unwrap_or_default().into_keys().collect();
    assert_eq!(keys, ["ca.crt", "password", "username"]);
    let revision = format!("main@sha1:{}", w.server_head());
    let source = get(&w.api::<GitRepository>(), &ns).await;
    assert!(source_ready_at(&source, &revision), "{source:?}");

    // No reconcile request: the 3s interval alone brings the push to the cluster.
    let work = w.working_copy();
    work.write(
        &format!("{CLUSTER_PATH}/apps/app.yaml"),
        &config_map_yaml(&ns, "app", "polled"),
    );
    work.commit("Deploy app");
    let ((), took) = timed(async {
        work.push_head("refs/heads/main");
        w.wait_config_map(&ns, "app", "the push applied by polling", |cm| {
            release(cm) == Some("polled")
        })
        .await;
    })
    .await;
    eprintln!("push → applied by polling (interval 3s): {took:?}");
}
