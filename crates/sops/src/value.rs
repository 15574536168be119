//! Scalar values as sops (Go) sees them, and the Go formatting rules that the MAC and the
//! emitted documents depend on.

use zeroize::{Zeroize, Zeroizing};

use crate::gotime::{self, Timestamp};

/// A leaf of a sops tree. Plaintext strings sit in zeroizing buffers; numbers are wiped on drop.
pub(crate) enum Scalar {
    Null,
    /// A Go string: arbitrary bytes (the binary format stores non-UTF-8 data in one).
    Str(Zeroizing<Vec<u8>>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Time(Timestamp),
    /// `type:bytes`; emitted like a string.
    Bytes(Zeroizing<Vec<u8>>),
}

impl Drop for Scalar {
    fn drop(&mut self) {
        match self {
            Scalar::Int(i) => i.zeroize(),
            Scalar::Float(f) => f.zeroize(),
            Scalar::Bool(b) => b.zeroize(),
            Scalar::Time(t) => t.zeroize(),
            Scalar::Null | Scalar::Str(_) | Scalar::Bytes(_) => {}
        }
    }
}

impl Scalar {
    pub(crate) fn str(s: &str) -> Self {
        Scalar::Str(Zeroizing::new(s.as_bytes().to_vec()))
    }

    /// A name for the type, for error messages (never the value).
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Str(_) => "string",
            Scalar::Int(_) => "integer",
            Scalar::Float(_) => "float",
            Scalar::Bool(_) => "boolean",
            Scalar::Time(_) => "timestamp",
            Scalar::Bytes(_) => "bytes",
        }
    }

    /// sops' `ToBytes`: the bytes a value contributes to the MAC. `None` for null, which sops
    /// never passes to the hash.
    pub(crate) fn mac_bytes(&self) -> Option<Zeroizing<Vec<u8>>> {
        let v = match self {
            Scalar::Null => return None,
            Scalar::Str(s) | Scalar::Bytes(s) => s.to_vec(),
            Scalar::Int(i) => i.to_string().into_bytes(),
            Scalar::Float(f) => format_f(*f).into_bytes(),
            // sops hashes booleans in Python's spelling.
            Scalar::Bool(true) => b"True".to_vec(),
            Scalar::Bool(false) => b"False".to_vec(),
            Scalar::Time(t) => t.rfc3339().into_bytes(),
        };
        Some(Zeroizing::new(v))
    }
}

/// Shortest digits and decimal exponent of a finite, non-zero float (`d.ddd × 10^exp`).
fn shortest(f: f64) -> (String, i32) {
    let e = format!("{:e}", f.abs());
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    (digits, exp.parse().unwrap_or(0))
}

