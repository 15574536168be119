//! Waiting for a set of objects: poll until every object is Current, one is Failed (fail fast),
//! the timeout passes, or the caller cancels. Unlike Flux, a cancellation (a new revision)
//! ends the wait at once instead of after the timeout.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::{CustomHealthChecks, ObjectStatus, Status, Unhealthy};
use crate::error::{ResourceError, WaitError};
use crate::object::ObjMetadata;
use crate::resources::ResourceCache;

/// How many objects are read at once per poll.
const READ_CONCURRENCY: usize = 8;

/// Reads live objects; the cluster implementation is [`ClusterReader`], tests use fakes.
pub trait ObjectReader: Sync {
    /// The live object, `Ok(None)` when it does not exist; an error message otherwise.
    fn read(
        &self,
        object: &ObjMetadata,
    ) -> impl Future<Output = Result<Option<Value>, String>> + Send;
}

/// Reads objects from the cluster through the discovery cache.
#[derive(Clone, Debug)]
pub struct ClusterReader {
    resources: ResourceCache,
}

impl ClusterReader {
    /// A reader sharing `resources`' client and cache.
    pub fn new(resources: ResourceCache) -> Self {
        Self { resources }
    }
}

impl ObjectReader for ClusterReader {
    async fn read(&self, object: &ObjMetadata) -> Result<Option<Value>, String> {
        let resolved = match self.resources.resolve(object).await {
            Ok(resolved) => resolved,
            // A kind nobody serves has no objects.
            Err(ResourceError::UnknownKind { .. }) => return Ok(None),
            Err(error) => return Err(error.to_string()),
        };
        let api = self.resources.api(&resolved, &object.namespace);
        match api.get_opt(&object.name).await {
            Ok(Some(found)) => serde_json::to_value(found)
                .map(Some)
                .map_err(|e| e.to_string()),
            Ok(None) => Ok(None),
            Err(error) => Err(error.to_string()),
        }
    }
}

/// Poll interval, timeout and fail-fast behaviour of a wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitOptions {
    /// Time between polls.
    pub interval: Duration,
    /// Give up after this long.
    pub timeout: Duration,
    /// Stop as soon as an object is Failed (Flux's default, unless `DisableFailFastBehavior`).
    pub fail_fast: bool,
}

impl Default for WaitOptions {
    /// 2 s polls, 5 min timeout, fail fast.
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(300),
            fail_fast: true,
        }
    }
}

/// Waits until every object is Current by `checks` (custom CEL rules) or kstatus.
///
/// Returns `Ok(())` when all are Current, [`WaitError::Failed`] as soon as one is Failed (with
/// `fail_fast`), [`WaitError::Timeout`] after `timeout`, and [`WaitError::Cancelled`] as soon as
/// `cancel` fires; each error names every unhealthy object with its status and message.
pub async fn wait_for_set<R: ObjectReader>(
    reader: &R,
    objects: &[ObjMetadata],
    checks: &CustomHealthChecks,
    options: &WaitOptions,
    cancel: &CancellationToken,
) -> Result<(), WaitError> {
    if objects.is_empty() {
        return Ok(());
    }
    let start = Instant::now();
    let deadline = start + options.timeout;
    let mut last: Vec<ObjectStatus> = objects
        .iter()
        .map(|_| ObjectStatus::new(Status::Unknown, "status not read yet"))
        .collect();
    loop {
        let poll = poll_statuses(reader, objects, checks);
        tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                return Err(WaitError::Cancelled { unhealthy: unhealthy(objects, &last) });
            }
            _ = tokio::time::sleep_until(deadline.into()) => {
                return Err(WaitError::Timeout {
                    after: start.elapsed(),
                    unhealthy: unhealthy(objects, &last),
                });
            }
            statuses = poll => last = statuses,
        }
        if last.iter().all(ObjectStatus::is_current) {
            return Ok(());
        }
        if options.fail_fast && last.iter().any(|s| s.status == Status::Failed) {
            return Err(WaitError::Failed {
                unhealthy: unhealthy(objects, &last),
            });
        }
        let next = Instant::now() + options.interval;
        if next >= deadline {
            // One last look at the deadline, so a short timeout still gets a final poll.
            tokio::select! {
                biased;
                _ = cancel.cancelled() => {
                    return Err(WaitError::Cancelled { unhealthy: unhealthy(objects, &last) });
                }
                _ = tokio::time::sleep_until(deadline.into()) => {}
            }
            last = poll_statuses(reader, objects, checks).await;
            if last.iter().all(ObjectStatus::is_current) {
                return Ok(());
            }
            return Err(WaitError::Timeout {
                after: start.elapsed(),
                unhealthy: unhealthy(objects, &last),
            });
        }
        tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                return Err(WaitError::Cancelled { unhealthy: unhealthy(objects, &last) });
            }
            _ = tokio::time::sleep_until(next.into()) => {}
        }
    }
}

