//! Go's `fmt` as templates see it: `%v` printing of every value, `Sprint`, `Sprintln` and
//! `Sprintf` with Go's verbs, flags and its `%!verb(type=value)` complaints.
//!
//! Float printing is the trap: Go prints `float64` with the shortest digits and switches to an
//! exponent at 1e21 for JSON but at 1e6 for `%v` (`1e+06`, `1.2345678e+07`), which is why a
//! large integer in `values.yaml` renders in scientific notation under Helm.

use super::value::Value;

/// Shortest round-trip decimal digits of a finite, non-zero `f` and its decimal point
/// position: `f = 0.d1d2d3... * 10^dp`.
fn shortest_digits(f: f64) -> (Vec<u8>, i32) {
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    (digits, exp + 1)
}

/// Digits of `f` rounded to `prec` significant digits, trailing zeros removed.
fn rounded_digits(f: f64, prec: usize) -> (Vec<u8>, i32) {
    let p = prec.max(1);
    let s = format!("{:.*e}", p - 1, f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    (digits, exp + 1)
}

fn exp_suffix(exp: i32, upper: bool) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    let e = if upper { 'E' } else { 'e' };
    format!("{e}{sign}{:02}", exp.abs())
}

/// `%e` form from digits: `d.ddde±XX`.
fn digits_e(digits: &[u8], dp: i32, upper: bool) -> String {
    let mut out = String::new();
    out.push(char::from(*digits.first().unwrap_or(&b'0')));
    if digits.len() > 1 {
        out.push('.');
        for d in digits.iter().skip(1) {
            out.push(char::from(*d));
        }
    }
    out.push_str(&exp_suffix(dp - 1, upper));
    out
}

/// `%f` form from digits with no fixed precision (all digits shown).
fn digits_f(digits: &[u8], dp: i32) -> String {
    let mut out = String::new();
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        for d in digits {
            out.push(char::from(*d));
        }
        return out;
    }
    let dpu = usize::try_from(dp).unwrap_or(0);
    for i in 0..dpu.max(digits.len()) {
        if i == dpu {
            out.push('.');
        }
        out.push(char::from(*digits.get(i).unwrap_or(&b'0')));
    }
    out
}

fn special_float(f: f64) -> Option<String> {
    if f.is_nan() {
        Some("NaN".into())
    } else if f.is_infinite() {
        Some(if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        })
    } else {
        None
    }
}

/// Go `strconv.FormatFloat(f, 'g', -1, 64)`, which is also `%v`.
pub(crate) fn format_float_g(f: f64) -> String {
    if let Some(s) = special_float(f) {
        return s;
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let (digits, dp) = shortest_digits(f);
    let exp = dp - 1;
    let body = if !(-4..6).contains(&exp) {
        digits_e(&digits, dp, false)
    } else {
        digits_f(&digits, dp)
    };
    if f < 0.0 { format!("-{body}") } else { body }
}

/// `strconv.FormatFloat(f, 'g', prec, 64)` with an explicit precision.
fn format_float_g_prec(f: f64, prec: usize, upper: bool) -> String {
    if let Some(s) = special_float(f) {
        return s;
    }
    if f == 0.0 {
        return "0".into();
    }
    let (digits, dp) = rounded_digits(f, prec);
    let mut eprec = i32::try_from(prec.max(1)).unwrap_or(i32::MAX);
    let nd = i32::try_from(digits.len()).unwrap_or(0);
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    let exp = dp - 1;
    let body = if exp < -4 || exp >= eprec {
        digits_e(&digits, dp, upper)
    } else {
        digits_f(&digits, dp)
    };
    if f < 0.0 { format!("-{body}") } else { body }
}

/// Go's encoding/json float format: shortest digits, exponent only below 1e-6 or from 1e21.
pub(crate) fn format_float_json(f: f64) -> String {
    if f == 0.0 {
        return "0".into();
    }
    if let Some(s) = special_float(f) {
        return s;
    }
    let abs = f.abs();
    let (digits, dp) = shortest_digits(f);
    let body = if !(1e-6..1e21).contains(&abs) {
        // Go cleans e-09 to e-9.
        let mut s = digits_e(&digits, dp, false);
        if let Some(pos) = s.find("e-0") {
            s.replace_range(pos..pos + 3, "e-");
        } else if let Some(pos) = s.find("e+0") {
            s.replace_range(pos..pos + 3, "e+");
        }
        s
    } else {
        digits_f(&digits, dp)
    };
    if f < 0.0 { format!("-{body}") } else { body }
}

/// Go's `strconv.Quote`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_unprintable(c) => {
                let n = c as u32;
                if n < 0x10000 {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_unprintable(c: char) -> bool {
    let n = c as u32;
    (0x80..0xa0).contains(&n)
        || n == 0xad
        || (0x2028..=0x2029).contains(&n)
        || (0x200b..=0x200f).contains(&n)
        || n == 0xfeff
        || (0xe000..=0xf8ff).contains(&n)
        || (0xfff9..=0xfffb).contains(&n)
}

/// `%v` of a value, nested inside a composite (`<nil>` for nil).
pub(crate) fn print_v(v: &Value) -> String {
    let mut out = String::new();
    write_v(&mut out, v);
    out
}

fn write_v(out: &mut String, v: &Value) {
    crate::deep(|| write_v_inner(out, v));
}

fn write_v_inner(out: &mut String, v: &Value) {
    match v {
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::I64(i) => out.push_str(&i.to_string()),
        Value::U64(u) => out.push_str(&u.to_string()),
        Value::Float(f) => out.push_str(&format_float_g(*f)),
        Value::Str(s) => out.push_str(s),
        Value::List(l) => {
            out.push('[');
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(out, e);
            }
            out.push(']');
        }
        Value::Bytes(b) => {
            out.push('[');
            for (i, e) in b.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&e.to_string());
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, e)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_v(out, e);
            }
            out.push(']');
        }
        Value::Object(o) => out.push_str(&o.display()),
    }
}

