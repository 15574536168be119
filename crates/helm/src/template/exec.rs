//! Go `text/template` execution with Helm's `missingkey=zero` option.
//!
//! Error texts, positions and the node quoted in `at <...>` follow Go's `exec.go`, because
//! Helm users read them: a field chain reports the position of its second field, a failing
//! function call reports the whole command, and the quoted node is cut at 20 characters.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use super::gofmt;
use super::node::{Arg, Branch, Command, Node, Pipe, Tree};
use super::parser::{self, ParseError};
use super::value::Value;
use crate::funcs::{self, Env, FnError, Func, Ty};

/// Go's `maxExecDepth`.
const MAX_EXEC_DEPTH: usize = 100_000;

/// A template execution failure, kept structured so Helm's error reformatting can be applied.
#[derive(Debug, Clone)]
pub(crate) struct ExecError {
    /// `file:line:col` of the failing node, or empty when no node is known.
    pub location: String,
    /// The template being executed.
    pub name: String,
    /// The failing node as Go prints it, cut at 20 characters.
    pub context: String,
    /// What failed.
    pub cause: Cause,
}

/// The reason inside an [`ExecError`].
#[derive(Debug, Clone)]
pub(crate) enum Cause {
    /// A direct failure (`nil pointer evaluating ...`, `wrong type for value ...`).
    Plain(String),
    /// `error calling <func>: <error>`.
    Call(String, FnError),
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cause::Plain(m) => write!(f, "{m}"),
            Cause::Call(name, e) => write!(f, "error calling {name}: {e}"),
        }
    }
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.location.is_empty() {
            write!(f, "template: {}: {}", self.name, self.cause)
        } else {
            write!(
                f,
                "template: {}: executing {} at <{}>: {}",
                self.location,
                gofmt::quote(&self.name),
                self.context,
                self.cause
            )
        }
    }
}

/// Control flow out of a list of nodes.
enum Flow {
    Normal,
    Break,
    Continue,
}

type EResult<T> = Result<T, Box<ExecError>>;

/// A set of named templates plus the functions and environment to run them.
pub(crate) struct Engine {
    templates: RefCell<HashMap<String, Rc<Tree>>>,
    overlays: RefCell<Vec<HashMap<String, Rc<Tree>>>>,
    funcs: HashMap<&'static str, Func>,
    /// Host services (clock, randomness, cluster lookups) and limits.
    pub(crate) env: Env,
    include_depth: RefCell<HashMap<String, usize>>,
    output_used: Cell<usize>,
    depth: Cell<usize>,
    /// Maps Go sees as the named type `common.Values` (`.Values`, `$`, `.Template`).
    named_values: RefCell<Vec<Value>>,
}

impl Engine {
    /// An engine with Helm's function map and no templates.
    pub(crate) fn new(env: Env) -> Engine {
        Engine {
            templates: RefCell::new(HashMap::new()),
            overlays: RefCell::new(Vec::new()),
            funcs: funcs::function_map(),
            env,
            include_depth: RefCell::new(HashMap::new()),
            output_used: Cell::new(0),
            depth: Cell::new(0),
            named_values: RefCell::new(Vec::new()),
        }
    }

    /// Records that `v` is a `common.Values` map (for `typeOf` and Sprig's type assertions).
    pub(crate) fn mark_values(&self, v: &Value) {
        if matches!(v, Value::Map(_)) && !self.is_values(v) {
            self.named_values.borrow_mut().push(v.clone());
        }
    }

    /// Whether `v` is a `common.Values` map.
    pub(crate) fn is_values(&self, v: &Value) -> bool {
        matches!(v, Value::Map(_)) && self.named_values.borrow().iter().any(|n| n.ptr_eq(v))
    }

    /// Whether a function exists (parse-time check).
    pub(crate) fn has_func(&self, name: &str) -> bool {
        self.funcs.contains_key(name) || matches!(name, "and" | "or" | "call")
    }

