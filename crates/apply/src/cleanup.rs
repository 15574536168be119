//! Managed-fields cleanup, pure: the patch that hands fields edited by `kubectl` (and other
//! listed managers) to the controller's apply manager, so the next apply removes what the
//! manifests no longer set and a manual edit is reverted.
//!
//! As Flux's `PatchReplaceFieldsManagers`: the entries of matching managers (by name prefix and
//! operation, main resource only) are merged into the controller's own `Apply` entry, or the
//! first one is renamed into it. Removing them instead would leave their fields unowned, and
//! server-side apply never deletes a field it does not own.

use serde_json::{Map, Value, json};

/// The operation of a `managedFields` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManagedFieldsOperation {
    /// Server-side apply.
    Apply,
    /// Create, update or patch.
    Update,
}

impl ManagedFieldsOperation {
    fn as_str(self) -> &'static str {
        match self {
            ManagedFieldsOperation::Apply => "Apply",
            ManagedFieldsOperation::Update => "Update",
        }
    }
}

/// A field manager whose fields are taken over; `name` matches as a prefix (`kubectl` matches
/// `kubectl-edit`, `kubectl-client-side-apply`, `kubectl-scale`...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldManager {
    /// Manager name prefix.
    pub name: String,
    /// The operation the entry must have.
    pub operation: ManagedFieldsOperation,
}

impl FieldManager {
    /// A manager matched by name prefix and operation.
    pub fn new(name: impl Into<String>, operation: ManagedFieldsOperation) -> Self {
        Self {
            name: name.into(),
            operation,
        }
    }
}

/// What the cleanup removes from live objects before applying (skipped for `ssa: Merge`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CleanupOptions {
    /// Annotation keys to remove.
    pub annotations: Vec<String>,
    /// Label keys to remove.
    pub labels: Vec<String>,
    /// Managers whose fields the controller takes over.
    pub managers: Vec<FieldManager>,
}

impl CleanupOptions {
    /// kustomize-controller's list: the `kubectl` last-applied annotation and Flux v1 leftovers;
    /// managers `kubectl` (Apply and Update, any `kubectl-*`), `before-first-apply` (Update) and
    /// the controller's own `Update` entries (from before it used server-side apply).
    pub fn flux(field_manager: &str) -> Self {
        Self {
            annotations: vec![
                "kubectl.kubernetes.io/last-applied-configuration".to_string(),
                capstan_api::annotation::KUSTOMIZE_CHECKSUM.to_string(),
                "fluxcd.io/sync-checksum".to_string(),
            ],
            labels: vec!["fluxcd.io/sync-gc-mark".to_string()],
            managers: vec![
                FieldManager::new("kubectl", ManagedFieldsOperation::Apply),
                FieldManager::new("kubectl", ManagedFieldsOperation::Update),
                FieldManager::new("before-first-apply", ManagedFieldsOperation::Update),
                FieldManager::new(field_manager, ManagedFieldsOperation::Update),
            ],
        }
    }

    /// Adds managers whose Apply and Update entries are taken over too (Flux's
    /// `--override-manager`).
    pub fn with_override_managers<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for name in names {
            let name = name.into();
            self.managers.push(FieldManager::new(
                name.clone(),
                ManagedFieldsOperation::Apply,
            ));
            self.managers
                .push(FieldManager::new(name, ManagedFieldsOperation::Update));
        }
        self
    }
}

/// A JSON merge patch cleaning `live`, or `None` when nothing needs cleaning. The patch pins
/// `resourceVersion`, so a concurrent write makes it fail instead of being overwritten.
pub(crate) fn cleanup_patch(
    live: &Value,
    options: &CleanupOptions,
    field_manager: &str,
) -> Option<Value> {
    let metadata = live.get("metadata")?.as_object()?;
    let mut patch = Map::new();

    let remove = |field: &str, keys: &[String]| -> Option<Value> {
        let present = metadata.get(field)?.as_object()?;
        let nulls: Map<String, Value> = keys
            .iter()
            .filter(|k| present.contains_key(k.as_str()))
            .map(|k| (k.clone(), Value::Null))
            .collect();
        (!nulls.is_empty()).then_some(Value::Object(nulls))
    };
    if let Some(annotations) = remove("annotations", &options.annotations) {
        patch.insert("annotations".into(), annotations);
    }
    if let Some(labels) = remove("labels", &options.labels) {
        patch.insert("labels".into(), labels);
    }
    if let Some(entries) = metadata.get("managedFields").and_then(Value::as_array)
        && let Some(replaced) = take_over_managers(entries, &options.managers, field_manager)
    {
        patch.insert("managedFields".into(), Value::Array(replaced));
    }
    if patch.is_empty() {
        return None;
    }
    if let Some(rv) = metadata.get("resourceVersion") {
        patch.insert("resourceVersion".into(), rv.clone());
    }
    Some(json!({ "metadata": patch }))
}

