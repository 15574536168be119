//! The dynamic value that templates operate on, modelled on the Go types Helm hands to
//! `text/template`.
//!
//! Go distinguishes `int` from `int64` and `float64` (YAML values are `float64`, `--set` values
//! `int64`, `len` an `int`), and `eq` refuses to compare an int with a float: the variants keep
//! that distinction. Maps are shared and mutable (`set`, `merge` mutate in place, as Go maps
//! do), so they live behind `Rc<RefCell<..>>`; a borrow is never held across a call back into
//! template code.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// A Go `map[string]interface{}`: keys iterate in sorted order, as Go's printers and `range` do.
pub(crate) type Map = BTreeMap<String, Value>;

/// A Go value as seen by a template.
#[derive(Clone, Default)]
pub(crate) enum Value {
    /// A nil interface (also a missing map key).
    #[default]
    Nil,
    /// `bool`.
    Bool(bool),
    /// Go `int` (from `len`, `atoi`, integer literals).
    Int(i64),
    /// Go `int64` (from `--set`, Sprig math).
    I64(i64),
    /// Go `uint64`.
    U64(u64),
    /// Go `float64` (every number read from a YAML or JSON file).
    Float(f64),
    /// `string`.
    Str(Rc<str>),
    /// `[]interface{}` (also stands for other slice types).
    List(Rc<Vec<Value>>),
    /// `map[string]interface{}`, shared by reference like a Go map.
    Map(Rc<RefCell<Map>>),
    /// `[]byte`.
    Bytes(Rc<Vec<u8>>),
    /// A host object with fields and methods (`.Files`, `.Capabilities`, `.Chart`, times).
    Object(Rc<dyn Object>),
}

/// A host object: a Go struct or named type with fields and methods.
pub(crate) trait Object {
    /// The Go type name, as `typeOf` prints it.
    fn type_name(&self) -> String;
    /// A field, `None` when the type has no such field.
    fn field(&self, name: &str) -> Option<Value>;
    /// Whether the type has a method of this name.
    fn has_method(&self, _name: &str) -> bool {
        false
    }
    /// Calls a method; only called when `has_method` is true.
    fn call_method(&self, name: &str, _args: &[Value]) -> Result<Value, String> {
        Err(format!("no method {name}"))
    }
    /// How `fmt` prints the value with `%v`.
    fn display(&self) -> String;
    /// The value as plain data, for `toYaml`/`toJson` and comparisons.
    fn to_data(&self) -> Value {
        Value::Str(self.display().into())
    }
    /// The object as a map, when Go sees a map type (`.Files`): ranged, indexed, measured.
    fn as_map(&self) -> Option<Value> {
        None
    }
    /// The object as a list, when Go sees a slice type (`.Capabilities.APIVersions`).
    fn as_list(&self) -> Option<Value> {
        None
    }
    /// Downcast hook for objects that functions need to recognise (times).
    fn as_time(&self) -> Option<crate::funcs::dates::Time> {
        None
    }
    /// Downcast hook for `*semver.Version`, which its comparison methods take as argument.
    fn as_semver(&self) -> Option<&capstan_semver::Version> {
        None
    }
}

/// Go's reflect kinds, as far as templates tell them apart.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// Nil interface.
    Invalid,
    /// `bool`.
    Bool,
    /// Signed integers.
    Int,
    /// Unsigned integers.
    Uint,
    /// Floats.
    Float,
    /// Strings.
    String,
    /// Slices.
    Slice,
    /// Maps.
    Map,
    /// Structs and other host objects.
    Struct,
}

impl Value {
    /// Builds a list value.
    pub(crate) fn list(v: Vec<Value>) -> Value {
        Value::List(Rc::new(v))
    }

    /// Builds a map value.
    pub(crate) fn map(m: Map) -> Value {
        Value::Map(Rc::new(RefCell::new(m)))
    }

    /// An empty map.
    pub(crate) fn empty_map() -> Value {
        Value::map(Map::new())
    }

