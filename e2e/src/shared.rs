use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use capstan_localcluster::{ClusterOptions, LocalCluster};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::Config;
use kube::api::{Api, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

/// The cluster shared by the tests of one test binary.
#[derive(Debug)]
pub struct TestCluster {
    kubeconfig: PathBuf,
    /// Kept alive for the process lifetime; its processes die with the test binary.
    _local: Option<LocalCluster>,
}

static CLUSTER: OnceLock<TestCluster> = OnceLock::new();

/// The shared cluster, started on first use. Panics with the cause when it cannot be had:
/// a test that needs a cluster must fail, not skip.
pub fn cluster() -> &'static TestCluster {
    CLUSTER.get_or_init(|| {
        // Start from a plain thread: the caller may be inside an async runtime.
        let started = std::thread::spawn(start).join();
        match started {
            Ok(Ok(cluster)) => cluster,
            Ok(Err(message)) => panic!("the test cluster is unavailable: {message}"),
            Err(_) => panic!("the test cluster is unavailable: starting it panicked"),
        }
    })
}

fn start() -> Result<TestCluster, String> {
    if let Some(path) = std::env::var_os("CAPSTAN_E2E_KUBECONFIG") {
        let kubeconfig = PathBuf::from(path);
        install_crds_blocking(&kubeconfig)?;
        return Ok(TestCluster {
            kubeconfig,
            _local: None,
        });
    }
    let binaries = capstan_localcluster::provision().map_err(|e| format!("{e}"))?;
    let dir = cluster_dir();
    let mut options = ClusterOptions::new(&dir);
    options.crds = capstan_api::crd::crds();
    let local = LocalCluster::start(&binaries, options).map_err(|e| error_chain(&e))?;
    eprintln!(
        "capstan-e2e: local cluster at {} (kubeconfig {})",
        local.server(),
        local.kubeconfig_path().display()
    );
    Ok(TestCluster {
        kubeconfig: local.kubeconfig_path().to_path_buf(),
        _local: Some(local),
    })
}

/// A fresh directory per test binary run; directories of runs whose process is gone are removed.
fn cluster_dir() -> PathBuf {
    let base = std::env::temp_dir().join("capstan-e2e");
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let pid = entry.file_name().to_string_lossy().parse::<u32>().ok();
            if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    base.join(std::process::id().to_string())
}

fn install_crds_blocking(kubeconfig: &Path) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let client = client_for(kubeconfig).await?;
        let api: Api<CustomResourceDefinition> = Api::all(client);
        for crd in capstan_api::crd::crds() {
            let name = crd.metadata.name.clone().unwrap_or_default();
            api.patch(
                &name,
                &PatchParams::apply("capstan-e2e").force(),
                &Patch::Apply(&crd),
            )
            .await
            .map_err(|e| format!("installing CRD {name}: {e}"))?;
        }
        Ok(())
    })
}

async fn client_for(path: &Path) -> Result<Client, String> {
    let kubeconfig =
        Kubeconfig::read_from(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|e| format!("loading {}: {e}", path.display()))?;
    Client::try_from(config).map_err(|e| format!("building a client: {e}"))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl TestCluster {
    /// The kubeconfig of the cluster, to hand to controllers started as processes.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// A client for the calling test's runtime (clients are bound to the runtime that made them).
    pub async fn client(&self) -> Client {
        match client_for(&self.kubeconfig).await {
            Ok(client) => client,
            Err(message) => panic!("cannot connect to the test cluster: {message}"),
        }
    }
}
