//! The substitution itself: a single pass over the text, braced expressions parsed with
//! nesting so defaults can hold further substitutions.

use crate::pattern::{matches, prefix_matches, suffix_matches};

/// What to do with a variable that is unset and has no default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Replace it with the empty string (drone/envsubst's behaviour).
    Lenient,
    /// Fail naming it (Flux's `StrictPostBuildSubstitutions`, the default).
    Strict,
}

/// A substitution that cannot be done; names the variable and the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Strict mode: the variable is unset and the expression gives no default.
    #[error(
        "variable '{name}' is not set (line {line}); set it in spec.postBuild, give a default with ${{{name}:=default}}, or escape the dollar as $${{{name}}}"
    )]
    Unset {
        /// The variable.
        name: String,
        /// 1-based line of the reference.
        line: usize,
    },
    /// The expression is not valid substitution syntax.
    #[error("bad substitution '{expression}' (line {line})")]
    Syntax {
        /// The expression as written.
        expression: String,
        /// 1-based line of the expression.
        line: usize,
    },
}

/// Substitutes every variable reference in `text`, looking values up with `lookup`.
pub fn substitute(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    mode: Mode,
) -> Result<String, Error> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut consumed = 0;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let position = consumed + dollar;
        let step = if let Some(stripped) = after.strip_prefix('$') {
            // `$$` is an escaped dollar: `$${var}` renders `${var}`.
            let _ = stripped;
            out.push('$');
            2
        } else if after.starts_with('{') {
            let Some(close) = matching_brace(after) else {
                return Err(Error::Syntax {
                    expression: truncate(&rest[dollar..]),
                    line: line_of(text, position),
                });
            };
            let expression = &after[1..close];
            out.push_str(&evaluate(expression, text, position, lookup, mode)?);
            close + 2
        } else {
            let name_len = identifier_len(after);
            if name_len == 0 {
                out.push('$');
                1
            } else {
                let name = &after[..name_len];
                out.push_str(&resolve(name, text, position, lookup, mode)?);
                name_len + 1
            }
        };
        rest = &rest[dollar + step..];
        consumed = position + step;
    }
    out.push_str(rest);
    Ok(out)
}

/// The value of a plain reference, or the strict-mode error.
fn resolve(
    name: &str,
    text: &str,
    position: usize,
    lookup: &dyn Fn(&str) -> Option<String>,
    mode: Mode,
) -> Result<String, Error> {
    match lookup(name) {
        Some(value) => Ok(value),
        None if mode == Mode::Strict => Err(Error::Unset {
            name: name.to_string(),
            line: line_of(text, position),
        }),
        None => Ok(String::new()),
    }
}

/// Evaluates the inside of `${...}`.
fn evaluate(
    expression: &str,
    text: &str,
    position: usize,
    lookup: &dyn Fn(&str) -> Option<String>,
    mode: Mode,
) -> Result<String, Error> {
    let syntax = || Error::Syntax {
        expression: format!("${{{expression}}}"),
        line: line_of(text, position),
    };
    if let Some(name) = expression.strip_prefix('#') {
        if identifier_len(name) == name.len() && !name.is_empty() {
            return Ok(resolve(name, text, position, lookup, mode)?
                .chars()
                .count()
                .to_string());
        }
        return Err(syntax());
    }
    let name_len = identifier_len(expression);
    if name_len == 0 {
        return Err(syntax());
    }
    let name = &expression[..name_len];
    let operation = &expression[name_len..];
    let value = lookup(name);
    // Defaults: `:-`/`:=` when unset or empty, `-`/`=` when unset.
    for (operator, when_empty) in [(":-", true), (":=", true), ("-", false), ("=", false)] {
        if let Some(word) = operation.strip_prefix(operator) {
            let use_default = match &value {
                None => true,
                Some(v) => when_empty && v.is_empty(),
            };
            return if use_default {
                substitute(word, lookup, mode)
            } else {
                Ok(value.unwrap_or_default())
            };
        }
    }
    let value = match value {
        Some(value) => value,
        None if mode == Mode::Strict => {
            return Err(Error::Unset {
                name: name.to_string(),
                line: line_of(text, position),
            });
        }
        None => String::new(),
    };
    let argument = |rest: &str| substitute(rest, lookup, mode);
    Ok(match operation {
        "" => value,
        "^^" => value.to_uppercase(),
        ",," => value.to_lowercase(),
        "^" => change_first(&value, true),
        "," => change_first(&value, false),
        _ if operation.starts_with(':') => substring(&value, &operation[1..]).ok_or_else(syntax)?,
        _ if operation.starts_with("##") => {
            let pattern = argument(&operation[2..])?;
            prefix_matches(&value, &pattern)
                .last()
                .map_or(value.clone(), |&end| value[end..].to_string())
        }
        _ if operation.starts_with('#') => {
            let pattern = argument(&operation[1..])?;
            prefix_matches(&value, &pattern)
                .first()
                .map_or(value.clone(), |&end| value[end..].to_string())
        }
        _ if operation.starts_with("%%") => {
            let pattern = argument(&operation[2..])?;
            suffix_matches(&value, &pattern)
                .last()
                .map_or(value.clone(), |&start| value[..start].to_string())
        }
        _ if operation.starts_with('%') => {
            let pattern = argument(&operation[1..])?;
            suffix_matches(&value, &pattern)
                .first()
                .map_or(value.clone(), |&start| value[..start].to_string())
        }
        _ if operation.starts_with('/') => replace(&value, &operation[1..], &argument)?,
        _ => return Err(syntax()),
    })
}

