//! Scalar resolution and number formatting, as the Go libraries kustomize chains do it.
//!
//! Input: `yaml.v3` resolves plain scalars (YAML 1.2 core schema, but `0777` is octal and
//! `1_000` is an integer). Output: `encoding/json` formats numbers, then `yaml.v2` re-reads
//! them and decides quoting with its YAML 1.1 table (`y`, `yes`, `on`, `off`... are booleans
//! there, so such strings come out quoted).

use crate::value::Value;

/// Which YAML library's resolver to use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Schema {
    /// `yaml.v3`: how kyaml reads input.
    V3,
    /// `yaml.v2`: how the output is marshalled (decides quoting).
    V2,
}

/// What a plain scalar resolves to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// A timestamp, already rendered as Go's `time.Time` JSON form (RFC 3339, nanoseconds).
    Timestamp(String),
    Merge,
    Str,
}

fn hint(first: u8) -> u8 {
    match first {
        b'+' | b'-' => b'S',
        b'0'..=b'9' => b'D',
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => b'M',
        b'.' => b'.',
        _ => 0,
    }
}

fn lookup_map(s: &str, schema: Schema) -> Option<Resolved> {
    let r = match s {
        "true" | "True" | "TRUE" => Resolved::Bool(true),
        "false" | "False" | "FALSE" => Resolved::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        "<<" => Resolved::Merge,
        _ if schema == Schema::V2 => match s {
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Resolved::Bool(true),
            "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Resolved::Bool(false),
            _ => return None,
        },
        _ => return None,
    };
    Some(r)
}

/// Resolves a plain scalar the way `yaml.v3` (input) or `yaml.v2` (output) does.
pub(crate) fn resolve_plain(s: &str, schema: Schema) -> Resolved {
    let h = match s.as_bytes().first() {
        None => b'M',
        Some(b) => hint(*b),
    };
    if h == 0 {
        return Resolved::Str;
    }
    if let Some(r) = lookup_map(s, schema) {
        return r;
    }
    match h {
        b'.' => {
            if let Some(f) = go_parse_float_dot(s) {
                return Resolved::Float(f);
            }
        }
        b'D' | b'S' => {
            if let Some(ts) = parse_timestamp(s) {
                return Resolved::Timestamp(ts);
            }
            let plain: String = s.chars().filter(|c| *c != '_').collect();
            if let Some(i) = go_parse_int(&plain) {
                return Resolved::Int(i);
            }
            if let Some(u) = go_parse_uint(&plain) {
                return Resolved::UInt(u);
            }
            if is_yaml_style_float(&plain)
                && let Some(f) = parse_finite_float(&plain)
            {
                return Resolved::Float(f);
            }
            if schema == Schema::V3 {
                if let Some(rest) = plain.strip_prefix("0o") {
                    if let Some(r) = radix_int(rest, 8, false) {
                        return r;
                    }
                } else if let Some(rest) = plain.strip_prefix("-0o")
                    && let Some(r) = radix_int(rest, 8, true)
                {
                    return r;
                }
            }
            if let Some(rest) = plain.strip_prefix("0b") {
                if let Some(r) = radix_int(rest, 2, false) {
                    return r;
                }
            } else if let Some(rest) = plain.strip_prefix("-0b")
                && let Some(r) = radix_int(rest, 2, true)
            {
                return r;
            }
        }
        _ => {}
    }
    Resolved::Str
}

fn radix_int(digits: &str, radix: u32, negative: bool) -> Option<Resolved> {
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let text = if negative {
        format!("-{digits}")
    } else {
        digits.to_string()
    };
    if let Ok(i) = i64::from_str_radix(&text, radix) {
        return Some(Resolved::Int(i));
    }
    if !negative && let Ok(u) = u64::from_str_radix(digits, radix) {
        return Some(Resolved::UInt(u));
    }
    None
}

