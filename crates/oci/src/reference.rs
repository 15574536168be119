//! What an OCIRepository's `spec.ref` resolves to, and Flux's revision string for it.

use std::fmt;
use std::sync::LazyLock;

use capstan_semver::Constraint;
use regex::Regex;

/// A tag as the OCI distribution spec allows it.
static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// A reference pinned to one manifest: the digest, and the tag it was found under (none when
/// `ref.digest` was given).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Resolved {
    /// The tag the digest was resolved from (`ref.tag`, or the tag `ref.semver` selected).
    pub tag: Option<String>,
    /// The manifest digest, `sha256:<hex>`.
    pub digest: String,
}

impl Resolved {
    /// The artifact revision exactly as Flux writes it: `<tag>@sha256:<hex>`, or
    /// `sha256:<hex>` when the reference was a digest.
    pub fn revision(&self) -> String {
        match &self.tag {
            Some(tag) => format!("{tag}@{}", self.digest),
            None => self.digest.clone(),
        }
    }

    /// The lower-case hex part of the digest, which Flux uses to name stored files.
    pub fn digest_hex(&self) -> &str {
        self.digest
            .split_once(':')
            .map_or(self.digest.as_str(), |(_, hex)| hex)
    }

    /// The tag, else the digest: what to name in messages.
    pub fn reference(&self) -> &str {
        self.tag.as_deref().unwrap_or(&self.digest)
    }
}

impl fmt::Display for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.revision())
    }
}

/// Checks a digest is `sha256:` followed by 64 lower-case hex digits (what Flux accepts in
/// `ref.digest`).
pub(crate) fn check_digest(digest: &str) -> Result<(), String> {
    let Some(hex) = digest.strip_prefix("sha256:") else {
        return Err("a digest must be 'sha256:<64 hex digits>'".to_string());
    };
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err("a digest must be 'sha256:<64 lower-case hex digits>'".to_string());
    }
    Ok(())
}

/// Checks a tag is valid per the OCI distribution spec.
pub(crate) fn check_tag(tag: &str) -> Result<(), String> {
    if TAG.is_match(tag) {
        Ok(())
    } else {
        Err(
            "a tag is up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'"
                .to_string(),
        )
    }
}

/// Picks the tag with the highest version in `range` among the tags matching `filter`, as
/// Flux's OCIRepository does: tags are strict SemVer with an optional `v`, and equal versions
/// (`v1.0.0` and `1.0.0`, or differing build metadata) go to the greater tag string, so the
/// choice is deterministic (see [`capstan_semver::highest_matching`]).
///
/// Returns the number of candidates considered (after the filter) with the choice.
pub fn select_semver_tag<'a>(
    tags: impl IntoIterator<Item = &'a str>,
    range: &Constraint,
    filter: Option<&Regex>,
) -> (Option<&'a str>, usize) {
    let mut candidates = 0;
    let filtered = tags
        .into_iter()
        .filter(|tag| filter.is_none_or(|f| f.is_match(tag)))
        .inspect(|_| candidates += 1);
    let best = capstan_semver::highest_matching(range, filtered).map(|(tag, _)| tag);
    (best, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn select<'a>(tags: &[&'a str], range: &str, filter: Option<&str>) -> Option<&'a str> {
        let range = Constraint::parse(range).unwrap_or_else(|e| panic!("{e}"));
        let filter = filter.map(|f| Regex::new(f).unwrap_or_else(|e| panic!("{e}")));
        select_semver_tag(tags.iter().copied(), &range, filter.as_ref()).0
    }

    #[test]
    fn revision_is_tag_at_digest_or_the_digest_alone() {
        let tagged = Resolved {
            tag: Some("v1.2.3".into()),
            digest: DIGEST.into(),
        };
        assert_eq!(tagged.revision(), format!("v1.2.3@{DIGEST}"));
        assert_eq!(tagged.digest_hex().len(), 64);
        let pinned = Resolved {
            tag: None,
            digest: DIGEST.into(),
        };
        assert_eq!(pinned.revision(), DIGEST);
        assert_eq!(pinned.reference(), DIGEST);
    }

    #[test]
    fn digests_must_be_sha256_hex() {
        assert!(check_digest(DIGEST).is_ok());
        assert!(check_digest("sha256:abc").is_err());
        assert!(check_digest(&DIGEST.to_uppercase()).is_err());
        assert!(check_digest(&DIGEST.replace("sha256", "sha512")).is_err());
        assert!(check_digest("latest").is_err());
    }

    #[test]
    fn tags_follow_the_distribution_spec() {
        for tag in ["latest", "v1.2.3", "1.0.0-rc.1", "main_2024.01", "_x"] {
            assert!(check_tag(tag).is_ok(), "{tag}");
        }
        for tag in ["", ".x", "-x", "a/b", "a:b", &"a".repeat(129)] {
            assert!(check_tag(tag).is_err(), "{tag}");
        }
    }

    #[test]
    fn highest_matching_semver_tag_wins() {
        let tags = [
            "latest",
            "1.0.0",
            "v1.2.0",
            "1.10.0",
            "2.0.0",
            "1.11.0-rc.1",
            "1.9",
        ];
        assert_eq!(select(&tags, ">=1.0.0 <2.0.0", None), Some("1.10.0"));
        assert_eq!(select(&tags, "*", None), Some("2.0.0"));
        assert_eq!(select(&tags, "~1.2", None), Some("v1.2.0"));
        assert_eq!(select(&tags, "^1", None), Some("1.10.0"));
        assert_eq!(select(&tags, "1.x", None), Some("1.10.0"));
        assert_eq!(select(&tags, ">=3.0.0", None), None);
    }

    #[test]
    fn loose_versions_are_not_candidates() {
        // "1.9" is not strict SemVer, so Flux skips it even though 1.9.0 would match.
        assert_eq!(select(&["1.9", "1.8.0"], "~1.9", None), None);
        assert_eq!(select(&["01.2.3", "1.2.2"], "1.x", None), Some("1.2.2"));
    }

    #[test]
    fn filter_is_applied_before_the_range() {
        let tags = ["1.0.0-dev", "1.1.0", "1.2.0-dev.1", "1.3.0"];
        assert_eq!(
            select(&tags, ">=1.0.0-0", Some("-dev")),
            Some("1.2.0-dev.1")
        );
        assert_eq!(select(&tags, ">=1.0.0", Some("^1\\.1")), Some("1.1.0"));
        let range = Constraint::parse("*").unwrap_or_else(|e| panic!("{e}"));
        let filter = Regex::new("dev").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(select_semver_tag(tags, &range, Some(&filter)).1, 2);
    }

    #[test]
    fn equal_versions_pick_the_greater_tag() {
        assert_eq!(select(&["1.0.0", "v1.0.0"], "1.x", None), Some("v1.0.0"));
        assert_eq!(select(&["v1.0.0", "1.0.0"], "1.x", None), Some("v1.0.0"));
    }
}
