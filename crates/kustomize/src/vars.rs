//! Legacy `vars`: `$(NAME)` references in the fields the varReference table lists are
//! replaced, after name references are fixed, by a field of the object each var points at.
//! A field that is exactly `$(NAME)` takes the value's type; `$$` escapes a `$`; unknown
//! names are left as written.

use crate::fieldspec::{CreateKind, apply};
use crate::kustomization::FieldSpec;
use crate::kustomization::Var;
use crate::resid::ResId;
use crate::resmap::{ResMap, id_text};
use crate::value::Value;

fn var_id(v: &Var) -> ResId {
    ResId {
        gvk: v.obj_gvk.clone(),
        name: v.obj_name.clone(),
        namespace: v.obj_namespace.clone(),
    }
}

fn var_text(v: &Var) -> String {
    format!("{} ({} {})", v.name, v.obj_gvk.kind, v.obj_name)
}

/// kustomize's `MergeVars`: marks the object each var points at and adds the vars to the set.
pub(crate) fn merge_vars(
    resmap: &mut ResMap,
    set: &mut Vec<Var>,
    incoming: &[Var],
) -> Result<(), String> {
    for v in incoming {
        let target = var_id(v);
        let exact = !target.namespace.is_empty() || target.gvk.is_cluster_scoped();
        let matched = resmap.indices_by_any_id(|id| {
            if exact {
                id.equals(&target)
            } else {
                id.gvkn_equals(&target)
            }
        });
        if matched.len() > 1 {
            return Err(format!(
                "found {} resId matches for var {} (unable to disambiguate)",
                matched.len(),
                var_text(v)
            ));
        }
        if let Some(&i) = matched.first() {
            resmap.list[i].meta.ref_var_names.push(v.name.clone());
        }
    }
    for v in incoming {
        if set.iter().any(|x| x.name == v.name) {
            return Err(format!("var '{}' already encountered", v.name));
        }
        set.push(v.clone());
    }
    Ok(())
}

/// kyaml's `GetFieldValue` path: `a.b[0].c`.
fn field_value(obj: &Value, path: &str) -> Option<Value> {
    let mut cur = obj;
    for part in path.split('.') {
        let (name, index) = match part.strip_suffix(']').and_then(|p| p.rsplit_once('[')) {
            Some((n, i)) if i.chars().all(|c| c.is_ascii_digit()) && !i.is_empty() => (n, Some(i)),
            _ => (part, None),
        };
        if !name.is_empty() {
            cur = match cur {
                Value::Map(m) => m.get(name)?,
                Value::Seq(s) => s.get(name.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        if let Some(i) = index {
            cur = cur.as_seq()?.get(i.parse::<usize>().ok()?)?;
        }
    }
    Some(cur.clone())
}

/// Go's `fmt.Sprint` of a decoded YAML value.
fn go_sprint(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => crate::yaml::scalar::format_g(*f),
        Value::String(s) => s.clone(),
        Value::Seq(items) => format!(
            "[{}]",
            items.iter().map(go_sprint).collect::<Vec<_>>().join(" ")
        ),
        Value::Map(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{k}:{}",
                        m.get(k.as_str()).map(go_sprint).unwrap_or_default()
                    )
                })
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

struct Expander<'a> {
    values: &'a [(String, Value)],
    used: &'a mut Vec<String>,
}

impl Expander<'_> {
    fn lookup(&mut self, name: &str) -> Option<Value> {
        let v = self
            .values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone());
        if v.is_some() && !self.used.iter().any(|u| u == name) {
            self.used.push(name.to_string());
        }
        v
    }

    /// The Kubernetes `$(VAR)` expansion; a whole-string reference keeps the value's type.
    fn expand(&mut self, input: &str) -> Value {
        let b = input.as_bytes();
        let mut out = String::new();
        let mut checkpoint = 0;
        let mut cursor = 0;
        while cursor < b.len() {
            if b[cursor] == b'$' && cursor + 1 < b.len() {
                out.push_str(&input[checkpoint..cursor]);
                let rest = &input[cursor + 1..];
                let (read, is_var, advance) = match rest.as_bytes()[0] {
                    b'$' => ("$".to_string(), false, 1),
                    b'(' => match rest.find(')') {
                        Some(end) => (rest[1..end].to_string(), true, end + 1),
                        None => ("$(".to_string(), false, 1),
                    },
                    _ => {
                        let ch = rest.chars().next().unwrap_or('$');
                        (format!("${ch}"), false, ch.len_utf8())
                    }
                };
                if is_var {
                    match self.lookup(&read) {
                        Some(v) => {
                            if input == format!("$({read})") {
                                return v;
                            }
                            out.push_str(&go_sprint(&v));
                        }
                        None => {
                            if input == format!("$({read})") {
                                return Value::String(input.to_string());
                            }
                            out.push_str(&format!("$({read})"));
                        }
                    }
                } else {
                    out.push_str(&read);
                }
                cursor += advance;
                checkpoint = cursor + 1;
            }
            cursor += 1;
        }
        if checkpoint < input.len() {
            out.push_str(&input[checkpoint..]);
        }
        Value::String(out)
    }
}

