//! GitRepository `spec.include`: other GitRepositories' artifacts copied into this one.
//!
//! An included repository must be in the same namespace and have an artifact; its stored file
//! is verified against its digest, extracted confined to a temporary directory, and its
//! `fromPath` subtree copied to `toPath` (default: the included repository's name).

use std::path::{Component, Path, PathBuf};

use capstan_api::meta::Artifact;
use capstan_api::source::GitRepository;
use kube::{Api, Client, ResourceExt};

use crate::git::GitRepositoryError;
use crate::storage::Storage;

/// One resolved include.
#[derive(Debug, Clone)]
pub(crate) struct Included {
    /// The included GitRepository's name.
    pub name: String,
    /// The subtree of its artifact to copy.
    pub from_path: String,
    /// Where to put it in this repository's tree.
    pub to_path: String,
    /// Its current artifact.
    pub artifact: Artifact,
}

fn include_error(name: &str, problem: impl Into<String>) -> GitRepositoryError {
    GitRepositoryError::Include {
        name: name.to_string(),
        problem: problem.into(),
    }
}

/// Looks up every include; fails (to be retried) when one is missing or has no artifact yet.
pub(crate) async fn resolve(
    client: &Client,
    object: &GitRepository,
) -> Result<Vec<Included>, GitRepositoryError> {
    let namespace = object.namespace().unwrap_or_default();
    let api: Api<GitRepository> = Api::namespaced(client.clone(), &namespace);
    let mut resolved = Vec::new();
    for include in object.spec.include.iter().flatten() {
        let name = &include.repository.name;
        let repository = api
            .get_opt(name)
            .await
            .map_err(|e| {
                include_error(
                    name,
                    format!("reading GitRepository '{namespace}/{name}': {e}"),
                )
            })?
            .ok_or_else(|| {
                include_error(
                    name,
                    format!("GitRepository '{namespace}/{name}' not found"),
                )
            })?;
        let artifact = repository.status.and_then(|s| s.artifact).ok_or_else(|| {
            include_error(
                name,
                format!("GitRepository '{namespace}/{name}' has no artifact yet"),
            )
        })?;
        resolved.push(Included {
            name: name.clone(),
            from_path: include.from_path.clone().unwrap_or_default(),
            to_path: include.to_path.clone().unwrap_or_else(|| name.clone()),
            artifact,
        });
    }
    Ok(resolved)
}

/// Copies every include into `tree`, replacing what is at each `toPath`.
pub(crate) fn copy_into(
    storage: &Storage,
    includes: &[Included],
    tree: &Path,
) -> Result<(), GitRepositoryError> {
    for include in includes {
        let name = &include.name;
        if !storage
            .verify(&include.artifact)
            .map_err(|e| include_error(name, e.to_string()))?
        {
            return Err(include_error(
                name,
                "its stored artifact is missing or does not match its digest",
            ));
        }
        let file = storage
            .local_path(&include.artifact.path)
            .map_err(|e| include_error(name, e.to_string()))?;
        let unpacked = tempfile::tempdir()
            .map_err(|e| include_error(name, format!("creating a temporary directory: {e}")))?;
        let reader = std::fs::File::open(&file)
            .map_err(|e| include_error(name, format!("opening {}: {e}", file.display())))?;
        capstan_archive::unpack(reader, unpacked.path(), &capstan_archive::Limits::default())
            .map_err(|e| include_error(name, e.to_string()))?;
        let from = unpacked
            .path()
            .join(confined(&include.from_path).ok_or_else(|| {
                include_error(
                    name,
                    format!("fromPath '{}' leaves the artifact", include.from_path),
                )
            })?);
        let to = tree.join(confined(&include.to_path).ok_or_else(|| {
            include_error(
                name,
                format!("toPath '{}' leaves the repository", include.to_path),
            )
        })?);
        if !from.exists() {
            return Err(include_error(
                name,
                format!(
                    "fromPath '{}' does not exist in its artifact",
                    include.from_path
                ),
            ));
        }
        if to.exists() {
            std::fs::remove_dir_all(&to)
                .or_else(|_| std::fs::remove_file(&to))
                .map_err(|e| include_error(name, format!("replacing {}: {e}", include.to_path)))?;
        }
        copy_tree(&from, &to)
            .map_err(|e| include_error(name, format!("copying into {}: {e}", include.to_path)))?;
    }
    Ok(())
}

/// A relative path with no `..` or root, normalised; `None` when it would escape.
fn confined(path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// Copies regular files and directories; links were already dropped by the extraction.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(from)?;
    if meta.is_file() {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(from, to)?;
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() || kind.is_file() {
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_paths_cannot_escape() {
        assert_eq!(confined("deploy/app"), Some(PathBuf::from("deploy/app")));
        assert_eq!(confined("./x/./y"), Some(PathBuf::from("x/y")));
        assert_eq!(confined(""), Some(PathBuf::new()));
        assert_eq!(confined("../x"), None);
        assert_eq!(confined("/etc"), None);
        assert_eq!(confined("a/../../b"), None);
    }
}
