//! Turning schemars output into a structural OpenAPI v3 schema that a v1.20
//! apiserver accepts and that has the shape of Flux's CRDs.
//!
//! schemars describes `Option<T>` as `T | null` and documented enum variants
//! as `oneOf` consts; kube's own transforms turn that into `nullable: true`
//! and `enum: [..., null]`, which a v1.20 apiserver refuses with the
//! misleading "per-version schemas may not all be set to identical values".
//! Flux's CRDs never use either, so [`normalize`] rewrites the raw schemars
//! output once, recursively:
//!
//! - `anyOf`/`oneOf` wrappers around one non-null schema collapse into it
//!   (the wrapper's description and default win);
//! - `oneOf`/`anyOf` of constants become a plain `enum`;
//! - `type: [T, "null"]` becomes `type: T`; `null` leaves every `enum`;
//! - `nullable`, `title`, `$schema`, `const` and `x-kubernetes-validations`
//!   are dropped;
//! - a schema with no type (free-form `serde_json::Value`) gets
//!   `x-kubernetes-preserve-unknown-fields: true`;
//! - whole-number floats (`minimum: 0.0`) become integers;
//! - `required` lists are sorted, as controller-gen writes them.
//!
//! [`structural_errors`] checks the result, for tests.

use serde_json::{Map, Value, json};

/// Keys whose value is a single sub-schema.
const SCHEMA_KEYS: &[&str] = &["items", "additionalProperties", "not"];
/// Keys whose value is a list of sub-schemas.
const SCHEMA_LIST_KEYS: &[&str] = &["allOf", "anyOf", "oneOf"];
/// Keys dropped everywhere.
const DROPPED_KEYS: &[&str] = &[
    "nullable",
    "title",
    "$schema",
    "$defs",
    "definitions",
    "x-kubernetes-validations",
    "examples",
];

/// Rewrites a schemars-generated schema into a structural, null-free schema
/// (see the module documentation for the rules).
pub fn normalize(schema: &mut Value) {
    match schema {
        Value::Bool(_) => *schema = preserve_unknown(),
        Value::Object(map) => normalize_object(map),
        _ => {}
    }
}

/// The schema of a field whose content the apiserver must keep as is.
fn preserve_unknown() -> Value {
    json!({ "x-kubernetes-preserve-unknown-fields": true })
}

fn normalize_object(map: &mut Map<String, Value>) {
    collapse_nullable_wrappers(map);
    collapse_const_alternatives(map);
    strip_null_type(map);
    strip_null_enum_values(map);
    if let Some(value) = map.remove("const") {
        map.entry("enum")
            .or_insert_with(|| Value::Array(vec![value]));
    }
    for key in DROPPED_KEYS {
        map.remove(*key);
    }
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        for property in properties.values_mut() {
            normalize(property);
        }
    }
    for key in SCHEMA_KEYS {
        if let Some(sub) = map.get_mut(*key) {
            // `additionalProperties: false/true` is a flag, not a schema.
            if sub.is_object() {
                normalize(sub);
            }
        }
    }
    for key in SCHEMA_LIST_KEYS {
        if let Some(Value::Array(list)) = map.get_mut(*key) {
            list.iter_mut().for_each(normalize);
        }
    }
    integral_numbers(map);
    if let Some(Value::Array(required)) = map.get_mut("required") {
        required.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    if !map.contains_key("type")
        && !is_flag(map, "x-kubernetes-int-or-string")
        && !SCHEMA_LIST_KEYS.iter().any(|k| map.contains_key(*k))
    {
        map.insert(
            "x-kubernetes-preserve-unknown-fields".to_string(),
            Value::Bool(true),
        );
    }
}

/// `anyOf: [S, {type: null}]` (or `oneOf`) → the keys of `S`, keeping the
/// wrapper's own keys (description, default) where both have one.
fn collapse_nullable_wrappers(map: &mut Map<String, Value>) {
    for key in SCHEMA_LIST_KEYS {
        let Some(Value::Array(list)) = map.get(*key) else {
            continue;
        };
        let non_null: Vec<&Value> = list.iter().filter(|s| !is_null_schema(s)).collect();
        if non_null.len() == 1 && non_null.len() < list.len() {
            let inner = non_null[0].clone();
            map.remove(*key);
            merge_missing(map, inner);
        }
    }
}

/// Copies keys of `inner` that `outer` does not already have.
fn merge_missing(outer: &mut Map<String, Value>, inner: Value) {
    match inner {
        Value::Object(inner) => {
            for (k, v) in inner {
                outer.entry(k).or_insert(v);
            }
        }
        Value::Bool(_) => {
            outer
                .entry("x-kubernetes-preserve-unknown-fields")
                .or_insert(Value::Bool(true));
        }
        _ => {}
    }
}

