//! The bootstrap flow for a plain Git server.

use std::collections::BTreeMap;

use anyhow::Context;
use capstan_git::{Checkout, CommitOptions, Deadline, PushOptions, Remote, Signature};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use super::manifests::{self, Sync};
use super::secret::Credentials;
use super::{GIT_TIMEOUT, GitArgs, done, step, wait};
use crate::global::GlobalArgs;

/// Field manager of what bootstrap applies.
const FIELD_MANAGER: &str = "capstan";

pub(super) async fn bootstrap(args: &GitArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let namespace = global.namespace.as_str();
    let secret_name = args
        .secret_name
        .clone()
        .unwrap_or_else(|| namespace.to_string());

    // 1. The cluster must answer before anything is pushed.
    step("connecting to the cluster");
    let client = global.client().await?;
    let version = client
        .apiserver_version()
        .await
        .context("the cluster does not answer; check --kubeconfig and --context")?;
    done(&format!(
        "cluster reachable (Kubernetes {}.{})",
        version.major, version.minor
    ));

    // 2. Credentials, then clone (or initialise the branch of an empty repository).
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let existing = match secrets.get_opt(&secret_name).await {
        Ok(secret) => secret.and_then(|s| s.data).map(|data| {
            data.into_iter()
                .map(|(key, value)| (key, value.0))
                .collect::<BTreeMap<_, _>>()
        }),
        Err(error) => {
            return Err(anyhow::Error::new(error)
                .context(format!("reading Secret {namespace}/{secret_name}")));
        }
    };
    let credentials = Credentials::resolve(args, existing.as_ref())?;
    let remote =
        Remote::new(&args.url, credentials.auth()?).context("the repository URL is unusable")?;
    let work = tempfile::Builder::new()
        .prefix("capstan-bootstrap-")
        .tempdir()
        .context("creating a temporary directory")?;
    let repo = work.path().join("repo");
    step(&format!(
        "cloning branch \"{}\" from {}",
        args.branch,
        remote.url()
    ));
    let checkout = Checkout::Branch(args.branch.clone());
    let cloned = {
        let (remote, repo, checkout) = (remote.clone(), repo.clone(), checkout.clone());
        tokio::task::spawn_blocking(move || {
            remote.clone_into(&repo, &checkout, &Deadline::after(GIT_TIMEOUT))
        })
        .await?
    };
    match cloned {
        Ok(commit) => done(&format!("cloned repository at {}", commit.revision)),
        Err(capstan_git::Error::RefNotFound { .. }) => {
            capstan_git::open_or_init(&repo, &args.branch).context("initialising the branch")?;
            done(&format!(
                "branch \"{}\" does not exist yet: it will be created",
                args.branch
            ));
        }
        Err(error) => {
            return Err(anyhow::Error::new(error).context(format!("cloning {}", remote.url())));
        }
    }

    // 3. Write and commit the manifests (in the temporary clone only).
    let dir = manifests::directory(&repo, &args.path, namespace)?;
    manifests::check_no_unrelated_files(&repo, &dir)?;
    step("generating component manifests");
    let components = components_yaml(args, namespace)?;
    let sync = Sync {
        namespace,
        name: namespace,
        url: &args.url,
        branch: &args.branch,
        path: &args.path,
        interval: &args.interval,
        secret_name: &secret_name,
    };
    let sync_objects = manifests::sync_objects(&sync);
    manifests::write(&dir, &components, &manifests::to_yaml(&sync_objects)?)?;
    let author = Signature::new(&args.author_name, &args.author_email);
    let message = format!(
        "Add Capstan v{} component manifests and sync",
        env!("CARGO_PKG_VERSION")
    );
    let relative = dir.strip_prefix(&repo).unwrap_or(&dir).to_path_buf();
    let committed =
        capstan_git::commit_all(&repo, &relative, &CommitOptions::new(&message, author))
            .context("committing the manifests")?;

    // 4. Push: the first change anywhere. A refused push leaves repository and cluster as they were.
    let head = match committed {
        Some(commit) => {
            step(&format!("pushing to {}", args.branch));
            let pushed = {
                let (remote, repo, branch) = (remote.clone(), repo.clone(), args.branch.clone());
                tokio::task::spawn_blocking(move || {
                    remote.push(
                        &repo,
                        &branch,
                        &PushOptions::default(),
                        &Deadline::after(GIT_TIMEOUT),
                    )
                })
                .await?
            };
            match pushed {
                Ok(pushed) => done(&format!("pushed {}", pushed.revision)),
                Err(error @ capstan_git::Error::PushRejected { .. }) => {
                    return Err(anyhow::Error::new(error).context(format!(
                        "the push to {} was refused (a protected branch, no write access, or a branch that moved meanwhile): \
                         nothing was changed in the cluster; grant access or pull and rerun",
                        args.branch
                    )));
                }
                Err(error) => {
                    return Err(anyhow::Error::new(error).context("pushing the manifests"));
                }
            }
            commit.hash
        }
        None => {
            done("manifests are up to date: nothing to commit");
            head_of(&repo)?
        }
    };
    let revision = format!("{}@sha1:{head}", args.branch);

    // 5. The cluster: namespace, Secret, components, sync objects.
    ensure_namespace(&client, namespace).await?;
    apply_secret(&client, namespace, &secret_name, &credentials).await?;
    if !args.skip_install {
        step("installing components");
        apply_yaml(&client, &components)
            .await
            .context("installing the components")?;
        done("components installed");
    }
    step("applying the sync manifests");
    apply_objects(&client, sync_objects)
        .await
        .context("applying the sync manifests")?;
    done("sync manifests applied");

    // 6. Wait until the cluster follows the pushed revision.
    wait::until_synced(&client, namespace, namespace, &revision, global.timeout).await?;
    if !args.skip_install {
        wait::until_components_healthy(&client, namespace, global.timeout).await?;
    }
    done("bootstrap finished");
    Ok(())
}

