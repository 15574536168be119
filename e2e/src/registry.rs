//! A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8) on a free
//! loopback port, plain HTTP (or HTTPS with a generated CA), filesystem storage in a
//! temporary directory, optionally behind htpasswd basic auth.
//!
//! The binary is installed with `apt-get` on first use when missing. Each [`Registry`] is its
//! own process, stopped when the value is dropped and killed with the test binary
//! (`PR_SET_PDEATHSIG`, armed from a supervisor thread that lives as long as the value).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use capstan_oci::{ArtifactMetadata, Credentials, OciClient, OciUrl, Pushed, RegistryOptions};
use rand::Rng as _;

use crate::install;
use crate::process::{ProcessSpec, Supervisor, free_port, tail};

/// Where Debian's package puts the registry binary.
const BINARY: &str = "/usr/bin/docker-registry";

/// Why a registry could not be had. Tests fail on it; they never skip.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// `docker-registry` is missing and could not be installed.
    #[error("cannot install Debian's docker-registry: {0}")]
    Install(String),
    /// The process did not start or did not answer in time.
    #[error("the test registry did not start: {0}")]
    Start(String),
    /// Preparing its files failed.
    #[error("preparing the test registry: {0}")]
    Io(#[from] std::io::Error),
    /// A push through `capstan-oci` failed.
    #[error(transparent)]
    Oci(#[from] capstan_oci::Error),
}

/// A running registry; stopped when dropped.
#[derive(Debug)]
pub struct Registry {
    addr: SocketAddr,
    credentials: Option<(String, String)>,
    tls_ca: Option<String>,
    log: PathBuf,
    supervisor: Supervisor,
    // Dropped last: the process must be gone before its storage is removed.
    dir: tempfile::TempDir,
}

impl Registry {
    /// Starts an anonymous registry.
    pub fn start() -> Result<Self, RegistryError> {
        Self::launch(None, false)
    }

    /// Starts an anonymous registry serving HTTPS with a certificate for `127.0.0.1` issued
    /// by a fresh CA (see [`Registry::ca_pem`]), to test `certSecretRef`'s `ca.crt`.
    pub fn start_tls() -> Result<Self, RegistryError> {
        Self::launch(None, true)
    }

    /// Starts a registry that requires basic auth for every request, with generated
    /// credentials (see [`Registry::credentials`] and [`Registry::dockerconfigjson`]).
    pub fn start_with_auth() -> Result<Self, RegistryError> {
        let password: String = rand::rng()
            .sample_iter(rand::distr::Alphanumeric)
            .take(24)
            .map(char::from)
            .collect();
        Self::launch(Some(("capstan".to_string(), password)), false)
    }

    fn launch(credentials: Option<(String, String)>, tls: bool) -> Result<Self, RegistryError> {
        let binary = ensure_installed()?;
        let dir = tempfile::Builder::new()
            .prefix("capstan-registry-")
            .tempdir()?;
        if let Some((username, password)) = &credentials {
            // The registry only accepts bcrypt entries; the lowest cost keeps every
            // authenticated request fast.
            let hash = bcrypt::hash_with_result(password, 4)
                .map_err(|e| RegistryError::Start(format!("hashing the password: {e}")))?
                .format_for_version(bcrypt::Version::TwoY);
            std::fs::write(dir.path().join("htpasswd"), format!("{username}:{hash}\n"))?;
        }
        let tls_ca = if tls {
            Some(write_tls_files(dir.path())?)
        } else {
            None
        };
        let mut last_error = String::new();
        for attempt in 0..3 {
            let port = free_port().map_err(RegistryError::Start)?;
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let config = dir.path().join("config.yml");
            std::fs::write(
                &config,
                config_yaml(dir.path(), addr, credentials.is_some(), tls),
            )?;
            let log = dir.path().join(format!("registry-{attempt}.log"));
            let supervisor = Supervisor::start(vec![ProcessSpec {
                name: "docker-registry",
                program: binary.clone(),
                args: vec!["serve".to_string(), config.display().to_string()],
                env: Vec::new(),
                log: log.clone(),
            }])
            .map_err(RegistryError::Start)?;
            match wait_ready(addr, &supervisor, tls, Duration::from_secs(30)) {
                Ok(()) => {
                    return Ok(Self {
                        addr,
                        credentials,
                        tls_ca,
                        log,
                        supervisor,
                        dir,
                    });
                }
                Err(problem) => {
                    last_error = format!("{problem}; log {}:\n{}", log.display(), tail(&log, 20));
                    drop(supervisor);
                    // Another process may have taken the port between probe and bind: retry.
                    if !tail(&log, 20).contains("address already in use") {
                        break;
                    }
                }
            }
        }
        Err(RegistryError::Start(last_error))
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The PEM CA certificate of a registry started with [`Registry::start_tls`].
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls_ca.as_deref()
    }

    /// `oci://127.0.0.1:<port>/<repository>`.
    pub fn url(&self, repository: &str) -> String {
        format!("oci://{}/{repository}", self.addr)
    }

    /// The username and password of a registry started with auth.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.credentials
            .as_ref()
            .map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// A `.dockerconfigjson` document for this registry's credentials, as a
    /// `kubernetes.io/dockerconfigjson` Secret holds it.
    pub fn dockerconfigjson(&self) -> Option<String> {
        let (username, password) = self.credentials()?;
        let auth =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        Some(
            serde_json::json!({
                "auths": { self.host(): { "username": username, "password": password, "auth": auth } }
            })
            .to_string(),
        )
    }

    /// A client for `repository`: plain HTTP (HTTPS trusting the CA for a TLS registry), with
    /// the registry's credentials if any.
    pub fn client(&self, repository: &str) -> Result<OciClient, capstan_oci::Error> {
        let options = RegistryOptions {
            credentials: self.credentials().map(|(u, p)| Credentials::new(u, p)),
            insecure: self.tls_ca.is_none(),
            ca_certificate: self.tls_ca.as_ref().map(|pem| pem.clone().into_bytes()),
            ..RegistryOptions::default()
        };
        OciClient::new(OciUrl::parse(&self.url(repository))?, options)
    }

    /// Pushes `dir` as a Flux artifact to `repository:tag`.
    pub async fn push_dir(
        &self,
        repository: &str,
        tag: &str,
        dir: &Path,
        metadata: &ArtifactMetadata,
    ) -> Result<Pushed, RegistryError> {
        Ok(self
            .client(repository)?
            .push_artifact(tag, dir, metadata)
            .await?)
    }

    /// Writes `files` (`(path, content)`) to a temporary directory and pushes it as a Flux
    /// artifact to `repository:tag`, with source `capstan-e2e` and revision `tag`.
    pub async fn push_files(
        &self,
        repository: &str,
        tag: &str,
        files: &[(&str, &str)],
    ) -> Result<Pushed, RegistryError> {
        let dir = tempfile::tempdir()?;
        for (path, content) in files {
            let path = dir.path().join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, content)?;
        }
        let metadata = ArtifactMetadata {
            source: Some("capstan-e2e".to_string()),
            revision: Some(tag.to_string()),
            ..ArtifactMetadata::default()
        };
        self.push_dir(repository, tag, dir.path(), &metadata).await
    }

    /// Where the registry stores the blob `digest` (`sha256:<hex>`), so a test can tamper
    /// with it.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        self.dir
            .path()
            .join("data/docker/registry/v2/blobs/sha256")
            .join(hex.get(..2).unwrap_or(hex))
            .join(hex)
            .join("data")
    }

    /// The last lines of the registry's log, for failure messages.
    pub fn log_tail(&self) -> String {
        tail(&self.log, 30)
    }

    /// Whether the process is still running.
    pub fn is_running(&self) -> bool {
        self.supervisor.exited().is_empty()
    }
}

