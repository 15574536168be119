//! `capstan uninstall`: `flux uninstall` for Capstan.
//!
//! **Uninstalling never deletes workloads.** What Kustomizations applied stays in the cluster:
//! Capstan's finalizer (`finalizers.fluxcd.io`) is removed from every Capstan object in every
//! namespace before the CRDs go, so deleting them prunes nothing.
//!
//! Steps, in Flux's order: the controllers' objects of this install (found by the labels
//! `app.kubernetes.io/part-of=capstan,app.kubernetes.io/instance=<namespace>`: Deployments
//! first, so no controller re-adds a finalizer), then the finalizers, then the CRDs (waiting
//! until they are gone, stripping finalizers again should a stopping controller have put one
//! back), then the namespace unless `--keep-namespace`. Every step is idempotent: with nothing
//! installed the command succeeds and says so. The CRDs are cluster-wide, so this removes
//! Capstan for the whole cluster, whatever `-n` names.

use std::fmt::Debug;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use capstan_api::constants::FINALIZER;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{
    ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
};
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::global::GlobalArgs;

/// `capstan uninstall` flags, as `flux uninstall`'s.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Keep the namespace (and whatever else lives in it).
    #[arg(long)]
    pub(crate) keep_namespace: bool,
    /// Only print what would be deleted.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(short = 's', long)]
    pub(crate) silent: bool,
}

/// Runs `capstan uninstall`.
pub(crate) fn run(args: &Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    if !args.dry_run && !args.silent {
        confirm(&global.namespace)?;
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(uninstall(args, global))?;
    Ok(ExitCode::SUCCESS)
}

/// Asks before deleting; refuses when nobody can answer.
fn confirm(namespace: &str) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "refusing to uninstall without confirmation: stdin is not a terminal; pass --silent to uninstall Capstan from namespace {namespace} and delete its CRDs"
        );
    }
    eprint!(
        "Are you sure you want to delete Capstan from namespace {namespace} and its custom resource definitions? [y/N] "
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        anyhow::bail!("uninstall cancelled")
    }
}

/// What the run did, to tell "nothing was installed" apart.
struct Report {
    dry_run: bool,
    found: usize,
}

impl Report {
    fn deleted(&mut self, what: &str, verb: &str) {
        self.found += 1;
        let suffix = if self.dry_run { " (dry run)" } else { "" };
        eprintln!("✔ {what} {verb}{suffix}");
    }
}

async fn uninstall(args: &Args, global: &GlobalArgs) -> anyhow::Result<()> {
    let client = global.client().await?;
    let namespace = global.namespace.as_str();
    let deadline = Instant::now() + global.timeout;
    let mut report = Report {
        dry_run: args.dry_run,
        found: 0,
    };
    let selector = capstan_install::labels::instance_selector(namespace);

    eprintln!("► deleting components in {namespace} namespace");
    // Deployments first: stop the controllers before their finalizers go.
    delete_labelled::<Deployment>(
        Api::namespaced(client.clone(), namespace),
        &selector,
        &mut report,
    )
    .await?;
    delete_labelled::<Service>(
        Api::namespaced(client.clone(), namespace),
        &selector,
        &mut report,
    )
    .await?;
    delete_labelled::<NetworkPolicy>(
        Api::namespaced(client.clone(), namespace),
        &selector,
        &mut report,
    )
    .await?;
    delete_labelled::<RoleBinding>(
        Api::namespaced(client.clone(), namespace),
        &selector,
        &mut report,
    )
    .await?;
    delete_labelled::<Role>(
        Api::namespaced(client.clone(), namespace),
        &selector,
        &mut report,
    )
    .await?;
    delete_labelled::<ServiceAccount>(
        Api::namespaced(client.clone(), namespace),
        &selector,
        &mut report,
    )
    .await?;
    delete_labelled::<ClusterRoleBinding>(Api::all(client.clone()), &selector, &mut report).await?;
    delete_labelled::<ClusterRole>(Api::all(client.clone()), &selector, &mut report).await?;

    eprintln!("► deleting toolkit.fluxcd.io finalizers in all namespaces");
    let crds = installed_crds(&client).await?;
    for crd in &crds {
        remove_finalizers(&client, crd, &mut report).await?;
    }

    eprintln!("► deleting toolkit.fluxcd.io custom resource definitions");
    let crd_api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in &crds {
        let name = crd.name_any();
        if !args.dry_run {
            match crd_api.delete(&name, &DeleteParams::background()).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.is_not_found() => continue,
                Err(error) => {
                    return Err(error)
                        .with_context(|| format!("deleting CustomResourceDefinition/{name}"));
                }
            }
        }
        report.deleted(&format!("CustomResourceDefinition/{name}"), "deleted");
    }
    if !args.dry_run {
        wait_crds_gone(&client, &crds, deadline).await?;
    }

    if !args.keep_namespace {
        let api: Api<Namespace> = Api::all(client.clone());
        let live = api
            .get_opt(namespace)
            .await
            .with_context(|| format!("reading Namespace/{namespace}"))?;
        if let Some(live) = live
            && live.metadata.deletion_timestamp.is_none()
        {
            if !args.dry_run {
                match api.delete(namespace, &DeleteParams::background()).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(status)) if status.is_not_found() => {}
                    Err(error) => {
                        return Err(error)
                            .with_context(|| format!("deleting Namespace/{namespace}"));
                    }
                }
            }
            report.deleted(&format!("Namespace/{namespace}"), "deleted");
        }
    }

    if report.found == 0 {
        eprintln!(
            "✔ nothing to uninstall: no Capstan components in namespace {namespace}, no Capstan CRDs"
        );
    }
    eprintln!("✔ uninstall finished");
    Ok(())
}