/// `oneOf: [{const: a}, {enum: [b]}, ...]` → `enum: [a, b, ...]` with the
/// constants' common type.
fn collapse_const_alternatives(map: &mut Map<String, Value>) {
    for key in SCHEMA_LIST_KEYS {
        let Some(Value::Array(list)) = map.get(*key) else {
            continue;
        };
        let mut values = Vec::new();
        for branch in list {
            match constants_of(branch) {
                Some(found) => values.extend(found),
                None => {
                    values.clear();
                    break;
                }
            }
        }
        let values: Vec<Value> = values.into_iter().filter(|v| !v.is_null()).collect();
        if values.is_empty() {
            continue;
        }
        map.remove(*key);
        if let Some(t) = common_type(&values) {
            map.entry("type").or_insert(Value::String(t.to_string()));
        }
        map.insert("enum".to_string(), Value::Array(values));
    }
}

/// The values a branch allows if it is only constants (plus annotations).
fn constants_of(branch: &Value) -> Option<Vec<Value>> {
    let obj = branch.as_object()?;
    if is_null_schema(branch) {
        return Some(vec![Value::Null]);
    }
    let annotation_only = obj.keys().all(|k| {
        matches!(
            k.as_str(),
            "const" | "enum" | "type" | "description" | "title"
        )
    });
    if !annotation_only {
        return None;
    }
    if let Some(c) = obj.get("const") {
        return Some(vec![c.clone()]);
    }
    obj.get("enum").and_then(Value::as_array).cloned()
}

/// The JSON type shared by all `values`, if there is one.
fn common_type(values: &[Value]) -> Option<&'static str> {
    let type_of = |v: &Value| match v {
        Value::String(_) => Some("string"),
        Value::Bool(_) => Some("boolean"),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some("integer"),
        Value::Number(_) => Some("number"),
        _ => None,
    };
    let first = type_of(values.first()?)?;
    values
        .iter()
        .all(|v| type_of(v) == Some(first))
        .then_some(first)
}

/// Whether `schema` only allows `null`.
fn is_null_schema(schema: &Value) -> bool {
    let Some(obj) = schema.as_object() else {
        return false;
    };
    match (obj.get("type"), obj.get("enum"), obj.get("const")) {
        (Some(Value::String(t)), _, _) => t == "null",
        (_, Some(Value::Array(e)), _) => e.iter().all(Value::is_null),
        (_, _, Some(Value::Null)) => true,
        _ => false,
    }
}

/// `type: [T, "null"]` → `type: T`.
fn strip_null_type(map: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = map.get("type") {
        let rest: Vec<Value> = types
            .iter()
            .filter(|t| t.as_str() != Some("null"))
            .cloned()
            .collect();
        match rest.len() {
            0 => {
                map.remove("type");
            }
            1 => {
                map.insert("type".to_string(), rest[0].clone());
            }
            _ => {
                map.insert("type".to_string(), Value::Array(rest));
            }
        }
    }
}

/// Removes `null` from `enum`.
fn strip_null_enum_values(map: &mut Map<String, Value>) {
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
}

/// `minimum: 0.0` → `minimum: 0`, for the numeric validation keywords.
fn integral_numbers(map: &mut Map<String, Value>) {
    for key in ["minimum", "maximum", "multipleOf"] {
        if let Some(Value::Number(n)) = map.get(key)
            && let Some(f) = n.as_f64()
            && f.fract() == 0.0
            && f.abs() < 9.0e15
        {
            #[allow(clippy::cast_possible_truncation)]
            let whole = f as i64;
            map.insert(key.to_string(), Value::from(whole));
        }
    }
}

/// Applies the `minimum: 0.0` → `minimum: 0` rewrite to every object in
/// `value`: `JSONSchemaProps` stores numbers as floats, so a typed CRD
/// serializes them back with a fraction.
pub fn integral_numbers_deep(value: &mut Value) {
    match value {
        Value::Object(map) => {
            integral_numbers(map);
            map.values_mut().for_each(integral_numbers_deep);
        }
        Value::Array(list) => list.iter_mut().for_each(integral_numbers_deep),
        _ => {}
    }
}

/// Whether `map[key]` is `true`.
fn is_flag(map: &Map<String, Value>, key: &str) -> bool {
    map.get(key) == Some(&Value::Bool(true))
}

/// Everything that makes `schema` unacceptable as a structural schema for a
/// v1.20 apiserver, or unlike Flux's CRDs, as `path: problem` strings.
/// Empty when the schema is fine.
pub fn structural_errors(schema: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, "", &mut errors);
    errors
}

