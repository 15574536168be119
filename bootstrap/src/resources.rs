//! What the day-two commands (`get`, `reconcile`, `suspend`/`resume`, `events`, `tree`,
//! `export`, `build`, `diff`) share: the kinds they handle and the names users type for them,
//! Flux's reconcile-request protocol, the `✔ ► ◎ ✗` messages, tables and ages printed as the
//! flux CLI prints them, and YAML output.
//!
//! Messages go to stderr and data (tables, YAML, diffs) to stdout, as flux does, so
//! `capstan get ks -o yaml > apps.yaml` captures only the objects.

use std::fmt::Debug;
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use capstan_api::kustomize::Kustomization;
use capstan_api::source::{GitRepository, OCIRepository};
use capstan_api::{FluxObject, ObjectWithConditions, annotation, condition};
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};
use kube::{Client, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// How often waits re-read an object (flux polls every 2 s; a CLI can afford less).
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// The `-o` formats that print objects instead of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Output {
    /// JSON, indented.
    Json,
    /// YAML.
    Yaml,
}

/// A kind the day-two commands drive, with what the flux CLI prints about it.
pub(crate) trait Kind:
    FluxObject
    + Resource<Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    /// The words naming one object of the kind on the command line (`source git`), for hints.
    const NOUN: &'static str;
    /// The words of `capstan get` listing the kind (`sources git`), for hints.
    const LIST_NOUN: &'static str;

    /// The revision a table shows: the artifact's for sources, the last applied for appliers.
    fn revision(&self) -> Option<&str>;

    /// What flux prints once a reconciliation succeeded (`applied revision main@sha1:…`).
    fn success_message(&self) -> String;
}

impl Kind for GitRepository {
    const NOUN: &'static str = "source git";
    const LIST_NOUN: &'static str = "sources git";

    fn revision(&self) -> Option<&str> {
        self.artifact().map(|a| a.revision.as_str())
    }

    fn success_message(&self) -> String {
        format!("fetched revision {}", self.revision().unwrap_or_default())
    }
}

impl Kind for OCIRepository {
    const NOUN: &'static str = "source oci";
    const LIST_NOUN: &'static str = "sources oci";

    fn revision(&self) -> Option<&str> {
        self.artifact().map(|a| a.revision.as_str())
    }

    fn success_message(&self) -> String {
        format!("fetched revision {}", self.revision().unwrap_or_default())
    }
}

impl Kind for Kustomization {
    const NOUN: &'static str = "kustomization";
    const LIST_NOUN: &'static str = "kustomizations";

    fn revision(&self) -> Option<&str> {
        self.status
            .as_ref()
            .and_then(|s| s.last_applied_revision.as_deref())
    }

    fn success_message(&self) -> String {
        format!("applied revision {}", self.revision().unwrap_or_default())
    }
}

/// The kind's name (`GitRepository`).
pub(crate) fn kind_name<K: Kind>() -> String {
    K::kind(&()).into_owned()
}

/// Every kind Flux's controllers record Kubernetes Events for, as `flux events` knows them.
pub(crate) const FLUX_KINDS: &[&str] = &[
    capstan_api::kind::GIT_REPOSITORY,
    capstan_api::kind::OCI_REPOSITORY,
    capstan_api::kind::HELM_REPOSITORY,
    capstan_api::kind::HELM_CHART,
    capstan_api::kind::BUCKET,
    capstan_api::kind::EXTERNAL_ARTIFACT,
    capstan_api::kind::KUSTOMIZATION,
    capstan_api::kind::HELM_RELEASE,
    capstan_api::kind::PROVIDER,
    capstan_api::kind::ALERT,
    capstan_api::kind::RECEIVER,
    capstan_api::kind::IMAGE_REPOSITORY,
    capstan_api::kind::IMAGE_POLICY,
    capstan_api::kind::IMAGE_UPDATE_AUTOMATION,
];