async fn poll_statuses<R: ObjectReader>(
    reader: &R,
    objects: &[ObjMetadata],
    checks: &CustomHealthChecks,
) -> Vec<ObjectStatus> {
    // Owned items: a closure over `&ObjMetadata` makes the future not `Send` for every
    // lifetime, which async trait methods (the reconcilers) require.
    stream::iter(objects.iter().cloned())
        .map(|object| async move {
            match reader.read(&object).await {
                Ok(Some(live)) => checks.status_of(&object, &live),
                Ok(None) => ObjectStatus::new(Status::NotFound, "object not found"),
                Err(message) => ObjectStatus::new(Status::Unknown, message),
            }
        })
        .buffered(READ_CONCURRENCY)
        .collect()
        .await
}

fn unhealthy(objects: &[ObjMetadata], statuses: &[ObjectStatus]) -> Vec<Unhealthy> {
    objects
        .iter()
        .zip(statuses)
        .filter(|(_, s)| !s.is_current())
        .map(|(object, s)| Unhealthy {
            object: object.clone(),
            status: s.status,
            message: s.message.clone(),
        })
        .collect()
}

/// Waits until every object is gone (Flux's `WaitForTermination`), polling every `interval`;
/// read errors count as "still present".
pub async fn wait_for_termination<R: ObjectReader>(
    reader: &R,
    objects: &[ObjMetadata],
    interval: Duration,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<(), WaitError> {
    let start = Instant::now();
    let deadline = start + timeout;
    let mut remaining: Vec<ObjMetadata> = objects.to_vec();
    loop {
        let present: Vec<bool> = stream::iter(remaining.iter().cloned())
            .map(|object| async move { !matches!(reader.read(&object).await, Ok(None)) })
            .buffered(READ_CONCURRENCY)
            .collect()
            .await;
        remaining = remaining
            .into_iter()
            .zip(present)
            .filter_map(|(object, present)| present.then_some(object))
            .collect();
        if remaining.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(WaitError::TerminationTimeout {
                after: start.elapsed(),
                objects: remaining,
            });
        }
        let next = (Instant::now() + interval).min(deadline);
        tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                return Err(WaitError::TerminationCancelled { objects: remaining });
            }
            _ = tokio::time::sleep_until(next.into()) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;

    /// A fake cluster: each object's reads return the next scripted value (the last repeats).
    struct Script {
        reads: Mutex<HashMap<String, Vec<Option<Value>>>>,
    }

    impl Script {
        fn new(entries: Vec<(&ObjMetadata, Vec<Option<Value>>)>) -> Self {
            Self {
                reads: Mutex::new(
                    entries
                        .into_iter()
                        .map(|(o, v)| (o.inventory_id(), v))
                        .collect(),
                ),
            }
        }
    }

    impl ObjectReader for Script {
        async fn read(&self, object: &ObjMetadata) -> Result<Option<Value>, String> {
            let mut reads = self.reads.lock().map_err(|e| e.to_string())?;
            let list = reads
                .get_mut(&object.inventory_id())
                .ok_or("unscripted object")?;
            Ok(if list.len() > 1 {
                list.remove(0)
            } else {
                list.first().cloned().flatten()
            })
        }
    }

    fn cm(name: &str) -> ObjMetadata {
        ObjMetadata::new("example.com", "v1", "Widget", "ns", name)
    }

    fn widget(ready: &str) -> Option<Value> {
        Some(
            json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
            "status": {"conditions": [{"type": "Ready", "status": ready, "message": format!("ready={ready}")}]}}),
        )
    }

    fn stalled() -> Option<Value> {
        Some(
            json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
            "status": {"conditions": [{"type": "Stalled", "status": "True", "message": "broken"}]}}),
        )
    }

    fn fast(timeout_ms: u64) -> WaitOptions {
        WaitOptions {
            interval: Duration::from_millis(10),
            timeout: Duration::from_millis(timeout_ms),
            fail_fast: true,
        }
    }

    #[tokio::test]
    async fn returns_when_all_objects_become_current() {
        let (a, b) = (cm("a"), cm("b"));
        let reader = Script::new(vec![
            (&a, vec![widget("False"), widget("True")]),
            (&b, vec![None, widget("True")]),
        ]);
        let result = wait_for_set(
            &reader,
            &[a, b],
            &CustomHealthChecks::default(),
            &fast(5_000),
            &CancellationToken::new(),
        )
        .await;
        assert!(result.is_ok(), "{result:?}");
    }

    #[tokio::test]
    async fn times_out_naming_each_unhealthy_object() {
        let (a, b) = (cm("a"), cm("b"));
        let reader = Script::new(vec![
            (&a, vec![widget("True")]),
            (&b, vec![widget("False")]),
        ]);
        let error = wait_for_set(
            &reader,
            &[a, b],
            &CustomHealthChecks::default(),
            &fast(100),
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(matches!(error, WaitError::Timeout { .. }));
        let text = error.to_string();
        assert!(
            text.contains("Widget/ns/b: InProgress: ready=False"),
            "{text}"
        );
        assert!(!text.contains("Widget/ns/a"), "{text}");
    }

    #[tokio::test]
    async fn fails_fast_on_a_failed_object() {
        let (a, b) = (cm("a"), cm("b"));
        let reader = Script::new(vec![(&a, vec![stalled()]), (&b, vec![widget("False")])]);
        let started = Instant::now();
        let error = wait_for_set(
            &reader,
            &[a, b],
            &CustomHealthChecks::default(),
            &fast(60_000),
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(matches!(error, WaitError::Failed { .. }), "{error}");
        assert!(error.to_string().contains("Widget/ns/a: Failed: broken"));
    }

    #[tokio::test]
    async fn cancellation_returns_at_once() {
        let a = cm("a");
        let reader = Script::new(vec![(&a, vec![widget("False")])]);
        let cancel = CancellationToken::new();
        let trigger = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            trigger.cancel();
        });
        let started = Instant::now();
        let error = wait_for_set(
            &reader,
            &[a],
            &CustomHealthChecks::default(),
            &fast(60_000),
            &cancel,
        )
        .await
        .unwrap_err();
        assert!(error.is_cancelled());
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(error.unhealthy().len(), 1);
    }

    #[tokio::test]
    async fn termination_wait_ends_when_objects_are_gone() {
        let a = cm("a");
        let reader = Script::new(vec![(&a, vec![widget("True"), widget("True"), None])]);
        let result = wait_for_termination(
            &reader,
            std::slice::from_ref(&a),
            Duration::from_millis(10),
            Duration::from_secs(5),
            &CancellationToken::new(),
        )
        .await;
        assert!(result.is_ok());
        let stuck = Script::new(vec![(&a, vec![widget("True")])]);
        let error = wait_for_termination(
            &stuck,
            &[a],
            Duration::from_millis(10),
            Duration::from_millis(50),
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(error.to_string().contains("Widget/ns/a"), "{error}");
    }
}
