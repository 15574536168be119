//! JSON as Go's `encoding/json` writes and reads it: sorted keys, HTML-safe escaping by
//! default, `float64` for every number read, and Go's error texts for bad input.

use crate::template::gofmt;
use crate::template::value::{Map, Value};

/// Encoding options matching `json.Marshal`, `MarshalIndent` and `SetEscapeHTML(false)`.
#[derive(Clone, Copy)]
pub(crate) struct JsonStyle {
    pub(crate) indent: bool,
    pub(crate) escape_html: bool,
}

/// Encodes a value; `Err` carries Go's `json: unsupported value` message.
pub(crate) fn to_json(v: &Value, style: JsonStyle) -> Result<String, String> {
    let mut out = String::new();
    write(&mut out, v, style, 0)?;
    Ok(out)
}

fn write_str(out: &mut String, s: &str, escape_html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if escape_html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn newline(out: &mut String, style: JsonStyle, depth: usize) {
    if style.indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
}

fn write(out: &mut String, v: &Value, style: JsonStyle, depth: usize) -> Result<(), String> {
    crate::deep(|| write_inner(out, v, style, depth))
}

fn write_inner(out: &mut String, v: &Value, style: JsonStyle, depth: usize) -> Result<(), String> {
    if depth > 10_000 {
        return Err("json: unsupported value: encountered a cycle".into());
    }
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::I64(i) => out.push_str(&i.to_string()),
        Value::U64(u) => out.push_str(&u.to_string()),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(format!(
                    "json: unsupported value: {}",
                    gofmt::format_float_g(*f)
                ));
            }
            out.push_str(&gofmt::format_float_json(*f));
        }
        Value::Str(s) => write_str(out, s, style.escape_html),
        Value::Bytes(b) => {
            use base64::Engine as _;
            write_str(
                out,
                &base64::engine::general_purpose::STANDARD.encode(b.as_slice()),
                false,
            );
        }
        Value::List(l) => {
            if l.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, style, depth + 1);
                write(out, e, style, depth + 1)?;
            }
            newline(out, style, depth);
            out.push(']');
        }
        Value::Map(m) => {
            let entries: Vec<(String, Value)> = m
                .borrow()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if entries.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, e)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, style, depth + 1);
                write_str(out, k, style.escape_html);
                out.push(':');
                if style.indent {
                    out.push(' ');
                }
                write(out, e, style, depth + 1)?;
            }
            newline(out, style, depth);
            out.push('}');
        }
        Value::Object(o) => write(out, &o.to_data(), style, depth + 1)?,
    }
    Ok(())
}

/// Decodes JSON into template values (numbers become `float64`), with Go's error texts.
pub(crate) fn from_json(src: &str) -> Result<Value, String> {
    let mut p = P {
        b: src.as_bytes(),
        i: 0,
        depth: 0,
    };
    p.ws();
    if p.i >= p.b.len() {
        return Err("unexpected end of JSON input".into());
    }
    let v = p.value()?;
    p.ws();
    if p.i < p.b.len() {
        return Err(format!(
            "invalid character {} after top-level value",
            quote_char(p.b[p.i])
        ));
    }
    Ok(v)
}

fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".into(),
        b'"' => "'\"'".into(),
        c if c.is_ascii_graphic() || c == b' ' => format!("'{}'", char::from(c)),
        c => format!("'\\x{c:02x}'"),
    }
}

