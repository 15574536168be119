//! Go `text/template` parser: tokens to trees, with Go's parse-time checks (unknown functions,
//! undefined variables, `break` outside `range`) and Go's error wording.

use std::rc::Rc;

use super::lexer::{Tok, Token, lex};
use super::node::{Arg, Branch, Command, Node, Number, Pipe, Tree};

/// A parse failure, already formatted as Go prints it (`template: file:line: message`).
#[derive(Debug, Clone)]
pub(crate) struct ParseError {
    pub(crate) parse_name: String,
    pub(crate) line: usize,
    pub(crate) msg: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "template: {}:{}: {}",
            self.parse_name, self.line, self.msg
        )
    }
}

type PResult<T> = Result<T, ParseError>;

/// Nesting bound for parenthesised pipelines and control structures, so a hostile template
/// cannot exhaust the stack while parsing.
const MAX_NESTING: usize = 1000;

struct Parser<'f> {
    toks: Vec<Token>,
    i: usize,
    parse_name: Rc<str>,
    src: Rc<str>,
    vars: Vec<String>,
    range_depth: usize,
    nesting: usize,
    line: usize,
    has_func: &'f dyn Fn(&str) -> bool,
    defined: Vec<Tree>,
    /// Line of the `{{` of the action being parsed (0 outside actions).
    action_line: usize,
}

/// Parses one file: the first tree is the file's own template, the rest are its `define`s and
/// `block`s in order.
pub(crate) fn parse(name: &str, src: &str, has_func: &dyn Fn(&str) -> bool) -> PResult<Vec<Tree>> {
    let src: Rc<str> = Rc::from(src);
    let mut p = Parser {
        toks: lex(&src),
        i: 0,
        parse_name: Rc::from(name),
        src: src.clone(),
        vars: vec!["$".to_string()],
        range_depth: 0,
        nesting: 0,
        line: 1,
        has_func,
        defined: Vec::new(),
        action_line: 0,
    };
    let root = p.parse_top()?;
    let mut out = vec![Tree {
        name: name.to_string(),
        parse_name: p.parse_name.clone(),
        src,
        root,
    }];
    out.append(&mut p.defined);
    Ok(out)
}

/// Go's token `String()` for "unexpected" messages.
fn tok_string(t: &Token) -> String {
    match t.kind {
        Tok::Eof => "EOF".into(),
        Tok::Error => t.val.clone(),
        Tok::Block
        | Tok::Break
        | Tok::Continue
        | Tok::Define
        | Tok::Else
        | Tok::End
        | Tok::If
        | Tok::Range
        | Tok::Template
        | Tok::With
        | Tok::Nil => format!("<{}>", t.val),
        _ => {
            if t.val.chars().count() > 10 {
                let short: String = t.val.chars().take(10).collect();
                format!("{}...", super::gofmt::quote(&short))
            } else {
                super::gofmt::quote(&t.val)
            }
        }
    }
}

enum Item {
    Node(Node),
    End,
    Else,
}