/// `${var/p/r}` (first), `${var//p/r}` (all), `${var/#p/r}` (prefix), `${var/%p/r}` (suffix).
fn replace(
    value: &str,
    spec: &str,
    argument: &dyn Fn(&str) -> Result<String, Error>,
) -> Result<String, Error> {
    let (kind, spec) = match spec.chars().next() {
        Some('/') => ('a', &spec[1..]),
        Some('#') => ('p', &spec[1..]),
        Some('%') => ('s', &spec[1..]),
        _ => ('f', spec),
    };
    let (pattern, replacement) = spec.split_once('/').unwrap_or((spec, ""));
    let (pattern, replacement) = (argument(pattern)?, argument(replacement)?);
    if pattern.is_empty() {
        return Ok(value.to_string());
    }
    Ok(match kind {
        'p' => match prefix_matches(value, &pattern).last() {
            Some(&end) if end > 0 => format!("{replacement}{}", &value[end..]),
            _ => value.to_string(),
        },
        's' => match suffix_matches(value, &pattern).last() {
            Some(&start) if start < value.len() => format!("{}{replacement}", &value[..start]),
            _ => value.to_string(),
        },
        _ => {
            // Longest match at the leftmost position, repeated for `//`.
            let mut out = String::new();
            let mut index = 0;
            let mut replaced = false;
            while index < value.len() {
                let found = if replaced && kind == 'f' {
                    None
                } else {
                    longest_match_at(value, index, &pattern)
                };
                match found {
                    Some(end) if end > index => {
                        out.push_str(&replacement);
                        index = end;
                        replaced = true;
                    }
                    _ => {
                        let ch = value[index..].chars().next().unwrap_or_default();
                        out.push(ch);
                        index += ch.len_utf8();
                    }
                }
            }
            out
        }
    })
}

fn longest_match_at(value: &str, start: usize, pattern: &str) -> Option<usize> {
    let mut ends: Vec<usize> = value[start..]
        .char_indices()
        .map(|(i, c)| start + i + c.len_utf8())
        .collect();
    ends.reverse();
    ends.into_iter()
        .find(|&end| matches(&value[start..end], pattern))
}

/// `${var:pos}` / `${var:pos:len}` over characters.
fn substring(value: &str, spec: &str) -> Option<String> {
    let (position, length) = match spec.split_once(':') {
        Some((p, l)) => (p.trim(), Some(l.trim())),
        None => (spec.trim(), None),
    };
    let chars: Vec<char> = value.chars().collect();
    let position: usize = position.parse().ok()?;
    let start = position.min(chars.len());
    let end = match length {
        Some(length) => start
            .saturating_add(length.parse::<usize>().ok()?)
            .min(chars.len()),
        None => chars.len(),
    };
    Some(chars[start..end].iter().collect())
}

fn change_first(value: &str, upper: bool) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) if upper => first.to_uppercase().chain(chars).collect(),
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Length of the variable name at the start of `text` (`[A-Za-z_][A-Za-z0-9_]*`).
fn identifier_len(text: &str) -> usize {
    let mut len = 0;
    for (index, c) in text.char_indices() {
        let ok = c == '_' || c.is_ascii_alphabetic() || (index > 0 && c.is_ascii_digit());
        if !ok {
            break;
        }
        len = index + c.len_utf8();
    }
    len
}

/// Index of the `}` closing the `{` at the start of `text`, counting nested `${`.
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(index);
                }
            }
            b'\n' => return None,
            _ => {}
        }
        index += 1;
    }
    None
}

