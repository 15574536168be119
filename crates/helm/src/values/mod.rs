//! Values: the user's (`-f`, `--set`...), coalescing with chart defaults, `--set` syntax and
//! schema validation.

pub(crate) mod coalesce;
pub(crate) mod schema;
pub(crate) mod strvals;

use crate::chart::{Chart, Metadata};
use crate::template::value::Value;
use crate::yaml::parse::parse_documents;

/// A chart being prepared for rendering: its metadata may be rewritten (aliases, enabled
/// flags) and its values replaced (import-values), without touching the loaded [`Chart`].
#[derive(Clone)]
pub(crate) struct WChart<'a> {
    pub(crate) src: &'a Chart,
    pub(crate) meta: Metadata,
    pub(crate) values: Value,
    pub(crate) deps: Vec<WChart<'a>>,
}

impl<'a> WChart<'a> {
    /// Wraps a loaded chart and its subcharts, parsing every `values.yaml`.
    pub(crate) fn new(src: &'a Chart) -> WChart<'a> {
        let values =
            crate::yaml::parse::parse_map(&src.values_yaml).unwrap_or_else(|_| Value::empty_map());
        WChart {
            src,
            meta: src.metadata.clone(),
            values,
            deps: src.dependencies.iter().map(WChart::new).collect(),
        }
    }
}

/// Where a user value came from, in the order Helm applies them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueSource {
    /// `-f`: the file's name (for messages) and its text.
    File {
        /// Name as given on the command line.
        name: String,
        /// Contents.
        text: String,
    },
    /// `--set-json k=<json>`.
    Json(String),
    /// `--set k=v`.
    Set(String),
    /// `--set-string k=v`.
    SetString(String),
    /// `--set-file k=path`, with the file contents already read (path → text).
    SetFile {
        /// The `key=path` argument.
        arg: String,
        /// `(path, contents)` of every file the argument names.
        files: Vec<(String, String)>,
    },
    /// `--set-literal k=v`.
    SetLiteral(String),
}

/// Reads one `-f` file; Helm v4 accepts several YAML documents and merges them in order.
pub(crate) fn read_values_file(text: &str) -> Result<Value, String> {
    let docs = parse_documents(text).map_err(|e| {
        format!(
            "cannot unmarshal yaml document: error converting YAML to JSON: {}",
            e.0
        )
    })?;
    let mut out = Value::empty_map();
    for d in docs.into_iter().flatten() {
        let v = crate::yaml::parse::to_json_value(&d)
            .map_err(|e| format!("cannot unmarshal yaml document: {}", e.0))?;
        match v {
            Value::Map(_) => out = coalesce::merge_maps(&out, &v),
            Value::Nil => {}
            other => {
                return Err(format!(
                    "cannot unmarshal yaml document: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    match other {
                        Value::Str(_) => "string",
                        Value::List(_) => "array",
                        Value::Bool(_) => "bool",
                        _ => "number",
                    }
                ));
            }
        }
    }
    Ok(out)
}

/// Builds the user-supplied values map as `helm template` does: files in order, then every
/// `--set-json`, `--set`, `--set-string`, `--set-file` and `--set-literal` (by kind, not by
/// position on the command line).
pub(crate) fn user_values(sources: &[ValueSource]) -> Result<Value, String> {
    let mut base = Value::empty_map();
    for s in sources {
        if let ValueSource::File { name, text } = s {
            let cur = read_values_file(text).map_err(|e| format!("failed to parse {name}: {e}"))?;
            base = coalesce::merge_maps(&base, &cur);
        }
    }
    for s in sources {
        if let ValueSource::Json(arg) = s {
            let Some((k, v)) = arg.split_once('=') else {
                return Err(format!("failed parsing --set-json data {arg}"));
            };
            let jv = crate::yaml::json::from_json(v)
                .map_err(|e| format!("failed parsing --set-json data {arg}: {e}"))?;
            let holder = Value::empty_map();
            strvals::parse_into(&format!("{k}=x"), &holder, strvals::Mode::Strings)
                .map_err(|e| format!("failed parsing --set-json data {arg}: {e}"))?;
            replace_leaf(&holder, &jv);
            base = coalesce::merge_maps(&base, &holder);
        }
    }
    for s in sources {
        if let ValueSource::Set(arg) = s {
            strvals::parse_into(arg, &base, strvals::Mode::Typed)
                .map_err(|e| format!("failed parsing --set data: {e}"))?;
        }
    }
    for s in sources {
        if let ValueSource::SetString(arg) = s {
            strvals::parse_into(arg, &base, strvals::Mode::Strings)
                .map_err(|e| format!("failed parsing --set-string data: {e}"))?;
        }
    }
    for s in sources {
        if let ValueSource::SetFile { arg, files } = s {
            let reader = |p: &str| -> Result<Value, String> {
                files
                    .iter()
                    .find(|(name, _)| name == p)
                    .map(|(_, text)| Value::from(text.as_str()))
                    .ok_or_else(|| format!("open {p}: no such file or directory"))
            };
            strvals::parse_into_file(arg, &base, &reader)
                .map_err(|e| format!("failed parsing --set-file data: {e}"))?;
        }
    }
    for s in sources {
        if let ValueSource::SetLiteral(arg) = s {
            strvals::parse_into(arg, &base, strvals::Mode::Literal)
                .map_err(|e| format!("failed parsing --set-literal data: {e}"))?;
        }
    }
    Ok(base)
}

/// Replaces the single string leaf planted by the key parser with the JSON value.
fn replace_leaf(holder: &Value, v: &Value) {
    if let Value::Map(m) = holder {
        let keys: Vec<String> = m.borrow().keys().cloned().collect();
        for k in keys {
            let cur = m.borrow().get(&k).cloned();
            match cur {
                Some(inner @ Value::Map(_)) => replace_leaf(&inner, v),
                Some(Value::List(l)) => {
                    let items: Vec<Value> = l
                        .iter()
                        .map(|e| match e {
                            Value::Map(_) => {
                                replace_leaf(e, v);
                                e.clone()
                            }
                            Value::Nil => Value::Nil,
                            _ => v.clone(),
                        })
                        .collect();
                    m.borrow_mut().insert(k, Value::list(items));
                }
                _ => {
                    m.borrow_mut().insert(k, v.clone());
                }
            }
        }
    }
}
