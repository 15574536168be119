//! Helm's `--set` syntax (`strvals`): `a.b=c`, `a[0]=x`, `a={x,y}`, `\,` and `\.` escapes,
//! and type inference (`true`, `null`, `0`, integers without a leading zero become typed;
//! everything else, `1.5` included, stays a string).

use crate::template::value::Value;

/// Deepest `a.b.c...` accepted, as Helm.
const MAX_NESTED_NAME_LEVEL: usize = 30;
/// Largest list index accepted, as Helm.
const MAX_INDEX: usize = 65536;

/// How values are read.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Mode {
    /// `--set`: typed.
    Typed,
    /// `--set-string`: always strings.
    Strings,
    /// `--set-literal`: the whole rest is one string value.
    Literal,
}

struct Scanner {
    chars: Vec<char>,
    pos: usize,
}

enum Stop {
    Eof,
    At(char),
}

impl Scanner {
    fn read(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    /// Reads up to a stop character, honouring backslash escapes.
    fn until(&mut self, stop: &[char]) -> (String, Stop) {
        let mut v = String::new();
        loop {
            match self.read() {
                None => return (v, Stop::Eof),
                Some(c) if stop.contains(&c) => return (v, Stop::At(c)),
                Some('\\') => match self.read() {
                    None => return (v, Stop::Eof),
                    Some(n) => v.push(n),
                },
                Some(c) => v.push(c),
            }
        }
    }
}

fn typed(v: &str, mode: Mode) -> Value {
    if mode != Mode::Typed {
        return Value::from(v);
    }
    if v.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if v.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if v.eq_ignore_ascii_case("null") {
        return Value::Nil;
    }
    if v == "0" {
        return Value::I64(0);
    }
    if !v.is_empty() && !v.starts_with('0') {
        let t = v.strip_prefix('+').unwrap_or(v);
        if !t.is_empty()
            && (t.bytes().all(|b| b.is_ascii_digit())
                || (t.starts_with('-')
                    && t.len() > 1
                    && t[1..].bytes().all(|b| b.is_ascii_digit())))
            && let Ok(i) = v.parse::<i64>()
        {
            return Value::I64(i);
        }
    }
    Value::from(v)
}

type Reader<'r> = &'r dyn Fn(&str) -> Result<Value, String>;

struct Parser<'r> {
    sc: Scanner,
    mode: Mode,
    reader: Option<Reader<'r>>,
}

type R<T> = Result<T, String>;

enum KeyEnd {
    Eof,
    More,
}

fn set(data: &Value, key: &str, v: Value) {
    if key.is_empty() {
        return;
    }
    if let Value::Map(m) = data {
        m.borrow_mut().insert(key.to_string(), v);
    }
}

fn set_index(list: Vec<Value>, index: i64, v: Value) -> R<Vec<Value>> {
    if index < 0 {
        return Err(format!("negative {index} index not allowed"));
    }
    let index = index as usize;
    if index > MAX_INDEX {
        return Err(format!(
            "index of {index} is greater than maximum supported index of {MAX_INDEX}"
        ));
    }
    let mut list = list;
    if list.len() <= index {
        list.resize(index + 1, Value::Nil);
    }
    if let Some(slot) = list.get_mut(index) {
        *slot = v;
    }
    Ok(list)
}

