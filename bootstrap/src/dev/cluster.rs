//! `capstan dev cluster up|down|kubeconfig`: the local cluster alone, one per state directory.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use capstan_localcluster::{ClusterOptions, LocalCluster};

use super::{ClusterCommand, daemon};

pub(crate) fn run(command: ClusterCommand) -> anyhow::Result<ExitCode> {
    match command {
        ClusterCommand::Up(dir) => up(&daemon::state_dir(dir.dir, "dev-cluster")?),
        ClusterCommand::Down(dir) => down(&daemon::state_dir(dir.dir, "dev-cluster")?),
        ClusterCommand::Kubeconfig(dir) => kubeconfig(&daemon::state_dir(dir.dir, "dev-cluster")?),
        ClusterCommand::Serve(dir) => serve(&daemon::state_dir(dir.dir, "dev-cluster")?),
    }
}

fn up(dir: &Path) -> anyhow::Result<ExitCode> {
    if !daemon::is_ready(dir) {
        eprintln!(
            "► provisioning cluster binaries (the first run builds kube-apiserver: about 9 minutes)"
        );
        capstan_localcluster::provision()?;
        eprintln!("► starting etcd, kube-apiserver, kube-controller-manager and the fake node");
        daemon::start(
            dir,
            &["dev", "cluster", "serve"],
            "the local cluster",
            Duration::from_secs(300),
        )?;
        eprintln!(
            "✔ local cluster is ready; use it with: export KUBECONFIG={}",
            dir.join("kubeconfig").display()
        );
    }
    println!("{}", dir.join("kubeconfig").display());
    Ok(ExitCode::SUCCESS)
}

fn down(dir: &Path) -> anyhow::Result<ExitCode> {
    if daemon::stop(dir)? {
        eprintln!("✔ local cluster stopped (data kept in {})", dir.display());
    } else {
        eprintln!("no local cluster is running for {}", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn kubeconfig(dir: &Path) -> anyhow::Result<ExitCode> {
    if !daemon::is_ready(dir) {
        bail!(
            "no local cluster is running for {}; start one with `capstan dev cluster up`",
            dir.display()
        );
    }
    println!("{}", dir.join("kubeconfig").display());
    Ok(ExitCode::SUCCESS)
}

fn serve(dir: &Path) -> anyhow::Result<ExitCode> {
    daemon::claim(dir)?;
    let cluster = start_cluster(dir)?;
    daemon::announce_ready(dir)?;
    eprintln!(
        "local cluster serving at {} (kubeconfig {})",
        cluster.server(),
        cluster.kubeconfig_path().display()
    );
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(daemon::until_terminated())?;
    daemon::release(dir);
    cluster.stop();
    Ok(ExitCode::SUCCESS)
}

/// Provisions and starts the local cluster in `dir` with the Flux CRDs installed.
pub(super) fn start_cluster(dir: &Path) -> anyhow::Result<LocalCluster> {
    let binaries = capstan_localcluster::provision()?;
    let mut options = ClusterOptions::new(dir);
    options.crds = capstan_api::crd::crds();
    Ok(LocalCluster::start(&binaries, options)?)
}
