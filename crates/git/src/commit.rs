//! Local writes: open or create a repository, stage everything under a path, commit.

use std::path::{Component, Path};

use git2::{IndexAddOption, Repository, RepositoryInitOptions};

use crate::Error;
use crate::revision::{Commit, Signature};

/// What [`commit_all`] records.
#[derive(Clone, Debug)]
pub struct CommitOptions {
    /// The commit message.
    pub message: String,
    /// The author; also the committer unless [`CommitOptions::committer`] is set.
    pub author: Signature,
    /// The committer, when different from the author.
    pub committer: Option<Signature>,
    /// Commit even when nothing changed (else [`commit_all`] returns `None`).
    pub allow_empty: bool,
}

impl CommitOptions {
    /// A commit by `author` with `message`, skipped when nothing changed.
    pub fn new(message: &str, author: Signature) -> CommitOptions {
        CommitOptions {
            message: message.to_string(),
            author,
            committer: None,
            allow_empty: false,
        }
    }
}

/// Opens the repository whose work tree is `dir`, or creates one there with HEAD on the unborn
/// `branch` (for a first commit to push to an empty remote).
pub fn open_or_init(dir: &Path, branch: &str) -> Result<(), Error> {
    if Repository::open(dir).is_ok() {
        return Ok(());
    }
    let mut options = RepositoryInitOptions::new();
    options.initial_head(branch).mkpath(true);
    Repository::init_opts(dir, &options)
        .map(drop)
        .map_err(Error::local("initialising", dir))
}

/// Stages every change under `path` (relative to the work tree; empty or `.` for all):
/// new, modified and deleted files, honouring `.gitignore`, then commits it on HEAD (the
/// checked-out branch, or the detached HEAD).
///
/// Returns `None`, and leaves HEAD alone, when the staged tree equals HEAD's and
/// [`CommitOptions::allow_empty`] is off, so automation does not push empty commits.
pub fn commit_all(
    dir: &Path,
    path: &Path,
    options: &CommitOptions,
) -> Result<Option<Commit>, Error> {
    let repo = Repository::open(dir).map_err(Error::local("opening", dir))?;
    let pathspec = pathspec(path).ok_or_else(|| Error::Io {
        operation: "staging",
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path must be relative to the work tree, without '..'",
        ),
    })?;
    let specs: Vec<&str> = pathspec.as_deref().into_iter().collect();

    let mut index = repo
        .index()
        .map_err(Error::local("reading the index", dir))?;
    index
        .add_all(specs.iter(), IndexAddOption::DEFAULT, None)
        .map_err(Error::local("staging", dir))?;
    index
        .update_all(specs.iter(), None)
        .map_err(Error::local("staging deletions", dir))?;
    index
        .write()
        .map_err(Error::local("writing the index", dir))?;
    let tree_id = index
        .write_tree()
        .map_err(Error::local("writing the tree", dir))?;
    let tree = repo
        .find_tree(tree_id)
        .map_err(Error::local("reading the tree", dir))?;

    let parent = match repo.head() {
        Ok(head) => Some(
            head.peel_to_commit()
                .map_err(Error::local("reading HEAD", dir))?,
        ),
        Err(error)
            if matches!(
                error.code(),
                git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
            ) =>
        {
            None
        }
        Err(error) => return Err(Error::local("reading HEAD", dir)(error)),
    };
    let unchanged = match &parent {
        Some(parent) => parent.tree_id() == tree_id,
        None => tree.is_empty(),
    };
    if unchanged && !options.allow_empty {
        return Ok(None);
    }

    let author = git2::Signature::now(&options.author.name, &options.author.email)
        .map_err(Error::local("making the author signature", dir))?;
    let committer = match &options.committer {
        Some(c) => git2::Signature::now(&c.name, &c.email)
            .map_err(Error::local("making the committer signature", dir))?,
        None => author.clone(),
    };
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let oid = repo
        .commit(
            Some("HEAD"),
            &author,
            &committer,
            &options.message,
            &tree,
            &parents,
        )
        .map_err(Error::local("committing", dir))?;
    let commit = repo
        .find_commit(oid)
        .map_err(Error::local("reading the new commit", dir))?;

    let head = repo.head().map_err(Error::local("reading HEAD", dir))?;
    let (name, reference) = if head.is_branch() {
        (
            head.shorthand().ok().map(str::to_string),
            head.name().ok().map(str::to_string),
        )
    } else {
        (None, None)
    };
    Ok(Some(Commit::from_git(&commit, name.as_deref(), reference)))
}