    /// The Go reflect kind.
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Value::Nil => Kind::Invalid,
            Value::Bool(_) => Kind::Bool,
            Value::Int(_) | Value::I64(_) => Kind::Int,
            Value::U64(_) => Kind::Uint,
            Value::Float(_) => Kind::Float,
            Value::Str(_) => Kind::String,
            Value::List(_) | Value::Bytes(_) => Kind::Slice,
            Value::Map(_) => Kind::Map,
            Value::Object(_) => Kind::Struct,
        }
    }

    /// The Go kind name as `kindOf` prints it.
    pub(crate) fn kind_name(&self) -> String {
        match self {
            Value::Nil => "invalid".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::I64(_) => "int64".into(),
            Value::U64(_) => "uint64".into(),
            Value::Float(_) => "float64".into(),
            Value::Str(_) => "string".into(),
            Value::List(_) | Value::Bytes(_) => "slice".into(),
            Value::Map(_) => "map".into(),
            Value::Object(o) => {
                if o.type_name().starts_with('*') {
                    "ptr".into()
                } else {
                    "struct".into()
                }
            }
        }
    }

    /// The Go type name as `typeOf` and error messages print it.
    pub(crate) fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::I64(_) => "int64".into(),
            Value::U64(_) => "uint64".into(),
            Value::Float(_) => "float64".into(),
            Value::Str(_) => "string".into(),
            Value::List(_) => "[]interface {}".into(),
            Value::Bytes(_) => "[]uint8".into(),
            Value::Map(_) => "map[string]interface {}".into(),
            Value::Object(o) => o.type_name(),
        }
    }

    /// Go's truthiness, as `if`, `and`, `or` and `not` judge it.
    pub(crate) fn is_true(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::I64(i) => *i != 0,
            Value::U64(u) => *u != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            Value::Object(o) => match (o.as_map(), o.as_list()) {
                (Some(m), _) => m.is_true(),
                (_, Some(l)) => l.is_true(),
                _ => true,
            },
        }
    }

    /// Host objects that Go sees as maps or slices, as plain values; others unchanged.
    pub(crate) fn collection(&self) -> Value {
        match self {
            Value::Object(o) => o
                .as_map()
                .or_else(|| o.as_list())
                .unwrap_or_else(|| self.clone()),
            other => other.clone(),
        }
    }

    /// Sprig's `empty`: the zero value of the type (structs are never empty).
    pub(crate) fn is_empty(&self) -> bool {
        !self.is_true()
    }

    /// The string inside, if this is a string.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is the nil interface.
    pub(crate) fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Looks up a key of a map value.
    pub(crate) fn get(&self, key: &str) -> Option<Value> {
        match self {
            Value::Map(m) => m.borrow().get(key).cloned(),
            _ => None,
        }
    }

    /// A snapshot of a map's entries (safe to iterate while template code mutates the map).
    pub(crate) fn map_entries(&self) -> Vec<(String, Value)> {
        match self {
            Value::Map(m) => m
                .borrow()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A deep copy: maps and lists are copied all the way down.
    pub(crate) fn deep_copy(&self) -> Value {
        crate::deep(|| self.deep_copy_inner())
    }

    fn deep_copy_inner(&self) -> Value {
        match self {
            Value::Map(m) => {
                let copy: Map = m
                    .borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.deep_copy()))
                    .collect();
                Value::map(copy)
            }
            Value::List(l) => Value::list(l.iter().map(Value::deep_copy).collect()),
            other => other.clone(),
        }
    }

    /// Identity of shared containers (for cycle checks).
    pub(crate) fn ptr_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Map(a), Value::Map(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => write!(f, "Nil"),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Int(i) => write!(f, "Int({i})"),
            Value::I64(i) => write!(f, "I64({i})"),
            Value::U64(i) => write!(f, "U64({i})"),
            Value::Float(x) => write!(f, "Float({x})"),
            Value::Str(s) => write!(f, "Str({s:?})"),
            Value::List(l) => f.debug_list().entries(l.iter()).finish(),
            Value::Bytes(b) => write!(f, "Bytes({b:?})"),
            Value::Map(m) => f.debug_map().entries(m.borrow().iter()).finish(),
            Value::Object(o) => write!(f, "Object({})", o.type_name()),
        }
    }
}

impl PartialEq for Value {
    /// Deep equality as Go's `reflect.DeepEqual` sees plain data.
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) | (Value::I64(a), Value::I64(b)) => a == b,
            (Value::U64(a), Value::U64(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => Rc::ptr_eq(a, b) || *a.borrow() == *b.borrow(),
            (Value::Object(a), Value::Object(b)) => a.display() == b.display(),
            _ => false,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s.into())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
