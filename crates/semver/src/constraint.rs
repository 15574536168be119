//! Parsing and checking Masterminds constraint expressions.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use semver::{BuildMetadata, Prerelease, Version};

use crate::MastermindsError;
use crate::version::{compare, number};

/// A parsed constraint expression such as `>=1.2 <2.0.0 || ~3.1 || 4.x`: `||` alternatives,
/// each a list of comparisons that must all hold. See the crate documentation for the syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraint {
    text: String,
    alternatives: Vec<Alternative>,
}

/// Why an expression is not a constraint. Its message names the offending part but not the
/// whole expression, which callers usually quote themselves.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConstraintError {
    /// The expression, or one of its `||` alternatives, holds no comparison.
    #[error("empty constraint: each '||' alternative needs a comparison such as '>=1.2.3'")]
    Empty,
    /// Text where a comparison or a separator (space, comma, `||`) was expected.
    #[error(
        "improper constraint at '{fragment}': expected a comparison such as '>=1.2.3', '~1.2' or '1.x'"
    )]
    Malformed {
        /// The expression from the point it stopped making sense.
        fragment: String,
    },
    /// A version part that is neither a number (within 64 bits) nor a wildcard (`x`, `X`, `*`).
    #[error("'{part}' in '{version}' is not a version number or wildcard")]
    Number {
        /// The version as written in the comparison.
        version: String,
        /// The offending part.
        part: String,
    },
    /// A prerelease or build metadata that breaks SemVer's rules (e.g. a leading zero).
    #[error("invalid {kind} in '{version}': {reason}")]
    Label {
        /// The version as written in the comparison.
        version: String,
        /// `prerelease` or `build metadata`.
        kind: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// Comparisons that must all hold.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Alternative {
    comparisons: Vec<Comparison>,
    /// Whether a comparison names a prerelease, which lets prerelease versions match at all.
    prereleases: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Comparison {
    op: Op,
    /// The version with wildcard and missing parts set to 0, and no build metadata.
    version: Version,
    wild: Wild,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// `=` or no operator: equal, or within the range a wildcard stands for.
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Tilde,
    Caret,
}

/// The first part given as a wildcard or left out; the parts after it are wildcards too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wild {
    None,
    Patch,
    Minor,
    Major,
}