impl Parser<'_> {
    fn err<T>(&self, msg: impl Into<String>) -> PResult<T> {
        Err(ParseError {
            parse_name: self.parse_name.to_string(),
            line: self.line,
            msg: msg.into(),
        })
    }

    fn next(&mut self) -> Token {
        let t = self.toks.get(self.i).cloned().unwrap_or(Token {
            kind: Tok::Eof,
            val: String::new(),
            pos: self.src.len(),
            line: self.line,
        });
        if self.i < self.toks.len() {
            self.i += 1;
        }
        self.line = t.line;
        t
    }

    fn backup(&mut self) {
        self.i = self.i.saturating_sub(1);
    }

    fn peek(&self) -> Token {
        self.toks.get(self.i).cloned().unwrap_or(Token {
            kind: Tok::Eof,
            val: String::new(),
            pos: self.src.len(),
            line: self.line,
        })
    }

    fn skip_space(&mut self) {
        while self.toks.get(self.i).is_some_and(|t| t.kind == Tok::Space) {
            self.i += 1;
        }
    }

    fn next_non_space(&mut self) -> Token {
        self.skip_space();
        self.next()
    }

    fn peek_non_space(&mut self) -> Token {
        self.skip_space();
        let t = self.peek();
        self.line = t.line;
        t
    }

    fn unexpected<T>(&self, t: &Token, context: &str) -> PResult<T> {
        if t.kind == Tok::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != t.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.parse_name, self.action_line
                );
                if t.val.ends_with(" action") {
                    extra = extra.replacen(" in action", "", 1);
                }
            }
            return self.err(format!("{}{extra}", t.val));
        }
        self.err(format!("unexpected {} in {}", tok_string(t), context))
    }

    fn expect(&mut self, kind: Tok, context: &str) -> PResult<Token> {
        let t = self.next_non_space();
        if t.kind != kind {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn parse_top(&mut self) -> PResult<Vec<Node>> {
        let mut root = Vec::new();
        loop {
            let t = self.peek();
            if t.kind == Tok::Eof {
                break;
            }
            if t.kind == Tok::LeftDelim {
                let save = self.i;
                self.next();
                if self.next_non_space().kind == Tok::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.i = save;
            }
            match self.text_or_action()? {
                Item::Node(n) => root.push(n),
                Item::End => return self.err("unexpected {{end}}"),
                Item::Else => return self.err("unexpected {{else}}"),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let t = self.next_non_space();
        let name = match t.kind {
            Tok::String | Tok::RawString => unquote(&t.val).map_err(|e| self.mk_err(e))?,
            _ => return self.unexpected(&t, context),
        };
        self.expect(Tok::RightDelim, context)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        if !matches!(end, Item::End) {
            return self.err(format!("unexpected {} in {}", item_str(&end), context));
        }
        self.add_tree(name, list)
    }

    fn add_tree(&mut self, name: String, root: Vec<Node>) -> PResult<()> {
        let tree = Tree {
            name: name.clone(),
            parse_name: self.parse_name.clone(),
            src: self.src.clone(),
            root,
        };
        if let Some(idx) = self.defined.iter().position(|t| t.name == name) {
            let old_empty = self.defined.get(idx).is_none_or(Tree::is_empty);
            if old_empty {
                if let Some(slot) = self.defined.get_mut(idx) {
                    *slot = tree;
                }
                return Ok(());
            }
            if !tree.is_empty() {
                return self.err(format!(
                    "template: multiple definition of template {}",
                    super::gofmt::quote(&name)
                ));
            }
            return Ok(());
        }
        self.defined.push(tree);
        Ok(())
    }

    fn mk_err(&self, msg: String) -> ParseError {
        ParseError {
            parse_name: self.parse_name.to_string(),
            line: self.line,
            msg,
        }
    }

    fn item_list(&mut self) -> PResult<(Vec<Node>, Item)> {
        let mut list = Vec::new();
        loop {
            if self.peek_non_space().kind == Tok::Eof {
                return self.err("unexpected EOF");
            }
            match self.text_or_action()? {
                Item::Node(n) => list.push(n),
                other => return Ok((list, other)),
            }
        }
    }

    fn text_or_action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.kind {
            Tok::Text => Ok(Item::Node(Node::Text {
                text: Rc::from(t.val.as_str()),
            })),
            Tok::LeftDelim => {
                let saved = self.action_line;
                self.action_line = t.line;
                let r = self.action();
                self.action_line = saved;
                r
            }
            _ => self.unexpected(&t, "input"),
        }
    }

    fn action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.kind {
            Tok::Block => return self.block_control().map(Item::Node),
            Tok::Break | Tok::Continue => {
                let word = if t.kind == Tok::Break {
                    "break"
                } else {
                    "continue"
                };
                let next = self.next_non_space();
                if next.kind != Tok::RightDelim {
                    return self.unexpected(&next, &format!("{{{{{word}}}}}"));
                }
                if self.range_depth == 0 {
                    return self.err(format!("{{{{{word}}}}} outside {{{{range}}}}"));
                }
                return Ok(Item::Node(if t.kind == Tok::Break {
                    Node::Break
                } else {
                    Node::Continue
                }));
            }
            Tok::Else => {
                let p = self.peek_non_space();
                if p.kind == Tok::If || p.kind == Tok::With {
                    return Ok(Item::Else);
                }
                self.expect(Tok::RightDelim, "else")?;
                return Ok(Item::Else);
            }
            Tok::End => {
                self.expect(Tok::RightDelim, "end")?;
                return Ok(Item::End);
            }
            Tok::If => {
                return self
                    .control("if")
                    .map(|b| Item::Node(Node::If(Box::new(b))));
            }
            Tok::Range => {
                return self
                    .control("range")
                    .map(|b| Item::Node(Node::Range(Box::new(b))));
            }
            Tok::With => {
                return self
                    .control("with")
                    .map(|b| Item::Node(Node::With(Box::new(b))));
            }
            Tok::Template => return self.template_control().map(Item::Node),
            _ => {}
        }
        self.backup();
        let pipe = self.pipeline("command", Tok::RightDelim)?;
        Ok(Item::Node(Node::Action { pipe }))
    }

    fn enter(&mut self) -> PResult<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return self.err("max nesting depth exceeded");
        }
        Ok(())
    }

    fn control(&mut self, context: &str) -> PResult<Branch> {
        crate::deep(|| self.control_inner(context))
    }

    fn control_inner(&mut self, context: &str) -> PResult<Branch> {
        self.enter()?;
        let nvars = self.vars.len();
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        if let Item::Else = next {
            let p = self.peek();
            if context == "if" && p.kind == Tok::If {
                self.next();
                let b = self.control("if")?;
                else_list = Some(vec![Node::If(Box::new(b))]);
            } else if context == "with" && p.kind == Tok::With {
                self.next();
                let b = self.control("with")?;
                else_list = Some(vec![Node::With(Box::new(b))]);
            } else {
                let (l, end) = self.item_list()?;
                if !matches!(end, Item::End) {
                    return self.err(format!("expected end; found {}", item_str(&end)));
                }
                else_list = Some(l);
            }
        }
        self.vars.truncate(nvars);
        self.nesting -= 1;
        Ok(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    fn template_name(&mut self, t: &Token, context: &str) -> PResult<String> {
        match t.kind {
            Tok::String | Tok::RawString => unquote(&t.val).map_err(|e| self.mk_err(e)),
            _ => self.unexpected(t, context),
        }
    }

    fn template_control(&mut self) -> PResult<Node> {
        let context = "template clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, context)?;
        let mut pipe = None;
        if self.next_non_space().kind != Tok::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(context, Tok::RightDelim)?);
        }
        Ok(Node::Template {
            pos: t.pos,
            name,
            pipe,
        })
    }

    fn block_control(&mut self) -> PResult<Node> {
        let context = "block clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, context)?;
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_range;
        if !matches!(end, Item::End) {
            return self.err(format!("unexpected {} in {}", item_str(&end), context));
        }
        self.add_tree(name.clone(), list)?;
        Ok(Node::Template {
            pos: t.pos,
            name,
            pipe: Some(pipe),
        })
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        self.enter()?;
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            pos: start.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        // Declarations.
        loop {
            let v = self.peek_non_space();
            if v.kind != Tok::Variable {
                break;
            }
            let save = self.i;
            self.next();
            let next = self.peek_non_space();
            match next.kind {
                Tok::Assign | Tok::Declare => {
                    pipe.is_assign = next.kind == Tok::Assign;
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val.clone());
                    break;
                }
                Tok::Comma => {
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val.clone());
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().kind {
                            Tok::Variable | Tok::RightDelim | Tok::RightParen => continue,
                            _ => return self.err("range can only initialize variables"),
                        }
                    }
                    return self.err(format!("too many declarations in {context}"));
                }
                _ => {
                    self.i = save;
                    break;
                }
            }
        }
        loop {
            let t = self.next_non_space();
            if t.kind == end {
                if pipe.cmds.is_empty() {
                    return self.err(format!("missing value for {context}"));
                }
                for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
                    if matches!(
                        c.args.first(),
                        Some(
                            Arg::Bool { .. }
                                | Arg::Dot { .. }
                                | Arg::Nil { .. }
                                | Arg::Number { .. }
                                | Arg::String { .. }
                        )
                    ) {
                        return self.err(format!(
                            "non executable command in pipeline stage {}",
                            i + 1
                        ));
                    }
                }
                self.nesting -= 1;
                return Ok(pipe);
            }
            match t.kind {
                Tok::Bool
                | Tok::Char
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::Nil
                | Tok::RawString
                | Tok::String
                | Tok::Variable
                | Tok::LeftParen => {
                    self.backup();
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut args = Vec::new();
        loop {
            self.skip_space();
            if let Some(op) = self.operand()? {
                args.push(op);
            }
            let t = self.next();
            match t.kind {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        if args.is_empty() {
            return self.err("empty command");
        }
        Ok(Command { pos, args })
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Tok::Field {
            return Ok(Some(node));
        }
        let chain_pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().kind == Tok::Field {
            let f = self.next();
            fields.push(f.val.trim_start_matches('.').to_string());
        }
        Ok(Some(match node {
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Variable { mut idents, .. } => {
                idents.extend(fields);
                Arg::Variable {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Bool { .. }
            | Arg::String { .. }
            | Arg::Number { .. }
            | Arg::Nil { .. }
            | Arg::Dot { .. } => {
                return self.err(format!(
                    "unexpected . after term {}",
                    super::gofmt::quote(&node.to_string())
                ));
            }
            other => Arg::Chain {
                pos: chain_pos,
                node: Box::new(other),
                fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        Ok(Some(match t.kind {
            Tok::Identifier => {
                if !(self.has_func)(&t.val) {
                    return self.err(format!(
                        "function {} not defined",
                        super::gofmt::quote(&t.val)
                    ));
                }
                Arg::Identifier {
                    pos: t.pos,
                    name: t.val,
                }
            }
            Tok::Dot => Arg::Dot { pos: t.pos },
            Tok::Nil => Arg::Nil { pos: t.pos },
            Tok::Variable => {
                if !self.vars.contains(&t.val) {
                    return self.err(format!(
                        "undefined variable {}",
                        super::gofmt::quote(&t.val)
                    ));
                }
                Arg::Variable {
                    pos: t.pos,
                    idents: vec![t.val],
                }
            }
            Tok::Field => Arg::Field {
                pos: t.pos,
                idents: vec![t.val.trim_start_matches('.').to_string()],
            },
            Tok::Bool => Arg::Bool {
                pos: t.pos,
                val: t.val == "true",
            },
            Tok::Number | Tok::Char => {
                let num = parse_number(&t.val, t.kind == Tok::Char).map_err(|e| self.mk_err(e))?;
                Arg::Number { pos: t.pos, num }
            }
            Tok::LeftParen => {
                let p = crate::deep(|| self.pipeline("parenthesized pipeline", Tok::RightParen))?;
                Arg::Pipe(Box::new(p))
            }
            Tok::String | Tok::RawString => {
                let s = unquote(&t.val).map_err(|e| self.mk_err(e))?;
                Arg::String {
                    pos: t.pos,
                    quoted: t.val,
                    val: Rc::from(s.as_str()),
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

fn item_str(i: &Item) -> &'static str {
    match i {
        Item::End => "{{end}}",
        Item::Else => "{{else}}",
        Item::Node(_) => "node",
    }
}

/// Parses a Go number literal the way `parse.NumberNode` does.
fn parse_number(text: &str, is_char: bool) -> Result<Number, String> {
    let mut n = Number {
        text: text.to_string(),
        int: None,
        uint: None,
        float: None,
        is_char,
    };
    if is_char {
        let s =
            unquote_char(text).ok_or_else(|| format!("malformed character constant: {text}"))?;
        let v = i64::from(u32::from(s));
        n.int = Some(v);
        n.uint = u64::try_from(v).ok();
        n.float = Some(v as f64);
        return Ok(n);
    }
    if text.ends_with('i') {
        return Err(format!(
            "illegal number syntax: {}",
            super::gofmt::quote(text)
        ));
    }
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let lower = body.to_ascii_lowercase();
    let parsed_int: Option<u64> = if let Some(h) = lower.strip_prefix("0x") {
        if h.contains(['.', 'p']) {
            None
        } else {
            u64::from_str_radix(h, 16).ok()
        }
    } else if let Some(o) = lower.strip_prefix("0o") {
        u64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        u64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.chars().all(|c| c.is_ascii_digit())
    {
        u64::from_str_radix(&lower[1..], 8).ok()
    } else if lower.chars().all(|c| c.is_ascii_digit()) && !lower.is_empty() {
        lower.parse::<u64>().ok()
    } else {
        None
    };
    if let Some(u) = parsed_int {
        if neg {
            if u <= 1u64 << 63 {
                let i = if u == 1u64 << 63 {
                    i64::MIN
                } else {
                    -(u as i64)
                };
                n.int = Some(i);
                if i == 0 {
                    n.uint = Some(0);
                }
            }
        } else {
            n.uint = Some(u);
            n.int = i64::try_from(u).ok();
        }
    }
    if let Some(i) = n.int {
        n.float = Some(i as f64);
    } else if let Some(u) = n.uint {
        n.float = Some(u as f64);
    } else {
        let f: f64 = clean
            .parse()
            .map_err(|_| format!("illegal number syntax: {}", super::gofmt::quote(text)))?;
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", super::gofmt::quote(text)));
        }
        n.float = Some(f);
        if f.fract() == 0.0 && f.abs() < 9.2e18 {
            n.int = Some(f as i64);
        }
        if f.fract() == 0.0 && (0.0..1.8e19).contains(&f) {
            n.uint = Some(f as u64);
        }
    }
    Ok(n)
}

fn unquote_char(text: &str) -> Option<char> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    let s = unescape(inner, '\'').ok()?;
    let mut it = s.chars();
    let c = it.next()?;
    if it.next().is_some() {
        return None;
    }
    Some(c)
}

/// Go's `strconv.Unquote` for "..." and `...` literals.
pub(crate) fn unquote(text: &str) -> Result<String, String> {
    if let Some(inner) = text.strip_prefix('`').and_then(|s| s.strip_suffix('`')) {
        return Ok(inner.replace('\r', ""));
    }
    if let Some(inner) = text.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        return unescape(inner, '"');
    }
    Err("invalid syntax".into())
}

fn unescape(s: &str, quote: char) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            return Err("invalid syntax".into());
        };
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '\'' | '"' if e == quote => out.push(e),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n).filter_map(|_| chars.next()).collect();
                let v = u32::from_str_radix(&hex, 16).map_err(|_| "invalid syntax".to_string())?;
                if e == 'x' {
                    // A byte; templates are UTF-8 so treat it as a code point below 256.
                    out.push(char::from_u32(v).ok_or("invalid syntax")?);
                } else {
                    out.push(char::from_u32(v).ok_or("invalid syntax")?);
                }
            }
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    let d = chars
                        .next()
                        .and_then(|c| c.to_digit(8))
                        .ok_or("invalid syntax")?;
                    v = v * 8 + d;
                }
                out.push(char::from_u32(v).ok_or("invalid syntax")?);
            }
            _ => return Err("invalid syntax".into()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(_: &str) -> bool {
        true
    }

    #[test]
    fn field_chain_takes_position_of_second_field() {
        let trees = parse("t", "{{ .Values.a.b }}", &any).unwrap();
        let Some(Node::Action { pipe, .. }) = trees[0].root.first() else {
            panic!()
        };
        let Arg::Field { pos, idents } = &pipe.cmds[0].args[0] else {
            panic!()
        };
        assert_eq!(*pos, 10);
        assert_eq!(idents.join("."), "Values.a.b");
    }

    #[test]
    fn errors_read_like_go() {
        let none = |_: &str| false;
        let e = parse("f", "{{ foo }}", &none).unwrap_err();
        assert_eq!(e.to_string(), "template: f:1: function \"foo\" not defined");
        let e = parse("f", "{{ if }}", &any).unwrap_err();
        assert_eq!(e.to_string(), "template: f:1: missing value for if");
        let e = parse("f", "a\n{{ $x }}", &any).unwrap_err();
        assert_eq!(e.to_string(), "template: f:2: undefined variable \"$x\"");
    }

    #[test]
    fn defines_are_collected() {
        let trees = parse(
            "f",
            "{{ define \"a\" }}x{{ end }}y{{ block \"b\" . }}z{{ end }}",
            &any,
        )
        .unwrap();
        let names: Vec<&str> = trees.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, vec!["f", "a", "b"]);
    }
}
