//! Diff before apply (`capstan diff`, drift reports): each object's dry-run result against the
//! live object as a unified YAML diff, Secret data masked as Flux does, plus what would be
//! created and what prune would delete.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use capstan_api::meta::ResourceInventory;
use futures::StreamExt;
use futures::stream;
use serde_json::{Map, Value};
use similar::TextDiff;

use crate::apply::{Applier, CrdDefinitions, fix_scope, prepare};
use crate::changeset::Action;
use crate::drift::{comparable, has_drifted, ignore_paths_for};
use crate::dry_run::{Outcome, dry_run};
use crate::error::{ApplyError, DiffError, ResourceError};
use crate::inventory;
use crate::object::ObjMetadata;
use crate::order;
use crate::prune::DeleteOptions;

type JsonMap = Map<String, Value>;

const MASK: &str = "***";
const MASK_BEFORE: &str = "*** (before)";
const MASK_AFTER: &str = "*** (after)";

/// The diff of one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectDiff {
    /// The object.
    pub object: ObjMetadata,
    /// What an apply would do: created, configured, unchanged, skipped, or deleted (prune).
    pub action: Action,
    /// For configured objects, a unified diff of the live object (`---`) against the dry-run
    /// result (`+++`) as YAML, server-managed fields left out; empty otherwise.
    pub diff: String,
}

impl Applier {
    /// Computes what applying `objects` would do, without changing the cluster.
    ///
    /// Objects whose CRD or Namespace the set itself creates cannot be dry-run and are reported
    /// `created`. With `previous`, objects of that inventory missing from the set that prune
    /// would delete (live, carrying the owner labels, not opted out) are reported `deleted`.
    pub async fn diff(
        &self,
        objects: Vec<Value>,
        previous: Option<&ResourceInventory>,
    ) -> Result<Vec<ObjectDiff>, DiffError> {
        let options = self.options();
        let mut desired =
            prepare(objects, &options.owner_labels).map_err(DiffError::from_prepare)?;
        let definitions = CrdDefinitions::of(&desired);
        let set_namespaces: BTreeSet<String> = desired
            .iter()
            .filter(|d| d.meta.is_namespace())
            .map(|d| d.meta.name.clone())
            .collect();
        let mut resolved = Vec::with_capacity(desired.len());
        for item in desired.iter_mut() {
            match self.resources().resolve(&item.meta).await {
                Ok(found) => {
                    fix_scope(item, Some(found.namespaced)).map_err(DiffError::from_prepare)?;
                    resolved.push(Some(found));
                }
                Err(ResourceError::UnknownKind { .. }) if definitions.defines(&item.meta) => {
                    fix_scope(item, definitions.is_namespaced(&item.meta))
                        .map_err(DiffError::from_prepare)?;
                    resolved.push(None);
                }
                Err(error) => return Err(error.into()),
            }
        }
        let mut pairs: Vec<_> = desired.into_iter().zip(resolved).collect();
        pairs.sort_by(|a, b| order::compare(&a.0.meta, &b.0.meta));

        let results: Vec<Result<ObjectDiff, DiffOutcome>> = stream::iter(pairs.iter())
            .map(|(item, found)| {
                let set_namespaces = &set_namespaces;
                async move {
                    let Some(found) = found else {
                        return Ok(created(&item.meta));
                    };
                    let namespace = &item.meta.namespace;
                    if !namespace.is_empty()
                        && set_namespaces.contains(namespace)
                        && !self.namespace_is_live(namespace).await?
                    {
                        return Ok(created(&item.meta));
                    }
                    let api = self.resources().api(found, namespace);
                    let run =
                        dry_run(&api, item, &options.field_manager)
                            .await
                            .map_err(|source| {
                                DiffOutcome::Error(DiffError::Get {
                                    object: item.meta.clone(),
                                    source,
                                })
                            })?;
                    let merged = match run.outcome {
                        Outcome::Skipped => {
                            return Ok(ObjectDiff {
                                object: item.meta.clone(),
                                action: Action::Skipped,
                                diff: String::new(),
                            });
                        }
                        Outcome::Refused(refusal) | Outcome::Immutable(refusal) => {
                            return Err(DiffOutcome::Refused(refusal));
                        }
                        Outcome::Merged(merged) => merged,
                    };
                    let Some(live) = run.live else {
                        return Ok(created(&item.meta));
                    };
                    let ignore = ignore_paths_for(&options.drift_ignore, &item.meta, &item.object);
                    if !has_drifted(&live, &merged, &ignore) {
                        return Ok(ObjectDiff {
                            object: item.meta.clone(),
                            action: Action::Unchanged,
                            diff: String::new(),
                        });
                    }
                    Ok(ObjectDiff {
                        object: item.meta.clone(),
                        action: Action::Configured,
                        diff: unified_diff(&item.meta, &live, &merged, &ignore),
                    })
                }
            })
            .buffered(options.concurrency.max(1))
            .collect()
            .await;

        let mut diffs = Vec::with_capacity(results.len());
        let mut refused = Vec::new();
        for result in results {
            match result {
                Ok(diff) => diffs.push(diff),
                Err(DiffOutcome::Refused(refusal)) => refused.push(refusal),
                Err(DiffOutcome::Error(error)) => return Err(error),
            }
        }
        if !refused.is_empty() {
            return Err(DiffError::DryRun { refused });
        }

        if let Some(previous) = previous {
            let current = inventory::from_change_set(&crate::changeset::ChangeSet {
                entries: diffs
                    .iter()
                    .map(|d| crate::changeset::ChangeSetEntry {
                        object: d.object.clone(),
                        action: d.action,
                    })
                    .collect(),
            });
            let stale =
                inventory::stale_objects(previous, &current).map_err(DiffError::Inventory)?;
            let delete = DeleteOptions::flux(options.owner_labels.clone());
            for object in stale.into_iter().rev() {
                if self.would_delete(&object, &delete).await {
                    diffs.push(ObjectDiff {
                        object,
                        action: Action::Deleted,
                        diff: String::new(),
                    });
                }
            }
        }
        Ok(diffs)
    }

