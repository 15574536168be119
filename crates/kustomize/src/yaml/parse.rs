//! YAML text → values, resolving scalars like `yaml.v3` (which kyaml uses to read input).
//!
//! Anchors and aliases are expanded (kyaml reads with `AnchorsAweigh`), `<<` merge keys are
//! applied with explicit keys winning, duplicate keys are refused. Alias expansion is budgeted
//! so a "billion laughs" document fails instead of exhausting memory.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};

use super::scalar::{Resolved, Schema, parse_timestamp, resolve_plain, resolved_to_value};
use crate::value::{Map, Value};

/// A YAML syntax or structure error, with its 1-based position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("yaml: line {line}, column {column}: {message}")]
pub struct YamlError {
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column of the problem.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Most nodes alias expansion may create in one stream.
const ALIAS_BUDGET: usize = 2_000_000;

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        map: Map,
        key: Option<(String, bool)>,
        anchor: usize,
        merges: Vec<Value>,
        line: usize,
        /// The key this mapping is the value of, in its parent mapping.
        parent_key: Option<String>,
    },
}

/// Whether the top of the stack is the `metadata.annotations` mapping of a document.
fn in_annotations(stack: &[Frame]) -> bool {
    matches!(
        stack,
        [Frame::Map { parent_key: None, .. }, Frame::Map { parent_key: Some(m), .. }, Frame::Map { parent_key: Some(a), .. }]
            if m == "metadata" && a == "annotations"
    )
}

fn pending_key(stack: &[Frame]) -> Option<String> {
    match stack.last() {
        Some(Frame::Map {
            key: Some((k, _)), ..
        }) => Some(k.clone()),
        _ => None,
    }
}

fn node_count(v: &Value) -> usize {
    match v {
        Value::Seq(s) => 1 + s.iter().map(node_count).sum::<usize>(),
        Value::Map(m) => 1 + m.values().map(node_count).sum::<usize>(),
        _ => 1,
    }
}

/// Resolves one scalar event into a value, honouring explicit tags like `yaml.v3`.
fn scalar_value(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    schema: Schema,
) -> Result<Value, String> {
    if let Some(tag) = tag {
        if tag.is_yaml_core_schema() {
            return match tag.suffix.as_str() {
                "str" => Ok(Value::String(text.to_string())),
                "null" => Ok(Value::Null),
                "bool" => match resolve_plain(text, Schema::V3) {
                    Resolved::Bool(b) => Ok(Value::Bool(b)),
                    _ => Err(format!("cannot decode !!str `{text}` as a !!bool")),
                },
                "int" => match resolve_plain(text, Schema::V3) {
                    Resolved::Int(i) => Ok(Value::Int(i)),
                    Resolved::UInt(u) => Ok(Value::UInt(u)),
                    _ => Err(format!("cannot decode !!str `{text}` as a !!int")),
                },
                "float" => match resolve_plain(text, Schema::V3) {
                    Resolved::Int(i) => Ok(Value::Float(i as f64)),
                    Resolved::UInt(u) => Ok(Value::Float(u as f64)),
                    Resolved::Float(f) => Ok(Value::Float(f)),
                    _ => Err(format!("cannot decode !!str `{text}` as a !!float")),
                },
                "timestamp" => match parse_timestamp(text) {
                    Some(t) => Ok(Value::String(t)),
                    None => Err(format!("cannot decode !!str `{text}` as a !!timestamp")),
                },
                "binary" => {
                    use base64::Engine as _;
                    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(clean.as_bytes())
                        .map_err(|e| format!("!!binary value contains invalid base64 data: {e}"))?;
                    Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
                }
                _ => Ok(Value::String(text.to_string())),
            };
        }
        // Unknown (local) tags: yaml.v3 leaves the scalar as a string.
        return Ok(Value::String(text.to_string()));
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.to_string()));
    }
    match (resolve_plain(text, schema), schema) {
        // yaml.v2 keeps timestamp-looking scalars as their text when decoding into interface{}.
        (Resolved::Timestamp(_), Schema::V2) => Ok(Value::String(text.to_string())),
        (r, _) => Ok(resolved_to_value(r, text)),
    }
}

