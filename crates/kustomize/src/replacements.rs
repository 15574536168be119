//! `replacements`: copy a value from one object's field into fields of other objects.
//!
//! Paths are kyaml paths split on `.` outside brackets: field names, `[key=value]` list
//! selectors (a regular expression, unanchored, for targets — exact for the source), numeric
//! indices and `*` (every element). A scalar target keeps its own type (a string stays a
//! string even when the value looks like a number), a created one takes the type its text
//! resolves to, a mapping or sequence target is replaced by the value.

use regex::Regex;

use crate::kustomization::{
    FieldOptions, Replacement, ReplacementSource, ReplacementTarget, Selector,
};
use crate::patch::target::LabelSelector;
use crate::resid::{Gvk, ResId};
use crate::resmap::ResMap;
use crate::resource::Resource;
use crate::value::{Map, Value};
use crate::yaml::scalar::{Resolved, Schema, resolve_plain, resolved_to_value};

/// kyaml's `SmarterPathSplitter`: split on `.` except inside `[...]`.
pub(crate) fn split_path(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    for c in path.chars() {
        match c {
            '[' => {
                depth += 1;
                cur.push(c);
            }
            ']' => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            '.' if depth == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn is_list_index(p: &str) -> bool {
    p.starts_with('[') && p.ends_with(']')
}

fn split_index(p: &str) -> Result<(String, String), String> {
    let inner = p.trim_start_matches('[').trim_end_matches(']');
    inner
        .split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| {
            "list path element must contain fieldName=fieldValue for element to match".to_string()
        })
}

/// kyaml's `PathGetter` (used for sources): exact `[k=v]` matches, indices, `-` for the last.
pub(crate) fn lookup<'a>(node: &'a Value, path: &[String]) -> Result<Option<&'a Value>, String> {
    let mut cur = node;
    for part in path {
        let next = if let Ok(idx) = part.parse::<i64>() {
            if idx < 0 {
                return Err(format!("array index {idx} cannot be negative"));
            }
            match cur {
                Value::Seq(s) => s.get(idx as usize),
                Value::Null => None,
                other => {
                    return Err(format!(
                        "wrong node kind: expected a sequence at '{part}', found a {}",
                        other.kind_name()
                    ));
                }
            }
        } else if part == "-" {
            match cur {
                Value::Seq(s) => s.last(),
                _ => None,
            }
        } else if is_list_index(part) {
            let (k, v) = split_index(part)?;
            match cur {
                Value::Seq(items) => items.iter().find(|e| {
                    if k.is_empty() {
                        e.scalar_text().as_deref() == Some(v.as_str())
                    } else {
                        e.get(&k).and_then(Value::scalar_text).as_deref() == Some(v.as_str())
                    }
                }),
                Value::Null => None,
                other => {
                    return Err(format!(
                        "wrong node kind: expected a sequence at '{part}', found a {}",
                        other.kind_name()
                    ));
                }
            }
        } else {
            match cur {
                Value::Map(m) => m.get(part),
                Value::Null => None,
                other => {
                    return Err(format!(
                        "wrong node kind: expected a mapping at '{part}', found a {}",
                        other.kind_name()
                    ));
                }
            }
        };
        match next {
            Some(n) => cur = n,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

fn new_for_next(next: Option<&String>, leaf: &Value) -> Value {
    match next {
        Some(n) if is_list_index(n) || n.parse::<usize>().is_ok() => Value::Seq(Vec::new()),
        Some(_) => Value::Map(Map::new()),
        None => match leaf {
            Value::Map(_) => Value::Map(Map::new()),
            Value::Seq(_) => Value::Seq(Vec::new()),
            _ => Value::Null,
        },
    }
}

/// kyaml's `PathMatcher` (used for targets): visits every node the path reaches, creating
/// missing parts when `create` is set. `created` tells the visitor the node is new.
fn visit_path(
    node: &mut Value,
    path: &[String],
    create: Option<&Value>,
    visit: &mut dyn FnMut(&mut Value, bool) -> Result<(), String>,
    created: bool,
) -> Result<usize, String> {
    let Some((part, rest)) = path.split_first() else {
        visit(node, created)?;
        return Ok(1);
    };
    if let Ok(idx) = part.parse::<usize>() {
        let Value::Seq(items) = node else {
            return Err(format!(
                "wrong node kind at '{part}': expected a sequence, found a {}",
                node.kind_name()
            ));
        };
        let mut made = false;
        if let Some(leaf) = create
            && items.len() == idx
        {
            items.push(new_for_next(rest.first(), leaf));
            made = true;
        }
        if items.len() < idx + 1 {
            return Err(format!(
                "index {idx} specified but only {} elements found",
                items.len()
            ));
        }
        return visit_path(&mut items[idx], rest, create, visit, made);
    }
    if is_list_index(part) {
        let (k, pattern) = split_index(part)?;
        let re = Regex::new(&pattern).map_err(|e| format!("invalid match '{pattern}': {e}"))?;
        let Value::Seq(items) = node else {
            if node.is_null() {
                return Ok(0);
            }
            return Err(format!(
                "wrong node kind at '{part}': expected a sequence, found a {}",
                node.kind_name()
            ));
        };
        let mut count = 0;
        for item in items.iter_mut() {
            let text = if k.is_empty() {
                item.scalar_text()
            } else {
                item.get(&k).and_then(Value::scalar_text)
            };
            if text.is_some_and(|t| re.is_match(t.trim())) {
                count += visit_path(item, rest, create, visit, false)?;
            }
        }
        if count == 0
            && let Some(_leaf) = create
        {
            let value = resolved_to_value(resolve_plain(&pattern, Schema::V3), &pattern);
            if k.is_empty() {
                items.push(value);
            } else {
                let mut m = Map::new();
                m.insert(k.clone(), value);
                items.push(Value::Map(m));
            }
            let len = items.len();
            return visit_path(&mut items[len - 1], rest, create, visit, false);
        }
        return Ok(count);
    }
    if part == "*" {
        let mut count = 0;
        match node {
            Value::Seq(items) => {
                for item in items.iter_mut() {
                    count += visit_path(item, rest, create, visit, false)?;
                }
            }
            Value::Map(m) => {
                for (_, v) in m.iter_mut() {
                    count += visit_path(v, rest, create, visit, false)?;
                }
            }
            _ => {}
        }
        return Ok(count);
    }
    let Value::Map(m) = node else {
        if node.is_null() {
            return Ok(0);
        }
        return Err(format!(
            "wrong node kind at '{part}': expected a mapping, found a {}",
            node.kind_name()
        ));
    };
    let mut made = false;
    if !m.contains_key(part.as_str()) {
        match create {
            None => return Ok(0),
            Some(leaf) => {
                m.insert(part.clone(), new_for_next(rest.first(), leaf));
                made = true;
            }
        }
    }
    match m.get_mut(part.as_str()) {
        Some(field) => visit_path(field, rest, create, visit, made),
        None => Ok(0),
    }
}

fn ids_of(r: &Resource) -> Vec<ResId> {
    r.all_ids()
}

fn selector_id(gvk: &Gvk, name: &str, namespace: &str) -> ResId {
    ResId {
        gvk: gvk.clone(),
        name: name.to_string(),
        namespace: namespace.to_string(),
    }
}

fn source_text(src: &ReplacementSource) -> String {
    format!("{}", selector_id(&src.gvk, &src.name, &src.namespace))
}

fn matches_meta_selectors(r: &Resource, sel: &Selector) -> Result<bool, String> {
    if !sel.annotation_selector.is_empty() {
        let s = LabelSelector::parse(&sel.annotation_selector)
            .map_err(|e| format!("annotationSelector: {e}"))?;
        if !s.matches(&r.annotations()) {
            return Ok(false);
        }
    }
    if !sel.label_selector.is_empty() {
        let s =
            LabelSelector::parse(&sel.label_selector).map_err(|e| format!("labelSelector: {e}"))?;
        if !s.matches(&r.labels()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Converts `text` to the type the target scalar has, like kyaml writing a node's `Value`
/// while keeping its tag.
fn retype(target: &Value, text: &str) -> Result<Value, String> {
    match target {
        Value::String(_) => Ok(Value::String(text.to_string())),
        Value::Int(_) | Value::UInt(_) => match resolve_plain(text, Schema::V3) {
            Resolved::Int(i) => Ok(Value::Int(i)),
            Resolved::UInt(u) => Ok(Value::UInt(u)),
            _ => Err(format!("cannot decode !!str `{text}` as a !!int")),
        },
        Value::Float(_) => match resolve_plain(text, Schema::V3) {
            Resolved::Int(i) => Ok(Value::Float(i as f64)),
            Resolved::Float(f) => Ok(Value::Float(f)),
            _ => Err(format!("cannot decode !!str `{text}` as a !!float")),
        },
        Value::Bool(_) => match resolve_plain(text, Schema::V3) {
            Resolved::Bool(b) => Ok(Value::Bool(b)),
            _ => Err(format!("cannot decode !!str `{text}` as a !!bool")),
        },
        _ => Ok(resolved_to_value(resolve_plain(text, Schema::V3), text)),
    }
}

fn set_field_value(
    opts: Option<&FieldOptions>,
    target: &mut Value,
    value: &Value,
    created: bool,
) -> Result<(), String> {
    let mut value = value.clone();
    if let Some(o) = opts.filter(|o| !o.delimiter.is_empty()) {
        if !target.is_scalar() {
            return Err("delimiter option can only be used with scalar nodes".into());
        }
        let cur = target.scalar_text().unwrap_or_default();
        let mut parts: Vec<String> = cur
            .split(o.delimiter.as_str())
            .map(str::to_string)
            .collect();
        let v = value.scalar_text().unwrap_or_default();
        if o.index < 0 {
            parts.insert(0, v);
        } else if o.index as usize >= parts.len() {
            parts.push(v);
        } else {
            parts[o.index as usize] = v;
        }
        value = Value::String(parts.join(&o.delimiter));
    }
    if target.is_scalar() {
        let text = value.scalar_text().unwrap_or_default();
        *target = if created || target.is_null() {
            // A created (or null) field is an untagged node: its text decides its type.
            resolved_to_value(resolve_plain(&text, Schema::V3), &text)
        } else {
            retype(target, &text)?
        };
    } else {
        *target = value;
    }
    Ok(())
}

fn refine_source(opts: Option<&FieldOptions>, v: &Value) -> Result<Value, String> {
    let Some(o) = opts.filter(|o| !o.delimiter.is_empty()) else {
        return Ok(v.clone());
    };
    if !v.is_scalar() {
        return Err("delimiter option can only be used with scalar nodes".into());
    }
    let text = v.scalar_text().unwrap_or_default();
    let parts: Vec<&str> = text.split(o.delimiter.as_str()).collect();
    if o.index < 0 || o.index as usize >= parts.len() {
        return Err(format!(
            "options.index {} is out of bounds for value {text}",
            o.index
        ));
    }
    Ok(Value::String(parts[o.index as usize].to_string()))
}

fn get_source_value(resmap: &ResMap, src: &ReplacementSource) -> Result<Value, String> {
    let sel = selector_id(&src.gvk, &src.name, &src.namespace);
    let mut found: Option<&Resource> = None;
    for r in &resmap.list {
        if ids_of(r).iter().any(|id| id.is_selected_by(&sel)) {
            if found.is_some() {
                return Err(format!(
                    "multiple matches for selector {}",
                    source_text(src)
                ));
            }
            found = Some(r);
        }
    }
    let Some(r) = found else {
        return Err(format!("nothing selected by {}", source_text(src)));
    };
    let fp = if src.field_path.is_empty() {
        "metadata.name"
    } else {
        src.field_path.as_str()
    };
    let v = lookup(&r.obj, &split_path(fp))?;
    match v {
        Some(v) if !v.is_nil_or_empty() => refine_source(src.options.as_ref(), v),
        _ => Err(format!(
            "fieldPath `{fp}` is missing for replacement source {}",
            source_text(src)
        )),
    }
}

fn apply_target(resmap: &mut ResMap, value: &Value, t: &ReplacementTarget) -> Result<(), String> {
    let Some(select) = &t.select else {
        return Err("target must specify resources to select".into());
    };
    let default_paths = vec!["metadata.name".to_string()];
    let paths = if t.field_paths.is_empty() {
        &default_paths
    } else {
        &t.field_paths
    };
    let sel_id = selector_id(&select.gvk, &select.name, &select.namespace);
    for r in &mut resmap.list {
        if !matches_meta_selectors(r, select)? {
            continue;
        }
        let mut rejected = false;
        for rej in &t.reject {
            if (rej.annotation_selector.is_empty() && rej.label_selector.is_empty())
                || !matches_meta_selectors(r, rej)?
            {
                continue;
            }
            rejected = true;
        }
        if rejected {
            continue;
        }
        let ids = ids_of(r);
        if !ids.iter().any(|id| id.is_selected_by(&sel_id)) {
            continue;
        }
        let rejected_by_id = t.reject.iter().any(|rej| {
            let rid = selector_id(&rej.gvk, &rej.name, &rej.namespace);
            let empty =
                rid.name.is_empty() && rid.namespace.is_empty() && rid.gvk == Gvk::default();
            !empty && ids.iter().any(|id| id.is_selected_by(&rid))
        });
        if rejected_by_id {
            continue;
        }
        let create = t.options.as_ref().is_some_and(|o| o.create);
        for fp in paths {
            let parts = split_path(fp);
            let opts = t.options.as_ref();
            let n = visit_path(
                &mut r.obj,
                &parts,
                if create { Some(value) } else { None },
                &mut |node, created| set_field_value(opts, node, value, created),
                false,
            )?;
            if n == 0 {
                return Err(if create {
                    format!("unable to find or create field \"{fp}\" in replacement target")
                } else {
                    format!("unable to find field \"{fp}\" in replacement target")
                });
            }
        }
    }
    Ok(())
}

/// Applies replacements in order.
pub(crate) fn apply(resmap: &mut ResMap, replacements: &[Replacement]) -> Result<(), String> {
    for (i, r) in replacements.iter().enumerate() {
        let (Some(src), false) = (&r.source, r.targets.is_empty()) else {
            return Err(format!(
                "replacement #{i}: replacements must specify a source and at least one target"
            ));
        };
        let value = get_source_value(resmap, src).map_err(|e| format!("replacement #{i}: {e}"))?;
        for t in &r.targets {
            apply_target(resmap, &value, t).map_err(|e| format!("replacement #{i}: {e}"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_outside_brackets() {
        assert_eq!(
            split_path("spec.containers.[name=a.b].image"),
            vec!["spec", "containers", "[name=a.b]", "image"]
        );
    }
}
