//! Strategic merge patch, as kustomize v5 applies it (kyaml `merge2` with patch items
//! prepended).
//!
//! Semantics worth knowing, all reproduced on purpose because `kubectl kustomize` has them:
//! maps merge recursively; `null` in the patch deletes; lists merge element-wise only where
//! the built-in schema gives a merge strategy (containers by `name`, ports by
//! `containerPort`+`protocol`...), otherwise the patch's list replaces; merged lists list the
//! patch's elements first, then the remaining ones; `$patch: delete|replace|merge` work on
//! maps, as a list element `{$patch: replace}` / `{$patch: delete}` on whole lists, and
//! `{name: x, $patch: delete}` removes one element — but `$patch: replace` on a single
//! element that already exists is a no-op in kyaml. `$setElementOrder/...`, `$retainKeys` and
//! `$deleteFromPrimitiveList/...` are not directives in kyaml: they stay as ordinary fields.
//! Elements lacking the merge key disturb the merge exactly as they do in kyaml.

use super::schema::{self, Schema};
use crate::value::{Map, Value};
use crate::yaml::scalar::{Schema as YamlSchema, resolve_plain, resolved_to_value};

const DIRECTIVE: &str = "$patch";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Directive {
    Merge,
    Replace,
    Delete,
}

fn parse_directive(v: &Value) -> Result<Directive, String> {
    match v.scalar_text().as_deref() {
        Some("delete") => Ok(Directive::Delete),
        Some("replace") => Ok(Directive::Replace),
        Some("merge") => Ok(Directive::Merge),
        Some(other) => Err(format!("unknown patch strategy '{other}'")),
        None => Err("unknown patch strategy (not a scalar)".into()),
    }
}

/// Reads and removes a map's `$patch` directive.
fn take_map_directive(patch: &mut Value) -> Result<Directive, String> {
    match patch {
        Value::Map(m) => match m.get(DIRECTIVE) {
            None => Ok(Directive::Merge),
            Some(v) => {
                let d = parse_directive(v)?;
                m.shift_remove(DIRECTIVE);
                Ok(d)
            }
        },
        _ => Ok(Directive::Merge),
    }
}

/// Reads and removes a list's `{$patch: ...}` element (one with no other key).
fn take_seq_directive(patch: &mut Value) -> Result<Directive, String> {
    let Value::Seq(items) = patch else {
        return Ok(Directive::Merge);
    };
    let found = items.iter().find_map(|i| match i {
        Value::Map(m) if m.contains_key(DIRECTIVE) => Some(m.clone()),
        _ => None,
    });
    let Some(m) = found else {
        return Ok(Directive::Merge);
    };
    if m.len() != 1 {
        return Ok(Directive::Merge);
    }
    let Some(v) = m.get(DIRECTIVE) else {
        return Ok(Directive::Merge);
    };
    let d = parse_directive(v)?;
    let text = v.scalar_text();
    items.retain(|i| match i {
        Value::Map(mm) => {
            !(mm.len() == 1 && mm.get(DIRECTIVE).and_then(Value::scalar_text) == text)
        }
        _ => true,
    });
    Ok(d)
}

fn is_missing_or_null(v: &Option<Value>) -> bool {
    matches!(v, None | Some(Value::Null))
}

fn is_empty_map(v: &Value) -> bool {
    matches!(v, Value::Map(m) if m.is_empty())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    Map,
    Seq,
    Scalar,
    None,
}

fn kind_of(v: &Value) -> NodeKind {
    match v {
        Value::Map(_) => NodeKind::Map,
        Value::Seq(_) => NodeKind::Seq,
        _ => NodeKind::Scalar,
    }
}

fn kind_name(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Map => "MappingNode",
        NodeKind::Seq => "SequenceNode",
        NodeKind::Scalar => "ScalarNode",
        NodeKind::None => "none",
    }
}

struct Walker<'p> {
    path: &'p [String],
}