    /// Parses a file and adds its templates; a later non-empty definition replaces an earlier
    /// one, as Go's `AddParseTree` does.
    pub(crate) fn add_file(&self, name: &str, src: &str) -> Result<(), ParseError> {
        let trees = parser::parse(name, src, &|f| self.has_func(f))?;
        let mut map = self.templates.borrow_mut();
        for t in trees {
            if t.is_empty() && map.get(&t.name).is_some() {
                continue;
            }
            map.insert(t.name.clone(), Rc::new(t));
        }
        Ok(())
    }

    fn lookup(&self, name: &str) -> Option<Rc<Tree>> {
        for o in self.overlays.borrow().iter().rev() {
            if let Some(t) = o.get(name) {
                return Some(t.clone());
            }
        }
        self.templates.borrow().get(name).cloned()
    }

    /// Executes a named template with `data` as dot and `$`.
    pub(crate) fn execute(&self, name: &str, data: &Value) -> Result<String, FnError> {
        let Some(tree) = self.lookup(name) else {
            return Err(FnError::TemplateMsg(format!(
                "template: no template {} associated with template \"gotpl\"",
                gofmt::quote(name)
            )));
        };
        let mut out = String::new();
        let mut st = State {
            eng: self,
            tree: tree.clone(),
            pos: None,
            vars: vec![("$".to_string(), data.clone())],
            typed_nil_dot: false,
        };
        st.walk_list(&mut out, data, &tree.root)
            .map_err(FnError::Exec)?;
        Ok(out)
    }

    /// Helm's `include`: bounded recursion per template name.
    pub(crate) fn include(&self, name: &str, data: &Value) -> Result<String, FnError> {
        let count = {
            let mut d = self.include_depth.borrow_mut();
            let c = d.entry(name.to_string()).or_insert(0);
            if *c > self.env.limits.max_include_depth {
                return Err(FnError::Msg(format!(
                    "rendering template has a nested reference name: {name}: unable to execute template"
                )));
            }
            *c += 1;
            *c
        };
        let _ = count;
        let r = self.execute(name, data);
        if let Some(c) = self.include_depth.borrow_mut().get_mut(name) {
            *c = c.saturating_sub(1);
        }
        r
    }

    /// Helm's `tpl`: parses `text` as a template named "gotpl" that can see every defined
    /// template, and runs it with `data`.
    pub(crate) fn tpl(&self, text: &str, data: &Value) -> Result<String, FnError> {
        let trees = parser::parse("gotpl", text, &|f| self.has_func(f)).map_err(|e| {
            FnError::Msg(format!("cannot parse template {}: {e}", gofmt::quote(text)))
        })?;
        let mut overlay = HashMap::new();
        for t in trees {
            overlay.insert(t.name.clone(), Rc::new(t));
        }
        self.overlays.borrow_mut().push(overlay);
        let r = self.execute("gotpl", data);
        self.overlays.borrow_mut().pop();
        match r {
            Ok(s) => Ok(s.replace("<no value>", "")),
            Err(e) => Err(FnError::Msg(format!(
                "error during tpl function execution for {}: {}",
                gofmt::quote(text),
                e
            ))),
        }
    }

    fn charge_output(&self, n: usize) -> bool {
        let used = self.output_used.get().saturating_add(n);
        self.output_used.set(used);
        used <= self.env.limits.max_output_bytes
    }
}

struct State<'e> {
    eng: &'e Engine,
    tree: Rc<Tree>,
    /// Current node: position and its Go string form.
    pos: Option<(usize, String)>,
    vars: Vec<(String, Value)>,
    /// Whether a nil dot came from a `range` element: Go then holds a typed `interface {}`
    /// nil, and a field on it is a nil-pointer error rather than "no value".
    typed_nil_dot: bool,
}