/// The canonical spelling of a kind a user typed: a Flux kind matched ignoring case, or one of
/// the flux CLI's short names (`ks`, `gitrepo`, `ocirepo`, `hr`...); `None` for anything else.
pub(crate) fn flux_kind(typed: &str) -> Option<&'static str> {
    let alias = match typed.to_ascii_lowercase().as_str() {
        "ks" | "kustomizations" => Some(capstan_api::kind::KUSTOMIZATION),
        "gitrepo" | "gitrepositories" => Some(capstan_api::kind::GIT_REPOSITORY),
        "ocirepo" | "ocirepositories" => Some(capstan_api::kind::OCI_REPOSITORY),
        "helmrepo" => Some(capstan_api::kind::HELM_REPOSITORY),
        "hc" => Some(capstan_api::kind::HELM_CHART),
        "hr" | "helmreleases" => Some(capstan_api::kind::HELM_RELEASE),
        _ => None,
    };
    alias.or_else(|| {
        FLUX_KINDS
            .iter()
            .copied()
            .find(|k| k.eq_ignore_ascii_case(typed))
    })
}

/// `Kind/namespace/name`, the way every Capstan message names an object.
pub(crate) fn describe<K: Kind>(namespace: &str, name: &str) -> String {
    format!("{}/{namespace}/{name}", kind_name::<K>())
}

/// The typed API of a kind in one namespace.
pub(crate) fn api<K: Kind>(client: &Client, namespace: &str) -> Api<K> {
    Api::namespaced(client.clone(), namespace)
}

/// Reads one object; a missing one is an error that names it and says how to find the right
/// name.
pub(crate) async fn fetch<K: Kind>(
    client: &Client,
    namespace: &str,
    name: &str,
) -> anyhow::Result<K> {
    let found = api::<K>(client, namespace)
        .get_opt(name)
        .await
        .with_context(|| format!("reading {}", describe::<K>(namespace, name)))?;
    match found {
        Some(object) => Ok(object),
        None => bail!(
            "{} not found: check the name and the namespace (-n), or list them with `capstan get {} -A`",
            describe::<K>(namespace, name),
            K::LIST_NOUN
        ),
    }
}

/// Flux's `statusAndMessage`: the Ready condition's status and message, or `False` /
/// "waiting to be reconciled" before the controller wrote any.
pub(crate) fn ready_summary(conditions: &[Condition]) -> (String, String) {
    match capstan_api::conditions::get(conditions, condition::READY) {
        Some(ready) => (ready.status.clone(), ready.message.clone()),
        None => (
            capstan_api::constants::status::FALSE.to_string(),
            "waiting to be reconciled".to_string(),
        ),
    }
}

/// Flux's `--status-selector type=status` test: the condition of that type (any case) has that
/// status (any case).
pub(crate) fn status_matches(conditions: &[Condition], type_: &str, status: &str) -> bool {
    conditions
        .iter()
        .rfind(|c| c.type_.eq_ignore_ascii_case(type_))
        .is_some_and(|c| c.status.eq_ignore_ascii_case(status))
}

/// A token for `reconcile.fluxcd.io/requestedAt`: now, in RFC 3339 with nanoseconds (Go's
/// `time.RFC3339Nano`, as flux writes it).
pub(crate) fn request_token() -> String {
    Timestamp::now().to_string()
}

/// Sets `reconcile.fluxcd.io/requestedAt` to `token` with a merge patch, touching nothing else.
pub(crate) async fn request_reconcile<K: Kind>(
    client: &Client,
    namespace: &str,
    name: &str,
    token: &str,
) -> anyhow::Result<()> {
    let patch = json!({"metadata": {"annotations": {annotation::RECONCILE_REQUESTED_AT: token}}});
    api::<K>(client, namespace)
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .with_context(|| format!("annotating {}", describe::<K>(namespace, name)))?;
    Ok(())
}

/// Where an object stands with a reconcile request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The controller has not finished handling the request yet.
    Pending,
    /// The request was handled and the object is Ready.
    Ready,
    /// The request was handled and the object is not Ready; the Ready (or Stalled) message.
    Failed(String),
}