/// `strconv.ParseInt(s, 0, 64)`.
pub(crate) fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let mag = parse_base0_magnitude(body)?;
    if neg {
        if mag <= (i64::MAX as u64) + 1 {
            Some((mag as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else if mag <= i64::MAX as u64 {
        Some(mag as i64)
    } else {
        None
    }
}

/// `strconv.ParseUint(s, 0, 64)` (no sign allowed).
pub(crate) fn go_parse_uint(s: &str) -> Option<u64> {
    parse_base0_magnitude(s)
}

fn parse_base0_magnitude(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(r) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (2, r)
    } else if let Some(r) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (8, r)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

fn parse_finite_float(s: &str) -> Option<f64> {
    let f: f64 = s.parse().ok()?;
    // Go reports overflow to ±Inf as an error.
    if f.is_infinite() { None } else { Some(f) }
}

/// `strconv.ParseFloat(s)` for a scalar starting with `.`.
fn go_parse_float_dot(s: &str) -> Option<f64> {
    if !s.starts_with('.') || !is_yaml_style_float(s) {
        return None;
    }
    parse_finite_float(s)
}

fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return false;
        }
        if n == 2 && b[start] > b'5' {
            // [0-5]?[0-9]: two digits need a first digit of 0-5; backtrack to one digit.
            i = start + 1;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// Whether `yaml.v2` must quote this string to keep it a string.
pub(crate) fn v2_needs_quotes(s: &str) -> bool {
    resolve_plain(s, Schema::V2) != Resolved::Str || is_base60_float(s)
}

/// Turns a resolved plain scalar into a value (input side).
pub(crate) fn resolved_to_value(r: Resolved, text: &str) -> Value {
    match r {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Int(i),
        Resolved::UInt(u) => Value::UInt(u),
        Resolved::Float(f) => Value::Float(f),
        Resolved::Timestamp(t) => Value::String(t),
        Resolved::Merge | Resolved::Str => Value::String(text.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Timestamps: yaml.v3's four layouts, rendered as time.Time's JSON form.

fn take_digits(s: &[u8], i: &mut usize, min: usize, max: usize) -> Option<u32> {
    let start = *i;
    let mut v: u32 = 0;
    while *i < s.len() && *i - start < max && s[*i].is_ascii_digit() {
        v = v * 10 + u32::from(s[*i] - b'0');
        *i += 1;
    }
    if *i - start < min { None } else { Some(v) }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) {
                29
            } else {
                28
            }
        }
    }
}

/// Parses a YAML timestamp like `yaml.v3` (`2006-1-2`, `2006-1-2T15:4:5.999999999Z07:00`,
/// lower-case `t`, or space separated without zone) and renders it as Go's `time.Time` JSON.
pub(crate) fn parse_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    // Quick check: all date formats start with YYYY-.
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let mut i = 0;
    let year = take_digits(b, &mut i, 4, 4)?;
    i += 1;
    let month = take_digits(b, &mut i, 1, 2)?;
    if b.get(i) != Some(&b'-') {
        return None;
    }
    i += 1;
    let day = take_digits(b, &mut i, 1, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if i == b.len() {
        return Some(format!("{date}T00:00:00Z"));
    }
    let sep = b[i];
    let with_zone = match sep {
        b'T' | b't' => true,
        b' ' => false,
        _ => return None,
    };
    i += 1;
    let hour = take_digits(b, &mut i, 1, 2)?;
    if b.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    let min = take_digits(b, &mut i, 1, 2)?;
    if b.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    let sec = take_digits(b, &mut i, 1, 2)?;
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let mut frac = String::new();
    if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let end = (start + 9).min(i);
        frac = s[start..end].trim_end_matches('0').to_string();
    }
    let zone = if with_zone {
        match b.get(i) {
            Some(b'Z') if i + 1 == b.len() => "Z".to_string(),
            Some(c @ (b'+' | b'-')) => {
                let sign = *c as char;
                i += 1;
                let zh = take_digits(b, &mut i, 2, 2)?;
                if b.get(i) != Some(&b':') {
                    return None;
                }
                i += 1;
                let zm = take_digits(b, &mut i, 2, 2)?;
                if i != b.len() || zh > 23 || zm > 59 {
                    return None;
                }
                if zh == 0 && zm == 0 {
                    // RFC 3339 output writes a zero offset as "Z".
                    "Z".to_string()
                } else {
                    format!("{sign}{zh:02}:{zm:02}")
                }
            }
            _ => return None,
        }
    } else {
        if i != b.len() {
            return None;
        }
        "Z".to_string()
    };
    let frac = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    Some(format!("{date}T{hour:02}:{min:02}:{sec:02}{frac}{zone}"))
}

// ---------------------------------------------------------------------------------------------
// Number formatting.

/// Decimal digits and exponent of the shortest representation of a finite, non-zero `f`:
/// `f = 0.d1d2d3... × 10^dp`.
fn shortest_digits(f: f64) -> (String, i32) {
    // Rust's `{:e}` prints the shortest round-tripping digits, like Go's `-1` precision.
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    (digits, exp + 1)
}

/// `strconv.FormatFloat(f, 'f', -1, 64)`.
fn format_f(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let (digits, dp) = shortest_digits(f);
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    let nd = digits.len() as i32;
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(&digits);
    } else if dp >= nd {
        out.push_str(&digits);
        for _ in 0..(dp - nd) {
            out.push('0');
        }
    } else {
        out.push_str(&digits[..dp as usize]);
        out.push('.');
        out.push_str(&digits[dp as usize..]);
    }
    out
}

/// `strconv.FormatFloat(f, 'e', -1, 64)`.
fn format_e(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0e+00".into()
        } else {
            "0e+00".into()
        };
    }
    let (digits, dp) = shortest_digits(f);
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    let exp = dp - 1;
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let a = exp.abs();
    if a < 10 {
        out.push('0');
    }
    out.push_str(&a.to_string());
    out
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`.
pub(crate) fn format_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return format_f(f);
    }
    let (_, dp) = shortest_digits(f);
    let exp = dp - 1;
    if !(-4..6).contains(&exp) {
        format_e(f)
    } else {
        format_f(f)
    }
}

/// How `encoding/json` writes a float64.
pub(crate) fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format_e(f);
        // clean up e-09 to e-9
        if let Some(pos) = s.find("e-0") {
            let mut t = s.clone();
            t.remove(pos + 2);
            return t;
        }
        s
    } else {
        format_f(f)
    }
}

/// The text a float takes in the output: JSON formatting, re-read by `yaml.v2`, printed by it.
pub(crate) fn float_output_text(f: f64) -> String {
    let json = go_json_float(f);
    match resolve_plain(&json, Schema::V2) {
        Resolved::Int(i) => i.to_string(),
        Resolved::UInt(u) => u.to_string(),
        Resolved::Float(g) => format_g(g),
        _ => json,
    }
}

/// A readable text for a float inside the engine (kyaml node text).
pub(crate) fn float_text(f: f64) -> String {
    format_g(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_resolves_kyaml_quirks() {
        assert_eq!(resolve_plain("yes", Schema::V3), Resolved::Str);
        assert_eq!(resolve_plain("0777", Schema::V3), Resolved::Int(511));
        assert_eq!(resolve_plain("1_000", Schema::V3), Resolved::Int(1000));
        assert_eq!(resolve_plain("0x1F", Schema::V3), Resolved::Int(31));
        assert_eq!(resolve_plain("0o17", Schema::V3), Resolved::Int(15));
        assert_eq!(resolve_plain("08", Schema::V3), Resolved::Float(8.0));
        assert_eq!(resolve_plain("1e6", Schema::V3), Resolved::Float(1e6));
        assert_eq!(resolve_plain("~", Schema::V3), Resolved::Null);
        assert_eq!(resolve_plain("-", Schema::V3), Resolved::Str);
        assert_eq!(
            resolve_plain("2001-12-14", Schema::V3),
            Resolved::Timestamp("2001-12-14T00:00:00Z".into())
        );
    }

    #[test]
    fn v2_quotes_yaml11_booleans() {
        for s in ["y", "n", "yes", "On", "OFF", "1:20", "", "1.5", "0x10"] {
            assert!(v2_needs_quotes(s), "{s}");
        }
        for s in ["yess", "a", "1:70", "-", ".", "<<"] {
            assert!(!v2_needs_quotes(s), "{s}");
        }
    }

    #[test]
    fn floats_format_like_go() {
        assert_eq!(float_output_text(1e6), "1000000");
        assert_eq!(float_output_text(1.5), "1.5");
        assert_eq!(float_output_text(1234567.5), "1.2345675e+06");
        assert_eq!(float_output_text(1e20), "1e+20");
        assert_eq!(float_output_text(1e-7), "1e-07");
        assert_eq!(float_output_text(0.0001), "0.0001");
        assert_eq!(go_json_float(1e-7), "1e-7");
        assert_eq!(go_json_float(1.2345e22), "1.2345e+22");
    }
}