/// How a value reached a field lookup, which decides Go's type names in errors.
#[derive(Clone, Copy, PartialEq)]
enum Origin {
    /// Dot, a variable or a pipeline result: nil means "no value", never an error.
    Direct,
    /// A map element: Go sees `interface {}`.
    MapElem,
}

fn truncate_context(s: &str) -> String {
    // Go 1.25 no longer shortens the node quoted in `at <...>`.
    s.to_string()
}

impl State<'_> {
    fn at(&mut self, pos: usize, ctx: impl FnOnce() -> String) {
        self.pos = Some((pos, ctx()));
    }

    fn error(&self, cause: Cause) -> Box<ExecError> {
        let (location, context) = match &self.pos {
            Some((pos, ctx)) => (self.tree.location(*pos), truncate_context(ctx)),
            None => (String::new(), String::new()),
        };
        Box::new(ExecError {
            location,
            name: self.tree.name.clone(),
            context,
            cause,
        })
    }

    fn errorf<T>(&self, msg: impl Into<String>) -> EResult<T> {
        Err(self.error(Cause::Plain(msg.into())))
    }

    fn write(&self, out: &mut String, s: &str) -> EResult<()> {
        if !self.eng.charge_output(s.len()) {
            return self.errorf(format!(
                "output exceeds the limit of {} bytes",
                self.eng.env.limits.max_output_bytes
            ));
        }
        out.push_str(s);
        Ok(())
    }

    fn walk_list(&mut self, out: &mut String, dot: &Value, list: &[Node]) -> EResult<Flow> {
        for n in list {
            match self.walk(out, dot, n)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, out: &mut String, dot: &Value, node: &Node) -> EResult<Flow> {
        match node {
            Node::Text { text } => {
                self.write(out, text)?;
            }
            Node::Action { pipe } => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    let s = match &v {
                        Value::Nil => "<no value>".to_string(),
                        other => gofmt::print_v(other),
                    };
                    self.write(out, &s)?;
                }
            }
            Node::If(b) => return self.walk_if_with(out, dot, b, false),
            Node::With(b) => return self.walk_if_with(out, dot, b, true),
            Node::Range(b) => return self.walk_range(out, dot, b),
            Node::Template { pos, name, pipe } => {
                self.at(*pos, || match pipe {
                    Some(p) => format!("{{{{template {} {p}}}}}", gofmt::quote(name)),
                    None => format!("{{{{template {}}}}}", gofmt::quote(name)),
                });
                let Some(tree) = self.eng.lookup(name) else {
                    return self.errorf(format!("template {} not defined", gofmt::quote(name)));
                };
                let depth = self.eng.depth.get() + 1;
                if depth >= MAX_EXEC_DEPTH.min(self.eng.env.limits.max_template_depth) {
                    return self.errorf(format!(
                        "exceeded maximum template depth ({})",
                        MAX_EXEC_DEPTH.min(self.eng.env.limits.max_template_depth)
                    ));
                }
                let new_dot = match pipe {
                    Some(p) => self.eval_pipeline(dot, p)?,
                    None => Value::Nil,
                };
                self.eng.depth.set(depth);
                let mut st = State {
                    eng: self.eng,
                    tree: tree.clone(),
                    pos: None,
                    vars: vec![("$".to_string(), new_dot.clone())],
                    typed_nil_dot: false,
                };
                let r = stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || {
                    st.walk_list(out, &new_dot, &tree.root)
                });
                self.eng.depth.set(depth - 1);
                r?;
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn walk_if_with(
        &mut self,
        out: &mut String,
        dot: &Value,
        b: &Branch,
        is_with: bool,
    ) -> EResult<Flow> {
        let mark = self.vars.len();
        let v = self.eval_pipeline(dot, &b.pipe)?;
        let truth = v.is_true();
        let r = if truth {
            if is_with {
                self.walk_list(out, &v, &b.list)
            } else {
                self.walk_list(out, dot, &b.list)
            }
        } else if let Some(el) = &b.else_list {
            self.walk_list(out, dot, el)
        } else {
            Ok(Flow::Normal)
        };
        self.vars.truncate(mark);
        r
    }

    fn walk_range(&mut self, out: &mut String, dot: &Value, b: &Branch) -> EResult<Flow> {
        let mark = self.vars.len();
        let val = self.eval_pipeline(dot, &b.pipe)?.collection();
        let items: Vec<(Value, Value)> = match &val {
            Value::List(l) => l
                .iter()
                .enumerate()
                .map(|(i, e)| (Value::Int(i64::try_from(i).unwrap_or(i64::MAX)), e.clone()))
                .collect(),
            Value::Bytes(bs) => bs
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    (
                        Value::Int(i64::try_from(i).unwrap_or(i64::MAX)),
                        Value::Int(i64::from(*e)),
                    )
                })
                .collect(),
            Value::Map(_) => val
                .map_entries()
                .into_iter()
                .map(|(k, v)| (Value::from(k), v))
                .collect(),
            Value::Int(n) | Value::I64(n) => {
                if b.pipe.decl.len() > 1 {
                    self.at(b.pos, || b.pipe.to_string());
                    return self.errorf(format!(
                        "can't use {} to iterate over more than one variable",
                        gofmt::print_v(&val)
                    ));
                }
                let is_int = matches!(val, Value::Int(_));
                (0..(*n).max(0))
                    .map(|i| {
                        let v = if is_int { Value::Int(i) } else { Value::I64(i) };
                        (v.clone(), v)
                    })
                    .collect()
            }
            Value::Nil => Vec::new(),
            other => {
                self.at(b.pos, || b.pipe.to_string());
                return self.errorf(format!(
                    "range can't iterate over {}",
                    gofmt::print_v(other)
                ));
            }
        };
        if items.is_empty() {
            let r = match &b.else_list {
                Some(el) => self.walk_list(out, dot, el),
                None => Ok(Flow::Normal),
            };
            self.vars.truncate(mark);
            return r.map(|_| Flow::Normal);
        }
        let inner_mark = self.vars.len();
        for (index, elem) in items {
            let nd = b.pipe.decl.len();
            if nd > 0 {
                if b.pipe.is_assign {
                    let target = if nd > 1 { index.clone() } else { elem.clone() };
                    if let Some(name) = b.pipe.decl.first() {
                        self.set_var(name, target)?;
                    }
                } else if let Some(slot) = self
                    .vars
                    .len()
                    .checked_sub(1)
                    .and_then(|i| self.vars.get_mut(i))
                {
                    slot.1 = elem.clone();
                }
            }
            if nd > 1 {
                if b.pipe.is_assign {
                    if let Some(name) = b.pipe.decl.get(1) {
                        self.set_var(name, elem.clone())?;
                    }
                } else if let Some(slot) = self
                    .vars
                    .len()
                    .checked_sub(2)
                    .and_then(|i| self.vars.get_mut(i))
                {
                    slot.1 = index.clone();
                }
            }
            let saved = std::mem::replace(&mut self.typed_nil_dot, elem.is_nil());
            let r = self.walk_list(out, &elem, &b.list);
            self.typed_nil_dot = saved;
            self.vars.truncate(inner_mark);
            match r? {
                Flow::Break => break,
                Flow::Continue | Flow::Normal => {}
            }
        }
        self.vars.truncate(mark);
        Ok(Flow::Normal)
    }

    fn dot_origin(&self, dot: &Value) -> Origin {
        if self.typed_nil_dot && dot.is_nil() {
            Origin::MapElem
        } else {
            Origin::Direct
        }
    }

    fn set_var(&mut self, name: &str, v: Value) -> EResult<()> {
        for slot in self.vars.iter_mut().rev() {
            if slot.0 == name {
                slot.1 = v;
                return Ok(());
            }
        }
        self.errorf(format!("undefined variable: {name}"))
    }

    fn var_value(&self, name: &str) -> EResult<Value> {
        for slot in self.vars.iter().rev() {
            if slot.0 == name {
                return Ok(slot.1.clone());
            }
        }
        self.errorf(format!("undefined variable: {name}"))
    }

    fn eval_pipeline(&mut self, dot: &Value, pipe: &Pipe) -> EResult<Value> {
        self.at(pipe.pos, || pipe.to_string());
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or_default();
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone())?;
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], fin: &Option<Value>, first: &Arg) -> EResult<()> {
        if args.len() > 1 || fin.is_some() {
            return self.errorf(format!("can't give argument to non-function {first}"));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Value, cmd: &Command, fin: Option<Value>) -> EResult<Value> {
        let Some(first) = cmd.args.first() else {
            return Ok(Value::Nil);
        };
        match first {
            Arg::Field { pos, idents } => {
                self.at(*pos, || first.to_string());
                let origin = self.dot_origin(dot);
                return self
                    .eval_field_chain(
                        dot,
                        dot.clone(),
                        origin,
                        *pos,
                        first,
                        idents,
                        &cmd.args,
                        fin,
                    )
                    .map(|r| r.0);
            }
            Arg::Chain { pos, node, fields } => {
                self.at(*pos, || first.to_string());
                if matches!(**node, Arg::Nil { .. }) {
                    return self.errorf(format!("indirection through explicit nil in {first}"));
                }
                let recv = self.eval_arg_any(dot, node)?;
                return self
                    .eval_field_chain(
                        dot,
                        recv,
                        Origin::Direct,
                        *pos,
                        first,
                        fields,
                        &cmd.args,
                        fin,
                    )
                    .map(|r| r.0);
            }
            Arg::Identifier { pos, name } => {
                return self.eval_function(dot, *pos, name, cmd, &cmd.args, fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin, first)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable { pos, idents } => {
                self.at(*pos, || first.to_string());
                let name = idents.first().map(String::as_str).unwrap_or("$");
                let value = self.var_value(name)?;
                if idents.len() == 1 {
                    self.not_a_function(&cmd.args, &fin, first)?;
                    return Ok(value);
                }
                let rest = idents.get(1..).unwrap_or(&[]);
                return self
                    .eval_field_chain(
                        dot,
                        value,
                        Origin::Direct,
                        *pos,
                        first,
                        rest,
                        &cmd.args,
                        fin,
                    )
                    .map(|r| r.0);
            }
            _ => {}
        }
        self.at(first.pos(), || first.to_string());
        self.not_a_function(&cmd.args, &fin, first)?;
        match first {
            Arg::Bool { val, .. } => Ok(Value::Bool(*val)),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => self.errorf("nil is not a command"),
            Arg::Number { num, .. } => self.ideal_constant(num),
            Arg::String { val, .. } => Ok(Value::Str(val.clone())),
            _ => self.errorf(format!("can't evaluate command {first}")),
        }
    }

    fn ideal_constant(&self, num: &super::node::Number) -> EResult<Value> {
        let t = &num.text;
        let is_hex =
            t.len() > 2 && (t.starts_with("0x") || t.starts_with("0X")) && !t.contains(['p', 'P']);
        if num.float.is_some() && !is_hex && !num.is_char && t.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Value::Float(num.float.unwrap_or(0.0)));
        }
        if let Some(i) = num.int {
            return Ok(Value::Int(i));
        }
        if num.uint.is_some() {
            return self.errorf(format!("{t} overflows int"));
        }
        Ok(Value::Nil)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain(
        &mut self,
        dot: &Value,
        mut receiver: Value,
        mut origin: Origin,
        pos: usize,
        node: &Arg,
        idents: &[String],
        args: &[Arg],
        fin: Option<Value>,
    ) -> EResult<(Value, Origin)> {
        let n = idents.len();
        for (i, ident) in idents.iter().enumerate() {
            let last = i + 1 == n;
            let (a, f): (&[Arg], Option<Value>) = if last {
                (args, fin.clone())
            } else {
                (&[], None)
            };
            let (v, o) = self.eval_field(dot, ident, pos, node, a, f, receiver, origin)?;
            receiver = v;
            origin = o;
        }
        Ok((receiver, origin))
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        dot: &Value,
        name: &str,
        pos: usize,
        node: &Arg,
        args: &[Arg],
        fin: Option<Value>,
        receiver: Value,
        origin: Origin,
    ) -> EResult<(Value, Origin)> {
        let has_args = args.len() > 1 || fin.is_some();
        match &receiver {
            Value::Nil => {
                if origin == Origin::Direct {
                    return Ok((Value::Nil, Origin::Direct));
                }
                self.at(pos, || node.to_string());
                self.errorf(format!("nil pointer evaluating interface {{}}.{name}"))
            }
            Value::Map(m) => {
                if has_args {
                    self.at(pos, || node.to_string());
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                let v = m.borrow().get(name).cloned().unwrap_or(Value::Nil);
                Ok((v, Origin::MapElem))
            }
            Value::Object(o) => {
                if o.has_method(name) {
                    let o = o.clone();
                    let mut argv = Vec::new();
                    for a in args.iter().skip(1) {
                        argv.push(self.eval_arg_any(dot, a)?);
                    }
                    if let Some(f) = fin {
                        argv.push(f);
                    }
                    self.at(pos, || node.to_string());
                    return match o.call_method(name, &argv) {
                        Ok(v) => Ok((v, Origin::Direct)),
                        Err(e) => Err(self.error(Cause::Call(name.to_string(), FnError::Msg(e)))),
                    };
                }
                if let Some(v) = o.field(name) {
                    if has_args {
                        self.at(pos, || node.to_string());
                        return self.errorf(format!(
                            "{name} has arguments but cannot be invoked as function"
                        ));
                    }
                    return Ok((v, Origin::Direct));
                }
                self.at(pos, || node.to_string());
                let ty = if origin == Origin::MapElem {
                    "interface {}".to_string()
                } else {
                    o.type_name()
                };
                self.errorf(format!("can't evaluate field {name} in type {ty}"))
            }
            other => {
                self.at(pos, || node.to_string());
                let ty = if origin == Origin::MapElem {
                    "interface {}".to_string()
                } else {
                    other.type_name()
                };
                self.errorf(format!("can't evaluate field {name} in type {ty}"))
            }
        }
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        pos: usize,
        name: &str,
        cmd: &Command,
        args: &[Arg],
        fin: Option<Value>,
    ) -> EResult<Value> {
        self.at(pos, || name.to_string());
        let rest = args.get(1..).unwrap_or(&[]);
        match name {
            "and" | "or" => return self.eval_and_or(dot, name == "and", cmd, rest, fin),
            "call" => {
                let mut argv = Vec::new();
                for a in rest {
                    argv.push(self.eval_arg_any(dot, a)?);
                }
                if let Some(f) = fin {
                    argv.push(f);
                }
                self.at(cmd.pos, || cmd.to_string());
                let fname = rest.first().map(ToString::to_string).unwrap_or_default();
                let msg = match argv.first() {
                    None => "wrong number of args for call: want at least 1 got 0".to_string(),
                    Some(Value::Nil) => "call of nil".to_string(),
                    Some(v) => format!("non-function {fname} of type {}", v.type_name()),
                };
                return Err(self.error(Cause::Call("call".into(), FnError::Msg(msg))));
            }
            _ => {}
        }
        let Some(func) = self.eng.funcs.get(name).copied() else {
            return self.errorf(format!("{} is not a defined function", gofmt::quote(name)));
        };
        let nargs = rest.len() + usize::from(fin.is_some());
        let nparams = func.params.len();
        if func.variadic.is_some() {
            if nargs < nparams {
                return self.errorf(format!(
                    "wrong number of args for {name}: want at least {nparams} got {nargs}"
                ));
            }
        } else if nargs != nparams {
            return self.errorf(format!(
                "wrong number of args for {name}: want {nparams} got {nargs}"
            ));
        }
        let param_ty = |i: usize| -> Ty {
            match func.params.get(i) {
                Some(t) => *t,
                None => func.variadic.unwrap_or(Ty::Any),
            }
        };
        let mut argv = Vec::with_capacity(nargs);
        for (i, a) in rest.iter().enumerate() {
            let v = self.eval_arg(dot, param_ty(i), a)?;
            argv.push(v);
        }
        if let Some(f) = fin {
            let v = self.validate_type(f, param_ty(nargs - 1))?;
            argv.push(v);
        }
        let r = stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || (func.call)(self.eng, argv));
        match r {
            Ok(v) => Ok(v),
            Err(e) => {
                self.at(cmd.pos, || cmd.to_string());
                Err(self.error(Cause::Call(name.to_string(), e)))
            }
        }
    }

    fn eval_and_or(
        &mut self,
        dot: &Value,
        is_and: bool,
        cmd: &Command,
        rest: &[Arg],
        fin: Option<Value>,
    ) -> EResult<Value> {
        let nargs = rest.len() + usize::from(fin.is_some());
        if nargs < 1 {
            self.at(cmd.pos, || cmd.to_string());
            let name = if is_and { "and" } else { "or" };
            return self.errorf(format!(
                "wrong number of args for {name}: want at least 1 got 0"
            ));
        }
        let mut last = Value::Nil;
        for a in rest {
            let v = self.eval_arg_any(dot, a)?;
            let t = v.is_true();
            last = v;
            if t != is_and {
                return Ok(last);
            }
        }
        if let Some(f) = fin {
            last = f;
        }
        Ok(last)
    }

    /// Evaluates an argument for an `interface{}` parameter.
    fn eval_arg_any(&mut self, dot: &Value, a: &Arg) -> EResult<Value> {
        self.eval_arg(dot, Ty::Any, a)
    }

    fn eval_arg(&mut self, dot: &Value, ty: Ty, a: &Arg) -> EResult<Value> {
        self.at(a.pos(), || a.to_string());
        match a {
            Arg::Dot { .. } => return self.validate_type(dot.clone(), ty),
            Arg::Nil { .. } => {
                return match ty {
                    Ty::Any | Ty::Reflect | Ty::List | Ty::Map => Ok(Value::Nil),
                    _ => self.errorf(format!("cannot assign nil to {}", ty.go_name())),
                };
            }
            Arg::Field { pos, idents } => {
                let origin = self.dot_origin(dot);
                let (v, o) = self.eval_field_chain(
                    dot,
                    dot.clone(),
                    origin,
                    *pos,
                    a,
                    idents,
                    std::slice::from_ref(a),
                    None,
                )?;
                self.at(a.pos(), || a.to_string());
                return self.validate_type_from(v, ty, o);
            }
            Arg::Variable { pos, idents } => {
                let name = idents.first().map(String::as_str).unwrap_or("$");
                let value = self.var_value(name)?;
                let (v, o) = if idents.len() > 1 {
                    let rest = idents.get(1..).unwrap_or(&[]);
                    self.eval_field_chain(dot, value, Origin::Direct, *pos, a, rest, &[], None)?
                } else {
                    (value, Origin::Direct)
                };
                self.at(a.pos(), || a.to_string());
                return self.validate_type_from(v, ty, o);
            }
            Arg::Pipe(p) => {
                let v =
                    stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || self.eval_pipeline(dot, p))?;
                self.at(a.pos(), || a.to_string());
                return self.validate_type(v, ty);
            }
            Arg::Identifier { pos, name } => {
                let cmd = Command {
                    pos: *pos,
                    args: Vec::new(),
                };
                let v = self.eval_function(dot, *pos, name, &cmd, &[], None)?;
                self.at(a.pos(), || a.to_string());
                return self.validate_type(v, ty);
            }
            Arg::Chain { pos, node, fields } => {
                if matches!(**node, Arg::Nil { .. }) {
                    return self.errorf(format!("indirection through explicit nil in {a}"));
                }
                let recv = self.eval_arg_any(dot, node)?;
                let (v, o) =
                    self.eval_field_chain(dot, recv, Origin::Direct, *pos, a, fields, &[], None)?;
                self.at(a.pos(), || a.to_string());
                return self.validate_type_from(v, ty, o);
            }
            _ => {}
        }
        match ty {
            Ty::Any | Ty::Reflect => match a {
                Arg::Bool { val, .. } => Ok(Value::Bool(*val)),
                Arg::Number { num, .. } => self.ideal_constant(num),
                Arg::String { val, .. } => Ok(Value::Str(val.clone())),
                _ => self.errorf(format!("can't handle {a} for arg of type interface {{}}")),
            },
            Ty::Bool => match a {
                Arg::Bool { val, .. } => Ok(Value::Bool(*val)),
                _ => self.errorf(format!("expected bool; found {a}")),
            },
            Ty::Str => match a {
                Arg::String { val, .. } => Ok(Value::Str(val.clone())),
                _ => self.errorf(format!("expected string; found {a}")),
            },
            Ty::Int => match a {
                Arg::Number { num, .. }
                    if num.int.is_some() && !num.text.contains(['.', 'e', 'E'])
                        || num_is_int(a) =>
                {
                    let i = match a {
                        Arg::Number { num, .. } => num.int.unwrap_or(0),
                        _ => 0,
                    };
                    Ok(Value::Int(i))
                }
                _ => self.errorf(format!("expected integer; found {a}")),
            },
            Ty::Float => match a {
                Arg::Number { num, .. } if num.float.is_some() => {
                    Ok(Value::Float(num.float.unwrap_or(0.0)))
                }
                _ => self.errorf(format!("expected float; found {a}")),
            },
            Ty::List | Ty::Map => {
                self.errorf(format!("can't handle {a} for arg of type {}", ty.go_name()))
            }
        }
    }

    /// `validateType` for a value that may be a nil map element (Go's typed `interface {}`).
    fn validate_type_from(&self, v: Value, ty: Ty, origin: Origin) -> EResult<Value> {
        if v.is_nil() && origin == Origin::MapElem && !matches!(ty, Ty::Any | Ty::Reflect) {
            return self.errorf(format!(
                "wrong type for value; expected {}; got interface {{}}",
                ty.go_name()
            ));
        }
        self.validate_type(v, ty)
    }

    /// Go's `validateType`: does a value fit a parameter type?
    fn validate_type(&self, v: Value, ty: Ty) -> EResult<Value> {
        match ty {
            Ty::Any | Ty::Reflect => Ok(v),
            _ if v.is_nil() => match ty {
                Ty::List | Ty::Map => Ok(Value::Nil),
                _ => self.errorf(format!("invalid value; expected {}", ty.go_name())),
            },
            Ty::Str if matches!(v, Value::Str(_)) => Ok(v),
            Ty::Int if matches!(v, Value::Int(_)) => Ok(v),
            Ty::Float if matches!(v, Value::Float(_)) => Ok(v),
            Ty::Bool if matches!(v, Value::Bool(_)) => Ok(v),
            Ty::List if matches!(v, Value::List(_)) => Ok(v),
            Ty::Map if matches!(v, Value::Map(_)) => Ok(v),
            _ => self.errorf(format!(
                "wrong type for value; expected {}; got {}",
                ty.go_name(),
                v.type_name()
            )),
        }
    }
}

fn num_is_int(a: &Arg) -> bool {
    match a {
        Arg::Number { num, .. } => num.int.is_some(),
        _ => false,
    }
}
