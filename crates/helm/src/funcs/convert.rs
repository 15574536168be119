//! Conversions Sprig performs on `interface{}` arguments: `strval`, and spf13/cast's
//! `ToInt64` / `ToFloat64` / `ToBool`, which swallow errors into zero values.

use std::rc::Rc;

use crate::template::gofmt;
use crate::template::value::Value;

/// Sprig's `strval`: strings as-is, bytes as text, everything else `%v`.
pub(crate) fn strval(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Nil => "<nil>".into(),
        other => gofmt::print_v(other),
    }
}

/// Removes a trailing `.000` from a decimal string, as cast's `trimZeroDecimal`.
fn trim_zero_decimal(s: &str) -> &str {
    if let Some((int, frac)) = s.split_once('.')
        && !frac.is_empty()
        && frac.bytes().all(|b| b == b'0')
    {
        return int;
    }
    s
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
pub(crate) fn parse_go_int(s: &str) -> Option<i64> {
    let clean: String = s.chars().filter(|c| *c != '_').collect();
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b.to_string()),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean).to_string()),
    };
    if body.is_empty() {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let mag: i128 = if let Some(h) = lower.strip_prefix("0x") {
        i128::from_str_radix(h, 16).ok()?
    } else if let Some(o) = lower.strip_prefix("0o") {
        i128::from_str_radix(o, 8).ok()?
    } else if let Some(b) = lower.strip_prefix("0b") {
        i128::from_str_radix(b, 2).ok()?
    } else if lower.len() > 1 && lower.starts_with('0') {
        i128::from_str_radix(&lower[1..], 8).ok()?
    } else {
        if !lower.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        lower.parse::<i128>().ok()?
    };
    let v = if neg { -mag } else { mag };
    i64::try_from(v).ok()
}

/// cast's `ToInt64`.
pub(crate) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::I64(i) => *i,
        Value::U64(u) => *u as i64,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => i64::from(*b),
        Value::Str(s) => parse_go_int(trim_zero_decimal(s)).unwrap_or(0),
        _ => 0,
    }
}

/// cast's `ToFloat64`.
pub(crate) fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::I64(i) => *i as f64,
        Value::U64(u) => *u as f64,
        Value::Float(f) => *f,
        Value::Bool(b) if *b => 1.0,
        Value::Str(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|_| !s.is_empty())
            .unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Elements of any slice-like value (Sprig reflects over any slice kind).
pub(crate) fn as_list(v: &Value) -> Option<Rc<Vec<Value>>> {
    match v {
        Value::List(l) => Some(l.clone()),
        Value::Bytes(b) => Some(Rc::new(
            b.iter().map(|x| Value::Int(i64::from(*x))).collect(),
        )),
        _ => None,
    }
}

/// A list of strings as a template value.
pub(crate) fn str_list(v: Vec<String>) -> Value {
    Value::list(v.into_iter().map(Value::from).collect())
}
