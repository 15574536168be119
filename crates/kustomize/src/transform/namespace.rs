//! `namespace`: move namespaced objects into one namespace (cluster-scoped ones keep none),
//! rename `Namespace` objects to it, and update RoleBinding / ClusterRoleBinding subjects the
//! way kustomize's `roleBindingHack` does (by default only subjects named `default`).

use crate::fieldspec::{CreateKind, apply};
use crate::kustomization::FieldSpec;
use crate::resmap::{ResMap, id_text};
use crate::value::{Value, map_set};

use super::on_object;

/// Which RoleBinding subjects get the namespace (`setRoleBindingSubjects`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum SubjectMode {
    /// Subjects named `default` (kustomize's default).
    #[default]
    DefaultOnly,
    /// Every ServiceAccount subject.
    AllServiceAccounts,
    /// None.
    None,
}

/// Options of one namespace transformation.
#[derive(Debug, Clone, Default)]
pub(crate) struct NamespaceOptions {
    pub(crate) namespace: String,
    pub(crate) unset_only: bool,
    pub(crate) subjects: SubjectMode,
}

fn set_ns(node: &mut Value, ns: &str, unset_only: bool) -> Result<(), String> {
    match node {
        Value::Map(_) | Value::Seq(_) => {
            Err("namespace field specs must target scalar nodes".into())
        }
        _ => {
            if unset_only && node.scalar_text().is_some_and(|t| !t.is_empty()) {
                return Ok(());
            }
            *node = Value::String(ns.to_string());
            Ok(())
        }
    }
}

/// Applies the namespace to every object.
pub(crate) fn set_namespace(
    resmap: &mut ResMap,
    opts: &NamespaceOptions,
    specs: &[FieldSpec],
) -> Result<(), String> {
    if opts.namespace.is_empty() {
        return Ok(());
    }
    let ns = opts.namespace.as_str();
    let others: Vec<FieldSpec> = specs
        .iter()
        .filter(|fs| fs.path != "metadata/namespace")
        .cloned()
        .collect();
    for r in &mut resmap.list {
        if r.is_empty() {
            continue;
        }
        r.store_previous_id();
        let gvk = r.gvk();
        let id = r.cur_id();
        if !gvk.is_cluster_scoped() {
            let meta = FieldSpec {
                gvk: Default::default(),
                path: "metadata/namespace".into(),
                create: true,
            };
            apply(&mut r.obj, &gvk, &meta, CreateKind::Scalar, &mut |n| {
                set_ns(n, ns, opts.unset_only)
            })
            .map_err(|e| on_object(&id, e))?;
        }
        let is_binding = gvk.kind == "RoleBinding" || gvk.kind == "ClusterRoleBinding";
        if is_binding
            && opts.subjects != SubjectMode::None
            && let Some(Value::Seq(subjects)) = r.obj.get_mut("subjects")
        {
            for s in subjects.iter_mut() {
                let hit = match opts.subjects {
                    SubjectMode::DefaultOnly => {
                        s.get("name").and_then(Value::scalar_text).as_deref() == Some("default")
                    }
                    SubjectMode::AllServiceAccounts => {
                        s.get("kind").and_then(Value::scalar_text).as_deref()
                            == Some("ServiceAccount")
                    }
                    SubjectMode::None => false,
                };
                if !hit {
                    continue;
                }
                if opts.unset_only
                    && s.get("namespace")
                        .and_then(Value::scalar_text)
                        .is_some_and(|t| !t.is_empty())
                {
                    continue;
                }
                map_set(s, "namespace", Value::String(ns.to_string()));
            }
        }
        for fs in &others {
            if is_binding && fs.path.starts_with("subjects") {
                continue;
            }
            apply(&mut r.obj, &gvk, fs, CreateKind::Scalar, &mut |n| {
                set_ns(n, ns, opts.unset_only)
            })
            .map_err(|e| on_object(&id, e))?;
        }
    }
    if let Some(dup) = resmap.duplicate_id() {
        return Err(format!(
            "namespace transformation produces ID conflict: {}",
            id_text(&dup)
        ));
    }
    Ok(())
}
