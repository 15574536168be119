//! What every test here needs: a namespace, a controller watching it, polling helpers.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::OnceLock;
use std::time::Duration;

use capstan_e2e::{
    ControllerProcess, GitServer, TestNamespace, cluster, free_port, http_get, wait_for,
};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// One git server for the whole test binary.
pub(crate) fn git_server() -> &'static GitServer {
    static SERVER: OnceLock<GitServer> = OnceLock::new();
    SERVER.get_or_init(GitServer::start)
}

/// A test's world: its namespace and its own source-controller watching only it.
pub(crate) struct Env {
    pub(crate) client: Client,
    pub(crate) namespace: TestNamespace,
    pub(crate) controller: ControllerProcess,
    pub(crate) storage: tempfile::TempDir,
}

impl Env {
    /// Creates a namespace and starts a controller for it (`extra` flags appended).
    pub(crate) async fn start(prefix: &str, extra: &[&str]) -> Env {
        let cluster = cluster();
        let client = cluster.client().await;
        let namespace = TestNamespace::create(&client, prefix).await;
        let storage = tempfile::tempdir().unwrap();
        let storage_addr = format!("127.0.0.1:{}", free_port());
        let mut args = vec![
            format!("--storage-path={}", storage.path().display()),
            format!("--storage-addr={storage_addr}"),
            format!("--storage-adv-addr={storage_addr}"),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let controller = ControllerProcess::start(
            std::path::Path::new(env!("CARGO_BIN_EXE_source-controller")),
            cluster,
            namespace.name(),
            &args,
        );
        Env {
            client,
            namespace,
            controller,
            storage,
        }
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

    /// Creates an object from JSON in this namespace.
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

    /// Creates a Secret with string data.
    pub(crate) async fn secret(&self, name: &str, data: &[(&str, &str)]) {
        let string_data: BTreeMap<&str, &str> = data.iter().copied().collect();
        let secret: Secret = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": { "name": name }, "stringData": string_data
        }))
        .unwrap();
        self.api::<Secret>()
            .create(&PostParams::default(), &secret)
            .await
            .unwrap();
    }

    /// Sets `reconcile.fluxcd.io/requestedAt` to `token`, as `flux reconcile` does.
    pub(crate) async fn request_reconcile<K>(&self, name: &str, token: &str)
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
    {
        let patch =
            json!({ "metadata": { "annotations": { "reconcile.fluxcd.io/requestedAt": token } } });
        self.api::<K>()
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap();
    }

    /// Waits until `check` holds for the object (its JSON form), failing with the controller
    /// log when it does not within `timeout`.
    pub(crate) async fn wait<K>(
        &self,
        name: &str,
        what: &str,
        timeout: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> K
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
    {
        let api = self.api::<K>();
        let result = wait_for(what, timeout, || async {
            let object = api.get_opt(name).await.ok().flatten()?;
            check(&serde_json::to_value(&object).ok()?).then_some(object)
        })
        .await;
        match result {
            Ok(object) => object,
            Err(error) => {
                let current = api
                    .get_opt(name)
                    .await
                    .ok()
                    .flatten()
                    .map(|o| serde_json::to_string_pretty(&o).unwrap_or_default());
                panic!(
                    "{error}\nobject: {}\ncontroller log:\n{}",
                    current.unwrap_or_default(),
                    self.controller.log_tail()
                )
            }
        }
    }

    /// Waits for Ready=True at the current generation.
    pub(crate) async fn wait_ready<K>(&self, name: &str) -> K
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
    {
        self.wait(
            name,
            &format!("{name} Ready"),
            Duration::from_secs(60),
            |o| is_ready(o) == Some(true),
        )
        .await
    }

    /// Waits for Ready=False and returns (reason, message).
    pub(crate) async fn wait_not_ready<K>(&self, name: &str) -> (String, String)
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
    {
        let object: K = self
            .wait(
                name,
                &format!("{name} Ready=False"),
                Duration::from_secs(60),
                |o| is_ready(o) == Some(false),
            )
            .await;
        let value = serde_json::to_value(object).unwrap();
        let ready = condition(&value, "Ready").unwrap();
        (
            ready["reason"].as_str().unwrap_or_default().to_string(),
            ready["message"].as_str().unwrap_or_default().to_string(),
        )
    }
}

/// The condition of `type_` in an object's status.
pub(crate) fn condition<'a>(object: &'a Value, type_: &str) -> Option<&'a Value> {
    object["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
}

/// Ready's status at the current generation: `Some(true|false)`, `None` when unknown or stale.
pub(crate) fn is_ready(object: &Value) -> Option<bool> {
    let ready = condition(object, "Ready")?;
    let current = object["status"]["observedGeneration"] == object["metadata"]["generation"];
    match ready["status"].as_str()? {
        "True" if current => Some(true),
        "False" => Some(false),
        _ => None,
    }
}

/// The artifact's revision of a source object.
pub(crate) fn revision(object: &Value) -> Option<String> {
    object["status"]["artifact"]["revision"]
        .as_str()
        .map(str::to_string)
}

/// Downloads an artifact, checks it against its digest, and returns its files by path.
pub(crate) fn download_artifact(artifact: &Value) -> BTreeMap<String, Vec<u8>> {
    let url = artifact["url"].as_str().unwrap();
    let (status, body) = http_get(url).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, 200, "GET {url}");
    let digest = format!("sha256:{}", hex(&sha256(&body)));
    assert_eq!(
        artifact["digest"].as_str(),
        Some(digest.as_str()),
        "digest of {url}"
    );
    untar(&body)
}

/// The regular files of a tar.gz; panics on links or unsafe paths (the artifact must have none).
pub(crate) fn untar(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut files = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().display().to_string();
        assert!(
            !path.starts_with('/') && !path.split('/').any(|p| p == ".."),
            "unsafe path {path}"
        );
        match entry.header().entry_type() {
            tar::EntryType::Regular => {
                let mut data = Vec::new();
                entry.read_to_end(&mut data).unwrap();
                files.insert(path, data);
            }
            tar::EntryType::Directory => {}
            other => panic!("unexpected entry {path} of type {other:?}"),
        }
    }
    files
}

pub(crate) fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A GitRepository manifest.
pub(crate) fn git_repository(name: &str, url: &str, reference: Value, extra: Value) -> Value {
    let mut spec = json!({ "interval": "1m", "timeout": "20s", "url": url, "ref": reference });
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    json!({ "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository", "metadata": { "name": name }, "spec": spec })
}
