//! The reconcile harness: Flux's ladder, once, for every kind.
//!
//! For each object: start the duration timer → finalizer (add it; on deletion run the kind's
//! `cleanup` and remove it) → stop if suspended → check the rules Flux writes as CEL (terminal:
//! Stalled) → mark Reconciling when there is news (new generation, not Ready, a reconcile
//! request) → the kind's `apply` → conditions from the result (Ready / Reconciling / Stalled,
//! `observedGeneration`, `lastHandledReconcileAt`) → one status write if anything changed →
//! one event → requeue at the interval (with jitter), the retry interval, or never (terminal).
//!
//! A kind implements [`Reconciler`]: `apply` as named steps that fill the status through
//! [`Progress`], and `cleanup`. Its errors implement [`ReconcileError`], which maps each
//! failure to a Flux reason and says whether retrying can help.

use std::fmt::Debug;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use capstan_api::conditions::{self, Stamp};
use capstan_api::object::reconcile_request;
use capstan_api::{FINALIZER, FluxObject, ObjectWithConditions, reason};
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::jiff::Timestamp;
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::{Client, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::{debug, info, warn};

use crate::events::{EventRecorder, ObjectEvent};
use crate::metrics::{Metrics, ObjectLabels};
use crate::status::{apply_status, status_changed};

/// A kind-specific failure: what step failed, mapped to a Flux reason.
pub trait ReconcileError: std::error::Error + Send + Sync + 'static {
    /// The Ready condition's reason (and the event's), e.g. `ArtifactFailed`.
    fn reason(&self) -> &'static str;
    /// True when retrying cannot help until the spec changes (Stalled, no requeue).
    fn is_terminal(&self) -> bool {
        false
    }
    /// Overrides the retry delay (e.g. `--requeue-dependency` for a dependency not ready).
    fn retry_after(&self) -> Option<Duration> {
        None
    }
}

/// A successful reconcile's outcome.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The Ready reason, e.g. `Succeeded` or `ReconciliationSucceeded`.
    pub reason: &'static str,
    /// The Ready message, naming the revision (`stored artifact for revision 'main@sha1:…'`).
    pub message: String,
    /// An event to publish, when something changed; `None` for a no-op reconcile.
    pub event: Option<ObjectEvent>,
    /// Overrides the next run (default: the object's interval with jitter).
    pub requeue_after: Option<Duration>,
}

impl Applied {
    /// A success with `reason` and `message` and no event.
    pub fn new(reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
            event: None,
            requeue_after: None,
        }
    }

    /// Adds an event to publish.
    #[must_use]
    pub fn with_event(mut self, event: ObjectEvent) -> Self {
        self.event = Some(event);
        self
    }
}

/// What a kind supplies to the harness.
pub trait Reconciler<K: Reconcilable>: Send + Sync + 'static {
    /// The kind's error type.
    type Error: ReconcileError;

    /// Makes the world match the object's spec, recording status through `progress`.
    fn apply(
        &self,
        object: Arc<K>,
        progress: &mut Progress<K>,
    ) -> impl Future<Output = Result<Applied, Self::Error>> + Send;

    /// Releases what the object owns before its finalizer is removed.
    fn cleanup(&self, object: Arc<K>) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The delay before retrying a failed reconcile; default: the object's interval.
    fn retry_interval(&self, object: &K) -> Option<Duration> {
        object.requeue_interval().ok().flatten()
    }
}

/// Bounds every kind handled by the harness satisfies.
/// Every Flux kind is namespaced.
pub trait Reconcilable:
    FluxObject<Status: Serialize + Clone + Send + Sync + Debug, Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
}

impl<K> Reconcilable for K where
    K: FluxObject<Status: Serialize + Clone + Send + Sync + Debug, Scope = NamespaceResourceScope>
        + Clone
        + Debug
        + Serialize
        + DeserializeOwned
        + Send
        + Sync
        + 'static
{
}

/// The status under construction during one reconcile, and the means to publish progress.
pub struct Progress<K: Reconcilable> {
    object: Arc<K>,
    api: Api<K>,
    field_manager: String,
    status: K::Status,
    written: Option<K::Status>,
    events: Vec<ObjectEvent>,
}

