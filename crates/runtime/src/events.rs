//! Publishing what happened to an object: a Kubernetes Event, and the same event POSTed to
//! notification-controller (Flux's `event.toolkit.fluxcd.io` payload) when `--events-addr`
//! is set.
//!
//! Repeats of the same (object, type, reason, message) within ten minutes fold into one Event
//! whose `count` grows, as client-go's recorder does. Messages are cut to 1 kB on a char
//! boundary. Values that reach an event come from error chains and object names; secret
//! values cannot, because the types holding them do not implement `Display`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Event as CoreEvent, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Client, Resource, ResourceExt};
use serde::Serialize;
use tokio::sync::Mutex;
use tracing::{debug, warn};

/// Kubernetes' two event types; Flux maps Normal to severity `info`, Warning to `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// Something went as intended.
    Normal,
    /// Something failed and needs attention.
    Warning,
}

/// One event about one object.
#[derive(Debug, Clone)]
pub struct ObjectEvent {
    /// Normal or Warning.
    pub type_: EventType,
    /// PascalCase reason; as Flux, the Ready condition's reason doubles as the event reason.
    pub reason: String,
    /// What happened, naming the object and revision.
    pub message: String,
    /// Extra fields for notification providers, e.g. `source.toolkit.fluxcd.io/revision`.
    pub metadata: BTreeMap<String, String>,
    /// Flux's `trace` severity: recorded as a Kubernetes Event only, never forwarded.
    pub trace_only: bool,
}

impl ObjectEvent {
    /// A Normal event.
    pub fn normal(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            type_: EventType::Normal,
            reason: reason.into(),
            message: message.into(),
            metadata: BTreeMap::new(),
            trace_only: false,
        }
    }

    /// A Warning event.
    pub fn warning(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            type_: EventType::Warning,
            reason: reason.into(),
            message: message.into(),
            metadata: BTreeMap::new(),
            trace_only: false,
        }
    }

    /// Adds a metadata entry (e.g. the revision).
    #[must_use]
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
}

const MAX_EVENT_MESSAGE_BYTES: usize = 1024;
const FOLD_WINDOW: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FoldKey {
    uid: String,
    type_: EventType,
    reason: String,
    message: String,
}

#[derive(Debug, Clone)]
struct Folded {
    name: String,
    namespace: String,
    count: i32,
    seen: Instant,
}

/// Records events for one controller.
#[derive(Clone)]
pub struct EventRecorder {
    client: Client,
    controller: String,
    instance: String,
    forward_to: Option<String>,
    http: reqwest::Client,
    folded: Arc<Mutex<HashMap<FoldKey, Folded>>>,
}

impl std::fmt::Debug for EventRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRecorder")
            .field("controller", &self.controller)
            .finish_non_exhaustive()
    }
}

/// The payload notification-controller accepts (`fluxcd/pkg/apis/event/v1beta1`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FluxEvent {
    /// The object the event is about.
    pub involved_object: ObjectReference,
    /// `info` or `error`.
    pub severity: &'static str,
    /// RFC 3339 time of the event.
    pub timestamp: String,
    /// The event message.
    pub message: String,
    /// The event reason.
    pub reason: String,
    /// Provider metadata (revision, annotations).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// The controller's name.
    pub reporting_controller: String,
    /// The replica's identity.
    pub reporting_instance: String,
}

impl EventRecorder {
    /// A recorder for `controller` (e.g. `source-controller`), forwarding to `events_addr`
    /// (an `http://` URL) unless it is empty.
    pub fn new(client: Client, controller: &str, events_addr: &str) -> Self {
        let instance = std::env::var("HOSTNAME").unwrap_or_else(|_| controller.to_string());
        let forward_to = (!events_addr.is_empty()).then(|| events_addr.to_string());
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_default();
        Self {
            client,
            controller: controller.to_string(),
            instance,
            forward_to,
            http,
            folded: Arc::default(),
        }
    }

    /// Records `event` about `object`; annotations `event.toolkit.fluxcd.io/*` of the object are
    /// copied into the forwarded metadata, as Flux. Failures are logged, never returned: an
    /// event that cannot be written must not fail the reconcile that produced it.
    pub async fn publish<K>(&self, object: &K, event: ObjectEvent)
    where
        K: Resource<DynamicType = ()>,
    {
        let reference = object.object_ref(&());
        let message = truncate(&event.message, MAX_EVENT_MESSAGE_BYTES);
        if let Err(error) = self.record(&reference, &event, &message).await {
            warn!(object = %describe(&reference), reason = %event.reason, %error, "could not record Kubernetes event");
        }
        if event.trace_only {
            return;
        }
        if let Some(url) = &self.forward_to {
            let mut metadata: BTreeMap<String, String> = object
                .annotations()
                .iter()
                .filter_map(|(k, v)| {
                    k.strip_prefix(capstan_api::annotation::EVENT_PREFIX)
                        .map(|k| (k.to_string(), v.clone()))
                })
                .collect();
            metadata.extend(event.metadata.clone());
            let payload = FluxEvent {
                involved_object: reference,
                severity: match event.type_ {
                    EventType::Normal => "info",
                    EventType::Warning => "error",
                },
                timestamp: Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                message: event.message,
                reason: event.reason,
                metadata,
                reporting_controller: self.controller.clone(),
                reporting_instance: self.instance.clone(),
            };
            let http = self.http.clone();
            let url = url.clone();
            tokio::spawn(async move { forward(&http, &url, &payload).await });
        }
    }