/// The new `managedFields`, or `None` when no entry matches.
fn take_over_managers(
    entries: &[Value],
    managers: &[FieldManager],
    field_manager: &str,
) -> Option<Vec<Value>> {
    let field = |entry: &Value, name: &str| {
        entry
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let own_apply = entries
        .iter()
        .position(|e| field(e, "manager") == field_manager && field(e, "operation") == "Apply");
    let mut merged: Option<Value> = own_apply.map(|i| entries[i].clone());
    let mut kept = Vec::with_capacity(entries.len());
    let mut edited = false;
    for (i, entry) in entries.iter().enumerate() {
        if Some(i) == own_apply {
            continue;
        }
        let manager = field(entry, "manager");
        let operation = field(entry, "operation");
        let matches = field(entry, "subresource").is_empty()
            && managers
                .iter()
                .any(|m| manager.starts_with(&m.name) && operation == m.operation.as_str());
        if !matches {
            kept.push(entry.clone());
            continue;
        }
        edited = true;
        match merged.as_mut() {
            None => {
                let mut renamed = entry.clone();
                if let Some(map) = renamed.as_object_mut() {
                    map.insert("manager".into(), Value::String(field_manager.to_string()));
                    map.insert("operation".into(), Value::String("Apply".into()));
                }
                merged = Some(renamed);
            }
            Some(target) => {
                let incoming = entry.get("fieldsV1").cloned().unwrap_or(Value::Null);
                if let Some(map) = target.as_object_mut() {
                    let current = map.entry("fieldsV1").or_insert(Value::Null);
                    merge_field_sets(current, &incoming);
                }
            }
        }
    }
    if !edited {
        return None;
    }
    kept.extend(merged);
    if kept.is_empty() {
        // An empty list means "unchanged" to the apiserver; a single empty entry resets.
        kept.push(json!({}));
    }
    Some(kept)
}

/// Union of two `FieldsV1` tries: the JSON form of a field set is a trie whose keys are path
/// elements, so a recursive map merge is the set union.
fn merge_field_sets(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in b {
                match a.get_mut(key) {
                    Some(existing) => merge_field_sets(existing, value),
                    None => {
                        a.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (into @ Value::Null, from) => *into = from.clone(),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANAGER: &str = "kustomize-controller";

    fn entry(manager: &str, operation: &str, fields: Value) -> Value {
        json!({"manager": manager, "operation": operation, "apiVersion": "apps/v1",
               "fieldsType": "FieldsV1", "fieldsV1": fields})
    }

    fn live(entries: Vec<Value>) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "resourceVersion": "7", "managedFields": entries,
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "keep": "x"}}})
    }

    #[test]
    fn kubectl_edits_are_merged_into_the_controller_apply_entry() {
        let obj = live(vec![
            entry(MANAGER, "Apply", json!({"f:spec": {"f:replicas": {}}})),
            entry(
                "kubectl-edit",
                "Update",
                json!({"f:spec": {"f:paused": {}}}),
            ),
            entry("kube-controller-manager", "Update", json!({"f:status": {}})),
            entry(
                "kubectl",
                "Update",
                json!({"f:metadata": {"f:labels": {"f:x": {}}}}),
            ),
        ]);
        let patch = cleanup_patch(&obj, &CleanupOptions::flux(MANAGER), MANAGER).unwrap();
        let metadata = &patch["metadata"];
        assert_eq!(metadata["resourceVersion"], "7");
        assert_eq!(
            metadata["annotations"],
            json!({"kubectl.kubernetes.io/last-applied-configuration": null})
        );
        let fields = metadata["managedFields"].as_array().unwrap();
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[0]["manager"], "kube-controller-manager");
        assert_eq!(fields[1]["manager"], MANAGER);
        assert_eq!(fields[1]["operation"], "Apply");
        assert_eq!(
            fields[1]["fieldsV1"],
            json!({"f:spec": {"f:replicas": {}, "f:paused": {}}, "f:metadata": {"f:labels": {"f:x": {}}}})
        );
    }

    #[test]
    fn first_match_is_renamed_when_the_controller_has_no_apply_entry() {
        let obj = live(vec![entry(
            "kubectl-client-side-apply",
            "Update",
            json!({"f:spec": {}}),
        )]);
        let patch = cleanup_patch(&obj, &CleanupOptions::flux(MANAGER), MANAGER).unwrap();
        let fields = patch["metadata"]["managedFields"].as_array().unwrap();
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0]["manager"], MANAGER);
        assert_eq!(fields[0]["operation"], "Apply");
    }

    #[test]
    fn clean_objects_need_no_patch() {
        let obj = json!({"metadata": {"name": "web", "resourceVersion": "1", "managedFields": [
            entry(MANAGER, "Apply", json!({})),
            entry("kube-controller-manager", "Update", json!({}))]}});
        assert_eq!(
            cleanup_patch(&obj, &CleanupOptions::flux(MANAGER), MANAGER),
            None
        );
    }

    #[test]
    fn controller_update_entries_and_override_managers_are_taken_over() {
        let obj = json!({"metadata": {"name": "web", "managedFields": [
            entry(MANAGER, "Update", json!({"f:data": {}})),
            entry("helm", "Apply", json!({"f:spec": {}}))]}});
        let options = CleanupOptions::flux(MANAGER).with_override_managers(["helm"]);
        let patch = cleanup_patch(&obj, &options, MANAGER).unwrap();
        let fields = patch["metadata"]["managedFields"].as_array().unwrap();
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0]["fieldsV1"], json!({"f:data": {}, "f:spec": {}}));
    }

    #[test]
    fn subresource_entries_are_left_alone() {
        let mut scale = entry("kubectl", "Update", json!({"f:spec": {"f:replicas": {}}}));
        scale["subresource"] = json!("scale");
        let obj = json!({"metadata": {"name": "web", "managedFields": [scale]}});
        assert_eq!(
            cleanup_patch(&obj, &CleanupOptions::flux(MANAGER), MANAGER),
            None
        );
    }
}
