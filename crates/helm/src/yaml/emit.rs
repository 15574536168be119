//! YAML writing as Helm's `toYaml` does it: `sigs.k8s.io/yaml.Marshal` is `json.Marshal`
//! followed by go-yaml v2 re-reading the JSON and emitting it, so numbers come out as the JSON
//! text reads back (`1e6` prints `1000000`), keys are sorted with go-yaml's "natural" order,
//! strings are quoted exactly when YAML 1.1 would misread them, and long lines fold at 80
//! columns like libyaml's emitter.

use crate::template::gofmt;
use crate::template::value::Value;
use crate::yaml::parse::{Scalar, is_base60_float, resolve_plain, resolves_to_str};

/// The JSON-shaped intermediate: what go-yaml sees after reading the JSON text.
#[derive(Debug, Clone)]
pub(crate) enum JNode {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<JNode>),
    Map(Vec<(String, JNode)>),
}

/// A value that JSON cannot carry.
#[derive(Debug)]
pub(crate) struct Unsupported(pub(crate) String);

/// Converts a template value the way `json.Marshal` + go-yaml `Unmarshal` would.
pub(crate) fn to_jnode(v: &Value) -> Result<JNode, Unsupported> {
    to_jnode_depth(v, 0, false)
}

/// `direct`: encode Go values as yaml.v3 does (no JSON trip, so `1e6` stays `1e+06`).
fn to_jnode_depth(v: &Value, depth: usize, direct: bool) -> Result<JNode, Unsupported> {
    crate::deep(|| to_jnode_inner(v, depth, direct))
}

fn to_jnode_inner(v: &Value, depth: usize, direct: bool) -> Result<JNode, Unsupported> {
    if depth > 10_000 {
        return Err(Unsupported(
            "json: unsupported value: encountered a cycle".into(),
        ));
    }
    Ok(match v {
        Value::Nil => JNode::Null,
        Value::Bool(b) => JNode::Bool(*b),
        Value::Int(i) | Value::I64(i) => JNode::Int(i128::from(*i)),
        Value::U64(u) => JNode::Int(i128::from(*u)),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(Unsupported(format!(
                    "json: unsupported value: {}",
                    gofmt::format_float_g(*f)
                )));
            }
            if direct {
                JNode::Float(*f)
            } else {
                number_from_json_text(&gofmt::format_float_json(*f))
            }
        }
        Value::Str(s) => JNode::Str(s.to_string()),
        Value::Bytes(b) => {
            use base64::Engine as _;
            JNode::Str(base64::engine::general_purpose::STANDARD.encode(b.as_slice()))
        }
        Value::List(l) => {
            let mut out = Vec::with_capacity(l.len());
            for e in l.iter() {
                out.push(to_jnode_depth(e, depth + 1, direct)?);
            }
            JNode::Seq(out)
        }
        Value::Map(m) => {
            let entries: Vec<(String, Value)> = m
                .borrow()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let mut out = Vec::with_capacity(entries.len());
            for (k, e) in entries {
                out.push((k, to_jnode_depth(&e, depth + 1, direct)?));
            }
            JNode::Map(out)
        }
        Value::Object(o) => to_jnode_depth(&o.to_data(), depth + 1, direct)?,
    })
}

/// How go-yaml resolves a JSON number's text.
fn number_from_json_text(t: &str) -> JNode {
    match resolve_plain(t) {
        Scalar::Int(i) => JNode::Int(i128::from(i)),
        Scalar::Uint(u) => JNode::Int(i128::from(u)),
        Scalar::Float(f) => JNode::Float(f),
        _ => JNode::Str(t.to_string()),
    }
}

/// go-yaml v2's key order (`keyList.Less`): letters after other characters, digit runs
/// compared by value.
pub(crate) fn yaml_key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        let (ca, cb) = (ar[i], br[i]);
        if ca == cb {
            i += 1;
            continue;
        }
        let al = ca.is_alphabetic();
        let bl = cb.is_alphabetic();
        if al && bl {
            return ca < cb;
        }
        if al || bl {
            return bl;
        }
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ca == '0' || cb == '0' {
            let mut j = i;
            while j > 0 {
                j -= 1;
                if !ar[j].is_ascii_digit() {
                    break;
                }
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ca < cb;
    }
    ar.len() < br.len()
}

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;

