//! JSON patches (RFC 6902) with the semantics of the Go library kustomize uses
//! (`evanphx/json-patch`): negative array indices count from the end, `-` appends, missing
//! parents are errors. The object makes a JSON round trip like in kustomize, so integers
//! become float64 (visible only beyond 2^53).

use crate::value::{Map, Value};

/// One decoded operation.
#[derive(Debug, Clone)]
pub(crate) struct Op {
    op: String,
    path: String,
    from: Option<String>,
    value: Option<Value>,
}

/// Decodes a list of operations (already parsed from YAML or JSON).
pub(crate) fn decode_ops(v: &Value) -> Result<Vec<Op>, String> {
    let Value::Seq(items) = v else {
        return Err("a JSON patch must be a list of operations".into());
    };
    let mut ops = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Map(m) = item else {
            return Err(format!("operation #{i} is not an object"));
        };
        let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
        ops.push(Op {
            op: text("op").unwrap_or_default(),
            path: text("path").unwrap_or_default(),
            from: text("from"),
            value: m.get("value").cloned(),
        });
    }
    Ok(ops)
}

fn unescape(tok: &str) -> String {
    tok.replace("~1", "/").replace("~0", "~")
}

fn split_pointer(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("JSON pointer '{path}' must start with '/'"));
    };
    Ok(rest.split('/').map(unescape).collect())
}

fn container<'a>(
    doc: &'a mut Value,
    parts: &[String],
    op: &str,
    path: &str,
) -> Result<&'a mut Value, String> {
    let mut cur = doc;
    for p in parts {
        cur = match cur {
            Value::Map(m) => m.get_mut(p),
            Value::Seq(s) => p.parse::<usize>().ok().and_then(move |i| s.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| format!("{op} operation does not apply: doc is missing path: \"{path}\""))?;
    }
    Ok(cur)
}

fn index(key: &str, len: usize, for_add: bool, op: &str) -> Result<usize, String> {
    let idx: i64 = key
        .parse()
        .map_err(|_| format!("{op}: value was not a proper array index: '{key}'"))?;
    let size = if for_add { len + 1 } else { len } as i64;
    let idx = if idx < 0 {
        if idx < -size {
            return Err(format!("{op}: unable to access invalid index: {idx}"));
        }
        idx + size
    } else {
        idx
    };
    if idx >= size {
        return Err(format!("{op}: unable to access invalid index: {idx}"));
    }
    Ok(idx as usize)
}

fn get<'a>(doc: &'a Value, path: &str) -> Result<Option<&'a Value>, String> {
    let mut cur = doc;
    for p in split_pointer(path)? {
        let next = match cur {
            Value::Map(m) => m.get(&p),
            Value::Seq(s) => match index(&p, s.len(), false, "get") {
                Ok(i) => s.get(i),
                Err(_) => None,
            },
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let parts = split_pointer(path)?;
    let Some((last, parents)) = parts.split_last() else {
        *doc = value;
        return Ok(());
    };
    let parent = container(doc, parents, "add", path)?;
    match parent {
        Value::Map(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Seq(s) => {
            if last == "-" {
                s.push(value);
            } else {
                let i = index(last, s.len(), true, "add")?;
                s.insert(i, value);
            }
            Ok(())
        }
        _ => Err(format!(
            "add operation does not apply: doc is missing path: \"{path}\""
        )),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let parts = split_pointer(path)?;
    let Some((last, parents)) = parts.split_last() else {
        return Err("remove: cannot remove the whole document".into());
    };
    let parent = container(doc, parents, "remove", path)?;
    match parent {
        Value::Map(m) => m
            .shift_remove(last)
            .ok_or_else(|| format!("unable to remove nonexistent key: {last}: missing value")),
        Value::Seq(s) => {
            let i = index(last, s.len(), false, "remove")?;
            Ok(s.remove(i))
        }
        _ => Err(format!(
            "remove operation does not apply: doc is missing path: \"{path}\""
        )),
    }
}

fn replace(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let parts = split_pointer(path)?;
    let Some((last, parents)) = parts.split_last() else {
        *doc = value;
        return Ok(());
    };
    let parent = container(doc, parents, "replace", path)?;
    match parent {
        // evanphx/json-patch v5 replaces a missing object key by adding it.
        Value::Map(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Seq(s) => {
            let i = index(last, s.len(), false, "replace")?;
            if let Some(slot) = s.get_mut(i) {
                *slot = value;
            }
            Ok(())
        }
        _ => Err(format!(
            "replace operation does not apply: doc is missing path: {path}"
        )),
    }
}

fn json_equal(a: &Value, b: &Value) -> bool {
    fn num(v: &Value) -> Option<f64> {
        match v {
            Value::Int(i) => Some(*i as f64),
            Value::UInt(u) => Some(*u as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
    match (a, b) {
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| json_equal(v, w))
        }
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// Integers go through float64 in kustomize's JSON round trip.
fn through_float64(v: &mut Value) {
    match v {
        Value::Int(i) => *v = Value::Float(*i as f64),
        Value::UInt(u) => *v = Value::Float(*u as f64),
        Value::Seq(s) => s.iter_mut().for_each(through_float64),
        Value::Map(m) => m.values_mut().for_each(through_float64),
        _ => {}
    }
}

/// Applies the operations in order to `doc`.
pub(crate) fn apply(doc: &mut Value, ops: &[Op]) -> Result<(), String> {
    for op in ops {
        let value = || op.value.clone().unwrap_or(Value::Null);
        match op.op.as_str() {
            "add" => add(doc, &op.path, value())?,
            "remove" => {
                remove(doc, &op.path)?;
            }
            "replace" => replace(doc, &op.path, value())?,
            "move" => {
                let from = op.from.clone().unwrap_or_default();
                let v = remove(doc, &from)?;
                add(doc, &op.path, v)?;
            }
            "copy" => {
                let from = op.from.clone().unwrap_or_default();
                // A missing source copies null, like evanphx/json-patch v5.
                let v = get(doc, &from)?.cloned().unwrap_or(Value::Null);
                add(doc, &op.path, v)?;
            }
            "test" => {
                let want = value();
                match get(doc, &op.path)? {
                    None if want.is_null() => {}
                    Some(got) if json_equal(got, &want) => {}
                    _ => return Err(format!("testing value {} failed: test failed", op.path)),
                }
            }
            other => return Err(format!("unexpected kind: {other}")),
        }
    }
    if !matches!(doc, Value::Map(_)) {
        *doc = Value::Map(Map::new());
    }
    through_float64(doc);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse::parse_stream;

    fn doc(s: &str) -> Value {
        parse_stream(s).unwrap().remove(0)
    }

    #[test]
    fn operations_follow_rfc6902() {
        let mut d = doc("a: {b: [1, 2]}\n");
        let ops = decode_ops(&doc(
            "- {op: add, path: /a/b/-, value: 3}\n- {op: add, path: /a/b/0, value: 0}\n- {op: replace, path: /x/c, value: x}\n",
        ))
        .unwrap();
        assert!(apply(&mut d.clone(), &ops).is_err());
        let ops = decode_ops(&doc("- {op: add, path: /a/b/-, value: 3}\n- {op: remove, path: /a/b/-1}\n- {op: copy, from: /a, path: /c}\n")).unwrap();
        apply(&mut d, &ops).unwrap();
        assert_eq!(
            d.get_path(&["c", "b"])
                .and_then(Value::as_seq)
                .map(Vec::len),
            Some(2)
        );
    }
}
