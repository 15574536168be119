//! What a checkout yields, and Flux's revision strings.
//!
//! As Flux (RFC 0005): `<name>@sha1:<hex>` where the name is the branch (`main`), the tag
//! (`v1.0.0`, also for a semver range: the tag it chose), or the full reference given as
//! `ref.name` (`refs/pull/1/head`); a lone commit is `sha1:<hex>`; commit with branch is
//! `<branch>@sha1:<hex>`.

/// A person and address, as in a commit's author or committer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
}

impl Signature {
    /// A signature of `name` and `email`.
    pub fn new(name: &str, email: &str) -> Signature {
        Signature {
            name: name.to_string(),
            email: email.to_string(),
        }
    }
}

/// The commit a checkout landed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    /// The full commit hash (hex).
    pub hash: String,
    /// The full reference it was reached by (`refs/heads/main`, `refs/tags/v1.0.0`,
    /// `refs/pull/1/head`); `None` for a lone commit.
    pub reference: Option<String>,
    /// The revision exactly as Flux writes it in `status.artifact.revision`.
    pub revision: String,
    /// The full commit message.
    pub message: String,
    /// Who wrote the change.
    pub author: Signature,
    /// Who made the commit.
    pub committer: Signature,
    /// Commit time, seconds since the Unix epoch.
    pub time: i64,
}

impl Commit {
    /// The first line of the message, as Flux puts it in the "stored artifact for commit"
    /// event.
    pub fn summary(&self) -> &str {
        self.message.lines().next().unwrap_or_default()
    }

    pub(crate) fn from_git(
        commit: &git2::Commit<'_>,
        revision_name: Option<&str>,
        reference: Option<String>,
    ) -> Commit {
        let hash = commit.id().to_string();
        let signature = |s: git2::Signature<'_>| Signature {
            name: String::from_utf8_lossy(s.name_bytes()).into_owned(),
            email: String::from_utf8_lossy(s.email_bytes()).into_owned(),
        };
        Commit {
            revision: format_revision(revision_name, &hash),
            hash,
            reference,
            message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
            author: signature(commit.author()),
            committer: signature(commit.committer()),
            time: commit.time().seconds(),
        }
    }
}

/// What a remote reference points to, found without cloning (see
/// [`crate::Remote::resolve`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteRevision {
    /// The full reference; `None` for a lone commit.
    pub reference: Option<String>,
    /// The commit hash (annotated tags peeled).
    pub hash: String,
    /// The revision exactly as a clone of the same checkout would report it.
    pub revision: String,
}

impl RemoteRevision {
    pub(crate) fn new(
        revision_name: Option<&str>,
        reference: Option<String>,
        hash: String,
    ) -> RemoteRevision {
        RemoteRevision {
            reference,
            revision: format_revision(revision_name, &hash),
            hash,
        }
    }
}

/// `<name>@sha1:<hash>`, or `sha1:<hash>` without a name.
pub fn format_revision(name: Option<&str>, hash: &str) -> String {
    match name {
        Some(name) => format!("{name}@sha1:{hash}"),
        None => format!("sha1:{hash}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Checkout;

    const HASH: &str = "363a6a8fe6a7f13e05d34c163b0ef02a777da20a";

    fn revision(checkout: &Checkout, tag: Option<&str>) -> String {
        format_revision(checkout.revision_name(tag).as_deref(), HASH)
    }

    #[test]
    fn revisions_are_formatted_as_flux() {
        assert_eq!(
            revision(&Checkout::Branch("main".into()), None),
            format!("main@sha1:{HASH}")
        );
        assert_eq!(
            revision(&Checkout::Tag("v1.0.0".into()), None),
            format!("v1.0.0@sha1:{HASH}")
        );
        assert_eq!(
            revision(&Checkout::SemVer(">=1.0.0".into()), Some("v1.2.0")),
            format!("v1.2.0@sha1:{HASH}")
        );
        assert_eq!(
            revision(&Checkout::Name("refs/pull/1/head".into()), None),
            format!("refs/pull/1/head@sha1:{HASH}")
        );
        assert_eq!(
            revision(
                &Checkout::Commit {
                    commit: HASH.into(),
                    branch: None
                },
                None
            ),
            format!("sha1:{HASH}")
        );
        assert_eq!(
            revision(
                &Checkout::Commit {
                    commit: HASH.into(),
                    branch: Some("main".into())
                },
                None
            ),
            format!("main@sha1:{HASH}")
        );
    }

    #[test]
    fn summary_is_the_first_line() {
        let commit = Commit {
            hash: HASH.into(),
            reference: None,
            revision: String::new(),
            message: "Add app\n\nLonger text\n".into(),
            author: Signature::new("a", "a@b"),
            committer: Signature::new("a", "a@b"),
            time: 0,
        };
        assert_eq!(commit.summary(), "Add app");
    }
}
