//! `capstan uninstall` after a bootstrap: Capstan leaves the cluster (controllers, RBAC, CRDs
//! and its namespace) and, as documented, the workloads it applied stay. A test binary of its
//! own: it deletes the CRDs every other test needs.

#[allow(dead_code)]
#[path = "../gitops/support.rs"]
mod support;

use capstan_e2e::wait_for;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::api::rbac::v1::ClusterRole;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ListParams};
use std::time::Duration;

use support::{CLUSTER_PATH, World, assert_ok, config_map_yaml, git_server, text};

#[tokio::test]
async fn uninstall_removes_capstan_and_keeps_the_workloads() {
    let w = World::start("uninstall").await;
    let ns = w.ns().to_string();
    let apps = format!("{ns}-apps");

    // An existing repository: the app lives in a namespace of its own.
    let server = git_server();
    let work = server.working_copy(&ns);
    work.write(
        &format!("{CLUSTER_PATH}/apps/app.yaml"),
        &format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {apps}\n---\n{}",
            config_map_yaml(&apps, "app", "1")
        ),
    );
    work.commit("The app");
    work.push_head("refs/heads/main");
    let key = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key.path(), server.ssh_identity_pem()).unwrap();
    let known_hosts = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(known_hosts.path(), server.known_hosts()).unwrap();
    let output = w
        .capstan(&[
            "bootstrap",
            "git",
            "--url",
            &server.ssh_url(&ns),
            "--path",
            CLUSTER_PATH,
            "--private-key-file",
            &key.path().to_string_lossy(),
            "--known-hosts-file",
            &known_hosts.path().to_string_lossy(),
        ])
        .await;
    assert_ok(&output, "bootstrap", &w);
    w.wait_config_map(&apps, "app", "the app applied", |cm| cm.is_some())
        .await;

    // In a cluster, deleting the Deployments stops the controllers; here they are processes.
    let World {
        client,
        controllers,
        ..
    } = w;
    drop(controllers);
    let mut command = tokio::process::Command::new(support::capstan_bin());
    let output = command
        .args(["uninstall", "--silent", "-n", &ns, "--timeout", "2m"])
        .env("KUBECONFIG", capstan_e2e::cluster().kubeconfig_path())
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "uninstall failed:\n{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );

    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let left: Vec<_> = crds
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|crd| crd.metadata.name)
        .filter(|name| name.ends_with(".toolkit.fluxcd.io"))
        .collect();
    assert!(left.is_empty(), "CRDs left: {left:?}");
    let roles: Api<ClusterRole> = Api::all(client.clone());
    let selector = format!("app.kubernetes.io/instance={ns}");
    let left = roles
        .list(&ListParams::default().labels(&selector))
        .await
        .unwrap()
        .items;
    assert!(left.is_empty(), "ClusterRoles left: {left:?}");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let gone = wait_for("the namespace deleted", Duration::from_secs(60), || async {
        namespaces.get_opt(&ns).await.ok()?.is_none().then_some(())
    })
    .await;
    assert!(gone.is_ok(), "{gone:?}");

    // The workload stays.
    let app: Api<ConfigMap> = Api::namespaced(client, &apps);
    let kept = app.get_opt("app").await.unwrap();
    assert!(kept.is_some(), "uninstall removed the workload");

    // Uninstalling again finds nothing and succeeds.
    let output = tokio::process::Command::new(support::capstan_bin())
        .args(["uninstall", "--silent", "-n", &ns])
        .env("KUBECONFIG", capstan_e2e::cluster().kubeconfig_path())
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
}
