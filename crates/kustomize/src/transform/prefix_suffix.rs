//! `namePrefix` / `nameSuffix`: rename objects (recording the old id for name references)
//! and prefix any other field the configuration lists. CRDs, APIServices and Namespaces are
//! never renamed, as in kustomize.

use crate::fieldspec::{CreateKind, apply};
use crate::kustomization::FieldSpec;
use crate::resid::Gvk;
use crate::resmap::ResMap;
use crate::value::Value;

use super::on_object;

fn skipped(gvk: &Gvk) -> bool {
    gvk.kind == "CustomResourceDefinition"
        || (gvk.kind == "APIService" && gvk.group == "apiregistration.k8s.io")
        || gvk.kind == "Namespace"
}

/// Adds `prefix` (when `is_prefix`) or `suffix` to names at `specs`.
pub(crate) fn apply_affix(
    resmap: &mut ResMap,
    affix: &str,
    is_prefix: bool,
    specs: &[FieldSpec],
) -> Result<(), String> {
    for r in &mut resmap.list {
        let org = r.org_id();
        if skipped(&org.gvk) {
            continue;
        }
        let gvk = r.gvk();
        let id = r.cur_id();
        for fs in specs {
            if !org.gvk.is_selected_by(&fs.gvk) {
                continue;
            }
            if fs.path == "metadata/name" && !affix.is_empty() {
                if is_prefix {
                    r.meta.prefixes.push(affix.to_string());
                } else {
                    r.meta.suffixes.push(affix.to_string());
                }
                r.store_previous_id();
            }
            apply(&mut r.obj, &gvk, fs, CreateKind::Scalar, &mut |node| {
                let cur = node.scalar_text().ok_or("expected a scalar")?;
                *node = Value::String(if is_prefix {
                    format!("{affix}{cur}")
                } else {
                    format!("{cur}{affix}")
                });
                Ok(())
            })
            .map_err(|e| on_object(&id, e))?;
        }
    }
    Ok(())
}