fn check_kinds(
    expected: NodeKind,
    sources: &[&Option<Value>],
    path: &[String],
) -> Result<(), String> {
    for s in sources {
        if let Some(v) = s
            && !v.is_null()
            && kind_of(v) != expected
        {
            return Err(format!(
                "wrong node kind for {}: expected {} but the patch or the object has {}",
                path.join("."),
                kind_name(expected),
                kind_name(kind_of(v))
            ));
        }
    }
    Ok(())
}

/// Merges `src` (the patch) into `dest`. `None` means the field is cleared.
fn walk(
    dest: Option<Value>,
    src: Option<Value>,
    schema: Option<Schema>,
    path: &[String],
) -> Result<Option<Value>, String> {
    let w = Walker { path };
    let schema = schema.or_else(|| schema_from_sources(&dest, &src));
    let kind = [&dest, &src]
        .iter()
        .find_map(|s| s.as_ref().filter(|v| !v.is_null()).map(kind_of))
        .unwrap_or(NodeKind::None);
    match kind {
        NodeKind::Map | NodeKind::None => {
            if kind == NodeKind::Map {
                check_kinds(NodeKind::Map, &[&dest, &src], path)?;
            }
            w.walk_map(dest, src, schema)
        }
        NodeKind::Seq => {
            check_kinds(NodeKind::Seq, &[&dest, &src], path)?;
            match schema {
                Some(s) if s.is_associative() => w.walk_assoc(dest, src, s),
                _ => Ok(if src.is_some() { src } else { dest }),
            }
        }
        NodeKind::Scalar => {
            check_kinds(NodeKind::Scalar, &[&dest, &src], path)?;
            Ok(if src.is_some() { src } else { dest })
        }
    }
}

/// kyaml looks a schema up from a source's own `apiVersion`/`kind` when it has none.
fn schema_from_sources(dest: &Option<Value>, src: &Option<Value>) -> Option<Schema> {
    for s in [dest, src].into_iter().flatten() {
        let av = s
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = s.get("kind").and_then(Value::as_str).unwrap_or_default();
        if !av.is_empty()
            && !kind.is_empty()
            && let Some(sc) = schema::for_kind(av, kind)
        {
            return Some(sc);
        }
    }
    None
}

