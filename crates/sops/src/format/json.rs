//! JSON documents, read and written as sops' JSON store does: keys in order, every number a
//! float64, output indented with tabs and escaped like Go's `encoding/json`.

use zeroize::Zeroizing;

use crate::error::ErrorKind;
use crate::metadata::SOPS_KEY;
use crate::secret::SecretBuf;
use crate::tree::{Item, Leaf, Node};
use crate::value::{self, Scalar};

/// Deeper documents are refused rather than risking the stack.
const MAX_DEPTH: usize = 256;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

fn err(p: &Parser<'_>, reason: &str) -> ErrorKind {
    let before = &p.s[..p.i.min(p.s.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    ErrorKind::Parse {
        format: "JSON",
        reason: format!("{reason} at line {line}, column {col}"),
    }
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), ErrorKind> {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(err(self, &format!("expected '{}'", c as char)))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ErrorKind> {
        if depth > MAX_DEPTH {
            return Err(err(self, "nesting too deep"));
        }
        self.ws();
        match self.peek() {
            Some(b'{') => self.object(depth).map(Node::Map),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(Node::Leaf(Leaf::new(Scalar::Str(self.string()?)))),
            Some(b't') => self.word(b"true", Scalar::Bool(true)),
            Some(b'f') => self.word(b"false", Scalar::Bool(false)),
            Some(b'n') => self.word(b"null", Scalar::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(err(self, "expected a value")),
        }
    }

    fn word(&mut self, w: &[u8], v: Scalar) -> Result<Node, ErrorKind> {
        if self.s[self.i..].starts_with(w) {
            self.i += w.len();
            Ok(Node::Leaf(Leaf::new(v)))
        } else {
            Err(err(self, "invalid literal"))
        }
    }

    fn number(&mut self) -> Result<Node, ErrorKind> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.i += 1;
            }
            p.i > s
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        if self.peek() == Some(b'0') {
            self.i += 1;
        } else if !digits(self) {
            return Err(err(self, "invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return Err(err(self, "invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return Err(err(self, "invalid number"));
            }
        }
        let text =
            std::str::from_utf8(&self.s[start..self.i]).map_err(|_| err(self, "invalid number"))?;
        // Go decodes every JSON number into a float64 and refuses out-of-range ones.
        let f: f64 = text
            .parse()
            .ok()
            .filter(|f: &f64| f.is_finite())
            .ok_or_else(|| err(self, "number out of range"))?;
        Ok(Node::Leaf(Leaf::new(Scalar::Float(f))))
    }

    fn hex4(&mut self) -> Result<u32, ErrorKind> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .ok_or_else(|| err(self, "truncated escape"))?;
        let v = std::str::from_utf8(h)
            .ok()
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| err(self, "invalid \\u escape"))?;
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<Zeroizing<Vec<u8>>, ErrorKind> {
        self.i += 1;
        let mut out = Zeroizing::new(Vec::new());
        loop {
            let Some(c) = self.peek() else {
                return Err(err(self, "unterminated string"));
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek().ok_or_else(|| err(self, "truncated escape"))?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi)
                                && self.s.get(self.i..self.i + 2) == Some(b"\\u")
                            {
                                let save = self.i;
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                } else {
                                    self.i = save;
                                    0xFFFD
                                }
                            } else {
                                hi
                            };
                            // Lone surrogates become U+FFFD, as in Go.
                            char::from_u32(code).unwrap_or('\u{FFFD}')
                        }
                        _ => return Err(err(self, "invalid escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return Err(err(self, "control character in string")),
                c => out.push(c),
            }
        }
        Ok(out)
    }

    fn object(&mut self, depth: usize) -> Result<Vec<Item>, ErrorKind> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(items);
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(err(self, "expected an object key"));
            }
            let key = self.string()?;
            let key = String::from_utf8_lossy(&key).into_owned();
            self.expect(b':')?;
            let v = self.value(depth + 1)?;
            items.push(Item::Pair(key, v));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(items);
                }
                _ => return Err(err(self, "expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node, ErrorKind> {
        self.i += 1;
        let mut nodes = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Node::List(nodes));
        }
        loop {
            nodes.push(self.value(depth + 1)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Node::List(nodes));
                }
                _ => return Err(err(self, "expected ',' or ']'")),
            }
        }
    }
}