impl<K: Reconcilable> Progress<K> {
    fn new(object: Arc<K>, api: Api<K>, field_manager: &str) -> Self {
        let written = object.flux_status().cloned();
        let status = written.clone().unwrap_or_default();
        Self {
            object,
            api,
            field_manager: field_manager.to_string(),
            status,
            written,
            events: Vec::new(),
        }
    }

    /// The status being built (starts as the object's current status).
    pub fn status(&self) -> &K::Status {
        &self.status
    }

    /// The status being built, for the kind to fill (artifact, inventory, ...).
    pub fn status_mut(&mut self) -> &mut K::Status {
        &mut self.status
    }

    /// A condition stamp for now and the object's generation.
    pub fn stamp(&self) -> Stamp {
        Stamp::new(self.object.meta().generation, Timestamp::now())
    }

    /// Marks `Reconciling=True` with `message` (name the revision) and publishes it at once,
    /// so users watching see a long step start. Call it before fetching, building, applying.
    pub async fn reconciling(&mut self, message: &str) {
        let stamp = self.stamp();
        conditions::mark_reconciling(
            self.status.conditions_mut(),
            reason::PROGRESSING,
            message,
            &stamp,
        );
        self.write().await;
    }

    /// Sets a condition other than Ready / Reconciling / Stalled (e.g. `ArtifactInStorage`).
    pub fn mark(&mut self, type_: &str, status: bool, reason: &str, message: &str) {
        let stamp = self.stamp();
        let value = if status {
            capstan_api::constants::status::TRUE
        } else {
            capstan_api::constants::status::FALSE
        };
        conditions::set(
            self.status.conditions_mut(),
            type_,
            value,
            reason,
            message,
            &stamp,
        );
    }

    /// Queues an event to publish after the status is written (e.g. a corrupt artifact found).
    pub fn record(&mut self, event: ObjectEvent) {
        self.events.push(event);
    }

    /// Removes a condition.
    pub fn clear(&mut self, type_: &str) {
        conditions::delete(self.status.conditions_mut(), type_);
    }

    /// Writes the status if it changed since the last write. Failures are logged and retried
    /// at the final write.
    pub async fn write(&mut self) {
        if !status_changed(self.written.as_ref(), &self.status) {
            return;
        }
        match apply_status(&self.api, &*self.object, &self.status, &self.field_manager).await {
            Ok(()) => self.written = Some(self.status.clone()),
            Err(error) => {
                warn!(object = %describe(&*self.object), %error, "could not write status")
            }
        }
    }

    async fn write_final(&mut self) -> Result<(), kube::Error> {
        if !status_changed(self.written.as_ref(), &self.status) {
            return Ok(());
        }
        apply_status(&self.api, &*self.object, &self.status, &self.field_manager).await?;
        self.written = Some(self.status.clone());
        Ok(())
    }
}

/// Everything a reconcile needs, shared by all workers of one controller.
pub struct Context<K, R> {
    /// The cluster client.
    pub client: Client,
    /// The kind's reconciler.
    pub reconciler: R,
    /// Metrics of this controller.
    pub metrics: Metrics,
    /// Event recorder of this controller.
    pub recorder: EventRecorder,
    /// The controller's name: field manager of status writes, event source.
    pub controller: String,
    /// `--interval-jitter-percentage`.
    pub jitter_percentage: u8,
    /// Delay before retrying after an error of the harness itself (API failures).
    pub harness_retry: Duration,
    _kind: PhantomData<fn() -> K>,
}

impl<K, R> Context<K, R> {
    /// A context with Flux's defaults (5 % jitter, 5 s harness retry).
    pub fn new(
        client: Client,
        reconciler: R,
        metrics: Metrics,
        recorder: EventRecorder,
        controller: &str,
    ) -> Self {
        Self {
            client,
            reconciler,
            metrics,
            recorder,
            controller: controller.to_string(),
            jitter_percentage: 5,
            harness_retry: Duration::from_secs(5),
            _kind: PhantomData,
        }
    }
}

/// Failures of the harness itself (not of the kind's `apply`, which become conditions),
/// retried after `harness_retry`.
#[derive(Debug, thiserror::Error)]
#[error("reconciling {object}")]
pub struct HarnessError {
    /// `Kind/namespace/name`.
    object: String,
    #[source]
    source: Box<kube::runtime::finalizer::Error<StepFailed>>,
}

/// A step the harness must retry soon: the kind's cleanup, or writing the status.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StepFailed(String);