struct P<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self
            .b
            .get(self.i)
            .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.i += 1;
        }
    }

    fn unexpected(&self, ctx: &str) -> String {
        match self.b.get(self.i) {
            None => "unexpected end of JSON input".into(),
            Some(c) => format!("invalid character {} {ctx}", quote_char(*c)),
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        self.depth += 1;
        if self.depth > 1_000 {
            return Err("exceeded max depth".into());
        }
        let r = crate::deep(|| self.value_inner());
        self.depth -= 1;
        r
    }

    fn value_inner(&mut self) -> Result<Value, String> {
        self.ws();
        match self.b.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut m = Map::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Value::map(m));
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return Err(self.unexpected("looking for beginning of object key string"));
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return Err(self.unexpected("after object key"));
                    }
                    self.i += 1;
                    let v = self.value()?;
                    m.insert(k, v);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Value::map(m));
                        }
                        _ => return Err(self.unexpected("after object key:value pair")),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut l = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Value::list(l));
                }
                loop {
                    l.push(self.value()?);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Value::list(l));
                        }
                        _ => return Err(self.unexpected("after array element")),
                    }
                }
            }
            Some(b'"') => Ok(Value::from(self.string()?)),
            Some(b't') => self.lit("true", Value::Bool(true)),
            Some(b'f') => self.lit("false", Value::Bool(false)),
            Some(b'n') => self.lit("null", Value::Nil),
            Some(c) if *c == b'-' || c.is_ascii_digit() => self.number(),
            _ => Err(self.unexpected("looking for beginning of value")),
        }
    }

    fn lit(&mut self, word: &str, v: Value) -> Result<Value, String> {
        for (k, w) in word.bytes().enumerate() {
            if self.b.get(self.i) != Some(&w) {
                return Err(self.unexpected(&format!(
                    "in literal {word} (expecting {})",
                    quote_char(word.as_bytes().get(k).copied().unwrap_or(b' '))
                )));
            }
            self.i += 1;
        }
        Ok(v)
    }

    fn number(&mut self) -> Result<Value, String> {
        let st = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        if !self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            return Err(self.unexpected("in numeric literal"));
        }
        while self
            .b
            .get(self.i)
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            self.i += 1;
        }
        let text = std::str::from_utf8(self.b.get(st..self.i).unwrap_or(&[])).unwrap_or("0");
        text.parse::<f64>()
            .map(Value::Float)
            .map_err(|_| format!("invalid number literal {text}"))
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err("unexpected end of JSON input".into());
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.b.get(self.i) else {
                        return Err("unexpected end of JSON input".into());
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let hex = self
                                .b
                                .get(self.i..self.i + 4)
                                .ok_or("unexpected end of JSON input")?;
                            self.i += 4;
                            let v =
                                u32::from_str_radix(std::str::from_utf8(hex).unwrap_or("x"), 16)
                                    .map_err(|_| {
                                        "invalid character in \\u hexadecimal character escape"
                                            .to_string()
                                    })?;
                            let ch = if (0xD800..0xDC00).contains(&v)
                                && self.b.get(self.i..self.i + 2) == Some(b"\\u")
                            {
                                let lo = self
                                    .b
                                    .get(self.i + 2..self.i + 6)
                                    .and_then(|h| std::str::from_utf8(h).ok())
                                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                                    .unwrap_or(0);
                                if (0xDC00..0xE000).contains(&lo) {
                                    self.i += 6;
                                    char::from_u32(0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00))
                                        .unwrap_or('\u{FFFD}')
                                } else {
                                    '\u{FFFD}'
                                }
                            } else {
                                char::from_u32(v).unwrap_or('\u{FFFD}')
                            };
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => {
                            return Err(format!(
                                "invalid character {} in string escape code",
                                quote_char(e)
                            ));
                        }
                    }
                }
                c if c < 0x20 => {
                    return Err(format!(
                        "invalid character {} in string literal",
                        quote_char(c)
                    ));
                }
                c => out.push(c),
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_escapes_html() {
        let v = from_json(r#"{"b":[1,2.5,"<x>"],"a":null}"#).unwrap();
        let s = to_json(
            &v,
            JsonStyle {
                indent: false,
                escape_html: true,
            },
        )
        .unwrap();
        assert_eq!(s, r#"{"a":null,"b":[1,2.5,"\u003cx\u003e"]}"#);
    }

    #[test]
    fn errors_read_like_go() {
        assert_eq!(
            from_json("{x}").unwrap_err(),
            "invalid character 'x' looking for beginning of object key string"
        );
        assert_eq!(from_json("").unwrap_err(), "unexpected end of JSON input");
    }
}
