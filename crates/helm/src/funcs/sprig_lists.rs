//! Sprig's list functions. Sprig reflects over any slice; the plain variants fail (Go
//! panics, which the template reports) and the `must` variants return the same error.

use super::convert::{as_list, to_int64};
use super::{FnResult, Registry, Ty, arg, arg_int, err};
use crate::template::exec::Engine;
use crate::template::value::Value;

fn kind_name(v: &Value) -> String {
    match v {
        Value::Nil => "invalid".into(),
        Value::Object(_) => "struct".into(),
        other => other.kind_name(),
    }
}

fn need_list(v: &Value, what: &str) -> Result<std::rc::Rc<Vec<Value>>, super::FnError> {
    match as_list(v) {
        Some(l) => Ok(l),
        None => {
            if v.is_nil() {
                return err("runtime error: invalid memory address or nil pointer dereference");
            }
            err(format!("Cannot {what} on type {}", kind_name(v)))
        }
    }
}

pub(crate) fn register(r: &mut Registry) {
    use Ty::{Any, Int};
    r.add("list", &[], Some(Any), |_, a| Ok(Value::list(a)));
    r.add("tuple", &[], Some(Any), |_, a| Ok(Value::list(a)));
    for name in ["push", "append", "mustPush", "mustAppend"] {
        r.add(name, &[Any, Any], None, |_, a| {
            let l = need_list(&arg(&a, 0), "push")?;
            let mut v = l.to_vec();
            v.push(arg(&a, 1));
            Ok(Value::list(v))
        });
    }
    for name in ["prepend", "mustPrepend"] {
        r.add(name, &[Any, Any], None, |_, a| {
            let l = need_list(&arg(&a, 0), "prepend")?;
            let mut v = vec![arg(&a, 1)];
            v.extend(l.iter().cloned());
            Ok(Value::list(v))
        });
    }
    for name in ["first", "mustFirst"] {
        r.add(name, &[Any], None, |_, a| {
            let l = need_list(&arg(&a, 0), "find first")?;
            Ok(l.first().cloned().unwrap_or(Value::Nil))
        });
    }
    for name in ["last", "mustLast"] {
        r.add(name, &[Any], None, |_, a| {
            let l = need_list(&arg(&a, 0), "find last")?;
            Ok(l.last().cloned().unwrap_or(Value::Nil))
        });
    }
    for name in ["rest", "mustRest"] {
        r.add(name, &[Any], None, |_, a| {
            let l = need_list(&arg(&a, 0), "find rest")?;
            if l.is_empty() {
                return Ok(Value::Nil);
            }
            Ok(Value::list(l.get(1..).unwrap_or(&[]).to_vec()))
        });
    }
    for name in ["initial", "mustInitial"] {
        r.add(name, &[Any], None, |_, a| {
            let l = need_list(&arg(&a, 0), "find initial")?;
            if l.is_empty() {
                return Ok(Value::Nil);
            }
            Ok(Value::list(l.get(..l.len() - 1).unwrap_or(&[]).to_vec()))
        });
    }
    for name in ["reverse", "mustReverse"] {
        r.add(name, &[Any], None, |_, a| {
            let l = need_list(&arg(&a, 0), "find reverse")?;
            Ok(Value::list(l.iter().rev().cloned().collect()))
        });
    }
    for name in ["compact", "mustCompact"] {
        r.add(name, &[Any], None, |_, a| {
            let l = need_list(&arg(&a, 0), "compact")?;
            Ok(Value::list(
                l.iter().filter(|v| !v.is_empty()).cloned().collect(),
            ))
        });
    }
    for name in ["uniq", "mustUniq"] {
        r.add(name, &[Any], None, |_, a| {
            let l = need_list(&arg(&a, 0), "find uniq")?;
            let mut out: Vec<Value> = Vec::new();
            for v in l.iter() {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
            Ok(Value::list(out))
        });
    }
    for name in ["without", "mustWithout"] {
        r.add(name, &[Any], Some(Any), |_, a| {
            let l = need_list(&arg(&a, 0), "find without")?;
            let omit = a.get(1..).unwrap_or(&[]);
            Ok(Value::list(
                l.iter().filter(|v| !omit.contains(v)).cloned().collect(),
            ))
        });
    }
    for name in ["has", "mustHas"] {
        r.add(name, &[Any, Any], None, |_, a| {
            let hay = arg(&a, 1);
            if hay.is_nil() {
                return Ok(Value::Bool(false));
            }
            let l = need_list(&hay, "find has")?;
            Ok(Value::Bool(l.contains(&arg(&a, 0))))
        });
    }
    for name in ["slice", "mustSlice"] {
        r.add(name, &[Any], Some(Any), slice);
    }
    r.add("concat", &[], Some(Any), |_, a| {
        let mut out = Vec::new();
        for l in &a {
            match as_list(l) {
                Some(items) => out.extend(items.iter().cloned()),
                None => return err(format!("Cannot concat type {} as list", kind_name(l))),
            }
        }
        Ok(Value::list(out))
    });
    for name in ["chunk", "mustChunk"] {
        r.add(name, &[Int, Any], None, |_, a| {
            let size = arg_int(&a, 0);
            let l = need_list(&arg(&a, 1), "chunk")?;
            if size <= 0 {
                return err("runtime error: integer divide by zero");
            }
            let chunks: Vec<Value> = l
                .chunks(size as usize)
                .map(|c| Value::list(c.to_vec()))
                .collect();
            Ok(Value::list(chunks))
        });
    }
    r.add("until", &[Int], None, |_, a| {
        until_step(0, arg_int(&a, 0), 1)
    });
    r.add("untilStep", &[Int, Int, Int], None, |_, a| {
        until_step(arg_int(&a, 0), arg_int(&a, 1), arg_int(&a, 2))
    });
    r.add("seq", &[], Some(Int), |_, a| seq(&a));
}

fn slice(_: &Engine, a: Vec<Value>) -> FnResult {
    let list = arg(&a, 0);
    let l = match as_list(&list) {
        Some(l) => l,
        None => {
            return err(format!(
                "list should be type of slice or array but {}",
                kind_name(&list)
            ));
        }
    };
    if l.is_empty() {
        return Ok(Value::Nil);
    }
    let start = a.get(1).map_or(0, to_int64);
    let end = a.get(2).map_or(l.len() as i64, to_int64);
    if start < 0 || end < start || end > l.len() as i64 {
        return err("reflect: slice index out of range".to_string());
    }
    Ok(Value::list(
        l.get(start as usize..end as usize).unwrap_or(&[]).to_vec(),
    ))
}

fn until_step_vec(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, super::FnError> {
    let mut v = Vec::new();
    let limit = 10_000_000usize;
    if stop < start {
        if step >= 0 {
            return Ok(v);
        }
        let mut i = start;
        while i > stop {
            v.push(i);
            i += step;
            if v.len() > limit {
                return err("untilStep: too many elements");
            }
        }
        return Ok(v);
    }
    if step <= 0 {
        return Ok(v);
    }
    let mut i = start;
    while i < stop {
        v.push(i);
        i += step;
        if v.len() > limit {
            return err("untilStep: too many elements");
        }
    }
    Ok(v)
}

fn until_step(start: i64, stop: i64, step: i64) -> FnResult {
    Ok(Value::list(
        until_step_vec(start, stop, step)?
            .into_iter()
            .map(Value::Int)
            .collect(),
    ))
}

/// Sprig's `seq`, modelled on the Unix command.
fn seq(a: &[Value]) -> FnResult {
    let p: Vec<i64> = a.iter().map(to_int64).collect();
    let v = match p.as_slice() {
        [end] => {
            let inc = if *end < 1 { -1 } else { 1 };
            until_step_vec(1, end + inc, inc)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step_vec(*start, end + step, step)?
        }
        [start, step, end] => {
            let mut inc = 1;
            if end < start {
                inc = -1;
                if *step > 0 {
                    return Ok(Value::from(""));
                }
            }
            until_step_vec(*start, end + inc, *step)?
        }
        _ => Vec::new(),
    };
    let s: Vec<String> = v.iter().map(i64::to_string).collect();
    Ok(Value::from(s.join(" ")))
}
