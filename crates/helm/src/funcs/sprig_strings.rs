//! Sprig's string functions.

use super::convert::{str_list, strval};
use super::{FnResult, Registry, Ty, arg, arg_int, arg_str, err};
use crate::template::exec::Engine;
use crate::template::value::{Map, Value};

pub(crate) fn register(r: &mut Registry) {
    use Ty::{Any, Int, Str};
    r.add("hello", &[], None, |_, _| Ok(Value::from("Hello!")));
    r.add("upper", &[Str], None, |_, a| {
        Ok(Value::from(simple_case(&arg_str(&a, 0), true)))
    });
    r.add("lower", &[Str], None, |_, a| {
        Ok(Value::from(simple_case(&arg_str(&a, 0), false)))
    });
    r.add("title", &[Str], None, |_, a| {
        Ok(Value::from(title(&arg_str(&a, 0))))
    });
    r.add("untitle", &[Str], None, |_, a| {
        Ok(Value::from(untitle(&arg_str(&a, 0))))
    });
    r.add("trim", &[Str], None, |_, a| {
        Ok(Value::from(arg_str(&a, 0).trim()))
    });
    r.add("trimAll", &[Str, Str], None, trim_all);
    r.add("trimall", &[Str, Str], None, trim_all);
    r.add("trimSuffix", &[Str, Str], None, |_, a| {
        let (suf, s) = (arg_str(&a, 0), arg_str(&a, 1));
        Ok(Value::from(s.strip_suffix(&*suf).unwrap_or(&s)))
    });
    r.add("trimPrefix", &[Str, Str], None, |_, a| {
        let (pre, s) = (arg_str(&a, 0), arg_str(&a, 1));
        Ok(Value::from(s.strip_prefix(&*pre).unwrap_or(&s)))
    });
    r.add("nospace", &[Str], None, |_, a| {
        Ok(Value::from(nospace(&arg_str(&a, 0))))
    });
    r.add("initials", &[Str], None, |_, a| {
        Ok(Value::from(initials(&arg_str(&a, 0))))
    });
    r.add("swapcase", &[Str], None, |_, a| {
        Ok(Value::from(swapcase(&arg_str(&a, 0))))
    });
    r.add("snakecase", &[Str], None, |_, a| {
        Ok(Value::from(delimited(&arg_str(&a, 0), '_')))
    });
    r.add("kebabcase", &[Str], None, |_, a| {
        Ok(Value::from(delimited(&arg_str(&a, 0), '-')))
    });
    r.add("camelcase", &[Str], None, |_, a| {
        Ok(Value::from(camelcase(&arg_str(&a, 0))))
    });
    r.add("shuffle", &[Str], None, |e, a| {
        let mut chars: Vec<char> = arg_str(&a, 0).chars().collect();
        for i in (1..chars.len()).rev() {
            let j = rand_below(e, i as u64 + 1) as usize;
            chars.swap(i, j);
        }
        Ok(Value::from(chars.into_iter().collect::<String>()))
    });
    r.add("trunc", &[Int, Str], None, |_, a| {
        let (c, s) = (arg_int(&a, 0), arg_str(&a, 1));
        let len = s.len() as i64;
        let out = if c < 0 && len + c > 0 {
            byte_slice(&s, (len + c) as usize, s.len())
        } else if c >= 0 && len > c {
            byte_slice(&s, 0, c as usize)
        } else {
            s.to_string()
        };
        Ok(Value::from(out))
    });
    r.add("abbrev", &[Int, Str], None, |_, a| {
        let (w, s) = (arg_int(&a, 0), arg_str(&a, 1));
        Ok(Value::from(abbreviate(&s, 0, w)))
    });
    r.add("abbrevboth", &[Int, Int, Str], None, |_, a| {
        let (l, w, s) = (arg_int(&a, 0), arg_int(&a, 1), arg_str(&a, 2));
        Ok(Value::from(abbreviate(&s, l, w)))
    });
    r.add("substr", &[Int, Int, Str], None, |_, a| {
        let (start, end, s) = (arg_int(&a, 0), arg_int(&a, 1), arg_str(&a, 2));
        let len = s.len() as i64;
        if start < 0 {
            if end < 0 || end > len {
                return err(format!(
                    "runtime error: slice bounds out of range [:{end}] with length {len}"
                ));
            }
            return Ok(Value::from(byte_slice(&s, 0, end as usize)));
        }
        if end < 0 || end > len {
            if start > len {
                return err(format!(
                    "runtime error: slice bounds out of range [{start}:{len}]"
                ));
            }
            return Ok(Value::from(byte_slice(&s, start as usize, s.len())));
        }
        if start > end {
            return err(format!(
                "runtime error: slice bounds out of range [{start}:{end}]"
            ));
        }
        Ok(Value::from(byte_slice(&s, start as usize, end as usize)))
    });
    r.add("repeat", &[Int, Str], None, |_, a| {
        let (n, s) = (arg_int(&a, 0), arg_str(&a, 1));
        if n < 0 {
            return err("strings: negative Repeat count");
        }
        let total = (n as usize).saturating_mul(s.len());
        if total > 64 * 1024 * 1024 {
            return err("strings: Repeat output length overflow");
        }
        Ok(Value::from(s.repeat(n as usize)))
    });
    r.add("contains", &[Str, Str], None, |_, a| {
        Ok(Value::Bool(arg_str(&a, 1).contains(&*arg_str(&a, 0))))
    });
    r.add("hasPrefix", &[Str, Str], None, |_, a| {
        Ok(Value::Bool(arg_str(&a, 1).starts_with(&*arg_str(&a, 0))))
    });
    r.add("hasSuffix", &[Str, Str], None, |_, a| {
        Ok(Value::Bool(arg_str(&a, 1).ends_with(&*arg_str(&a, 0))))
    });
    r.add("quote", &[], Some(Any), |_, a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| crate::template::gofmt::quote(&strval(v)))
            .collect();
        Ok(Value::from(parts.join(" ")))
    });
    r.add("squote", &[], Some(Any), |_, a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| format!("'{}'", strval(v)))
            .collect();
        Ok(Value::from(parts.join(" ")))
    });
    r.add("cat", &[], Some(Any), |_, a| {
        let parts: Vec<Value> = a.into_iter().filter(|v| !v.is_nil()).collect();
        let s: Vec<String> = parts.iter().map(crate::template::gofmt::print_v).collect();
        Ok(Value::from(s.join(" ")))
    });
    r.add("indent", &[Int, Str], None, |_, a| {
        let (n, s) = (arg_int(&a, 0), arg_str(&a, 1));
        Ok(Value::from(indent(n, &s)))
    });
    r.add("nindent", &[Int, Str], None, |_, a| {
        let (n, s) = (arg_int(&a, 0), arg_str(&a, 1));
        Ok(Value::from(format!("\n{}", indent(n, &s))))
    });
    r.add("replace", &[Str, Str, Str], None, |_, a| {
        let (old, new, src) = (arg_str(&a, 0), arg_str(&a, 1), arg_str(&a, 2));
        Ok(Value::from(go_replace(&src, &old, &new)))
    });
    r.add("plural", &[Str, Str, Int], None, |_, a| {
        Ok(if arg_int(&a, 2) == 1 {
            arg(&a, 0)
        } else {
            arg(&a, 1)
        })
    });
    r.add("wrap", &[Int, Str], None, |_, a| {
        Ok(Value::from(wrap(&arg_str(&a, 1), arg_int(&a, 0), "\n")))
    });
    r.add("wrapWith", &[Int, Str, Str], None, |_, a| {
        Ok(Value::from(wrap(
            &arg_str(&a, 2),
            arg_int(&a, 0),
            &arg_str(&a, 1),
        )))
    });
    r.add("toString", &[Any], None, |_, a| {
        Ok(Value::from(strval(&arg(&a, 0))))
    });
    r.add("split", &[Str, Str], None, |_, a| {
        let parts = go_split(&arg_str(&a, 1), &arg_str(&a, 0), -1);
        Ok(indexed_map(parts))
    });
    r.add("splitn", &[Str, Int, Str], None, |_, a| {
        let parts = go_split(&arg_str(&a, 2), &arg_str(&a, 0), arg_int(&a, 1));
        Ok(indexed_map(parts))
    });
    r.add("splitList", &[Str, Str], None, |_, a| {
        Ok(str_list(go_split(&arg_str(&a, 1), &arg_str(&a, 0), -1)))
    });
    r.add("join", &[Str, Any], None, |_, a| {
        Ok(Value::from(strslice(&arg(&a, 1)).join(&arg_str(&a, 0))))
    });
    r.add("toStrings", &[Any], None, |_, a| {
        Ok(str_list(strslice(&arg(&a, 0))))
    });
    r.add("sortAlpha", &[Any], None, |_, a| {
        let v = arg(&a, 0);
        match v {
            Value::List(_) | Value::Bytes(_) => {
                let mut s = strslice(&v);
                s.sort();
                Ok(str_list(s))
            }
            other => Ok(str_list(vec![strval(&other)])),
        }
    });
    r.add("randAlphaNum", &[Int], None, |e, a| {
        rand_string(e, arg_int(&a, 0), ALNUM)
    });
    r.add("randAlpha", &[Int], None, |e, a| {
        rand_string(e, arg_int(&a, 0), ALPHA)
    });
    r.add("randNumeric", &[Int], None, |e, a| {
        rand_string(e, arg_int(&a, 0), "0123456789")
    });
    r.add("randAscii", &[Int], None, |e, a| {
        let chars: String = (32u8..=126).map(char::from).collect();
        rand_string(e, arg_int(&a, 0), &chars)
    });
    for name in ["base", "osBase"] {
        r.add(name, &[Str], None, |_, a| {
            Ok(Value::from(path_base(&arg_str(&a, 0))))
        });
    }
    for name in ["dir", "osDir"] {
        r.add(name, &[Str], None, |_, a| {
            Ok(Value::from(path_dir(&arg_str(&a, 0))))
        });
    }
    for name in ["clean", "osClean"] {
        r.add(name, &[Str], None, |_, a| {
            Ok(Value::from(path_clean(&arg_str(&a, 0))))
        });
    }
    for name in ["ext", "osExt"] {
        r.add(name, &[Str], None, |_, a| {
            Ok(Value::from(path_ext(&arg_str(&a, 0))))
        });
    }
    for name in ["isAbs", "osIsAbs"] {
        r.add(name, &[Str], None, |_, a| {
            Ok(Value::Bool(arg_str(&a, 0).starts_with('/')))
        });
    }
    r.add("getHostByName", &[Str], None, |_, _| Ok(Value::from("")));
}

