//! `capstan dev up`: the main job in one command, on a machine with nothing but this binary.
//!
//! Starts the local environment (cluster, Git server with the example fleet, the controllers),
//! bootstraps Capstan from the fleet repository, shows everything Ready, pushes a commit that
//! changes the app and shows the cluster follow, reverts a manual edit, and leaves everything
//! running until `capstan dev down`.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use capstan_api::kustomize::Kustomization;
use capstan_api::source::GitRepository;
use capstan_git::{
    Auth, Checkout, CommitOptions, Deadline, PushOptions, Remote, SecretValue, Signature,
};
use k8s_openapi::api::apps::v1::Deployment;
use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use super::env::{Env, NAMESPACE};
use super::{daemon, fleet};
use crate::bootstrap::{self, GitArgs};
use crate::global::GlobalArgs;
use crate::resources;

const GIT_TIMEOUT: Duration = Duration::from_secs(60);
const WAIT: Duration = Duration::from_secs(300);

pub(super) fn up(dir: &Path) -> anyhow::Result<()> {
    if daemon::is_ready(dir) {
        eprintln!("✔ the local environment already runs ({})", dir.display());
    } else {
        eprintln!(
            "► provisioning cluster binaries (the first run builds kube-apiserver: about 9 minutes)"
        );
        capstan_localcluster::provision()?;
        eprintln!(
            "► starting the local cluster, a Git server with the example fleet, and the controllers"
        );
        daemon::start(
            dir,
            &["dev", "serve"],
            "the local environment",
            Duration::from_secs(600),
        )?;
        eprintln!("✔ local environment ready");
    }
    let env = Env::read(dir)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(demo(&env))?;
    eprintln!();
    eprintln!("✔ Capstan runs in the local cluster and follows the fleet repository.");
    eprintln!("  kubeconfig: export KUBECONFIG={}", env.kubeconfig);
    eprintln!(
        "  fleet repo: git clone {} (user {}, password in {})",
        env.git_url,
        env.username,
        dir.join("env.json").display()
    );
    eprintln!("  status:     capstan get all -A");
    eprintln!("  stop:       capstan dev down");
    Ok(())
}

