//! Traits that let generic code (the reconcile harness, the CLI) handle every
//! kind without knowing which one it is.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta};

use crate::constants::annotation;
use crate::duration::DurationError;
use crate::validation::ValidationError;

/// A status that carries Flux's common fields: conditions,
/// `observedGeneration` and `lastHandledReconcileAt`.
pub trait ObjectWithConditions {
    /// The conditions, in Flux's order.
    fn conditions(&self) -> &[Condition];
    /// The conditions, for [`crate::conditions`] helpers to edit.
    fn conditions_mut(&mut self) -> &mut Vec<Condition>;
    /// Last generation a reconciliation finished for (`-1` before the first).
    fn observed_generation(&self) -> Option<i64>;
    /// Records the generation a reconciliation finished for.
    fn set_observed_generation(&mut self, generation: Option<i64>);
    /// Last `reconcile.fluxcd.io/requestedAt` value handled.
    fn last_handled_reconcile_at(&self) -> Option<&str>;
    /// Records the handled `reconcile.fluxcd.io/requestedAt` value.
    fn set_last_handled_reconcile_at(&mut self, value: Option<String>);
}

/// A kind reconciled by a Capstan controller: one with a status, a suspend
/// switch, an interval and validation rules.
pub trait FluxObject: kube::Resource<DynamicType = ()> {
    /// The kind's status type.
    type Status: ObjectWithConditions + Default;

    /// The status, if the object has one yet.
    fn flux_status(&self) -> Option<&Self::Status>;
    /// The status, created empty when missing.
    fn flux_status_mut(&mut self) -> &mut Self::Status;
    /// Whether `spec.suspend` is set: the controller must not act.
    fn is_suspended(&self) -> bool;
    /// How long to wait before the next reconciliation after a success;
    /// `None` means "only when something changes" (never requeue on a timer,
    /// e.g. an ImagePolicy without digest refresh, or a zero interval). Never
    /// `Some(Duration::ZERO)`.
    fn requeue_interval(&self) -> Result<Option<Duration>, DurationError>;
    /// The rules Flux expresses as CEL, checked in the controller.
    fn validate(&self) -> Result<(), ValidationError>;

    /// The conditions of the status (empty when there is no status).
    fn conditions(&self) -> &[Condition] {
        self.flux_status().map_or(&[], |s| s.conditions())
    }
}

/// The `reconcile.fluxcd.io/requestedAt` token on an object, if any.
pub fn reconcile_request(meta: &ObjectMeta) -> Option<&str> {
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(annotation::RECONCILE_REQUESTED_AT))
        .map(String::as_str)
}

/// Whether the object carries a reconcile request its status has not yet
/// recorded as handled.
pub fn has_unhandled_reconcile_request<K: FluxObject>(object: &K) -> bool {
    let requested = reconcile_request(object.meta());
    let handled = object
        .flux_status()
        .and_then(ObjectWithConditions::last_handled_reconcile_at);
    requested.is_some() && requested != handled
}

/// Implements [`ObjectWithConditions`] for a status struct with the
/// standard field names.
macro_rules! impl_object_with_conditions {
    ($($status:ty),+ $(,)?) => {$(
        impl $crate::object::ObjectWithConditions for $status {
            fn conditions(&self) -> &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition] {
                &self.conditions
            }
            fn conditions_mut(
                &mut self,
            ) -> &mut Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
                &mut self.conditions
            }
            fn observed_generation(&self) -> Option<i64> {
                self.observed_generation
            }
            fn set_observed_generation(&mut self, generation: Option<i64>) {
                self.observed_generation = generation;
            }
            fn last_handled_reconcile_at(&self) -> Option<&str> {
                self.last_handled_reconcile_at.as_deref()
            }
            fn set_last_handled_reconcile_at(&mut self, value: Option<String>) {
                self.last_handled_reconcile_at = value;
            }
        }
    )+};
}
pub(crate) use impl_object_with_conditions;

/// Implements [`FluxObject`] for a kind whose spec has `suspend` and whose
/// type has inherent `interval()` and `validate()` methods. With
/// `optional_interval`, `interval()` already returns an `Option`.
macro_rules! impl_flux_object {
    ($kind:ty, $status:ty) => {
        $crate::object::impl_flux_object!(@impl $kind, $status, |k: &$kind| {
            k.interval().map(Some)
        });
    };
    ($kind:ty, $status:ty, optional_interval) => {
        $crate::object::impl_flux_object!(@impl $kind, $status, |k: &$kind| k.interval());
    };
    (@impl $kind:ty, $status:ty, $interval:expr) => {
        impl $crate::object::FluxObject for $kind {
            type Status = $status;
            fn flux_status(&self) -> Option<&$status> {
                self.status.as_ref()
            }
            fn flux_status_mut(&mut self) -> &mut $status {
                self.status.get_or_insert_with(Default::default)
            }
            fn is_suspended(&self) -> bool {
                self.spec.suspend.unwrap_or(false)
            }
            fn requeue_interval(
                &self,
            ) -> Result<Option<std::time::Duration>, $crate::duration::DurationError> {
                // Zero means "no timer" in Flux; never hand out a hot loop.
                ($interval)(self).map(|d: Option<std::time::Duration>| d.filter(|d| !d.is_zero()))
            }
            fn validate(&self) -> Result<(), $crate::validation::ValidationError> {
                <$kind>::validate(self)
            }
        }
    };
}
pub(crate) use impl_flux_object;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::ImagePolicy;
    use crate::source::GitRepository;

    fn from_json<K: serde::de::DeserializeOwned>(value: serde_json::Value) -> K {
        serde_json::from_value(value).expect("valid object")
    }

    #[test]
    fn requeue_interval_is_none_instead_of_zero() {
        let policy: ImagePolicy = from_json(serde_json::json!({
            "apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImagePolicy",
            "metadata": {"name": "p"},
            "spec": {"imageRepositoryRef": {"name": "r"}, "policy": {"semver": {"range": "*"}}}
        }));
        assert_eq!(FluxObject::requeue_interval(&policy), Ok(None));
        let zero: GitRepository = from_json(serde_json::json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "g"},
            "spec": {"url": "https://x/y", "interval": "0s"}
        }));
        assert_eq!(FluxObject::requeue_interval(&zero), Ok(None));
    }

    #[test]
    fn reconcile_request_is_unhandled_until_recorded() {
        let mut repo: GitRepository = from_json(serde_json::json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "g", "annotations": {"reconcile.fluxcd.io/requestedAt": "t1"}},
            "spec": {"url": "https://x/y", "interval": "1m"}
        }));
        assert_eq!(reconcile_request(&repo.metadata), Some("t1"));
        assert!(has_unhandled_reconcile_request(&repo));
        assert_eq!(
            FluxObject::requeue_interval(&repo),
            Ok(Some(Duration::from_secs(60)))
        );
        repo.flux_status_mut()
            .set_last_handled_reconcile_at(Some("t1".into()));
        assert!(!has_unhandled_reconcile_request(&repo));
        assert!(FluxObject::conditions(&repo).is_empty());
    }
}
