use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use tokio::sync::oneshot;
use tracing::{info, warn};

use crate::process::Supervised;
use crate::{Binaries, Error, fake_node, kubeconfig, pki, ports};

/// How to start a local cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Working directory: PKI, etcd data, logs and the kubeconfig live here. Reusing a
    /// directory restarts the same cluster (same data, same credentials).
    pub dir: PathBuf,
    /// CRDs to install and wait for (`Established`) before the cluster is handed out.
    pub crds: Vec<CustomResourceDefinition>,
    /// How long start-up may take before it is reported as failed.
    pub start_timeout: Duration,
}

impl ClusterOptions {
    /// Options with no CRDs and a two-minute start-up limit.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            crds: Vec::new(),
            start_timeout: Duration::from_secs(120),
        }
    }
}

/// A running local cluster. Dropping it (or [`LocalCluster::stop`]) stops every process.
#[derive(Debug)]
pub struct LocalCluster {
    dir: PathBuf,
    kubeconfig: PathBuf,
    server: String,
    stop: Option<oneshot::Sender<()>>,
    supervisor: Option<JoinHandle<()>>,
}

/// What the supervisor thread reports once the control plane answers.
struct Started {
    kubeconfig: PathBuf,
    server: String,
}

/// Field manager for what the cluster itself installs (CRDs).
const FIELD_MANAGER: &str = "capstan-localcluster";

impl LocalCluster {
    /// Starts etcd, kube-apiserver, kube-controller-manager and the fake node on free loopback
    /// ports, installs `options.crds`, and returns once the cluster can run pods.
    ///
    /// Blocks the calling thread; from async code call it in `spawn_blocking`. The processes
    /// belong to a supervisor thread and die with it, so nothing outlives the caller's process.
    pub fn start(binaries: &Binaries, options: ClusterOptions) -> Result<Self, Error> {
        for sub in ["pki", "etcd", "logs"] {
            let path = options.dir.join(sub);
            std::fs::create_dir_all(&path).map_err(Error::io("creating", &path))?;
        }
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let binaries = binaries.clone();
        let thread_options = options.clone();
        let supervisor = std::thread::Builder::new()
            .name("capstan-cluster".into())
            .spawn(move || supervise(&binaries, &thread_options, &ready_tx, stop_rx))
            .map_err(Error::io(
                "spawning the supervisor thread for",
                &options.dir,
            ))?;
        let started = match ready_rx.recv() {
            Ok(Ok(started)) => started,
            Ok(Err(error)) => {
                let _ = supervisor.join();
                return Err(error);
            }
            Err(_) => {
                let _ = supervisor.join();
                return Err(Error::Provision(
                    "the cluster supervisor thread ended unexpectedly".into(),
                ));
            }
        };
        Ok(Self {
            dir: options.dir,
            kubeconfig: started.kubeconfig,
            server: started.server,
            stop: Some(stop_tx),
            supervisor: Some(supervisor),
        })
    }

    /// The admin kubeconfig (mode 0600), usable by `kubectl --kubeconfig`.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// The apiserver URL, `https://127.0.0.1:<port>`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The working directory (logs are in `logs/`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new client for the caller's async runtime. Clients are bound to the runtime that made
    /// them, so each test (each runtime) asks for its own.
    pub async fn client(&self) -> Result<Client, Error> {
        client_for(&self.kubeconfig).await
    }

    /// Blocks until the cluster stops (for a foreground `capstan dev cluster serve`).
    pub fn wait(&mut self) {
        if let Some(handle) = self.supervisor.take() {
            let _ = handle.join();
        }
    }

    /// Stops every process and waits for them to exit.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.supervisor.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Builds a client from a kubeconfig file.
pub(crate) async fn client_for(path: &Path) -> Result<Client, Error> {
    let kubeconfig = Kubeconfig::read_from(path).map_err(|source| Error::Kubeconfig {
        path: path.into(),
        source,
    })?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|source| Error::Kubeconfig {
            path: path.into(),
            source,
        })?;
    Client::try_from(config).map_err(Error::kube("building a client"))
}

