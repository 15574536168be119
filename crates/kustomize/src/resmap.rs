//! The ordered set of objects a kustomization accumulates, with kustomize's id rules:
//! appends refuse a second object with the same current id; generated objects are created,
//! merged into or replace an existing one according to their `behavior`.

use crate::kustomization::{Behavior, Selector};
use crate::patch::target::SelectorRegex;
use std::collections::HashSet;

use crate::resid::{Gvk, ResId};
use crate::resource::Resource;
use crate::value::{Map, Value};

/// Objects in build order.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResMap {
    pub(crate) list: Vec<Resource>,
}

/// A hashable form of kustomize's id equality (gvk, name, effective namespace).
#[derive(Hash, PartialEq, Eq)]
struct IdKey(Gvk, String, String);

impl IdKey {
    fn of(id: &ResId) -> IdKey {
        IdKey(id.gvk.clone(), id.name.clone(), id.effective_namespace())
    }
}

/// kustomize's id text in conflict messages: `Kind.version.group/name.namespace`.
pub(crate) fn id_text(id: &ResId) -> String {
    let g = if id.gvk.group.is_empty() {
        "[noGrp]"
    } else {
        &id.gvk.group
    };
    let ns = if id.namespace.is_empty() {
        "[noNs]"
    } else {
        &id.namespace
    };
    format!(
        "{}.{}.{}/{}.{}",
        id.gvk.kind, id.gvk.version, g, id.name, ns
    )
}

fn merge_string_maps(base: &Value, over: &Value) -> Value {
    let mut out = Map::new();
    if let Value::Map(b) = base {
        for (k, v) in b {
            out.insert(k.clone(), v.clone());
        }
    }
    if let Value::Map(o) = over {
        for (k, v) in o {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Map(out)
}

impl ResMap {
    /// Appends one object; refuses a second object with the same current id.
    pub(crate) fn append(&mut self, r: Resource) -> Result<(), String> {
        self.append_all(vec![r])
    }

    /// Appends several objects, refusing any whose current id is already taken.
    pub(crate) fn append_all(&mut self, rs: Vec<Resource>) -> Result<(), String> {
        let mut seen: HashSet<IdKey> = self.list.iter().map(|x| IdKey::of(&x.cur_id())).collect();
        for r in rs {
            let id = r.cur_id();
            if !seen.insert(IdKey::of(&id)) {
                return Err(format!(
                    "may not add resource with an already registered id: {}",
                    id_text(&id)
                ));
            }
            self.list.push(r);
        }
        Ok(())
    }

    /// The first current id shared by two objects, if any.
    pub(crate) fn duplicate_id(&self) -> Option<ResId> {
        let mut seen: HashSet<IdKey> = HashSet::new();
        self.list
            .iter()
            .map(Resource::cur_id)
            .find(|id| !seen.insert(IdKey::of(id)))
    }

    /// Indices of objects with any id (previous or current) satisfying `f`.
    pub(crate) fn indices_by_any_id(&self, f: impl Fn(&ResId) -> bool) -> Vec<usize> {
        self.list
            .iter()
            .enumerate()
            .filter(|(_, r)| f(&r.cur_id()) || r.prev_ids().iter().any(&f))
            .map(|(i, _)| i)
            .collect()
    }

    /// Indices of objects a selector picks (kustomize's `Select`).
    pub(crate) fn select(&self, sel: &Selector) -> Result<Vec<usize>, String> {
        let re = SelectorRegex::new(sel)?;
        Ok(self
            .list
            .iter()
            .enumerate()
            .filter(|(_, r)| re.matches(r))
            .map(|(i, _)| i)
            .collect())
    }

    /// Adds a generated object, honouring its behavior (kustomize's `appendReplaceOrMerge`).
    pub(crate) fn absorb(&mut self, mut res: Resource) -> Result<(), String> {
        let id = res.cur_id();
        let matches = self.indices_by_any_id(|x| x.equals(&id));
        match matches.as_slice() {
            [] => match res.meta.behavior {
                Behavior::Merge | Behavior::Replace => Err(format!(
                    "id {} does not exist; cannot merge or replace",
                    id_text(&id)
                )),
                Behavior::Create => self.append(res),
            },
            [i] => {
                let i = *i;
                let old = &self.list[i];
                match res.meta.behavior {
                    Behavior::Create => {
                        return Err(format!(
                            "id {} exists; behavior must be merge or replace",
                            id_text(&id)
                        ));
                    }
                    Behavior::Replace => copy_merge_meta(&mut res, old),
                    Behavior::Merge => {
                        let origin = old.meta.origin.clone();
                        copy_merge_meta(&mut res, old);
                        for field in ["data", "binaryData"] {
                            let merged = merge_string_maps(
                                old.obj.get(field).unwrap_or(&Value::Null),
                                res.obj.get(field).unwrap_or(&Value::Null),
                            );
                            if let Some(m) = res.obj.as_map_mut() {
                                if merged.as_map().is_some_and(|m| !m.is_empty()) {
                                    m.insert(field.to_string(), merged);
                                } else {
                                    m.shift_remove(field);
                                }
                            }
                        }
                        if origin.is_some() {
                            res.meta.origin = origin;
                        }
                    }
                }
                self.list[i] = res;
                Ok(())
            }
            _ => Err(format!(
                "found multiple objects that could accept merge of {}",
                id_text(&id)
            )),
        }
    }
}

/// kustomize's `CopyMergeMetaDataFieldsFrom`: labels and annotations merged (new wins), name
/// and namespace and build bookkeeping taken from the old object.
fn copy_merge_meta(res: &mut Resource, old: &Resource) {
    for field in ["labels", "annotations"] {
        let merged = merge_string_maps(
            old.obj
                .get_path(&["metadata", field])
                .unwrap_or(&Value::Null),
            res.obj
                .get_path(&["metadata", field])
                .unwrap_or(&Value::Null),
        );
        if let Some(meta) = crate::value::ensure_map(&mut res.obj, "metadata") {
            if merged.as_map().is_some_and(|m| !m.is_empty()) {
                meta.insert(field.to_string(), merged);
            } else {
                meta.shift_remove(field);
            }
        }
    }
    res.set_name(&old.name());
    res.set_namespace(&old.namespace());
    res.meta.prev = old.meta.prev.clone();
    res.meta.prefixes = old.meta.prefixes.clone();
    res.meta.suffixes = old.meta.suffixes.clone();
    res.meta.ref_var_names = old.meta.ref_var_names.clone();
    // The result keeps a hash suffix only if both sides asked for one (measured against
    // kustomize: a plain object merged by a generator stays unhashed, and so does a generated
    // one merged with `disableNameSuffixHash`).
    res.meta.needs_hash = res.meta.needs_hash && old.meta.needs_hash;
}