impl Walker<'_> {
    fn child_path(&self, key: &str) -> Vec<String> {
        let mut p = self.path.to_vec();
        p.push(key.to_string());
        p
    }

    fn walk_map(
        &self,
        dest: Option<Value>,
        mut src: Option<Value>,
        schema: Option<Schema>,
    ) -> Result<Option<Value>, String> {
        // kyaml's Merger.VisitMap.
        let mut d: Value = if is_missing_or_null(&dest) {
            let d = match &mut src {
                Some(s) => take_map_directive(s).unwrap_or(Directive::Merge),
                None => Directive::Merge,
            };
            if d == Directive::Delete {
                return Ok(None);
            }
            if src.is_none() {
                // Keep an explicit null in the object when the patch does not mention it.
                return Ok(dest);
            }
            match src.clone() {
                Some(v) => v,
                None => return Ok(None),
            }
        } else {
            if matches!(src, Some(Value::Null)) {
                return Ok(None);
            }
            let directive = match &mut src {
                Some(s) => take_map_directive(s)?,
                None => Directive::Merge,
            };
            match directive {
                Directive::Delete => return Ok(None),
                Directive::Replace => match src.clone() {
                    Some(v) => v,
                    None => return Ok(None),
                },
                Directive::Merge => dest.unwrap_or(Value::Null),
            }
        };
        let Value::Map(dm) = &mut d else {
            // A null result of the visit (dest null, patch null): nothing to walk.
            return Ok(Some(d));
        };
        let src_map: Option<&Map> = src.as_ref().and_then(Value::as_map);
        let mut names: Vec<String> = dm.keys().cloned().collect();
        if let Some(sm) = src_map {
            for k in sm.keys() {
                if !dm.contains_key(k) {
                    names.push(k.clone());
                }
            }
        }
        names.sort();
        names.dedup();
        for key in names {
            let dv = dm.get(&key).cloned();
            let sv = src_map.and_then(|m| m.get(&key)).cloned();
            let keep_null = keeps_null(&dv, &sv.as_ref());
            let fs = schema.and_then(|s| s.field(&key));
            let cp = self.child_path(&key);
            match walk(dv, sv, fs, &cp)? {
                Some(Value::Null) if keep_null => {
                    dm.insert(key, Value::Null);
                }
                None | Some(Value::Null) => {
                    dm.shift_remove(&key);
                }
                Some(v) => {
                    dm.insert(key, v);
                }
            }
        }
        Ok(Some(d))
    }

    fn walk_assoc(
        &self,
        dest: Option<Value>,
        mut src: Option<Value>,
        schema: Schema,
    ) -> Result<Option<Value>, String> {
        // kyaml's Merger.VisitList for associative lists.
        let d: Value = if is_missing_or_null(&dest) {
            match src.clone() {
                Some(v) => v,
                None => return Ok(None),
            }
        } else {
            if matches!(src, Some(Value::Null)) {
                return Ok(None);
            }
            let directive = match &mut src {
                Some(s) => take_seq_directive(s)?,
                None => Directive::Merge,
            };
            match directive {
                Directive::Delete => return Ok(None),
                Directive::Replace => match src.clone() {
                    Some(v) => v,
                    None => return Ok(None),
                },
                Directive::Merge => dest.unwrap_or(Value::Null),
            }
        };
        let Value::Seq(dlist) = d else {
            return Ok(Some(d));
        };
        let slist: Vec<Value> = match &src {
            Some(Value::Seq(s)) => s.clone(),
            _ => Vec::new(),
        };
        let keys = schema.keys();
        let elem_schema = schema.elements();
        // Patch elements first (prepend), then the object's.
        let values = element_values(&slist, &dlist, keys);
        if !values.is_empty() || !keys.is_empty() {
            self.set_assoc_elements(values, keys, dlist, &slist, elem_schema)
                .map(|v| v.map(Value::Seq))
        } else {
            self.set_primitive_elements(dlist, &slist)
                .map(|v| v.map(Value::Seq))
        }
    }

    fn set_assoc_elements(
        &self,
        values: Vec<Vec<String>>,
        keys: &[&str],
        mut dest: Vec<Value>,
        src: &[Value],
        elem_schema: Option<Schema>,
    ) -> Result<Option<Vec<Value>>, String> {
        let mut items: Vec<Value> = Vec::new();
        for value in &values {
            if value.is_empty() {
                continue;
            }
            let (vk, vv) = validate_keys(value, keys);
            let di = find_element(&dest, &vk, &vv);
            let se = find_element(src, &vk, &vv).map(|i| src[i].clone());
            let de = di.map(|i| dest[i].clone());
            // kyaml merges into the object's element in place, unless the patch element asks
            // for `$patch: replace` (then the merge result is a different node, which is later
            // overwritten by the untouched original).
            let replaced = de.is_some()
                && se
                    .as_ref()
                    .and_then(|s| s.get(DIRECTIVE))
                    .and_then(Value::scalar_text)
                    .as_deref()
                    == Some("replace");
            let val = walk(de, se, elem_schema, self.path)?;
            let deleted = match &val {
                None | Some(Value::Null) => true,
                Some(v) => is_empty_map(v),
            };
            if deleted {
                element_delete(&mut dest, &vk, &vv);
                continue;
            }
            let Some(mut val) = val else { continue };
            for (k, v) in vk.iter().zip(vv.iter()) {
                if let Value::Map(m) = &mut val
                    && !m.contains_key(*k)
                {
                    m.insert(
                        (*k).to_string(),
                        resolved_to_value(resolve_plain(v, YamlSchema::V3), v),
                    );
                }
            }
            if let (Some(i), false) = (di, replaced)
                && let Some(slot) = dest.get_mut(i)
            {
                *slot = val.clone();
            }
            element_set(&mut items, Some(val), &vk, &vv);
        }
        // kyaml's appendListNode(itemsToBeAdded, dest, keys): the object's elements replace
        // their merged copies in place; with several merge keys they are first removed, so
        // they move behind the new ones, in the object's order. An element lacking a key is
        // appended, and the keyless setter then keeps nothing else (kyaml's behaviour).
        for elem in dest {
            let mut v: Vec<String> = Vec::new();
            for key in keys {
                match elem.get(key) {
                    None => items.push(elem.clone()),
                    Some(x) => v.push(x.scalar_text().unwrap_or_default()),
                }
            }
            if keys.len() > 1 {
                element_set(&mut items, None, keys, &v);
            }
            element_set(&mut items, Some(elem.clone()), keys, &v);
        }
        Ok(Some(items))
    }

    fn set_primitive_elements(
        &self,
        mut dest: Vec<Value>,
        src: &[Value],
    ) -> Result<Option<Vec<Value>>, String> {
        let mut values: Vec<String> = Vec::new();
        for item in src.iter().chain(dest.iter()) {
            let t = item.scalar_text().unwrap_or_default();
            if !values.contains(&t) {
                values.push(t);
            }
        }
        let mut items: Vec<Value> = Vec::new();
        let key: [&str; 1] = [""];
        for value in &values {
            let de = dest
                .iter()
                .find(|e| e.scalar_text().unwrap_or_default() == *value)
                .cloned();
            let se = src
                .iter()
                .find(|e| e.scalar_text().unwrap_or_default() == *value)
                .cloned();
            let val = walk(de, se, None, self.path)?;
            let deleted = match &val {
                None | Some(Value::Null) => true,
                Some(v) => is_empty_map(v),
            };
            let vv = [value.clone()];
            if deleted {
                element_delete(&mut dest, &key, &vv);
                continue;
            }
            element_set(&mut items, val, &key, &vv);
        }
        for elem in dest {
            let t = [elem.scalar_text().unwrap_or_default()];
            element_set(&mut items, Some(elem), &key, &t);
        }
        Ok(Some(items))
    }
}

