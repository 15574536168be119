//! `capstan tree kustomization <name>`: what a Kustomization manages, from its
//! `status.inventory`, as `flux tree ks` prints it; inventory entries that are Kustomizations
//! themselves are expanded with their own inventories (unless they target a remote cluster).

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::Context;
use capstan_api::kustomize::Kustomization;
use capstan_apply::ObjMetadata;
use kube::Client;
use serde::Serialize;

use crate::global::GlobalArgs;
use crate::resources::{self, Output};

/// `capstan tree`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    target: Target,
}

#[derive(Debug, clap::Subcommand)]
enum Target {
    /// The objects a Kustomization applied, nested Kustomizations expanded.
    #[command(visible_alias = "ks")]
    Kustomization(KustomizationArgs),
}

#[derive(Debug, clap::Args)]
struct KustomizationArgs {
    /// Name of the Kustomization.
    name: String,
    /// Only Flux objects (`*.toolkit.fluxcd.io`).
    #[arg(long)]
    compact: bool,
    /// Print the tree as JSON or YAML.
    #[arg(short = 'o', long, value_enum)]
    output: Option<Output>,
}

/// One object and what it manages (flux's `ObjMetadataTree`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Node {
    resource: Resource,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resources: Vec<Node>,
}

/// cli-utils' `ObjMetadata` as flux serializes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Resource {
    namespace: String,
    name: String,
    group_kind: GroupKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
struct GroupKind {
    group: String,
    kind: String,
}

impl Node {
    fn new(object: &ObjMetadata) -> Self {
        Self {
            resource: Resource {
                namespace: object.namespace.clone(),
                name: object.name.clone(),
                group_kind: GroupKind {
                    group: object.group.clone(),
                    kind: object.kind.clone(),
                },
            },
            resources: Vec::new(),
        }
    }

    fn label(&self) -> String {
        let r = &self.resource;
        if r.namespace.is_empty() {
            format!("{}/{}", r.group_kind.kind, r.name)
        } else {
            format!("{}/{}/{}", r.group_kind.kind, r.namespace, r.name)
        }
    }

    /// The tree drawn with box characters, root first.
    pub(crate) fn render(&self) -> String {
        let mut out = self.label();
        out.push('\n');
        self.render_children("", &mut out);
        out
    }

    fn render_children(&self, prefix: &str, out: &mut String) {
        for (i, child) in self.resources.iter().enumerate() {
            let last = i + 1 == self.resources.len();
            out.push_str(prefix);
            out.push_str(if last { "└── " } else { "├── " });
            out.push_str(&child.label());
            out.push('\n');
            let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
            child.render_children(&deeper, out);
        }
    }
}

/// Runs `capstan tree`.
pub(crate) fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let Target::Kustomization(args) = args.target;
    resources::block_on(async {
        let client = global.client().await?;
        let root: Kustomization = resources::fetch(&client, &global.namespace, &args.name).await?;
        let mut tree = Node::new(&kustomization_meta(&global.namespace, &args.name));
        let mut seen = BTreeSet::from([(global.namespace.clone(), args.name.clone())]);
        expand(&client, &root, &mut tree, args.compact, &mut seen).await?;
        match args.output {
            Some(Output::Json) => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&tree).context("printing JSON")?
                );
            }
            Some(Output::Yaml) => {
                print!("{}", serde_yaml::to_string(&tree).context("printing YAML")?);
            }
            None => print!("{}", tree.render()),
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn kustomization_meta(namespace: &str, name: &str) -> ObjMetadata {
    ObjMetadata::new(
        capstan_api::group::KUSTOMIZE,
        capstan_api::group::KUSTOMIZE_VERSION,
        capstan_api::kind::KUSTOMIZATION,
        namespace,
        name,
    )
}

fn is_kustomization(object: &ObjMetadata) -> bool {
    object.group == capstan_api::group::KUSTOMIZE && object.kind == capstan_api::kind::KUSTOMIZATION
}

/// Adds the inventory of `item` under `node`, recursing into Kustomizations; `seen` stops a
/// cycle of Kustomizations applying each other.
async fn expand(
    client: &Client,
    item: &Kustomization,
    node: &mut Node,
    compact: bool,
    seen: &mut BTreeSet<(String, String)>,
) -> anyhow::Result<()> {
    let (namespace, name) = resources::namespace_and_name(item);
    let entries = item
        .status
        .as_ref()
        .and_then(|s| s.inventory.as_ref())
        .map(|i| i.entries.clone())
        .unwrap_or_default();
    for entry in &entries {
        let object = ObjMetadata::from_resource_ref(entry).with_context(|| {
            format!(
                "reading the inventory of {}",
                resources::describe::<Kustomization>(&namespace, &name)
            )
        })?;
        if compact && !object.group.contains("toolkit.fluxcd.io") {
            continue;
        }
        if is_kustomization(&object) && object.namespace == namespace && object.name == name {
            continue;
        }
        let mut child = Node::new(&object);
        let remote = item.spec.kube_config.is_some();
        if is_kustomization(&object)
            && !remote
            && seen.insert((object.namespace.clone(), object.name.clone()))
        {
            let nested: Kustomization = resources::fetch(client, &object.namespace, &object.name)
                .await
                .with_context(|| {
                    format!(
                        "expanding the inventory of {}",
                        resources::describe::<Kustomization>(&namespace, &name)
                    )
                })?;
            Box::pin(expand(client, &nested, &mut child, compact, seen)).await?;
        }
        node.resources.push(child);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn to_json(node: &Node) -> Value {
        serde_json::to_value(node).unwrap()
    }

    #[test]
    fn trees_draw_like_flux() {
        let mut root = Node::new(&kustomization_meta("capstan-system", "root"));
        let mut apps = Node::new(&kustomization_meta("capstan-system", "apps"));
        apps.resources.push(Node::new(&ObjMetadata::new(
            "apps",
            "v1",
            "Deployment",
            "apps",
            "web",
        )));
        root.resources.push(Node::new(&ObjMetadata::new(
            "",
            "v1",
            "Namespace",
            "",
            "apps",
        )));
        root.resources.push(apps);
        root.resources.push(Node::new(&ObjMetadata::new(
            "",
            "v1",
            "ConfigMap",
            "apps",
            "settings",
        )));
        assert_eq!(
            root.render(),
            "Kustomization/capstan-system/root\n\
             ├── Namespace/apps\n\
             ├── Kustomization/capstan-system/apps\n\
             │   └── Deployment/apps/web\n\
             └── ConfigMap/apps/settings\n"
        );
        assert_eq!(
            to_json(&root)["resources"][1]["resource"],
            json!({"Namespace": "capstan-system", "Name": "apps",
                "GroupKind": {"Group": "kustomize.toolkit.fluxcd.io", "Kind": "Kustomization"}})
        );
    }
}