fn apply_merges(map: &mut Map, merges: Vec<Value>, line: usize) -> Result<(), YamlError> {
    for m in merges {
        let sources: Vec<Value> = match m {
            Value::Map(_) => vec![m],
            Value::Seq(items) => items,
            _ => {
                return Err(YamlError {
                    line,
                    column: 1,
                    message: "map merge requires map or sequence of maps as the value".into(),
                });
            }
        };
        for src in sources {
            let Value::Map(src) = src else {
                return Err(YamlError {
                    line,
                    column: 1,
                    message: "map merge requires map or sequence of maps as the value".into(),
                });
            };
            for (k, v) in src {
                map.entry(k).or_insert(v);
            }
        }
    }
    Ok(())
}

/// What a plain scalar key resolves to when that is not a string (`yaml.v3` rules).
pub(crate) fn non_string_key(text: &str) -> Option<&'static str> {
    match resolve_plain(text, Schema::V3) {
        Resolved::Str | Resolved::Merge => None,
        Resolved::Null => Some("null"),
        Resolved::Bool(_) => Some("a boolean"),
        Resolved::Int(_) | Resolved::UInt(_) => Some("an integer"),
        Resolved::Float(_) => Some("a float"),
        Resolved::Timestamp(_) => Some("a timestamp"),
    }
}

/// Parses a YAML stream into one value per document (empty documents become `Null`), typed
/// like kyaml (`yaml.v3`).
pub(crate) fn parse_stream(text: &str) -> Result<Vec<Value>, YamlError> {
    parse_stream_with(text, Schema::V3)
}

