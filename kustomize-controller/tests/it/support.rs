//! One test's world: a namespace, a git repository, source-controller and kustomize-controller
//! watching only that namespace, and helpers to push and wait.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use capstan_api::kustomize::Kustomization;
use capstan_api::source::GitRepository;
use capstan_e2e::{
    ControllerProcess, GitServer, TestNamespace, WorkingCopy, cluster, free_port, wait_for,
    workspace_binary,
};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub(crate) fn git_server() -> &'static GitServer {
    static SERVER: OnceLock<GitServer> = OnceLock::new();
    SERVER.get_or_init(GitServer::start)
}

pub(crate) struct Env {
    pub(crate) client: Client,
    pub(crate) namespace: TestNamespace,
    pub(crate) work: WorkingCopy,
    pub(crate) source: ControllerProcess,
    pub(crate) controller: ControllerProcess,
    pub(crate) storage: tempfile::TempDir,
    pub(crate) cache: tempfile::TempDir,
    pub(crate) tmp: tempfile::TempDir,
}

impl Env {
    /// A namespace with a GitRepository `repo` (interval 2s) over a fresh git repository
    /// holding `files`, and both controllers running for it.
    pub(crate) async fn start(prefix: &str, files: &[(&str, &str)], kc_args: &[&str]) -> Env {
        let cluster = cluster();
        let client = cluster.client().await;
        let namespace = TestNamespace::create(&client, prefix).await;
        let server = git_server();
        server.create_repo(namespace.name());
        let work = server.working_copy(namespace.name());
        for (path, content) in files {
            work.write(path, content);
        }
        work.commit("initial");
        work.push_head("refs/heads/main");

        let storage = tempfile::tempdir().unwrap();
        // The controllers' temporary files go here, so tests can inspect them.
        let tmp = tempfile::tempdir().unwrap();
        let tmp_env = [("TMPDIR", tmp.path().to_str().unwrap_or("/tmp"))];
        let storage_addr = format!("127.0.0.1:{}", free_port());
        let source = ControllerProcess::start_with_env(
            &workspace_binary("source-controller", "source-controller"),
            cluster,
            namespace.name(),
            &[
                format!("--storage-path={}", storage.path().display()),
                format!("--storage-addr={storage_addr}"),
                format!("--storage-adv-addr={storage_addr}"),
            ],
            &tmp_env,
        );
        let cache = tempfile::tempdir().unwrap();
        let mut args = vec![format!("--artifact-cache-path={}", cache.path().display())];
        args.extend(kc_args.iter().map(|s| s.to_string()));
        let controller = ControllerProcess::start(
            Path::new(env!("CARGO_BIN_EXE_kustomize-controller")),
            cluster,
            namespace.name(),
            &args,
        );
        let env = Env {
            client,
            namespace,
            work,
            source,
            controller,
            storage,
            cache,
            tmp,
        };
        env.create::<GitRepository>(json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository", "metadata": { "name": "repo" },
            "spec": { "interval": "2s", "url": server.public_http_url(env.ns()), "ref": { "branch": "main" } }
        }))
        .await;
        env
    }

    pub(crate) fn ns(&self) -> &str {
        self.namespace.name()
    }

    pub(crate) fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
    {
        Api::namespaced(self.client.clone(), self.ns())
    }

    pub(crate) fn api_in<K>(&self, namespace: &str) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
    {
        Api::namespaced(self.client.clone(), namespace)
    }

    pub(crate) async fn create<K>(&self, object: Value) -> K
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
    {
        let object: K = serde_json::from_value(object).unwrap();
        self.api::<K>()
            .create(&PostParams::default(), &object)
            .await
            .unwrap_or_else(|e| panic!("creating: {e}"))
    }

    /// Creates a Kustomization of `path` in the repository; `extra` merges into its spec.
    pub(crate) async fn kustomization(
        &self,
        name: &str,
        path: &str,
        extra: Value,
    ) -> Kustomization {
        let mut spec = json!({ "interval": "10m", "path": path, "prune": true, "timeout": "30s",
            "sourceRef": { "kind": "GitRepository", "name": "repo" } });
        if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
            spec.extend(extra.clone());
        }
        self.create(json!({ "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": { "name": name }, "spec": spec }))
            .await
    }

    /// Commits `changes` (path → Some(content) to write, None to delete) and pushes; returns
    /// the source revision that results.
    pub(crate) fn push(&self, message: &str, changes: &[(&str, Option<&str>)]) -> String {
        for (path, content) in changes {
            match content {
                Some(content) => {
                    self.work.write(path, content);
                }
                None => {
                    self.work.remove(path);
                }
            }
        }
        let head = self.work.commit(message);
        self.work.push_head("refs/heads/main");
        format!("main@sha1:{head}")
    }

    /// The revision of the current HEAD.
    pub(crate) fn head_revision(&self) -> String {
        format!("main@sha1:{}", self.work.head())
    }

    pub(crate) async fn request_reconcile(&self, name: &str, token: &str) {
        let patch =
            json!({ "metadata": { "annotations": { "reconcile.fluxcd.io/requestedAt": token } } });
        self.api::<Kustomization>()
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap();
    }

    /// Waits until `check` holds for Kustomization `name`, failing with both logs.
    pub(crate) async fn wait_ks(
        &self,
        name: &str,
        what: &str,
        timeout: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let api = self.api::<Kustomization>();
        let result = wait_for(what, timeout, || async {
            let object = api.get_opt(name).await.ok().flatten()?;
            let value = serde_json::to_value(&object).ok()?;
            check(&value).then_some(value)
        })
        .await;
        match result {
            Ok(value) => value,
            Err(error) => {
                let current = api
                    .get_opt(name)
                    .await
                    .ok()
                    .flatten()
                    .map(|o| serde_json::to_string_pretty(&o).unwrap_or_default());
                panic!(
                    "{error}\nobject: {}\nkustomize-controller log:\n{}\nsource-controller log:\n{}",
                    current.unwrap_or_default(),
                    self.controller.log_tail(),
                    self.source.log_tail()
                )
            }
        }
    }

    /// Waits until Kustomization `name` is Ready with `lastAppliedRevision == revision`.
    pub(crate) async fn wait_applied(
        &self,
        name: &str,
        revision: &str,
        timeout: Duration,
    ) -> Value {
        self.wait_ks(name, &format!("{name} Ready at {revision}"), timeout, |o| {
            ready_status(o).as_deref() == Some("True")
                && o["status"]["lastAppliedRevision"] == revision
        })
        .await
    }

    /// Waits for Ready=False with `reason` (earlier transient failures, such as the source not
    /// having an artifact yet, are skipped) and returns the message.
    pub(crate) async fn wait_failed(&self, name: &str, reason: &str, timeout: Duration) -> String {
        let object = self
            .wait_ks(
                name,
                &format!("{name} Ready=False/{reason}"),
                timeout,
                |o| {
                    ready_status(o).as_deref() == Some("False")
                        && condition(o, "Ready").is_some_and(|c| c["reason"] == reason)
                },
            )
            .await;
        condition(&object, "Ready")
            .and_then(|c| c["message"].as_str())
            .unwrap_or_default()
            .to_string()
    }
}

pub(crate) fn condition<'a>(object: &'a Value, type_: &str) -> Option<&'a Value> {
    object["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
}

pub(crate) fn ready_status(object: &Value) -> Option<String> {
    condition(object, "Ready").and_then(|c| c["status"].as_str().map(str::to_string))
}

/// A ConfigMap manifest.
pub(crate) fn config_map(name: &str, data: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  value: \"{data}\"\n"
    )
}

/// A Deployment manifest with `replicas`; `ready: false` keeps its pods unready (fake node).
pub(crate) fn deployment(name: &str, replicas: u32, ready: bool) -> String {
    let annotation = if ready {
        String::new()
    } else {
        format!(
            "\n      annotations:\n        {}: \"false\"",
            capstan_localcluster_annotation()
        )
    };
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}{annotation}\n    spec:\n      containers:\n      - name: app\n        image: ghcr.io/stefanprodan/podinfo:6.7.0\n"
    )
}

fn capstan_localcluster_annotation() -> &'static str {
    "fake-node.capstan.dev/ready"
}