/// The reconcile function handed to kube-runtime's `Controller::run`.
pub async fn reconcile<K, R>(
    object: Arc<K>,
    ctx: Arc<Context<K, R>>,
) -> Result<Action, HarnessError>
where
    K: Reconcilable,
    R: Reconciler<K>,
{
    let labels = object_labels(&*object);
    let _timer = ctx.metrics.time_reconcile(labels.clone());
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &object.namespace().unwrap_or_default());
    let described = describe(&*object);
    let result = finalizer(&api, FINALIZER, object, |event| async {
        match event {
            FinalizerEvent::Apply(object) => apply(object, &ctx, &api, &labels).await,
            FinalizerEvent::Cleanup(object) => {
                if let Err(error) = ctx.reconciler.cleanup(object.clone()).await {
                    let message = error_chain(&error);
                    ctx.recorder
                        .publish(
                            &*object,
                            ObjectEvent::warning(error.reason(), message.clone()),
                        )
                        .await;
                    return Err(StepFailed(message));
                }
                ctx.metrics.forget(&labels);
                info!(object = %describe(&*object), "finalizer removed after cleanup");
                Ok(Action::await_change())
            }
        }
    })
    .await;
    result.map_err(|source| HarnessError {
        object: described,
        source: Box::new(source),
    })
}

/// The error policy handed to `Controller::run`: log and retry after `harness_retry`.
pub fn error_policy<K, R>(object: Arc<K>, error: &HarnessError, ctx: Arc<Context<K, R>>) -> Action
where
    K: Reconcilable,
{
    warn!(object = %describe(&*object), error = %error_chain(error), "reconcile failed in the harness; retrying");
    Action::requeue(ctx.harness_retry)
}

async fn apply<K, R>(
    object: Arc<K>,
    ctx: &Context<K, R>,
    api: &Api<K>,
    labels: &ObjectLabels,
) -> Result<Action, StepFailed>
where
    K: Reconcilable,
    R: Reconciler<K>,
{
    let described = describe(&*object);
    if object.is_suspended() {
        ctx.metrics.record_suspend(labels, true);
        info!(object = %described, "reconciliation is suspended for this object");
        return Ok(Action::await_change());
    }
    ctx.metrics.record_suspend(labels, false);
    let started = std::time::Instant::now();
    let mut progress = Progress::new(object.clone(), api.clone(), &ctx.controller);
    let result = match object.validate() {
        Err(invalid) => Err(Failure::Invalid(invalid.to_string())),
        Ok(()) => {
            if has_news(&*object) {
                let stamp = progress.stamp();
                let conditions = progress.status.conditions_mut();
                conditions::mark_reconciling(
                    conditions,
                    reason::PROGRESSING,
                    "Reconciliation in progress",
                    &stamp,
                );
                conditions::mark_unknown(
                    conditions,
                    capstan_api::condition::READY,
                    reason::PROGRESSING,
                    "Reconciliation in progress",
                    &stamp,
                );
                progress.write().await;
            }
            ctx.reconciler
                .apply(object.clone(), &mut progress)
                .await
                .map_err(Failure::Kind)
        }
    };

    let stamp = progress.stamp();
    let generation = object.meta().generation;
    let request = reconcile_request(object.meta()).map(str::to_string);
    let status = &mut progress.status;
    let (event, action) = match &result {
        Ok(applied) => {
            let conditions = status.conditions_mut();
            conditions::mark_ready(conditions, applied.reason, &applied.message, &stamp);
            conditions::delete_reconciling(conditions);
            conditions::delete_stalled(conditions);
            status.set_observed_generation(generation);
            let next = applied
                .requeue_after
                .or_else(|| object.requeue_interval().ok().flatten());
            let action = next.map_or_else(Action::await_change, |d| {
                Action::requeue(jitter(d, ctx.jitter_percentage))
            });
            info!(object = %described, elapsed = ?started.elapsed(), next = ?next, "{}", applied.message);
            (applied.event.clone(), action)
        }
        Err(failure) => {
            let (reason, message, terminal, retry) = failure.describe();
            let conditions = status.conditions_mut();
            conditions::mark_not_ready(conditions, reason, &message, &stamp);
            if terminal {
                conditions::mark_stalled(conditions, reason, &message, &stamp);
                conditions::delete_reconciling(conditions);
                status.set_observed_generation(generation);
            } else {
                conditions::mark_reconciling(
                    conditions,
                    reason::PROGRESSING_WITH_RETRY,
                    &message,
                    &stamp,
                );
                conditions::delete_stalled(conditions);
            }
            let retry = retry.or_else(|| ctx.reconciler.retry_interval(&object));
            let action = match (terminal, retry) {
                (false, Some(delay)) => Action::requeue(delay),
                _ => Action::await_change(),
            };
            warn!(object = %described, reason, terminal, retry = ?retry, error = %message, "reconciliation failed");
            (Some(ObjectEvent::warning(reason, message)), action)
        }
    };
    if request.is_some() {
        status.set_last_handled_reconcile_at(request);
    }
    let ready = conditions::get(status.conditions(), capstan_api::condition::READY)
        .map(|c| c.status.clone());
    if let Err(error) = progress.write_final().await {
        // The status could not be recorded: retry the whole reconcile soon instead of waiting
        // for the interval with a stale status.
        warn!(object = %described, %error, "could not write status");
        return Err(StepFailed(format!("status: {error}")));
    }
    if let Some(ready) = ready {
        ctx.metrics.record_ready(labels, &ready);
    }
    for event in std::mem::take(&mut progress.events)
        .into_iter()
        .chain(event)
    {
        ctx.recorder.publish(&*object, event).await;
    }
    debug!(object = %described, "reconcile done");
    Ok(action)
}

