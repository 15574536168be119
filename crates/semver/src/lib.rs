//! `capstan-semver`: the constraint language of Masterminds/semver v3, the Go library behind
//! Flux's `GitRepository`/`OCIRepository` `ref.semver`, image automation's ImagePolicy
//! `semver.range`, and Helm's `semverCompare` and chart version ranges. Versions are the
//! `semver` crate's [`Version`]; this crate adds only what Masterminds does differently.
//!
//! **Entry points.**
//! - [`Constraint::parse`] reads `>=1.2 <2.0.0, !=1.3.1 || ~3.1 || 4.x || 5.0 - 5.4` and
//!   [`Constraint::matches`] checks a version against it.
//! - [`parse_tag`] reads a tag as Flux does (strict SemVer, optional `v`); [`parse_version`]
//!   coerces loose versions as Masterminds' `NewVersion` does (`1`, `v1.2`, `01.2.3`).
//! - [`try_parse_version`] and [`Constraint::parse_masterminds`] fail with Masterminds' own
//!   error texts ([`VersionError`], [`MastermindsError`]), for tools whose users see them
//!   (Helm's `semver` and `semverCompare`).
//! - [`highest_matching`] picks the tag with the highest matching version.
//! - [`compare`] orders versions by SemVer precedence (build metadata ignored), which
//!   `Version`'s own `Ord` does not.
//!
//! **The language.** An expression is `||` alternatives of comparisons that must all hold,
//! separated by spaces or commas. A comparison is an operator (`=` or none, `!=`, `>`, `<`,
//! `>=` or `=>`, `<=` or `=<`, `~` or `~>`, `^`) and a version that may omit parts, use `x`, `X`
//! or `*` as a wildcard, carry a `v` prefix, a prerelease and build metadata (ignored).
//! `A - B` means `>= A, <= B`. A wildcard widens the comparison to the whole range it stands
//! for: `1.2` and `1.2.x` are `>=1.2.0 <1.3.0`, `<=1.2` is `<1.3.0`, `>1.2` is `>=1.3.0`, `~1.2.3`
//! is `>=1.2.3 <1.3.0`, `^1.2.3` is `>=1.2.3 <2.0.0` and `^0.2.3` is `>=0.2.3 <0.3.0`. Those
//! bounds are by number, so they also exclude (or include) the prereleases of `1.3.0`.
//!
//! ```
//! use capstan_semver::{Constraint, highest_matching, parse_version};
//!
//! let range = Constraint::parse("^1.2")?;
//! assert!(range.matches(&parse_version("1.9").ok_or("not a version")?));
//! let tags = ["v1.1.0", "v1.4.2", "v1.5.0-rc.1", "v2.0.0", "latest"];
//! let (tag, _version) = highest_matching(&range, tags).ok_or("no match")?;
//! assert_eq!(tag, "v1.4.2");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Prereleases** follow Masterminds v3.4 and later: a version with a prerelease matches an
//! alternative only if one of that alternative's comparisons itself names a prerelease, so
//! `>=1.2.3` skips `1.3.0-rc.1` while `>=1.2.3-0` and `>=1.2.3-0 <2.0.0` find it. Unlike npm,
//! the prerelease may be on any version, not only the comparison's own `major.minor.patch`.
//!
//! **Code over documentation.** Where Masterminds' code and its documentation disagree, this
//! crate follows the code, because Flux and Helm run that code: `^*` matches only `0.0.0` and
//! `<=*` only `0.0.x` (the documentation suggests "any").
//!
//! **Tags versus versions.** Flux selects tags with strict SemVer and an optional `v`, so
//! `1.2` is not a candidate tag; [`highest_matching`] uses [`parse_tag`] for that reason.
//! [`parse_version`] is for inputs Masterminds reads loosely (Helm chart versions, template
//! arguments).

#![deny(missing_docs)]

mod constraint;
mod masterminds;
mod version;

pub use constraint::{Constraint, ConstraintError};
pub use masterminds::MastermindsError;
pub use semver::Version;
pub use version::{
    VersionError, compare, highest_matching, parse_tag, parse_version, try_parse_version,
};