/// Whether a null merge result must stay as an explicit null (object null, patch silent).
fn keeps_null(dest: &Option<Value>, src: &Option<&Value>) -> bool {
    matches!(dest, Some(Value::Null)) && src.is_none()
}

/// The distinct key tuples of the patch's then the object's elements.
fn element_values(src: &[Value], dest: &[Value], keys: &[&str]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for list in [src, dest] {
        for e in list {
            let tuple: Vec<String> = keys
                .iter()
                .map(|k| match e.get(k) {
                    Some(v) if !v.is_nil_or_empty() => v.scalar_text().unwrap_or_default(),
                    _ => String::new(),
                })
                .collect();
            if tuple.is_empty() || out.contains(&tuple) {
                continue;
            }
            out.push(tuple);
        }
    }
    out
}

/// kyaml's validateKeys: drop keys with empty values, unless none would be left.
fn validate_keys<'k>(value: &[String], keys: &[&'k str]) -> (Vec<&'k str>, Vec<String>) {
    let mut vk = Vec::new();
    let mut vv = Vec::new();
    for (i, v) in value.iter().enumerate() {
        if !v.is_empty()
            && let Some(k) = keys.get(i)
        {
            vk.push(*k);
            vv.push(v.clone());
        }
    }
    if vk.is_empty() {
        return (keys.to_vec(), value.to_vec());
    }
    (vk, vv)
}

/// kyaml's ElementMatcher: the first mapping element whose keys have exactly these values.
fn find_element(list: &[Value], keys: &[&str], values: &[String]) -> Option<usize> {
    if keys.first().is_none_or(|k| k.is_empty()) {
        let want = values.first().cloned().unwrap_or_default();
        return list
            .iter()
            .position(|e| e.scalar_text().unwrap_or_default() == want);
    }
    list.iter().position(|e| {
        let Value::Map(m) = e else { return false };
        keys.iter().zip(values.iter()).all(|(k, v)| {
            m.get(*k)
                .is_some_and(|x| !x.is_null() && x.scalar_text().as_deref() == Some(v.as_str()))
        })
    })
}