    async fn namespace_is_live(&self, name: &str) -> Result<bool, DiffOutcome> {
        let meta = ObjMetadata::new("", "v1", "Namespace", "", name);
        let resolved = self
            .resources()
            .resolve(&meta)
            .await
            .map_err(|e| DiffOutcome::Error(e.into()))?;
        self.resources()
            .api(&resolved, "")
            .get_opt(name)
            .await
            .map(|found| found.is_some())
            .map_err(|source| {
                DiffOutcome::Error(DiffError::Get {
                    object: meta,
                    source,
                })
            })
    }
}

enum DiffOutcome {
    Refused(crate::error::Refusal),
    Error(DiffError),
}

impl DiffError {
    fn from_prepare(error: ApplyError) -> DiffError {
        match error {
            ApplyError::Object(e) => DiffError::Object(e),
            ApplyError::MissingNamespace { object } => DiffError::MissingNamespace { object },
            ApplyError::Duplicate { object } => DiffError::Duplicate { object },
            ApplyError::Discovery(e) => DiffError::Resource(e),
            ApplyError::Get { object, source } => DiffError::Get { object, source },
            ApplyError::Validation { refused, .. }
            | ApplyError::Apply {
                failures: refused, ..
            } => DiffError::DryRun { refused },
            ApplyError::StageNotReady { source, .. } => DiffError::DryRun {
                refused: source
                    .unhealthy()
                    .iter()
                    .map(|u| crate::error::Refusal {
                        object: u.object.clone(),
                        reason: String::new(),
                        message: u.message.clone(),
                    })
                    .collect(),
            },
        }
    }
}

fn created(meta: &ObjMetadata) -> ObjectDiff {
    ObjectDiff {
        object: meta.clone(),
        action: Action::Created,
        diff: String::new(),
    }
}

/// A unified diff of two objects as YAML, server-managed fields, `status` and `ignore_paths`
/// left out, Secret data masked; the headers name the object.
pub fn unified_diff(
    meta: &ObjMetadata,
    live: &Value,
    merged: &Value,
    ignore_paths: &[String],
) -> String {
    let mut live = comparable(live, ignore_paths);
    let mut merged = comparable(merged, ignore_paths);
    if meta.is_secret() {
        mask_secret_data(&mut live, &mut merged);
    }
    let before = serde_yaml::to_string(&live).unwrap_or_default();
    let after = serde_yaml::to_string(&merged).unwrap_or_default();
    TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{meta} (live)"), &format!("{meta} (merged)"))
        .to_string()
}

/// Masks the values of a Secret's `data` and `stringData` in both versions, as Flux's
/// `SanitizeUnstructuredData`: a key whose value changed reads `*** (before)` / `*** (after)`,
/// any other key `***`, so a diff shows which keys changed and never a value.
pub fn mask_secret_data(before: &mut Value, after: &mut Value) {
    for field in ["data", "stringData"] {
        let old = before.get(field).and_then(Value::as_object).cloned();
        let new = after.get(field).and_then(Value::as_object).cloned();
        let (old_masked, new_masked) = mask_maps(old.as_ref(), new.as_ref());
        if let (Some(masked), Some(root)) = (old_masked, before.as_object_mut()) {
            root.insert(field.into(), Value::Object(masked));
        }
        if let (Some(masked), Some(root)) = (new_masked, after.as_object_mut()) {
            root.insert(field.into(), Value::Object(masked));
        }
    }
}

