//! Time from `git push` to the change applied in the cluster, on the local cluster with the
//! release-built controllers running as processes:
//!
//! 1. polled: the GitRepository's 2s interval finds the commit (no request);
//! 2. `capstan reconcile kustomization <name> --with-source` right after the push, timed until
//!    the command returns with the change applied (the CLI's own start-up included);
//! 3. a reconcile request on the GitRepository (`reconcile.fluxcd.io/requestedAt`, what a push
//!    webhook receiver sets), timed until the object shows the change.
//!
//! Run: `cargo bench -p capstan-e2e --bench push_to_applied`. Figures go to docs/benchmarks.md.

use std::time::{Duration, Instant};

use capstan_e2e::{
    GitOpsControllers, GitServer, TestNamespace, WorkingCopy, cluster, wait_for, workspace_binary,
};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::discovery::ApiResource;
use serde_json::json;

const RUNS: usize = 10;

#[tokio::main]
async fn main() {
    let cluster = cluster();
    let client = cluster.client().await;
    let namespace = TestNamespace::create(&client, "bench-push").await;
    let ns = namespace.name().to_string();
    let server = GitServer::start();
    server.create_repo("fleet");
    let work = server.working_copy("fleet");
    work.write("app/app.yaml", &config_map(&ns, 0));
    work.commit("release 0");
    work.push_head("refs/heads/main");

    let _controllers = GitOpsControllers::start(cluster, &ns, &["--log-level=info"]);
    let capstan = workspace_binary("capstan", "capstan");

    let url = server.public_http_url("fleet");
    let polled = create_pair(&client, &ns, "polled", &url, "2s").await;
    let requested = "requested";
    let requested_cm = create_pair(&client, &ns, requested, &url, "1h").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let mut release = 0;
    // Both pairs apply the same ConfigMap path under different names.
    let mut push = |work: &WorkingCopy| {
        release += 1;
        work.write("app/app.yaml", &config_map(&ns, release));
        work.commit(&format!("release {release}"));
        work.push_head("refs/heads/main");
        release
    };
    wait_release(&config_maps, &polled, 0).await;
    wait_release(&config_maps, &requested_cm, 0).await;

    let mut rows = Vec::new();
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let release = push(&work);
        let start = Instant::now();
        wait_release(&config_maps, &polled, release).await;
        times.push(start.elapsed());
    }
    rows.push(("polled (GitRepository interval 2s)", times));

    let mut times = Vec::new();
    for _ in 0..RUNS {
        let release = push(&work);
        let start = Instant::now();
        let output = tokio::process::Command::new(&capstan)
            .args(["reconcile", "kustomization", requested, "--with-source"])
            .args(["-n", &ns])
            .env("KUBECONFIG", cluster.kubeconfig_path())
            .output()
            .await
            .unwrap_or_else(|e| panic!("running capstan: {e}"));
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        wait_release(&config_maps, &requested_cm, release).await;
        times.push(start.elapsed());
    }
    rows.push(("`capstan reconcile kustomization --with-source`", times));

    let sources = Api::<DynamicObject>::namespaced_with(client.clone(), &ns, &git_repository());
    let mut times = Vec::new();
    for run in 0..RUNS {
        let release = push(&work);
        let start = Instant::now();
        let annotate = json!({ "metadata": { "annotations": {
            "reconcile.fluxcd.io/requestedAt": format!("bench-{run}") } } });
        sources
            .patch(requested, &PatchParams::default(), &Patch::Merge(&annotate))
            .await
            .unwrap_or_else(|e| panic!("annotating the source: {e}"));
        wait_release(&config_maps, &requested_cm, release).await;
        times.push(start.elapsed());
    }
    rows.push(("source reconcile request (push webhook)", times));

    println!("## push → applied, {RUNS} runs each\n");
    println!("| trigger | median | min | max |\n|---|---|---|---|");
    for (name, mut times) in rows {
        times.sort();
        println!(
            "| {name} | {:.2} s | {:.2} s | {:.2} s |",
            times[times.len() / 2].as_secs_f64(),
            times[0].as_secs_f64(),
            times[times.len() - 1].as_secs_f64()
        );
    }
}

/// A GitRepository and a Kustomization named `name` syncing `./app` with a name suffix, so
/// each pair owns its own ConfigMap; returns the ConfigMap's name.
async fn create_pair(
    client: &kube::Client,
    ns: &str,
    name: &str,
    url: &str,
    interval: &str,
) -> String {
    let sources = Api::<DynamicObject>::namespaced_with(client.clone(), ns, &git_repository());
    let source: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": { "name": name },
        "spec": { "url": url, "interval": interval, "ref": { "branch": "main" } }
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    sources
        .create(&PostParams::default(), &source)
        .await
        .unwrap_or_else(|e| panic!("creating GitRepository {name}: {e}"));
    let kustomization_resource = ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
        "kustomize.toolkit.fluxcd.io",
        "v1",
        "Kustomization",
    ));
    let kustomizations =
        Api::<DynamicObject>::namespaced_with(client.clone(), ns, &kustomization_resource);
    let kustomization: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": { "name": name },
        "spec": { "interval": "1h", "path": "./app", "prune": true,
                  "namePrefix": format!("{name}-"),
                  "sourceRef": { "kind": "GitRepository", "name": name } }
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    kustomizations
        .create(&PostParams::default(), &kustomization)
        .await
        .unwrap_or_else(|e| panic!("creating Kustomization {name}: {e}"));
    format!("{name}-app")
}

fn git_repository() -> ApiResource {
    ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
        "source.toolkit.fluxcd.io",
        "v1",
        "GitRepository",
    ))
}

fn config_map(ns: &str, release: usize) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: {ns}\ndata:\n  release: \"{release}\"\n"
    )
}

/// Polls until ConfigMap `name` holds `release`.
async fn wait_release(api: &Api<ConfigMap>, name: &str, release: usize) {
    let want = release.to_string();
    let found = wait_for(
        &format!("ConfigMap {name} at release {release}"),
        Duration::from_secs(120),
        || async {
            let cm = api.get_opt(name).await.ok()??;
            (cm.data?.get("release")? == &want).then_some(())
        },
    )
    .await;
    if let Err(error) = found {
        panic!("{error}");
    }
}
