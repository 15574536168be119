//! The in-memory form of a Kubernetes object: a JSON-like tree.
//!
//! kustomize keeps kyaml nodes, but everything it prints goes through a JSON round trip
//! (`yaml.v3` decode → `encoding/json` → `yaml.v2`), so typed values are all that survive:
//! scalar styles, comments and key order never reach the output. Keeping typed values from the
//! start is therefore lossless for the output and much cheaper than a node tree.

use indexmap::IndexMap;

/// An ordered mapping from string keys to values (input order is kept; output sorts keys).
pub type Map = IndexMap<String, Value>;

/// One YAML/JSON value, typed as `yaml.v3` resolves it (YAML 1.2 core schema plus kyaml's
/// quirks: `yes`/`on` are strings, `0777` is the integer 511).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or an empty plain scalar.
    Null,
    /// `true` / `false` (and their capitalised spellings).
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// An integer above `i64::MAX` that fits in `u64`.
    UInt(u64),
    /// A floating point number.
    Float(f64),
    /// A string.
    String(String),
    /// A sequence.
    Seq(Vec<Value>),
    /// A mapping.
    Map(Map),
}

impl Value {
    /// A new empty mapping value.
    #[must_use]
    pub fn new_map() -> Value {
        Value::Map(Map::new())
    }

    /// The string if this is a string.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping if this is a mapping.
    #[must_use]
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The mapping, mutably, if this is a mapping.
    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence if this is a sequence.
    #[must_use]
    pub fn as_seq(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The sequence, mutably, if this is a sequence.
    pub fn as_seq_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is `null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this is a scalar (not a mapping or sequence).
    #[must_use]
    pub fn is_scalar(&self) -> bool {
        !matches!(self, Value::Map(_) | Value::Seq(_))
    }

    /// A field of a mapping.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// A field of a mapping, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.as_map_mut().and_then(|m| m.get_mut(key))
    }

    /// The value at a path of mapping keys.
    #[must_use]
    pub fn get_path(&self, path: &[&str]) -> Option<&Value> {
        let mut cur = self;
        for key in path {
            cur = cur.get(key)?;
        }
        Some(cur)
    }

    /// The value at a path of mapping keys, mutably.
    pub fn get_path_mut(&mut self, path: &[&str]) -> Option<&mut Value> {
        let mut cur = self;
        for key in path {
            cur = cur.get_mut(key)?;
        }
        Some(cur)
    }

    /// A string field of a mapping (only when the field is a string).
    #[must_use]
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// The text kyaml would hold for this scalar (its node `Value`): strings as is, numbers in
    /// decimal, `true`/`false`, `null` as empty; `None` for mappings and sequences.
    #[must_use]
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Value::Null => Some(String::new()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::UInt(u) => Some(u.to_string()),
            Value::Float(f) => Some(crate::yaml::scalar::float_text(*f)),
            Value::String(s) => Some(s.clone()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// Whether this is null, an empty mapping or an empty sequence (kyaml's `IsNilOrEmpty`).
    #[must_use]
    pub fn is_nil_or_empty(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Map(m) => m.is_empty(),
            Value::Seq(s) => s.is_empty(),
            _ => false,
        }
    }

    /// A short name of the value's kind, for error messages.
    #[must_use]
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::UInt(_) => "integer",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "mapping",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

/// Inserts `key: value` into a mapping value, creating the mapping when `target` is null.
/// Returns false when `target` is neither a mapping nor null.
pub(crate) fn map_set(target: &mut Value, key: &str, value: Value) -> bool {
    if target.is_null() {
        *target = Value::new_map();
    }
    match target {
        Value::Map(m) => {
            m.insert(key.to_string(), value);
            true
        }
        _ => false,
    }
}

/// The mapping at `key` inside `obj`, created (or converted from null) when missing.
/// Returns `None` when something in the way is not a mapping.
pub(crate) fn ensure_map<'a>(obj: &'a mut Value, key: &str) -> Option<&'a mut Map> {
    let m = obj.as_map_mut()?;
    let entry = m.entry(key.to_string()).or_insert(Value::Null);
    if entry.is_null() {
        *entry = Value::new_map();
    }
    entry.as_map_mut()
}