/// Either the rules Flux writes as CEL failed, or the kind's apply did.
enum Failure<E> {
    Invalid(String),
    Kind(E),
}

impl<E: ReconcileError> Failure<E> {
    /// (reason, message, terminal, retry override)
    fn describe(&self) -> (&'static str, String, bool, Option<Duration>) {
        match self {
            Self::Invalid(message) => (
                reason::INVALID_SPEC,
                format!("invalid spec: {message}"),
                true,
                None,
            ),
            Self::Kind(error) => (
                error.reason(),
                error_chain(error),
                error.is_terminal(),
                error.retry_after(),
            ),
        }
    }
}

/// Whether this reconcile starts something users should see as "in progress": a new
/// generation, an object not yet Ready, or an unhandled reconcile request.
fn has_news<K: Reconcilable>(object: &K) -> bool {
    let Some(status) = object.flux_status() else {
        return true;
    };
    status.observed_generation() != object.meta().generation
        || !conditions::is_ready(status.conditions())
        || capstan_api::object::has_unhandled_reconcile_request(object)
}

/// `interval` ± up to `percentage` %, so objects created together do not reconcile together.
pub fn jitter(interval: Duration, percentage: u8) -> Duration {
    if percentage == 0 || interval.is_zero() {
        return interval;
    }
    let spread = interval.as_secs_f64() * f64::from(percentage.min(100)) / 100.0;
    let offset = (rand::random::<f64>() * 2.0 - 1.0) * spread;
    Duration::from_secs_f64((interval.as_secs_f64() + offset).max(0.0))
}

/// The metric labels of an object.
pub fn object_labels<K: Resource<DynamicType = ()>>(object: &K) -> ObjectLabels {
    ObjectLabels {
        kind: K::kind(&()).to_string(),
        name: object.name_any(),
        namespace: object.namespace().unwrap_or_default(),
    }
}

/// `Kind/namespace/name`, for logs.
pub fn describe<K: Resource<DynamicType = ()>>(object: &K) -> String {
    format!(
        "{}/{}/{}",
        K::kind(&()),
        object.namespace().unwrap_or_default(),
        object.name_any()
    )
}

/// The error and its causes, joined with ": " (as Go's wrapped errors print).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Some errors repeat their cause in their own message; do not print it twice.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("fetching artifact")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("connection refused")]
    struct Inner;

    #[test]
    fn error_chains_join_causes() {
        assert_eq!(
            error_chain(&Outer(Inner)),
            "fetching artifact: connection refused"
        );
    }

    #[test]
    fn jitter_stays_within_the_percentage() {
        for _ in 0..1000 {
            let d = jitter(Duration::from_secs(100), 5);
            assert!(
                d >= Duration::from_secs(95) && d <= Duration::from_secs(105),
                "{d:?}"
            );
        }
        assert_eq!(
            jitter(Duration::from_secs(100), 0),
            Duration::from_secs(100)
        );
    }
}