/// The supervisor thread: owns the processes, runs the fake node, stops everything on request.
fn supervise(
    binaries: &Binaries,
    options: &ClusterOptions,
    ready: &mpsc::Sender<Result<Started, Error>>,
    stop: oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(Error::io("starting a runtime for", &options.dir)(e)));
            return;
        }
    };
    runtime.block_on(async {
        // Processes are spawned here, on the supervisor thread: PR_SET_PDEATHSIG follows it.
        let (mut processes, client, started) = match boot(binaries, options).await {
            Ok(booted) => booted,
            Err(error) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
        let _ = ready.send(Ok(started));
        let fake_node = fake_node::run(client);
        tokio::pin!(fake_node);
        let mut stop = stop;
        let mut health = tokio::time::interval(Duration::from_secs(5));
        loop {
            tokio::select! {
                _ = &mut stop => break,
                result = &mut fake_node => {
                    if let Err(error) = result { warn!(%error, "fake node stopped"); }
                    break;
                }
                _ = health.tick() => {
                    for process in &mut processes {
                        if let Err(error) = process.check_running() {
                            warn!(%error, "local cluster process died");
                        }
                    }
                }
            }
        }
        // Stop in reverse start order: controller-manager, apiserver, etcd.
        while let Some(mut process) = processes.pop() {
            process.stop();
        }
        info!(dir = %options.dir.display(), "local cluster stopped");
    });
}

async fn boot(
    binaries: &Binaries,
    options: &ClusterOptions,
) -> Result<(Vec<Supervised>, Client, Started), Error> {
    let deadline = Instant::now() + options.start_timeout;
    let dir = &options.dir;
    let logs = dir.join("logs");
    let pki = pki::ensure(&dir.join("pki"))?;
    let port = || ports::free_port().map_err(Error::io("finding a free port for", dir));
    let (etcd_port, peer_port, api_port, cm_port) = (port()?, port()?, port()?, port()?);
    let mut processes = Vec::new();

    let etcd_url = format!("http://127.0.0.1:{etcd_port}");
    let peer_url = format!("http://127.0.0.1:{peer_port}");
    processes.push(Supervised::spawn(
        "etcd",
        &binaries.etcd,
        &args(&[
            "--name=capstan",
            &format!("--data-dir={}", dir.join("etcd").display()),
            &format!("--listen-client-urls={etcd_url}"),
            &format!("--advertise-client-urls={etcd_url}"),
            &format!("--listen-peer-urls={peer_url}"),
            &format!("--initial-advertise-peer-urls={peer_url}"),
            &format!("--initial-cluster=capstan={peer_url}"),
            "--log-level=warn",
        ]),
        logs.join("etcd.log"),
    )?);
    wait_for_port(etcd_port, "etcd", deadline, dir, &mut processes).await?;

    processes.push(Supervised::spawn(
        "kube-apiserver",
        &binaries.kube_apiserver,
        &args(&[
            &format!("--etcd-servers={etcd_url}"),
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            &format!("--secure-port={api_port}"),
            &format!("--tls-cert-file={}", pki.serving_cert.display()),
            &format!("--tls-private-key-file={}", pki.serving_key.display()),
            &format!("--client-ca-file={}", pki.ca_cert.display()),
            &format!("--token-auth-file={}", pki.token_file.display()),
            "--authorization-mode=RBAC",
            &format!(
                "--service-account-key-file={}",
                pki.service_account_pub.display()
            ),
            &format!(
                "--service-account-signing-key-file={}",
                pki.service_account_key.display()
            ),
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--allow-privileged=true",
            "--profiling=false",
            "--v=0",
        ]),
        logs.join("kube-apiserver.log"),
    )?);
    let server = format!("https://127.0.0.1:{api_port}");
    let kubeconfig_path = dir.join("kubeconfig");
    kubeconfig::write(
        &kubeconfig_path,
        &kubeconfig::render(&server, &pki.ca_pem, &pki.admin_token),
    )?;
    let client = client_for(&kubeconfig_path).await?;
    wait_until(
        deadline,
        dir,
        &mut processes,
        "kube-apiserver /readyz",
        || async {
            let request = http::Request::get("/readyz").body(Vec::new()).ok()?;
            client
                .request_text(request)
                .await
                .ok()
                .filter(|body| body.trim() == "ok")
        },
    )
    .await?;

    let kubeconfig_arg = format!("--kubeconfig={}", kubeconfig_path.display());
    processes.push(Supervised::spawn(
        "kube-controller-manager",
        &binaries.kube_controller_manager,
        &args(&[
            &kubeconfig_arg,
            &format!("--authentication-kubeconfig={}", kubeconfig_path.display()),
            &format!("--authorization-kubeconfig={}", kubeconfig_path.display()),
            &format!(
                "--service-account-private-key-file={}",
                pki.service_account_key.display()
            ),
            &format!("--root-ca-file={}", pki.ca_cert.display()),
            "--controllers=*,-nodeipam,-nodelifecycle",
            "--leader-elect=false",
            "--use-service-account-credentials=false",
            "--bind-address=127.0.0.1",
            &format!("--secure-port={cm_port}"),
            "--port=0",
            "--v=0",
        ]),
        logs.join("kube-controller-manager.log"),
    )?);

    install_crds(&client, &options.crds, deadline, dir, &mut processes).await?;
    // Pods are refused until the token controller has created the namespace's default
    // ServiceAccount; a cluster handed out earlier would make the first test flaky.
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "default");
    wait_until(
        deadline,
        dir,
        &mut processes,
        "the default ServiceAccount",
        || async { accounts.get_opt("default").await.ok().flatten() },
    )
    .await?;
    fake_node::register(&client).await?;
    info!(server = %server, kubeconfig = %kubeconfig_path.display(), "local cluster is ready");
    Ok((
        processes,
        client,
        Started {
            kubeconfig: kubeconfig_path,
            server,
        },
    ))
}

