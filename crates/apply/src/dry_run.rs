//! Server-side dry-run of one object: read the live object, decide whether it is skipped,
//! and ask the apiserver what applying it would produce (`dryRun=All`, forced, under the
//! field manager). Shared by apply (validation, drift) and diff.

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::Value;

use crate::diff::mask_secret_values;
use crate::error::Refusal;
use crate::object::{self, ObjMetadata};

/// A manifest ready to apply: identity, normalized object (owner labels set) and stage.
#[derive(Clone, Debug)]
pub(crate) struct Desired {
    pub(crate) meta: ObjMetadata,
    pub(crate) object: Value,
}

/// The outcome of a dry-run.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    /// Excluded by annotations (`reconcile: disabled`, `ssa: Ignore`, `ssa: IfNotPresent` and
    /// present); no dry-run was made.
    Skipped,
    /// The apiserver refused the object.
    Refused(Refusal),
    /// The apiserver refused the object because an immutable field changed; recreating it
    /// would succeed when forced.
    Immutable(Refusal),
    /// What the object would look like once applied.
    Merged(Value),
}

/// The live object and the dry-run outcome.
#[derive(Clone, Debug)]
pub(crate) struct DryRun {
    pub(crate) live: Option<Value>,
    pub(crate) outcome: Outcome,
}

/// Reads the live object and dry-runs the desired one; only reading the live object can fail
/// here (a refused dry-run is an [`Outcome`]).
pub(crate) async fn dry_run(
    api: &Api<DynamicObject>,
    desired: &Desired,
    field_manager: &str,
) -> Result<DryRun, kube::Error> {
    let live = api
        .get_opt(&desired.meta.name)
        .await?
        .map(serde_json::to_value)
        .transpose()
        .map_err(kube::Error::SerdeError)?;
    if is_skipped(&desired.object, live.as_ref()) {
        return Ok(DryRun {
            live,
            outcome: Outcome::Skipped,
        });
    }
    let params = PatchParams::apply(field_manager).force().dry_run();
    let outcome = match api
        .patch(&desired.meta.name, &params, &Patch::Apply(&desired.object))
        .await
    {
        Ok(merged) => match serde_json::to_value(merged) {
            Ok(merged) => Outcome::Merged(merged),
            Err(error) => Outcome::Refused(Refusal {
                object: desired.meta.clone(),
                reason: String::new(),
                message: format!("reading the dry-run result: {error}"),
            }),
        },
        Err(error) => {
            let refusal = refusal(&desired.meta, &desired.object, &error);
            if live.is_some() && is_immutable(&error) {
                Outcome::Immutable(refusal)
            } else {
                Outcome::Refused(refusal)
            }
        }
    };
    Ok(DryRun { live, outcome })
}

/// Whether a label or annotation `key` of `object` equals `value`, ignoring case (Flux's
/// `AnyInMetadata`).
pub(crate) fn has_metadata(object: &Value, key: &str, value: &str) -> bool {
    [object::annotation(object, key), object::label(object, key)]
        .into_iter()
        .flatten()
        .any(|v| v.eq_ignore_ascii_case(value))
}

/// Flux's exclusion and `IfNotPresent` selectors: `reconcile: disabled` or `ssa: Ignore` on the
/// desired or the live object, or `ssa: IfNotPresent` on the desired one while it exists.
pub(crate) fn is_skipped(desired: &Value, live: Option<&Value>) -> bool {
    use capstan_api::annotation::{
        DISABLED, KUSTOMIZE_RECONCILE, KUSTOMIZE_SSA, SSA_IF_NOT_PRESENT, SSA_IGNORE,
    };
    let excluded = |object: &Value| {
        has_metadata(object, KUSTOMIZE_RECONCILE, DISABLED)
            || has_metadata(object, KUSTOMIZE_SSA, SSA_IGNORE)
    };
    if excluded(desired) || live.is_some_and(excluded) {
        return true;
    }
    live.is_some() && has_metadata(desired, KUSTOMIZE_SSA, SSA_IF_NOT_PRESENT)
}