struct Emitter {
    /// yaml.v3 style (`toYamlPretty`): sequences indented under their key, no folding.
    pretty: bool,
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    indent: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

struct Analysis {
    multiline: bool,
    flow_plain: bool,
    block_plain: bool,
    single: bool,
    block: bool,
}

fn is_printable(c: char) -> bool {
    let n = c as u32;
    n == 0x0A
        || (0x20..=0x7E).contains(&n)
        || n == 0x85
        || ((0xA0..=0xD7FF).contains(&n))
        || ((0xE000..=0xFFFD).contains(&n) && n != 0xFEFF)
        || (0x10000..=0x10FFFF).contains(&n)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blankz(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => c == ' ' || c == '\t' || is_break(c) || c == '\0',
    }
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain: false,
            block_plain: true,
            single: true,
            block: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_ind = false;
    let mut flow_ind = false;
    if s.starts_with("---") || s.starts_with("...") {
        block_ind = true;
        flow_ind = true;
    }
    let mut preceded_ws = true;
    let mut followed_ws = is_blankz(chars.get(1).copied());
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut prev_space, mut prev_break) =
        (false, false, false, false);
    let n = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                flow_ind = true;
                block_ind = true;
            }
            if c == '?' || c == ':' {
                flow_ind = true;
                if followed_ws {
                    block_ind = true;
                }
            }
            if c == '-' && followed_ws {
                flow_ind = true;
                block_ind = true;
            }
        } else {
            if ",?[]{}".contains(c) {
                flow_ind = true;
            }
            if c == ':' {
                flow_ind = true;
                if followed_ws {
                    block_ind = true;
                }
            }
            if c == '#' && preceded_ws {
                flow_ind = true;
                block_ind = true;
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_break = true;
            prev_space = false;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_ws = is_blankz(Some(c));
        followed_ws = is_blankz(chars.get(i + 2).copied());
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain: true,
        block_plain: true,
        single: true,
        block: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if trailing_space {
        a.block = false;
    }
    if break_space {
        a.flow_plain = false;
        a.block_plain = false;
        a.single = false;
    }
    if space_break || special {
        a.flow_plain = false;
        a.block_plain = false;
        a.single = false;
        a.block = false;
    }
    if line_breaks {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if flow_ind {
        a.flow_plain = false;
    }
    if block_ind {
        a.block_plain = false;
    }
    a
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_str(&mut self, s: &str) {
        for c in s.chars() {
            self.put(c);
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        self.write_str(ind);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn scalar(&mut self, s: &str, requested: Style, simple_key: bool) {
        let a = analyze(s);
        let mut style = requested;
        if simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain && (!a.block_plain || (s.is_empty() && simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block || simple_key) {
            style = Style::Double;
        }
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => self.write_plain(s, allow_breaks),
            Style::Single => self.write_single(s, allow_breaks),
            Style::Double => self.write_double(s, allow_breaks),
            Style::Literal => self.write_literal(s),
        }
    }

    fn write_plain(&mut self, s: &str, allow_breaks: bool) {
        if !self.whitespace && !s.is_empty() {
            self.put(' ');
        }
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !self.pretty
                    && !spaces
                    && self.column > BEST_WIDTH
                    && !next_space
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len();
        let mut spaces = false;
        let mut breaks = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !self.pretty
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i + 1 != n
                    && !next_space
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.put_break();
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !is_printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    c => {
                        let v = c as u32;
                        if v <= 0xFF {
                            self.write_str(&format!("x{v:02X}"));
                        } else if v <= 0xFFFF {
                            self.write_str(&format!("u{v:04X}"));
                        } else {
                            self.write_str(&format!("U{v:08X}"));
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !self.pretty
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i + 1 != n
                {
                    self.write_indent();
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
    }

    fn write_literal(&mut self, s: &str) {
        self.write_indicator("|", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        // Block scalar hints.
        if chars.first().is_some_and(|c| *c == ' ' || is_break(*c)) {
            self.write_str(&BEST_INDENT.to_string());
        }
        let n = chars.len();
        let last_break = chars.last().is_some_and(|c| is_break(*c));
        if !last_break {
            self.write_str("-");
        } else if n == 1 || chars.get(n - 2).is_some_and(|c| is_break(*c)) {
            self.write_str("+");
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in &chars {
            if is_break(c) {
                self.put_break();
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }

    fn scalar_node(&mut self, n: &JNode, simple_key: bool) {
        match n {
            JNode::Null => self.scalar("null", Style::Plain, simple_key),
            JNode::Bool(b) => {
                self.scalar(if *b { "true" } else { "false" }, Style::Plain, simple_key)
            }
            JNode::Int(i) => self.scalar(&i.to_string(), Style::Plain, simple_key),
            JNode::Float(f) => {
                let s = match gofmt::format_float_g(*f).as_str() {
                    "+Inf" => ".inf".to_string(),
                    "-Inf" => "-.inf".to_string(),
                    "NaN" => ".nan".to_string(),
                    other => other.to_string(),
                };
                self.scalar(&s, Style::Plain, simple_key);
            }
            JNode::Str(s) => {
                let style = if s.contains('\n') {
                    Style::Literal
                } else if resolves_to_str(s) && !is_base60_float(s) {
                    Style::Plain
                } else {
                    Style::Double
                };
                self.scalar(s, style, simple_key);
            }
            _ => {}
        }
    }

    /// Emits a node whose parent already positioned the cursor (after "key:" or "-").
    fn node(&mut self, n: &JNode, parent_indent: Option<usize>, in_mapping: bool) {
        crate::deep(|| self.node_inner(n, parent_indent, in_mapping));
    }

    fn node_inner(&mut self, n: &JNode, parent_indent: Option<usize>, in_mapping: bool) {
        match n {
            JNode::Map(entries) if !entries.is_empty() => {
                let indent = parent_indent.map_or(0, |p| p + BEST_INDENT);
                self.mapping(entries, indent);
            }
            JNode::Seq(items) if !items.is_empty() => {
                let indent = match parent_indent {
                    None => 0,
                    Some(p) if in_mapping && !self.indention && !self.pretty => p,
                    Some(p) => p + BEST_INDENT,
                };
                self.sequence(items, indent);
            }
            JNode::Map(_) => self.write_indicator("{}", true, false, false),
            JNode::Seq(_) => self.write_indicator("[]", true, false, false),
            scalar => {
                let saved = self.indent;
                self.indent = parent_indent.map_or(BEST_INDENT, |p| p + BEST_INDENT);
                self.scalar_node(scalar, false);
                self.indent = saved;
            }
        }
    }

    fn mapping(&mut self, entries: &[(String, JNode)], indent: usize) {
        let mut sorted: Vec<&(String, JNode)> = entries.iter().collect();
        sorted.sort_by(|a, b| {
            if yaml_key_less(&a.0, &b.0) {
                std::cmp::Ordering::Less
            } else if yaml_key_less(&b.0, &a.0) {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        });
        let saved = self.indent;
        for (k, v) in sorted {
            self.indent = indent;
            self.write_indent();
            let simple = k.chars().count() <= 128 && !k.contains('\n');
            if simple {
                self.scalar_node(&JNode::Str(k.clone()), true);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.indent = indent + BEST_INDENT;
                self.scalar_node(&JNode::Str(k.clone()), false);
                self.indent = indent;
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(v, Some(indent), true);
        }
        self.indent = saved;
    }

    fn sequence(&mut self, items: &[JNode], indent: usize) {
        let saved = self.indent;
        for it in items {
            self.indent = indent;
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(it, Some(indent), false);
        }
        self.indent = saved;
    }
}

/// go-yaml v2 `Marshal` of a JSON-shaped node (with the trailing newline).
pub(crate) fn emit(n: &JNode) -> String {
    emit_with(n, false)
}

fn emit_with(n: &JNode, pretty: bool) -> String {
    let mut e = Emitter {
        pretty,
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
        indent: 0,
    };
    e.node(n, None, false);
    if !e.out.ends_with('\n') || e.column != 0 {
        e.put_break();
    }
    e.out
}

/// Helm's `toYaml`: marshal and trim the final newline; unsupported values give "".
pub(crate) fn to_yaml(v: &Value) -> Result<String, Unsupported> {
    let j = to_jnode(v)?;
    let s = emit(&j);
    Ok(s.strip_suffix('\n').unwrap_or(&s).to_string())
}

/// Helm's `toYamlPretty`: yaml.v3 with two-space indentation, sequences indented.
pub(crate) fn to_yaml_pretty(v: &Value) -> Result<String, Unsupported> {
    let j = to_jnode_depth(v, 0, true)?;
    let s = emit_with(&j, true);
    Ok(s.strip_suffix('\n').unwrap_or(&s).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse::parse_map;

    fn y(src: &str) -> String {
        to_yaml(&parse_map(src).unwrap()).unwrap()
    }

    #[test]
    fn keys_sort_naturally() {
        let mut keys = vec!["b", "a10", "a9", "B", "_x", "10", "9", ""];
        keys.sort_by(|a, b| {
            if yaml_key_less(a, b) {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            }
        });
        assert_eq!(keys, vec!["", "_x", "9", "10", "B", "a9", "a10", "b"]);
    }

    #[test]
    fn emits_like_go_yaml() {
        assert_eq!(
            y("a: 1\nb: [x, {c: 1.5}]\nd: {}\n"),
            "a: 1\nb:\n- x\n- c: 1.5\nd: {}"
        );
        assert_eq!(
            y("s: \"yes\"\nt: \"a\\nb\"\n"),
            "s: \"yes\"\nt: |-\n  a\n  b"
        );
        assert_eq!(y("l: [[1, 2]]\n"), "l:\n- - 1\n  - 2");
        assert_eq!(y("x: \"- x\"\n"), "x: '- x'");
        assert_eq!(y("n: 1e6\n"), "\"false\": 1000000");
    }
}
