//! Capstan's kustomize-controller: makes the cluster equal to the manifests of a source
//! artifact, keeps it so (drift is reverted every interval), prunes what left Git, checks
//! health, orders Kustomizations by `dependsOn`, and says clearly why when it cannot.
//!
//! [`run`] starts the shared runtime and the Kustomization loop; [`kustomization`] holds the
//! reconciler, its steps and its triggers.

pub mod args;
pub mod kustomization;

use capstan_api::kustomize::Kustomization;
use capstan_runtime::artifact::ArtifactFetcher;
use capstan_runtime::controller::Runtime;

pub use args::Args;

use crate::kustomization::{Clients, KustomizationReconciler, Settings};

/// The controller's name: field manager, event source, lease name prefix.
pub const CONTROLLER_NAME: &str = "kustomize-controller";

/// Runs kustomize-controller until SIGTERM (or until it loses the leader lease).
pub async fn run(args: Args) -> anyhow::Result<()> {
    capstan_runtime::logging::init(&args.runtime.log_level, args.runtime.log_encoding);
    let gates = args.feature_gates().map_err(anyhow::Error::msg)?;
    let runtime = Runtime::start(CONTROLLER_NAME, args.runtime.clone()).await?;
    if !runtime.until_leader().await {
        return Ok(());
    }
    let settings = Settings {
        no_cross_namespace_refs: args.runtime.no_cross_namespace_refs,
        requeue_dependency: args.runtime.requeue_dependency,
        no_remote_bases: args.no_remote_bases,
        concurrent_ssa: args.concurrent_ssa,
        override_managers: args.override_managers.clone(),
        custom_stage_kinds: args.custom_apply_stage_kinds.clone(),
        gates,
        sops_age_secret: args.sops_age_secret(),
    };
    let clients = Clients::new(
        runtime.client.clone(),
        runtime.config.clone(),
        &args.default_service_account,
    );
    let fetcher = ArtifactFetcher::new(
        &args.artifact_cache_path,
        args.http_retry,
        args.artifact_max_size,
    );
    let reconciler =
        KustomizationReconciler::new(runtime.client.clone(), clients, fetcher, settings);
    let in_flight = reconciler.in_flight();
    let context = runtime.context::<Kustomization, _>(reconciler);
    let concurrency = runtime.args.concurrency(4);
    runtime
        .run(
            context,
            concurrency,
            kustomization::triggers::configure(runtime.clone(), in_flight),
        )
        .await;
    Ok(())
}
