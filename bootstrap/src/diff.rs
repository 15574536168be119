//! `capstan diff kustomization <name> --path <dir>`: render as `capstan build` does, then ask
//! the cluster what applying would change — a server-side dry-run under the controller's field
//! manager with its owner labels (`capstan_apply::Applier::diff`) — and print flux's report:
//! `► Kind/ns/name created|drifted|deleted`, a unified diff under each drifted object, Secret
//! values masked. `deleted` lists inventory objects no longer built, when the Kustomization
//! prunes.
//!
//! Exit status as `flux diff`: 0 no difference, 1 differences, 2 the diff failed.

use std::process::ExitCode;

use anyhow::Context;
use capstan_api::kustomize::Kustomization;
use capstan_apply::{Action, Applier, ApplyOptions, DriftIgnoreRule};

use crate::build::{self, Input, LazyClient};
use crate::global::GlobalArgs;
use crate::resources;

/// `capstan diff`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    target: Target,
}

#[derive(Debug, clap::Subcommand)]
enum Target {
    /// Diff a Kustomization rendered from a local directory against the cluster.
    #[command(visible_alias = "ks")]
    Kustomization(Input),
}

/// Runs `capstan diff`; errors are reported here so they exit 2, not 1.
pub(crate) fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let Target::Kustomization(input) = args.target;
    match resources::block_on(diff(&input, global)) {
        Ok(false) => Ok(ExitCode::SUCCESS),
        Ok(true) => Ok(ExitCode::from(1)),
        Err(error) => {
            eprintln!("✗ {error:#}");
            Ok(ExitCode::from(2))
        }
    }
}

/// Prints the report; true when applying would change the cluster.
async fn diff(input: &Input, global: &GlobalArgs) -> anyhow::Result<bool> {
    let mut client = LazyClient::new(global);
    let rendered = build::render(input, global, &mut client, false).await?;
    let client = client.get().await?;
    let kustomization = rendered.kustomization;
    let (namespace, name) = resources::namespace_and_name(&kustomization);
    // As flux: with a local file, the live object's status still says what was applied.
    let live = if rendered.from_cluster {
        Some(kustomization.clone())
    } else {
        resources::api::<Kustomization>(&client, &namespace)
            .get_opt(&name)
            .await
            .with_context(|| {
                format!(
                    "reading {}",
                    resources::describe::<Kustomization>(&namespace, &name)
                )
            })?
    };
    let previous = live
        .as_ref()
        .filter(|_| kustomization.spec.prune)
        .and_then(|k| k.status.as_ref())
        .and_then(|s| s.inventory.clone());

    let mut options = ApplyOptions::new(kustomize_controller::kustomization::FIELD_MANAGER)
        .with_owner_labels(ApplyOptions::kustomization_owner(&name, &namespace));
    options.force = kustomization.forces();
    options.drift_ignore = kustomization
        .spec
        .ignore
        .iter()
        .flatten()
        .map(|rule| DriftIgnoreRule::compile(rule).map_err(|e| anyhow::anyhow!("spec.ignore: {e}")))
        .collect::<anyhow::Result<_>>()
        .with_context(|| {
            format!(
                "reading {}",
                resources::describe::<Kustomization>(&namespace, &name)
            )
        })?;
    let applier = Applier::new(client, options);
    let diffs = applier
        .diff(rendered.objects, previous.as_ref())
        .await
        .context("server-side dry-run")?;

    let mut changed = false;
    let mut report = String::new();
    for diff in &diffs {
        match diff.action {
            Action::Created => report.push_str(&format!("► {} created\n", diff.object)),
            Action::Configured => {
                report.push_str(&format!("► {} drifted\n", diff.object));
                report.push_str(&diff.diff);
                if !diff.diff.ends_with('\n') {
                    report.push('\n');
                }
            }
            Action::Deleted => report.push_str(&format!("► {} deleted\n", diff.object)),
            Action::Unchanged | Action::Skipped => continue,
        }
        changed = true;
    }
    print!("{report}");
    Ok(changed)
}