/// Whether an element matches for kyaml's ElementSetter (an empty wanted value only requires
/// the field to exist; keys beyond the given values reuse the last comparison).
fn setter_matches(elem: &Value, keys: &[&str], values: &[String]) -> bool {
    let mut found: Option<bool> = None;
    for (j, k) in keys.iter().enumerate() {
        if let Some(want) = values.get(j) {
            let hit = if k.is_empty() {
                elem.scalar_text().unwrap_or_default() == *want
            } else {
                match elem {
                    Value::Map(m) => match m.get(*k) {
                        None => false,
                        Some(_) if want.is_empty() => true,
                        Some(x) => x.scalar_text().as_deref() == Some(want.as_str()),
                    },
                    _ => false,
                }
            };
            found = Some(hit);
        }
        if found != Some(true) {
            return false;
        }
    }
    found == Some(true)
}

/// kyaml's ElementSetter: replace matching elements with `elem` (or delete them when `elem`
/// is `None`), append when nothing matched; empty elements are dropped on the way.
fn element_set(list: &mut Vec<Value>, elem: Option<Value>, keys: &[&str], values: &[String]) {
    let mapping_setter = keys.first().is_some_and(|k| !k.is_empty())
        && values.first().is_some_and(|v| !v.is_empty());
    let mut out = Vec::with_capacity(list.len() + 1);
    let mut matched = false;
    for e in list.drain(..) {
        if e.is_null() || is_empty_map(&e) {
            continue;
        }
        if !matches!(e, Value::Map(_)) && mapping_setter {
            out.push(e);
            continue;
        }
        if !setter_matches(&e, keys, values) {
            if !values.is_empty() {
                out.push(e);
            }
            continue;
        }
        matched = true;
        if let Some(x) = &elem {
            out.push(x.clone());
        }
    }
    *list = out;
    if let Some(x) = elem
        && !x.is_null()
        && !matched
    {
        list.push(x);
    }
}

fn element_delete(list: &mut Vec<Value>, keys: &[&str], values: &[String]) {
    element_set(list, None, keys, values);
}

/// Applies a strategic merge patch to an object. `None` means the patch deleted the object.
pub(crate) fn apply(obj: &Value, patch: &Value) -> Result<Option<Value>, String> {
    let av = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    let schema = schema::for_kind(av, kind);
    walk(Some(obj.clone()), Some(patch.clone()), schema, &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::emit::to_yaml;
    use crate::yaml::parse::parse_stream;

    fn run(obj: &str, patch: &str) -> String {
        let o = parse_stream(obj).unwrap().remove(0);
        let p = parse_stream(patch).unwrap().remove(0);
        match apply(&o, &p).unwrap() {
            Some(v) => to_yaml(&v).unwrap(),
            None => "<deleted>".into(),
        }
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: a, image: y}\n      - {name: b, image: b}\n";

    #[test]
    fn containers_merge_by_name_with_patch_elements_first() {
        let out = run(
            DEPLOY,
            "spec:\n  template:\n    spec:\n      containers:\n      - {name: b, image: nb}\n      - {name: c, image: c}\n",
        );
        assert!(out.contains("- image: nb\n        name: b\n      - image: c\n        name: c\n      - image: \"y\"\n        name: a\n"), "{out}");
    }

    #[test]
    fn null_deletes_and_patch_delete_removes_the_object() {
        let out = run(DEPLOY, "metadata:\n  name: null\n");
        assert!(!out.contains("name: x"), "{out}");
        assert_eq!(run(DEPLOY, "$patch: delete\n"), "<deleted>");
    }

    #[test]
    fn unknown_kinds_replace_lists() {
        let out = run(
            "apiVersion: x/v1\nkind: Foo\nitems: [{name: a, v: 1}, {name: b}]\n",
            "items: [{name: a, v: 2}]\n",
        );
        assert!(out.contains("items:\n- name: a\n  v: 2\n"), "{out}");
    }

    #[test]
    fn element_without_key_in_the_object_takes_over_like_kyaml() {
        let obj = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: a, image: y}\n      - {image: nameless}\n      - {name: b, image: b}\n";
        let out = run(
            obj,
            "spec:\n  template:\n    spec:\n      containers:\n      - {name: c, image: c}\n",
        );
        assert!(
            out.contains("containers:\n      - image: nameless\n"),
            "{out}"
        );
    }
}