/// Go's `unicode.IsSpace` on a byte read as a rune (goutils works byte by byte).
fn byte_is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xa0)
}

/// goutils' `DeleteWhiteSpace`: byte-wise, so once anything is removed every byte becomes a
/// rune of its own (non-ASCII text turns into Latin-1 mojibake, as in Helm).
fn nospace(s: &str) -> String {
    let bytes = s.as_bytes();
    if !bytes.iter().any(|b| byte_is_space(*b)) {
        return s.to_string();
    }
    bytes
        .iter()
        .filter(|b| !byte_is_space(**b))
        .map(|b| char::from(*b))
        .collect()
}

/// goutils' `Initials`: the first byte of each word, as a rune.
fn initials(s: &str) -> String {
    let mut out = String::new();
    let mut gap = true;
    for b in s.bytes() {
        if byte_is_space(b) {
            gap = true;
        } else if gap {
            out.push(char::from(b));
            gap = false;
        }
    }
    out
}

/// Go's `unicode.ToUpper`/`ToLower` per rune: simple mappings only, so `ß` stays `ß`.
fn simple_case(s: &str, upper: bool) -> String {
    s.chars()
        .map(|c| {
            let mut m: Vec<char> = if upper {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            if m.len() == 1 {
                m.pop().unwrap_or(c)
            } else if c == '\u{130}' && !upper {
                'i'
            } else {
                c
            }
        })
        .collect()
}

const ALNUM: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ALPHA: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// A uniform random number below `n`, from the engine's entropy.
pub(crate) fn rand_below(e: &Engine, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let mut buf = [0u8; 8];
    e.env.entropy.fill_bytes(&mut buf);
    u64::from_le_bytes(buf) % n
}

fn rand_string(e: &Engine, n: i64, set: &str) -> FnResult {
    if n < 0 {
        return err("negative count");
    }
    if n > 1 << 24 {
        return err("count too large");
    }
    let chars: Vec<char> = set.chars().collect();
    let out: String = (0..n)
        .map(|_| {
            chars
                .get(rand_below(e, chars.len() as u64) as usize)
                .copied()
                .unwrap_or('a')
        })
        .collect();
    Ok(Value::from(out))
}

fn trim_all(_: &Engine, a: Vec<Value>) -> FnResult {
    let (cut, s) = (arg_str(&a, 0), arg_str(&a, 1));
    Ok(Value::from(s.trim_matches(|c| cut.contains(c))))
}

fn byte_slice(s: &str, a: usize, b: usize) -> String {
    String::from_utf8_lossy(s.as_bytes().get(a..b).unwrap_or(&[])).into_owned()
}

/// Go's `strings.Title`: upper-case the first letter of each word.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_sep = true;
    for c in s.chars() {
        if prev_sep {
            out.push(go_upper(c));
        } else {
            out.push(c);
        }
        prev_sep = !(c.is_alphanumeric() || c == '_' || c == '\'');
    }
    out
}

