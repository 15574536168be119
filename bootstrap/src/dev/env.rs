//! The daemon behind `capstan dev up`: the local cluster, a local Git server (lighttpd with
//! `git http-backend`, basic auth) holding the fleet repository, and source-controller and
//! kustomize-controller running in this process against the cluster — what would run from
//! `manifests/` in a real cluster. Its connection details go to `env.json` (mode 0600).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use serde::{Deserialize, Serialize};

use super::{cluster, daemon};

/// The namespace the demo installs Capstan into.
pub(super) const NAMESPACE: &str = "capstan-system";

/// How to reach the environment, written by the daemon, read by `dev up`.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Env {
    /// The cluster's admin kubeconfig.
    pub(super) kubeconfig: String,
    /// The fleet repository (http with basic auth).
    pub(super) git_url: String,
    /// Its username.
    pub(super) username: String,
    /// Its password (a throwaway of this environment).
    pub(super) password: String,
}

impl Env {
    /// Reads `env.json` of a running environment.
    pub(super) fn read(dir: &Path) -> anyhow::Result<Env> {
        let file = dir.join("env.json");
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        Ok(serde_json::from_str(&text)?)
    }
}

pub(super) fn serve(dir: &Path) -> anyhow::Result<ExitCode> {
    daemon::claim(dir)?;
    let cluster = cluster::start_cluster(&dir.join("cluster"))?;
    let git = capstan_e2e::GitServer::start();
    git.create_repo("fleet");
    let kubeconfig = cluster.kubeconfig_path().display().to_string();
    let runtime = tokio::runtime::Runtime::new()?;
    let controllers = runtime.block_on(async { start_controllers(dir, &kubeconfig) })?;
    let env = Env {
        kubeconfig,
        git_url: git.http_url("fleet"),
        username: git.username().to_string(),
        password: git.password().to_string(),
    };
    write_private(&dir.join("env.json"), &serde_json::to_string_pretty(&env)?)?;
    daemon::announce_ready(dir)?;
    eprintln!(
        "local environment ready: cluster {}, git {}",
        cluster.server(),
        env.git_url
    );
    runtime.block_on(async {
        daemon::until_terminated().await?;
        // The controllers stop on the same signal; give them a moment to finish cleanly.
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            futures::future::join_all(controllers),
        )
        .await;
        anyhow::Ok(())
    })?;
    daemon::release(dir);
    drop(git);
    cluster.stop();
    Ok(ExitCode::SUCCESS)
}

/// Runs both controllers as tasks of this process, watching every namespace.
fn start_controllers(
    dir: &Path,
    kubeconfig: &str,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let port = || capstan_e2e::free_port();
    let storage_addr = format!("127.0.0.1:{}", port());
    let common = |metrics: u16, health: u16| {
        vec![
            format!("--kubeconfig={kubeconfig}"),
            format!("--runtime-namespace={NAMESPACE}"),
            format!("--metrics-addr=127.0.0.1:{metrics}"),
            format!("--health-addr=127.0.0.1:{health}"),
            "--log-level=info".to_string(),
        ]
    };
    let mut source_args = vec!["source-controller".to_string()];
    source_args.extend(common(port(), port()));
    source_args.extend([
        format!("--storage-path={}", dir.join("storage").display()),
        format!("--storage-addr={storage_addr}"),
        format!("--storage-adv-addr={storage_addr}"),
    ]);
    let mut kustomize_args = vec!["kustomize-controller".to_string()];
    kustomize_args.extend(common(port(), port()));
    kustomize_args.push(format!(
        "--artifact-cache-path={}",
        dir.join("artifacts").display()
    ));
    let source = source_controller::Args::try_parse_from(source_args)?;
    let kustomize = kustomize_controller::Args::try_parse_from(kustomize_args)?;
    Ok(vec![
        tokio::spawn(async move {
            if let Err(error) = source_controller::run(source).await {
                eprintln!("source-controller stopped: {error:#}");
            }
        }),
        tokio::spawn(async move {
            if let Err(error) = kustomize_controller::run(kustomize).await {
                eprintln!("kustomize-controller stopped: {error:#}");
            }
        }),
    ])
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}
