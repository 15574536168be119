//! Which files of a source go into its artifact: gitignore-syntax rules as Flux applies them.
//!
//! Always excluded: VCS metadata. Then either `spec.ignore` (which replaces the defaults) or
//! Flux's default exclusions (images, archives, CI config, release tooling). Then every
//! `.sourceignore` file in the tree, each relative to its own directory, deeper files winning.

use std::path::{Path, PathBuf};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// VCS files, always excluded (Flux's `ExcludeVCS`).
const EXCLUDE_VCS: &[&str] = &[".git/", ".gitignore", ".gitmodules", ".gitattributes"];

/// Flux's default exclusions, used when `spec.ignore` is unset.
const DEFAULT_EXCLUSIONS: &[&str] = &[
    "*.jpg",
    "*.jpeg",
    "*.gif",
    "*.png",
    "*.wmv",
    "*.flv",
    "*.tar.gz",
    "*.zip",
    ".github/",
    ".circleci/",
    ".travis.yml",
    ".gitlab-ci.yml",
    "appveyor.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "codeship-services.yml",
    "codeship-steps.yml",
    "**/.goreleaser.yml",
    "**/.sops.yaml",
    "**/.flux.yaml",
];

/// The file name of per-directory ignore files.
pub(crate) const SOURCE_IGNORE_FILE: &str = ".sourceignore";

/// Compiled ignore rules for one source tree.
#[derive(Debug)]
pub struct IgnoreRules {
    base: Gitignore,
    /// `.sourceignore` matchers, shallowest first, with the directory each applies to.
    nested: Vec<(PathBuf, Gitignore)>,
}

impl IgnoreRules {
    /// No rules at all (for tests and copies).
    pub fn none() -> Self {
        Self {
            base: Gitignore::empty(),
            nested: Vec::new(),
        }
    }

    /// The rules for the tree at `root`, given `spec.ignore`.
    pub fn for_tree(root: &Path, spec_ignore: Option<&str>) -> Self {
        let mut builder = GitignoreBuilder::new(root);
        for line in EXCLUDE_VCS {
            let _ = builder.add_line(None, line);
        }
        match spec_ignore {
            Some(text) => {
                for line in text.lines() {
                    // An invalid line is skipped, as git does.
                    let _ = builder.add_line(None, line);
                }
            }
            None => {
                for line in DEFAULT_EXCLUSIONS {
                    let _ = builder.add_line(None, line);
                }
            }
        }
        let base = builder.build().unwrap_or_else(|_| Gitignore::empty());
        let mut nested = Vec::new();
        collect_source_ignores(root, Path::new(""), &base, &mut nested);
        Self { base, nested }
    }

    /// Whether `relative` (a path inside the tree) is excluded.
    pub fn is_ignored(&self, relative: &Path, is_dir: bool) -> bool {
        let mut ignored = matches!(
            self.base.matched_path_or_any_parents(relative, is_dir),
            Match::Ignore(_)
        );
        for (dir, matcher) in &self.nested {
            let Ok(inner) = relative.strip_prefix(dir) else {
                continue;
            };
            if inner.as_os_str().is_empty() {
                continue;
            }
            match matcher.matched_path_or_any_parents(inner, is_dir) {
                Match::Ignore(_) => ignored = true,
                Match::Whitelist(_) => ignored = false,
                Match::None => {}
            }
        }
        ignored
    }
}

/// Finds `.sourceignore` files (not following symlinks, not inside excluded directories).
fn collect_source_ignores(
    root: &Path,
    relative: &Path,
    base: &Gitignore,
    out: &mut Vec<(PathBuf, Gitignore)>,
) {
    let dir = root.join(relative);
    let candidate = dir.join(SOURCE_IGNORE_FILE);
    if std::fs::symlink_metadata(&candidate).is_ok_and(|m| m.is_file()) {
        let (matcher, _) = Gitignore::new(&candidate);
        out.push((relative.to_path_buf(), matcher));
    }
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut subdirs: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| relative.join(e.file_name()))
        .filter(|rel| {
            !matches!(
                base.matched_path_or_any_parents(rel, true),
                Match::Ignore(_)
            )
        })
        .collect();
    subdirs.sort();
    for sub in subdirs {
        collect_source_ignores(root, &sub, base, out);
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            ".git/config",
            ".github/workflows/ci.yaml",
            "deploy/app.yaml",
            "deploy/logo.png",
            "deploy/secret.txt",
            "docs/index.md",
            ".sops.yaml",
            "nested/.goreleaser.yml",
        ] {
            let path = dir.path().join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "x").unwrap();
        }
        dir
    }

    #[test]
    fn default_exclusions_apply_without_spec_ignore() {
        let dir = tree();
        let rules = IgnoreRules::for_tree(dir.path(), None);
        assert!(rules.is_ignored(Path::new(".git"), true));
        assert!(rules.is_ignored(Path::new(".git/config"), false));
        assert!(rules.is_ignored(Path::new(".github"), true));
        assert!(rules.is_ignored(Path::new("deploy/logo.png"), false));
        assert!(rules.is_ignored(Path::new(".sops.yaml"), false));
        assert!(rules.is_ignored(Path::new("nested/.goreleaser.yml"), false));
        assert!(!rules.is_ignored(Path::new("deploy/app.yaml"), false));
    }

    #[test]
    fn spec_ignore_replaces_the_defaults_but_not_vcs() {
        let dir = tree();
        let rules = IgnoreRules::for_tree(dir.path(), Some("/*\n!/deploy\n"));
        assert!(rules.is_ignored(Path::new("docs"), true));
        assert!(!rules.is_ignored(Path::new("deploy"), true));
        assert!(
            !rules.is_ignored(Path::new("deploy/logo.png"), false),
            "defaults are replaced"
        );
        assert!(
            rules.is_ignored(Path::new(".git"), true),
            "VCS is always excluded"
        );
    }

    #[test]
    fn sourceignore_files_apply_relative_to_their_directory() {
        let dir = tree();
        fs::write(dir.path().join(".sourceignore"), "docs/\n").unwrap();
        fs::write(dir.path().join("deploy/.sourceignore"), "secret.txt\n").unwrap();
        let rules = IgnoreRules::for_tree(dir.path(), None);
        assert!(rules.is_ignored(Path::new("docs"), true));
        assert!(rules.is_ignored(Path::new("deploy/secret.txt"), false));
        assert!(!rules.is_ignored(Path::new("deploy/app.yaml"), false));
    }

    #[test]
    fn deeper_sourceignore_can_reinclude() {
        let dir = tree();
        fs::write(dir.path().join(".sourceignore"), "*.txt\n").unwrap();
        fs::write(dir.path().join("deploy/.sourceignore"), "!secret.txt\n").unwrap();
        let rules = IgnoreRules::for_tree(dir.path(), None);
        assert!(!rules.is_ignored(Path::new("deploy/secret.txt"), false));
    }
}
