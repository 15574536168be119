//! `capstan bootstrap git`: take a cluster and an empty (or existing) Git repository to a
//! self-managing GitOps setup in one command, as `flux bootstrap git` does.
//!
//! Order matters for "nothing half-done": the cluster is checked first; the repository is
//! cloned (or a branch initialised) and the manifests committed in a temporary clone; the push
//! comes before any change to the cluster, so a refused push leaves both untouched; then the
//! auth Secret, the components and the sync objects are applied, and the command waits until
//! the source and the Kustomization are Ready at the pushed revision and every controller is
//! healthy. Rerunning with nothing changed commits nothing and changes nothing.

mod git;
mod manifests;
mod secret;
mod wait;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;

use crate::global::GlobalArgs;

/// `capstan bootstrap` targets.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Bootstrap from any Git server over ssh:// or https://.
    Git(GitArgs),
}

/// Flags of `capstan bootstrap git`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct GitArgs {
    /// The repository URL: `ssh://git@host[:port]/path` or `https://host/path`.
    #[arg(long)]
    pub(crate) url: String,
    /// The branch to commit to and sync from (created when the repository is empty).
    #[arg(long, default_value = "main")]
    pub(crate) branch: String,
    /// The directory in the repository that the cluster syncs (the fleet's cluster folder).
    #[arg(long, default_value = ".")]
    pub(crate) path: String,
    /// How often the cluster checks the repository for changes.
    #[arg(long, default_value = "1m")]
    pub(crate) interval: String,
    /// Private key for ssh (also stored in the cluster's Secret); generated (ed25519) when
    /// not given, and its public key printed to be added as a deploy key.
    #[arg(long)]
    pub(crate) private_key_file: Option<PathBuf>,
    /// Passphrase of the private key, or the password for https.
    #[arg(long, env = "CAPSTAN_GIT_PASSWORD", hide_env_values = true)]
    pub(crate) password: Option<String>,
    /// The username for https.
    #[arg(long, default_value = "git")]
    pub(crate) username: String,
    /// A CA certificate (PEM) to trust for https.
    #[arg(long)]
    pub(crate) ca_file: Option<PathBuf>,
    /// A known_hosts file for ssh; scanned from the server (and shown) when not given.
    #[arg(long)]
    pub(crate) known_hosts_file: Option<PathBuf>,
    /// The name of the Secret holding the Git credentials in the cluster.
    #[arg(long)]
    pub(crate) secret_name: Option<String>,
    /// Components to install (default: all).
    #[arg(long, value_delimiter = ',')]
    pub(crate) components: Vec<String>,
    /// Container image registry of the components.
    #[arg(long, default_value = "ghcr.io/capstan-gitops")]
    pub(crate) registry: String,
    /// Author name of the bootstrap commits.
    #[arg(long, default_value = "Capstan")]
    pub(crate) author_name: String,
    /// Author email of the bootstrap commits.
    #[arg(long, default_value = "capstan@users.noreply.localhost")]
    pub(crate) author_email: String,
    /// Do not wait for the user to add a generated deploy key.
    #[arg(long, short = 's')]
    pub(crate) silent: bool,
    /// Skip applying the components (they are committed and synced; for clusters where the
    /// controllers already run, e.g. `capstan dev up`).
    #[arg(long, hide = true)]
    pub(crate) skip_install: bool,
}

/// `capstan bootstrap git`, for callers inside the CLI (`capstan dev up`).
pub(crate) async fn bootstrap_git(args: &GitArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    git::bootstrap(args, global).await
}

pub(crate) fn run(command: Command, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    match command {
        Command::Git(args) => runtime.block_on(git::bootstrap(&args, global))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// How long one Git network operation may take.
const GIT_TIMEOUT: Duration = Duration::from_secs(60);

/// `► message`, as the flux CLI shows progress.
fn step(message: &str) {
    eprintln!("► {message}");
}

/// `✔ message`.
fn done(message: &str) {
    eprintln!("✔ {message}");
}

/// `◎ message`.
fn waiting(message: &str) {
    eprintln!("◎ {message}");
}
