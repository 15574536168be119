//! Masterminds' own wording for a refused constraint expression.
//!
//! Masterminds decides *why* it refuses an expression with regular expressions that run
//! before any comparison is read: it rewrites hyphen ranges, splits on `||`, checks each
//! alternative's shape and only then parses its versions. The patterns below are copied from
//! its `constraints.go` (Go's RE2 and the `regex` crate agree on leftmost-first matching), so
//! the alternative it quotes and the kind of error are the ones it reports, even where
//! [`Constraint::parse`](crate::Constraint::parse) stops at a different place.

use std::sync::LazyLock;

use regex::Regex;

use crate::ConstraintError;
use crate::constraint::is_alternative;

/// Why Masterminds' `NewConstraint` refuses an expression. `Display` is its message word for
/// word, because tools built on it print it to users (Helm's `semverCompare` fails with it);
/// the [`ConstraintError`] source says what is actually wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MastermindsError {
    /// An `||` alternative that is not a list of comparisons. Masterminds quotes the
    /// alternative as it read it: surrounding spaces kept, hyphen ranges `A - B` already
    /// rewritten to `>= A, <= B `.
    #[error("improper constraint: {alternative}")]
    Improper {
        /// The alternative, as Masterminds quotes it.
        alternative: String,
        /// What is wrong with the expression.
        #[source]
        cause: ConstraintError,
    },
    /// Comparisons of the right shape whose version is not one: a number beyond 64 bits, a
    /// prerelease with a leading zero, `1.2x`.
    #[error("constraint parser error")]
    Parser {
        /// What is wrong with the expression.
        #[source]
        cause: ConstraintError,
    },
}

/// Go's `\s`: space, tab, line feed, form feed, carriage return (not Unicode spaces).
const SPACE: &str = r"[\t\n\x0C\r ]";
/// The operators, including the empty one, in Masterminds' order.
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
/// A version in a comparison (`cvRegex`): 9 capture groups.
const VERSION: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| unreachable!("static regex: {e}"))
}

/// `constraintRangeRegex`: `A - B`; group 1 is `A` and group 11 is `B`.
static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        "{SPACE}*({VERSION}){SPACE}+-{SPACE}+({VERSION}){SPACE}*"
    ))
});

/// `validConstraintRegex`: the shape of one `||` alternative.
static VALID: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        "^({SPACE}*({OPS}){SPACE}*({VERSION}){SPACE}*)((?:{SPACE}+|,{SPACE}*)({OPS}){SPACE}*({VERSION}){SPACE}*)*$"
    ))
});

/// Masterminds' `rewriteRange`, including its habit of replacing the first occurrence of
/// each matched text rather than the match itself.
fn rewrite_range(text: &str) -> String {
    let mut out = text.to_owned();
    for captures in RANGE.captures_iter(text) {
        let (Some(whole), Some(lower), Some(upper)) =
            (captures.get(0), captures.get(1), captures.get(11))
        else {
            continue;
        };
        let replacement = format!(">= {}, <= {} ", lower.as_str(), upper.as_str());
        out = out.replacen(whole.as_str(), &replacement, 1);
    }
    out
}

/// The error Masterminds gives for `text`, which [`Constraint::parse`](crate::Constraint::parse)
/// refused with `cause`: the first alternative of the wrong shape is improper; failing that,
/// a version inside one does not parse.
pub(crate) fn error(text: &str, cause: ConstraintError) -> MastermindsError {
    let rewritten = rewrite_range(text);
    for alternative in rewritten.split("||") {
        if !VALID.is_match(alternative) {
            return MastermindsError::Improper {
                alternative: alternative.to_owned(),
                cause,
            };
        }
        if !is_alternative(alternative) {
            break;
        }
    }
    MastermindsError::Parser { cause }
}

#[cfg(test)]
mod tests {
    use crate::Constraint;

    /// The message Masterminds gives, or `None` when the expression parses.
    fn message(text: &str) -> Option<String> {
        Constraint::parse_masterminds(text)
            .err()
            .map(|e| e.to_string())
    }

    /// Messages recorded from Helm v4.1.4 (Masterminds v3.4.0), `semverCompare`.
    #[test]
    fn messages_are_masterminds_word_for_word() {
        let cases = [
            ("", "improper constraint: "),
            ("  ", "improper constraint:   "),
            (" || 1.0", "improper constraint:  "),
            (">= 1.2 ||", "improper constraint: "),
            (">=1.0.0 <", "improper constraint: >=1.0.0 <"),
            (">=1.0.0,", "improper constraint: >=1.0.0,"),
            ("banana", "improper constraint: banana"),
            ("1.2.3.4", "improper constraint: 1.2.3.4"),
            ("1.2.3+b..1", "improper constraint: 1.2.3+b..1"),
            ("1.2.3-", "improper constraint: 1.2.3-"),
            ("1.", "improper constraint: 1."),
            ("V1.2.3", "improper constraint: V1.2.3"),
            (">>1", "improper constraint: >>1"),
            ("> = 1.2", "improper constraint: > = 1.2"),
            ("1.0 -2.0", "improper constraint: 1.0 -2.0"),
            (">=1.0, <2 || foo", "improper constraint:  foo"),
            ("1.0 - 2.0 || foo bar", "improper constraint:  foo bar"),
            (
                "1.0 - 2.0 - 3.0",
                "improper constraint: >= 1.0, <= 2.0 - 3.0",
            ),
            (
                "1.0 - 2.0 || 1.0 - x.y",
                "improper constraint: >= 1.0, <= x .y",
            ),
            (
                "1.0 -  2.0 , >=v",
                "improper constraint: >= 1.0, <= 2.0 , >=v",
            ),
            (">=1.0.0 1.2x", "constraint parser error"),
            ("~1.2.3-rc.01", "constraint parser error"),
            ("99999999999999999999", "constraint parser error"),
            ("1.2|3", "constraint parser error"),
        ];
        let failures: Vec<String> = cases
            .iter()
            .filter(|(text, want)| message(text).as_deref() != Some(*want))
            .map(|(text, want)| format!("{text:?}: want {want:?}, got {:?}", message(text)))
            .collect();
        assert!(failures.is_empty(), "{failures:#?}");
    }

    /// The shape is checked for the whole alternative before any version is read, so a bad
    /// number followed by a bad separator is improper, not a parser error.
    #[test]
    fn shape_errors_win_over_version_errors_in_one_alternative() {
        assert_eq!(
            message(">=1.2x <").as_deref(),
            Some("improper constraint: >=1.2x <")
        );
        assert_eq!(
            message("1.2x || <").as_deref(),
            Some("constraint parser error")
        );
    }

    #[test]
    fn valid_expressions_parse_as_usual() {
        for text in [
            ">=1.2 <2.0.0, !=1.3.1 || ~3.1 || 4.x || 5.0 - 5.4",
            "x.2.3",
            "*",
        ] {
            assert_eq!(
                Constraint::parse_masterminds(text).ok(),
                Constraint::parse(text).ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn the_cause_says_what_is_wrong() {
        let Err(error) = Constraint::parse_masterminds(">=1.0.0 1.2x") else {
            panic!("1.2x is not a version");
        };
        let cause = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(
            cause.as_deref(),
            Some("'2x' in '1.2x' is not a version number or wildcard")
        );
    }
}