/// Go's `fmt.Sprint`: spaces between operands when neither side is a string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::Str(_));
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        write_v(&mut out, a);
        prev_string = is_string;
    }
    out
}

/// Go's `fmt.Sprintln`: always spaces, then a newline.
pub(crate) fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_v(&mut out, a);
    }
    out.push('\n');
    out
}

#[derive(Default, Clone, Copy)]
struct Flags {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

fn pad(s: String, fl: Flags, numeric: bool) -> String {
    let Some(w) = fl.width else { return s };
    let len = s.chars().count();
    if len >= w {
        return s;
    }
    let n = w - len;
    if fl.minus {
        return format!("{s}{}", " ".repeat(n));
    }
    if fl.zero && numeric {
        // Zeros go after the sign.
        let (sign, rest) = match s.strip_prefix(['-', '+', ' ']) {
            Some(rest) => (&s[..1], rest),
            None => ("", s.as_str()),
        };
        return format!("{sign}{}{rest}", "0".repeat(n));
    }
    if fl.zero {
        return format!("{}{s}", "0".repeat(n));
    }
    format!("{}{s}", " ".repeat(n))
}

fn bad_verb(verb: char, v: &Value) -> String {
    match v {
        Value::Nil => format!("%!{verb}(<nil>)"),
        _ => format!("%!{verb}({}={})", v.type_name(), print_v(v)),
    }
}

fn fmt_int(i: i128, verb: char, fl: Flags) -> String {
    let neg = i < 0;
    let mag = i.unsigned_abs();
    let mut digits = match verb {
        'd' | 'v' => mag.to_string(),
        'x' => format!("{mag:x}"),
        'X' => format!("{mag:X}"),
        'o' | 'O' => format!("{mag:o}"),
        'b' => format!("{mag:b}"),
        _ => mag.to_string(),
    };
    if let Some(p) = fl.prec {
        while digits.len() < p {
            digits.insert(0, '0');
        }
    }
    if fl.sharp {
        match verb {
            'x' => digits.insert_str(0, "0x"),
            'X' => digits.insert_str(0, "0X"),
            'o' => digits.insert(0, '0'),
            'b' => digits.insert_str(0, "0b"),
            _ => {}
        }
    }
    if verb == 'O' {
        digits.insert_str(0, "0o");
    }
    let sign = if neg {
        "-"
    } else if fl.plus {
        "+"
    } else if fl.space {
        " "
    } else {
        ""
    };
    let mut f2 = fl;
    if fl.prec.is_some() {
        f2.zero = false;
    }
    pad(format!("{sign}{digits}"), f2, true)
}

fn fmt_float(f: f64, verb: char, fl: Flags) -> String {
    let body = match verb {
        'v' | 'g' => match fl.prec {
            None => format_float_g(f),
            Some(p) => format_float_g_prec(f, p, false),
        },
        'G' => match fl.prec {
            None => format_float_g(f).to_uppercase(),
            Some(p) => format_float_g_prec(f, p, true),
        },
        'e' | 'E' => {
            if let Some(s) = special_float(f) {
                s
            } else {
                let p = fl.prec.unwrap_or(6);
                let s = format!("{:.*e}", p, f);
                let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
                let e: i32 = e.parse().unwrap_or(0);
                format!("{m}{}", exp_suffix(e, verb == 'E'))
            }
        }
        'f' | 'F' => {
            if let Some(s) = special_float(f) {
                s
            } else {
                format!("{:.*}", fl.prec.unwrap_or(6), f)
            }
        }
        _ => format_float_g(f),
    };
    let body = if fl.plus && !body.starts_with(['-', '+']) {
        format!("+{body}")
    } else if fl.space && !body.starts_with(['-', '+']) {
        format!(" {body}")
    } else {
        body
    };
    pad(body, fl, true)
}

fn fmt_str(s: &str, verb: char, fl: Flags) -> String {
    let s: String = match fl.prec {
        Some(p) if matches!(verb, 's' | 'v' | 'q') => s.chars().take(p).collect(),
        _ => s.to_string(),
    };
    let body = match verb {
        's' | 'v' => s,
        'q' => {
            if fl.sharp && !s.contains('`') {
                format!("`{s}`")
            } else {
                quote(&s)
            }
        }
        'x' => hex_bytes(s.as_bytes(), false, fl),
        'X' => hex_bytes(s.as_bytes(), true, fl),
        _ => return format!("%!{verb}(string={s})"),
    };
    pad(body, fl, false)
}

fn hex_bytes(b: &[u8], upper: bool, fl: Flags) -> String {
    let mut out = String::new();
    for (i, byte) in b.iter().enumerate() {
        if fl.space && i > 0 {
            out.push(' ');
        }
        if fl.sharp && (fl.space || i == 0) {
            out.push_str(if upper { "0X" } else { "0x" });
        }
        if upper {
            out.push_str(&format!("{byte:02X}"));
        } else {
            out.push_str(&format!("{byte:02x}"));
        }
    }
    out
}

/// Formats one operand for one verb, recursing into lists and maps like Go's `printValue`.
fn fmt_arg(v: &Value, verb: char, fl: Flags) -> String {
    match v {
        Value::Nil => match verb {
            'v' => pad("<nil>".into(), fl, false),
            _ => bad_verb(verb, v),
        },
        Value::Bool(b) => match verb {
            't' | 'v' => pad(b.to_string(), fl, false),
            _ => bad_verb(verb, v),
        },
        Value::Int(i) | Value::I64(i) => match verb {
            'd' | 'v' | 'x' | 'X' | 'o' | 'O' | 'b' => fmt_int(i128::from(*i), verb, fl),
            'c' => pad(
                char::from_u32(u32::try_from(*i).unwrap_or(0xfffd))
                    .unwrap_or('\u{fffd}')
                    .to_string(),
                fl,
                false,
            ),
            'q' => pad(
                format!(
                    "'{}'",
                    char::from_u32(u32::try_from(*i).unwrap_or(0xfffd)).unwrap_or('\u{fffd}')
                ),
                fl,
                false,
            ),
            'U' => pad(format!("U+{:04X}", i), fl, false),
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' => bad_verb(verb, v),
            _ => bad_verb(verb, v),
        },
        Value::U64(u) => match verb {
            'd' | 'v' | 'x' | 'X' | 'o' | 'O' | 'b' => fmt_int(i128::from(*u), verb, fl),
            _ => bad_verb(verb, v),
        },
        Value::Float(f) => match verb {
            'v' | 'g' | 'G' | 'e' | 'E' | 'f' | 'F' => fmt_float(*f, verb, fl),
            _ => bad_verb(verb, v),
        },
        Value::Str(s) => match verb {
            's' | 'v' | 'q' | 'x' | 'X' => fmt_str(s, verb, fl),
            _ => bad_verb(verb, v),
        },
        Value::Bytes(b) => match verb {
            's' => pad(String::from_utf8_lossy(b).into_owned(), fl, false),
            'q' => pad(quote(&String::from_utf8_lossy(b)), fl, false),
            'x' => hex_bytes(b, false, fl),
            'X' => hex_bytes(b, true, fl),
            _ => {
                let items: Vec<String> = b
                    .iter()
                    .map(|x| fmt_int(i128::from(*x), verb, Flags::default()))
                    .collect();
                pad(format!("[{}]", items.join(" ")), fl, false)
            }
        },
        Value::List(l) => {
            let items: Vec<String> = l.iter().map(|e| fmt_arg(e, verb, fl)).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Map(m) => {
            let items: Vec<String> = m
                .borrow()
                .iter()
                .map(|(k, e)| format!("{}:{}", fmt_str(k, verb, fl), fmt_arg(e, verb, fl)))
                .collect();
            format!("map[{}]", items.join(" "))
        }
        Value::Object(o) => match verb {
            'v' | 's' => pad(o.display(), fl, false),
            'q' => pad(quote(&o.display()), fl, false),
            _ => bad_verb(verb, v),
        },
    }
}

/// Go's `fmt.Sprintf`.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let mut argi = 0usize;
    let chars: Vec<char> = format.chars().collect();
    let mut i = 0usize;
    while i < chars.len() {
        let c = chars.get(i).copied().unwrap_or('%');
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let mut fl = Flags::default();
        // Flags.
        while let Some(&f) = chars.get(i) {
            match f {
                '-' => fl.minus = true,
                '+' => fl.plus = true,
                '#' => fl.sharp = true,
                ' ' => fl.space = true,
                '0' => fl.zero = !fl.minus,
                _ => break,
            }
            i += 1;
        }
        // Width.
        if chars.get(i) == Some(&'*') {
            i += 1;
            if let Some(Value::Int(w) | Value::I64(w)) = args.get(argi) {
                if *w < 0 {
                    fl.minus = true;
                }
                fl.width = usize::try_from(w.unsigned_abs()).ok();
            } else {
                out.push_str("%!(BADWIDTH)");
            }
            argi += 1;
        } else {
            let mut w = String::new();
            while let Some(&d) = chars.get(i).filter(|d| d.is_ascii_digit()) {
                w.push(d);
                i += 1;
            }
            if !w.is_empty() {
                fl.width = w.parse().ok();
            }
        }
        // Precision.
        if chars.get(i) == Some(&'.') {
            i += 1;
            if chars.get(i) == Some(&'*') {
                i += 1;
                if let Some(Value::Int(p) | Value::I64(p)) = args.get(argi) {
                    fl.prec = usize::try_from(*p).ok();
                } else {
                    out.push_str("%!(BADPREC)");
                }
                argi += 1;
            } else {
                let mut p = String::new();
                while let Some(&d) = chars.get(i).filter(|d| d.is_ascii_digit()) {
                    p.push(d);
                    i += 1;
                }
                fl.prec = Some(p.parse().unwrap_or(0));
            }
        }
        if fl.minus {
            fl.zero = false;
        }
        let Some(&verb) = chars.get(i) else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(argi) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        argi += 1;
        if verb == 'T' {
            out.push_str(&pad(arg.type_name(), fl, false));
            continue;
        }
        if fl.plus && verb == 'v' {
            // %+v prints the same as %v for the data templates see.
            fl.plus = false;
        }
        out.push_str(&fmt_arg(arg, verb, fl));
    }
    if argi < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args
            .iter()
            .skip(argi)
            .map(|a| match a {
                Value::Nil => "<nil>".to_string(),
                _ => format!("{}={}", a.type_name(), print_v(a)),
            })
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go() {
        assert_eq!(format_float_g(1.0), "1");
        assert_eq!(format_float_g(1e6), "1e+06");
        assert_eq!(format_float_g(12_345_678.0), "1.2345678e+07");
        assert_eq!(format_float_g(123_456.0), "123456");
        assert_eq!(format_float_g(0.0001), "0.0001");
        assert_eq!(format_float_g(0.00001), "1e-05");
        assert_eq!(format_float_g(1.5), "1.5");
        assert_eq!(format_float_g(-2.25), "-2.25");
        assert_eq!(format_float_json(1e6), "1000000");
        assert_eq!(format_float_json(1e21), "1e+21");
        assert_eq!(format_float_json(1e-7), "1e-7");
    }

    #[test]
    fn sprintf_handles_verbs_and_complaints() {
        let a = [Value::Float(80.0)];
        assert_eq!(sprintf("%d", &a), "%!d(float64=80)");
        assert_eq!(sprintf("%s-%d", &[Value::from("a"), Value::Int(3)]), "a-3");
        assert_eq!(
            sprintf("%05.1f|%-4s|", &[Value::Float(3.25), Value::from("x")]),
            "003.2|x   |"
        );
        assert_eq!(sprintf("%v %v", &[Value::Int(1)]), "1 %!v(MISSING)");
        assert_eq!(sprintf("%q", &[Value::from("a\"b")]), "\"a\\\"b\"");
        assert_eq!(sprintf("x", &[Value::Int(1)]), "x%!(EXTRA int=1)");
        assert_eq!(sprintf("%.2g", &[Value::Float(1234.0)]), "1.2e+03");
        assert_eq!(sprintf("%x", &[Value::Int(255)]), "ff");
    }

    #[test]
    fn sprint_spaces_only_between_non_strings() {
        assert_eq!(sprint(&[Value::Int(1), Value::Int(2)]), "1 2");
        assert_eq!(sprint(&[Value::from("a"), Value::Int(2)]), "a2");
        assert_eq!(sprint(&[Value::Nil]), "<nil>");
    }
}