fn line_of(text: &str, position: usize) -> usize {
    text.get(..position)
        .map_or(1, |before| before.matches('\n').count() + 1)
}

fn truncate(text: &str) -> String {
    text.chars().take_while(|&c| c != '\n').take(40).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn run(text: &str, mode: Mode) -> Result<String, Error> {
        let vars: HashMap<&str, &str> = [
            ("cluster", "prod-eu"),
            ("region", "eu-west-1"),
            ("empty", ""),
            ("NAME", "Capstan"),
        ]
        .into();
        substitute(text, &|name| vars.get(name).map(|v| (*v).to_string()), mode)
    }

    fn lenient(text: &str) -> String {
        run(text, Mode::Lenient).unwrap()
    }

    #[test]
    fn plain_and_braced_references() {
        assert_eq!(lenient("name: app-${cluster}"), "name: app-prod-eu");
        assert_eq!(lenient("name: app-$cluster-x"), "name: app-prod-eu-x");
        assert_eq!(lenient("a: ${missing}b"), "a: b");
    }

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        assert_eq!(lenient("${missing:=fallback}"), "fallback");
        assert_eq!(lenient("${missing:-fallback}"), "fallback");
        assert_eq!(lenient("${empty:=fallback}"), "fallback");
        assert_eq!(lenient("${empty=fallback}"), "");
        assert_eq!(lenient("${cluster:=fallback}"), "prod-eu");
        assert_eq!(
            lenient("${missing:=${region}}"),
            "eu-west-1",
            "defaults may nest"
        );
        assert_eq!(lenient("${missing:=}"), "");
    }

    #[test]
    fn dollars_are_escaped_by_doubling() {
        assert_eq!(lenient("$${cluster}"), "${cluster}");
        assert_eq!(lenient("cost: 5$ and $$"), "cost: 5$ and $");
        assert_eq!(lenient("echo $1 $ $-"), "echo $1 $ $-");
    }

    #[test]
    fn string_operators() {
        assert_eq!(lenient("${#cluster}"), "7");
        assert_eq!(
            lenient("${NAME^^} ${NAME,,} ${cluster^} ${NAME,}"),
            "CAPSTAN capstan Prod-eu capstan"
        );
        assert_eq!(lenient("${region:3} ${region:0:2}"), "west-1 eu");
        assert_eq!(
            lenient("${region#*-} ${region##*-} ${region%-*} ${region%%-*}"),
            "west-1 1 eu-west eu"
        );
        assert_eq!(
            lenient("${region/-/_} ${region//-/_}"),
            "eu_west-1 eu_west_1"
        );
        assert_eq!(
            lenient("${region/#eu/us} ${region/%1/2}"),
            "us-west-1 eu-west-2"
        );
    }

    #[test]
    fn strict_mode_names_unset_variables() {
        assert_eq!(
            run("a: 1\nb: ${nope}", Mode::Strict),
            Err(Error::Unset {
                name: "nope".into(),
                line: 2
            })
        );
        assert_eq!(
            run("b: $nope", Mode::Strict),
            Err(Error::Unset {
                name: "nope".into(),
                line: 1
            })
        );
        assert_eq!(run("b: ${nope:=ok}", Mode::Strict).as_deref(), Ok("b: ok"));
        assert_eq!(
            run("b: $${nope}", Mode::Strict).as_deref(),
            Ok("b: ${nope}")
        );
        let message = run("${nope}", Mode::Strict).unwrap_err().to_string();
        assert!(
            message.contains("'nope'") && message.contains("${nope:=default}"),
            "{message}"
        );
    }

    #[test]
    fn malformed_expressions_are_errors() {
        assert!(matches!(
            run("${", Mode::Lenient),
            Err(Error::Syntax { .. })
        ));
        assert!(matches!(
            run("${cluster", Mode::Lenient),
            Err(Error::Syntax { .. })
        ));
        assert!(matches!(
            run("${1x}", Mode::Lenient),
            Err(Error::Syntax { .. })
        ));
        assert!(matches!(
            run("${cluster!}", Mode::Lenient),
            Err(Error::Syntax { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in ".{0,200}") {
            let _ = run(&text, Mode::Strict);
            let _ = run(&text, Mode::Lenient);
        }

        #[test]
        fn text_without_dollars_is_unchanged(text in "[^$]{0,200}") {
            proptest::prop_assert_eq!(lenient(&text), text);
        }
    }
}
