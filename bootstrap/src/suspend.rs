//! `capstan suspend` and `capstan resume`: flip `spec.suspend` by merge patch, as flux does.
//! `resume` writes a reconcile request in the same patch and, unless `--wait=false`, waits for
//! the reconciliation like `capstan reconcile` (a Ready=False outcome exits 1).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::bail;
use capstan_api::kustomize::Kustomization;
use capstan_api::source::{GitRepository, OCIRepository};
use kube::api::ListParams;
use kube::{Client, ResourceExt};

use crate::global::GlobalArgs;
use crate::resources::{self, Kind, say};

/// `capstan suspend`.
#[derive(Debug, clap::Args)]
pub(crate) struct SuspendArgs {
    /// Suspend every object of the kind in the namespace.
    #[arg(long, global = true)]
    all: bool,
    #[command(subcommand)]
    target: Target,
}

/// `capstan resume`.
#[derive(Debug, clap::Args)]
pub(crate) struct ResumeArgs {
    /// Resume every object of the kind in the namespace.
    #[arg(long, global = true)]
    all: bool,
    /// Wait for the resumed objects to reconcile (`--wait=false` to return at once).
    #[arg(long, global = true, default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    wait: bool,
    #[command(subcommand)]
    target: Target,
}

#[derive(Debug, clap::Subcommand)]
enum Target {
    /// A Kustomization.
    #[command(visible_alias = "ks")]
    Kustomization(Name),
    /// A source.
    #[command(subcommand)]
    Source(Source),
    /// Same as `source git`.
    #[command(hide = true, alias = "gitrepo")]
    Gitrepository(Name),
    /// Same as `source oci`.
    #[command(hide = true, alias = "ocirepo")]
    Ocirepository(Name),
}

#[derive(Debug, clap::Subcommand)]
enum Source {
    /// A GitRepository.
    Git(Name),
    /// An OCIRepository.
    Oci(Name),
}

#[derive(Debug, clap::Args)]
struct Name {
    /// Name of the object (or `--all`).
    name: Option<String>,
}

/// What to do to each selected object.
#[derive(Debug, Clone, Copy)]
enum Change {
    Suspend,
    Resume { wait: bool },
}

/// Runs `capstan suspend`.
pub(crate) fn run_suspend(args: SuspendArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    run(args.target, args.all, Change::Suspend, global)
}

/// Runs `capstan resume`.
pub(crate) fn run_resume(args: ResumeArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    run(
        args.target,
        args.all,
        Change::Resume { wait: args.wait },
        global,
    )
}

fn run(target: Target, all: bool, change: Change, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    resources::block_on(async {
        let client = global.client().await?;
        let deadline = Instant::now() + global.timeout;
        let namespace = &global.namespace;
        match target {
            Target::Kustomization(n) => {
                apply::<Kustomization>(&client, namespace, n.name, all, change, deadline).await
            }
            Target::Source(Source::Git(n)) | Target::Gitrepository(n) => {
                apply::<GitRepository>(&client, namespace, n.name, all, change, deadline).await
            }
            Target::Source(Source::Oci(n)) | Target::Ocirepository(n) => {
                apply::<OCIRepository>(&client, namespace, n.name, all, change, deadline).await
            }
        }?;
        Ok(ExitCode::SUCCESS)
    })
}

async fn apply<K: Kind>(
    client: &Client,
    namespace: &str,
    name: Option<String>,
    all: bool,
    change: Change,
    deadline: Instant,
) -> anyhow::Result<()> {
    let kind = resources::kind_name::<K>();
    let names = match (name, all) {
        (Some(_), true) => bail!("give either a {kind} name or --all, not both"),
        (None, false) => {
            bail!("{kind} name is required (or --all for every {kind} in {namespace})")
        }
        (Some(name), false) => {
            // Refuse a missing object with the hint before writing anything.
            resources::fetch::<K>(client, namespace, &name).await?;
            vec![name]
        }
        (None, true) => {
            let list = resources::api::<K>(client, namespace)
                .list(&ListParams::default())
                .await?;
            let names: Vec<String> = list.items.iter().map(ResourceExt::name_any).collect();
            if names.is_empty() {
                say::failure(&format!(
                    "no {kind} objects found in {namespace:?} namespace"
                ));
            }
            names
        }
    };
    let mut tokens = Vec::new();
    for name in &names {
        match change {
            Change::Suspend => {
                say::action(&format!(
                    "suspending {kind} {name} in {namespace} namespace"
                ));
                resources::patch_suspend::<K>(client, namespace, name, true, None).await?;
                say::success(&format!("{kind} suspended"));
            }
            Change::Resume { .. } => {
                say::action(&format!("resuming {kind} {name} in {namespace} namespace"));
                let token = resources::request_token();
                resources::patch_suspend::<K>(client, namespace, name, false, Some(&token)).await?;
                say::success(&format!("{kind} resumed"));
                tokens.push((name.clone(), token));
            }
        }
    }
    if let Change::Resume { wait: true } = change {
        let mut failed = Vec::new();
        for (name, token) in &tokens {
            let waited =
                crate::reconcile::wait_and_report::<K>(client, namespace, name, token, deadline)
                    .await;
            if let Err(error) = waited {
                if tokens.len() == 1 {
                    return Err(error);
                }
                say::failure(&format!("{error:#}"));
                failed.push(name.as_str());
            }
        }
        if !failed.is_empty() {
            bail!(
                "{} of {} {kind} objects failed to reconcile after resuming: {}",
                failed.len(),
                tokens.len(),
                failed.join(", ")
            );
        }
    }
    Ok(())
}
