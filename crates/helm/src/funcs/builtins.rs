//! Go `text/template`'s own functions: comparisons, `index`, `slice`, `len`, `not`, the
//! `print` family and the escapers. (`and`, `or` and `call` short-circuit, so the executor
//! runs them.)

use super::{FnResult, Registry, Ty, arg, err};
use crate::template::exec::Engine;
use crate::template::gofmt;
use crate::template::value::{Kind, Value};

pub(crate) fn register(r: &mut Registry) {
    use Ty::{Any, Reflect};
    r.add("not", &[Reflect], None, |_, a| {
        Ok(Value::Bool(!arg(&a, 0).is_true()))
    });
    r.add("eq", &[Reflect], Some(Reflect), eq_fn);
    r.add("ne", &[Reflect, Reflect], None, |_, a| {
        let v = eq_values(&arg(&a, 0), &arg(&a, 1))?;
        Ok(Value::Bool(!v))
    });
    r.add("lt", &[Reflect, Reflect], None, |_, a| {
        cmp_fn(&a, |o| o == std::cmp::Ordering::Less)
    });
    r.add("le", &[Reflect, Reflect], None, |_, a| {
        cmp_fn(&a, |o| o != std::cmp::Ordering::Greater)
    });
    r.add("gt", &[Reflect, Reflect], None, |_, a| {
        cmp_fn(&a, |o| o == std::cmp::Ordering::Greater)
    });
    r.add("ge", &[Reflect, Reflect], None, |_, a| {
        cmp_fn(&a, |o| o != std::cmp::Ordering::Less)
    });
    r.add("index", &[Reflect], Some(Reflect), index_fn);
    r.add("len", &[Reflect], None, len_fn);
    r.add("print", &[], Some(Any), |_, a| {
        Ok(Value::from(gofmt::sprint(&a)))
    });
    r.add("println", &[], Some(Any), |_, a| {
        Ok(Value::from(gofmt::sprintln(&a)))
    });
    r.add("printf", &[Ty::Str], Some(Any), |_, a| {
        let f = super::arg_str(&a, 0);
        Ok(Value::from(gofmt::sprintf(&f, a.get(1..).unwrap_or(&[]))))
    });
    r.add("html", &[], Some(Any), |_, a| {
        Ok(Value::from(html_escape(&eval_args(&a))))
    });
    r.add("js", &[], Some(Any), |_, a| {
        Ok(Value::from(js_escape(&eval_args(&a))))
    });
    r.add("urlquery", &[], Some(Any), |_, a| {
        Ok(Value::from(query_escape(&eval_args(&a))))
    });
}

/// Go's `evalArgs`: one string stays as-is, anything else goes through `fmt.Sprint`.
fn eval_args(a: &[Value]) -> String {
    if let [Value::Str(s)] = a {
        return s.to_string();
    }
    gofmt::sprint(a)
}

#[derive(PartialEq, Clone, Copy, Debug)]
enum Basic {
    Invalid,
    Bool,
    Int,
    Uint,
    Float,
    String,
    Other,
}

fn basic(v: &Value) -> Basic {
    match v.kind() {
        Kind::Invalid => Basic::Invalid,
        Kind::Bool => Basic::Bool,
        Kind::Int => Basic::Int,
        Kind::Uint => Basic::Uint,
        Kind::Float => Basic::Float,
        Kind::String => Basic::String,
        _ => Basic::Other,
    }
}

fn int_of(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::I64(i) => *i,
        _ => 0,
    }
}

fn uint_of(v: &Value) -> u64 {
    match v {
        Value::U64(u) => *u,
        _ => 0,
    }
}

fn bad_comparison(a: &Value, b: &Value) -> super::FnError {
    super::FnError::Msg(format!(
        "incompatible types for comparison: {} and {}",
        a.type_name(),
        b.type_name()
    ))
}

fn eq_values(a: &Value, b: &Value) -> Result<bool, super::FnError> {
    let (ka, kb) = (basic(a), basic(b));
    if ka != kb {
        return match (ka, kb) {
            (Basic::Int, Basic::Uint) => Ok(int_of(a) >= 0 && int_of(a) as u64 == uint_of(b)),
            (Basic::Uint, Basic::Int) => Ok(int_of(b) >= 0 && uint_of(a) == int_of(b) as u64),
            _ => {
                if a.is_nil() || b.is_nil() {
                    Ok(false)
                } else {
                    Err(bad_comparison(a, b))
                }
            }
        };
    }
    Ok(match ka {
        Basic::Bool => a.is_true() == b.is_true(),
        Basic::Int => int_of(a) == int_of(b),
        Basic::Uint => uint_of(a) == uint_of(b),
        Basic::Float => match (a, b) {
            (Value::Float(x), Value::Float(y)) => x == y,
            _ => false,
        },
        Basic::String => a.as_str() == b.as_str(),
        Basic::Invalid => true,
        Basic::Other => {
            return Err(super::FnError::Msg(format!(
                "non-comparable type {}: {}",
                gofmt::print_v(b),
                b.type_name()
            )));
        }
    })
}