    async fn record(
        &self,
        reference: &ObjectReference,
        event: &ObjectEvent,
        message: &str,
    ) -> Result<(), kube::Error> {
        let namespace = reference
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_string());
        let key = FoldKey {
            uid: reference.uid.clone().unwrap_or_default(),
            type_: event.type_,
            reason: event.reason.clone(),
            message: message.to_string(),
        };
        let now = Time(Timestamp::now());
        let api: Api<CoreEvent> = Api::namespaced(self.client.clone(), &namespace);
        let mut folded = self.folded.lock().await;
        folded.retain(|_, f| f.seen.elapsed() < FOLD_WINDOW);
        if let Some(previous) = folded.get_mut(&key) {
            previous.count += 1;
            previous.seen = Instant::now();
            let patch = serde_json::json!({ "count": previous.count, "lastTimestamp": now });
            let api: Api<CoreEvent> = Api::namespaced(self.client.clone(), &previous.namespace);
            match api
                .patch(
                    &previous.name,
                    &PatchParams::default(),
                    &Patch::Merge(&patch),
                )
                .await
            {
                Ok(_) => return Ok(()),
                // The Event expired (default TTL 1 h); write a new one below.
                Err(kube::Error::Api(status)) if status.is_not_found() => {}
                Err(error) => return Err(error),
            }
        }
        let name = format!(
            "{}.{:x}",
            reference
                .name
                .clone()
                .unwrap_or_else(|| self.controller.clone()),
            Timestamp::now().as_nanosecond()
        );
        let core = CoreEvent {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(namespace.clone()),
                ..Default::default()
            },
            involved_object: reference.clone(),
            reason: Some(event.reason.clone()),
            message: Some(message.to_string()),
            type_: Some(match event.type_ {
                EventType::Normal => "Normal".to_string(),
                EventType::Warning => "Warning".to_string(),
            }),
            source: Some(EventSource {
                component: Some(self.controller.clone()),
                host: None,
            }),
            first_timestamp: Some(now.clone()),
            last_timestamp: Some(now.clone()),
            count: Some(1),
            event_time: None::<MicroTime>,
            reporting_component: Some(self.controller.clone()),
            reporting_instance: Some(self.instance.clone()),
            ..Default::default()
        };
        api.create(&PostParams::default(), &core).await?;
        folded.insert(
            key,
            Folded {
                name,
                namespace,
                count: 1,
                seen: Instant::now(),
            },
        );
        Ok(())
    }
}

/// POSTs to notification-controller, retrying 5xx and connection errors three times.
/// A 429 means notification-controller already has this event (rate limit): done.
async fn forward(http: &reqwest::Client, url: &str, payload: &FluxEvent) {
    let mut delay = Duration::from_millis(500);
    for attempt in 1..=4 {
        let result = http
            .post(url)
            .header("Gotk-Component", &payload.reporting_controller)
            .json(payload)
            .send()
            .await;
        match result {
            Ok(response) if response.status().is_success() || response.status().as_u16() == 429 => {
                return;
            }
            Ok(response) if response.status().is_client_error() => {
                warn!(status = %response.status(), "notification-controller refused an event");
                return;
            }
            Ok(response) => debug!(attempt, status = %response.status(), "forwarding event failed"),
            Err(error) => debug!(attempt, %error, "forwarding event failed"),
        }
        tokio::time::sleep(delay).await;
        delay *= 2;
    }
    warn!(reason = %payload.reason, "could not forward event to notification-controller");
}

fn describe(reference: &ObjectReference) -> String {
    format!(
        "{}/{}/{}",
        reference.kind.as_deref().unwrap_or(""),
        reference.namespace.as_deref().unwrap_or(""),
        reference.name.as_deref().unwrap_or("")
    )
}

/// Cuts `text` to at most `max` bytes without splitting a character.
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub(3);
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_char_boundaries() {
        let text = "é".repeat(600);
        let cut = truncate(&text, 1024);
        assert!(cut.len() <= 1024);
        assert!(cut.ends_with("..."));
        assert_eq!(truncate("short", 1024), "short");
    }
}
