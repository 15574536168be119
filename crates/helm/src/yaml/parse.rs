//! YAML reading as Helm does it: go-yaml v2's YAML 1.1 scalar resolution (`yes`, `on`, `0777`,
//! `1_000`), then sigs.k8s.io/yaml's trip through JSON, which turns every number into a
//! `float64` and every map key into a string.

use std::collections::HashMap;
use std::rc::Rc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::template::value::{Map, Value};

/// A YAML syntax or conversion failure, worded like go-yaml (`yaml: line 3: ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError(pub String);

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A parsed YAML node before resolution.
#[derive(Debug, Clone)]
pub(crate) enum YNode {
    Scalar {
        value: String,
        style: ScalarStyle,
        tag: Option<String>,
    },
    Seq(Vec<Rc<YNode>>),
    Map(Vec<(Rc<YNode>, Rc<YNode>)>),
}

/// Bound on alias expansion (go-yaml refuses "excessive aliasing" too).
const MAX_EXPANDED_NODES: usize = 10_000_000;

/// A resolved scalar per go-yaml v2.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
}

fn yaml_style_float(s: &str) -> bool {
    // ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - st
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Whether a plain scalar looks like a YAML 1.1 timestamp (go-yaml keeps it a string when
/// decoding into `interface{}`, but quotes such strings on output).
pub(crate) fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    // YYYY-M-D at least.
    let mut i = 0;
    let num = |i: &mut usize, min: usize, max: usize| {
        let st = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) && *i - st < max {
            *i += 1;
        }
        *i - st >= min
    };
    if !num(&mut i, 4, 4) || b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    if !num(&mut i, 1, 2) || b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    if !num(&mut i, 1, 2) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    // Time part: [Tt ]h:m:s(.frac)?(Z|±hh:mm)?
    if !matches!(b.get(i), Some(b'T' | b't' | b' ' | b'\t')) {
        return false;
    }
    i += 1;
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if !num(&mut i, 1, 2) || b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    if !num(&mut i, 2, 2) || b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    if !num(&mut i, 2, 2) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    match b.get(i) {
        None => true,
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i += 1;
            if !num(&mut i, 1, 2) {
                return false;
            }
            if b.get(i) == Some(&b':') {
                i += 1;
                if !num(&mut i, 2, 2) {
                    return false;
                }
            }
            i == b.len()
        }
        _ => false,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` / `ParseUint` on an underscore-free string.
fn parse_int_base0(s: &str) -> (Option<i64>, Option<u64>) {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if body.is_empty() {
        return (None, None);
    }
    let (radix, digits) =
        if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, h)
        } else if let Some(o) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, o)
        } else if let Some(b) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, b)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return (None, None);
    }
    let Ok(mag) = u128::from_str_radix(digits, radix) else {
        return (None, None);
    };
    if neg {
        let v = -(i128::try_from(mag).unwrap_or(i128::MAX));
        (i64::try_from(v).ok(), None)
    } else {
        (i64::try_from(mag).ok(), u64::try_from(mag).ok())
    }
}

/// go-yaml v2's `resolve` for an untagged plain scalar.
pub(crate) fn resolve_plain(s: &str) -> Scalar {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "true" | "True" | "TRUE" | "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return Scalar::Bool(true);
        }
        "false" | "False" | "FALSE" | "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return Scalar::Bool(false);
        }
        ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Scalar::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = s.as_bytes().first().copied().unwrap_or(b'x');
    if first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.') {
        let plain: String = s.chars().filter(|c| *c != '_').collect();
        let (i, u) = parse_int_base0(&plain);
        if let Some(i) = i {
            return Scalar::Int(i);
        }
        if let Some(u) = u {
            return Scalar::Uint(u);
        }
        if yaml_style_float(&plain)
            && let Ok(f) = plain.parse::<f64>()
        {
            return Scalar::Float(f);
        }
    }
    Scalar::Str(s.to_string())
}

/// Whether go-yaml would read `s` back as a string when written plain.
pub(crate) fn resolves_to_str(s: &str) -> bool {
    matches!(resolve_plain(s), Scalar::Str(_)) && !looks_like_timestamp(s) && s != "<<"
}

/// go-yaml's `isBase60Float` (quoted on output for YAML 1.1 readers).
pub(crate) fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let st = i;
        if b.get(i).is_some_and(|c| (b'0'..=b'5').contains(c))
            && b.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            i += 2;
        } else if b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == st {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

struct Builder {
    anchors: HashMap<usize, Rc<YNode>>,
    stack: Vec<(Frame, usize)>,
    docs: Vec<Option<Rc<YNode>>>,
}

enum Frame {
    Seq(Vec<Rc<YNode>>),
    Map(Vec<(Rc<YNode>, Rc<YNode>)>, Option<Rc<YNode>>),
}

fn tag_string(tag: Option<&saphyr_parser::Tag>) -> Option<String> {
    let t = tag?;
    if t.handle == "!!" || t.handle == "tag:yaml.org,2002:" {
        Some(format!("!!{}", t.suffix))
    } else {
        Some(format!("{}{}", t.handle, t.suffix))
    }
}

fn err_at(span: &Span, msg: &str) -> YamlError {
    YamlError(format!("yaml: line {}: {}", span.start.line(), msg))
}

/// Parses every document of a YAML stream into node trees (`None` for an empty document).
pub(crate) fn parse_documents(src: &str) -> Result<Vec<Option<Rc<YNode>>>, YamlError> {
    // libyaml's reader refuses non-printable characters before parsing anything.
    if src.chars().any(|c| {
        let n = c as u32;
        !(n == 0x09
            || n == 0x0A
            || n == 0x0D
            || (0x20..=0x7E).contains(&n)
            || n == 0x85
            || (0xA0..=0xD7FF).contains(&n)
            || (0xE000..=0xFFFD).contains(&n)
            || (0x10000..=0x10FFFF).contains(&n))
    }) {
        return Err(YamlError("yaml: control characters are not allowed".into()));
    }
    let mut b = Builder {
        anchors: HashMap::new(),
        stack: Vec::new(),
        docs: Vec::new(),
    };
    let mut current: Option<Rc<YNode>> = None;
    let mut in_doc = false;
    for ev in Parser::new_from_str(src) {
        let (ev, span) = ev.map_err(|e| YamlError(go_yaml_error(e.marker().line(), e.info())))?;
        match ev {
            Event::DocumentStart(_) => {
                in_doc = true;
                current = None;
            }
            Event::DocumentEnd => {
                if in_doc {
                    b.docs.push(current.take());
                }
                in_doc = false;
            }
            Event::Scalar(value, style, anchor, tag) => {
                let node = Rc::new(YNode::Scalar {
                    value: value.into_owned(),
                    style,
                    tag: tag_string(tag.as_deref()),
                });
                if anchor > 0 {
                    b.anchors.insert(anchor, node.clone());
                }
                b.push_node(node, &mut current);
            }
            Event::Alias(id) => {
                let node = b
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| err_at(&span, "unknown anchor referenced"))?;
                b.push_node(node, &mut current);
            }
            Event::SequenceStart(anchor, _) => {
                b.check_depth(&span)?;
                b.stack.push((Frame::Seq(Vec::new()), anchor));
            }
            Event::MappingStart(anchor, _) => {
                b.check_depth(&span)?;
                b.stack.push((Frame::Map(Vec::new(), None), anchor));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((frame, anchor)) = b.stack.pop() else {
                    return Err(err_at(&span, "did not find expected node content"));
                };
                let node = Rc::new(match frame {
                    Frame::Seq(v) => YNode::Seq(v),
                    Frame::Map(v, _) => YNode::Map(v),
                });
                if anchor > 0 {
                    b.anchors.insert(anchor, node.clone());
                }
                b.push_node(node, &mut current);
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
    Ok(b.docs)
}

/// Deepest nesting accepted (go-yaml v3 refuses beyond 10000; real values stay far below).
const MAX_DEPTH: usize = 1000;

impl Builder {
    fn check_depth(&self, span: &Span) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(err_at(span, &format!("exceeded max depth of {MAX_DEPTH}")));
        }
        Ok(())
    }

    fn push_node(&mut self, node: Rc<YNode>, current: &mut Option<Rc<YNode>>) {
        match self.stack.last_mut() {
            Some((Frame::Seq(v), _)) => v.push(node),
            Some((Frame::Map(v, key), _)) => match key.take() {
                Some(k) => v.push((k, node)),
                None => *key = Some(node),
            },
            None => *current = Some(node),
        }
    }
}

/// Words a saphyr error the way go-yaml (a libyaml port) words the same failure, with its
/// line rule: scanner errors count lines from 1, parser errors from 0, and line 0 is left out.
fn go_yaml_error(line: usize, info: &str) -> String {
    let (msg, scanner) = if info.contains("mapping values are not allowed") {
        ("mapping values are not allowed in this context", true)
    } else if info.contains("simple key") {
        ("could not find expected ':'", true)
    } else if info.starts_with("unexpected character")
        || info.contains("found unprintable character")
    {
        ("found character that cannot start any token", true)
    } else if info.contains("did not find expected key")
        || info.contains("invalid trailing content")
    {
        ("did not find expected key", false)
    } else if info.contains("expected ',' or ']'") {
        ("did not find expected ',' or ']'", false)
    } else if info.contains("expected ',' or '}'") {
        ("did not find expected ',' or '}'", false)
    } else if info.contains("expected '-' indicator") {
        ("did not find expected '-' indicator", false)
    } else if info.contains("did not find expected node content") {
        ("did not find expected node content", false)
    } else if info.contains("block sequence entries are not allowed") {
        (
            "block sequence entries are not allowed in this context",
            true,
        )
    } else if info.contains("found unexpected end of stream") {
        ("found unexpected end of stream", true)
    } else if info.contains("tab") {
        ("found a tab character that violates indentation", true)
    } else if info.contains("unknown anchor") {
        ("unknown anchor referenced", false)
    } else {
        (info, true)
    };
    let n = if scanner {
        line
    } else {
        line.saturating_sub(1)
    };
    let zero_based = line.saturating_sub(1);
    if zero_based == 0 || n == 0 {
        format!("yaml: {msg}")
    } else {
        format!("yaml: line {n}: {msg}")
    }
}

/// Resolves a scalar node as go-yaml would.
pub(crate) fn resolve_scalar(value: &str, style: ScalarStyle, tag: Option<&str>) -> Scalar {
    match tag {
        Some("!!str") => return Scalar::Str(value.to_string()),
        Some("!!null") => return Scalar::Null,
        Some("!!bool") => {
            if let Scalar::Bool(b) = resolve_plain(value) {
                return Scalar::Bool(b);
            }
            return Scalar::Str(value.to_string());
        }
        Some("!!int" | "!!float") => {
            let r = resolve_plain(value);
            if let Some("!!float") = tag
                && let Scalar::Int(i) = r
            {
                return Scalar::Float(i as f64);
            }
            return r;
        }
        Some("!!binary") => {
            use base64::Engine as _;
            let clean: String = value.chars().filter(|c| !c.is_whitespace()).collect();
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(clean) {
                return Scalar::Str(String::from_utf8_lossy(&bytes).into_owned());
            }
            return Scalar::Str(value.to_string());
        }
        Some(t)
            if t != "!" && !t.is_empty() && style == ScalarStyle::Plain && !t.starts_with("!!") =>
        {
            return Scalar::Str(value.to_string());
        }
        _ => {}
    }
    if style != ScalarStyle::Plain || tag == Some("!") {
        return Scalar::Str(value.to_string());
    }
    resolve_plain(value)
}

/// Converts a node tree to a template value the way `sigs.k8s.io/yaml.Unmarshal` into
/// `map[string]interface{}` does: numbers become `float64`, keys become strings, merge keys
/// are applied.
pub(crate) fn to_json_value(node: &YNode) -> Result<Value, YamlError> {
    let mut budget = MAX_EXPANDED_NODES;
    convert(node, &mut budget)
}

fn convert(node: &YNode, budget: &mut usize) -> Result<Value, YamlError> {
    crate::deep(|| convert_inner(node, budget))
}

fn convert_inner(node: &YNode, budget: &mut usize) -> Result<Value, YamlError> {
    if *budget == 0 {
        return Err(YamlError(
            "yaml: document contains excessive aliasing".into(),
        ));
    }
    *budget -= 1;
    match node {
        YNode::Scalar { value, style, tag } => {
            Ok(match resolve_scalar(value, *style, tag.as_deref()) {
                Scalar::Null => Value::Nil,
                Scalar::Bool(b) => Value::Bool(b),
                Scalar::Int(i) => Value::Float(i as f64),
                Scalar::Uint(u) => Value::Float(u as f64),
                Scalar::Float(f) => {
                    if f.is_finite() {
                        Value::Float(f)
                    } else {
                        return Err(YamlError(format!(
                            "error converting YAML to JSON: json: unsupported value: {}",
                            crate::template::gofmt::format_float_g(f)
                        )));
                    }
                }
                Scalar::Str(s) => Value::from(s),
            })
        }
        YNode::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                out.push(convert(i, budget)?);
            }
            Ok(Value::list(out))
        }
        YNode::Map(pairs) => {
            let mut m = Map::new();
            // Merge keys first, so explicit keys win.
            for (k, v) in pairs {
                if is_merge_key(k) {
                    merge_into(&mut m, v, budget)?;
                }
            }
            for (k, v) in pairs {
                if is_merge_key(k) {
                    continue;
                }
                let key = key_string(k)?;
                let val = convert(v, budget)?;
                m.insert(key, val);
            }
            Ok(Value::map(m))
        }
    }
}

fn is_merge_key(k: &YNode) -> bool {
    matches!(k, YNode::Scalar { value, style: ScalarStyle::Plain, tag: None } if value == "<<")
}

fn merge_into(m: &mut Map, v: &YNode, budget: &mut usize) -> Result<(), YamlError> {
    match v {
        YNode::Map(_) => {
            if let Value::Map(src) = convert(v, budget)? {
                for (k, val) in src.borrow().iter() {
                    m.entry(k.clone()).or_insert_with(|| val.clone());
                }
            }
            Ok(())
        }
        YNode::Seq(items) => {
            for it in items {
                merge_into(m, it, budget)?;
            }
            Ok(())
        }
        _ => Err(YamlError(
            "yaml: map merge requires map or sequence of maps as the value".into(),
        )),
    }
}

/// sigs.k8s.io/yaml's key conversion: bools, ints and floats become their text.
fn key_string(k: &YNode) -> Result<String, YamlError> {
    match k {
        YNode::Scalar { value, style, tag } => {
            Ok(match resolve_scalar(value, *style, tag.as_deref()) {
                Scalar::Str(s) => s,
                Scalar::Int(i) => i.to_string(),
                Scalar::Uint(u) => u.to_string(),
                Scalar::Bool(b) => b.to_string(),
                Scalar::Float(f) => {
                    let s = format_float32_g(f);
                    match s.as_str() {
                        "+Inf" => ".inf".into(),
                        "-Inf" => "-.inf".into(),
                        "NaN" => ".nan".into(),
                        _ => s,
                    }
                }
                Scalar::Null => {
                    return Err(YamlError(
                        "error converting YAML to JSON: Unsupported map key of type: %!s(<nil>)"
                            .into(),
                    ));
                }
            })
        }
        _ => Err(YamlError(
            "error converting YAML to JSON: Unsupported map key of type: map or slice".into(),
        )),
    }
}

/// `strconv.FormatFloat(f, 'g', -1, 32)`.
fn format_float32_g(f: f64) -> String {
    let f32v = f as f32;
    if !f32v.is_finite() {
        return crate::template::gofmt::format_float_g(f);
    }
    // Shortest digits that round-trip as f32, printed in Go's %g layout.
    let s = format!("{:e}", f32v);
    let parsed: f64 = s.parse().unwrap_or(f);
    crate::template::gofmt::format_float_g(parsed)
}

/// Parses one YAML document as Helm reads values: an empty document is an empty map.
pub(crate) fn parse_value(src: &str) -> Result<Value, YamlError> {
    let docs = parse_documents(src)?;
    match docs.into_iter().next().flatten() {
        Some(n) => to_json_value(&n),
        None => Ok(Value::Nil),
    }
}

/// Parses YAML into a map, as `chartutil.ReadValues`: empty input gives an empty map, and a
/// document that is not a mapping is an error.
pub(crate) fn parse_map(src: &str) -> Result<Value, YamlError> {
    match parse_value(src)? {
        Value::Map(m) => Ok(Value::Map(m)),
        Value::Nil => Ok(Value::empty_map()),
        other => Err(YamlError(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        ))),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Str(_) => "string",
        Value::Float(_) | Value::Int(_) | Value::I64(_) => "number",
        Value::Bool(_) => "bool",
        Value::List(_) => "array",
        _ => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_scalars_resolve_like_go_yaml_v2() {
        assert_eq!(resolve_plain("yes"), Scalar::Bool(true));
        assert_eq!(resolve_plain("0777"), Scalar::Int(511));
        assert_eq!(resolve_plain("0x1F"), Scalar::Int(31));
        assert_eq!(resolve_plain("1_000"), Scalar::Int(1000));
        assert_eq!(resolve_plain("1e3"), Scalar::Float(1000.0));
        assert_eq!(resolve_plain("1.0.0"), Scalar::Str("1.0.0".into()));
        assert_eq!(
            resolve_plain("18446744073709551615"),
            Scalar::Uint(u64::MAX)
        );
        assert!(looks_like_timestamp("2024-01-01"));
        assert!(is_base60_float("1:20"));
    }

    #[test]
    fn values_become_float64_and_string_keys() {
        let v = parse_map("a: 1\nn: x\n1: why\nb: &x {c: 2}\nd:\n  <<: *x\n  e: 3\n").unwrap();
        assert_eq!(v.get("a"), Some(Value::Float(1.0)));
        assert_eq!(v.get("false"), Some(Value::from("x")));
        assert_eq!(v.get("1"), Some(Value::from("why")));
        let d = v.get("d").unwrap();
        assert_eq!(d.get("c"), Some(Value::Float(2.0)));
    }
}
