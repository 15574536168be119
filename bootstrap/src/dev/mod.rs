//! `capstan dev`: the embedded local environment for people without a cluster.

mod cluster;
mod daemon;
mod env;
mod fleet;
mod up;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

/// `capstan dev` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// The embedded local cluster (etcd, kube-apiserver, kube-controller-manager, fake node).
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// The whole loop on this machine: local cluster, Git server with an example fleet, the
    /// controllers, a bootstrap, a push that deploys, a reverted manual edit. Leaves
    /// everything running.
    Up(StateDir),
    /// Stop what `capstan dev up` started.
    Down(StateDir),
    /// Run the environment of `dev up` in the foreground (what `up` starts).
    #[command(hide = true)]
    Serve(StateDir),
}

/// `capstan dev cluster` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ClusterCommand {
    /// Provision (first time: ~9 minutes) and start the local cluster in the background, then
    /// print its kubeconfig path. Does nothing but print the path when it already runs.
    Up(StateDir),
    /// Stop the local cluster; its data is kept for the next `up`.
    Down(StateDir),
    /// Print the kubeconfig path of the running local cluster.
    Kubeconfig(StateDir),
    /// Run the local cluster in the foreground until interrupted (what `up` starts).
    #[command(hide = true)]
    Serve(StateDir),
}

/// Where a local environment keeps its state.
#[derive(Debug, clap::Args)]
pub(crate) struct StateDir {
    /// Where the cluster keeps its data, logs and kubeconfig.
    #[arg(long, env = "CAPSTAN_DEV_DIR")]
    pub(crate) dir: Option<PathBuf>,
}

pub(crate) fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Cluster(command) => cluster::run(command),
        Command::Up(dir) => {
            up::up(&daemon::state_dir(dir.dir, "dev")?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Down(dir) => {
            let dir = daemon::state_dir(dir.dir, "dev")?;
            if daemon::stop(&dir)? {
                eprintln!("✔ the local environment stopped");
            } else {
                eprintln!("no local environment is running for {}", dir.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(dir) => env::serve(&daemon::state_dir(dir.dir, "dev")?),
    }
}
