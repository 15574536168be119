//! Sprig's defaults and reflection helpers: `default`, `empty`, `coalesce`, `ternary`,
//! `all`/`any`, `typeOf`/`kindIs`..., `deepEqual`.

use super::{Registry, Ty, arg, arg_str};
use crate::template::value::Value;

pub(crate) fn register(r: &mut Registry) {
    use Ty::{Any, Bool, Str};
    r.add("default", &[Any], Some(Any), |_, a| {
        let given = a.get(1).cloned().unwrap_or(Value::Nil);
        if a.len() < 2 || given.is_empty() {
            return Ok(arg(&a, 0));
        }
        Ok(given)
    });
    r.add("empty", &[Any], None, |_, a| {
        Ok(Value::Bool(arg(&a, 0).is_empty()))
    });
    r.add("coalesce", &[], Some(Any), |_, a| {
        Ok(a.into_iter().find(|v| !v.is_empty()).unwrap_or(Value::Nil))
    });
    r.add("all", &[], Some(Any), |_, a| {
        Ok(Value::Bool(a.iter().all(|v| !v.is_empty())))
    });
    r.add("any", &[], Some(Any), |_, a| {
        Ok(Value::Bool(a.iter().any(|v| !v.is_empty())))
    });
    r.add("ternary", &[Any, Any, Bool], None, |_, a| {
        Ok(if super::arg_bool(&a, 2) {
            arg(&a, 0)
        } else {
            arg(&a, 1)
        })
    });
    r.add("typeOf", &[Any], None, |e, a| {
        let v = arg(&a, 0);
        if e.is_values(&v) {
            return Ok(Value::from("common.Values"));
        }
        Ok(Value::from(v.type_name()))
    });
    r.add("typeIs", &[Str, Any], None, |_, a| {
        Ok(Value::Bool(*arg_str(&a, 0) == *arg(&a, 1).type_name()))
    });
    r.add("typeIsLike", &[Str, Any], None, |_, a| {
        let t = arg(&a, 1).type_name();
        let target = arg_str(&a, 0);
        Ok(Value::Bool(*target == *t || format!("*{target}") == t))
    });
    r.add("kindOf", &[Any], None, |_, a| {
        Ok(Value::from(arg(&a, 0).kind_name()))
    });
    r.add("kindIs", &[Str, Any], None, |_, a| {
        Ok(Value::Bool(*arg_str(&a, 0) == *arg(&a, 1).kind_name()))
    });
    r.add("deepEqual", &[Any, Any], None, |_, a| {
        Ok(Value::Bool(arg(&a, 0) == arg(&a, 1)))
    });
}
