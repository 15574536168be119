//! What to check out (Flux's `spec.ref`), and the shallow clone that does it.

use std::path::Path;

use capstan_api::source::{GitCheckout, GitRepositoryRef};
use git2::build::CheckoutBuilder;
use git2::{Oid, Repository};

use crate::remote::{Remote, Session, select};
use crate::revision::Commit;
use crate::{Deadline, Error};

/// The reference to check out, built from a GitRepository's `spec.ref` with Flux's precedence:
/// commit > name > semver > tag > branch, and branch `master` when nothing is set
/// ([`Checkout::from_ref`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checkout {
    /// The head of a branch (short name, e.g. `main`).
    Branch(String),
    /// A tag (short name, e.g. `v1.0.0`); annotated tags are peeled to their commit.
    Tag(String),
    /// The highest tag matching a SemVer range (Masterminds syntax, `v` prefixes allowed).
    SemVer(String),
    /// Any full reference, e.g. `refs/pull/1/head` or `refs/heads/main`.
    Name(String),
    /// An exact commit; with a branch, that branch is cloned shallowly and must contain it.
    Commit {
        /// The commit hash (full, or a unique prefix).
        commit: String,
        /// The branch to fetch it from.
        branch: Option<String>,
    },
}

impl Default for Checkout {
    /// Flux's default: branch `master`.
    fn default() -> Checkout {
        Checkout::Branch(GitRepositoryRef::DEFAULT_BRANCH.to_string())
    }
}

impl From<GitCheckout<'_>> for Checkout {
    fn from(checkout: GitCheckout<'_>) -> Checkout {
        match checkout {
            GitCheckout::Commit { commit, branch } => Checkout::Commit {
                commit: commit.to_string(),
                branch: branch.map(str::to_string),
            },
            GitCheckout::Name(name) => Checkout::Name(name.to_string()),
            GitCheckout::SemVer(range) => Checkout::SemVer(range.to_string()),
            GitCheckout::Tag(tag) => Checkout::Tag(tag.to_string()),
            GitCheckout::Branch(branch) => Checkout::Branch(branch.to_string()),
        }
    }
}

impl Checkout {
    /// The checkout a GitRepository's `spec.ref` asks for (`None`: branch `master`).
    pub fn from_ref(reference: Option<&GitRepositoryRef>) -> Checkout {
        reference
            .map(|r| Checkout::from(r.checkout()))
            .unwrap_or_default()
    }

    /// The name before `@sha1:` in the revision: the branch, the tag (for a range, the chosen
    /// `tag`), the full reference name; none for a lone commit.
    pub(crate) fn revision_name(&self, tag: Option<&str>) -> Option<String> {
        match self {
            Checkout::Branch(name) | Checkout::Tag(name) | Checkout::Name(name) => {
                Some(name.clone())
            }
            Checkout::SemVer(range) => Some(tag.unwrap_or(range).to_string()),
            Checkout::Commit { branch, .. } => branch.clone(),
        }
    }
}

impl Remote {
    /// Clones `checkout` into `dir` (created if missing, else it must be empty) and checks
    /// its commit out, within `deadline`.
    ///
    /// Branches, tags, semver tags and names are fetched alone at depth 1 (after listing the
    /// remote's references, which gives `RefNotFound`/`NoMatchingTag` before any download).
    /// A branch is checked out as a local branch tracking `origin`, ready to commit and push;
    /// everything else as a detached HEAD. A commit with a branch fetches that branch at
    /// depth 1 and, when the commit is not its tip, the branch's full history. A lone commit
    /// fetches every branch and tag in full: libgit2 speaks protocol v1 only, where most
    /// servers refuse to send an arbitrary commit by hash, so there is no reliable shallow way.
    pub fn clone_into(
        &self,
        dir: &Path,
        checkout: &Checkout,
        deadline: &Deadline,
    ) -> Result<Commit, Error> {
        prepare_dir(dir)?;
        let remote = self.clone();
        let checkout = checkout.clone();
        let dir = dir.to_path_buf();
        let worker_deadline = deadline.clone();
        deadline.run("cloning", &self.url.redacted, move || {
            clone_blocking(&remote, &checkout, &dir, &worker_deadline)
        })
    }
}

/// Creates `dir`, or checks it is an empty directory.
fn prepare_dir(dir: &Path) -> Result<(), Error> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Error::DirectoryNotEmpty {
                    path: dir.to_path_buf(),
                });
            }
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(Error::io("creating", dir))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotADirectory => {
            Err(Error::DirectoryNotEmpty {
                path: dir.to_path_buf(),
            })
        }
        Err(error) => Err(Error::io("reading", dir)(error)),
    }
}