/// `capstan install --export` of the selected components, for this namespace.
fn components_yaml(args: &GitArgs, namespace: &str) -> anyhow::Result<String> {
    let mut options = capstan_install::InstallOptions {
        namespace: namespace.to_string(),
        registry: args.registry.clone(),
        ..Default::default()
    };
    if !args.components.is_empty() {
        options.components = args
            .components
            .iter()
            .map(|c| c.parse())
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("--components: {e}"))?;
    }
    Ok(capstan_install::to_yaml(&capstan_install::generate(
        &options,
    )))
}

/// The commit HEAD points at (an unchanged clone).
fn head_of(repo: &std::path::Path) -> anyhow::Result<String> {
    capstan_git::head_commit(repo).context("reading HEAD of the clone")
}

async fn ensure_namespace(client: &Client, namespace: &str) -> anyhow::Result<()> {
    let api: Api<Namespace> = Api::all(client.clone());
    let object =
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": namespace } });
    api.patch(
        namespace,
        &PatchParams::apply(FIELD_MANAGER),
        &Patch::Apply(&object),
    )
    .await
    .with_context(|| format!("creating namespace {namespace}"))?;
    Ok(())
}

async fn apply_secret(
    client: &Client,
    namespace: &str,
    name: &str,
    credentials: &Credentials,
) -> anyhow::Result<()> {
    step(&format!(
        "applying Secret {namespace}/{name} with the Git credentials"
    ));
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    // `data`, not `stringData`: write-only fields make every apply a change.
    let data: BTreeMap<String, ByteString> = credentials
        .data
        .iter()
        .map(|(key, value)| (key.clone(), ByteString(value.clone())))
        .collect();
    let object = json!({ "apiVersion": "v1", "kind": "Secret", "metadata": { "name": name, "namespace": namespace }, "type": "Opaque", "data": data });
    api.patch(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&object),
    )
    .await
    .with_context(|| format!("applying Secret {namespace}/{name}"))?;
    done(&format!("Secret {namespace}/{name} applied"));
    Ok(())
}

async fn apply_yaml(client: &Client, yaml: &str) -> anyhow::Result<()> {
    let mut objects = Vec::new();
    for document in serde_yaml::Deserializer::from_str(yaml) {
        let value: serde_json::Value =
            serde::Deserialize::deserialize(document).context("reading the component manifests")?;
        if !value.is_null() {
            objects.push(value);
        }
    }
    apply_objects(client, objects).await
}

async fn apply_objects(client: &Client, objects: Vec<serde_json::Value>) -> anyhow::Result<()> {
    let applier = capstan_apply::Applier::new(
        client.clone(),
        capstan_apply::ApplyOptions::new(FIELD_MANAGER),
    );
    let changes = applier.apply_all_staged(objects).await?;
    for entry in changes.changes().entries {
        eprintln!("  {} {}", entry.object, entry.action.as_str());
    }
    Ok(())
}