fn untitle(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_space = true;
    for c in s.chars() {
        if prev_space {
            out.push(go_lower(c));
        } else {
            out.push(c);
        }
        prev_space = c.is_whitespace();
    }
    out
}

fn swapcase(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_uppercase() {
            out.push(go_lower(c));
        } else if c.is_lowercase() {
            out.push(go_upper(c));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || c.is_whitespace()
}

fn go_upper(c: char) -> char {
    let mut m = c.to_uppercase();
    match (m.next(), m.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn go_lower(c: char) -> char {
    let mut m = c.to_lowercase();
    match (m.next(), m.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// huandu/xstrings' snake/kebab case: word breaks at case changes, every connector (space,
/// `_`, `-`) becomes the delimiter.
fn delimited(s: &str, delim: char) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if is_connector(c) {
            out.push(delim);
            continue;
        }
        if c.is_uppercase() {
            let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(char::is_lowercase),
                _ => false,
            };
            if boundary && !out.ends_with(delim) {
                out.push(delim);
            }
            out.push(go_lower(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// huandu/xstrings' `ToCamelCase`: leading connectors kept, inner ones dropped with the next
/// letter upper-cased, and a letter after an upper-case one lower-cased (`HTTPServer` →
/// `Httpserver`).
fn camelcase(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() && chars.get(i).is_some_and(|c| is_connector(*c)) {
        out.push(chars[i]);
        i += 1;
    }
    let Some(&first) = chars.get(i) else {
        return out;
    };
    let mut r0 = go_upper(first);
    let mut orig0 = first;
    i += 1;
    while let Some(&c) = chars.get(i) {
        let (r1, orig1) = (r0, orig0);
        r0 = c;
        orig0 = c;
        i += 1;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            r0 = go_upper(r0);
        } else {
            if orig1.is_uppercase() {
                r0 = go_lower(r0);
            }
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

/// goutils' `AbbreviateFull`.
fn abbreviate(s: &str, offset: i64, max_width: i64) -> String {
    let len = s.chars().count() as i64;
    if max_width < 4 || (offset > 0 && max_width < 7) {
        return s.to_string();
    }
    if len <= max_width {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    let take = |a: i64, b: i64| -> String {
        chars
            .get(a.max(0) as usize..b.clamp(0, len) as usize)
            .map(|c| c.iter().collect())
            .unwrap_or_default()
    };
    if offset <= 4 {
        return format!("{}...", take(0, max_width - 3));
    }
    if offset + max_width - 3 < len {
        return format!("...{}", abbreviate(&take(offset, len), 0, max_width - 3));
    }
    format!("...{}", take(len - (max_width - 3), len))
}

/// Sprig's `indent`.
pub(crate) fn indent(n: i64, s: &str) -> String {
    let pad = " ".repeat(n.max(0) as usize);
    let mut out = String::with_capacity(s.len() + pad.len() * 4);
    out.push_str(&pad);
    out.push_str(&s.replace('\n', &format!("\n{pad}")));
    out
}

/// Go's `strings.Replace(s, old, new, -1)` (an empty `old` inserts between runes).
fn go_replace(s: &str, old: &str, new: &str) -> String {
    if old.is_empty() {
        let mut out = String::with_capacity(s.len() * 2);
        out.push_str(new);
        for c in s.chars() {
            out.push(c);
            out.push_str(new);
        }
        return out;
    }
    s.replace(old, new)
}

/// Go's `strings.SplitN` (n < 0 means all).
pub(crate) fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<String> = s.chars().map(String::from).collect();
        if n > 0 && (n as usize) < chars.len() {
            let mut v: Vec<String> = chars.iter().take(n as usize - 1).cloned().collect();
            let rest: String = s.chars().skip(n as usize - 1).collect();
            v.push(rest);
            return v;
        }
        return chars;
    }
    if n < 0 {
        return s.split(sep).map(String::from).collect();
    }
    s.splitn(n as usize, sep).map(String::from).collect()
}

fn indexed_map(parts: Vec<String>) -> Value {
    let mut m = Map::new();
    for (i, p) in parts.into_iter().enumerate() {
        m.insert(format!("_{i}"), Value::from(p));
    }
    Value::map(m)
}

/// Sprig's `strslice`: any list to strings (nils dropped), a scalar to a one-element list.
pub(crate) fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l.iter().filter(|e| !e.is_nil()).map(strval).collect(),
        Value::Bytes(b) => b.iter().map(|x| x.to_string()).collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

/// goutils' `WrapCustom(str, width, newline, wrapLongWords=true)`.
fn wrap(s: &str, width: i64, newline: &str) -> String {
    let width = if width < 1 { 1 } else { width as usize };
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len();
    let mut out = String::new();
    let mut offset = 0usize;
    while len - offset > width {
        if chars.get(offset) == Some(&' ') {
            offset += 1;
            continue;
        }
        let window_end = (offset + width + 1).min(len);
        let space = chars
            .get(offset..window_end)
            .and_then(|w| w.iter().rposition(|c| *c == ' '))
            .map(|p| p + offset);
        match space {
            Some(sp) if sp >= offset => {
                out.extend(chars.get(offset..sp).unwrap_or(&[]).iter());
                out.push_str(newline);
                offset = sp + 1;
            }
            _ => {
                out.extend(chars.get(offset..offset + width).unwrap_or(&[]).iter());
                out.push_str(newline);
                offset += width;
            }
        }
    }
    out.extend(chars.get(offset..).unwrap_or(&[]).iter());
    out
}

fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    if rooted {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

fn path_dir(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    path_clean(dir)
}

fn path_ext(p: &str) -> String {
    let base = p.rsplit('/').next().unwrap_or(p);
    match base.rfind('.') {
        Some(i) => base[i..].to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_helpers_match_sprig() {
        assert_eq!(title("hello world-foo"), "Hello World-Foo");
        assert_eq!(delimited("FirstName", '_'), "first_name");
        assert_eq!(delimited("HTTPServer", '-'), "http-server");
        assert_eq!(camelcase("http_server"), "HttpServer");
        assert_eq!(abbreviate("hello world", 0, 5), "he...");
        assert_eq!(indent(2, "a\nb"), "  a\n  b");
        assert_eq!(go_split("a,b,c", ",", 2), vec!["a", "b,c"]);
        assert_eq!(path_dir("a/b/c.txt"), "a/b");
        assert_eq!(path_ext("a/b/c.txt"), ".txt");
        assert_eq!(wrap("aaa bbb ccc", 7, "\n"), "aaa bbb\nccc");
    }
}
