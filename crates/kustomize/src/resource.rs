//! One object during a build, with the bookkeeping kustomize keeps in build annotations
//! (previous ids, prefixes and suffixes applied, hash and merge flags), and the reading of
//! objects from YAML files.

use crate::kustomization::Behavior;
use crate::resid::{Gvk, ResId};
use crate::value::{Map, Value, ensure_map};
use crate::yaml::YamlError;
use crate::yaml::parse::parse_stream;

/// An id an object had before a rename (kustomize's `previousNames/Namespaces/Kinds`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrevId {
    pub(crate) name: String,
    /// The effective namespace at the time (`default`, `_non_namespaceable_`...).
    pub(crate) namespace: String,
    pub(crate) kind: String,
}

/// Where a resource came from, for the `config.kubernetes.io/origin` annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Read from a file (path relative to the top kustomization).
    File(String),
    /// Produced by a generator configured in a kustomization file.
    Generated {
        configured_in: String,
        kind: &'static str,
    },
}

/// Per-object build bookkeeping that never reaches the output.
#[derive(Debug, Clone, Default)]
pub(crate) struct BuildMeta {
    pub(crate) prev: Vec<PrevId>,
    pub(crate) prefixes: Vec<String>,
    pub(crate) suffixes: Vec<String>,
    pub(crate) needs_hash: bool,
    pub(crate) behavior: Behavior,
    pub(crate) ref_var_names: Vec<String>,
    pub(crate) origin: Option<Origin>,
    /// Transformers that touched the object: (configured in, kind).
    pub(crate) transformations: Vec<(String, &'static str)>,
}

/// An object being built.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    pub(crate) obj: Value,
    pub(crate) meta: BuildMeta,
}

fn text_at(obj: &Value, path: &[&str]) -> String {
    obj.get_path(path)
        .and_then(Value::scalar_text)
        .unwrap_or_default()
}

impl Resource {
    pub(crate) fn new(obj: Value) -> Resource {
        Resource {
            obj,
            meta: BuildMeta::default(),
        }
    }

    pub(crate) fn api_version(&self) -> String {
        text_at(&self.obj, &["apiVersion"])
    }

    pub(crate) fn kind(&self) -> String {
        text_at(&self.obj, &["kind"])
    }

    pub(crate) fn name(&self) -> String {
        text_at(&self.obj, &["metadata", "name"])
    }

    /// Whether the current or a previous name is `name` (cheap: no allocation for string names).
    pub(crate) fn has_or_had_name(&self, name: &str) -> bool {
        let cur = match self.obj.get_path(&["metadata", "name"]) {
            Some(Value::String(s)) => s == name,
            Some(v) => v.scalar_text().as_deref() == Some(name),
            None => name.is_empty(),
        };
        cur || self.meta.prev.iter().any(|p| p.name == name)
    }

    pub(crate) fn namespace(&self) -> String {
        text_at(&self.obj, &["metadata", "namespace"])
    }

    pub(crate) fn gvk(&self) -> Gvk {
        Gvk::from_api_version(&self.api_version(), &self.kind())
    }

    pub(crate) fn cur_id(&self) -> ResId {
        ResId {
            gvk: self.gvk(),
            name: self.name(),
            namespace: self.namespace(),
        }
    }

    /// Previous ids, with the current group and version (as kustomize rebuilds them).
    pub(crate) fn prev_ids(&self) -> Vec<ResId> {
        let gvk = self.gvk();
        self.meta
            .prev
            .iter()
            .map(|p| ResId {
                gvk: Gvk {
                    group: gvk.group.clone(),
                    version: gvk.version.clone(),
                    kind: p.kind.clone(),
                },
                name: p.name.clone(),
                namespace: p.namespace.clone(),
            })
            .collect()
    }

    /// The id the object had when it was read (its first previous id, or the current one).
    pub(crate) fn org_id(&self) -> ResId {
        self.prev_ids()
            .into_iter()
            .next()
            .unwrap_or_else(|| self.cur_id())
    }

    /// Previous ids followed by the current id.
    pub(crate) fn all_ids(&self) -> Vec<ResId> {
        let mut ids = self.prev_ids();
        ids.push(self.cur_id());
        ids
    }

    /// Remembers the current id before a rename.
    pub(crate) fn store_previous_id(&mut self) {
        let id = self.cur_id();
        let ns = id.effective_namespace();
        self.meta.prev.push(PrevId {
            name: id.name,
            namespace: ns,
            kind: id.gvk.kind,
        });
    }

    fn meta_mut(&mut self) -> Option<&mut Map> {
        ensure_map(&mut self.obj, "metadata")
    }

    pub(crate) fn set_name(&mut self, name: &str) {
        if let Some(m) = self.meta_mut() {
            m.insert("name".into(), Value::String(name.to_string()));
        }
    }

    /// Sets `metadata.namespace`; an empty namespace removes the field (kyaml's SetNamespace).
    pub(crate) fn set_namespace(&mut self, ns: &str) {
        if let Some(m) = self.meta_mut() {
            if ns.is_empty() {
                m.shift_remove("namespace");
            } else {
                m.insert("namespace".into(), Value::String(ns.to_string()));
            }
        }
    }

    pub(crate) fn set_kind(&mut self, kind: &str) {
        if let Some(m) = self.obj.as_map_mut() {
            m.insert("kind".into(), Value::String(kind.to_string()));
        }
    }

