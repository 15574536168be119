//! `spec.dependsOn`: a Kustomization waits until its dependencies are ready.
//!
//! Built-in readiness (as Flux): the dependency exists, its status is for its current
//! generation, it is Ready, and — when it uses the same source — it has applied the revision
//! this Kustomization is about to apply. `readyExpr` (CEL over `self` and `dep`) replaces the
//! built-in check. Dependents are re-queued as soon as a dependency turns Ready (see
//! `triggers.rs`), so nothing polls every 30 s; `--requeue-dependency` is only the fallback.
//! A cycle is reported, naming it, and waits for a spec change.

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use capstan_api::conditions;
use capstan_api::kustomize::Kustomization;
use capstan_apply::expr::Expr;
use kube::{Api, Client, ResourceExt};

use super::error::KustomizationError;
use super::source::SourceKey;

/// Fails with `DependencyNotReady` (retried) unless every dependency is ready.
pub(super) async fn check(
    client: &Client,
    kustomization: &Kustomization,
    revision: &str,
    retry: Duration,
) -> Result<(), KustomizationError> {
    let own_namespace = kustomization.namespace().unwrap_or_default();
    let not_ready = |detail: String| KustomizationError::DependencyNotReady { detail, retry };
    let self_json = serde_json::to_value(kustomization).unwrap_or_default();
    for dependency in kustomization.spec.depends_on.iter().flatten() {
        let namespace = dependency.namespace_or(&own_namespace).to_string();
        let name = &dependency.name;
        let api: Api<Kustomization> = Api::namespaced(client.clone(), &namespace);
        let Some(dep) = api
            .get_opt(name)
            .await
            .map_err(|e| not_ready(format!("reading '{namespace}/{name}': {e}")))?
        else {
            return Err(not_ready(format!("'{namespace}/{name}' not found")));
        };
        if let Some(expression) = &dependency.ready_expr {
            let field = format!("spec.dependsOn[{namespace}/{name}].readyExpr");
            let expr = Expr::compile(expression).map_err(|source| {
                KustomizationError::InvalidExpression {
                    field: field.clone(),
                    source,
                }
            })?;
            let dep_json = serde_json::to_value(&dep).unwrap_or_default();
            let ready = expr
                .eval_bool(&[("self", &self_json), ("dep", &dep_json)])
                .map_err(|source| KustomizationError::InvalidExpression { field, source })?;
            if !ready {
                return Err(not_ready(format!(
                    "'{namespace}/{name}' does not satisfy readyExpr '{expression}'"
                )));
            }
            continue;
        }
        let Some(status) = &dep.status else {
            return Err(not_ready(format!(
                "'{namespace}/{name}' has not been reconciled yet"
            )));
        };
        if status.observed_generation != dep.metadata.generation {
            return Err(not_ready(format!(
                "'{namespace}/{name}' is reconciling a new generation"
            )));
        }
        if !conditions::is_ready(&status.conditions) {
            return Err(not_ready(format!("'{namespace}/{name}' is not ready")));
        }
        if SourceKey::of(&dep) == SourceKey::of(kustomization)
            && status.last_applied_revision.as_deref() != Some(revision)
        {
            return Err(not_ready(format!(
                "'{namespace}/{name}' has not applied revision '{revision}' of the same source yet"
            )));
        }
    }
    Ok(())
}

/// Follows `dependsOn` from `kustomization`; a path back to it is a cycle, reported as
/// `a -> b -> a` (namespaced names).
pub(super) async fn find_cycle(
    client: &Client,
    kustomization: &Kustomization,
) -> Result<(), KustomizationError> {
    let start = (
        kustomization.namespace().unwrap_or_default(),
        kustomization.name_any(),
    );
    let mut queue: VecDeque<Vec<(String, String)>> = VecDeque::new();
    for edge in kustomization.dependencies() {
        queue.push_back(vec![start.clone(), edge]);
    }
    let mut visited = BTreeSet::new();
    while let Some(path) = queue.pop_front() {
        let Some(last) = path.last().cloned() else {
            continue;
        };
        if last == start {
            let text: Vec<String> = path
                .iter()
                .map(|(ns, name)| format!("{ns}/{name}"))
                .collect();
            return Err(KustomizationError::DependencyCycle(text.join(" -> ")));
        }
        if !visited.insert(last.clone()) || path.len() > 64 {
            continue;
        }
        let api: Api<Kustomization> = Api::namespaced(client.clone(), &last.0);
        // A missing dependency is reported by `check`; here it simply ends the path.
        let Ok(Some(next)) = api.get_opt(&last.1).await else {
            continue;
        };
        for edge in next.dependencies() {
            let mut longer = path.clone();
            longer.push(edge);
            queue.push_back(longer);
        }
    }
    Ok(())
}
