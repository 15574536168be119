//! The function map templates see: Go's built-ins, Sprig's functions and Helm's own, each with
//! its Go parameter types so argument errors read like Go's (`wrong type for value; expected
//! string; got float64`).

pub(crate) mod builtins;
pub(crate) mod convert;
pub(crate) mod crypto;
pub(crate) mod crypto_gen;
pub(crate) mod dates;
pub(crate) mod helm;
pub(crate) mod semver;
pub(crate) mod sprig_defaults;
pub(crate) mod sprig_dicts;
pub(crate) mod sprig_encoding;
pub(crate) mod sprig_lists;
pub(crate) mod sprig_math;
pub(crate) mod sprig_regex;
pub(crate) mod sprig_strings;

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use crate::env::{Clock, Entropy, Limits};
use crate::template::exec::{Engine, ExecError};
use crate::template::value::Value;

/// A Go parameter type, as far as argument checking needs it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ty {
    /// `interface{}`.
    Any,
    /// `reflect.Value` (Go's own built-ins): anything, nil included.
    Reflect,
    Str,
    Int,
    Float,
    Bool,
    List,
    Map,
}

impl Ty {
    pub(crate) fn go_name(self) -> &'static str {
        match self {
            Ty::Any => "interface {}",
            Ty::Reflect => "reflect.Value",
            Ty::Str => "string",
            Ty::Int => "int",
            Ty::Float => "float64",
            Ty::Bool => "bool",
            Ty::List => "[]interface {}",
            Ty::Map => "map[string]interface {}",
        }
    }
}

/// A function's failure.
#[derive(Debug, Clone)]
pub(crate) enum FnError {
    /// A plain error message.
    Msg(String),
    /// A nested template execution failed (`include`).
    Exec(Box<ExecError>),
    /// A template-level message that is not an execution error (`no template "x" ...`).
    TemplateMsg(String),
    /// `required` / `fail`: the user's message, passed through by Helm.
    Helm(String),
}

impl fmt::Display for FnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FnError::Msg(m) | FnError::TemplateMsg(m) => write!(f, "{m}"),
            FnError::Exec(e) => write!(f, "{e}"),
            FnError::Helm(m) => write!(f, "HELM_ERR_START{m}HELM_ERR_END"),
        }
    }
}

pub(crate) type FnResult = Result<Value, FnError>;

/// A template function: Go signature plus implementation.
#[derive(Clone, Copy)]
pub(crate) struct Func {
    pub(crate) params: &'static [Ty],
    pub(crate) variadic: Option<Ty>,
    pub(crate) call: fn(&Engine, Vec<Value>) -> FnResult,
}

/// Host services the functions may use: nothing global, everything passed in.
pub(crate) struct Env {
    pub(crate) clock: Rc<dyn Clock>,
    pub(crate) entropy: Rc<dyn Entropy>,
    pub(crate) limits: Limits,
}

pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T, FnError> {
    Err(FnError::Msg(msg.into()))
}

/// Registration helper.
pub(crate) struct Registry {
    map: HashMap<&'static str, Func>,
}

impl Registry {
    pub(crate) fn add(
        &mut self,
        name: &'static str,
        params: &'static [Ty],
        variadic: Option<Ty>,
        call: fn(&Engine, Vec<Value>) -> FnResult,
    ) {
        self.map.insert(
            name,
            Func {
                params,
                variadic,
                call,
            },
        );
    }
}

/// Helm's complete function map.
pub(crate) fn function_map() -> HashMap<&'static str, Func> {
    let mut r = Registry {
        map: HashMap::with_capacity(400),
    };
    builtins::register(&mut r);
    sprig_strings::register(&mut r);
    sprig_lists::register(&mut r);
    sprig_dicts::register(&mut r);
    sprig_math::register(&mut r);
    sprig_defaults::register(&mut r);
    sprig_regex::register(&mut r);
    sprig_encoding::register(&mut r);
    semver::register(&mut r);
    dates::register(&mut r);
    crypto::register(&mut r);
    helm::register(&mut r);
    r.map
}

/// Argument accessors: the executor already checked the count and types.
pub(crate) fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::Nil)
}

pub(crate) fn arg_str(args: &[Value], i: usize) -> Rc<str> {
    match args.get(i) {
        Some(Value::Str(s)) => s.clone(),
        _ => Rc::from(""),
    }
}

pub(crate) fn arg_int(args: &[Value], i: usize) -> i64 {
    match args.get(i) {
        Some(Value::Int(n) | Value::I64(n)) => *n,
        _ => 0,
    }
}

pub(crate) fn arg_bool(args: &[Value], i: usize) -> bool {
    matches!(args.get(i), Some(Value::Bool(true)))
}

/// Names of every function, for documentation and tests.
#[cfg(test)]
pub(crate) fn names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = function_map().keys().copied().collect();
    v.push("and");
    v.push("or");
    v.push("call");
    v.sort_unstable();
    v
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn function_map_has_helm_sprig_and_go_builtins() {
        let n = names();
        for f in [
            "include",
            "tpl",
            "required",
            "toYaml",
            "dict",
            "merge",
            "semverCompare",
            "printf",
            "and",
            "genCA",
            "lookup",
        ] {
            assert!(n.contains(&f), "{f} missing");
        }
        for removed in ["env", "expandenv"] {
            assert!(!n.contains(&removed), "{removed} must not exist");
        }
    }
}