/// Parses a JSON document whose top level must be an object, as sops requires.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<Item>, ErrorKind> {
    let mut p = Parser { s: bytes, i: 0 };
    if p.s.starts_with(b"\xEF\xBB\xBF") {
        p.i = 3;
    }
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(err(&p, "the top level must be an object"));
    }
    let items = p.object(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(err(&p, "trailing data after the top-level object"));
    }
    Ok(items)
}

/// Splits the `sops` entry off a parsed top-level object.
pub(crate) fn take_metadata(items: &mut Vec<Item>) -> Option<Node> {
    let pos = items
        .iter()
        .position(|it| matches!(it, Item::Pair(k, _) if k == SOPS_KEY))?;
    match items.remove(pos) {
        Item::Pair(_, node) => Some(node),
        Item::Comment(_) => None,
    }
}

/// Writes a string as `encoding/json` does (HTML-safe escapes, U+FFFD for invalid UTF-8).
fn write_string(out: &mut SecretBuf, bytes: &[u8]) {
    out.push_byte(b'"');
    let text = Zeroizing::new(String::from_utf8_lossy(bytes).into_owned());
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push_char(c),
        }
    }
    out.push_byte(b'"');
}

fn newline(out: &mut SecretBuf, depth: usize) {
    out.push_byte(b'\n');
    for _ in 0..depth {
        out.push_byte(b'\t');
    }
}

fn write_scalar(out: &mut SecretBuf, v: &Scalar) {
    match v {
        Scalar::Null => out.push_str("null"),
        Scalar::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Scalar::Int(i) => out.push_str(&i.to_string()),
        // encoding/json cannot write NaN or infinities; null keeps the document valid.
        Scalar::Float(f) if !f.is_finite() => out.push_str("null"),
        Scalar::Float(f) => out.push_str(&value::format_json_float(*f)),
        Scalar::Str(s) => write_string(out, s),
        Scalar::Bytes(b) => {
            use base64::Engine as _;
            let enc =
                Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(b.as_slice()));
            write_string(out, enc.as_bytes());
        }
        Scalar::Time(t) => write_string(out, t.rfc3339_nano().as_bytes()),
    }
}

fn write_node(out: &mut SecretBuf, node: &Node, depth: usize) {
    match node {
        Node::Map(items) => write_map(out, items, depth),
        Node::List(nodes) => {
            let nodes: Vec<&Node> = nodes
                .iter()
                .filter(|n| !matches!(n, Node::Comment(_)))
                .collect();
            if nodes.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push_byte(b'[');
            for (i, n) in nodes.iter().enumerate() {
                if i > 0 {
                    out.push_byte(b',');
                }
                newline(out, depth + 1);
                write_node(out, n, depth + 1);
            }
            newline(out, depth);
            out.push_byte(b']');
        }
        Node::Leaf(l) => write_scalar(out, &l.value),
        Node::Comment(_) => {}
    }
}

fn write_map(out: &mut SecretBuf, items: &[Item], depth: usize) {
    let pairs: Vec<(&String, &Node)> = items
        .iter()
        .filter_map(|it| match it {
            Item::Pair(k, v) => Some((k, v)),
            Item::Comment(_) => None,
        })
        .collect();
    if pairs.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push_byte(b'{');
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push_byte(b',');
        }
        newline(out, depth + 1);
        write_string(out, k.as_bytes());
        out.push_str(": ");
        write_node(out, v, depth + 1);
    }
    newline(out, depth);
    out.push_byte(b'}');
}

/// Writes the decrypted object as `sops -d` does: tab-indented, with a final newline.
pub(crate) fn emit(items: &[Item], size_hint: usize) -> SecretBuf {
    let mut out = SecretBuf::with_capacity(size_hint);
    write_map(&mut out, items, 0);
    out.push_byte(b'\n');
    out
}

/// Whether a JSON document has a top-level `sops` object.
pub(crate) fn has_metadata(bytes: &[u8]) -> bool {
    parse(bytes).is_ok_and(|items| matches!(crate::tree::get(&items, SOPS_KEY), Some(Node::Map(_))))
}
