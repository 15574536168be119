//! `capstan export`: objects as a user would commit them to Git — `apiVersion`, `kind`,
//! `metadata` (name, namespace, labels, annotations without kubectl's last-applied
//! configuration) and `spec`; no status, no server-set fields. The spec is exported as the
//! server stores it, so fields this CLI's types do not know survive the round trip.

use std::process::ExitCode;

use anyhow::{Context, bail};
use capstan_api::kustomize::Kustomization;
use capstan_api::source::{GitRepository, OCIRepository};
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::ApiResource;
use kube::{Client, ResourceExt};
use serde_json::{Map, Value};

use crate::global::GlobalArgs;
use crate::resources::{self, Kind, ObjectTarget, TargetKind};

/// kubectl's client-side apply record: never part of what a user commits.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// `capstan export`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Export every object of the kind in the namespace.
    #[arg(long, global = true)]
    all: bool,
    #[command(subcommand)]
    target: ObjectTarget,
}

/// Runs `capstan export`.
pub(crate) fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    resources::block_on(async {
        let client = global.client().await?;
        let namespace = &global.namespace;
        let (kind, name) = args.target.into_parts();
        let objects = match kind {
            TargetKind::Kustomization => {
                export::<Kustomization>(&client, namespace, name, args.all).await?
            }
            TargetKind::GitRepository => {
                export::<GitRepository>(&client, namespace, name, args.all).await?
            }
            TargetKind::OciRepository => {
                export::<OCIRepository>(&client, namespace, name, args.all).await?
            }
        };
        print!("{}", resources::to_yaml_documents(&objects)?);
        Ok(ExitCode::SUCCESS)
    })
}

async fn export<K: Kind>(
    client: &Client,
    namespace: &str,
    name: Option<String>,
    all: bool,
) -> anyhow::Result<Vec<Value>> {
    let kind = resources::kind_name::<K>();
    let resource = ApiResource::erase::<K>(&());
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
    let objects = match (name, all) {
        (Some(_), true) => bail!("give either a {kind} name or --all, not both"),
        (None, false) => {
            bail!("{kind} name is required (or --all for every {kind} in {namespace})")
        }
        (Some(name), false) => {
            // The typed read gives the not-found message with its hint.
            resources::fetch::<K>(client, namespace, &name).await?;
            let object = api.get(&name).await.with_context(|| {
                format!("reading {}", resources::describe::<K>(namespace, &name))
            })?;
            vec![object]
        }
        (None, true) => {
            let mut list = api
                .list(&ListParams::default())
                .await
                .with_context(|| format!("listing {kind} objects in {namespace}"))?
                .items;
            list.sort_by_key(ResourceExt::name_any);
            list
        }
    };
    Ok(objects.iter().map(|o| exported(o, &resource)).collect())
}

/// The object as committed: identity, labels, annotations and spec only.
fn exported(object: &DynamicObject, resource: &ApiResource) -> Value {
    let mut metadata = Map::new();
    metadata.insert("name".into(), Value::String(object.name_any()));
    if let Some(namespace) = &object.metadata.namespace {
        metadata.insert("namespace".into(), Value::String(namespace.clone()));
    }
    if let Some(labels) = object.metadata.labels.as_ref().filter(|l| !l.is_empty()) {
        metadata.insert("labels".into(), serde_json::json!(labels));
    }
    let annotations: std::collections::BTreeMap<&String, &String> = object
        .metadata
        .annotations
        .iter()
        .flatten()
        .filter(|(key, _)| key.as_str() != LAST_APPLIED)
        .collect();
    if !annotations.is_empty() {
        metadata.insert("annotations".into(), serde_json::json!(annotations));
    }
    let mut exported = Map::new();
    exported.insert(
        "apiVersion".into(),
        Value::String(resource.api_version.clone()),
    );
    exported.insert("kind".into(), Value::String(resource.kind.clone()));
    exported.insert("metadata".into(), Value::Object(metadata));
    if let Some(spec) = object.data.get("spec") {
        exported.insert("spec".into(), spec.clone());
    }
    Value::Object(exported)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn export_keeps_what_a_user_commits() {
        let resource = ApiResource::erase::<GitRepository>(&());
        let object: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "repo", "namespace": "capstan-system", "uid": "u", "resourceVersion": "7",
                "generation": 3, "creationTimestamp": "2024-01-01T00:00:00Z", "finalizers": ["finalizers.fluxcd.io"],
                "labels": {"team": "a"},
                "annotations": {LAST_APPLIED: "{}", "reconcile.fluxcd.io/requestedAt": "t"},
                "managedFields": [{"manager": "kubectl"}]},
            "spec": {"interval": "1m", "url": "https://example.com/repo"},
            "status": {"observedGeneration": 3}
        }))
        .unwrap();
        assert_eq!(
            exported(&object, &resource),
            json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": {"name": "repo", "namespace": "capstan-system", "labels": {"team": "a"},
                    "annotations": {"reconcile.fluxcd.io/requestedAt": "t"}},
                "spec": {"interval": "1m", "url": "https://example.com/repo"}})
        );
    }
}
