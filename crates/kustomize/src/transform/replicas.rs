//! `replicas`: set the replica count of named workloads, matched by any of their ids.

use crate::fieldspec::{CreateKind, apply};
use crate::kustomization::{FieldSpec, ReplicaSpec};
use crate::resmap::ResMap;
use crate::value::Value;

use super::on_object;

/// Applies one `replicas` entry; fails when no object matches (as kustomize does).
pub(crate) fn set_replicas(
    resmap: &mut ResMap,
    spec: &ReplicaSpec,
    specs: &[FieldSpec],
) -> Result<(), String> {
    let mut found = false;
    // Only objects that have (or had) this name can match; compute their ids once.
    let named: Vec<(usize, Vec<crate::resid::ResId>)> = resmap
        .list
        .iter()
        .enumerate()
        .filter(|(_, r)| r.has_or_had_name(&spec.name))
        .map(|(i, r)| (i, r.all_ids()))
        .collect();
    for fs in specs {
        let idx: Vec<usize> = named
            .iter()
            .filter(|(_, ids)| {
                ids.iter()
                    .any(|id| id.name == spec.name && id.gvk.is_selected_by(&fs.gvk))
            })
            .map(|(i, _)| *i)
            .collect();
        if idx.is_empty() {
            continue;
        }
        found = true;
        for i in idx {
            let r = &mut resmap.list[i];
            let gvk = r.gvk();
            let id = r.cur_id();
            apply(&mut r.obj, &gvk, fs, CreateKind::Scalar, &mut |node| {
                *node = Value::Int(spec.count);
                Ok(())
            })
            .map_err(|e| on_object(&id, e))?;
        }
    }
    if !found {
        let gvks: Vec<String> = specs.iter().map(|f| f.gvk.sort_string()).collect();
        return Err(format!(
            "resource with name {} does not match a config with the following GVK [{}]",
            spec.name,
            gvks.join(" ")
        ));
    }
    Ok(())
}
