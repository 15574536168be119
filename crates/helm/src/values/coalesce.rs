//! Values coalescing exactly as Helm's `chartutil` does it: user values win over chart
//! defaults, a user `null` deletes the key (unless merging), subchart values live under the
//! subchart's name, and `global` is pushed down into every subchart.
//!
//! The Go code mutates maps in place and shares them between parent and child; so does this
//! port, on the shared `Value::Map`s.

use crate::template::value::Value;
use crate::values::WChart;

/// Helm's `CoalesceValues`: a deep copy of `vals` with the chart's defaults filled in.
pub(crate) fn coalesce_values(ch: &WChart, vals: &Value) -> Value {
    let copy = copy_values(vals);
    coalesce(ch, &copy, false);
    copy
}

/// Helm's `MergeValues`: like coalescing, but `null`s are kept.
pub(crate) fn merge_values(ch: &WChart, vals: &Value) -> Value {
    let copy = copy_values(vals);
    coalesce(ch, &copy, true);
    copy
}

fn copy_values(vals: &Value) -> Value {
    match vals {
        Value::Map(_) => vals.deep_copy(),
        _ => Value::empty_map(),
    }
}

fn coalesce(ch: &WChart, dest: &Value, merge: bool) {
    coalesce_chart_values(ch, dest, merge);
    coalesce_deps(ch, dest, merge);
}

fn coalesce_deps(ch: &WChart, dest: &Value, merge: bool) {
    let Value::Map(dm) = dest else { return };
    for sub in &ch.deps {
        let name = sub.meta.name.clone();
        let existing = dm.borrow().get(&name).cloned();
        let dv = match existing {
            None => {
                let m = Value::empty_map();
                dm.borrow_mut().insert(name.clone(), m.clone());
                m
            }
            Some(v @ Value::Map(_)) => v,
            // Helm fails with "type mismatch"; keep the user's scalar and skip the subchart.
            Some(_) => continue,
        };
        coalesce_globals(&dv, dest);
        coalesce(sub, &dv, merge);
    }
}

/// Copies the parent's `global` into the child's, child values taking precedence for nested
/// tables and parent values overwriting scalars.
fn coalesce_globals(dest: &Value, src: &Value) {
    let Value::Map(dm) = dest else { return };
    let dg = match dm.borrow().get("global").cloned() {
        None => Value::empty_map(),
        Some(v @ Value::Map(_)) => v,
        Some(_) => return,
    };
    let sg = match src.get("global") {
        None => Value::empty_map(),
        Some(v @ Value::Map(_)) => v,
        Some(_) => return,
    };
    let Value::Map(dgm) = &dg else { return };
    for (key, val) in sg.map_entries() {
        if let Value::Map(_) = &val {
            let vv = val.deep_copy();
            let destv = dgm.borrow().get(&key).cloned();
            match destv {
                None => {
                    dgm.borrow_mut().insert(key, vv);
                }
                Some(d @ Value::Map(_)) => {
                    coalesce_tables(&vv, &d, true);
                    dgm.borrow_mut().insert(key, vv);
                }
                Some(_) => {}
            }
        } else if matches!(dgm.borrow().get(&key), Some(Value::Map(_))) {
            // A table in the child is never replaced by a scalar.
        } else {
            dgm.borrow_mut().insert(key, val);
        }
    }
    dm.borrow_mut().insert("global".into(), dg);
}

fn coalesce_chart_values(ch: &WChart, v: &Value, merge: bool) {
    let Value::Map(vm) = v else { return };
    let vc = ch.values.deep_copy();
    for (key, val) in vc.map_entries() {
        let existing = vm.borrow().get(&key).cloned();
        match existing {
            Some(Value::Nil) if !merge => {
                vm.borrow_mut().remove(&key);
            }
            Some(dest @ Value::Map(_)) => {
                if let Value::Map(_) = &val {
                    let merge = merge || ch.deps.iter().any(|d| d.meta.name == key);
                    coalesce_tables(&dest, &val, merge);
                }
            }
            Some(_) => {}
            None => {
                vm.borrow_mut().insert(key, val);
            }
        }
    }
}

/// Helm's `coalesceTablesFullKey`: `dst` wins; `src` fills the gaps; a `null` in `dst`
/// deletes the key unless merging.
pub(crate) fn coalesce_tables(dst: &Value, src: &Value, merge: bool) {
    coalesce_tables_depth(dst, src, merge, 0);
}

fn coalesce_tables_depth(dst: &Value, src: &Value, merge: bool, depth: usize) {
    if depth > 10_000 {
        return;
    }
    let (Value::Map(dm), Value::Map(sm)) = (dst, src) else {
        return;
    };
    if dst.ptr_eq(src) {
        return;
    }
    for (key, val) in dst.map_entries() {
        if val.is_nil() {
            sm.borrow_mut().insert(key, Value::Nil);
        }
    }
    for (key, val) in src.map_entries() {
        let dv = dm.borrow().get(&key).cloned();
        match dv {
            Some(Value::Nil) if !merge => {
                dm.borrow_mut().remove(&key);
            }
            None => {
                dm.borrow_mut().insert(key, val);
            }
            Some(d) => {
                if let (Value::Map(_), Value::Map(_)) = (&val, &d) {
                    coalesce_tables_depth(&d, &val, merge, depth + 1);
                }
            }
        }
    }
}

/// cmd/helm's `mergeMaps` for `-f` files: later files win, maps merge recursively.
pub(crate) fn merge_maps(a: &Value, b: &Value) -> Value {
    let out = Value::empty_map();
    let Value::Map(om) = &out else { return out };
    for (k, v) in a.map_entries() {
        om.borrow_mut().insert(k, v);
    }
    for (k, v) in b.map_entries() {
        if let Value::Map(_) = &v {
            let existing = om.borrow().get(&k).cloned();
            if let Some(bv @ Value::Map(_)) = existing {
                let merged = merge_maps(&bv, &v);
                om.borrow_mut().insert(k, merged);
                continue;
            }
        }
        om.borrow_mut().insert(k, v);
    }
    out
}

/// Builds `{a: {b: value}}` from the path `a.b` (Helm's `pathToMap`).
pub(crate) fn path_to_map(path: &str, data: Value) -> Value {
    if path == "." {
        return data;
    }
    let parts: Vec<&str> = path.split('.').filter(|p| !p.is_empty()).collect();
    let mut cur = data;
    for p in parts.iter().rev() {
        let m = Value::empty_map();
        if let Value::Map(mm) = &m {
            mm.borrow_mut().insert((*p).to_string(), cur);
        }
        cur = m;
    }
    cur
}

/// Helm's `Values.Table`: the map at a dotted path.
pub(crate) fn table(v: &Value, path: &str) -> Option<Value> {
    let mut cur = v.clone();
    for p in path.split('.') {
        if p.is_empty() {
            continue;
        }
        cur = cur.get(p)?;
        if !matches!(cur, Value::Map(_)) {
            return None;
        }
    }
    Some(cur)
}

/// Helm's `Values.PathValue`: the non-table value at a dotted path.
pub(crate) fn path_value(v: &Value, path: &str) -> Option<Value> {
    let parts: Vec<&str> = path.split('.').collect();
    let (last, init) = parts.split_last()?;
    let mut cur = v.clone();
    for p in init {
        cur = cur.get(p)?;
        if !matches!(cur, Value::Map(_)) {
            return None;
        }
    }
    let val = cur.get(last)?;
    if matches!(val, Value::Map(_)) {
        return None;
    }
    Some(val)
}
