//! A scratch clone driven by the `git` CLI, to prepare history on a test server.

use std::path::{Path, PathBuf};

use super::run_git;

/// A non-bare repository in a temp dir whose `origin` is a server's bare repository (by path).
///
/// Starts on an unborn `main` branch with a fixed author, so tests can write files, commit,
/// branch, tag and push in a few lines. Every method panics with git's stderr when git fails.
#[derive(Debug)]
pub struct WorkingCopy {
    dir: tempfile::TempDir,
}

impl WorkingCopy {
    /// A new empty working copy whose `origin` is `bare` (a path or any URL git can push to).
    ///
    /// # Panics
    /// When the temp dir cannot be made or git fails.
    pub fn new(bare: &Path) -> WorkingCopy {
        let dir = match tempfile::Builder::new().prefix("capstan-git-wc-").tempdir() {
            Ok(dir) => dir,
            Err(error) => panic!("creating a temp dir for a working copy: {error}"),
        };
        let wc = WorkingCopy { dir };
        wc.git(&["init", "--quiet", "--initial-branch=main"]);
        wc.git(&["config", "user.name", "Capstan Test"]);
        wc.git(&["config", "user.email", "test@capstan.invalid"]);
        wc.git(&["config", "commit.gpgsign", "false"]);
        wc.git(&["remote", "add", "origin", &bare.to_string_lossy()]);
        wc
    }

    /// The working copy's directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `file` (relative; parent directories are created).
    ///
    /// # Panics
    /// When the file cannot be written.
    pub fn write(&self, file: &str, contents: &str) -> &Self {
        let path: PathBuf = self.path().join(file);
        let written = match path.parent() {
            Some(parent) => {
                std::fs::create_dir_all(parent).and_then(|()| std::fs::write(&path, contents))
            }
            None => std::fs::write(&path, contents),
        };
        if let Err(error) = written {
            panic!("writing {}: {error}", path.display());
        }
        self
    }

    /// Deletes `file` (relative) from the working tree.
    ///
    /// # Panics
    /// When the file cannot be removed.
    pub fn remove(&self, file: &str) -> &Self {
        let path = self.path().join(file);
        if let Err(error) = std::fs::remove_file(&path) {
            panic!("removing {}: {error}", path.display());
        }
        self
    }

    /// Stages everything and commits with `message` (allowing an empty commit); returns the
    /// commit's full hash.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "--allow-empty", "-m", message]);
        self.head()
    }

    /// Creates branch `name` at HEAD (or moves it there) and switches to it.
    pub fn branch(&self, name: &str) -> &Self {
        self.git(&["checkout", "--quiet", "-B", name]);
        self
    }

    /// Switches to the existing branch, tag or commit `target`.
    pub fn checkout(&self, target: &str) -> &Self {
        self.git(&["checkout", "--quiet", target]);
        self
    }

    /// Creates the lightweight tag `name` at HEAD.
    pub fn tag(&self, name: &str) -> &Self {
        self.git(&["tag", name]);
        self
    }

    /// Creates the annotated tag `name` at HEAD with `message`.
    pub fn annotated_tag(&self, name: &str, message: &str) -> &Self {
        self.git(&["tag", "-a", name, "-m", message]);
        self
    }

    /// Pushes HEAD to `remote_ref` on origin, forcing (e.g. `main`, `refs/pull/1/head`).
    pub fn push_head(&self, remote_ref: &str) -> &Self {
        self.git(&[
            "push",
            "--quiet",
            "--force",
            "origin",
            &format!("HEAD:{remote_ref}"),
        ]);
        self
    }

    /// Pushes every local branch and tag to origin, forcing.
    pub fn push_all(&self) -> &Self {
        self.git(&["push", "--quiet", "--force", "--all", "origin"]);
        self.git(&["push", "--quiet", "--force", "--tags", "origin"]);
        self
    }

    /// The full hash of HEAD.
    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    /// Runs `git` with `args` in the working copy and returns its trimmed stdout.
    ///
    /// # Panics
    /// When git fails, with its stderr.
    pub fn git(&self, args: &[&str]) -> String {
        run_git(Some(self.path()), args)
    }
}