/// Parses a YAML stream with the given resolver (`yaml.v2` for kustomization files, which
/// kustomize reads through `sigs.k8s.io/yaml`).
pub(crate) fn parse_stream_with(text: &str, schema: Schema) -> Result<Vec<Value>, YamlError> {
    // yaml.v3 strips a leading byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // libyaml (YAML 1.1) treats NEL as a line break and normalises it to '\n'.
    let normalized;
    let text = if text.contains('\u{85}') {
        normalized = text.replace('\u{85}', "\n");
        normalized.as_str()
    } else {
        text
    };
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Value> = HashMap::new();
    let mut budget = ALIAS_BUDGET;
    let mut root: Option<Value> = None;

    while let Some(ev) = parser.next_event() {
        let (event, span) = ev.map_err(|e| YamlError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        let line = span.start.line();
        let column = span.start.col() + 1;
        let err = |message: String| YamlError {
            line,
            column,
            message,
        };
        // A completed node to attach to its parent (with its anchor id).
        let completed: Option<(Value, usize, bool)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                root = None;
                None
            }
            Event::DocumentEnd => {
                docs.push(root.take().unwrap_or(Value::Null));
                None
            }
            Event::Alias(id) => {
                let v = anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| err("unknown anchor referenced".into()))?;
                let cost = node_count(&v);
                budget = budget
                    .checked_sub(cost)
                    .ok_or_else(|| err("document expands too many aliases".into()))?;
                Some((v, 0, false))
            }
            Event::Scalar(text, style, anchor, tag) => {
                // A key position takes the raw text; "<<" (plain) is a merge key.
                let nested = stack.len() > 1;
                if let Some(Frame::Map {
                    key: key @ None, ..
                }) = stack.last_mut()
                {
                    let is_merge = style == ScalarStyle::Plain && tag.is_none() && text == "<<";
                    // yaml.v3 decodes a nested mapping with a non-string key into
                    // map[interface{}]interface{}, which kustomize's JSON step cannot print.
                    if schema == Schema::V3
                        && nested
                        && !is_merge
                        && style == ScalarStyle::Plain
                        && tag.is_none()
                        && let Some(what) = non_string_key(&text)
                    {
                        return Err(err(format!(
                            "mapping key \"{text}\" is read as {what}, and kustomize cannot print a map with non-string keys (quote the key)"
                        )));
                    }
                    *key = Some((text.to_string(), is_merge));
                    if anchor != 0 {
                        anchors.insert(anchor, Value::String(text.to_string()));
                    }
                    None
                } else {
                    let tag_ref = tag.as_deref();
                    // kustomize rewrites annotations from their text at the end of every build,
                    // so an annotation value is its text, whatever it looks like.
                    let v = if schema == Schema::V3 && in_annotations(&stack) {
                        Value::String(text.to_string())
                    } else {
                        scalar_value(&text, style, tag_ref, schema).map_err(err)?
                    };
                    Some((v, anchor, false))
                }
            }
            Event::SequenceStart(anchor, _) => {
                if let Some(Frame::Map { key: None, .. }) = stack.last() {
                    return Err(err("complex mapping keys are not supported".into()));
                }
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                });
                None
            }
            Event::MappingStart(anchor, _) => {
                if let Some(Frame::Map { key: None, .. }) = stack.last() {
                    return Err(err("complex mapping keys are not supported".into()));
                }
                let parent_key = pending_key(&stack);
                stack.push(Frame::Map {
                    map: Map::new(),
                    key: None,
                    anchor,
                    merges: Vec::new(),
                    line,
                    parent_key,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { items, anchor }) => Some((Value::Seq(items), anchor, false)),
                _ => return Err(err("unbalanced sequence end".into())),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    mut map,
                    anchor,
                    merges,
                    line,
                    ..
                }) => {
                    apply_merges(&mut map, merges, line)?;
                    Some((Value::Map(map), anchor, false))
                }
                _ => return Err(err("unbalanced mapping end".into())),
            },
        };
        let Some((value, anchor, _)) = completed else {
            continue;
        };
        if anchor != 0 {
            anchors.insert(anchor, value.clone());
        }
        match stack.last_mut() {
            None => root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                map, key, merges, ..
            }) => {
                let Some((k, is_merge)) = key.take() else {
                    return Err(err("complex mapping keys are not supported".into()));
                };
                if is_merge {
                    merges.push(value);
                } else if map.contains_key(&k) {
                    return Err(err(format!("mapping key \"{k}\" already defined")));
                } else {
                    map.insert(k, value);
                }
            }
        }
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_split_and_typed() {
        let docs =
            parse_stream("a: 1\nb: yes\n---\n# only a comment\n---\nc: [x, 0777]\n").unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0].get("a"), Some(&Value::Int(1)));
        assert_eq!(docs[0].get("b"), Some(&Value::String("yes".into())));
        assert_eq!(docs[1], Value::Null);
        assert_eq!(
            docs[2].get("c"),
            Some(&Value::Seq(vec![
                Value::String("x".into()),
                Value::Int(511)
            ]))
        );
    }

    #[test]
    fn aliases_and_merge_keys_expand() {
        let docs = parse_stream("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n").unwrap();
        let other = docs[0].get("other").unwrap();
        assert_eq!(other.get("x"), Some(&Value::Int(1)));
        assert_eq!(other.get("y"), Some(&Value::Int(3)));
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let e = parse_stream("a: 1\na: 2\n").unwrap_err();
        assert!(e.message.contains("already defined"), "{e}");
    }

    #[test]
    fn quoted_and_tagged_scalars_stay_strings() {
        let docs = parse_stream("a: \"1\"\nb: !!str 2\nc: '~'\nd: !!int \"3\"\n").unwrap();
        assert_eq!(docs[0].get("a"), Some(&Value::String("1".into())));
        assert_eq!(docs[0].get("b"), Some(&Value::String("2".into())));
        assert_eq!(docs[0].get("c"), Some(&Value::String("~".into())));
        assert_eq!(docs[0].get("d"), Some(&Value::Int(3)));
    }
}
