//! `capstan events`: the Kubernetes Events of Capstan's objects, as `flux events` prints them —
//! oldest first, `LAST SEEN TYPE REASON OBJECT MESSAGE` (`NAMESPACE` first with `-A`).
//!
//! Without `--for`, only events whose involved object is a Flux kind are shown. `--for
//! Kind[/name]` takes any kind (a Deployment's events too); for a Kustomization it adds the
//! events of its source, as flux does. `-w` keeps printing new events until `--timeout`.

use std::process::ExitCode;

use anyhow::{Context, bail};
use capstan_api::kustomize::Kustomization;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, ListParams};
use kube::runtime::watcher;

use crate::global::GlobalArgs;
use crate::resources::{self, say};

/// `capstan events`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only the events of one object (`Kind/name`) or of one kind (`Kind`); any kind.
    #[arg(long = "for", value_name = "KIND[/NAME]")]
    for_object: Option<String>,
    /// Events of every namespace.
    #[arg(short = 'A', long)]
    all_namespaces: bool,
    /// Only events of these types (`Normal`, `Warning`), comma-separated.
    #[arg(long, value_delimiter = ',')]
    types: Vec<String>,
    /// Keep printing new events until `--timeout`.
    #[arg(short = 'w', long)]
    watch: bool,
}

/// One list or watch: a namespace (none: every namespace) and a field selector.
#[derive(Debug, Clone)]
struct Query {
    namespace: Option<String>,
    fields: Option<String>,
}

/// Runs `capstan events`.
pub(crate) fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    for type_ in &args.types {
        if !["Normal", "Warning"]
            .iter()
            .any(|t| t.eq_ignore_ascii_case(type_))
        {
            bail!("type '{type_}' not supported: supported types are Normal, Warning");
        }
    }
    resources::block_on(async {
        let client = global.client().await?;
        let namespace = (!args.all_namespaces).then(|| global.namespace.clone());
        let (queries, any_kind) = queries(&client, &args, namespace.as_deref()).await?;
        let show_namespace = args.all_namespaces
            || queries
                .iter()
                .any(|q| q.namespace.as_deref() != namespace.as_deref());
        let filter = Filter {
            any_kind,
            types: args.types.clone(),
        };
        if args.watch {
            // As flux: the watch ends with --timeout, and that is not an error.
            let _ = tokio::time::timeout(
                global.timeout,
                watch(&client, &queries, &filter, show_namespace),
            )
            .await;
            return Ok(ExitCode::SUCCESS);
        }
        let mut events = Vec::new();
        for query in &queries {
            let api = events_api(&client, query.namespace.as_deref());
            let mut params = ListParams::default();
            if let Some(fields) = &query.fields {
                params = params.fields(fields);
            }
            let list = api.list(&params).await.context("listing events")?;
            events.extend(list.items.into_iter().filter(|e| filter.keeps(e)));
        }
        events.sort_by_key(event_time);
        if events.is_empty() {
            match &namespace {
                Some(namespace) => {
                    say::failure(&format!("No events found in {namespace} namespace."))
                }
                None => say::failure("No events found."),
            }
            return Ok(ExitCode::SUCCESS);
        }
        let rows: Vec<Vec<String>> = events.iter().map(|e| row(e, show_namespace)).collect();
        print!("{}", resources::table(&header(show_namespace), &rows));
        Ok(ExitCode::SUCCESS)
    })
}

/// The lists to make: every event of the scope, or those of `--for` (plus its source's).
/// The flag tells whether events of any kind are kept.
async fn queries(
    client: &Client,
    args: &Args,
    namespace: Option<&str>,
) -> anyhow::Result<(Vec<Query>, bool)> {
    let Some(selector) = &args.for_object else {
        return Ok((
            vec![Query {
                namespace: namespace.map(str::to_string),
                fields: None,
            }],
            false,
        ));
    };
    let (typed_kind, name) = match selector.split_once('/') {
        Some((kind, name)) => (kind, Some(name)),
        None => (selector.as_str(), None),
    };
    if typed_kind.is_empty() || name.is_some_and(str::is_empty) {
        bail!("--for must be of the form <Kind>[/<name>], e.g. Kustomization/apps");
    }
    let kind = resources::flux_kind(typed_kind).unwrap_or(typed_kind);
    let mut queries = vec![Query {
        namespace: namespace.map(str::to_string),
        fields: Some(fields(kind, name)),
    }];
    if let (capstan_api::kind::KUSTOMIZATION, Some(name), Some(namespace)) = (kind, name, namespace)
    {
        let kustomization: Kustomization = resources::fetch(client, namespace, name).await?;
        let source = &kustomization.spec.source_ref;
        queries.push(Query {
            namespace: Some(kustomization.source_namespace().to_string()),
            fields: Some(fields(source.kind.as_str(), Some(&source.name))),
        });
    }
    Ok((queries, true))
}

