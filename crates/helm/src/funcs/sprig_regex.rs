//! Sprig's regular expressions (Go's RE2 syntax, which the `regex` crate shares).

use regex::Regex;

use super::convert::str_list;
use super::{FnError, Registry, Ty, arg_int, arg_str};
use crate::template::value::Value;

fn compile(re: &str) -> Result<Regex, FnError> {
    regex::RegexBuilder::new(re)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| {
            FnError::Msg(format!(
                "error parsing regexp: {}: `{re}`",
                short_regex_error(&e)
            ))
        })
}

fn short_regex_error(e: &regex::Error) -> String {
    let s = e.to_string();
    s.lines()
        .last()
        .unwrap_or("invalid regexp")
        .trim()
        .trim_start_matches("error: ")
        .to_string()
}

/// Go's `Regexp.Split`.
fn go_regex_split(re: &Regex, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !re.as_str().is_empty() && s.is_empty() {
        return vec![String::new()];
    }
    let mut out = Vec::new();
    let (mut beg, mut end) = (0usize, 0usize);
    for m in re.find_iter(s) {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            out.push(s.get(beg..end).unwrap_or("").to_string());
        }
        beg = m.end();
    }
    if end != s.len() {
        out.push(s.get(beg..).unwrap_or("").to_string());
    }
    out
}

pub(crate) fn register(r: &mut Registry) {
    use Ty::{Int, Str};
    r.add("regexMatch", &[Str, Str], None, |_, a| {
        Ok(Value::Bool(
            compile(&arg_str(&a, 0)).is_ok_and(|re| re.is_match(&arg_str(&a, 1))),
        ))
    });
    r.add("mustRegexMatch", &[Str, Str], None, |_, a| {
        Ok(Value::Bool(
            compile(&arg_str(&a, 0))?.is_match(&arg_str(&a, 1)),
        ))
    });
    for name in ["regexFindAll", "mustRegexFindAll"] {
        r.add(name, &[Str, Str, Int], None, |_, a| {
            let re = compile(&arg_str(&a, 0))?;
            let s = arg_str(&a, 1);
            let n = arg_int(&a, 2);
            let it = re.find_iter(&s).map(|m| m.as_str().to_string());
            let v: Vec<String> = if n < 0 {
                it.collect()
            } else {
                it.take(n as usize).collect()
            };
            Ok(str_list(v))
        });
    }
    for name in ["regexFind", "mustRegexFind"] {
        r.add(name, &[Str, Str], None, |_, a| {
            let re = compile(&arg_str(&a, 0))?;
            Ok(Value::from(
                re.find(&arg_str(&a, 1)).map_or("", |m| m.as_str()),
            ))
        });
    }
    for name in ["regexReplaceAll", "mustRegexReplaceAll"] {
        r.add(name, &[Str, Str, Str], None, |_, a| {
            let re = compile(&arg_str(&a, 0))?;
            let repl = arg_str(&a, 2);
            Ok(Value::from(
                re.replace_all(&arg_str(&a, 1), &*repl).into_owned(),
            ))
        });
    }
    for name in ["regexReplaceAllLiteral", "mustRegexReplaceAllLiteral"] {
        r.add(name, &[Str, Str, Str], None, |_, a| {
            let re = compile(&arg_str(&a, 0))?;
            let repl = arg_str(&a, 2);
            Ok(Value::from(
                re.replace_all(&arg_str(&a, 1), regex::NoExpand(&repl))
                    .into_owned(),
            ))
        });
    }
    for name in ["regexSplit", "mustRegexSplit"] {
        r.add(name, &[Str, Str, Int], None, |_, a| {
            let re = compile(&arg_str(&a, 0))?;
            Ok(str_list(go_regex_split(
                &re,
                &arg_str(&a, 1),
                arg_int(&a, 2),
            )))
        });
    }
    r.add("regexQuoteMeta", &[Str], None, |_, a| {
        let mut out = String::new();
        for c in arg_str(&a, 0).chars() {
            if "\\.+*?()|[]{}^$".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        Ok(Value::from(out))
    });
}
