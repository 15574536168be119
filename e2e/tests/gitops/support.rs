//! One scenario's world: a namespace for Capstan, the controllers running as local processes
//! for it (there is no kubelet; in a real cluster they run from `manifests/`), an empty
//! repository on the shared git server, and the `capstan` binary to drive it all.

use std::process::{Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use capstan_e2e::{
    GitOpsControllers, GitServer, TestNamespace, WorkingCopy, cluster, wait_for, workspace_binary,
};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The folder of the repository the cluster syncs.
pub(crate) const CLUSTER_PATH: &str = "clusters/e2e";

pub(crate) fn git_server() -> &'static GitServer {
    static SERVER: OnceLock<GitServer> = OnceLock::new();
    SERVER.get_or_init(GitServer::start)
}

/// The `capstan` binary, built when needed.
pub(crate) fn capstan_bin() -> std::path::PathBuf {
    workspace_binary("capstan", "capstan")
}

/// A namespace, both controllers watching it, and an empty repository named after it.
pub(crate) struct World {
    pub(crate) client: Client,
    pub(crate) namespace: TestNamespace,
    pub(crate) controllers: GitOpsControllers,
}

impl World {
    pub(crate) async fn start(prefix: &str) -> World {
        let cluster = cluster();
        let client = cluster.client().await;
        let namespace = TestNamespace::create(&client, prefix).await;
        git_server().create_repo(namespace.name());
        let controllers = GitOpsControllers::start(cluster, namespace.name(), &[]);
        World {
            client,
            namespace,
            controllers,
        }
    }

    pub(crate) fn ns(&self) -> &str {
        self.namespace.name()
    }

    pub(crate) fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as Resource>::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), self.ns())
    }

    /// `capstan <args> -n <ns>` against the test cluster.
    pub(crate) async fn capstan(&self, args: &[&str]) -> Output {
        capstan(args, self.ns(), &[]).await
    }

    /// A working copy of this world's repository, at the server's `main`.
    pub(crate) fn working_copy(&self) -> WorkingCopy {
        let work = git_server().working_copy(self.ns());
        work.git(&["fetch", "--quiet", "origin"]);
        work.git(&["reset", "--quiet", "--hard", "origin/main"]);
        work
    }

    /// The hash of `main` on the server.
    pub(crate) fn server_head(&self) -> String {
        let repo = git_server().repo_path(self.ns());
        let output = std::process::Command::new("git")
            .args(["rev-parse", "refs/heads/main"])
            .current_dir(&repo)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// Both controllers' logs, for failure messages.
    pub(crate) fn logs(&self) -> String {
        self.controllers.logs()
    }

    /// Waits until ConfigMap `name` in `namespace` satisfies `check` (None = absent).
    pub(crate) async fn wait_config_map(
        &self,
        namespace: &str,
        name: &str,
        what: &str,
        check: impl Fn(Option<&ConfigMap>) -> bool,
    ) {
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), namespace);
        let waited = wait_for(what, Duration::from_secs(60), || async {
            let current = api.get_opt(name).await.ok()?;
            check(current.as_ref()).then_some(())
        })
        .await;
        if let Err(error) = waited {
            panic!("{error}\n{}", self.logs());
        }
    }
}

/// `capstan <args> -n <namespace>` with `env`, against the test cluster.
pub(crate) async fn capstan(args: &[&str], namespace: &str, env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(capstan_bin());
    command
        .args(args)
        .args(["-n", namespace, "--timeout", "2m"])
        .env("KUBECONFIG", cluster().kubeconfig_path())
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().await.unwrap()
}

/// Runs `capstan bootstrap git` with `args`, answering the deploy-key question: the public
/// key it prints is authorized on the git server, then "y" is typed. Returns stderr and the
/// exit status.
pub(crate) async fn bootstrap_with_generated_key(
    args: &[&str],
    namespace: &str,
) -> (std::process::ExitStatus, String) {
    let mut child = tokio::process::Command::new(capstan_bin())
        .args(args)
        .args(["-n", namespace, "--timeout", "2m"])
        .env("KUBECONFIG", cluster().kubeconfig_path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut stderr = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        stderr.push_str(&line);
        stderr.push('\n');
        if let Some(key) = line.split("deploy key: ").nth(1) {
            assert!(key.starts_with("ssh-ed25519 "), "{line}");
            git_server().authorize_ssh_key(key);
            stdin.write_all(b"y\n").await.unwrap();
            stdin.flush().await.unwrap();
        }
    }
    let status = child.wait().await.unwrap();
    (status, stderr)
}

/// Text of a process's output stream.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts success, printing both streams and the controllers' logs otherwise.
pub(crate) fn assert_ok(output: &Output, what: &str, world: &World) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr),
        world.logs()
    );
}

/// Reads object `name` through `api`, panicking when it is missing.
pub(crate) async fn get<K>(api: &Api<K>, name: &str) -> K
where
    K: Clone + DeserializeOwned + std::fmt::Debug,
{
    match api.get_opt(name).await {
        Ok(Some(object)) => object,
        other => panic!("reading {name}: {other:?}"),
    }
}

/// A ConfigMap manifest in `namespace`.
pub(crate) fn config_map_yaml(namespace: &str, name: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\ndata:\n  release: \"{value}\"\n"
    )
}

/// The `release` value of a ConfigMap.
pub(crate) fn release(config_map: Option<&ConfigMap>) -> Option<&str> {
    config_map?
        .data
        .as_ref()?
        .get("release")
        .map(String::as_str)
}

/// How long `f` took.
pub(crate) async fn timed<T>(f: impl std::future::Future<Output = T>) -> (T, Duration) {
    let start = Instant::now();
    let value = f.await;
    (value, start.elapsed())
}