fn config_yaml(dir: &Path, addr: SocketAddr, with_auth: bool, tls: bool) -> String {
    let secret: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(32)
        .map(char::from)
        .collect();
    let auth = if with_auth {
        format!(
            "auth:\n  htpasswd:\n    realm: capstan-e2e\n    path: {}\n",
            dir.join("htpasswd").display()
        )
    } else {
        String::new()
    };
    let tls = if tls {
        format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            dir.join("server.crt").display(),
            dir.join("server.key").display()
        )
    } else {
        String::new()
    };
    // No blob descriptor cache: a test that rewrites a blob on disk must see it served.
    format!(
        "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  \
         filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  maintenance:\n    \
         uploadpurging:\n      enabled: false\nhttp:\n  addr: {addr}\n  secret: {secret}\n{tls}{auth}",
        dir.join("data").display()
    )
}

fn ensure_installed() -> Result<PathBuf, RegistryError> {
    if !Path::new(BINARY).is_file() {
        install::ensure_packages(&["docker-registry"]).map_err(RegistryError::Install)?;
    }
    if Path::new(BINARY).is_file() {
        Ok(PathBuf::from(BINARY))
    } else {
        Err(RegistryError::Install(format!(
            "{BINARY} is missing after installing docker-registry"
        )))
    }
}

/// Writes a CA and a serving certificate for `127.0.0.1`/`localhost`; returns the CA PEM.
fn write_tls_files(dir: &Path) -> Result<String, RegistryError> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let pki = |e: rcgen::Error| RegistryError::Start(format!("generating TLS certificates: {e}"));
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(pki)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "capstan-e2e-registry-ca");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(pki)?).map_err(pki)?;
    let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
    let serving_params = CertificateParams::new(names).map_err(pki)?;
    let serving_key = KeyPair::generate().map_err(pki)?;
    let serving = serving_params.signed_by(&serving_key, &ca).map_err(pki)?;
    std::fs::write(dir.join("server.crt"), serving.pem())?;
    std::fs::write(dir.join("server.key"), serving_key.serialize_pem())?;
    Ok(ca.pem())
}

/// Waits until `GET /v2/` answers 200 (anonymous) or 401 (auth required); for TLS, until
/// the port accepts connections.
fn wait_ready(
    addr: SocketAddr,
    supervisor: &Supervisor,
    tls: bool,
    timeout: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(exited) = supervisor.exited().first() {
            return Err(exited.clone());
        }
        if tls {
            if TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
                return Ok(());
            }
        } else if let Ok(status) = probe(addr)
            && (status.starts_with("HTTP/1.1 200") || status.starts_with("HTTP/1.1 401"))
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("no answer on http://{addr}/v2/ within {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn probe(addr: SocketAddr) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(
        stream,
        "GET /v2/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer.lines().next().unwrap_or_default().to_string())
}