/// Go's `%e` with shortest precision: `1.5e+06`, `1e-05`.
fn format_e(f: f64) -> String {
    let (digits, exp) = shortest(f);
    let mut out = String::new();
    if f.is_sign_negative() {
        out.push('-');
    }
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push('0');
    }
    out.push_str(&a.to_string());
    out
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)`.
pub(crate) fn format_f(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        // Rust's Display prints the shortest round-tripping digits without an exponent, which is
        // exactly Go's 'f' with precision -1.
        format!("{f}")
    }
}

/// How yaml.v3 prints a float64: `FormatFloat(f, 'g', -1, 64)` plus YAML's infinities.
pub(crate) fn format_yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    if f == 0.0 {
        return format!("{f}");
    }
    let (_, exp) = shortest(f);
    if !(-4..6).contains(&exp) {
        format_e(f)
    } else {
        format!("{f}")
    }
}

/// How `encoding/json` prints a float64.
pub(crate) fn format_json_float(f: f64) -> String {
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let mut s = format_e(f);
        // encoding/json shortens e-07 to e-7.
        if let Some(pos) = s.find("e-0") {
            s.remove(pos + 2);
        }
        s
    } else {
        format!("{f}")
    }
}

/// What a plain (unquoted, untagged) YAML scalar means to yaml.v3 (`resolve`).
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer beyond int64 (yaml.v3 gives a uint64, which sops refuses).
    BigInt,
    Float(f64),
    Time(Timestamp),
    Str,
}

/// Go's `strconv.ParseUint(s, 0, 64)` after the sign has been removed.
fn parse_go_uint(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let (base, digits) = if b[0] == b'0' && b.len() >= 3 && b[1].eq_ignore_ascii_case(&b'x') {
        (16, &s[2..])
    } else if b[0] == b'0' && b.len() >= 3 && b[1].eq_ignore_ascii_case(&b'o') {
        (8, &s[2..])
    } else if b[0] == b'0' && b.len() >= 3 && b[1].eq_ignore_ascii_case(&b'b') {
        (2, &s[2..])
    } else if b[0] == b'0' {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() {
        return (base == 8).then_some(0);
    }
    if !digits.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    u64::from_str_radix(digits, base).ok()
}

enum GoInt {
    Int(i64),
    Uint,
}

/// Go's `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint` as yaml.v3 does.
fn parse_go_int(s: &str) -> Option<GoInt> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_go_uint(rest)?;
    if neg {
        if u <= i64::MAX as u64 + 1 {
            return Some(GoInt::Int(0i64.wrapping_sub_unsigned(u)));
        }
        return None;
    }
    match i64::try_from(u) {
        Ok(i) => Some(GoInt::Int(i)),
        Err(_) if !s.starts_with('+') => Some(GoInt::Uint),
        Err(_) => None,
    }
}

fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i = 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == int_start {
        // `.5` form: a dot and at least one digit.
        if b.get(i) != Some(&b'.') {
            return false;
        }
        i += 1;
        let s2 = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s2 {
            return false;
        }
    } else if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let s3 = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s3 {
            return false;
        }
    }
    i == b.len()
}

fn parse_finite(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// yaml.v3's resolution of a plain scalar.
pub(crate) fn resolve_plain(s: &str) -> Resolved {
    let hint = match s.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return Resolved::Str,
    };
    match s {
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        _ => {}
    }
    match hint {
        b'.' => parse_finite(s).map_or(Resolved::Str, Resolved::Float),
        b'D' | b'S' => {
            if let Some(t) = gotime::parse_yaml_timestamp(s) {
                return Resolved::Time(t);
            }
            let plain: String = s.chars().filter(|c| *c != '_').collect();
            match parse_go_int(&plain) {
                Some(GoInt::Int(i)) => return Resolved::Int(i),
                Some(GoInt::Uint) => return Resolved::BigInt,
                None => {}
            }
            if is_yaml_style_float(&plain)
                && let Some(f) = parse_finite(&plain)
            {
                return Resolved::Float(f);
            }
            Resolved::Str
        }
        _ => Resolved::Str,
    }
}

/// yaml.v3 quotes strings that YAML 1.1 readers would take for something else.
pub(crate) fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`, YAML 1.1 sexagesimal numbers.
pub(crate) fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
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
        let group = &b[start..i];
        let ok = match group.len() {
            1 => true,
            2 => group[0] <= b'5',
            _ => false,
        };
        if !ok {
            return false;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_format_like_go() {
        assert_eq!(format_yaml_float(1_234_567.0), "1.234567e+06");
        assert_eq!(format_yaml_float(1.0), "1");
        assert_eq!(format_yaml_float(0.00001), "1e-05");
        assert_eq!(format_yaml_float(0.0001), "0.0001");
        assert_eq!(format_yaml_float(1.5), "1.5");
        assert_eq!(format_json_float(1e21), "1e+21");
        assert_eq!(format_json_float(1e-7), "1e-7");
        assert_eq!(
            format_json_float(12_345_678_901_234_567_890.0),
            "12345678901234567000"
        );
        assert_eq!(format_f(1e21), "1000000000000000000000");
        assert_eq!(format_f(f64::INFINITY), "+Inf");
    }

    #[test]
    fn plain_scalars_resolve_like_yaml_v3() {
        assert!(matches!(resolve_plain("0x1F"), Resolved::Int(31)));
        assert!(matches!(resolve_plain("0o17"), Resolved::Int(15)));
        assert!(matches!(resolve_plain("0777"), Resolved::Int(511)));
        assert!(matches!(resolve_plain("1_000"), Resolved::Int(1000)));
        assert!(matches!(resolve_plain("09"), Resolved::Float(f) if f == 9.0));
        assert!(matches!(resolve_plain("1e3"), Resolved::Float(f) if f == 1000.0));
        assert!(matches!(resolve_plain("yes"), Resolved::Str));
        assert!(matches!(resolve_plain("~"), Resolved::Null));
        assert!(matches!(resolve_plain("2024-01-01"), Resolved::Time(_)));
        assert!(matches!(resolve_plain("-"), Resolved::Str));
        assert!(matches!(
            resolve_plain("18446744073709551615"),
            Resolved::BigInt
        ));
        assert!(is_base60_float("1:20"));
        assert!(!is_base60_float("1:60"));
    }
}