/// The libgit2 pathspec for `path`: `None` for the whole tree, `Some(dir)` for a subtree, or
/// nothing usable when `path` is absolute or climbs out with `..`.
fn pathspec(path: &Path) -> Option<Option<String>> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?.to_string()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    })
}

/// The hash of the commit HEAD points at in the repository at `dir`.
pub fn head_commit(dir: &Path) -> Result<String, Error> {
    let repo = Repository::open(dir).map_err(Error::local("opening", dir))?;
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(Error::local("reading HEAD of", dir))?;
    Ok(head.id().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn author() -> Signature {
        Signature::new("Capstan", "capstan@example.com")
    }

    #[test]
    fn pathspecs_stay_inside_the_work_tree() {
        assert_eq!(pathspec(Path::new("")), Some(None));
        assert_eq!(pathspec(Path::new(".")), Some(None));
        assert_eq!(
            pathspec(Path::new("./clusters/prod")),
            Some(Some("clusters/prod".into()))
        );
        assert_eq!(pathspec(Path::new("../x")), None);
        assert_eq!(pathspec(Path::new("/etc")), None);
    }

    #[test]
    fn commits_additions_modifications_and_deletions_and_skips_no_ops() {
        let dir = tempfile::tempdir().unwrap();
        open_or_init(dir.path(), "main").unwrap();
        std::fs::write(dir.path().join("a.yaml"), "a: 1\n").unwrap();
        std::fs::write(dir.path().join("b.yaml"), "b: 1\n").unwrap();
        let first = commit_all(
            dir.path(),
            Path::new(""),
            &CommitOptions::new("first", author()),
        )
        .unwrap()
        .unwrap();
        assert!(
            first.revision.starts_with("main@sha1:"),
            "{}",
            first.revision
        );
        assert_eq!(first.reference.as_deref(), Some("refs/heads/main"));

        assert!(
            commit_all(
                dir.path(),
                Path::new(""),
                &CommitOptions::new("nothing", author())
            )
            .unwrap()
            .is_none()
        );

        std::fs::write(dir.path().join("a.yaml"), "a: 2\n").unwrap();
        std::fs::remove_file(dir.path().join("b.yaml")).unwrap();
        std::fs::write(dir.path().join("c.yaml"), "c: 1\n").unwrap();
        let second = commit_all(
            dir.path(),
            Path::new("."),
            &CommitOptions::new("second", author()),
        )
        .unwrap()
        .unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        let tree = repo
            .find_commit(git2::Oid::from_str(&second.hash).unwrap())
            .unwrap()
            .tree()
            .unwrap();
        let names: Vec<String> = tree
            .iter()
            .filter_map(|e| e.name().ok().map(str::to_string))
            .collect();
        assert_eq!(names, ["a.yaml", "c.yaml"]);
        assert_eq!(second.summary(), "second");
        assert_eq!(second.author, author());
    }

    #[test]
    fn only_the_given_path_is_staged() {
        let dir = tempfile::tempdir().unwrap();
        open_or_init(dir.path(), "main").unwrap();
        std::fs::create_dir_all(dir.path().join("apps")).unwrap();
        std::fs::write(dir.path().join("apps/x.yaml"), "x\n").unwrap();
        std::fs::write(dir.path().join("outside.yaml"), "y\n").unwrap();
        let commit = commit_all(
            dir.path(),
            Path::new("apps"),
            &CommitOptions::new("apps", author()),
        )
        .unwrap()
        .unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        let tree = repo
            .find_commit(git2::Oid::from_str(&commit.hash).unwrap())
            .unwrap()
            .tree()
            .unwrap();
        assert!(tree.get_name("apps").is_some());
        assert!(tree.get_name("outside.yaml").is_none());
    }

    #[test]
    fn empty_commits_only_when_allowed() {
        let dir = tempfile::tempdir().unwrap();
        open_or_init(dir.path(), "main").unwrap();
        assert!(
            commit_all(
                dir.path(),
                Path::new(""),
                &CommitOptions::new("empty", author())
            )
            .unwrap()
            .is_none()
        );
        let mut options = CommitOptions::new("empty", author());
        options.allow_empty = true;
        options.committer = Some(Signature::new("Bot", "bot@example.com"));
        let commit = commit_all(dir.path(), Path::new(""), &options)
            .unwrap()
            .unwrap();
        assert_eq!(commit.committer.name, "Bot");
    }
}
