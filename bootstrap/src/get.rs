//! `capstan get`: the status of sources and Kustomizations as `flux get` prints it — a table
//! `NAME REVISION SUSPENDED READY MESSAGE AGE` (`NAMESPACE` first with `-A`), or the objects
//! themselves with `-o json|yaml`.

use std::process::ExitCode;

use anyhow::Context;
use capstan_api::kustomize::Kustomization;
use capstan_api::source::{GitRepository, OCIRepository};
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};
use serde_json::Value;

use crate::global::GlobalArgs;
use crate::resources::{self, Kind, Output, say};

/// `capstan get`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    flags: Flags,
    #[command(subcommand)]
    what: What,
}

/// Flags of every `get` subcommand (flux's persistent flags of `get`).
#[derive(Debug, Clone, clap::Args)]
struct Flags {
    /// List the objects across all namespaces.
    #[arg(short = 'A', long, global = true)]
    all_namespaces: bool,
    /// Skip the header when printing the results.
    #[arg(long, global = true)]
    no_header: bool,
    /// Only objects whose condition has this status, e.g. `ready=false`.
    #[arg(long, global = true, value_name = "TYPE=STATUS")]
    status_selector: Option<String>,
    /// Only objects matching this label selector, e.g. `app=web,tier!=db`.
    #[arg(short = 'l', long, global = true)]
    label_selector: Option<String>,
    /// Print the objects (a `List`) instead of a table.
    #[arg(short = 'o', long, global = true, value_enum)]
    output: Option<Output>,
}

#[derive(Debug, clap::Subcommand)]
enum What {
    /// Sources and their status.
    #[command(subcommand, visible_alias = "source")]
    Sources(Sources),
    /// Kustomizations and their status.
    #[command(visible_alias = "ks", alias = "kustomization")]
    Kustomizations(Named),
    /// Every kind, one table each.
    All(Named),
}

#[derive(Debug, clap::Subcommand)]
enum Sources {
    /// GitRepository sources.
    #[command(alias = "gitrepository", alias = "gitrepositories")]
    Git(Named),
    /// OCIRepository sources.
    #[command(alias = "ocirepository", alias = "ocirepositories")]
    Oci(Named),
    /// Every source kind.
    All(Named),
}

/// An optional object name.
#[derive(Debug, clap::Args)]
struct Named {
    /// Only the object of this name.
    name: Option<String>,
}

/// Runs `capstan get`.
pub(crate) fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    resources::block_on(async {
        let client = global.client().await?;
        let get = Get {
            client,
            namespace: global.namespace.clone(),
            flags: args.flags,
        };
        get.run(args.what).await?;
        Ok(ExitCode::SUCCESS)
    })
}

struct Get {
    client: Client,
    namespace: String,
    flags: Flags,
}

/// One kind's rows and objects.
struct Listing {
    kind: String,
    rows: Vec<Vec<String>>,
    objects: Vec<Value>,
}

impl Get {
    async fn run(&self, what: What) -> anyhow::Result<()> {
        let selector = self.status_selector()?;
        let (listings, all) = match what {
            What::Kustomizations(named) => (
                vec![
                    self.list::<Kustomization>(named.name.as_deref(), &selector, false)
                        .await?,
                ],
                false,
            ),
            What::Sources(Sources::Git(named)) => (
                vec![
                    self.list::<GitRepository>(named.name.as_deref(), &selector, false)
                        .await?,
                ],
                false,
            ),
            What::Sources(Sources::Oci(named)) => (
                vec![
                    self.list::<OCIRepository>(named.name.as_deref(), &selector, false)
                        .await?,
                ],
                false,
            ),
            What::Sources(Sources::All(named)) => {
                (self.sources(named.name.as_deref(), &selector).await?, true)
            }
            What::All(named) => {
                let mut listings = self.sources(named.name.as_deref(), &selector).await?;
                listings.push(
                    self.list::<Kustomization>(named.name.as_deref(), &selector, true)
                        .await?,
                );
                (listings, true)
            }
        };
        if let Some(output) = self.flags.output {
            let items = listings.into_iter().flat_map(|l| l.objects).collect();
            return resources::print_list(items, output);
        }
        for listing in &listings {
            if listing.rows.is_empty() {
                if !all {
                    let scope = if self.flags.all_namespaces {
                        "any".to_string()
                    } else {
                        format!("{:?}", self.namespace)
                    };
                    say::failure(&format!(
                        "no {} objects found in {scope} namespace",
                        listing.kind
                    ));
                }
                continue;
            }
            let header = if self.flags.no_header {
                Vec::new()
            } else {
                self.header()
            };
            print!("{}", resources::table(&header, &listing.rows));
            if all {
                println!();
            }
        }
        Ok(())
    }

    async fn sources(
        &self,
        name: Option<&str>,
        selector: &Option<(String, String)>,
    ) -> anyhow::Result<Vec<Listing>> {
        Ok(vec![
            self.list::<GitRepository>(name, selector, true).await?,
            self.list::<OCIRepository>(name, selector, true).await?,
        ])
    }

    fn header(&self) -> Vec<&'static str> {
        let mut header = vec!["Name", "Revision", "Suspended", "Ready", "Message", "Age"];
        if self.flags.all_namespaces {
            header.insert(0, "Namespace");
        }
        header
    }

    fn status_selector(&self) -> anyhow::Result<Option<(String, String)>> {
        let Some(selector) = &self.flags.status_selector else {
            return Ok(None);
        };
        match selector.split_once('=') {
            Some((type_, status)) if !type_.is_empty() => {
                Ok(Some((type_.to_string(), status.to_string())))
            }
            _ => anyhow::bail!(
                "expected status selector in type=status format (e.g. ready=false), but found: {selector}"
            ),
        }
    }

    /// Lists one kind; with `prefix_kind` names read `kind/name` as in `flux get all`.
    async fn list<K: Kind>(
        &self,
        name: Option<&str>,
        selector: &Option<(String, String)>,
        prefix_kind: bool,
    ) -> anyhow::Result<Listing> {
        let api: Api<K> = if self.flags.all_namespaces {
            Api::all(self.client.clone())
        } else {
            Api::namespaced(self.client.clone(), &self.namespace)
        };
        let mut params = ListParams::default();
        if let Some(labels) = &self.flags.label_selector {
            params = params.labels(labels);
        }
        if let Some(name) = name {
            params = params.fields(&format!("metadata.name={name}"));
        }
        let kind = resources::kind_name::<K>();
        let list = api
            .list(&params)
            .await
            .with_context(|| format!("listing {kind} objects"))?;
        let mut listing = Listing {
            kind: kind.clone(),
            rows: Vec::new(),
            objects: Vec::new(),
        };
        for object in list.items {
            let conditions = object.conditions();
            if let Some((type_, status)) = selector
                && !resources::status_matches(conditions, type_, status)
            {
                continue;
            }
            let (ready, message) = resources::ready_summary(conditions);
            let name = if prefix_kind {
                format!("{}/{}", kind.to_lowercase(), object.name_any())
            } else {
                object.name_any()
            };
            let mut row = vec![
                name,
                object.revision().unwrap_or_default().to_string(),
                resources::title_bool(object.is_suspended()),
                ready,
                message,
                resources::age(object.meta().creation_timestamp.as_ref()),
            ];
            if self.flags.all_namespaces {
                row.insert(0, object.namespace().unwrap_or_default());
            }
            listing.rows.push(row);
            listing.objects.push(resources::readable(&object)?);
        }
        Ok(listing)
    }
}