/// Whether `ssa: Merge` is set on either object: keep other managers' fields (no cleanup).
pub(crate) fn is_merge(desired: &Value, live: Option<&Value>) -> bool {
    use capstan_api::annotation::{KUSTOMIZE_SSA, SSA_MERGE};
    has_metadata(desired, KUSTOMIZE_SSA, SSA_MERGE)
        || live.is_some_and(|l| has_metadata(l, KUSTOMIZE_SSA, SSA_MERGE))
}

/// Whether `kustomize.toolkit.fluxcd.io/force: enabled` is set on either object.
pub(crate) fn is_force_annotated(desired: &Value, live: Option<&Value>) -> bool {
    use capstan_api::annotation::{ENABLED, KUSTOMIZE_FORCE};
    has_metadata(desired, KUSTOMIZE_FORCE, ENABLED)
        || live.is_some_and(|l| has_metadata(l, KUSTOMIZE_FORCE, ENABLED))
}

/// A refusal from a client error; the message keeps the apiserver's field path and has the
/// values of a Secret masked.
pub(crate) fn refusal(meta: &ObjMetadata, desired: &Value, error: &kube::Error) -> Refusal {
    let (reason, message) = match error {
        kube::Error::Api(status) => (status.reason.clone(), status.message.clone()),
        other => (String::new(), other.to_string()),
    };
    let message = if meta.is_secret() {
        mask_secret_values(&message, desired)
    } else {
        message
    };
    Refusal {
        object: meta.clone(),
        reason,
        message,
    }
}

/// Whether a dry-run error is an immutable-field error. Narrower than Flux, which treats every
/// `Invalid` or `Conflict` as immutable and so deletes objects whose new spec is merely invalid:
/// only messages that say a field is immutable (or, for StatefulSets, that spec updates are
/// forbidden) count.
pub(crate) fn is_immutable(error: &kube::Error) -> bool {
    let kube::Error::Api(status) = error else {
        return false;
    };
    if !(status.is_invalid() || status.is_conflict() || status.code == 422 || status.code == 409) {
        return false;
    }
    is_immutable_message(&status.message)
}

fn is_immutable_message(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("field is immutable")
        || lower.contains("is immutable")
        || lower.contains("immutable field")
        || (lower.contains("forbidden: updates to") && lower.contains("are forbidden"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn immutable_messages_of_a_v1_20_apiserver_are_recognised() {
        for message in [
            r#"Job.batch "migrate" is invalid: spec.template: Invalid value: core.PodTemplateSpec{}: field is immutable"#,
            r#"Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{}: field is immutable"#,
            r#"StatefulSet.apps "db" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'template', 'updateStrategy' and 'minReadySeconds' are forbidden"#,
            "PersistentVolumeClaim \"c\" is invalid: spec: Forbidden: spec is immutable after creation",
        ] {
            assert!(is_immutable_message(message), "{message}");
        }
        assert!(!is_immutable_message(
            r#"Service "s" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"#
        ));
    }

    #[test]
    fn skip_rules_follow_flux_selectors() {
        let plain = json!({"metadata": {"name": "a"}});
        let disabled = json!({"metadata": {"name": "a",
            "annotations": {"kustomize.toolkit.fluxcd.io/reconcile": "disabled"}}});
        let ignore_label = json!({"metadata": {"name": "a",
            "labels": {"kustomize.toolkit.fluxcd.io/ssa": "ignore"}}});
        let if_not_present = json!({"metadata": {"name": "a",
            "annotations": {"kustomize.toolkit.fluxcd.io/ssa": "IfNotPresent"}}});
        assert!(!is_skipped(&plain, None));
        assert!(!is_skipped(&plain, Some(&plain)));
        assert!(is_skipped(&disabled, None));
        assert!(is_skipped(&plain, Some(&disabled)));
        assert!(is_skipped(&ignore_label, None));
        assert!(!is_skipped(&if_not_present, None));
        assert!(is_skipped(&if_not_present, Some(&plain)));
        let merge =
            json!({"metadata": {"annotations": {"kustomize.toolkit.fluxcd.io/ssa": "Merge"}}});
        assert!(is_merge(&plain, Some(&merge)));
        assert!(!is_merge(&plain, None));
        let force =
            json!({"metadata": {"annotations": {"kustomize.toolkit.fluxcd.io/force": "Enabled"}}});
        assert!(is_force_annotated(&force, None));
    }
}