/// Deletes (or lists, in a dry run) the objects of `api` matching `selector`.
async fn delete_labelled<K>(api: Api<K>, selector: &str, report: &mut Report) -> anyhow::Result<()>
where
    K: Resource + Clone + DeserializeOwned + Debug,
    K::DynamicType: Default,
{
    let kind = K::kind(&K::DynamicType::default()).to_string();
    let list = api
        .list(&ListParams::default().labels(selector))
        .await
        .with_context(|| format!("listing {kind} objects labelled {selector}"))?;
    for object in list {
        let name = object.name_any();
        let what = match object.namespace() {
            Some(namespace) => format!("{kind}/{namespace}/{name}"),
            None => format!("{kind}/{name}"),
        };
        if !report.dry_run {
            match api.delete(&name, &DeleteParams::background()).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.is_not_found() => continue,
                Err(error) => return Err(error).with_context(|| format!("deleting {what}")),
            }
        }
        report.deleted(&what, "deleted");
    }
    Ok(())
}

/// The Capstan CRDs present in the cluster (every Flux kind, installed by Capstan or not).
async fn installed_crds(client: &Client) -> anyhow::Result<Vec<CustomResourceDefinition>> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut found = Vec::new();
    for crd in capstan_api::crd::crds() {
        let name = crd.name_any();
        if let Some(live) = api
            .get_opt(&name)
            .await
            .with_context(|| format!("reading CustomResourceDefinition/{name}"))?
        {
            found.push(live);
        }
    }
    Ok(found)
}

/// The API resource of a CRD's kind, at its storage version.
fn kind_resource(crd: &CustomResourceDefinition) -> Option<ApiResource> {
    let version = crd
        .spec
        .versions
        .iter()
        .find(|v| v.storage)
        .or_else(|| crd.spec.versions.iter().find(|v| v.served))?;
    let gvk = GroupVersionKind::gvk(&crd.spec.group, &version.name, &crd.spec.names.kind);
    Some(ApiResource::from_gvk_with_plural(
        &gvk,
        &crd.spec.names.plural,
    ))
}

/// Removes Capstan's finalizer from every object of a CRD's kind; returns how many objects
/// still carried it.
async fn remove_finalizers(
    client: &Client,
    crd: &CustomResourceDefinition,
    report: &mut Report,
) -> anyhow::Result<usize> {
    let kind = crd.spec.names.kind.clone();
    let Some(resource) = kind_resource(crd) else {
        return Ok(0);
    };
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
    let list = match api.list(&ListParams::default()).await {
        Ok(list) => list,
        // The CRD is being deleted and its kind no longer served: no object is left.
        Err(kube::Error::Api(status)) if status.is_not_found() => return Ok(0),
        Err(error) => {
            return Err(error).with_context(|| format!("listing {kind} objects in all namespaces"));
        }
    };
    let mut count = 0;
    for object in list {
        if !object.finalizers().iter().any(|f| f == FINALIZER) {
            continue;
        }
        count += 1;
        let namespace = object.namespace().unwrap_or_default();
        let name = object.name_any();
        let what = if namespace.is_empty() {
            format!("{kind}/{name}")
        } else {
            format!("{kind}/{namespace}/{name}")
        };
        if !report.dry_run {
            strip_finalizer(client, crd, &namespace, &name)
                .await
                .with_context(|| format!("removing finalizer {FINALIZER} from {what}"))?;
        }
        report.deleted(&what, "finalizers deleted");
    }
    Ok(count)
}

/// Removes [`FINALIZER`] from one object, keeping other finalizers; the resourceVersion in the
/// patch makes a concurrent change a conflict, retried on a fresh read.
async fn strip_finalizer(
    client: &Client,
    crd: &CustomResourceDefinition,
    namespace: &str,
    name: &str,
) -> anyhow::Result<()> {
    let Some(resource) = kind_resource(crd) else {
        return Ok(());
    };
    let api: Api<DynamicObject> = if namespace.is_empty() {
        Api::all_with(client.clone(), &resource)
    } else {
        Api::namespaced_with(client.clone(), namespace, &resource)
    };
    for _ in 0..5 {
        let Some(live) = api.get_opt(name).await? else {
            return Ok(());
        };
        let kept: Vec<&String> = live
            .finalizers()
            .iter()
            .filter(|f| *f != FINALIZER)
            .collect();
        if kept.len() == live.finalizers().len() {
            return Ok(());
        }
        let patch = json!({
            "metadata": {
                "finalizers": kept,
                "resourceVersion": live.resource_version(),
            }
        });
        match api
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => return Ok(()),
            Err(kube::Error::Api(status)) if status.code == 409 => continue,
            Err(kube::Error::Api(status)) if status.is_not_found() => return Ok(()),
            Err(error) => return Err(error.into()),
        }
    }
    anyhow::bail!("the object kept changing; run `capstan uninstall` again")
}

/// Waits until the CRDs are gone; a CRD waits for its objects to be deleted, so finalizers put
/// back by a stopping controller are stripped again on each poll.
async fn wait_crds_gone(
    client: &Client,
    crds: &[CustomResourceDefinition],
    deadline: Instant,
) -> anyhow::Result<()> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut quiet = Report {
        dry_run: false,
        found: 0,
    };
    loop {
        let mut remaining = Vec::new();
        for crd in crds {
            let name = crd.name_any();
            if api.get_opt(&name).await?.is_some() {
                remove_finalizers(client, crd, &mut quiet).await?;
                remaining.push(name);
            }
        }
        if remaining.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            anyhow::bail!(
                "CustomResourceDefinitions still present after the timeout: {}; their objects may carry finalizers of other controllers (see `kubectl get {} -A -o yaml`)",
                remaining.join(", "),
                remaining.first().map(String::as_str).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
