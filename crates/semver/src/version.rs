//! Reading versions and tags, ordering them, and choosing the highest matching tag.

use std::cmp::Ordering;

use semver::{BuildMetadata, Prerelease, Version};

use crate::Constraint;

/// Orders two versions by SemVer 2.0 precedence, as Masterminds' `Compare` does: numbers first,
/// a prerelease before its release, prerelease identifiers compared numerically when both are
/// numeric and in ASCII order otherwise (numeric ones first, a shorter list first when one is
/// a prefix of the other). Build metadata is ignored, so `1.0.0+a` and `1.0.0+b` are equal.
///
/// Use this rather than `Version`'s `Ord`, which orders by build metadata too.
pub fn compare(a: &Version, b: &Version) -> Ordering {
    a.cmp_precedence(b)
}

/// Reads a tag the way Flux reads tags for `ref.semver` and image policies (fluxcd/pkg's
/// `version.ParseVersion`): strict SemVer 2.0 (`MAJOR.MINOR.PATCH[-pre][+build]`, no leading
/// zeros), optionally prefixed with one `v`. `v1.2.3` is a version; `1.2`, `01.2.3` and
/// `release-1` are not.
pub fn parse_tag(tag: &str) -> Option<Version> {
    Version::parse(tag.strip_prefix('v').unwrap_or(tag)).ok()
}

/// Reads a version as Masterminds' `NewVersion` does: an optional `v`, then one to three
/// numbers (missing ones are 0, leading zeros are dropped), then an optional `-prerelease` and
/// `+build` that must be valid SemVer. So `1` is `1.0.0`, `v1.2` is `1.2.0`, `01.02.3` is
/// `1.2.3` and `1.2-rc.1` is `1.2.0-rc.1`; `1.2.3.4`, `1.2.beta` and ` 1.2` are rejected.
///
/// [`try_parse_version`] says why a text is rejected.
pub fn parse_version(text: &str) -> Option<Version> {
    try_parse_version(text).ok()
}

/// Why Masterminds' `NewVersion` refuses a text. `Display` is Masterminds' own message, word
/// for word, because tools built on it print it to users: Helm's `semver` and `semverCompare`
/// template functions fail with exactly these texts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// Not of the form `[v]N[.N[.N]][-prerelease][+build]` with ASCII alphanumerics and `-`
    /// in dot-separated, non-empty labels.
    #[error("invalid semantic version")]
    Invalid,
    /// A number that does not fit in 64 bits. The message is Go's `strconv.ParseUint` error,
    /// which Masterminds wraps.
    #[error(
        "error parsing version segment: strconv.ParseUint: parsing \"{segment}\": value out of range"
    )]
    OutOfRange {
        /// The offending number, as written.
        segment: String,
    },
    /// A numeric prerelease identifier with a leading zero (`1.2.3-01`), which SemVer forbids.
    #[error("version segment starts with 0")]
    LeadingZero,
}

/// [`parse_version`], failing with the reason Masterminds gives. The checks run in
/// Masterminds' order, so the reason is the one it reports: the shape first, then each
/// number in turn, then the prerelease.
pub fn try_parse_version(text: &str) -> Result<Version, VersionError> {
    let body = text.strip_prefix('v').unwrap_or(text);
    let (body, build) = match body.split_once('+') {
        Some((body, build)) => (body, Some(build)),
        None => (body, None),
    };
    let (core, pre) = match body.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (body, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let well_formed = parts.len() <= 3
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
        && pre.is_none_or(is_dotted_label)
        && build.is_none_or(is_dotted_label);
    if !well_formed {
        return Err(VersionError::Invalid);
    }
    let mut numbers = [0u64; 3];
    for (slot, part) in numbers.iter_mut().zip(&parts) {
        *slot = number(part).ok_or_else(|| VersionError::OutOfRange {
            segment: (*part).to_owned(),
        })?;
    }
    let pre = match pre {
        Some(pre) => {
            let leading_zero = pre.split('.').any(|id| {
                id.len() > 1 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit())
            });
            if leading_zero {
                return Err(VersionError::LeadingZero);
            }
            Prerelease::new(pre).map_err(|_| VersionError::Invalid)?
        }
        None => Prerelease::EMPTY,
    };
    let build = match build {
        Some(build) => BuildMetadata::new(build).map_err(|_| VersionError::Invalid)?,
        None => BuildMetadata::EMPTY,
    };
    let [major, minor, patch] = numbers;
    Ok(Version {
        major,
        minor,
        patch,
        pre,
        build,
    })
}

