//! TOML for `toToml` / `fromToml`, in the layout of BurntSushi/toml's encoder: plain keys
//! first, then tables (a blank line before top-level ones), nested keys indented by two
//! spaces, every float with a decimal point.

use crate::template::value::{Map, Value};

fn bare_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        quote(k)
    }
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{f}");
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

fn is_table(v: &Value) -> bool {
    matches!(v, Value::Map(_))
}

fn is_table_array(v: &Value) -> bool {
    matches!(v, Value::List(l) if !l.is_empty() && l.iter().all(is_table))
}

fn inline(v: &Value) -> Option<String> {
    Some(match v {
        Value::Nil => return None,
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::I64(i) => i.to_string(),
        Value::U64(u) => u.to_string(),
        Value::Float(f) => float(*f),
        Value::Str(s) => quote(s),
        Value::Bytes(b) => quote(&String::from_utf8_lossy(b)),
        Value::List(l) => {
            let items: Vec<String> = l.iter().filter_map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(m) => {
            let items: Vec<String> = m
                .borrow()
                .iter()
                .filter_map(|(k, v)| inline(v).map(|s| format!("{} = {s}", bare_key(k))))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Object(o) => quote(&o.display()),
    })
}

struct Enc {
    out: String,
}

impl Enc {
    fn newline(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    fn table(&mut self, path: &[String], m: &Map) {
        let indent = "  ".repeat(path.len());
        for (k, v) in m {
            if is_table(v) || is_table_array(v) {
                continue;
            }
            if let Some(s) = inline(v) {
                self.out
                    .push_str(&format!("{indent}{} = {s}\n", bare_key(k)));
            }
        }
        for (k, v) in m {
            let mut p = path.to_vec();
            p.push(k.clone());
            let key = p.iter().map(|x| bare_key(x)).collect::<Vec<_>>().join(".");
            let ind = "  ".repeat(p.len() - 1);
            match v {
                Value::Map(sub) => {
                    if p.len() == 1 {
                        self.newline();
                    }
                    self.out.push_str(&format!("{ind}[{key}]\n"));
                    self.table(&p, &sub.borrow());
                }
                Value::List(l) if is_table_array(v) => {
                    for item in l.iter() {
                        if let Value::Map(sub) = item {
                            if p.len() == 1 {
                                self.newline();
                            }
                            self.out.push_str(&format!("{ind}[[{key}]]\n"));
                            self.table(&p, &sub.borrow());
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// BurntSushi-style TOML encoding; a non-table value is an error message, as Helm returns it.
pub(crate) fn to_toml(v: &Value) -> String {
    match v {
        Value::Map(m) => {
            let mut e = Enc { out: String::new() };
            e.table(&[], &m.borrow());
            e.out
        }
        Value::Nil => "toml: cannot encode a nil value".into(),
        other => format!(
            "toml: top-level values must be Go maps or structs, not {}",
            other.kind_name()
        ),
    }
}

/// A small TOML reader for `fromToml`: tables, arrays of tables, strings, numbers, booleans,
/// arrays and inline tables.
pub(crate) fn from_toml(src: &str) -> Result<Value, String> {
    let root = Value::empty_map();
    let mut current = root.clone();
    for (lineno, raw) in src.lines().enumerate() {
        let line = strip_comment(raw).trim().to_string();
        if line.is_empty() {
            continue;
        }
        let err = |m: &str| format!("toml: line {}: {m}", lineno + 1);
        if let Some(h) = line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]")) {
            let path = split_key(h);
            let (parent, last) = walk(&root, &path).ok_or_else(|| err("bad table"))?;
            let new = Value::empty_map();
            if let Value::Map(pm) = &parent {
                let mut pm = pm.borrow_mut();
                let list = match pm.get(&last) {
                    Some(Value::List(l)) => {
                        let mut v = l.to_vec();
                        v.push(new.clone());
                        v
                    }
                    _ => vec![new.clone()],
                };
                pm.insert(last, Value::list(list));
            }
            current = new;
            continue;
        }
        if let Some(h) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let path = split_key(h);
            let (parent, last) = walk(&root, &path).ok_or_else(|| err("bad table"))?;
            let new = match parent.get(&last) {
                Some(v @ Value::Map(_)) => v,
                _ => {
                    let n = Value::empty_map();
                    if let Value::Map(pm) = &parent {
                        pm.borrow_mut().insert(last, n.clone());
                    }
                    n
                }
            };
            current = new;
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(err("expected key = value"));
        };
        let path = split_key(k.trim());
        let (parent, last) = walk(&current, &path).ok_or_else(|| err("bad key"))?;
        let mut p = Parser {
            s: v.trim().as_bytes(),
            i: 0,
        };
        let val = p.value().ok_or_else(|| err("invalid value"))?;
        if let Value::Map(pm) = &parent {
            pm.borrow_mut().insert(last, val);
        }
    }
    Ok(root)
}

fn strip_comment(line: &str) -> &str {
    let mut in_str = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_str = !in_str,
            '#' if !in_str => return line.get(..i).unwrap_or(line),
            _ => {}
        }
    }
    line
}

fn split_key(k: &str) -> Vec<String> {
    k.split('.')
        .map(|p| p.trim().trim_matches('"').to_string())
        .collect()
}

fn walk(root: &Value, path: &[String]) -> Option<(Value, String)> {
    let (last, init) = path.split_last()?;
    let mut cur = root.clone();
    for p in init {
        let next = match cur.get(p) {
            Some(v @ Value::Map(_)) => v,
            Some(Value::List(l)) => l.last().cloned()?,
            _ => {
                let n = Value::empty_map();
                if let Value::Map(m) = &cur {
                    m.borrow_mut().insert(p.clone(), n.clone());
                }
                n
            }
        };
        cur = next;
    }
    Some((cur, last.clone()))
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Option<Value> {
        self.ws();
        match self.s.get(self.i)? {
            b'"' => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    let c = *self.s.get(self.i)?;
                    self.i += 1;
                    match c {
                        b'"' => break,
                        b'\\' => {
                            let e = *self.s.get(self.i)?;
                            self.i += 1;
                            out.push(match e {
                                b'n' => b'\n',
                                b't' => b'\t',
                                b'r' => b'\r',
                                other => other,
                            });
                        }
                        c => out.push(c),
                    }
                }
                Some(Value::from(String::from_utf8_lossy(&out).into_owned()))
            }
            b'\'' => {
                self.i += 1;
                let st = self.i;
                while *self.s.get(self.i)? != b'\'' {
                    self.i += 1;
                }
                let s = String::from_utf8_lossy(self.s.get(st..self.i)?).into_owned();
                self.i += 1;
                Some(Value::from(s))
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        break;
                    }
                    items.push(self.value()?);
                    self.ws();
                    if self.s.get(self.i) == Some(&b',') {
                        self.i += 1;
                    }
                }
                Some(Value::list(items))
            }
            b'{' => {
                self.i += 1;
                let m = Value::empty_map();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        break;
                    }
                    let st = self.i;
                    while !matches!(self.s.get(self.i), Some(b'=') | None) {
                        self.i += 1;
                    }
                    let k = String::from_utf8_lossy(self.s.get(st..self.i)?)
                        .trim()
                        .trim_matches('"')
                        .to_string();
                    self.i += 1;
                    let v = self.value()?;
                    if let Value::Map(mm) = &m {
                        mm.borrow_mut().insert(k, v);
                    }
                    self.ws();
                    if self.s.get(self.i) == Some(&b',') {
                        self.i += 1;
                    }
                }
                Some(m)
            }
            _ => {
                let st = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| !matches!(c, b',' | b']' | b'}') && !c.is_ascii_whitespace())
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(self.s.get(st..self.i)?)
                    .ok()?
                    .replace('_', "");
                match t.as_str() {
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    "inf" | "+inf" => Some(Value::Float(f64::INFINITY)),
                    "-inf" => Some(Value::Float(f64::NEG_INFINITY)),
                    "nan" | "+nan" | "-nan" => Some(Value::Float(f64::NAN)),
                    _ => {
                        if let Ok(i) = t.parse::<i64>() {
                            Some(Value::I64(i))
                        } else {
                            t.parse::<f64>().ok().map(Value::Float)
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse::parse_map;

    #[test]
    fn encodes_like_burntsushi() {
        let v = parse_map("a: [1, 2]\nd: x\nb: {c: z}\n").unwrap();
        assert_eq!(
            to_toml(&v),
            "a = [1.0, 2.0]\nd = \"x\"\n\n[b]\n  c = \"z\"\n"
        );
        let back = from_toml("a = 1\n[b]\nc = \"y\"\n").unwrap();
        assert_eq!(
            back.get("b").and_then(|b| b.get("c")),
            Some(Value::from("y"))
        );
    }
}
