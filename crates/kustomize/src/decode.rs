//! Strict decoding of configuration values (kustomization files, transformer configs) into
//! typed structs, the way kustomize does it: YAML is turned into JSON and decoded with
//! unknown fields refused, field names matched case-insensitively (Go's `encoding/json`), no
//! coercion between strings, numbers and booleans, and `null` meaning "not set".

use crate::value::{Map, Value};

/// A decoding error message (the caller adds the file location).
pub(crate) type DecodeResult<T> = Result<T, String>;

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::UInt(_) | Value::Float(_) => "number",
        Value::String(_) => "string",
        Value::Seq(_) => "array",
        Value::Map(_) => "object",
    }
}

/// Walks the fields of one mapping, refusing the ones nobody asked for.
pub(crate) struct Fields<'a> {
    map: Option<&'a Map>,
    ctx: String,
    used: Vec<bool>,
}

impl<'a> Fields<'a> {
    /// Starts decoding `v` (a mapping, or null for "all defaults") described by `ctx`.
    pub(crate) fn new(v: &'a Value, ctx: &str) -> DecodeResult<Fields<'a>> {
        match v {
            Value::Map(m) => Ok(Fields {
                map: Some(m),
                ctx: ctx.to_string(),
                used: vec![false; m.len()],
            }),
            Value::Null => Ok(Fields {
                map: None,
                ctx: ctx.to_string(),
                used: Vec::new(),
            }),
            other => Err(format!(
                "{}: expected an object, got {}",
                ctx_name(ctx),
                json_kind(other)
            )),
        }
    }

    fn path(&self, name: &str) -> String {
        if self.ctx.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.ctx)
        }
    }

    /// The raw value of a field (exact name first, then ASCII case-insensitively, like Go);
    /// `None` when absent or null.
    pub(crate) fn raw(&mut self, name: &str) -> Option<&'a Value> {
        let map = self.map?;
        let mut found = None;
        if let Some(i) = map.get_index_of(name) {
            found = Some(i);
        } else {
            for (i, k) in map.keys().enumerate() {
                if k.eq_ignore_ascii_case(name) {
                    found = Some(i);
                }
            }
        }
        let i = found?;
        if let Some(u) = self.used.get_mut(i) {
            *u = true;
        }
        // Mark every case-variant as used (Go keeps the last one; they all decode the field).
        for (j, k) in map.keys().enumerate() {
            if k.eq_ignore_ascii_case(name)
                && let Some(u) = self.used.get_mut(j)
            {
                *u = true;
            }
        }
        map.get_index(i).map(|(_, v)| v).filter(|v| !v.is_null())
    }

    /// A string field ("" when absent).
    pub(crate) fn string(&mut self, name: &str) -> DecodeResult<String> {
        let path = self.path(name);
        Ok(self
            .raw(name)
            .map(|v| as_string(v, &path))
            .transpose()?
            .unwrap_or_default())
    }

    /// A boolean field (false when absent).
    pub(crate) fn bool(&mut self, name: &str) -> DecodeResult<bool> {
        let path = self.path(name);
        match self.raw(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(type_err(&path, other, "bool")),
        }
    }

    /// An integer field.
    pub(crate) fn int(&mut self, name: &str) -> DecodeResult<Option<i64>> {
        let path = self.path(name);
        match self.raw(name) {
            None => Ok(None),
            Some(v) => as_int(v, &path).map(Some),
        }
    }

    /// A list of strings.
    pub(crate) fn strings(&mut self, name: &str) -> DecodeResult<Vec<String>> {
        let path = self.path(name);
        match self.raw(name) {
            None => Ok(Vec::new()),
            Some(Value::Seq(items)) => items
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.is_null())
                .map(|(i, v)| as_string(v, &format!("{path}[{i}]")))
                .collect(),
            Some(other) => Err(type_err(&path, other, "[]string")),
        }
    }

    /// A map of strings to strings, in input order.
    pub(crate) fn string_map(&mut self, name: &str) -> DecodeResult<Vec<(String, String)>> {
        let path = self.path(name);
        match self.raw(name) {
            None => Ok(Vec::new()),
            Some(v) => as_string_map(v, &path),
        }
    }

    /// A map of strings to booleans.
    pub(crate) fn bool_map(&mut self, name: &str) -> DecodeResult<Vec<(String, bool)>> {
        let path = self.path(name);
        match self.raw(name) {
            None => Ok(Vec::new()),
            Some(Value::Map(m)) => m
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| match v {
                    Value::Bool(b) => Ok((k.clone(), *b)),
                    other => Err(type_err(&format!("{path}.{k}"), other, "bool")),
                })
                .collect(),
            Some(other) => Err(type_err(&path, other, "map[string]bool")),
        }
    }

    /// A list of objects, each decoded by `f` with its own context.
    pub(crate) fn list<T>(
        &mut self,
        name: &str,
        mut f: impl FnMut(&Value, &str) -> DecodeResult<T>,
    ) -> DecodeResult<Vec<T>> {
        let path = self.path(name);
        match self.raw(name) {
            None => Ok(Vec::new()),
            Some(Value::Seq(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| f(v, &format!("{path}[{i}]")))
                .collect(),
            Some(other) => Err(type_err(&path, other, "array")),
        }
    }

    /// A nested object decoded by `f`.
    pub(crate) fn object<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&Value, &str) -> DecodeResult<T>,
    ) -> DecodeResult<Option<T>> {
        let path = self.path(name);
        match self.raw(name) {
            None => Ok(None),
            Some(v) => f(v, &path).map(Some),
        }
    }

    /// Fails on fields nobody read (Go's `DisallowUnknownFields`).
    pub(crate) fn finish(self) -> DecodeResult<()> {
        if let Some(map) = self.map {
            for ((k, _), used) in map.iter().zip(self.used.iter()) {
                if !used {
                    return Err(format!("json: unknown field \"{k}\""));
                }
            }
        }
        Ok(())
    }

    /// Marks every field as read (for sections decoded loosely, like `metadata`).
    pub(crate) fn ignore_rest(mut self) {
        for u in &mut self.used {
            *u = true;
        }
    }
}

fn ctx_name(ctx: &str) -> &str {
    if ctx.is_empty() { "document" } else { ctx }
}

fn type_err(path: &str, got: &Value, want: &str) -> String {
    format!(
        "cannot unmarshal {} into field '{path}' of type {want}",
        json_kind(got)
    )
}

/// A string value (no coercion from numbers or booleans, like Go's JSON decoder).
pub(crate) fn as_string(v: &Value, path: &str) -> DecodeResult<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok(String::new()),
        other => Err(type_err(path, other, "string")),
    }
}

/// An integer value.
pub(crate) fn as_int(v: &Value, path: &str) -> DecodeResult<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Ok(*f as i64),
        other => Err(type_err(path, other, "int64")),
    }
}

/// A map of strings.
pub(crate) fn as_string_map(v: &Value, path: &str) -> DecodeResult<Vec<(String, String)>> {
    match v {
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| as_string(v, &format!("{path}.{k}")).map(|s| (k.clone(), s)))
            .collect(),
        Value::Null => Ok(Vec::new()),
        other => Err(type_err(path, other, "map[string]string")),
    }
}