/// Flux's `reconciliationHandled` then Ready check: the request is handled once
/// `status.lastHandledReconcileAt` equals `token` and Ready is no longer `Unknown`; Ready=True
/// for the current generation is success, anything else a failure carrying the message.
pub(crate) fn outcome<K: Kind>(object: &K, token: &str) -> Outcome {
    let Some(status) = object.flux_status() else {
        return Outcome::Pending;
    };
    if status.last_handled_reconcile_at() != Some(token) {
        return Outcome::Pending;
    }
    let conditions = status.conditions();
    let Some(ready) = capstan_api::conditions::get(conditions, condition::READY) else {
        return Outcome::Pending;
    };
    match ready.status.as_str() {
        "True" => {
            // A spec change not yet observed (resume bumps the generation) is still to come.
            let generation = object.meta().generation;
            match status.observed_generation() {
                Some(observed) if generation.is_some_and(|g| observed < g) => Outcome::Pending,
                _ => Outcome::Ready,
            }
        }
        "False" => {
            let message = capstan_api::conditions::get(conditions, condition::STALLED)
                .filter(|s| s.status == "True" && ready.message.is_empty())
                .map_or_else(|| ready.message.clone(), |s| s.message.clone());
            Outcome::Failed(message)
        }
        _ => Outcome::Pending,
    }
}

