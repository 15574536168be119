//! `capstan reconcile`: ask a controller to reconcile an object now and wait for the outcome,
//! with flux's protocol and messages: set `reconcile.fluxcd.io/requestedAt` (RFC 3339 with
//! nanoseconds) by merge patch, then wait until `status.lastHandledReconcileAt` carries that
//! token and Ready is known; Ready=False fails with its message (exit 1). Bounded by
//! `--timeout`.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::bail;
use capstan_api::FluxObject;
use capstan_api::kustomize::{Kustomization, KustomizationSourceKind};
use capstan_api::source::{GitRepository, OCIRepository};
use kube::Client;

use crate::global::GlobalArgs;
use crate::resources::{self, Kind, say};

/// `capstan reconcile`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    target: Target,
}

#[derive(Debug, clap::Subcommand)]
enum Target {
    /// Reconcile a Kustomization and wait until it applied.
    #[command(visible_alias = "ks")]
    Kustomization(KustomizationArgs),
    /// Reconcile a source and wait until it fetched.
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
    /// Reconcile a GitRepository.
    Git(Name),
    /// Reconcile an OCIRepository.
    Oci(Name),
}

/// The object to reconcile.
#[derive(Debug, clap::Args)]
struct Name {
    /// Name of the object.
    name: String,
}

#[derive(Debug, clap::Args)]
struct KustomizationArgs {
    /// Name of the Kustomization.
    name: String,
    /// Reconcile the Kustomization's source first and wait for it.
    #[arg(long)]
    with_source: bool,
}

/// Runs `capstan reconcile`.
pub(crate) fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    resources::block_on(async {
        let client = global.client().await?;
        let namespace = &global.namespace;
        let deadline = Instant::now() + global.timeout;
        match args.target {
            Target::Kustomization(ks) => {
                if ks.with_source {
                    reconcile_source_of(&client, namespace, &ks.name, deadline).await?;
                }
                reconcile::<Kustomization>(&client, namespace, &ks.name, deadline).await?;
            }
            Target::Source(Source::Git(n)) | Target::Gitrepository(n) => {
                reconcile::<GitRepository>(&client, namespace, &n.name, deadline).await?;
            }
            Target::Source(Source::Oci(n)) | Target::Ocirepository(n) => {
                reconcile::<OCIRepository>(&client, namespace, &n.name, deadline).await?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Requests a reconciliation of one object and waits for it, printing flux's lines:
/// `► annotating…`, `✔ … annotated`, `◎ waiting…`, `✔ … reconciliation completed`,
/// `✔ applied revision …`. A suspended object is refused: it would never be reconciled.
pub(crate) async fn reconcile<K: Kind>(
    client: &Client,
    namespace: &str,
    name: &str,
    deadline: Instant,
) -> anyhow::Result<K> {
    let object: K = resources::fetch(client, namespace, name).await?;
    if object.is_suspended() {
        bail!(
            "{} is suspended: resume it first with `capstan resume {} {name} -n {namespace}`",
            resources::describe::<K>(namespace, name),
            K::NOUN
        );
    }
    let kind = resources::kind_name::<K>();
    say::action(&format!(
        "annotating {kind} {name} in {namespace} namespace"
    ));
    let token = resources::request_token();
    resources::request_reconcile::<K>(client, namespace, name, &token).await?;
    say::success(&format!("{kind} annotated"));
    wait_and_report::<K>(client, namespace, name, &token, deadline).await
}

/// Waits for the reconcile request `token` to be handled, printing flux's waiting and success
/// lines.
pub(crate) async fn wait_and_report<K: Kind>(
    client: &Client,
    namespace: &str,
    name: &str,
    token: &str,
    deadline: Instant,
) -> anyhow::Result<K> {
    let kind = resources::kind_name::<K>();
    say::waiting(&format!("waiting for {kind} reconciliation"));
    let object: K = resources::wait_for_reconcile(client, namespace, name, token, deadline).await?;
    say::success(&format!("{kind} reconciliation completed"));
    say::success(&object.success_message());
    Ok(object)
}

/// `--with-source`: reconciles the Kustomization's source first.
async fn reconcile_source_of(
    client: &Client,
    namespace: &str,
    name: &str,
    deadline: Instant,
) -> anyhow::Result<()> {
    let kustomization: Kustomization = resources::fetch(client, namespace, name).await?;
    if kustomization.is_suspended() {
        bail!(
            "{} is suspended: resume it first with `capstan resume kustomization {name} -n {namespace}`",
            resources::describe::<Kustomization>(namespace, name)
        );
    }
    let source = &kustomization.spec.source_ref;
    let source_namespace = kustomization.source_namespace().to_string();
    match source.kind {
        KustomizationSourceKind::GitRepository => {
            reconcile::<GitRepository>(client, &source_namespace, &source.name, deadline).await?;
        }
        KustomizationSourceKind::OCIRepository => {
            reconcile::<OCIRepository>(client, &source_namespace, &source.name, deadline).await?;
        }
        other => bail!(
            "{} uses a {} source, which capstan cannot reconcile yet: run without --with-source",
            resources::describe::<Kustomization>(namespace, name),
            other.as_str()
        ),
    }
    Ok(())
}
