//! Prometheus metrics with Flux's names and labels (`fluxcd/pkg/runtime/metrics`).
//!
//! Label values come from bounded sets (kind, object name and namespace); never from error
//! text. An object's series are removed when the object is deleted.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The labels Flux puts on per-object series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ObjectLabels {
    /// The object's kind, e.g. `GitRepository`.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// The object's namespace.
    pub namespace: String,
}

/// Labels of `gotk_reconcile_condition`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConditionLabels {
    /// The object's kind.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// The object's namespace.
    pub namespace: String,
    /// The condition type, e.g. `Ready`.
    pub r#type: String,
    /// `True`, `False`, `Unknown` or `Deleted`.
    pub status: String,
}

/// The series every controller records.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Mutex<Registry>>,
    duration: Family<ObjectLabels, Histogram>,
    condition: Family<ConditionLabels, Gauge>,
    suspend: Family<ObjectLabels, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Registers `gotk_reconcile_duration_seconds` (10 exponential buckets from 10 ms to
    /// ~1800 s, as Flux), `gotk_reconcile_condition` and `gotk_suspend_status`.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let duration = Family::<ObjectLabels, Histogram>::new_with_constructor(|| {
            // 0.01 * 3.8^9 ≈ 1649 s: ten buckets from 10 ms to the half hour Flux covers.
            Histogram::new(exponential_buckets(0.01, 3.8, 10))
        });
        registry.register(
            "gotk_reconcile_duration_seconds",
            "The duration in seconds of a GitOps Toolkit resource reconciliation.",
            duration.clone(),
        );
        let condition = Family::<ConditionLabels, Gauge>::default();
        registry.register(
            "gotk_reconcile_condition",
            "The current condition status of a GitOps Toolkit resource reconciliation.",
            condition.clone(),
        );
        let suspend = Family::<ObjectLabels, Gauge>::default();
        registry.register(
            "gotk_suspend_status",
            "The current suspend status of a GitOps Toolkit resource.",
            suspend.clone(),
        );
        Self {
            registry: Arc::new(Mutex::new(registry)),
            duration,
            condition,
            suspend,
        }
    }

    /// Registers further series of a controller (e.g. HTTP metrics of a webhook server).
    pub fn with_registry<T>(&self, register: impl FnOnce(&mut Registry) -> T) -> T {
        let mut registry = self
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        register(&mut registry)
    }

    /// Starts timing a reconcile; the duration is recorded when the guard drops, whatever
    /// path the reconcile leaves by.
    pub fn time_reconcile(&self, labels: ObjectLabels) -> ReconcileTimer {
        ReconcileTimer {
            histogram: self.duration.get_or_create(&labels).clone(),
            started: Instant::now(),
        }
    }

    /// Records the Ready condition's status (`True`, `False`, `Unknown`) of an object.
    pub fn record_ready(&self, object: &ObjectLabels, status: &str) {
        for candidate in ["True", "False", "Unknown", "Deleted"] {
            let labels = ConditionLabels {
                kind: object.kind.clone(),
                name: object.name.clone(),
                namespace: object.namespace.clone(),
                r#type: "Ready".into(),
                status: candidate.into(),
            };
            self.condition
                .get_or_create(&labels)
                .set(i64::from(candidate == status));
        }
    }

    /// Records whether an object is suspended.
    pub fn record_suspend(&self, object: &ObjectLabels, suspended: bool) {
        self.suspend.get_or_create(object).set(i64::from(suspended));
    }

    /// Removes every series of a deleted object.
    pub fn forget(&self, object: &ObjectLabels) {
        self.duration.remove(object);
        self.suspend.remove(object);
        for status in ["True", "False", "Unknown", "Deleted"] {
            self.condition.remove(&ConditionLabels {
                kind: object.kind.clone(),
                name: object.name.clone(),
                namespace: object.namespace.clone(),
                r#type: "Ready".into(),
                status: status.into(),
            });
        }
    }

    /// The Prometheus text exposition of every registered series.
    pub fn encode(&self) -> String {
        let registry = self
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
            out.clear();
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Records a reconcile's duration when dropped.
#[derive(Debug)]
pub struct ReconcileTimer {
    histogram: Histogram,
    started: Instant,
}

impl Drop for ReconcileTimer {
    fn drop(&mut self) {
        self.histogram.observe(self.started.elapsed().as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> ObjectLabels {
        ObjectLabels {
            kind: "GitRepository".into(),
            name: "podinfo".into(),
            namespace: "default".into(),
        }
    }

    #[test]
    fn reconcile_duration_is_exposed_with_flux_labels() {
        let metrics = Metrics::new();
        drop(metrics.time_reconcile(labels()));
        let text = metrics.encode();
        assert!(text.contains("gotk_reconcile_duration_seconds_count{kind=\"GitRepository\",name=\"podinfo\",namespace=\"default\"} 1"), "{text}");
    }

    #[test]
    fn ready_condition_gauge_has_one_true_status() {
        let metrics = Metrics::new();
        metrics.record_ready(&labels(), "False");
        let text = metrics.encode();
        assert!(
            text.contains("type=\"Ready\",status=\"False\"} 1"),
            "{text}"
        );
        assert!(text.contains("type=\"Ready\",status=\"True\"} 0"), "{text}");
    }

    #[test]
    fn forgotten_objects_have_no_series() {
        let metrics = Metrics::new();
        drop(metrics.time_reconcile(labels()));
        metrics.record_suspend(&labels(), true);
        metrics.forget(&labels());
        assert!(!metrics.encode().contains("podinfo"));
    }
}