async fn demo(env: &Env) -> anyhow::Result<()> {
    let auth = Auth::none().with_basic(&env.username, SecretValue::new(env.password.as_bytes()));
    let remote = Remote::new(&env.git_url, auth)?;

    eprintln!("► seeding the fleet repository {}", env.git_url);
    let seeded = commit(
        &remote,
        "Add the example fleet: infrastructure and the podinfo app",
        fleet::write,
    )
    .await?;
    eprintln!("✔ fleet repository at {seeded}");

    let global = GlobalArgs {
        kubeconfig: Some(env.kubeconfig.clone().into()),
        context: None,
        namespace: NAMESPACE.to_string(),
        timeout: WAIT,
        log_level: None,
    };
    let args = GitArgs {
        url: env.git_url.clone(),
        branch: "main".into(),
        path: fleet::CLUSTER_PATH.into(),
        interval: "10s".into(),
        private_key_file: None,
        password: Some(env.password.clone()),
        username: env.username.clone(),
        ca_file: None,
        known_hosts_file: None,
        secret_name: None,
        components: Vec::new(),
        registry: "ghcr.io/capstan-gitops".into(),
        author_name: "Capstan".into(),
        author_email: "capstan@users.noreply.localhost".into(),
        silent: true,
        skip_install: false,
    };
    bootstrap::bootstrap_git(&args, &global).await?;
    let client = global.client().await?;

    let revision = source_revision(&client).await?;
    wait_applied(&client, "infrastructure", &revision).await?;
    wait_applied(&client, "apps", &revision).await?;
    show_status(&client).await?;

    eprintln!();
    eprintln!("► a git push is a deployment: changing the app in the fleet repository");
    let pushed = commit(&remote, "podinfo: release 2", |root| {
        std::fs::write(root.join("apps/dev/podinfo.yaml"), fleet::release(2))
            .context("editing apps/dev/podinfo.yaml")
    })
    .await?;
    let started = Instant::now();
    eprintln!("✔ pushed {pushed}");
    // What a push webhook does; without it the 10s interval finds the commit.
    request_reconcile::<GitRepository>(&client, NAMESPACE).await?;
    wait_applied(&client, "apps", &pushed).await?;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "podinfo");
    let deployment = deployments.get("podinfo").await?;
    let message = deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|s| s.containers.first())
        .and_then(|c| c.env.as_ref())
        .and_then(|env| env.iter().find(|e| e.name == "PODINFO_UI_MESSAGE"))
        .and_then(|e| e.value.clone())
        .unwrap_or_default();
    eprintln!(
        "✔ the cluster followed in {:.1}s (source reconcile requested, as a push webhook does): podinfo now says \"{message}\"",
        started.elapsed().as_secs_f64()
    );

    eprintln!();
    eprintln!("► a manual edit is reverted: scaling podinfo to 7 replicas by hand");
    let scale = json!({ "spec": { "replicas": 7 } });
    deployments
        .patch_scale("podinfo", &PatchParams::default(), &Patch::Merge(&scale))
        .await?;
    request_reconcile::<Kustomization>(&client, "apps").await?;
    let desired = fleet_replicas(2);
    let deadline = Instant::now() + WAIT;
    loop {
        let replicas = deployments
            .get("podinfo")
            .await?
            .spec
            .and_then(|s| s.replicas)
            .unwrap_or_default();
        if replicas == desired {
            eprintln!("✔ drift reverted: podinfo is back to {desired} replicas, as Git says");
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "the manual edit was not reverted within {WAIT:?} (replicas {replicas}, want {desired})"
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    Ok(())
}

/// The replicas `fleet::release(number)` asks for.
fn fleet_replicas(number: u32) -> i32 {
    i32::try_from(number + 1).unwrap_or(i32::MAX)
}

/// Clones main (or starts it), lets `change` edit the tree, commits and pushes; returns the
/// revision (`main@sha1:…`), the current one when nothing changed.
async fn commit(
    remote: &Remote,
    message: &str,
    change: impl FnOnce(&Path) -> anyhow::Result<()> + Send + 'static,
) -> anyhow::Result<String> {
    let remote = remote.clone();
    let message = message.to_string();
    tokio::task::spawn_blocking(move || {
        let work = tempfile::tempdir()?;
        let root = work.path().join("fleet");
        match remote.clone_into(
            &root,
            &Checkout::Branch("main".into()),
            &Deadline::after(GIT_TIMEOUT),
        ) {
            Ok(_) => {}
            Err(capstan_git::Error::RefNotFound { .. }) => {
                capstan_git::open_or_init(&root, "main")?
            }
            Err(error) => {
                return Err(anyhow::Error::new(error).context("cloning the fleet repository"));
            }
        }
        change(&root)?;
        let author = Signature::new("Capstan demo", "demo@capstan.localhost");
        match capstan_git::commit_all(&root, Path::new("."), &CommitOptions::new(&message, author))?
        {
            Some(_) => Ok(remote
                .push(
                    &root,
                    "main",
                    &PushOptions::default(),
                    &Deadline::after(GIT_TIMEOUT),
                )?
                .revision),
            None => Ok(format!("main@sha1:{}", capstan_git::head_commit(&root)?)),
        }
    })
    .await?
}

async fn source_revision(client: &Client) -> anyhow::Result<String> {
    let api: Api<GitRepository> = Api::namespaced(client.clone(), NAMESPACE);
    let repo = api.get(NAMESPACE).await?;
    repo.status
        .and_then(|s| s.artifact)
        .map(|a| a.revision)
        .context("the fleet GitRepository has no artifact")
}

/// Waits until Kustomization `name` is Ready having applied `revision`.
async fn wait_applied(client: &Client, name: &str, revision: &str) -> anyhow::Result<()> {
    let api: Api<Kustomization> = Api::namespaced(client.clone(), NAMESPACE);
    eprintln!("◎ waiting for Kustomization {name} to apply {revision}");
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(ks) = api.get_opt(name).await? {
            let status = ks.status.unwrap_or_default();
            if status.last_applied_revision.as_deref() == Some(revision)
                && capstan_api::conditions::is_ready(&status.conditions)
            {
                eprintln!("✔ Kustomization {name} applied {revision}");
                return Ok(());
            }
            if Instant::now() > deadline {
                let ready =
                    capstan_api::conditions::get(&status.conditions, capstan_api::condition::READY);
                bail!(
                    "Kustomization {name} did not apply {revision} in time: {}",
                    ready.map(|c| c.message.clone()).unwrap_or_default()
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Sets `reconcile.fluxcd.io/requestedAt` on object `name` of kind `K` in the namespace.
async fn request_reconcile<K>(client: &Client, name: &str) -> anyhow::Result<()>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    let token = k8s_openapi::jiff::Timestamp::now().to_string();
    let annotate = json!({ "metadata": { "annotations": { capstan_api::annotation::RECONCILE_REQUESTED_AT: token } } });
    Api::<K>::namespaced(client.clone(), NAMESPACE)
        .patch(name, &PatchParams::default(), &Patch::Merge(&annotate))
        .await
        .with_context(|| format!("requesting a reconcile of {name}"))?;
    Ok(())
}

/// A short table of the sources, Kustomizations and the app.
async fn show_status(client: &Client) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    let sources: Api<GitRepository> = Api::namespaced(client.clone(), NAMESPACE);
    for repo in sources.list(&Default::default()).await?.items {
        let (ready, message) =
            resources::ready_summary(&repo.status.map(|s| s.conditions).unwrap_or_default());
        let name = repo.metadata.name.unwrap_or_default();
        rows.push(vec![format!("gitrepository/{name}"), ready, message]);
    }
    let kustomizations: Api<Kustomization> = Api::namespaced(client.clone(), NAMESPACE);
    for ks in kustomizations.list(&Default::default()).await?.items {
        let (ready, message) =
            resources::ready_summary(&ks.status.map(|s| s.conditions).unwrap_or_default());
        let name = ks.metadata.name.unwrap_or_default();
        rows.push(vec![format!("kustomization/{name}"), ready, message]);
    }
    let deployments: Api<Deployment> = Api::all(client.clone());
    for deployment in deployments.list(&Default::default()).await?.items {
        let namespace = deployment.metadata.namespace.clone().unwrap_or_default();
        if namespace != "podinfo" && namespace != NAMESPACE {
            continue;
        }
        let status = deployment.status.clone().unwrap_or_default();
        let (ready, wanted) = (
            status.ready_replicas.unwrap_or(0),
            status.replicas.unwrap_or(0),
        );
        let name = deployment.metadata.name.unwrap_or_default();
        rows.push(vec![
            format!("deployment/{namespace}/{name}"),
            resources::title_bool(ready == wanted),
            format!("{ready}/{wanted} replicas ready"),
        ]);
    }
    eprintln!();
    eprint!(
        "{}",
        resources::table(&["OBJECT", "READY", "MESSAGE"], &rows)
    );
    Ok(())
}
