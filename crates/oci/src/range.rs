//! SemVer ranges with the semantics of Masterminds/semver v3, the library Flux uses for
//! `ref.semver`: space- or comma-separated ANDs, `||` ORs, hyphen ranges, `x`/`*` wildcards,
//! `~` and `^`, and a bare version meaning equality (a tilde when it has wildcards).
//!
//! Pre-release versions only match a comparator that itself names a pre-release, as in
//! Masterminds. Build metadata is ignored when comparing.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;
use semver::{BuildMetadata, Prerelease, Version};

/// One version-ish token of a constraint: `v1`, `1.2`, `1.x`, `1.2.3-rc.1+build`.
const CV: &str = r"v?([0-9xX*]+)(\.[0-9xX*]+)?(\.[0-9xX*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
/// The operators, in Masterminds' order (leftmost-first alternation picks the same ones).
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| unreachable!("static regex: {e}"))
}

static CONSTRAINT: LazyLock<Regex> = LazyLock::new(|| regex(&format!(r"^\s*({OPS})\s*({CV})\s*$")));
static HYPHEN_RANGE: LazyLock<Regex> =
    LazyLock::new(|| regex(&format!(r"\s*({CV})\s+-\s+({CV})\s*")));
static FIND_CONSTRAINT: LazyLock<Regex> = LazyLock::new(|| regex(&format!(r"({OPS})\s*({CV})")));
static VALID_GROUP: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
    ))
});

/// A parsed SemVer range (`>=1.0.0 <2.0.0`, `~1.2`, `^1`, `1.x`, `*`, `1.0 - 1.4 || 2.x`).
#[derive(Clone, Debug)]
pub struct SemverRange {
    original: String,
    any_of: Vec<Vec<Comparator>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterOrEqual,
    LessOrEqual,
    Tilde,
    Caret,
}

#[derive(Clone, Debug)]
struct Comparator {
    op: Op,
    version: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

impl SemverRange {
    /// Parses a range; the error says which part is malformed.
    pub fn parse(expression: &str) -> Result<Self, String> {
        let rewritten = rewrite_hyphen_ranges(expression);
        let mut any_of = Vec::new();
        for group in rewritten.split("||") {
            if !VALID_GROUP.is_match(group) {
                return Err(format!("improper constraint: {}", group.trim()));
            }
            let mut all_of = Vec::new();
            for found in FIND_CONSTRAINT.find_iter(group) {
                all_of.push(Comparator::parse(found.as_str())?);
            }
            if all_of.is_empty() {
                all_of.push(Comparator::parse(group)?);
            }
            any_of.push(all_of);
        }
        Ok(Self {
            original: expression.to_string(),
            any_of,
        })
    }

    /// Whether `version` satisfies the range.
    pub fn matches(&self, version: &Version) -> bool {
        self.any_of
            .iter()
            .any(|all| all.iter().all(|c| c.matches(version)))
    }