fn fields(kind: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("involvedObject.kind={kind},involvedObject.name={name}"),
        None => format!("involvedObject.kind={kind}"),
    }
}

fn events_api(client: &Client, namespace: Option<&str>) -> Api<Event> {
    match namespace {
        Some(namespace) => Api::namespaced(client.clone(), namespace),
        None => Api::all(client.clone()),
    }
}

/// Which events are shown.
struct Filter {
    any_kind: bool,
    types: Vec<String>,
}

impl Filter {
    fn keeps(&self, event: &Event) -> bool {
        let kind = event.involved_object.kind.as_deref().unwrap_or_default();
        if !self.any_kind && !resources::FLUX_KINDS.contains(&kind) {
            return false;
        }
        let type_ = event.type_.as_deref().unwrap_or_default();
        self.types.is_empty() || self.types.iter().any(|t| t.eq_ignore_ascii_case(type_))
    }
}

async fn watch(client: &Client, queries: &[Query], filter: &Filter, show_namespace: bool) {
    let streams = queries.iter().map(|query| {
        let mut config = watcher::Config::default();
        if let Some(fields) = &query.fields {
            config = config.fields(fields);
        }
        watcher(events_api(client, query.namespace.as_deref()), config).boxed()
    });
    let mut events = futures::stream::select_all(streams);
    let mut first = true;
    while let Some(next) = events.next().await {
        let event = match next {
            Ok(watcher::Event::Apply(event) | watcher::Event::InitApply(event)) => event,
            Ok(_) => continue,
            Err(error) => {
                // The watcher retries by itself; say why it is stalling.
                say::failure(&format!("watching events: {error}"));
                continue;
            }
        };
        if !filter.keeps(&event) {
            continue;
        }
        let header = if first {
            header(show_namespace)
        } else {
            Vec::new()
        };
        first = false;
        print!(
            "{}",
            resources::table(&header, &[row(&event, show_namespace)])
        );
    }
}

fn header(show_namespace: bool) -> Vec<&'static str> {
    let mut header = vec!["Last seen", "Type", "Reason", "Object", "Message"];
    if show_namespace {
        header.insert(0, "Namespace");
    }
    header
}

fn row(event: &Event, show_namespace: bool) -> Vec<String> {
    let object = &event.involved_object;
    let mut row = vec![
        last_seen(event),
        event.type_.clone().unwrap_or_default(),
        event.reason.clone().unwrap_or_default(),
        format!(
            "{}/{}",
            object.kind.as_deref().unwrap_or_default(),
            object.name.as_deref().unwrap_or_default()
        ),
        event
            .message
            .clone()
            .unwrap_or_default()
            .trim_end()
            .to_string(),
    ];
    if show_namespace {
        row.insert(0, event.metadata.namespace.clone().unwrap_or_default());
    }
    row
}

/// kubectl's and flux's sort key: the series' last observation, the last timestamp, or the
/// event time.
fn event_time(event: &Event) -> Option<Timestamp> {
    event
        .series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref())
        .map(|t| t.0)
        .or_else(|| event.last_timestamp.as_ref().map(|t| t.0))
        .or_else(|| event.event_time.as_ref().map(|t| t.0))
}

/// kubectl's LAST SEEN: `5m`, or `5m (x3 over 10m)` for repeated events.
fn last_seen(event: &Event) -> String {
    let since = |t: Option<Timestamp>| {
        t.map_or_else(
            || "<unknown>".to_string(),
            |t| resources::human_duration(resources::seconds_since(t)),
        )
    };
    let first = since(
        event
            .event_time
            .as_ref()
            .map(|t| t.0)
            .or_else(|| event.first_timestamp.as_ref().map(|t| t.0)),
    );
    if let Some(series) = &event.series {
        let last = since(series.last_observed_time.as_ref().map(|t| t.0));
        return format!("{last} (x{} over {first})", series.count.unwrap_or(0));
    }
    match event.count {
        Some(count) if count > 1 => format!(
            "{} (x{count} over {first})",
            since(event.last_timestamp.as_ref().map(|t| t.0))
        ),
        _ => first,
    }
}
