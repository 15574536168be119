//! `capstan dev cluster up|down|kubeconfig`: one local cluster per state directory.
//!
//! `up` starts a detached `capstan dev cluster serve` process that owns the control-plane
//! processes (they die with it) and writes `serve.pid`, then `ready` once the cluster answers.
//! `down` signals that process and waits for it to exit.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use capstan_localcluster::{ClusterOptions, LocalCluster};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::{ClusterCommand, StateDir};

const PID_FILE: &str = "serve.pid";
const READY_FILE: &str = "ready";

pub(crate) fn run(command: ClusterCommand) -> anyhow::Result<ExitCode> {
    match command {
        ClusterCommand::Up(dir) => up(&state_dir(dir)?),
        ClusterCommand::Down(dir) => down(&state_dir(dir)?),
        ClusterCommand::Kubeconfig(dir) => kubeconfig(&state_dir(dir)?),
        ClusterCommand::Serve(dir) => serve(&state_dir(dir)?),
    }
}

/// `$CAPSTAN_DEV_DIR`, else `$XDG_STATE_HOME/capstan/dev-cluster`, else
/// `~/.local/state/capstan/dev-cluster`.
fn state_dir(flag: StateDir) -> anyhow::Result<PathBuf> {
    if let Some(dir) = flag.dir {
        return Ok(dir);
    }
    let base = match std::env::var_os("XDG_STATE_HOME") {
        Some(state) if !state.is_empty() => PathBuf::from(state),
        _ => {
            let home = std::env::var_os("HOME").context("HOME is not set; pass --dir")?;
            PathBuf::from(home).join(".local/state")
        }
    };
    Ok(base.join("capstan/dev-cluster"))
}

/// The pid of a live `serve` process for this directory, if any.
pub(crate) fn running_pid(dir: &Path) -> Option<Pid> {
    let text = std::fs::read_to_string(dir.join(PID_FILE)).ok()?;
    let pid = Pid::from_raw(text.trim().parse().ok()?);
    kill(pid, None).ok().map(|()| pid)
}

fn up(dir: &Path) -> anyhow::Result<ExitCode> {
    if running_pid(dir).is_some() && dir.join(READY_FILE).is_file() {
        println!("{}", dir.join("kubeconfig").display());
        return Ok(ExitCode::SUCCESS);
    }
    std::fs::create_dir_all(dir.join("logs"))
        .with_context(|| format!("creating {}", dir.display()))?;
    eprintln!(
        "► provisioning cluster binaries (the first run builds kube-apiserver: about 9 minutes)"
    );
    capstan_localcluster::provision()?;
    let _ = std::fs::remove_file(dir.join(READY_FILE));
    let log_path = dir.join("logs/serve.log");
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let exe = std::env::current_exe().context("locating the capstan executable")?;
    let mut child = {
        use std::os::unix::process::CommandExt;
        Command::new(exe)
            .args(["dev", "cluster", "serve", "--dir"])
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // Its own process group: a Ctrl-C in this terminal must not stop the cluster.
            .process_group(0)
            .spawn()
            .context("starting `capstan dev cluster serve`")?
    };
    eprintln!("► starting etcd, kube-apiserver, kube-controller-manager and the fake node");
    let deadline = Instant::now() + Duration::from_secs(300);
    while !dir.join(READY_FILE).is_file() {
        if let Some(status) = child.try_wait()? {
            bail!(
                "the local cluster failed to start ({status}); see {}:\n{}",
                log_path.display(),
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
        }
        if Instant::now() > deadline {
            bail!(
                "the local cluster was not ready after 5 minutes; see {}",
                log_path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!(
        "✔ local cluster is ready; use it with: export KUBECONFIG={}",
        dir.join("kubeconfig").display()
    );
    println!("{}", dir.join("kubeconfig").display());
    Ok(ExitCode::SUCCESS)
}

fn down(dir: &Path) -> anyhow::Result<ExitCode> {
    let Some(pid) = running_pid(dir) else {
        eprintln!("no local cluster is running for {}", dir.display());
        return Ok(ExitCode::SUCCESS);
    };
    kill(pid, Signal::SIGTERM).context("signalling the cluster process")?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while kill(pid, None).is_ok() {
        if Instant::now() > deadline {
            bail!("the cluster process {pid} did not stop within 60s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::fs::remove_file(dir.join(PID_FILE));
    let _ = std::fs::remove_file(dir.join(READY_FILE));
    eprintln!("✔ local cluster stopped (data kept in {})", dir.display());
    Ok(ExitCode::SUCCESS)
}

fn kubeconfig(dir: &Path) -> anyhow::Result<ExitCode> {
    if running_pid(dir).is_none() || !dir.join(READY_FILE).is_file() {
        bail!(
            "no local cluster is running for {}; start one with `capstan dev cluster up`",
            dir.display()
        );
    }
    println!("{}", dir.join("kubeconfig").display());
    Ok(ExitCode::SUCCESS)
}

fn serve(dir: &Path) -> anyhow::Result<ExitCode> {
    if let Some(pid) = running_pid(dir)
        && pid != Pid::this()
    {
        bail!(
            "a local cluster already runs for {} (pid {pid})",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join(PID_FILE), Pid::this().to_string())?;
    let binaries = capstan_localcluster::provision()?;
    let mut options = ClusterOptions::new(dir);
    options.crds = capstan_api::crd::crds();
    let cluster = LocalCluster::start(&binaries, options)?;
    std::fs::write(dir.join(READY_FILE), cluster.server())?;
    eprintln!(
        "local cluster serving at {} (kubeconfig {})",
        cluster.server(),
        cluster.kubeconfig_path().display()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
        loop {
            tokio::select! {
                _ = terminate.recv() => break,
                _ = tokio::signal::ctrl_c() => break,
                // A closed terminal must not stop a cluster started with `up`.
                _ = hangup.recv() => continue,
            }
        }
        anyhow::Ok(())
    })?;
    let _ = std::fs::remove_file(dir.join(READY_FILE));
    cluster.stop();
    let _ = std::fs::remove_file(dir.join(PID_FILE));
    Ok(ExitCode::SUCCESS)
}