    /// The range as written.
    pub fn as_str(&self) -> &str {
        &self.original
    }
}

fn rewrite_hyphen_ranges(expression: &str) -> String {
    let mut out = expression.to_string();
    for captures in HYPHEN_RANGE.captures_iter(expression) {
        let (Some(whole), Some(low), Some(high)) =
            (captures.get(0), captures.get(1), captures.get(11))
        else {
            continue;
        };
        let rewritten = format!(">= {}, <= {}", low.as_str(), high.as_str());
        out = out.replacen(whole.as_str(), &rewritten, 1);
    }
    out
}

fn is_wildcard(part: &str) -> bool {
    matches!(part, "x" | "X" | "*")
}

fn number(part: &str) -> Result<u64, String> {
    part.parse::<u64>()
        .map_err(|_| format!("'{part}' is not a version number"))
}

impl Comparator {
    fn parse(text: &str) -> Result<Self, String> {
        let captures = CONSTRAINT
            .captures(text)
            .ok_or_else(|| format!("improper constraint: {}", text.trim()))?;
        let group = |i: usize| captures.get(i).map_or("", |m| m.as_str());
        let op = match group(1) {
            "" | "=" => Op::TildeOrEqual,
            "!=" => Op::NotEqual,
            ">" => Op::Greater,
            "<" => Op::Less,
            ">=" | "=>" => Op::GreaterOrEqual,
            "<=" | "=<" => Op::LessOrEqual,
            "~" | "~>" => Op::Tilde,
            "^" => Op::Caret,
            other => return Err(format!("unknown operator '{other}'")),
        };
        let major = group(3);
        let minor = group(4).trim_start_matches('.');
        let patch = group(5).trim_start_matches('.');
        let pre = group(7);
        let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
        let (major, minor, patch) = if is_wildcard(major) {
            dirty = true;
            (0, 0, 0)
        } else if minor.is_empty() || is_wildcard(minor) {
            dirty = true;
            minor_dirty = true;
            (number(major)?, 0, 0)
        } else if patch.is_empty() || is_wildcard(patch) {
            dirty = true;
            patch_dirty = true;
            (number(major)?, number(minor)?, 0)
        } else {
            (number(major)?, number(minor)?, number(patch)?)
        };
        let pre = if pre.is_empty() {
            Prerelease::EMPTY
        } else {
            Prerelease::new(pre).map_err(|e| format!("invalid pre-release '{pre}': {e}"))?
        };
        let version = Version {
            major,
            minor,
            patch,
            pre,
            build: BuildMetadata::EMPTY,
        };
        Ok(Self {
            op,
            version,
            dirty,
            minor_dirty,
            patch_dirty,
        })
    }

    fn matches(&self, v: &Version) -> bool {
        let c = &self.version;
        // Masterminds (issue 21): a pre-release only satisfies a comparator naming one.
        let pre_excluded = !v.pre.is_empty() && c.pre.is_empty();
        match self.op {
            Op::NotEqual => self.not_equal(v),
            Op::Greater => !pre_excluded && self.greater(v),
            Op::Less => !pre_excluded && compare(v, c) == Ordering::Less,
            Op::GreaterOrEqual => !pre_excluded && compare(v, c) != Ordering::Less,
            Op::LessOrEqual => !pre_excluded && self.less_or_equal(v),
            Op::Tilde => !pre_excluded && self.tilde(v),
            Op::TildeOrEqual => {
                !pre_excluded
                    && if self.dirty {
                        self.tilde(v)
                    } else {
                        compare(v, c) == Ordering::Equal
                    }
            }
            Op::Caret => !pre_excluded && self.caret(v),
        }
    }

    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.version;
        if self.dirty {
            if !v.pre.is_empty() && c.pre.is_empty() {
                return false;
            }
            if c.major != v.major {
                return true;
            }
            if c.minor != v.minor && !self.minor_dirty {
                return true;
            } else if self.minor_dirty {
                return false;
            } else if c.patch != v.patch && !self.patch_dirty {
                return true;
            } else if self.patch_dirty {
                if !v.pre.is_empty() || !c.pre.is_empty() {
                    return v.pre != c.pre;
                }
                return false;
            }
        }
        compare(v, c) != Ordering::Equal
    }

    fn greater(&self, v: &Version) -> bool {
        let c = &self.version;
        if !self.dirty {
            return compare(v, c) == Ordering::Greater;
        }
        if v.major > c.major {
            true
        } else if v.major < c.major || self.minor_dirty {
            false
        } else if self.patch_dirty {
            v.minor > c.minor
        } else {
            compare(v, c) == Ordering::Greater
        }
    }

