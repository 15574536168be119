//! Name references: once prefixes, suffixes, namespaces and hashes have renamed objects, every
//! field that referred to an object by its old name is rewritten to the new name (and, for
//! `{name, namespace}` maps such as RBAC subjects, the new namespace), following the
//! nameReference table. Run once, at the top of the build (kustomize's `FixBackReferences`).
//!
//! Candidates are indexed by their previous names, so a build of thousands of objects does
//! not compare every reference with every object.

use std::collections::HashMap;

use crate::fieldspec::{CreateKind, NameBackRef, apply};
use crate::resid::{Gvk, ResId};
use crate::resmap::{ResMap, id_text};
use crate::resource::Resource;
use crate::value::{Value, map_set};

/// kustomize's `SameEndingSubSlice`: one list ends with the other (both empty, or neither).
fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.is_empty();
    }
    let diff = long.len() - short.len();
    short.iter().enumerate().all(|(i, s)| long[i + diff] == *s)
}

/// What selection needs to know about each object, computed once.
struct Info {
    cur: ResId,
    prev: Vec<ResId>,
    cluster: bool,
    org_eff_ns: String,
    cur_eff_ns: String,
    raw_ns: String,
    name: String,
    kind: String,
}

struct Index {
    infos: Vec<Info>,
    by_prev_name: HashMap<String, Vec<usize>>,
}

impl Index {
    fn new(resmap: &ResMap) -> Index {
        let mut infos = Vec::with_capacity(resmap.list.len());
        let mut by_prev_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in resmap.list.iter().enumerate() {
            let cur = r.cur_id();
            let prev = r.prev_ids();
            for p in &prev {
                let list = by_prev_name.entry(p.name.clone()).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
            let org = prev.first().cloned().unwrap_or_else(|| cur.clone());
            infos.push(Info {
                cluster: cur.gvk.is_cluster_scoped(),
                org_eff_ns: if org.gvk.is_cluster_scoped() {
                    String::new()
                } else {
                    org.effective_namespace()
                },
                cur_eff_ns: if cur.gvk.is_cluster_scoped() {
                    String::new()
                } else {
                    cur.effective_namespace()
                },
                raw_ns: cur.namespace.clone(),
                name: cur.name.clone(),
                kind: cur.gvk.kind.clone(),
                cur,
                prev,
            });
        }
        Index {
            infos,
            by_prev_name,
        }
    }
}

/// Which objects a referrer may point at (kustomize's `SubsetThatCouldBeReferencedByResource`).
struct Pool {
    referrer_cluster: bool,
    referrer_id: ResId,
    binding_ns: Vec<String>,
}

impl Pool {
    fn new(referrer: &Resource) -> Pool {
        let referrer_id = referrer.cur_id();
        let mut binding_ns = Vec::new();
        if referrer.kind() == "RoleBinding"
            && let Some(Value::Seq(subjects)) = referrer.obj.get("subjects")
        {
            for s in subjects {
                if s.get("kind").and_then(Value::as_str) == Some("ServiceAccount")
                    && let Some(ns) = s.get("namespace").and_then(Value::scalar_text)
                {
                    binding_ns.push(ns);
                }
            }
        }
        Pool {
            referrer_cluster: referrer_id.gvk.is_cluster_scoped(),
            referrer_id,
            binding_ns,
        }
    }

    fn contains(&self, t: &Info) -> bool {
        self.referrer_cluster
            || t.cluster
            || t.cur.ns_equals(&self.referrer_id)
            || self.binding_ns.contains(&t.raw_ns)
    }
}

struct Ctx<'a> {
    resmap: &'a ResMap,
    index: &'a Index,
    referrer: &'a Resource,
    target: &'a Gvk,
    role_ref: Option<Gvk>,
    pool: &'a Pool,
}

fn role_ref_gvk(referrer: &Resource) -> Option<Gvk> {
    let rr = referrer.obj.get("roleRef")?;
    let group = rr.get("apiGroup")?.scalar_text()?;
    let kind = rr.get("kind")?.scalar_text()?;
    Some(Gvk {
        group,
        version: String::new(),
        kind,
    })
}

/// How the candidate set is narrowed by a `namespace` field next to the name.
enum NsFilter {
    Any,
    Original(String),
    Current(String),
}