fn eq_fn(_: &Engine, a: Vec<Value>) -> FnResult {
    let first = arg(&a, 0);
    if a.len() < 2 {
        return err("missing argument for comparison");
    }
    for other in a.iter().skip(1) {
        if eq_values(&first, other)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn cmp_fn(a: &[Value], pred: fn(std::cmp::Ordering) -> bool) -> FnResult {
    let (x, y) = (arg(a, 0), arg(a, 1));
    let (kx, ky) = (basic(&x), basic(&y));
    if matches!(kx, Basic::Bool | Basic::Invalid | Basic::Other)
        || matches!(ky, Basic::Bool | Basic::Invalid | Basic::Other)
    {
        return err("invalid type for comparison");
    }
    let ord = if kx != ky {
        match (kx, ky) {
            (Basic::Int, Basic::Uint) => {
                if int_of(&x) < 0 {
                    std::cmp::Ordering::Less
                } else {
                    (int_of(&x) as u64).cmp(&uint_of(&y))
                }
            }
            (Basic::Uint, Basic::Int) => {
                if int_of(&y) < 0 {
                    std::cmp::Ordering::Greater
                } else {
                    uint_of(&x).cmp(&(int_of(&y) as u64))
                }
            }
            _ => return Err(bad_comparison(&x, &y)),
        }
    } else {
        match kx {
            Basic::Int => int_of(&x).cmp(&int_of(&y)),
            Basic::Uint => uint_of(&x).cmp(&uint_of(&y)),
            Basic::Float => {
                let (Value::Float(p), Value::Float(q)) = (&x, &y) else {
                    return err("invalid type for comparison");
                };
                match p.partial_cmp(q) {
                    Some(o) => o,
                    None => return Ok(Value::Bool(false)),
                }
            }
            Basic::String => x.as_str().cmp(&y.as_str()),
            _ => return err("invalid type for comparison"),
        }
    };
    Ok(Value::Bool(pred(ord)))
}

fn index_arg(idx: &Value, cap: usize) -> Result<usize, super::FnError> {
    let x: i128 = match idx {
        Value::Int(i) | Value::I64(i) => i128::from(*i),
        Value::U64(u) => i128::from(*u),
        Value::Nil => return err("cannot index slice/array with nil"),
        other => {
            return err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    if x < 0 || x > cap as i128 {
        return err(format!("index out of range: {x}"));
    }
    Ok(usize::try_from(x).unwrap_or(usize::MAX))
}

fn index_fn(_: &Engine, a: Vec<Value>) -> FnResult {
    let mut item = arg(&a, 0).collection();
    if item.is_nil() {
        return err("index of untyped nil");
    }
    for (n, idx) in a.iter().skip(1).enumerate() {
        if item.is_nil() {
            let _ = n;
            return err("index of nil pointer");
        }
        item = match &item {
            Value::List(l) => {
                let i = index_arg(idx, l.len())?;
                match l.get(i) {
                    Some(v) => v.clone(),
                    None => return err("reflect: slice index out of range".to_string()),
                }
            }
            Value::Bytes(b) => {
                let i = index_arg(idx, b.len())?;
                match b.get(i) {
                    Some(v) => Value::Int(i64::from(*v)),
                    None => return err("reflect: slice index out of range"),
                }
            }
            Value::Str(s) => {
                let i = index_arg(idx, s.len())?;
                match s.as_bytes().get(i) {
                    Some(v) => Value::Int(i64::from(*v)),
                    None => return err("reflect: string index out of range"),
                }
            }
            Value::Map(m) => {
                let key = match idx {
                    Value::Str(k) => k.clone(),
                    Value::Nil => return err("value is nil; should be of type string"),
                    other => {
                        return err(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        ));
                    }
                };
                m.borrow().get(&*key).cloned().unwrap_or(Value::Nil)
            }
            other => return err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn len_fn(_: &Engine, a: Vec<Value>) -> FnResult {
    let v = arg(&a, 0).collection();
    let n = match &v {
        Value::Nil => return err("len of nil pointer"),
        Value::Str(s) => s.len(),
        Value::List(l) => l.len(),
        Value::Bytes(b) => b.len(),
        Value::Map(m) => m.borrow().len(),
        other => return err(format!("len of type {}", other.type_name())),
    };
    Ok(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// Go's `template.HTMLEscapeString`.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