fn check(schema: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(map) = schema.as_object() else {
        errors.push(format!("{path}: schema is not an object"));
        return;
    };
    let preserve = is_flag(map, "x-kubernetes-preserve-unknown-fields");
    let int_or_string = is_flag(map, "x-kubernetes-int-or-string");
    match map.get("type") {
        Some(Value::String(_)) => {}
        Some(other) => errors.push(format!("{path}: type must be one string, got {other}")),
        None if preserve || int_or_string => {}
        None => errors.push(format!("{path}: no type")),
    }
    for key in DROPPED_KEYS
        .iter()
        .chain(["const", "anyOf", "oneOf", "$ref"].iter())
    {
        if map.contains_key(*key) {
            errors.push(format!("{path}: has {key}"));
        }
    }
    if let Some(values) = map.get("enum").and_then(Value::as_array)
        && values.iter().any(Value::is_null)
    {
        errors.push(format!("{path}: enum contains null"));
    }
    if map.contains_key("properties")
        && map
            .get("additionalProperties")
            .is_some_and(Value::is_object)
    {
        errors.push(format!("{path}: both properties and additionalProperties"));
    }
    if let Some(Value::Object(properties)) = map.get("properties") {
        for (name, sub) in properties {
            check(sub, &format!("{path}.{name}"), errors);
        }
        if let Some(Value::Array(required)) = map.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !properties.contains_key(name) {
                    errors.push(format!("{path}: required {name} is not a property"));
                }
            }
        }
    }
    if let Some(items) = map.get("items") {
        check(items, &format!("{path}[]"), errors);
    } else if map.get("type").and_then(Value::as_str) == Some("array") {
        errors.push(format!("{path}: array without items"));
    }
    if let Some(additional) = map.get("additionalProperties").filter(|v| v.is_object()) {
        check(additional, &format!("{path}{{}}"), errors);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(mut v: Value) -> Value {
        normalize(&mut v);
        v
    }

    #[test]
    fn optional_enum_loses_null_and_nullable() {
        let out = normalized(json!({
            "type": "object",
            "properties": {
                "mode": {
                    "description": "field doc",
                    "anyOf": [
                        {"description": "type doc", "type": "string", "enum": ["a", "b"]},
                        {"type": "null"}
                    ]
                },
                "plain": {"type": "string", "enum": ["x", null], "nullable": true}
            }
        }));
        assert_eq!(
            out["properties"]["mode"],
            json!({"description": "field doc", "type": "string", "enum": ["a", "b"]})
        );
        assert_eq!(
            out["properties"]["plain"],
            json!({"type": "string", "enum": ["x"]})
        );
        assert!(structural_errors(&out).is_empty());
    }

    #[test]
    fn documented_enum_variants_become_a_plain_enum() {
        let out = normalized(json!({
            "anyOf": [
                {"oneOf": [
                    {"type": "string", "const": "generic", "description": "one"},
                    {"type": "string", "enum": ["aws"], "description": "two"}
                ]},
                {"type": "null"}
            ],
            "default": "generic"
        }));
        assert_eq!(
            out,
            json!({"type": "string", "enum": ["generic", "aws"], "default": "generic"})
        );
    }

    #[test]
    fn nullable_struct_reference_collapses_to_the_struct() {
        let out = normalized(json!({
            "description": "outer",
            "oneOf": [
                {"type": "object", "properties": {"name": {"type": ["string", "null"]}}},
                {"enum": [null], "nullable": true}
            ]
        }));
        assert_eq!(
            out,
            json!({"description": "outer", "type": "object",
                   "properties": {"name": {"type": "string"}}})
        );
    }

    #[test]
    fn free_form_values_preserve_unknown_fields() {
        let out = normalized(json!({
            "type": "object",
            "properties": {"values": true, "raw": {"description": "any"}}
        }));
        assert_eq!(
            out["properties"]["values"],
            json!({"x-kubernetes-preserve-unknown-fields": true})
        );
        assert_eq!(
            out["properties"]["raw"],
            json!({"description": "any", "x-kubernetes-preserve-unknown-fields": true})
        );
        assert!(structural_errors(&out).is_empty());
    }

    #[test]
    fn cel_rules_titles_and_float_minimums_are_rewritten() {
        let out = normalized(json!({
            "type": "object",
            "title": "X",
            "x-kubernetes-validations": [{"rule": "true"}],
            "properties": {"n": {"type": "integer", "minimum": 0.0}}
        }));
        assert_eq!(
            out,
            json!({"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}})
        );
    }

    #[test]
    fn structural_check_reports_untyped_nodes_and_null_enums() {
        let bad = json!({
            "type": "object",
            "properties": {
                "a": {"description": "no type"},
                "b": {"type": "string", "enum": ["x", null]},
                "c": {"type": "array"},
                "d": {"type": "string", "nullable": true}
            },
            "required": ["e"]
        });
        let errors = structural_errors(&bad);
        assert_eq!(errors.len(), 5, "{errors:?}");
    }
}
