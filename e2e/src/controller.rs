//! Capstan controllers started as processes against the test cluster, as users run them
//! outside a cluster (`--kubeconfig`). Each test runs its own controller confined to its own
//! namespace (`--watch-all-namespaces=false`), so tests in one binary never share objects.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::TestCluster;
use crate::process::{ProcessSpec, Supervisor, tail};

/// A running controller process; stopped when dropped.
#[derive(Debug)]
pub struct ControllerProcess {
    supervisor: Supervisor,
    log: PathBuf,
    metrics_port: u16,
    health_port: u16,
    _dir: tempfile::TempDir,
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    match crate::process::free_port() {
        Ok(port) => port,
        Err(error) => panic!("{error}"),
    }
}

impl ControllerProcess {
    /// Starts `binary` watching only `namespace` (also its runtime namespace, holding its
    /// Lease), with free metrics and health ports, debug logs (unless `extra_args` set
    /// `--log-level`), and `extra_args`; waits until
    /// `/readyz` answers. Panics, with the log, when it does not come up.
    pub fn start(
        binary: &Path,
        cluster: &TestCluster,
        namespace: &str,
        extra_args: &[String],
    ) -> ControllerProcess {
        Self::start_with_env(binary, cluster, namespace, extra_args, &[])
    }

    /// [`ControllerProcess::start`] with extra environment variables (e.g. `TMPDIR`).
    pub fn start_with_env(
        binary: &Path,
        cluster: &TestCluster,
        namespace: &str,
        extra_args: &[String],
        env: &[(&str, &str)],
    ) -> ControllerProcess {
        let dir = match tempfile::Builder::new()
            .prefix("capstan-controller-")
            .tempdir()
        {
            Ok(dir) => dir,
            Err(error) => panic!("creating a directory for the controller: {error}"),
        };
        let (metrics_port, health_port) = (free_port(), free_port());
        let name = binary
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let log = dir.path().join(format!("{name}.log"));
        let mut args = vec![
            format!("--kubeconfig={}", cluster.kubeconfig_path().display()),
            "--watch-all-namespaces=false".to_string(),
            format!("--runtime-namespace={namespace}"),
            format!("--metrics-addr=127.0.0.1:{metrics_port}"),
            format!("--health-addr=127.0.0.1:{health_port}"),
        ];
        if !extra_args.iter().any(|arg| arg.starts_with("--log-level")) {
            args.push("--log-level=debug".to_string());
        }
        args.extend(extra_args.iter().cloned());
        let spec = ProcessSpec {
            name: "controller",
            program: binary.to_path_buf(),
            args,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
            log: log.clone(),
        };
        let supervisor = match Supervisor::start(vec![spec]) {
            Ok(supervisor) => supervisor,
            Err(error) => panic!("starting {}: {error}", binary.display()),
        };
        let controller = ControllerProcess {
            supervisor,
            log,
            metrics_port,
            health_port,
            _dir: dir,
        };
        controller.wait_ready(Duration::from_secs(30));
        controller
    }

    fn wait_ready(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(exited) = self.supervisor.exited().first() {
                panic!("the controller {exited}:\n{}", self.log());
            }
            if http_get(&format!("http://127.0.0.1:{}/readyz", self.health_port))
                .is_ok_and(|(status, _)| status == 200)
            {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "the controller was not ready after {timeout:?}:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The controller's log (stdout and stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last lines of the log, for assertion messages.
    pub fn log_tail(&self) -> String {
        tail(&self.log, 40)
    }

    /// The Prometheus text on `/metrics`.
    pub fn metrics(&self) -> String {
        match http_get(&format!("http://127.0.0.1:{}/metrics", self.metrics_port)) {
            Ok((_, body)) => String::from_utf8_lossy(&body).into_owned(),
            Err(error) => panic!("reading metrics: {error}"),
        }
    }

    /// The health endpoint's port.
    pub fn health_port(&self) -> u16 {
        self.health_port
    }

    /// The process id (to read its memory use from `/proc`).
    pub fn pid(&self) -> u32 {
        self.supervisor.pids().first().copied().unwrap_or_default()
    }

    /// Whether the process is still running.
    pub fn is_running(&self) -> bool {
        self.supervisor.exited().is_empty()
    }
}

/// A plain HTTP/1.0 GET of `http://host:port/path`: status and body. Enough for artifacts,
/// metrics and probes without an HTTP client in every test.
pub fn http_get(url: &str) -> Result<(u16, Vec<u8>), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("not an http URL: {url}"))?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let mut stream =
        TcpStream::connect(authority).map_err(|e| format!("connecting to {authority}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| format!("reading from {authority}: {e}"))?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no HTTP header")?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line: {head}"))?;
    Ok((status, response[split + 4..].to_vec()))
}

/// source-controller and kustomize-controller running as processes for one namespace, with
/// the artifact storage and cache directories they need: the GitOps loop without a kubelet.
#[derive(Debug)]
pub struct GitOpsControllers {
    /// source-controller, serving artifacts on a free loopback port.
    pub source: ControllerProcess,
    /// kustomize-controller.
    pub kustomize: ControllerProcess,
    _storage: tempfile::TempDir,
    _cache: tempfile::TempDir,
}

impl GitOpsControllers {
    /// Starts both controllers (built when needed) for `namespace`; `extra_args` go to both.
    ///
    /// # Panics
    /// When a directory cannot be made or a controller does not come up.
    pub fn start(cluster: &TestCluster, namespace: &str, extra_args: &[&str]) -> Self {
        let dir = || match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(error) => panic!("creating a controller directory: {error}"),
        };
        let (storage, cache) = (dir(), dir());
        let extra = extra_args.iter().map(|a| (*a).to_string());
        let storage_addr = format!("127.0.0.1:{}", free_port());
        let mut source_args = vec![
            format!("--storage-path={}", storage.path().display()),
            format!("--storage-addr={storage_addr}"),
            format!("--storage-adv-addr={storage_addr}"),
        ];
        source_args.extend(extra.clone());
        let source = ControllerProcess::start(
            &crate::workspace_binary("source-controller", "source-controller"),
            cluster,
            namespace,
            &source_args,
        );
        let mut kustomize_args = vec![format!("--artifact-cache-path={}", cache.path().display())];
        kustomize_args.extend(extra);
        let kustomize = ControllerProcess::start(
            &crate::workspace_binary("kustomize-controller", "kustomize-controller"),
            cluster,
            namespace,
            &kustomize_args,
        );
        GitOpsControllers {
            source,
            kustomize,
            _storage: storage,
            _cache: cache,
        }
    }

    /// The tail of both logs, for failure messages.
    pub fn logs(&self) -> String {
        format!(
            "source-controller:\n{}\nkustomize-controller:\n{}",
            self.source.log_tail(),
            self.kustomize.log_tail()
        )
    }
}