impl Parser<'_> {
    fn value_of(&self, raw: &str) -> R<Value> {
        match self.reader {
            Some(r) => r(raw),
            None => Ok(typed(raw, self.mode)),
        }
    }

    fn parse(&mut self, data: &Value) -> R<()> {
        loop {
            match self.key(data, 0)? {
                KeyEnd::Eof => return Ok(()),
                KeyEnd::More => {}
            }
        }
    }

    fn key(&mut self, data: &Value, mut level: usize) -> R<KeyEnd> {
        let (k, stop) = self.sc.until(&['=', '[', ',', '.']);
        match stop {
            Stop::Eof => {
                if k.is_empty() {
                    return Ok(KeyEnd::Eof);
                }
                Err(format!(
                    "key {} has no value",
                    crate::template::gofmt::quote(&k)
                ))
            }
            Stop::At('[') => {
                let i = self.key_index()?;
                let list = match data.get(&k) {
                    None => Vec::new(),
                    Some(Value::List(l)) => l.to_vec(),
                    Some(Value::Nil) => Vec::new(),
                    Some(other) => {
                        return Err(format!(
                            "unable to parse key: interface conversion: interface {{}} is {}, not []interface {{}}",
                            other.type_name()
                        ));
                    }
                };
                let (list, end) = self.list_item(list, i, level)?;
                set(data, &k, Value::list(list));
                Ok(end)
            }
            Stop::At('=') => {
                if self.mode == Mode::Literal {
                    let rest: String = self
                        .sc
                        .chars
                        .get(self.sc.pos..)
                        .unwrap_or(&[])
                        .iter()
                        .collect();
                    self.sc.pos = self.sc.chars.len();
                    set(data, &k, Value::from(rest));
                    return Ok(KeyEnd::Eof);
                }
                match self.val_list()? {
                    ListResult::List(l) => {
                        set(data, &k, Value::list(l));
                        Ok(KeyEnd::More)
                    }
                    ListResult::Eof => {
                        set(data, &k, Value::from(""));
                        Ok(KeyEnd::Eof)
                    }
                    ListResult::NotList => {
                        let (rs, stop) = self.sc.until(&[',']);
                        let v = self.value_of(&rs)?;
                        set(data, &k, v);
                        Ok(if matches!(stop, Stop::Eof) {
                            KeyEnd::Eof
                        } else {
                            KeyEnd::More
                        })
                    }
                }
            }
            Stop::At(',') => {
                set(data, &k, Value::from(""));
                Err(format!(
                    "key {} has no value (cannot end with ,)",
                    crate::template::gofmt::quote(&k)
                ))
            }
            Stop::At(_) => {
                // '.'
                level += 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    return Err(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                    ));
                }
                let inner = match data.get(&k) {
                    None | Some(Value::Nil) => Value::empty_map(),
                    Some(m @ Value::Map(_)) => m,
                    Some(other) => {
                        return Err(format!(
                            "unable to parse key: interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                            other.type_name()
                        ));
                    }
                };
                let r = self.key(&inner, level);
                let empty = inner.map_entries().is_empty();
                if r.is_ok() && empty {
                    return Err(format!(
                        "key map {} has no value",
                        crate::template::gofmt::quote(&k)
                    ));
                }
                if !empty {
                    set(data, &k, inner);
                }
                r
            }
        }
    }

    fn key_index(&mut self) -> R<i64> {
        let (v, stop) = self.sc.until(&[']']);
        if matches!(stop, Stop::Eof) {
            return Err("error parsing index: EOF".into());
        }
        v.parse::<i64>().map_err(|_| {
            format!(
                "error parsing index: strconv.Atoi: parsing {}: invalid syntax",
                crate::template::gofmt::quote(&v)
            )
        })
    }

    fn list_item(&mut self, list: Vec<Value>, i: i64, level: usize) -> R<(Vec<Value>, KeyEnd)> {
        if i < 0 {
            return Err(format!("negative {i} index not allowed"));
        }
        let (k, stop) = self.sc.until(&['[', '.', '=']);
        if !k.is_empty() {
            return Err(format!(
                "unexpected data at end of array index: {}",
                crate::template::gofmt::quote(&k)
            ));
        }
        match stop {
            Stop::Eof => Err("EOF".into()),
            Stop::At('=') => match self.val_list()? {
                ListResult::List(l) => Ok((set_index(list, i, Value::list(l))?, KeyEnd::More)),
                ListResult::Eof => Ok((set_index(list, i, Value::from(""))?, KeyEnd::Eof)),
                ListResult::NotList => {
                    let (rs, stop) = self.sc.until(&[',']);
                    let v = self.value_of(&rs)?;
                    let end = if matches!(stop, Stop::Eof) {
                        KeyEnd::Eof
                    } else {
                        KeyEnd::More
                    };
                    Ok((set_index(list, i, v)?, end))
                }
            },
            Stop::At('[') => {
                let next = self.key_index()?;
                let current = match list.get(i as usize) {
                    Some(Value::List(l)) => l.to_vec(),
                    Some(Value::Nil) | None => Vec::new(),
                    Some(other) => {
                        return Err(format!(
                            "unable to parse key: interface conversion: interface {{}} is {}, not []interface {{}}",
                            other.type_name()
                        ));
                    }
                };
                let (inner, end) = self.list_item(current, next, level)?;
                Ok((set_index(list, i, Value::list(inner))?, end))
            }
            Stop::At(_) => {
                let inner = match list.get(i as usize) {
                    Some(m @ Value::Map(_)) => m.clone(),
                    _ => Value::empty_map(),
                };
                let end = self.key(&inner, level)?;
                Ok((set_index(list, i, inner)?, end))
            }
        }
    }

    fn val_list(&mut self) -> R<ListResult> {
        match self.sc.read() {
            None => return Ok(ListResult::Eof),
            Some('{') => {}
            Some(_) => {
                self.sc.unread();
                return Ok(ListResult::NotList);
            }
        }
        let mut list = Vec::new();
        loop {
            let (rs, stop) = self.sc.until(&[',', '}']);
            match stop {
                Stop::Eof => return Err("list must terminate with '}'".into()),
                Stop::At('}') => {
                    if let Some(c) = self.sc.read()
                        && c != ','
                    {
                        self.sc.unread();
                    }
                    list.push(self.value_of(&rs)?);
                    return Ok(ListResult::List(list));
                }
                Stop::At(_) => list.push(self.value_of(&rs)?),
            }
        }
    }
}

