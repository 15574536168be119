//! kustomize-controller at scale, side by side with `kubectl apply --server-side` of the same
//! objects in the same run: 100 Kustomizations of 10 objects each from one repository.
//!
//! - capstan: from the source reconcile request after a push to all 100 Kustomizations Ready at
//!   the new revision; first the initial apply, then a commit that changes every object.
//! - kubectl: `kubectl apply --server-side --force-conflicts -R -f` of the same 1,000 objects
//!   (in a second namespace), the initial apply and the same change.
//! - peak RSS (VmHWM) of the kustomize-controller process at the end.
//!
//! Run: `cargo bench -p capstan-e2e --bench fleet`. Figures go to docs/benchmarks.md.

use std::path::Path;
use std::time::{Duration, Instant};

use capstan_e2e::{
    GitOpsControllers, GitServer, ProcessMemory, TestNamespace, cluster, kubectl, mib, wait_for,
};
use kube::api::{Api, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use kube::discovery::ApiResource;
use serde_json::json;

const KUSTOMIZATIONS: usize = 100;
const OBJECTS: usize = 10;

#[tokio::main]
async fn main() {
    let cluster = cluster();
    let client = cluster.client().await;
    let namespace = TestNamespace::create(&client, "bench-fleet").await;
    let ns = namespace.name().to_string();
    let kubectl_ns = TestNamespace::create(&client, "bench-kubectl").await;

    let server = GitServer::start();
    server.create_repo("fleet");
    let work = server.working_copy("fleet");
    write_tree(work.path(), &ns, 1);
    work.commit("release 1");
    work.push_head("refs/heads/main");

    let controllers =
        GitOpsControllers::start(cluster, &ns, &["--log-level=info", "--concurrent=4"]);

    // capstan: the source and 100 Kustomizations, then wait for all Ready.
    let sources = dynamic(&client, &ns, "source.toolkit.fluxcd.io", "GitRepository");
    let kustomizations = dynamic(&client, &ns, "kustomize.toolkit.fluxcd.io", "Kustomization");
    let start = Instant::now();
    create(&sources, json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": { "name": "fleet" },
        "spec": { "url": server.public_http_url("fleet"), "interval": "1h", "ref": { "branch": "main" } }
    }))
    .await;
    for i in 0..KUSTOMIZATIONS {
        create(
            &kustomizations,
            json!({
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                "metadata": { "name": format!("app-{i:03}") },
                "spec": { "interval": "1h", "path": format!("./apps/app-{i:03}"), "prune": true,
                          "sourceRef": { "kind": "GitRepository", "name": "fleet" } }
            }),
        )
        .await;
    }
    let revision = format!("main@sha1:{}", work.head());
    all_applied(&kustomizations, &revision).await;
    let capstan_initial = start.elapsed();

    write_tree(work.path(), &ns, 2);
    work.commit("release 2");
    work.push_head("refs/heads/main");
    let revision = format!("main@sha1:{}", work.head());
    let start = Instant::now();
    let annotate = json!({ "metadata": { "annotations": {
        "reconcile.fluxcd.io/requestedAt": "bench" } } });
    sources
        .patch("fleet", &PatchParams::default(), &Patch::Merge(&annotate))
        .await
        .unwrap_or_else(|e| panic!("requesting the source reconcile: {e}"));
    all_applied(&kustomizations, &revision).await;
    let capstan_change = start.elapsed();
    let controller_rss = ProcessMemory::of(controllers.kustomize.pid()).peak_kib;

    // kubectl: the same objects, in another namespace.
    let copy = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    write_tree(copy.path(), kubectl_ns.name(), 1);
    let kubectl_initial = kubectl_apply(copy.path());
    write_tree(copy.path(), kubectl_ns.name(), 2);
    let kubectl_change = kubectl_apply(copy.path());

    println!("## {KUSTOMIZATIONS} Kustomizations × {OBJECTS} objects: push to all applied\n");
    println!("| step | capstan | kubectl apply --server-side | ratio |\n|---|---|---|---|");
    for (step, ours, theirs) in [
        ("initial apply", capstan_initial, kubectl_initial),
        (
            "a commit changing every object",
            capstan_change,
            kubectl_change,
        ),
    ] {
        println!(
            "| {step} | {:.2} s | {:.2} s | {:.2}× |",
            ours.as_secs_f64(),
            theirs.as_secs_f64(),
            ours.as_secs_f64() / theirs.as_secs_f64()
        );
    }
    println!(
        "\nkustomize-controller peak RSS: {:.1} MiB",
        mib(controller_rss)
    );
}

/// `apps/app-NNN/objects.yaml`: 10 ConfigMaps per app, their data carrying `release`.
fn write_tree(root: &Path, ns: &str, release: usize) {
    for i in 0..KUSTOMIZATIONS {
        let dir = root.join(format!("apps/app-{i:03}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let mut yaml = String::new();
        for j in 0..OBJECTS {
            yaml.push_str(&format!(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-{i:03}-config-{j}\n  namespace: {ns}\n  labels:\n    app: app-{i:03}\ndata:\n  release: \"{release}\"\n  settings: |\n    replicas={j}\n    color=blue\n"
            ));
        }
        std::fs::write(dir.join("objects.yaml"), yaml).unwrap_or_else(|e| panic!("{e}"));
    }
}

fn dynamic(client: &kube::Client, ns: &str, group: &str, kind: &str) -> Api<DynamicObject> {
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, "v1", kind));
    Api::namespaced_with(client.clone(), ns, &resource)
}

async fn create(api: &Api<DynamicObject>, object: serde_json::Value) {
    let object: DynamicObject = serde_json::from_value(object).unwrap_or_else(|e| panic!("{e}"));
    api.create(&PostParams::default(), &object)
        .await
        .unwrap_or_else(|e| panic!("creating {:?}: {e}", object.metadata.name));
}

/// Waits until every Kustomization is Ready with `revision` applied.
async fn all_applied(api: &Api<DynamicObject>, revision: &str) {
    let done = wait_for(
        &format!("{KUSTOMIZATIONS} Kustomizations at {revision}"),
        Duration::from_secs(600),
        || async {
            let list = api.list(&Default::default()).await.ok()?;
            let applied = list
                .items
                .iter()
                .filter(|ks| {
                    let status = &ks.data["status"];
                    status["lastAppliedRevision"] == revision
                        && status["conditions"].as_array().is_some_and(|conditions| {
                            conditions
                                .iter()
                                .any(|c| c["type"] == "Ready" && c["status"] == "True")
                        })
                })
                .count();
            (applied == KUSTOMIZATIONS).then_some(())
        },
    )
    .await;
    if let Err(error) = done {
        panic!("{error}");
    }
}

fn kubectl_apply(dir: &Path) -> Duration {
    let start = Instant::now();
    let dir = dir.to_string_lossy();
    let output = kubectl(
        cluster(),
        &[
            "apply",
            "--server-side",
            "--force-conflicts",
            "-R",
            "-f",
            &dir,
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    start.elapsed()
}
