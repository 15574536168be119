//! `commonLabels`, `labels` and the `LabelTransformer`: set label pairs at every field spec
//! (metadata, and for selectors/templates the paths the built-in tables list).

use crate::fieldspec::{CreateKind, apply};
use crate::kustomization::FieldSpec;
use crate::resmap::ResMap;
use crate::value::{Value, map_set};

use super::on_object;

/// Sets `pairs` (sorted by key, like kustomize) at `specs` on every object.
pub(crate) fn set_pairs(
    resmap: &mut ResMap,
    pairs: &[(String, String)],
    specs: &[FieldSpec],
) -> Result<(), String> {
    if pairs.is_empty() {
        return Ok(());
    }
    for (k, _) in pairs {
        if let Some(what) = crate::yaml::parse::non_string_key(k) {
            return Err(format!(
                "key '{k}' would be written as a plain YAML key that reads back as {what}; kustomize cannot print the result"
            ));
        }
    }
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for r in &mut resmap.list {
        let gvk = r.gvk();
        let id = r.cur_id();
        for (k, v) in &sorted {
            for fs in specs {
                apply(&mut r.obj, &gvk, fs, CreateKind::Map, &mut |node| {
                    if map_set(node, k, Value::String(v.clone())) {
                        Ok(())
                    } else {
                        Err(format!("expected a mapping, found a {}", node.kind_name()))
                    }
                })
                .map_err(|e| on_object(&id, e))?;
            }
        }
    }
    Ok(())
}