impl Ctx<'_> {
    fn in_ns(&self, i: usize, f: &NsFilter) -> bool {
        let info = &self.index.infos[i];
        match f {
            NsFilter::Any => true,
            NsFilter::Original(ns) => !info.org_eff_ns.is_empty() && info.org_eff_ns == *ns,
            NsFilter::Current(ns) => !info.cur_eff_ns.is_empty() && info.cur_eff_ns == *ns,
        }
    }

    /// kustomize's `selectReferral`: `Ok(None)` means leave the field alone.
    fn select(&self, old_name: &str, ns: &NsFilter) -> Result<Option<usize>, String> {
        let Some(hits) = self.index.by_prev_name.get(old_name) else {
            return Ok(None);
        };
        let referrer_id = &self.pool.referrer_id;
        let mut c: Vec<usize> = hits
            .iter()
            .copied()
            .filter(|&i| {
                let info = &self.index.infos[i];
                self.pool.contains(info)
                    && self.in_ns(i, ns)
                    && info.prev.iter().any(|p| p.gvk.is_selected_by(self.target))
                    && self
                        .role_ref
                        .as_ref()
                        .is_none_or(|g| info.prev.iter().any(|p| p.gvk.is_selected_by(g)))
                    && (self.pool.referrer_cluster
                        || info.cluster
                        || info.kind == "ServiceAccount"
                        || referrer_id.ns_equals(&info.cur))
            })
            .collect();
        if c.len() == 1 {
            return Ok(c.first().copied());
        }
        let r = self.referrer;
        c.retain(|&i| {
            let t = &self.resmap.list[i];
            same_ending(&t.meta.prefixes, &r.meta.prefixes)
                && same_ending(&t.meta.suffixes, &r.meta.suffixes)
        });
        match c.len() {
            0 => Ok(None),
            1 => Ok(c.first().copied()),
            _ => {
                let first = &self.index.infos[c[0]].name;
                if c.iter().all(|&i| self.index.infos[i].name == *first) {
                    return Ok(c.first().copied());
                }
                let ids: Vec<String> = c
                    .iter()
                    .map(|&i| id_text(&self.index.infos[i].cur))
                    .collect();
                Err(format!(
                    "found multiple possible referrals: {}",
                    ids.join(", ")
                ))
            }
        }
    }

    fn set_scalar(&self, node: &mut Value) -> Result<(), String> {
        let Some(old) = node.scalar_text() else {
            return Ok(());
        };
        if let Some(i) = self.select(&old, &NsFilter::Any)? {
            let new = &self.index.infos[i].name;
            if *new != old {
                *node = Value::String(new.clone());
            }
        }
        Ok(())
    }

    fn set_mapping(&self, node: &mut Value) -> Result<(), String> {
        let Some(name_node) = node.get("name") else {
            return Err("path config error; no 'name' field in node".into());
        };
        let old = name_node.scalar_text().unwrap_or_default();
        let filter = match node.get("namespace") {
            None => NsFilter::Any,
            Some(ns) => {
                let ns = ns.scalar_text().unwrap_or_default();
                // kustomize groups the referrer's candidates by original namespace first,
                // falling back to current namespaces when no candidate had that one.
                let any_original = self.index.infos.iter().any(|info| {
                    !info.org_eff_ns.is_empty() && info.org_eff_ns == ns && self.pool.contains(info)
                });
                if any_original {
                    NsFilter::Original(ns)
                } else {
                    NsFilter::Current(ns)
                }
            }
        };
        let Some(i) = self.select(&old, &filter)? else {
            return Ok(());
        };
        let info = &self.index.infos[i];
        let (new_name, new_ns) = (info.name.clone(), info.raw_ns.clone());
        if new_name == old && new_ns.is_empty() {
            return Ok(());
        }
        map_set(node, "name", Value::String(new_name));
        if !new_ns.is_empty() {
            map_set(node, "namespace", Value::String(new_ns));
        }
        Ok(())
    }

    fn set(&self, node: &mut Value) -> Result<(), String> {
        match node {
            Value::Null => Ok(()),
            Value::Map(_) => self.set_mapping(node),
            Value::Seq(items) => {
                for item in items.iter_mut() {
                    match item {
                        Value::Map(_) => self.set_mapping(item)?,
                        Value::Seq(_) => {
                            return Err("node must be a scalar, sequence or map".into());
                        }
                        _ => self.set_scalar(item)?,
                    }
                }
                Ok(())
            }
            _ => self.set_scalar(node),
        }
    }
}

/// Rewrites references to renamed objects in every referrer.
pub(crate) fn fix_back_references(
    resmap: &mut ResMap,
    rules: &[NameBackRef],
) -> Result<(), String> {
    let index = Index::new(resmap);
    if index.by_prev_name.is_empty() {
        // Nothing was renamed: no reference can need fixing.
        return Ok(());
    }
    let mut updates: Vec<(usize, Value)> = Vec::new();
    for (ri, r) in resmap.list.iter().enumerate() {
        let org_gvk = r.org_id().gvk;
        let filters: Vec<(usize, usize)> = rules
            .iter()
            .enumerate()
            .flat_map(|(bi, rule)| {
                rule.referrers
                    .iter()
                    .enumerate()
                    .filter(|(_, fs)| org_gvk.is_selected_by(&fs.gvk))
                    .map(move |(fi, _)| (bi, fi))
            })
            .collect();
        if filters.is_empty() {
            continue;
        }
        let pool = Pool::new(r);
        let mut obj = r.obj.clone();
        let gvk = r.gvk();
        let id = &index.infos[ri].cur;
        for (bi, fi) in filters {
            let rule = &rules[bi];
            let fs = &rule.referrers[fi];
            let ctx = Ctx {
                resmap,
                index: &index,
                referrer: r,
                target: &rule.gvk,
                role_ref: if fs.path.ends_with("roleRef/name") {
                    role_ref_gvk(r)
                } else {
                    None
                },
                pool: &pool,
            };
            apply(&mut obj, &gvk, fs, CreateKind::None, &mut |node| {
                ctx.set(node)
            })
            .map_err(|e| {
                format!(
                    "updating name reference in '{}' field of '{}': {e}",
                    fs.path,
                    id_text(id)
                )
            })?;
        }
        if obj != r.obj {
            updates.push((ri, obj));
        }
    }
    for (ri, obj) in updates {
        resmap.list[ri].obj = obj;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affix_lists_compare_by_their_ends() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(same_ending(&s(&["a", "o"]), &s(&["o"])));
        assert!(!same_ending(&s(&["a"]), &s(&[])));
        assert!(same_ending(&s(&[]), &s(&[])));
    }
}
