//! Custom health checks (`healthCheckExprs`): CEL rules per API group and kind.
//!
//! Variables: a health check sees the object as `self` and, as in Flux (which passes the object
//! itself as the activation), each top-level field (`metadata`, `spec`, `status`...) by name,
//! so Flux's documented expressions such as
//! `status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')` work unchanged.

use capstan_api::meta::CustomHealthCheck;
use serde_json::Value;

use super::{ObjectStatus, Status};
use crate::error::ExprError;
use crate::expr::Expr;
use crate::object::{ObjMetadata, split_api_version};

/// One compiled `healthCheckExprs` entry.
#[derive(Clone, Debug)]
struct CompiledCheck {
    group: String,
    kind: Option<String>,
    in_progress: Option<Expr>,
    failed: Option<Expr>,
    current: Expr,
}

/// Compiled `healthCheckExprs`: custom status rules per API group (and optional kind) that
/// replace kstatus for the objects they match.
#[derive(Clone, Debug, Default)]
pub struct CustomHealthChecks {
    checks: Vec<CompiledCheck>,
}

impl CustomHealthChecks {
    /// Compiles the checks; `current` is required, a group/kind may appear once, and an invalid
    /// expression names its index and field (Flux stalls the Kustomization on these).
    pub fn compile(checks: &[CustomHealthCheck]) -> Result<Self, ExprError> {
        let mut compiled: Vec<CompiledCheck> = Vec::with_capacity(checks.len());
        for (index, check) in checks.iter().enumerate() {
            let (group, _) = split_api_version(&check.api_version);
            let kind = check.kind.clone().filter(|k| !k.is_empty());
            if compiled.iter().any(|c| c.group == group && c.kind == kind) {
                return Err(ExprError::Duplicate {
                    index,
                    group_kind: format!("{}.{}", kind.as_deref().unwrap_or("*"), group),
                });
            }
            if check.current.trim().is_empty() {
                return Err(ExprError::MissingCurrent {
                    index,
                    api_version: check.api_version.clone(),
                });
            }
            let field = |field: &'static str, source: &str| {
                Expr::compile(source).map_err(|e| ExprError::InCheck {
                    index,
                    field,
                    source: Box::new(e),
                })
            };
            let optional = |name: &'static str, source: &Option<String>| {
                source
                    .as_deref()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| field(name, s))
                    .transpose()
            };
            compiled.push(CompiledCheck {
                group: group.to_string(),
                kind,
                in_progress: optional("inProgress", &check.in_progress)?,
                failed: optional("failed", &check.failed)?,
                current: field("current", &check.current)?,
            });
        }
        Ok(Self { checks: compiled })
    }

    /// Whether no check is defined.
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// Whether a check applies to the object (same group; same kind when the check names one;
    /// a check naming the kind wins over a group-wide one).
    pub fn matches(&self, object: &ObjMetadata) -> bool {
        self.find(object).is_some()
    }

    fn find(&self, object: &ObjMetadata) -> Option<&CompiledCheck> {
        self.checks
            .iter()
            .find(|c| c.group == object.group && c.kind.as_deref() == Some(object.kind.as_str()))
            .or_else(|| {
                self.checks
                    .iter()
                    .find(|c| c.group == object.group && c.kind.is_none())
            })
    }

    /// The status by the matching check, or `None` when no check matches (use kstatus).
    ///
    /// As Flux (RFC 0009): an unobserved generation is InProgress; then `inProgress`, `failed`
    /// and `current` are evaluated in that order and the first true one wins; none true is
    /// InProgress. An evaluation error (often a field not yet set) is InProgress with the error,
    /// so the wait goes on until the field appears or the timeout.
    pub fn evaluate(&self, meta: &ObjMetadata, object: &Value) -> Option<ObjectStatus> {
        let check = self.find(meta)?;
        if let (Some(observed), Some(generation)) = (
            object
                .pointer("/status/observedGeneration")
                .and_then(Value::as_i64),
            object
                .pointer("/metadata/generation")
                .and_then(Value::as_i64),
        ) && observed != generation
        {
            return Some(ObjectStatus::new(
                Status::InProgress,
                format!(
                    "{} generation is {generation}, but latest observed generation is {observed}",
                    meta.kind
                ),
            ));
        }
        let mut vars: Vec<(&str, &Value)> = vec![("self", object)];
        if let Some(map) = object.as_object() {
            vars.extend(
                map.iter()
                    .filter(|(k, _)| k.as_str() != "self")
                    .map(|(k, v)| (k.as_str(), v)),
            );
        }
        let rules = [
            (check.in_progress.as_ref(), Status::InProgress),
            (check.failed.as_ref(), Status::Failed),
            (Some(&check.current), Status::Current),
        ];
        for (expr, status) in rules {
            let Some(expr) = expr else { continue };
            match expr.eval_bool(&vars) {
                Ok(true) => {
                    return Some(ObjectStatus::new(
                        status,
                        format!("health check expression '{}' is true", expr.source()),
                    ));
                }
                Ok(false) => {}
                Err(error) => {
                    return Some(ObjectStatus::new(Status::InProgress, error.to_string()));
                }
            }
        }
        Some(ObjectStatus::new(
            Status::InProgress,
            "no health check expression is true yet",
        ))
    }

    /// The status of an object: the matching custom check, else kstatus.
    pub fn status_of(&self, meta: &ObjMetadata, object: &Value) -> ObjectStatus {
        self.evaluate(meta, object)
            .unwrap_or_else(|| super::compute(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn checks() -> CustomHealthChecks {
        CustomHealthChecks::compile(&[CustomHealthCheck {
            api_version: "example.com/v1".into(),
            kind: Some("Widget".into()),
            current: "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')".into(),
            in_progress: Some("has(status.progressing) && status.progressing".into()),
            failed: Some("self.status.conditions.exists(e, e.type == 'Ready' && e.status == 'False' && e.reason == 'Broken')".into()),
        }])
        .unwrap()
    }

    fn widget(status: Value) -> (ObjMetadata, Value) {
        let object = json!({"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "w", "namespace": "ns", "generation": 1}, "status": status});
        (ObjMetadata::from_object(&object).unwrap(), object)
    }

    #[test]
    fn health_checks_follow_in_progress_failed_current_order() {
        let checks = checks();
        let (meta, ready) = widget(json!({"conditions": [{"type": "Ready", "status": "True"}]}));
        assert_eq!(checks.status_of(&meta, &ready).status, Status::Current);
        // inProgress is evaluated first and wins over current.
        let (_, progressing) = widget(json!({"progressing": true,
            "conditions": [{"type": "Ready", "status": "True"}]}));
        assert_eq!(
            checks.status_of(&meta, &progressing).status,
            Status::InProgress
        );
        let (_, broken) = widget(
            json!({"conditions": [{"type": "Ready", "status": "False", "reason": "Broken"}]}),
        );
        assert_eq!(checks.status_of(&meta, &broken).status, Status::Failed);
        let (_, waiting) =
            widget(json!({"conditions": [{"type": "Ready", "status": "False", "reason": "Wait"}]}));
        assert_eq!(checks.status_of(&meta, &waiting).status, Status::InProgress);
        // A status not yet written is in progress, with the evaluation error as the message.
        let (_, empty) = widget(json!({}));
        let status = checks.status_of(&meta, &empty);
        assert_eq!(status.status, Status::InProgress);
        let (_, unobserved) = widget(json!({"observedGeneration": 0,
            "conditions": [{"type": "Ready", "status": "True"}]}));
        assert_eq!(
            checks.status_of(&meta, &unobserved).status,
            Status::InProgress
        );
    }

    #[test]
    fn checks_match_by_group_and_optional_kind() {
        let checks = CustomHealthChecks::compile(&[CustomHealthCheck {
            api_version: "example.com/v1".into(),
            kind: None,
            current: "true".into(),
            in_progress: None,
            failed: None,
        }])
        .unwrap();
        let gadget = ObjMetadata::new("example.com", "v2", "Gadget", "ns", "g");
        assert!(checks.matches(&gadget));
        let other = ObjMetadata::new("other.com", "v1", "Gadget", "ns", "g");
        assert!(!checks.matches(&other));
        // Objects no check matches fall back to kstatus.
        let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"replicas": 1}, "status": {}});
        let meta = ObjMetadata::from_object(&deploy).unwrap();
        assert_eq!(checks.status_of(&meta, &deploy).status, Status::InProgress);
    }

    #[test]
    fn invalid_checks_are_refused_with_their_index() {
        let base = CustomHealthCheck {
            api_version: "example.com/v1".into(),
            kind: Some("Widget".into()),
            current: "true".into(),
            in_progress: None,
            failed: None,
        };
        let missing = CustomHealthCheck {
            current: String::new(),
            ..base.clone()
        };
        assert!(matches!(
            CustomHealthChecks::compile(&[missing]).unwrap_err(),
            ExprError::MissingCurrent { index: 0, .. }
        ));
        let invalid = CustomHealthCheck {
            failed: Some("((".into()),
            ..base.clone()
        };
        let error = CustomHealthChecks::compile(&[invalid]).unwrap_err();
        assert!(
            error.to_string().contains("healthCheckExprs[0].failed"),
            "{error}"
        );
        assert!(matches!(
            CustomHealthChecks::compile(&[base.clone(), base]).unwrap_err(),
            ExprError::Duplicate { index: 1, .. }
        ));
    }
}
