//! Sprig's dictionary functions. `set`, `unset`, `merge` and `mergeOverwrite` mutate their
//! first argument in place, as the Go versions do, and charts rely on it.

use super::convert::strval;
use super::{FnResult, Registry, Ty, arg, arg_str, err};
use crate::template::exec::Engine;
use crate::template::value::{Map, Value};

pub(crate) fn register(r: &mut Registry) {
    use Ty::{Any, Map as M, Str};
    r.add("dict", &[], Some(Any), |_, a| {
        let mut m = Map::new();
        let mut i = 0;
        while i < a.len() {
            let key = strval(&arg(&a, i));
            let v = if i + 1 < a.len() {
                arg(&a, i + 1)
            } else {
                Value::from("")
            };
            m.insert(key, v);
            i += 2;
        }
        Ok(Value::map(m))
    });
    r.add("get", &[M, Str], None, |_, a| {
        Ok(arg(&a, 0)
            .get(&arg_str(&a, 1))
            .unwrap_or_else(|| Value::from("")))
    });
    r.add("set", &[M, Str, Any], None, |_, a| {
        let d = map_or_new(arg(&a, 0));
        if let Value::Map(m) = &d {
            m.borrow_mut()
                .insert(arg_str(&a, 1).to_string(), arg(&a, 2));
        }
        Ok(d)
    });
    r.add("unset", &[M, Str], None, |_, a| {
        let d = arg(&a, 0);
        if let Value::Map(m) = &d {
            m.borrow_mut().remove(&*arg_str(&a, 1));
        }
        Ok(map_or_new(d))
    });
    r.add("hasKey", &[M, Str], None, |_, a| {
        Ok(Value::Bool(arg(&a, 0).get(&arg_str(&a, 1)).is_some()))
    });
    r.add("pluck", &[Str], Some(M), |_, a| {
        let key = arg_str(&a, 0);
        Ok(Value::list(
            a.iter().skip(1).filter_map(|d| d.get(&key)).collect(),
        ))
    });
    r.add("keys", &[], Some(M), |_, a| {
        let mut out = Vec::new();
        for d in &a {
            for (k, _) in d.map_entries() {
                out.push(Value::from(k));
            }
        }
        Ok(Value::list(out))
    });
    r.add("values", &[M], None, |_, a| {
        Ok(Value::list(
            arg(&a, 0)
                .map_entries()
                .into_iter()
                .map(|(_, v)| v)
                .collect(),
        ))
    });
    r.add("pick", &[M], Some(Str), |_, a| {
        let d = arg(&a, 0);
        let mut m = Map::new();
        for k in a.iter().skip(1) {
            let k = k.as_str().unwrap_or("");
            if let Some(v) = d.get(k) {
                m.insert(k.to_string(), v);
            }
        }
        Ok(Value::map(m))
    });
    r.add("omit", &[M], Some(Str), |_, a| {
        let omit: Vec<String> = a
            .iter()
            .skip(1)
            .map(|k| k.as_str().unwrap_or("").to_string())
            .collect();
        let m: Map = arg(&a, 0)
            .map_entries()
            .into_iter()
            .filter(|(k, _)| !omit.contains(k))
            .collect();
        Ok(Value::map(m))
    });
    for (name, overwrite) in [
        ("merge", false),
        ("mustMerge", false),
        ("mergeOverwrite", true),
        ("mustMergeOverwrite", true),
    ] {
        let f: fn(&Engine, Vec<Value>) -> FnResult = if overwrite {
            merge_overwrite
        } else {
            merge_keep
        };
        r.add(name, &[M], Some(M), f);
    }
    for name in ["deepCopy", "mustDeepCopy"] {
        r.add(name, &[Any], None, |e, a| {
            let v = arg(&a, 0);
            let c = v.deep_copy();
            if e.is_values(&v) {
                e.mark_values(&c);
            }
            Ok(c)
        });
    }
    r.add("dig", &[], Some(Any), dig);
}

fn map_or_new(v: Value) -> Value {
    if v.is_nil() { Value::empty_map() } else { v }
}

fn merge_keep(_: &Engine, a: Vec<Value>) -> FnResult {
    merge_all(a, false)
}

fn merge_overwrite(_: &Engine, a: Vec<Value>) -> FnResult {
    merge_all(a, true)
}

fn merge_all(a: Vec<Value>, overwrite: bool) -> FnResult {
    let dst = map_or_new(arg(&a, 0));
    for src in a.iter().skip(1) {
        mergo(&dst, src, overwrite, 0);
    }
    Ok(dst)
}

/// mergo's map merge: fill what `dst` lacks (or holds empty), recursing into maps; with
/// `overwrite`, `src` wins for everything but nested maps, which still merge.
pub(crate) fn mergo(dst: &Value, src: &Value, overwrite: bool, depth: usize) {
    if depth > 1000 {
        return;
    }
    let (Value::Map(d), Value::Map(_)) = (dst, src) else {
        return;
    };
    if dst.ptr_eq(src) {
        return;
    }
    for (k, sv) in src.map_entries() {
        let dv = d.borrow().get(&k).cloned();
        match (&sv, &dv) {
            (Value::Map(_), Some(Value::Map(_))) => {
                if let Some(dvv) = dv {
                    mergo(&dvv, &sv, overwrite, depth + 1);
                }
            }
            (Value::Nil, _) => {
                if overwrite && dv.is_some() {
                    d.borrow_mut().insert(k, Value::Nil);
                }
            }
            _ => {
                let replace = match &dv {
                    None => true,
                    Some(existing) => overwrite || existing.is_empty(),
                };
                if replace {
                    d.borrow_mut().insert(k, sv.clone());
                }
            }
        }
    }
}

fn dig(e: &Engine, a: Vec<Value>) -> FnResult {
    if a.len() < 3 {
        return err("dig needs at least three arguments");
    }
    let n = a.len();
    let dict = arg(&a, n - 1);
    let default = arg(&a, n - 2);
    let mut keys = Vec::new();
    for k in a.iter().take(n - 2) {
        match k {
            Value::Str(s) => keys.push(s.clone()),
            other => {
                return err(format!(
                    "interface conversion: interface {{}} is {}, not string",
                    other.type_name()
                ));
            }
        }
    }
    if e.is_values(&dict) {
        return err(
            "interface conversion: interface {} is common.Values, not map[string]interface {}",
        );
    }
    if !matches!(dict, Value::Map(_)) {
        return err(format!(
            "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
            dict.type_name()
        ));
    }
    let mut cur = dict;
    for (i, k) in keys.iter().enumerate() {
        let Some(step) = cur.get(k) else {
            return Ok(default);
        };
        if i + 1 == keys.len() {
            return Ok(step);
        }
        if !matches!(step, Value::Map(_)) {
            return err(format!(
                "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                step.type_name()
            ));
        }
        cur = step;
    }
    Ok(default)
}