/// Dot-separated, non-empty labels of ASCII alphanumerics and `-`, as SemVer's prerelease
/// and build metadata.
fn is_dotted_label(text: &str) -> bool {
    text.split('.').all(|label| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// A version number: ASCII digits only (leading zeros allowed), within `u64`.
pub(crate) fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The tag whose version is the highest of those matching `constraint`, with that version.
///
/// Tags are read with [`parse_tag`], as Flux does; tags that are not versions are skipped.
/// Versions are ordered by [`compare`]. Tags of equal precedence (`v1.0.0` and `1.0.0`, or
/// `1.0.0+a` and `1.0.0+b`) are decided by the greater tag string in byte order (`v1.0.0`,
/// `1.0.0+b`), so the choice does not depend on the order the tags were listed in.
pub fn highest_matching<'a, I>(constraint: &Constraint, tags: I) -> Option<(&'a str, Version)>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut best: Option<(&'a str, Version)> = None;
    for tag in tags {
        let Some(version) = parse_tag(tag) else {
            continue;
        };
        if !constraint.matches(&version) {
            continue;
        }
        let better = best.as_ref().is_none_or(|(best_tag, best_version)| {
            compare(&version, best_version).then_with(|| tag.cmp(best_tag)) == Ordering::Greater
        });
        if better {
            best = Some((tag, version));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn constraint(text: &str) -> Constraint {
        Constraint::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn tags_are_strict_semver_with_an_optional_v() {
        assert_eq!(parse_tag("v1.2.3"), Some(Version::new(1, 2, 3)));
        assert_eq!(parse_tag("1.2.3-rc.1+b.7"), Some(v("1.2.3-rc.1+b.7")));
        assert_eq!(
            parse_tag("1.2"),
            None,
            "tags must be strict SemVer, as Flux"
        );
        for tag in [
            "release-1",
            "latest",
            "01.2.3",
            "vv1.2.3",
            "V1.2.3",
            "1.2.3-01",
            "",
        ] {
            assert_eq!(parse_tag(tag), None, "{tag}");
        }
    }

    #[test]
    fn loose_versions_are_coerced_as_masterminds_new_version() {
        let cases = [
            ("1", "1.0.0"),
            ("v1", "1.0.0"),
            ("1.2", "1.2.0"),
            ("v1.2", "1.2.0"),
            ("v1.2.3", "1.2.3"),
            ("01.02.03", "1.2.3"),
            ("1.2-5", "1.2.0-5"),
            ("v1.2-beta.5", "1.2.0-beta.5"),
            (
                "1.2.0-x.Y.0+metadata-with-hyphen",
                "1.2.0-x.Y.0+metadata-with-hyphen",
            ),
            ("1.2.3-rc1-with-hyphen", "1.2.3-rc1-with-hyphen"),
            ("1.2.3+test.01", "1.2.3+test.01"),
        ];
        for (text, want) in cases {
            assert_eq!(parse_version(text), Some(v(want)), "{text}");
        }
        let refused = [
            "",
            "v",
            "foo",
            "1.2.beta",
            "1.2.3.4",
            " 1.2",
            "1.2 ",
            "\n1.2",
            "1.2.3-01",
            "1.2.3-",
            "1..2",
            "1.2.3+",
            "V1.2",
            "-1.2",
            "1.2.+3",
            "18446744073709551616",
        ];
        for text in refused {
            assert_eq!(parse_version(text), None, "{text:?}");
        }
    }

    /// Messages recorded from Helm v4.1.4's `semver` (Masterminds v3.4.0's `NewVersion`).
    #[test]
    fn refusals_give_masterminds_reason() {
        let out_of_range = |segment: &str| VersionError::OutOfRange {
            segment: segment.to_owned(),
        };
        let cases = [
            ("foo", VersionError::Invalid),
            ("", VersionError::Invalid),
            ("1.2.3-a..b", VersionError::Invalid),
            ("1.2.3-a+b+c", VersionError::Invalid),
            ("1.2.3-a_b", VersionError::Invalid),
            // The shape is checked before the numbers and the prerelease.
            ("1.2.3-01.a..b", VersionError::Invalid),
            ("1.2.3-01", VersionError::LeadingZero),
            ("1.2.3-00", VersionError::LeadingZero),
            ("1.2.3-rc.01+x", VersionError::LeadingZero),
            ("99999999999999999999", out_of_range("99999999999999999999")),
            (
                "1.99999999999999999999",
                out_of_range("99999999999999999999"),
            ),
            // Numbers are read before the prerelease, the first bad one wins.
            (
                "1.2.99999999999999999999-01",
                out_of_range("99999999999999999999"),
            ),
            (
                "99999999999999999999.99999999999999999998",
                out_of_range("99999999999999999999"),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(try_parse_version(text), Err(want), "{text}");
        }
        assert_eq!(
            out_of_range("99999999999999999999").to_string(),
            "error parsing version segment: strconv.ParseUint: parsing \"99999999999999999999\": value out of range"
        );
        assert_eq!(
            VersionError::LeadingZero.to_string(),
            "version segment starts with 0"
        );
        assert_eq!(
            VersionError::Invalid.to_string(),
            "invalid semantic version"
        );
    }

    #[test]
    fn labels_masterminds_accepts_are_versions() {
        for (text, pre, build) in [
            ("1.2.3-0a", "0a", ""),
            ("1.2.3-0", "0", ""),
            ("1.2.3+01", "", "01"),
            ("1.2.3-a-b+c-d", "a-b", "c-d"),
            (
                "1.2.3-999999999999999999999999",
                "999999999999999999999999",
                "",
            ),
        ] {
            let version = try_parse_version(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((version.pre.as_str(), version.build.as_str()), (pre, build));
        }
    }

    #[test]
    fn compare_is_semver_precedence_ignoring_build_metadata() {
        // The precedence chain from semver.org, item 11.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
        ];
        for pair in chain.windows(2) {
            let (lower, higher) = (v(pair[0]), v(pair[1]));
            assert_eq!(
                compare(&lower, &higher),
                Ordering::Less,
                "{lower} < {higher}"
            );
            assert_eq!(
                compare(&higher, &lower),
                Ordering::Greater,
                "{higher} > {lower}"
            );
        }
        // ASCII order: upper case before lower case, as Masterminds documents.
        assert_eq!(compare(&v("1.2.3-BETA"), &v("1.2.3-alpha")), Ordering::Less);
        assert_eq!(compare(&v("1.0.0+a"), &v("1.0.0+b")), Ordering::Equal);
        assert_eq!(
            compare(&v("1.0.0-rc.1+a"), &v("1.0.0-rc.1")),
            Ordering::Equal
        );
        // Why `compare` exists: `Version`'s `Ord` does not ignore build metadata.
        assert_ne!(v("1.0.0+a").cmp(&v("1.0.0+b")), Ordering::Equal);
    }

    #[test]
    fn highest_matching_tag_wins() {
        let tags = [
            "v1.0.0",
            "v1.2.0",
            "1.10.0",
            "v2.0.0",
            "v1.11.0-rc.1",
            "latest",
            "v1.5.0",
        ];
        let pick = |range: &str| highest_matching(&constraint(range), tags).map(|(tag, _)| tag);
        assert_eq!(pick(">=1.0.0 <2.0.0"), Some("1.10.0"));
        assert_eq!(pick("~1.2"), Some("v1.2.0"));
        assert_eq!(pick("^3"), None);
        assert_eq!(pick(">=1.0.0-0 <2.0.0"), Some("v1.11.0-rc.1"));
        assert_eq!(
            highest_matching(&constraint("*"), tags),
            Some(("v2.0.0", Version::new(2, 0, 0)))
        );
    }

    #[test]
    fn loose_tags_are_not_candidates() {
        // "1.9" is not strict SemVer, so Flux skips it even though 1.9.0 would match.
        assert_eq!(
            highest_matching(&constraint("~1.9"), ["1.9", "1.8.0"]),
            None
        );
        let found = highest_matching(&constraint("1.x"), ["01.2.3", "1.2.2"]);
        assert_eq!(found.map(|(tag, _)| tag), Some("1.2.2"));
    }

    #[test]
    fn equal_versions_pick_the_greater_tag_whatever_the_order() {
        let range = constraint("1.x");
        for tags in [["1.0.0", "v1.0.0"], ["v1.0.0", "1.0.0"]] {
            let found = highest_matching(&range, tags).map(|(tag, _)| tag);
            assert_eq!(found, Some("v1.0.0"));
        }
        for tags in [["1.0.0+a", "1.0.0+b"], ["1.0.0+b", "1.0.0+a"]] {
            let found = highest_matching(&range, tags).map(|(tag, _)| tag);
            assert_eq!(found, Some("1.0.0+b"));
        }
        // A higher version wins over a greater tag string.
        let found = highest_matching(&range, ["v1.0.0", "1.0.1"]).map(|(tag, _)| tag);
        assert_eq!(found, Some("1.0.1"));
    }
}