/// Depth that asks libgit2 to fetch the whole history of a shallow repository.
const UNSHALLOW: i32 = i32::MAX;

fn clone_blocking(
    remote: &Remote,
    checkout: &Checkout,
    dir: &Path,
    deadline: &Deadline,
) -> Result<Commit, Error> {
    let repo = Repository::init(dir).map_err(Error::local("initialising", dir))?;
    repo.remote("origin", &remote.url.raw)
        .map_err(Error::local("adding remote origin", dir))?;
    let session = Session::new(remote, deadline, "cloning");
    let url = remote.url();

    if let Checkout::Commit {
        commit,
        branch: None,
    } = checkout
    {
        // No shallow way to ask for an arbitrary commit over protocol v1: fetch everything.
        tracing::debug!(url, commit = %commit, "fetching every branch and tag in full");
        fetch(
            &session,
            &repo,
            &[
                "+refs/heads/*:refs/remotes/origin/*",
                "+refs/tags/*:refs/tags/*",
            ],
            None,
        )?;
        let found = find_commit(&repo, commit).ok_or_else(|| Error::CommitNotFound {
            url: url.to_string(),
            commit: commit.clone(),
            branch: None,
        })?;
        check_out(&repo, dir, &found, None)?;
        return Ok(Commit::from_git(&found, None, None));
    }

    let heads = session.list(&repo)?;
    let target = select(&heads, checkout, url)?;
    tracing::debug!(url, reference = %target.reference, "fetching at depth 1");
    let local = local_ref(&target.reference);
    let refspec = format!("+{}:{local}", target.reference);
    fetch(&session, &repo, &[refspec.as_str()], Some(1))?;
    let tip = peel_ref(&repo, dir, &local)?;

    match checkout {
        Checkout::Commit {
            commit,
            branch: Some(branch),
        } => {
            let wanted = match find_commit(&repo, commit) {
                Some(found) => Some(found),
                None => {
                    // Not the tip: the branch's history is needed to find it.
                    tracing::debug!(url, commit = %commit, "commit is not the branch tip; fetching the branch's history");
                    fetch(&session, &repo, &[refspec.as_str()], Some(UNSHALLOW))?;
                    find_commit(&repo, commit)
                }
            };
            let on_branch = wanted.filter(|c| {
                c.id() == tip.id() || repo.graph_descendant_of(tip.id(), c.id()).unwrap_or(false)
            });
            let found = on_branch.ok_or_else(|| Error::CommitNotFound {
                url: url.to_string(),
                commit: commit.clone(),
                branch: Some(branch.clone()),
            })?;
            check_out(&repo, dir, &found, None)?;
            Ok(Commit::from_git(
                &found,
                Some(branch),
                Some(target.reference),
            ))
        }
        Checkout::Branch(branch) => {
            check_out(&repo, dir, &tip, Some(branch))?;
            Ok(Commit::from_git(&tip, Some(branch), Some(target.reference)))
        }
        Checkout::Tag(_) | Checkout::SemVer(_) | Checkout::Name(_) | Checkout::Commit { .. } => {
            check_out(&repo, dir, &tip, None)?;
            let name = checkout.revision_name(target.tag.as_deref());
            Ok(Commit::from_git(
                &tip,
                name.as_deref(),
                Some(target.reference),
            ))
        }
    }
}

/// Where a fetched remote reference is stored locally: branches as `refs/remotes/origin/*`,
/// everything else under its own name.
fn local_ref(reference: &str) -> String {
    match reference.strip_prefix("refs/heads/") {
        Some(branch) => format!("refs/remotes/origin/{branch}"),
        None => reference.to_string(),
    }
}

fn fetch(
    session: &Session<'_>,
    repo: &Repository,
    refspecs: &[&str],
    depth: Option<i32>,
) -> Result<(), Error> {
    let mut remote = repo.find_remote("origin").map_err(|e| session.fail(e))?;
    let mut options = session.fetch_options();
    if let Some(depth) = depth {
        options.depth(depth);
    }
    remote
        .fetch(refspecs, Some(&mut options), None)
        .map_err(|e| session.fail(e))
}

fn peel_ref<'r>(repo: &'r Repository, dir: &Path, name: &str) -> Result<git2::Commit<'r>, Error> {
    let reference = repo
        .find_reference(name)
        .map_err(Error::local("reading the fetched reference", dir))?;
    reference
        .peel_to_commit()
        .map_err(Error::local("peeling the fetched reference", dir))
}

