//! Patches: telling strategic merge from JSON 6902 patches, finding their targets, applying
//! them with kustomize's id rules (name, kind and namespace survive a strategic merge unless
//! the patch's options allow a change; a patch may delete its target).

pub(crate) mod json6902;
pub(crate) mod schema;
pub(crate) mod strategic;
pub(crate) mod target;

#[cfg(test)]
mod proptests;

use crate::kustomization::Selector;
use crate::resmap::{ResMap, id_text};
use crate::resource::{LoadError, Resource, objects_from_text};
use crate::value::Value;
use crate::yaml::parse::parse_stream_with;
use crate::yaml::scalar::Schema as YamlSchema;

/// A loaded patch.
#[derive(Debug, Clone)]
pub(crate) enum PatchContent {
    /// One or more strategic merge patches (objects with kind and name).
    Strategic(Vec<Value>),
    /// JSON 6902 operations.
    Json(Vec<json6902::Op>),
}

/// Options a `patches` entry may set.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PatchOptions {
    pub(crate) allow_name_change: bool,
    pub(crate) allow_kind_change: bool,
}

/// Parses a JSON 6902 patch: JSON when it starts with `[`, YAML (read like
/// `sigs.k8s.io/yaml`, i.e. YAML 1.1 scalars) otherwise.
pub(crate) fn parse_json_patch(text: &str) -> Result<Vec<json6902::Op>, String> {
    if text.is_empty() {
        return Err("empty json patch operations".into());
    }
    let docs = parse_stream_with(text, YamlSchema::V2).map_err(|e| e.to_string())?;
    let first = docs.into_iter().next().unwrap_or(Value::Null);
    if first.is_null() {
        return Ok(Vec::new());
    }
    json6902::decode_ops(&first)
}

fn short(text: &str) -> String {
    let t: String = text.chars().take(200).collect();
    if t.len() < text.len() {
        format!("{t}...")
    } else {
        t
    }
}

/// Decides whether `text` is a strategic merge or a JSON patch (exactly one must parse).
pub(crate) fn parse_patch(text: &str) -> Result<PatchContent, String> {
    let sm = objects_from_text(text);
    let json = parse_json_patch(text);
    match (sm, json) {
        (Ok(_), Ok(_)) => Err(format!(
            "illegally qualifies as both an SM and JSON patch: {}",
            short(text)
        )),
        (Err(e), Err(_)) => {
            let why = match e {
                LoadError::Yaml(y) => y.to_string(),
                LoadError::Invalid(m) => m,
            };
            Err(format!(
                "unable to parse SM or JSON patch ({why}) from: {}",
                short(text)
            ))
        }
        (Ok(sm), Err(_)) => Ok(PatchContent::Strategic(sm)),
        (Err(_), Ok(ops)) => Ok(PatchContent::Json(ops)),
    }
}

/// Applies one strategic merge patch to one object, keeping its name, kind and namespace
/// unless allowed to change. Returns false when the patch deleted the object.
fn apply_sm(
    res: &mut Resource,
    patch: &Value,
    opts: PatchOptions,
    adopt_name: bool,
) -> Result<bool, String> {
    let name = res.name();
    let ns = res.namespace();
    let kind = res.kind();
    if opts.allow_name_change || opts.allow_kind_change {
        res.store_previous_id();
    }
    let mut p = Resource::new(patch.clone());
    let patch_kind = p.kind();
    if adopt_name {
        p.set_name(&name);
        p.set_namespace(&ns);
    }
    p.set_api_version(&res.api_version());
    p.set_kind(&patch_kind);
    match strategic::apply(&res.obj, &p.obj)
        .map_err(|e| format!("{}: {e}", id_text(&res.cur_id())))?
    {
        None => {
            res.obj = Value::new_map();
            Ok(false)
        }
        Some(v) => {
            res.obj = v;
            if res.is_empty() {
                return Ok(false);
            }
            if !opts.allow_kind_change {
                res.set_kind(&kind);
            }
            if !opts.allow_name_change {
                res.set_name(&name);
            }
            res.set_namespace(&ns);
            Ok(true)
        }
    }
}

fn patch_id(patch: &Value) -> crate::resid::ResId {
    Resource::new(patch.clone()).cur_id()
}

/// Applies a `patches` entry (kustomize's PatchTransformer).
pub(crate) fn apply_patch(
    resmap: &mut ResMap,
    content: &PatchContent,
    target: Option<&Selector>,
    opts: PatchOptions,
) -> Result<(), String> {
    match content {
        PatchContent::Strategic(patches) => {
            if let Some(t) = target {
                if patches.len() > 1 {
                    return Err("multiple strategic merge patches in one `patches` entry may not set `target`".into());
                }
                let Some(patch) = patches.first() else {
                    return Ok(());
                };
                let idx = resmap.select(t)?;
                let mut deleted = Vec::new();
                for i in idx {
                    if !apply_sm(&mut resmap.list[i], patch, opts, true)? {
                        deleted.push(i);
                    }
                }
                remove_indices(resmap, deleted);
            } else {
                for patch in patches {
                    apply_by_id(resmap, patch, opts, "strategic merge patch")?;
                }
            }
            Ok(())
        }
        PatchContent::Json(ops) => {
            let Some(t) = target else {
                return Err("must specify a target for a JSON 6902 patch".into());
            };
            let idx = resmap.select(t)?;
            for i in idx {
                let r = &mut resmap.list[i];
                r.store_previous_id();
                let id = r.cur_id();
                json6902::apply(&mut r.obj, ops).map_err(|e| format!("{}: {e}", id_text(&id)))?;
                // kustomize re-sets the annotations from a map of strings afterwards.
                if let Some(Value::Map(ann)) = r.obj.get_path_mut(&["metadata", "annotations"]) {
                    for v in ann.values_mut() {
                        if let Some(t) = v.scalar_text() {
                            *v = Value::String(t);
                        }
                    }
                }
            }
            Ok(())
        }
    }
}

/// Applies a strategic merge patch to the one object with the patch's id (by any of its ids),
/// failing when there is none or more than one.
pub(crate) fn apply_by_id(
    resmap: &mut ResMap,
    patch: &Value,
    opts: PatchOptions,
    what: &str,
) -> Result<(), String> {
    let id = patch_id(patch);
    let matches = resmap.indices_by_any_id(|x| x.equals(&id));
    match matches.as_slice() {
        [] => Err(format!(
            "no resource matches {what} '{}' (no object has that id; failed to find unique target for patch)",
            id_text(&id)
        )),
        [i] => {
            let i = *i;
            if !apply_sm(&mut resmap.list[i], patch, opts, false)? {
                resmap.list.remove(i);
            }
            Ok(())
        }
        _ => Err(format!("multiple matches for {what} '{}'", id_text(&id))),
    }
}

fn remove_indices(resmap: &mut ResMap, mut idx: Vec<usize>) {
    idx.sort_unstable();
    for i in idx.into_iter().rev() {
        resmap.list.remove(i);
    }
}