fn mask_maps(
    old: Option<&Map<String, Value>>,
    new: Option<&Map<String, Value>>,
) -> (Option<JsonMap>, Option<JsonMap>) {
    let mask = |s: &str| Value::String(s.to_string());
    let old_masked = old.map(|old| {
        old.iter()
            .map(|(k, v)| {
                let changed = new.and_then(|n| n.get(k)).is_some_and(|nv| nv != v);
                (k.clone(), mask(if changed { MASK_BEFORE } else { MASK }))
            })
            .collect()
    });
    let new_masked = new.map(|new| {
        new.iter()
            .map(|(k, v)| {
                let changed = old.and_then(|o| o.get(k)).is_some_and(|ov| ov != v);
                (k.clone(), mask(if changed { MASK_AFTER } else { MASK }))
            })
            .collect()
    });
    (old_masked, new_masked)
}

/// Replaces every value of a Secret (`data` as written and base64-decoded, `stringData`) found
/// in `message` by `***`, so an apiserver message quoting a value cannot leak it. Values shorter
/// than four characters are only replaced when quoted, to keep the message readable.
pub fn mask_secret_values(message: &str, secret: &Value) -> String {
    let mut values: Vec<String> = Vec::new();
    for field in ["data", "stringData"] {
        let Some(map) = secret.get(field).and_then(Value::as_object) else {
            continue;
        };
        for value in map.values() {
            let Some(text) = value.as_str() else { continue };
            values.push(text.to_string());
            if field == "data"
                && let Ok(decoded) = STANDARD.decode(text)
                && let Ok(decoded) = String::from_utf8(decoded)
            {
                values.push(decoded);
            }
        }
    }
    // Longest first, so a value containing another is replaced whole.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut masked = message.to_string();
    for value in values.iter().filter(|v| !v.is_empty()) {
        if value.len() >= 4 {
            masked = masked.replace(value.as_str(), MASK);
        } else {
            masked = masked.replace(&format!("\"{value}\""), &format!("\"{MASK}\""));
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_shows_changed_fields_without_server_metadata() {
        let meta = ObjMetadata::new("apps", "v1", "Deployment", "apps", "web");
        let live = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "apps", "resourceVersion": "1", "generation": 1,
                "managedFields": [{"manager": "x"}]},
            "spec": {"replicas": 5}, "status": {"replicas": 5}});
        let mut merged = live.clone();
        merged["spec"]["replicas"] = json!(2);
        merged["metadata"]["generation"] = json!(2);
        let diff = unified_diff(&meta, &live, &merged, &[]);
        assert!(diff.contains("--- Deployment/apps/web (live)"), "{diff}");
        assert!(diff.contains("+++ Deployment/apps/web (merged)"), "{diff}");
        assert!(diff.contains("-  replicas: 5"), "{diff}");
        assert!(diff.contains("+  replicas: 2"), "{diff}");
        assert!(!diff.contains("generation"), "{diff}");
        assert!(!diff.contains("managedFields"), "{diff}");
    }

    #[test]
    fn secret_data_is_masked_with_change_markers() {
        let meta = ObjMetadata::new("", "v1", "Secret", "apps", "creds");
        let live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
            "data": {"same": "c2FtZQ==", "changed": "b2xk", "gone": "eA=="}});
        let merged = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
            "data": {"same": "c2FtZQ==", "changed": "bmV3", "added": "eQ=="}});
        let diff = unified_diff(&meta, &live, &merged, &[]);
        for secret in ["c2FtZQ==", "b2xk", "bmV3", "eA==", "eQ=="] {
            assert!(!diff.contains(secret), "{diff}");
        }
        assert!(diff.contains("-  changed: '*** (before)'"), "{diff}");
        assert!(diff.contains("+  changed: '*** (after)'"), "{diff}");
        assert!(diff.contains("+  added: '***'"), "{diff}");
        assert!(diff.contains("-  gone: '***'"), "{diff}");
        assert!(diff.contains("   same: '***'"), "{diff}");
    }

    #[test]
    fn secret_values_are_masked_in_messages() {
        let secret = json!({"data": {"password": STANDARD.encode("hunter22")},
            "stringData": {"pin": "42"}});
        let message = format!(
            "Secret \"s\" is invalid: data[password]: Invalid value: \"{}\" (hunter22), pin: \"42\"",
            STANDARD.encode("hunter22")
        );
        let masked = mask_secret_values(&message, &secret);
        assert!(!masked.contains("hunter22"), "{masked}");
        assert!(!masked.contains(&STANDARD.encode("hunter22")), "{masked}");
        assert!(!masked.contains("\"42\""), "{masked}");
        assert!(masked.contains("data[password]"), "{masked}");
    }
}