/// kustomize's `ResolveVars`: returns the names of vars that were never used.
pub(crate) fn resolve_vars(
    resmap: &mut ResMap,
    set: &[Var],
    specs: &[FieldSpec],
) -> Result<Vec<String>, String> {
    if set.is_empty() {
        return Ok(Vec::new());
    }
    let mut values: Vec<(String, Value)> = Vec::new();
    for v in set {
        let holder = resmap
            .list
            .iter()
            .find(|r| r.meta.ref_var_names.iter().any(|n| n == &v.name));
        let Some(r) = holder else {
            return Err(format!(
                "var '{}' cannot be mapped to a field in the set of known resources",
                var_text(v)
            ));
        };
        let val = field_value(&r.obj, &v.field_path).ok_or_else(|| {
            format!(
                "field specified in var '{}' not found in corresponding resource",
                var_text(v)
            )
        })?;
        values.push((v.name.clone(), val));
    }
    let mut used: Vec<String> = Vec::new();
    for r in &mut resmap.list {
        let gvk = r.gvk();
        let id = r.cur_id();
        for fs in specs {
            let mut ex = Expander {
                values: &values,
                used: &mut used,
            };
            apply(
                &mut r.obj,
                &gvk,
                fs,
                CreateKind::None,
                &mut |node| match node {
                    Value::String(s) => {
                        *node = ex.expand(s);
                        Ok(())
                    }
                    Value::Map(m) => {
                        for (_, v) in m.iter_mut() {
                            if let Value::String(s) = v {
                                *v = ex.expand(s);
                            }
                        }
                        Ok(())
                    }
                    Value::Seq(items) => {
                        for item in items.iter_mut() {
                            match item {
                                Value::String(s) => *item = ex.expand(s),
                                _ => return Err("invalid value type expect a string".into()),
                            }
                        }
                        Ok(())
                    }
                    _ => Ok(()),
                },
            )
            .map_err(|e| format!("{}: {e}", id_text(&id)))?;
        }
    }
    Ok(set
        .iter()
        .filter(|v| !used.contains(&v.name))
        .map(|v| v.name.clone())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_follows_kubernetes_rules() {
        let values = vec![
            ("A".to_string(), Value::from("x")),
            ("N".to_string(), Value::Int(3)),
        ];
        let mut used = Vec::new();
        let mut ex = Expander {
            values: &values,
            used: &mut used,
        };
        assert_eq!(ex.expand("$(A)-$(N)"), Value::from("x-3"));
        assert_eq!(ex.expand("$(N)"), Value::Int(3));
        assert_eq!(ex.expand("$$(A)"), Value::from("$(A)"));
        assert_eq!(ex.expand("$(B)"), Value::from("$(B)"));
        assert_eq!(ex.expand("$(A"), Value::from("$(A"));
    }
}