/// Waits until the controller handled `token` on the object (see [`outcome`]), re-reading it
/// every [`POLL_INTERVAL`] until `deadline`. Returns the Ready object; a failed
/// reconciliation is an error carrying the Ready message.
pub(crate) async fn wait_for_reconcile<K: Kind>(
    client: &Client,
    namespace: &str,
    name: &str,
    token: &str,
    deadline: Instant,
) -> anyhow::Result<K> {
    let described = describe::<K>(namespace, name);
    loop {
        let object: K = fetch(client, namespace, name).await?;
        match outcome(&object, token) {
            Outcome::Ready => return Ok(object),
            Outcome::Failed(message) => {
                bail!("{described} reconciliation failed: {message}")
            }
            Outcome::Pending => {}
        }
        if Instant::now() >= deadline {
            let controller = if kind_name::<K>() == capstan_api::kind::KUSTOMIZATION {
                "kustomize-controller"
            } else {
                "source-controller"
            };
            bail!(
                "timed out waiting for {described} to handle the reconcile request {token}: \
                 is {controller} running? (`capstan check`, `capstan events --for {}/{name} -n {namespace}`)",
                kind_name::<K>()
            );
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Merge-patches `spec.suspend` (and, when resuming, a reconcile request in the same write).
pub(crate) async fn patch_suspend<K: Kind>(
    client: &Client,
    namespace: &str,
    name: &str,
    suspend: bool,
    token: Option<&str>,
) -> anyhow::Result<()> {
    let mut patch = json!({"spec": {"suspend": suspend}});
    if let Some(token) = token {
        patch["metadata"] = json!({"annotations": {annotation::RECONCILE_REQUESTED_AT: token}});
    }
    api::<K>(client, namespace)
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .with_context(|| {
            format!(
                "patching spec.suspend of {}",
                describe::<K>(namespace, name)
            )
        })?;
    Ok(())
}

/// The flux CLI's message lines, on stderr.
pub(crate) mod say {
    /// `► …`: an action starts.
    pub(crate) fn action(message: &str) {
        eprintln!("► {message}");
    }

    /// `✔ …`: something succeeded.
    pub(crate) fn success(message: &str) {
        eprintln!("✔ {message}");
    }

    /// `◎ …`: waiting.
    pub(crate) fn waiting(message: &str) {
        eprintln!("◎ {message}");
    }

    /// `✗ …`: a failure that does not stop the command.
    pub(crate) fn failure(message: &str) {
        eprintln!("✗ {message}");
    }
}

/// A table as the flux CLI prints it (tablewriter without borders): upper-case headers, cells
/// padded to their column's width and separated by a tab, multi-line cells continued on the
/// next lines with the other columns blank. An empty `header` prints rows only.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let header: Vec<String> = header.iter().map(|h| h.to_uppercase()).collect();
    let columns = rows
        .iter()
        .map(Vec::len)
        .chain(std::iter::once(header.len()))
        .max()
        .unwrap_or(0);
    let mut widths = vec![0; columns];
    let all_rows = std::iter::once(&header)
        .filter(|h| !h.is_empty())
        .chain(rows);
    for row in all_rows.clone() {
        for (i, cell) in row.iter().enumerate() {
            for line in cell.lines() {
                widths[i] = widths[i].max(line.chars().count());
            }
        }
    }
    let mut out = String::new();
    for row in all_rows {
        let lines: Vec<Vec<&str>> = row.iter().map(|cell| cell.lines().collect()).collect();
        let height = lines.iter().map(Vec::len).max().unwrap_or(0).max(1);
        for line_index in 0..height {
            let mut line = String::new();
            for (i, width) in widths.iter().enumerate() {
                let text = lines
                    .get(i)
                    .and_then(|l| l.get(line_index))
                    .copied()
                    .unwrap_or("");
                if i > 0 {
                    line.push('\t');
                }
                line.push_str(text);
                if i + 1 < columns {
                    line.extend(std::iter::repeat_n(' ', width - text.chars().count()));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// Kubernetes' `HumanDuration` (what kubectl and flux print in AGE and LAST SEEN columns).
pub(crate) fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365;
        return if days == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{days}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// Seconds from `then` to now.
pub(crate) fn seconds_since(then: Timestamp) -> i64 {
    Timestamp::now().as_second() - then.as_second()
}

/// The AGE column: time since `creationTimestamp`, `<unknown>` without one.
pub(crate) fn age(created: Option<&Time>) -> String {
    created.map_or_else(
        || "<unknown>".to_string(),
        |t| human_duration(seconds_since(t.0)),
    )
}

/// `True`/`False`, as flux prints `spec.suspend`.
pub(crate) fn title_bool(value: bool) -> String {
    if value { "True" } else { "False" }.to_string()
}

/// Objects as YAML documents separated by `---` (every multi-object output of the CLI).
pub(crate) fn to_yaml_documents(values: &[Value]) -> anyhow::Result<String> {
    let mut out = String::new();
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&serde_yaml::to_string(value).context("printing YAML")?);
    }
    Ok(out)
}

/// An object as the user would read it with `-o json|yaml`: `metadata.managedFields` left out,
/// as kubectl does by default.
pub(crate) fn readable<K: Serialize>(object: &K) -> anyhow::Result<Value> {
    let mut value = serde_json::to_value(object).context("serializing an object")?;
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
    }
    Ok(value)
}

/// Prints objects as a `v1` `List`, in JSON or YAML, to stdout.
pub(crate) fn print_list(items: Vec<Value>, output: Output) -> anyhow::Result<()> {
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}});
    let text = match output {
        Output::Json => {
            let mut text = serde_json::to_string_pretty(&list).context("printing JSON")?;
            text.push('\n');
            text
        }
        Output::Yaml => serde_yaml::to_string(&list).context("printing YAML")?,
    };
    print!("{text}");
    Ok(())
}

/// Runs a command's async body on a runtime of its own (the CLI's `run` functions are sync).
pub(crate) fn block_on<T>(body: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(body)
}

/// The namespace and name of an object, for messages.
pub(crate) fn namespace_and_name<K: Resource>(object: &K) -> (String, String) {
    (object.namespace().unwrap_or_default(), object.name_any())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kustomization(status: Value) -> Kustomization {
        serde_json::from_value(json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": "capstan-system", "generation": 2},
            "spec": {"interval": "5m", "prune": true, "sourceRef": {"kind": "GitRepository", "name": "repo"}},
            "status": status
        }))
        .unwrap()
    }

    fn ready(status: &str, message: &str) -> Value {
        json!({"type": "Ready", "status": status, "reason": "R", "message": message,
            "lastTransitionTime": "2024-01-01T00:00:00Z"})
    }

    #[test]
    fn a_request_is_handled_once_its_token_is_recorded_and_ready_is_known() {
        let before = kustomization(
            json!({"lastHandledReconcileAt": "old", "conditions": [ready("True", "ok")]}),
        );
        assert_eq!(outcome(&before, "t1"), Outcome::Pending);
        let running = kustomization(
            json!({"lastHandledReconcileAt": "t1", "conditions": [ready("Unknown", "running")]}),
        );
        assert_eq!(outcome(&running, "t1"), Outcome::Pending);
        let done = kustomization(
            json!({"lastHandledReconcileAt": "t1", "observedGeneration": 2,
            "conditions": [ready("True", "Applied revision: main@sha1:abc")]}),
        );
        assert_eq!(outcome(&done, "t1"), Outcome::Ready);
        let stale = kustomization(
            json!({"lastHandledReconcileAt": "t1", "observedGeneration": 1,
            "conditions": [ready("True", "ok")]}),
        );
        assert_eq!(outcome(&stale, "t1"), Outcome::Pending);
        let failed = kustomization(json!({"lastHandledReconcileAt": "t1",
            "conditions": [ready("False", "kustomization path not found"),
                {"type": "Reconciling", "status": "True", "reason": "ProgressingWithRetry", "message": "x",
                 "lastTransitionTime": "2024-01-01T00:00:00Z"}]}));
        assert_eq!(
            outcome(&failed, "t1"),
            Outcome::Failed("kustomization path not found".into())
        );
    }

    #[test]
    fn tables_pad_columns_and_continue_multi_line_cells() {
        let text = table(
            &["Name", "Ready", "Message"],
            &[
                vec!["apps".into(), "True".into(), "one\ntwo".into()],
                vec!["infrastructure".into(), "False".into(), "x".into()],
            ],
        );
        assert_eq!(
            text,
            "NAME          \tREADY\tMESSAGE\n\
             apps          \tTrue \tone\n\
             \x20             \t     \ttwo\n\
             infrastructure\tFalse\tx\n"
        );
    }

    #[test]
    fn durations_read_like_kubectl() {
        for (seconds, text) in [
            (5, "5s"),
            (119, "119s"),
            (150, "2m30s"),
            (600, "10m"),
            (3 * 3600 + 60, "3h1m"),
            (9 * 3600, "9h"),
            (3 * 86400 + 3600, "3d1h"),
            (30 * 86400, "30d"),
            (-5, "<invalid>"),
        ] {
            assert_eq!(human_duration(seconds), text, "{seconds}");
        }
    }

    #[test]
    fn kinds_are_found_by_flux_names_and_aliases() {
        assert_eq!(flux_kind("ks"), Some("Kustomization"));
        assert_eq!(flux_kind("kustomization"), Some("Kustomization"));
        assert_eq!(flux_kind("GITREPOSITORY"), Some("GitRepository"));
        assert_eq!(flux_kind("ocirepo"), Some("OCIRepository"));
        assert_eq!(flux_kind("Deployment"), None);
    }

    #[test]
    fn status_selector_ignores_case() {
        let conditions = kustomization(json!({"conditions": [ready("False", "x")]}))
            .status
            .unwrap()
            .conditions;
        assert!(status_matches(&conditions, "ready", "false"));
        assert!(!status_matches(&conditions, "ready", "true"));
        assert!(!status_matches(&conditions, "healthy", "false"));
    }
}