/// The commit `hash` (full or a unique prefix) if the repository has it.
fn find_commit<'r>(repo: &'r Repository, hash: &str) -> Option<git2::Commit<'r>> {
    if hash.len() < 4 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match Oid::from_str(hash) {
        Ok(oid) if hash.len() == 40 => repo.find_commit(oid).ok(),
        _ => repo.find_commit_by_prefix(hash).ok(),
    }
}

/// Checks `commit` out: on a local `branch` tracking `origin/<branch>`, else detached.
fn check_out(
    repo: &Repository,
    dir: &Path,
    commit: &git2::Commit<'_>,
    branch: Option<&str>,
) -> Result<(), Error> {
    repo.checkout_tree(commit.as_object(), Some(CheckoutBuilder::new().force()))
        .map_err(Error::local("checking out", dir))?;
    match branch {
        Some(name) => {
            let mut local = repo
                .branch(name, commit, true)
                .map_err(Error::local("creating the local branch", dir))?;
            local
                .set_upstream(Some(&format!("origin/{name}")))
                .map_err(Error::local("setting the upstream branch", dir))?;
            repo.set_head(&format!("refs/heads/{name}"))
                .map_err(Error::local("setting HEAD", dir))
        }
        None => repo
            .set_head_detached(commit.id())
            .map_err(Error::local("setting HEAD", dir)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(
        branch: Option<&str>,
        tag: Option<&str>,
        semver: Option<&str>,
        name: Option<&str>,
        commit: Option<&str>,
    ) -> GitRepositoryRef {
        GitRepositoryRef {
            branch: branch.map(str::to_string),
            tag: tag.map(str::to_string),
            semver: semver.map(str::to_string),
            name: name.map(str::to_string),
            commit: commit.map(str::to_string),
        }
    }

    #[test]
    fn precedence_is_commit_name_semver_tag_branch() {
        let all = reference(
            Some("main"),
            Some("v1"),
            Some("^1"),
            Some("refs/pull/1/head"),
            Some("abc1"),
        );
        assert_eq!(
            Checkout::from_ref(Some(&all)),
            Checkout::Commit {
                commit: "abc1".into(),
                branch: Some("main".into())
            }
        );
        let no_commit = reference(
            Some("main"),
            Some("v1"),
            Some("^1"),
            Some("refs/pull/1/head"),
            None,
        );
        assert_eq!(
            Checkout::from_ref(Some(&no_commit)),
            Checkout::Name("refs/pull/1/head".into())
        );
        let no_name = reference(Some("main"), Some("v1"), Some("^1"), None, None);
        assert_eq!(
            Checkout::from_ref(Some(&no_name)),
            Checkout::SemVer("^1".into())
        );
        let tag = reference(Some("main"), Some("v1"), None, None, None);
        assert_eq!(Checkout::from_ref(Some(&tag)), Checkout::Tag("v1".into()));
        let branch = reference(Some("main"), None, None, None, None);
        assert_eq!(
            Checkout::from_ref(Some(&branch)),
            Checkout::Branch("main".into())
        );
    }

    #[test]
    fn nothing_set_means_branch_master() {
        assert_eq!(Checkout::from_ref(None), Checkout::Branch("master".into()));
        assert_eq!(
            Checkout::from_ref(Some(&GitRepositoryRef::default())),
            Checkout::Branch("master".into())
        );
    }

    #[test]
    fn lone_commit_has_no_branch() {
        let only_commit = reference(None, Some("v1"), None, None, Some("abc1"));
        assert_eq!(
            Checkout::from_ref(Some(&only_commit)),
            Checkout::Commit {
                commit: "abc1".into(),
                branch: None
            }
        );
    }

    #[test]
    fn local_refs_keep_branches_apart_from_heads() {
        assert_eq!(local_ref("refs/heads/main"), "refs/remotes/origin/main");
        assert_eq!(local_ref("refs/tags/v1"), "refs/tags/v1");
        assert_eq!(local_ref("refs/pull/1/head"), "refs/pull/1/head");
    }

    #[test]
    fn clone_target_must_be_empty() {
        let dir = tempfile::tempdir().unwrap();
        prepare_dir(dir.path()).unwrap();
        std::fs::write(dir.path().join("f"), "x").unwrap();
        assert!(matches!(
            prepare_dir(dir.path()),
            Err(Error::DirectoryNotEmpty { .. })
        ));
        let missing = dir.path().join("a/b");
        prepare_dir(&missing).unwrap();
        assert!(missing.is_dir());
    }
}