enum ListResult {
    List(Vec<Value>),
    Eof,
    NotList,
}

/// Parses one `--set`-style argument into `data` (a map).
pub(crate) fn parse_into(s: &str, data: &Value, mode: Mode) -> R<()> {
    let mut p = Parser {
        sc: Scanner {
            chars: s.chars().collect(),
            pos: 0,
        },
        mode,
        reader: None,
    };
    p.parse(data)
}

/// Parses a `--set-file` argument: each value is a path handed to `reader`.
pub(crate) fn parse_into_file(
    s: &str,
    data: &Value,
    reader: &dyn Fn(&str) -> Result<Value, String>,
) -> R<()> {
    let mut p = Parser {
        sc: Scanner {
            chars: s.chars().collect(),
            pos: 0,
        },
        mode: Mode::Strings,
        reader: Some(reader),
    };
    p.parse(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::emit::to_yaml;

    fn p(s: &str) -> String {
        let v = Value::empty_map();
        parse_into(s, &v, Mode::Typed).unwrap();
        to_yaml(&v).unwrap()
    }

    #[test]
    fn parses_like_helm() {
        assert_eq!(p("a.b=c,d=1"), "a:\n  b: c\nd: 1");
        assert_eq!(p("a[1]=x"), "a:\n- null\n- x");
        assert_eq!(p("a={x,y}"), "a:\n- x\n- \"y\"");
        assert_eq!(p("a=x\\,y"), "a: x,y");
        assert_eq!(p("a\\.b=c"), "a.b: c");
        assert_eq!(
            p("a=1.5,b=007,c=true,d=null"),
            "a: \"1.5\"\nb: \"007\"\nc: true\nd: null"
        );
        assert_eq!(p("a[0].b=1,a[0].c=2"), "a:\n- b: 1\n  c: 2");
    }

    #[test]
    fn errors_like_helm() {
        let v = Value::empty_map();
        assert_eq!(
            parse_into("a", &v, Mode::Typed).unwrap_err(),
            "key \"a\" has no value"
        );
        assert_eq!(
            parse_into("a,b=1", &v, Mode::Typed).unwrap_err(),
            "key \"a\" has no value (cannot end with ,)"
        );
    }
}
