//! Waiting until the cluster follows the pushed revision, as `flux bootstrap` does: the
//! GitRepository Ready at `<branch>@sha1:<pushed>`, the Kustomization Ready having attempted
//! that revision, every component Deployment healthy. A `Ready=False` fails at once with its
//! message; a suspended object fails too.

use std::time::{Duration, Instant};

use anyhow::bail;
use capstan_api::kustomize::Kustomization;
use capstan_api::source::GitRepository;
use k8s_openapi::api::apps::v1::Deployment;
use kube::Client;
use kube::api::{Api, ListParams};

use super::{done, waiting};

const POLL: Duration = Duration::from_millis(500);

/// Waits for the GitRepository and Kustomization `name` to be Ready at `revision`.
pub(super) async fn until_synced(
    client: &Client,
    namespace: &str,
    name: &str,
    revision: &str,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let sources: Api<GitRepository> = Api::namespaced(client.clone(), namespace);
    waiting(&format!(
        "waiting for GitRepository {namespace}/{name} to fetch {revision}"
    ));
    loop {
        if let Some(repo) = sources.get_opt(name).await? {
            let status = repo.status.clone().unwrap_or_default();
            if repo.spec.suspend == Some(true) {
                bail!("GitRepository {namespace}/{name} is suspended; resume it and rerun");
            }
            let at_revision = status
                .artifact
                .as_ref()
                .is_some_and(|a| a.revision == revision);
            if at_revision && capstan_api::conditions::is_ready(&status.conditions) {
                done(&format!("GitRepository {namespace}/{name} reconciled"));
                break;
            }
            failed(
                "GitRepository",
                namespace,
                name,
                &status.conditions,
                at_revision,
            )?;
        }
        timed_out(
            deadline,
            timeout,
            &format!("GitRepository {namespace}/{name} to fetch {revision}"),
        )?;
        tokio::time::sleep(POLL).await;
    }
    let kustomizations: Api<Kustomization> = Api::namespaced(client.clone(), namespace);
    waiting(&format!(
        "waiting for Kustomization {namespace}/{name} to apply {revision}"
    ));
    loop {
        if let Some(ks) = kustomizations.get_opt(name).await? {
            let status = ks.status.clone().unwrap_or_default();
            if ks.spec.suspend == Some(true) {
                bail!("Kustomization {namespace}/{name} is suspended; resume it and rerun");
            }
            let attempted = status.last_attempted_revision.as_deref() == Some(revision);
            let current = status.observed_generation == ks.metadata.generation;
            if attempted && current && capstan_api::conditions::is_ready(&status.conditions) {
                done(&format!("Kustomization {namespace}/{name} reconciled"));
                return Ok(());
            }
            failed(
                "Kustomization",
                namespace,
                name,
                &status.conditions,
                attempted,
            )?;
        }
        timed_out(
            deadline,
            timeout,
            &format!("Kustomization {namespace}/{name} to apply {revision}"),
        )?;
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until every Capstan Deployment in `namespace` is healthy (kstatus Current).
pub(super) async fn until_components_healthy(
    client: &Client,
    namespace: &str,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    waiting("waiting for the controllers to be healthy");
    loop {
        let deployments = api
            .list(&ListParams::default().labels("app.kubernetes.io/part-of=capstan"))
            .await?;
        let mut pending = Vec::new();
        for deployment in &deployments.items {
            let name = deployment.metadata.name.clone().unwrap_or_default();
            let status = capstan_apply::health::compute(&serde_json::to_value(deployment)?);
            if status.is_current() {
                continue;
            }
            pending.push(format!("{name}: {}", status.message));
        }
        if pending.is_empty() && !deployments.items.is_empty() {
            for deployment in &deployments.items {
                done(&format!(
                    "{}: deployment ready",
                    deployment.metadata.name.clone().unwrap_or_default()
                ));
            }
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "the controllers are not healthy after {timeout:?}: {}",
                pending.join("; ")
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Fails on Ready=False once the object has seen the revision (earlier failures may be for
/// an older revision or a source not ready yet).
fn failed(
    kind: &str,
    namespace: &str,
    name: &str,
    conditions: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
    at_revision: bool,
) -> anyhow::Result<()> {
    if !at_revision {
        return Ok(());
    }
    if let Some(ready) = capstan_api::conditions::get(conditions, capstan_api::condition::READY)
        && ready.status == "False"
    {
        bail!(
            "{kind} {namespace}/{name} failed: {} ({})",
            ready.message,
            ready.reason
        );
    }
    Ok(())
}

fn timed_out(deadline: Instant, timeout: Duration, what: &str) -> anyhow::Result<()> {
    if Instant::now() > deadline {
        bail!("timed out after {timeout:?} waiting for {what}");
    }
    Ok(())
}