/// `<kind> [name]` as the flux CLI spells it for commands that take one object or `--all`:
/// `kustomization` (`ks`), `source git|oci`, and the hidden `gitrepository` / `ocirepository`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ObjectTarget {
    /// Kustomizations.
    #[command(visible_alias = "ks")]
    Kustomization(ObjectName),
    /// Sources.
    #[command(subcommand)]
    Source(SourceTarget),
    /// Same as `source git`.
    #[command(hide = true, alias = "gitrepo")]
    Gitrepository(ObjectName),
    /// Same as `source oci`.
    #[command(hide = true, alias = "ocirepo")]
    Ocirepository(ObjectName),
}

/// `source git|oci [name]`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum SourceTarget {
    /// GitRepositories.
    Git(ObjectName),
    /// OCIRepositories.
    Oci(ObjectName),
}

/// The object's name, absent with `--all`.
#[derive(Debug, clap::Args)]
pub(crate) struct ObjectName {
    /// Name of the object (or `--all`).
    pub(crate) name: Option<String>,
}

/// The kinds an [`ObjectTarget`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TargetKind {
    Kustomization,
    GitRepository,
    OciRepository,
}

impl ObjectTarget {
    /// The kind and the name given.
    pub(crate) fn into_parts(self) -> (TargetKind, Option<String>) {
        match self {
            Self::Kustomization(n) => (TargetKind::Kustomization, n.name),
            Self::Source(SourceTarget::Git(n)) | Self::Gitrepository(n) => {
                (TargetKind::GitRepository, n.name)
            }
            Self::Source(SourceTarget::Oci(n)) | Self::Ocirepository(n) => {
                (TargetKind::OciRepository, n.name)
            }
        }
    }
}