    fn less_or_equal(&self, v: &Version) -> bool {
        let c = &self.version;
        if !self.dirty {
            return compare(v, c) != Ordering::Greater;
        }
        !(v.major > c.major || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.version;
        if compare(v, c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        v.major == c.major && (v.minor == c.minor || self.minor_dirty)
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.version;
        if compare(v, c) == Ordering::Less {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        if v.minor > 0 {
            return false;
        }
        v.patch == c.patch
    }
}

/// Compares versions ignoring build metadata, as Masterminds' `Compare`.
pub(crate) fn compare(a: &Version, b: &Version) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| match (a.pre.is_empty(), b.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => a.pre.cmp(&b.pre),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn check(range: &str, version: &str) -> bool {
        SemverRange::parse(range)
            .unwrap_or_else(|e| panic!("{range}: {e}"))
            .matches(&v(version))
    }

    #[test]
    fn comparisons_and_conjunctions() {
        assert!(check(">=1.0.0 <2.0.0", "1.5.0"));
        assert!(check(">=1.0.0, <2.0.0", "1.0.0"));
        assert!(!check(">=1.0.0 <2.0.0", "2.0.0"));
        assert!(!check(">=1.0.0 <2.0.0", "0.9.9"));
        assert!(check(">1.2", "1.3.0"));
        assert!(!check(">1.2", "1.2.9"));
        assert!(!check(">11", "11.1.0"));
        assert!(check("<=1.2", "1.2.9"));
        assert!(!check("<=1.2", "1.3.0"));
        assert!(check("!=1.2.3", "1.2.4"));
        assert!(!check("!=1.2.3", "1.2.3"));
        assert!(!check("!=1.x", "1.9.0"));
        assert!(check("=>1.0.0 =<1.1.0", "1.1.0"));
    }

    #[test]
    fn tilde_caret_and_wildcards() {
        assert!(check("~1.2", "1.2.9"));
        assert!(!check("~1.2", "1.3.0"));
        assert!(check("~1.2.3", "1.2.5"));
        assert!(!check("~1.2.3", "1.2.2"));
        assert!(check("~1", "1.9.0"));
        assert!(check("^1", "1.9.9"));
        assert!(!check("^1", "2.0.0"));
        assert!(check("^1.2.3", "1.9.0"));
        assert!(!check("^0.2.3", "0.3.0"));
        assert!(check("^0.2.3", "0.2.9"));
        assert!(!check("^0.0.3", "0.0.4"));
        assert!(check("1.x", "1.4.2"));
        assert!(!check("1.x", "2.0.0"));
        assert!(check("1.2.x", "1.2.7"));
        assert!(check("*", "7.0.0"));
        assert!(check("x", "0.0.1"));
    }

    #[test]
    fn bare_versions_are_exact_unless_partial() {
        assert!(check("1.2.3", "1.2.3"));
        assert!(!check("1.2.3", "1.2.4"));
        assert!(check("1.2", "1.2.4"));
        assert!(check("=1", "1.7.0"));
        assert!(check("v1.2.3", "1.2.3"));
    }

    #[test]
    fn disjunctions_and_hyphen_ranges() {
        assert!(check("1.x || 3.x", "3.1.0"));
        assert!(!check("1.x || 3.x", "2.1.0"));
        assert!(check("1.0 - 1.4", "1.4.0"));
        assert!(!check("1.0 - 1.4", "1.5.0"));
    }

    #[test]
    fn pre_releases_need_a_pre_release_comparator() {
        assert!(!check(">=1.0.0", "1.1.0-rc.1"));
        assert!(!check("*", "1.0.0-alpha"));
        assert!(check(">=1.1.0-0", "1.1.0-rc.1"));
        assert!(check("~1.1.0-0", "1.1.0-rc.1"));
    }

    #[test]
    fn build_metadata_is_ignored() {
        assert!(check("1.2.3", "1.2.3+build.7"));
        assert_eq!(compare(&v("1.0.0+a"), &v("1.0.0+b")), Ordering::Equal);
    }

    #[test]
    fn malformed_ranges_are_refused() {
        for range in ["", "abc", ">=1.0.0 <", "1.2.3.4", ">>1", "1.0.0 &&"] {
            assert!(SemverRange::parse(range).is_err(), "{range:?} was accepted");
        }
    }
}