async fn install_crds(
    client: &Client,
    crds: &[CustomResourceDefinition],
    deadline: Instant,
    dir: &Path,
    processes: &mut [Supervised],
) -> Result<(), Error> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let params = PatchParams::apply(FIELD_MANAGER).force();
    for crd in crds {
        let name = crd.metadata.name.clone().unwrap_or_default();
        api.patch(&name, &params, &Patch::Apply(crd))
            .await
            .map_err(Error::kube(format!("installing CRD {name}")))?;
    }
    for crd in crds {
        let name = crd.metadata.name.clone().unwrap_or_default();
        wait_until(
            deadline,
            dir,
            processes,
            &format!("CRD {name} Established"),
            || async {
                let crd = api.get(&name).await.ok()?;
                let established = crd
                    .status?
                    .conditions?
                    .iter()
                    .any(|c| c.type_ == "Established" && c.status == "True");
                established.then_some(())
            },
        )
        .await?;
    }
    Ok(())
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

async fn wait_for_port(
    port: u16,
    what: &str,
    deadline: Instant,
    dir: &Path,
    processes: &mut [Supervised],
) -> Result<(), Error> {
    wait_until(deadline, dir, processes, what, || async {
        TcpStream::connect(("127.0.0.1", port)).ok().map(drop)
    })
    .await
}

/// Polls `probe` until it yields a value, failing early when a process dies and at `deadline`.
async fn wait_until<T, F, Fut>(
    deadline: Instant,
    dir: &Path,
    processes: &mut [Supervised],
    what: &str,
    mut probe: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return Ok(value);
        }
        for process in processes.iter_mut() {
            process.check_running()?;
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout {
                what: what.to_string(),
                seconds: started.elapsed().as_secs(),
                dir: dir.join("logs"),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
