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
use crate::resources::{self, Kind, ObjectTarget, TargetKind, say};

/// `capstan suspend`.
#[derive(Debug, clap::Args)]
pub(crate) struct SuspendArgs {
    /// Suspend every object of the kind in the namespace.
    #[arg(long, global = true)]
    all: bool,
    #[command(subcommand)]
    target: ObjectTarget,
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
    target: ObjectTarget,
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

fn run(
    target: ObjectTarget,
    all: bool,
    change: Change,
    global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    resources::block_on(async {
        let client = global.client().await?;
        let deadline = Instant::now() + global.timeout;
        let namespace = &global.namespace;
        let (kind, name) = target.into_parts();
        match kind {
            TargetKind::Kustomization => {
                apply::<Kustomization>(&client, namespace, name, all, change, deadline).await
            }
            TargetKind::GitRepository => {
                apply::<GitRepository>(&client, namespace, name, all, change, deadline).await
            }
            TargetKind::OciRepository => {
                apply::<OCIRepository>(&client, namespace, name, all, change, deadline).await
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