impl Constraint {
    /// Parses a constraint expression; the error says which part is wrong.
    pub fn parse(text: &str) -> Result<Self, ConstraintError> {
        let alternatives = text
            .split("||")
            .map(parse_alternative)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            text: text.to_owned(),
            alternatives,
        })
    }

    /// [`Constraint::parse`], failing with the error Masterminds' `NewConstraint` gives, word
    /// for word, for tools that must print exactly what the Go tool prints (Helm's
    /// `semverCompare`). The two accept the same expressions.
    pub fn parse_masterminds(text: &str) -> Result<Self, MastermindsError> {
        Self::parse(text).map_err(|cause| crate::masterminds::error(text, cause))
    }

    /// Whether `version` satisfies the constraint: all comparisons of some alternative hold,
    /// and if `version` is a prerelease, that alternative names a prerelease. Build metadata
    /// is ignored.
    pub fn matches(&self, version: &Version) -> bool {
        self.alternatives.iter().any(|alternative| {
            (version.pre.is_empty() || alternative.prereleases)
                && alternative.comparisons.iter().all(|c| c.matches(version))
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Constraint {
    /// Writes the expression as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Constraint {
    type Err = ConstraintError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// Whitespace as Masterminds' `\s`: space, tab, line feed, form feed, carriage return.
fn trim_space(text: &str) -> &str {
    text.trim_start_matches(|c: char| c.is_ascii_whitespace())
}

fn malformed(fragment: &str) -> ConstraintError {
    ConstraintError::Malformed {
        fragment: fragment.trim_end().to_owned(),
    }
}

/// Parses one `||` alternative: comparisons separated by whitespace or a comma, where
/// `A - B` (spaces required) stands for `>= A, <= B`.
fn parse_alternative(text: &str) -> Result<Alternative, ConstraintError> {
    let mut rest = trim_space(text);
    if rest.is_empty() {
        return Err(ConstraintError::Empty);
    }
    let mut comparisons = Vec::new();
    loop {
        let (op, explicit, after_op) = split_op(rest);
        let (version, mut after) =
            scan_version(trim_space(after_op)).ok_or_else(|| malformed(rest))?;
        let hyphen_upper = if explicit { None } else { hyphen_upper(after) };
        if let Some(upper_text) = hyphen_upper {
            let (upper, after_upper) =
                scan_version(upper_text).ok_or_else(|| malformed(upper_text))?;
            comparisons.push(version.comparison(Op::Ge)?);
            comparisons.push(upper.comparison(Op::Le)?);
            after = after_upper;
        } else {
            comparisons.push(version.comparison(op)?);
        }
        let trimmed = trim_space(after);
        if trimmed.is_empty() {
            break;
        }
        rest = if let Some(next) = trimmed.strip_prefix(',') {
            trim_space(next)
        } else if trimmed.len() < after.len() {
            trimmed
        } else {
            // Nothing separates this comparison from what follows (`1.0<2.0`, `1.0.0-`).
            return Err(malformed(trimmed));
        };
        if rest.is_empty() {
            return Err(malformed(trimmed));
        }
    }
    let prereleases = comparisons.iter().any(|c| !c.version.pre.is_empty());
    Ok(Alternative {
        comparisons,
        prereleases,
    })
}

/// Whether `text` reads as one `||` alternative.
pub(crate) fn is_alternative(text: &str) -> bool {
    parse_alternative(text).is_ok()
}

/// The operator at the start of `text`, whether one was written, and the rest.
fn split_op(text: &str) -> (Op, bool, &str) {
    const OPS: [(&str, Op); 11] = [
        ("!=", Op::Ne),
        (">=", Op::Ge),
        ("=>", Op::Ge),
        ("<=", Op::Le),
        ("=<", Op::Le),
        ("~>", Op::Tilde),
        ("=", Op::Eq),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("~", Op::Tilde),
        ("^", Op::Caret),
    ];
    for (prefix, op) in OPS {
        if let Some(rest) = text.strip_prefix(prefix) {
            return (op, true, rest);
        }
    }
    (Op::Eq, false, text)
}

/// After a bare version, the upper version of a hyphen range (` - B`), if there is one.
fn hyphen_upper(after: &str) -> Option<&str> {
    let dash = trim_space(after);
    if dash.len() == after.len() {
        return None;
    }
    let upper = dash.strip_prefix('-')?;
    let trimmed = trim_space(upper);
    (trimmed.len() < upper.len()).then_some(trimmed)
}

/// A version as written in a comparison, not yet checked.
struct Scanned<'a> {
    /// The whole version as written, for messages.
    text: &'a str,
    /// The dot-separated numbers and wildcards.
    core: &'a str,
    pre: Option<&'a str>,
    build: Option<&'a str>,
}

fn split_while(text: &str, keep: impl Fn(char) -> bool) -> (&str, &str) {
    text.split_at(text.find(|c: char| !keep(c)).unwrap_or(text.len()))
}

fn is_core_char(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, 'x' | 'X' | '*' | '.')
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// Scans a version (`v1.2.x-rc.1+b`) at the start of `text`, returning it and the rest, or
/// `None` when `text` does not start with one.
fn scan_version(text: &str) -> Option<(Scanned<'_>, &str)> {
    let body = text.strip_prefix('v').unwrap_or(text);
    let (core, mut rest) = split_while(body, is_core_char);
    if core.is_empty() {
        return None;
    }
    let mut label = |marker: char| -> Option<&str> {
        let after = rest.strip_prefix(marker)?;
        if !after.starts_with(is_label_char) {
            return None;
        }
        let (label, after) = split_while(after, |c| is_label_char(c) || c == '.');
        rest = after;
        Some(label)
    };
    let pre = label('-');
    let build = label('+');
    let text = text.strip_suffix(rest).unwrap_or(text);
    Some((
        Scanned {
            text,
            core,
            pre,
            build,
        },
        rest,
    ))
}

impl Scanned<'_> {
    /// Checks the version and builds the comparison `op` makes of it.
    fn comparison(&self, op: Op) -> Result<Comparison, ConstraintError> {
        let parts: Vec<&str> = self.core.split('.').collect();
        if parts.len() > 3 || parts.iter().any(|part| part.is_empty()) {
            return Err(malformed(self.text));
        }
        let mut numbers = [0u64; 3];
        let mut wild = Wild::None;
        for (index, slot) in numbers.iter_mut().enumerate() {
            let part = parts.get(index).copied();
            let is_wild = match part {
                None | Some("x" | "X" | "*") => true,
                Some(part) => {
                    // Parts after a wildcard are ignored, but must still be numbers.
                    let value = number(part).ok_or_else(|| ConstraintError::Number {
                        version: self.text.to_owned(),
                        part: part.to_owned(),
                    })?;
                    if wild == Wild::None {
                        *slot = value;
                    }
                    false
                }
            };
            if is_wild && wild == Wild::None {
                wild = match index {
                    0 => Wild::Major,
                    1 => Wild::Minor,
                    _ => Wild::Patch,
                };
            }
        }
        let label_error = |kind: &'static str, error: semver::Error| ConstraintError::Label {
            version: self.text.to_owned(),
            kind,
            reason: error.to_string(),
        };
        let pre = match self.pre {
            Some(pre) => Prerelease::new(pre).map_err(|e| label_error("prerelease", e))?,
            None => Prerelease::EMPTY,
        };
        if let Some(build) = self.build {
            BuildMetadata::new(build).map_err(|e| label_error("build metadata", e))?;
        }
        let [major, minor, patch] = numbers;
        Ok(Comparison {
            op,
            version: Version {
                major,
                minor,
                patch,
                pre,
                build: BuildMetadata::EMPTY,
            },
            wild,
        })
    }
}

impl Comparison {
    /// Whether `v` satisfies this comparison (the prerelease rule is the alternative's).
    ///
    /// A wildcard bounds by numbers, not precedence: `1.2.x` ends before `1.3.0-rc.1` as well
    /// as `1.3.0`, as in Masterminds.
    fn matches(&self, v: &Version) -> bool {
        let c = &self.version;
        let order = compare(v, c);
        let at_least = order != Ordering::Less;
        let same_major = v.major == c.major;
        let same_minor = same_major && v.minor == c.minor;
        match (self.op, self.wild) {
            (Op::Eq, Wild::None) => order == Ordering::Equal,
            (Op::Ne, Wild::None | Wild::Major) => order != Ordering::Equal,
            (Op::Gt, Wild::None | Wild::Major) => order == Ordering::Greater,
            (Op::Ge, _) => at_least,
            (Op::Lt, _) => order == Ordering::Less,
            (Op::Le, Wild::None) => order != Ordering::Greater,
            // `*` stands for every version…
            (Op::Eq | Op::Tilde, Wild::Major) => at_least,
            // …except after `^` and `<=`, where Masterminds (hence Flux and Helm) reads `*` as
            // 0.0.0 without the wildcard's widening: `^*` is 0.0.0 only, `<=*` is 0.0.x.
            // `~0.0.0` accepts everything, as in Masterminds.
            (Op::Tilde, Wild::None) if (c.major, c.minor, c.patch) == (0, 0, 0) => at_least,
            (Op::Eq | Op::Tilde, Wild::None | Wild::Patch) => at_least && same_minor,
            (Op::Eq | Op::Tilde, Wild::Minor) => at_least && same_major,
            (Op::Ne, Wild::Minor) => !same_major,
            // `!=1.2.x-alpha` excludes the 1.2 versions with exactly that prerelease.
            (Op::Ne, Wild::Patch) => !same_minor || v.pre != c.pre,
            (Op::Gt, Wild::Minor) => v.major > c.major,
            (Op::Gt, Wild::Patch) => v.major > c.major || (same_major && v.minor > c.minor),
            (Op::Le, Wild::Minor) => v.major <= c.major,
            (Op::Le, Wild::Major | Wild::Patch) => {
                v.major < c.major || (same_major && v.minor <= c.minor)
            }
            (Op::Caret, _) => at_least && self.caret(v),
        }
    }

    /// `^`: the leftmost non-zero part given must stay the same (for a version at least `c`).
    fn caret(&self, v: &Version) -> bool {
        let c = &self.version;
        if c.major > 0 || self.wild == Wild::Minor {
            v.major == c.major
        } else if v.major > 0 {
            false
        } else if c.minor > 0 || self.wild == Wild::Patch {
            v.minor == c.minor
        } else {
            v.minor == 0 && v.patch == c.patch
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(range: &str) -> Constraint {
        Constraint::parse(range).unwrap_or_else(|e| panic!("{range}: {e}"))
    }

    /// Checks a tag-style version (`v` allowed) against a range.
    fn matches(range: &str, version: &str) -> bool {
        let version =
            crate::parse_tag(version).unwrap_or_else(|| panic!("{version} is not a version"));
        parse(range).matches(&version)
    }

    /// Checks every `(range, version, expected)` row, reporting all failures at once.
    fn table(rows: &[(&str, &str, bool)]) {
        let failures: Vec<String> = rows
            .iter()
            .filter(|(range, version, want)| matches(range, version) != *want)
            .map(|(range, version, want)| format!("{range:?} vs {version}: expected {want}"))
            .collect();
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn comparisons_and_conjunctions() {
        table(&[
            (">=1.0.0 <2.0.0", "1.0.0", true),
            (">=1.0.0 <2.0.0", "1.5.0", true),
            (">=1.0.0 <2.0.0", "1.9.9", true),
            (">=1.0.0 <2.0.0", "2.0.0", false),
            (">=1.0.0 <2.0.0", "0.9.0", false),
            (">=1.0.0 <2.0.0", "0.9.9", false),
            (">=1.0.0, <2.0.0", "1.0.0", true),
            (">= 1.0.0, < 2.0.0", "1.5.0", true),
            (">1.2.3", "1.2.4", true),
            (">1.2.3", "1.2.3", false),
            ("<=1.2.3", "1.2.3", true),
            ("<=1.2.3", "1.2.4", false),
            ("!=1.2.3", "1.2.4", true),
            ("!=1.2.3", "1.2.3", false),
            ("=1.2.3", "1.2.3", true),
            ("1.2.3", "1.2.3", true),
            ("1.2.3", "1.2.4", false),
            (">1.2", "1.3.0", true),
            (">1.2", "1.2.9", false),
            (">11", "11.1.0", false),
            ("<=1.2", "1.2.9", true),
            ("<=1.2", "1.3.0", false),
            ("!=1.x", "1.9.0", false),
            ("=>1.0.0 =<1.1.0", "1.1.0", true),
            (">=1.1, <2, !=1.2.3", "1.2.3", false),
            (">=1.1\t<2\n!=1.2.3", "1.2.4", true),
            (">1.1 ,<2", "1.2.1", true),
        ]);
    }

    #[test]
    fn tilde_ranges() {
        table(&[
            ("~1.2.3", "1.2.9", true),
            ("~1.2.3", "1.2.5", true),
            ("~1.2.3", "1.3.0", false),
            ("~1.2.3", "1.2.2", false),
            ("~1.2", "1.2.0", true),
            ("~1.2", "1.2.7", true),
            ("~1.2", "1.2.9", true),
            ("~1.2", "1.3.0", false),
            ("~1", "1.9.0", true),
            ("~1", "2.0.0", false),
            ("~1.x", "1.9.0", true),
            ("~>1.2", "1.2.5", true),
            ("~0.2.3", "0.2.5", true),
            ("~0.2.3", "0.3.5", false),
            ("~0.0.0", "1.2.3", true),
            ("~*", "2.1.1", true),
        ]);
    }

    #[test]
    fn caret_ranges() {
        table(&[
            ("^1", "1.0.0", true),
            ("^1", "1.99.0", true),
            ("^1", "1.9.9", true),
            ("^1", "2.0.0", false),
            ("^1.2.3", "1.4.0", true),
            ("^1.2.3", "1.9.0", true),
            ("^1.2.3", "1.2.2", false),
            ("^1.2.x", "1.2.0", true),
            ("^1.2.x", "2.0.0", false),
            ("^0.2.3", "0.2.9", true),
            ("^0.2.3", "0.3.0", false),
            ("^0.2", "0.2.0", true),
            ("^0.2", "0.3.0", false),
            ("^0.0.3", "0.0.3", true),
            ("^0.0.3", "0.0.4", false),
            ("^0.0", "0.0.9", true),
            ("^0.0", "0.1.0", false),
            ("^0", "0.9.0", true),
            ("^0", "1.0.0", false),
            ("^0.0.0", "1.2.3", false),
        ]);
    }

    #[test]
    fn wildcards_and_partial_versions() {
        table(&[
            ("1.x", "1.0.0", true),
            ("1.x", "1.5.2", true),
            ("1.x", "1.4.2", true),
            ("1.x", "2.0.0", false),
            ("1.X", "1.5.2", true),
            ("1.2.x", "1.2.5", true),
            ("1.2.x", "1.2.7", true),
            ("1.2.x", "1.3.0", false),
            ("1.2.*", "1.3.0", false),
            ("1.x.3", "1.0.0", true),
            ("1.2", "1.2.5", true),
            ("1.2", "1.3.0", false),
            ("1", "1.7.0", true),
            ("1", "2.0.0", false),
            ("=1", "1.7.0", true),
            ("*", "0.0.1", true),
            ("*", "7.0.0", true),
            ("*", "99.0.0", true),
            ("x", "0.0.1", true),
            (">= 1.2.x", "1.2.0", true),
            ("<= 2.x", "2.9.9", true),
            ("<= 2.x", "3.0.0", false),
            ("> 1.2", "1.3.0", true),
            ("> 1.2", "1.2.9", false),
            ("< 1.2.x", "1.1.9", true),
            ("< 1.2.x", "1.2.0", false),
            ("<1.x", "0.1.1", true),
            ("<1.x", "1.1.1", false),
            ("!=4.1.x", "4.2.0", true),
            ("!=4.2.x", "4.2.3", false),
            ("!=4.x", "5.1.0", true),
        ]);
    }

    #[test]
    fn bare_versions_are_exact_unless_partial() {
        table(&[
            ("1.2.3", "1.2.3", true),
            ("1.2.3", "1.2.4", false),
            ("1.2", "1.2.4", true),
            ("v1.2.3", "1.2.3", true),
            ("0.0.0", "1.2.3", false),
        ]);
    }

    #[test]
    fn hyphen_and_or_ranges() {
        table(&[
            ("1.2 - 1.4.5", "1.2.0", true),
            ("1.2 - 1.4.5", "1.3.0", true),
            ("1.2 - 1.4.5", "1.4.5", true),
            ("1.2 - 1.4.5", "1.4.6", false),
            ("1.0 - 1.4", "1.4.0", true),
            ("1.0 - 1.4", "1.4.9", true),
            ("1.0 - 1.4", "1.5.0", false),
            ("1.0.0-rc.1 - 2", "2.9.0", true),
            ("3 - 4 || >= 6", "4.5.0", true),
            ("3 - 4 || >= 6", "5.0.0", false),
            ("^1 || ^3", "3.1.0", true),
            ("^1 || ^3", "2.0.0", false),
            ("1.x || 3.x", "3.1.0", true),
            ("1.x || 3.x", "2.1.0", false),
            (">=1.1 <2 !=1.2.3 || >= 3", "3.0.0", true),
            (">=1.1 <2 !=1.2.3 || > 3", "3.0.0", false),
        ]);
    }

    #[test]
    fn prereleases_need_a_prerelease_comparison() {
        table(&[
            ("*", "1.0.0-rc.1", false),
            ("*", "1.0.0-alpha", false),
            (">=1.0.0", "2.0.0-alpha", false),
            (">=1.0.0", "1.1.0-rc.1", false),
            ("~1.1", "1.1.1-alpha", false),
            ("^1.x", "1.1.1-beta1", false),
            (">=1.0.0-0", "1.0.0-rc.1", true),
            (">=1.1.0-0", "1.1.0-rc.1", true),
            ("~1.1.0-0", "1.1.0-rc.1", true),
            (">=1.0.0-rc.2", "1.0.0-rc.1", false),
            ("*-0", "1.2.3-alpha.1", true),
            // Any prerelease in range counts, not only the comparison's own 1.2.3 (unlike npm).
            ("~1.2.3-beta.2", "1.2.4-beta.2", true),
            ("~1.2.3-beta.2", "1.3.4-beta.2", false),
            ("^1.2.0-alpha.0", "1.2.1-alpha.1", true),
            ("^1.2.0-alpha.2", "1.2.0-alpha.1", false),
            ("^0.2.3-beta.2", "0.2.4-beta.2", true),
            ("^0.2.3-beta.2", "0.3.4-beta.2", false),
            ("~1.1.1-beta", "1.1.1", true),
            ("~1.1.1-beta", "1.1.1-alpha", false),
            (">0.0.0-0", "0.0.0-alpha", true),
            ("<0-z", "0.0.0-alpha", true),
            // ASCII order: `BETA` sorts before `alpha`.
            (">=1.2.3-BETA", "1.2.3-alpha", true),
            // Releases still match such a range.
            (">=1.0.0-0", "1.0.0", true),
            ("!=4.1-alpha", "4.1.0", true),
            ("!=4.1-alpha", "4.1.1-alpha", false),
        ]);
    }

    #[test]
    fn build_metadata_is_ignored() {
        table(&[
            ("1.2.3", "1.2.3+build.7", true),
            ("1.2.3+other", "1.2.3", true),
            ("!=1.2.3+a", "1.2.3+b", false),
            (">1.2.3", "1.2.3+zzz", false),
        ]);
    }

    #[test]
    fn v_prefixes_are_allowed_on_tags_and_ranges() {
        table(&[
            (">=v1.0.0", "v1.2.0", true),
            ("v1.x", "v1.2.0", true),
            ("v1.0 - v1.2", "1.2.9", true),
        ]);
    }

    /// Where the git and OCI ports disagreed, decided by Masterminds v3's documented behaviour.
    #[test]
    fn cases_the_two_ports_disagreed_on() {
        table(&[
            // Masterminds v3.4+: a prerelease anywhere in an AND group admits prereleases for
            // the whole group. Both ports checked each comparison separately.
            (">=1.0.0-0 <2.0.0", "1.5.0-rc.1", true),
            // `<2.0.0` compares by precedence, so it admits 2.0.0's prereleases; `<2.0.0-0`
            // does not.
            (">=1.0.0-0 <2.0.0", "2.0.0-rc.1", true),
            (">=1.0.0-0 <2.0.0-0", "2.0.0-rc.1", false),
            ("<2.0.0 || >=3.0.0-0", "1.5.0-rc.1", false),
            // `!=` skips prereleases like every other operator (the OCI port let them through).
            ("!=1.2.3", "1.2.4-rc.1", false),
            ("!=1.2.3 || >=1.0.0-0", "1.2.4-rc.1", true),
            // Wildcard bounds are numeric, so they exclude the next version's prereleases
            // (the git port compared with the next release and let them in).
            ("1.2.x-0", "1.3.0-rc.1", false),
            ("1.2.x-0", "1.2.5-rc.1", true),
            (">=1.0.0-0 <=1.2", "1.3.0-rc.1", false),
            (">=1.0.0-0 <=1.2", "1.2.9-rc.1", true),
            // ... and `>1.2` starts at 1.3's prereleases (the git port required >= 1.3.0).
            (">1.2 <2.0.0-0", "1.3.0-rc.1", true),
            (">1.2 <2.0.0-0", "1.2.9", false),
            // A major wildcard after `^` and `<=` is 0.0.0 without widening, as Masterminds'
            // code (and so Flux and Helm 4.1.4, checked with `helm template`) does ...
            ("^*", "1.2.3", false),
            ("^*", "0.0.0", true),
            ("<=*", "5.0.0", false),
            ("<=*", "0.0.7", true),
            // ... while `>*` and `!=*` read `*` as 0.0.0, as Masterminds does (the git port
            // matched nothing).
            (">*", "0.0.1", true),
            (">*", "0.0.0", false),
            ("!=*", "1.0.0", true),
            ("!=*", "0.0.0", false),
            ("<*", "1.0.0", false),
        ]);
    }

    #[test]
    fn separators_follow_masterminds() {
        // A trailing or doubled comma is refused (the git port accepted them).
        for range in [
            ">=1.0.0,",
            ">=1.0.0,,<2.0.0",
            ",>=1.0.0",
            "1.0<2.0",
            ">= 1.2 ||",
        ] {
            assert!(Constraint::parse(range).is_err(), "{range:?} was accepted");
        }
        for range in [
            ">=1.0.0 ,<2.0.0",
            ">=1.0.0,<2.0.0",
            "  >=1.0.0  ",
            ">=\t1.0.0",
        ] {
            assert!(Constraint::parse(range).is_ok(), "{range:?} was refused");
        }
    }

    #[test]
    fn invalid_ranges_are_errors() {
        let invalid = [
            "",
            "   ",
            ">=",
            "banana",
            "abc",
            "1.2.3.4",
            "1.0 -",
            "1.0 - ",
            ">=1.0 - 2.0",
            "1.0 - 2.0 - 3.0",
            "1.0 -2.0",
            ">=1.0.0 <",
            ">>1",
            "> = 1.2",
            "1.0.0 &&",
            "||",
            "1.0 ||| 2.0",
            "1.2.3-01",
            "1.2.3+b..1",
            "1x",
            "99999999999999999999",
            "V1.2.3",
            "1.",
            "1.2.3-",
        ];
        for range in invalid {
            assert!(Constraint::parse(range).is_err(), "{range:?} was accepted");
        }
    }

    #[test]
    fn errors_name_the_offending_part() {
        assert_eq!(Constraint::parse(" || 1.0"), Err(ConstraintError::Empty));
        assert_eq!(
            Constraint::parse(">=1.0.0 <"),
            Err(ConstraintError::Malformed {
                fragment: "<".into()
            })
        );
        assert_eq!(
            Constraint::parse(">=1.0.0 1.2x"),
            Err(ConstraintError::Number {
                version: "1.2x".into(),
                part: "2x".into()
            })
        );
        let Err(ConstraintError::Label { version, kind, .. }) = Constraint::parse("~1.2.3-rc.01")
        else {
            panic!("a leading zero in a prerelease is an error");
        };
        assert_eq!((version.as_str(), kind), ("1.2.3-rc.01", "prerelease"));
        let message =
            Constraint::parse("1.0 - >=2").map_or_else(|e| e.to_string(), |_| String::new());
        assert!(message.contains("'>=2'"), "{message}");
    }

    #[test]
    fn the_expression_reads_back_as_written() {
        let text = ">= 1.2, < 2 || ~3.1";
        let constraint: Constraint = text.parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(constraint.as_str(), text);
        assert_eq!(constraint.to_string(), text);
        assert_eq!(constraint, parse(text));
    }
}