    pub(crate) fn set_api_version(&mut self, av: &str) {
        if let Some(m) = self.obj.as_map_mut() {
            m.insert("apiVersion".into(), Value::String(av.to_string()));
        }
    }

    /// Labels (or annotations) as strings; non-string values become their text.
    pub(crate) fn string_map_at(&self, field: &str) -> Vec<(String, String)> {
        match self.obj.get_path(&["metadata", field]) {
            Some(Value::Map(m)) => m
                .iter()
                .map(|(k, v)| (k.clone(), v.scalar_text().unwrap_or_default()))
                .collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn labels(&self) -> Vec<(String, String)> {
        self.string_map_at("labels")
    }

    pub(crate) fn annotations(&self) -> Vec<(String, String)> {
        self.string_map_at("annotations")
    }

    /// Sets one label / annotation, creating the map.
    pub(crate) fn set_meta_entry(&mut self, field: &str, key: &str, value: &str) {
        if let Some(meta) = self.meta_mut() {
            let e = meta.entry(field.to_string()).or_insert(Value::Null);
            if !matches!(e, Value::Map(_)) {
                *e = Value::new_map();
            }
            if let Value::Map(m) = e {
                m.insert(key.to_string(), Value::String(value.to_string()));
            }
        }
    }

    /// Whether the object is empty (a patch with `$patch: delete` leaves nothing).
    pub(crate) fn is_empty(&self) -> bool {
        self.obj.is_nil_or_empty()
    }
}

/// Why objects could not be read from a file.
#[derive(Debug)]
pub(crate) enum LoadError {
    Yaml(YamlError),
    Invalid(String),
}

fn meta_summary(obj: &Value) -> String {
    let av = obj
        .get("apiVersion")
        .and_then(Value::scalar_text)
        .unwrap_or_default();
    let kind = obj
        .get("kind")
        .and_then(Value::scalar_text)
        .unwrap_or_default();
    let name = obj
        .get_path(&["metadata", "name"])
        .and_then(Value::scalar_text)
        .unwrap_or_default();
    format!("apiVersion '{av}', kind '{kind}', name '{name}'")
}

/// Validates one document like kyaml's `GetValidatedMetadata`.
fn validate(obj: &Value) -> Result<(), String> {
    if !matches!(obj, Value::Map(_)) {
        return Err("missing Resource metadata (the document is not a mapping)".into());
    }
    if let Some(m) = obj.get("metadata")
        && !matches!(m, Value::Map(_) | Value::Null)
    {
        return Err(format!(
            "metadata is not a mapping in object with {}",
            meta_summary(obj)
        ));
    }
    let kind = obj
        .get("kind")
        .and_then(Value::scalar_text)
        .unwrap_or_default();
    if kind.is_empty() {
        return Err(format!("missing kind in object with {}", meta_summary(obj)));
    }
    if kind.ends_with("List") {
        return Ok(());
    }
    let name = obj
        .get_path(&["metadata", "name"])
        .and_then(Value::scalar_text)
        .unwrap_or_default();
    if name.is_empty() {
        return Err(format!(
            "missing metadata.name in object with {}",
            meta_summary(obj)
        ));
    }
    Ok(())
}

/// Reads the objects of a YAML stream: empty documents are skipped, `*List` objects with
/// `items` are expanded (their items go after the other documents, as in kustomize).
pub(crate) fn objects_from_text(text: &str) -> Result<Vec<Value>, LoadError> {
    let docs = parse_stream(text).map_err(LoadError::Yaml)?;
    let mut queue: std::collections::VecDeque<Value> = std::collections::VecDeque::new();
    for d in docs {
        if d.is_null() {
            continue;
        }
        if let Value::Map(m) = &d
            && m.is_empty()
        {
            continue;
        }
        validate(&d).map_err(LoadError::Invalid)?;
        queue.push_back(d);
    }
    let mut out = Vec::new();
    while let Some(obj) = queue.pop_front() {
        let kind = obj
            .get("kind")
            .and_then(Value::scalar_text)
            .unwrap_or_default();
        if !kind.ends_with("List") {
            out.push(obj);
            continue;
        }
        match obj.get("items") {
            None => out.push(obj),
            Some(Value::Null) => {}
            Some(Value::Seq(items)) => {
                for item in items {
                    if item.is_null() {
                        return Err(LoadError::Invalid(format!("empty item in {kind}/items")));
                    }
                    validate(item).map_err(LoadError::Invalid)?;
                    queue.push_back(item.clone());
                }
            }
            Some(other) => {
                return Err(LoadError::Invalid(format!(
                    "expected array for {kind}/items, found {}",
                    other.kind_name()
                )));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_expand_after_the_other_documents() {
        let objs = objects_from_text(
            "kind: List\napiVersion: v1\nitems:\n- {kind: A, metadata: {name: a}}\n---\nkind: C\nmetadata: {name: c}\n",
        )
        .unwrap();
        let names: Vec<String> = objs
            .iter()
            .map(|o| text_at(o, &["metadata", "name"]))
            .collect();
        assert_eq!(names, vec!["c", "a"]);
    }

    #[test]
    fn objects_need_kind_and_name() {
        assert!(matches!(
            objects_from_text("kind: A\n"),
            Err(LoadError::Invalid(_))
        ));
        assert!(matches!(
            objects_from_text("metadata: {name: a}\n"),
            Err(LoadError::Invalid(_))
        ));
        assert!(matches!(
            objects_from_text("- a\n"),
            Err(LoadError::Invalid(_))
        ));
    }
}
