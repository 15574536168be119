//! Capstan's source-controller: turns GitRepository and OCIRepository objects into verified,
//! deterministic tar.gz artifacts served over HTTP to the appliers.
//!
//! [`run`] starts the shared runtime (probes, metrics, leader election), the artifact file
//! server (only while leading), and one reconcile loop per kind. Each kind module
//! ([`git`], [`oci`]) supplies `apply` and `cleanup`; [`storage`] owns the files.

pub mod args;
pub mod git;
mod include;
pub mod oci;
pub mod secrets;
pub mod server;
pub mod storage;

use capstan_api::meta::Artifact;
use capstan_api::reason;
use capstan_api::source::{GitRepository, OCIRepository};
use capstan_runtime::controller::Runtime;
use capstan_runtime::events::ObjectEvent;
use tracing::{error, warn};

pub use args::Args;

use crate::storage::{ArtifactDir, Storage};

/// The controller's name: field manager, event source, lease name prefix.
pub const CONTROLLER_NAME: &str = "source-controller";

/// Runs source-controller until SIGTERM (or until it loses the leader lease).
pub async fn run(args: Args) -> anyhow::Result<()> {
    capstan_runtime::logging::init(&args.runtime.log_level, args.runtime.log_encoding);
    let runtime = Runtime::start(CONTROLLER_NAME, args.runtime.clone()).await?;
    let storage = Storage::new(
        &args.storage_path,
        &args.advertised_storage_addr(),
        args.artifact_retention_ttl,
        args.artifact_retention_records,
    );
    std::fs::create_dir_all(storage.root())?;
    if !runtime.until_leader().await {
        return Ok(());
    }
    // Flux starts the file server only after winning the election: artifacts are served by the
    // replica that wrote them.
    let server = tokio::spawn(server::serve(
        storage.root().to_path_buf(),
        args.storage_addr,
        runtime.shutdown.clone(),
    ));
    let concurrency = runtime.args.concurrency(2);
    let git = runtime.context::<GitRepository, _>(git::GitRepositoryReconciler::new(
        runtime.client.clone(),
        storage.clone(),
    ));
    let oci = runtime.context::<OCIRepository, _>(oci::OciRepositoryReconciler::new(
        runtime.client.clone(),
        storage.clone(),
    ));
    tokio::join!(
        runtime.run(
            git,
            concurrency,
            git::with_include_triggers(runtime.clone())
        ),
        runtime.run(oci, concurrency, |controller| controller),
    );
    match server.await {
        Ok(Err(e)) => error!(error = %e, "artifact server failed"),
        Err(e) => error!(error = %e, "artifact server task failed"),
        Ok(Ok(())) => {}
    }
    Ok(())
}

/// Checks the artifact the status advertises: a missing or corrupt file is removed and
/// forgotten, so this reconcile rebuilds it, and reported as a Warning event. The URL is
/// refreshed (the advertised address may have changed); old files are garbage-collected.
pub(crate) fn verify_stored_artifact(
    storage: &Storage,
    dir: &ArtifactDir,
    artifact: &mut Option<Artifact>,
) -> Option<ObjectEvent> {
    let mut event = None;
    if let Some(current) = artifact.as_mut() {
        match storage.verify(current) {
            Ok(true) => current.url = storage.url(&current.path),
            Ok(false) | Err(_) => {
                let _ = storage.remove(current);
                warn!(path = %current.path, "stored artifact is missing or corrupt; rebuilding");
                event = Some(ObjectEvent::warning(
                    reason::ARTIFACT_VERIFICATION_FAILED,
                    format!(
                        "stored artifact {} is missing or does not match digest {}; rebuilding",
                        current.path, current.digest
                    ),
                ));
                *artifact = None;
            }
        }
    }
    if let Err(error) = storage.garbage_collect(dir, artifact.as_ref()) {
        warn!(%error, "garbage collection failed");
    }
    event
}

/// Runs blocking work (libgit2, file IO) off the async workers.
pub(crate) async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| format!("worker failed: {e}"))
}
