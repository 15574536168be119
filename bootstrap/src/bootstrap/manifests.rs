//! The files bootstrap commits under `<path>/<namespace>/`: `components.yaml` (what `capstan
//! install --export` prints), `sync.yaml` (a GitRepository of this repository and a
//! Kustomization of `<path>`, prune on) and the `kustomization.yaml` listing both.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// The files bootstrap owns in its directory; anything else there is refused.
pub(super) const FILES: [&str; 3] = ["components.yaml", "sync.yaml", "kustomization.yaml"];

/// What the sync objects point at.
pub(super) struct Sync<'a> {
    pub(super) namespace: &'a str,
    pub(super) name: &'a str,
    pub(super) url: &'a str,
    pub(super) branch: &'a str,
    pub(super) path: &'a str,
    pub(super) interval: &'a str,
    pub(super) secret_name: &'a str,
}

/// `<path>/<namespace>` inside the repository, refusing paths that leave it.
pub(super) fn directory(repo: &Path, path: &str, namespace: &str) -> anyhow::Result<PathBuf> {
    let relative = Path::new(path.trim_start_matches("./"));
    if relative.components().any(|c| {
        matches!(
            c,
            Component::ParentDir | Component::RootDir | Component::Prefix(_)
        )
    }) {
        bail!("--path '{path}' must be a relative path inside the repository");
    }
    Ok(repo.join(relative).join(namespace))
}

/// Refuses to write into a directory holding files bootstrap did not write; the error names
/// the directory as it is in the repository at `repo`.
pub(super) fn check_no_unrelated_files(repo: &Path, dir: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let unrelated: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !FILES.contains(&name.as_str()))
        .collect();
    if !unrelated.is_empty() {
        bail!(
            "{} in the repository already holds files bootstrap did not write ({}); move them elsewhere or choose another --path",
            dir.strip_prefix(repo).unwrap_or(dir).display(),
            unrelated.join(", ")
        );
    }
    Ok(())
}

/// The GitRepository and Kustomization that make the cluster follow the repository.
pub(super) fn sync_objects(sync: &Sync<'_>) -> Vec<Value> {
    let path = format!(
        "./{}",
        sync.path.trim_start_matches("./").trim_end_matches('/')
    )
    .replace("/.", "");
    let path = if path == "./" || path == "." {
        "./".to_string()
    } else {
        path
    };
    vec![
        json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "GitRepository",
            "metadata": { "name": sync.name, "namespace": sync.namespace },
            "spec": {
                "interval": sync.interval,
                "ref": { "branch": sync.branch },
                "secretRef": { "name": sync.secret_name },
                "url": sync.url,
            }
        }),
        json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": { "name": sync.name, "namespace": sync.namespace },
            "spec": {
                "interval": "10m0s",
                "path": path,
                "prune": true,
                "sourceRef": { "kind": "GitRepository", "name": sync.name },
            }
        }),
    ]
}

/// Multi-document YAML of `objects`.
pub(super) fn to_yaml(objects: &[Value]) -> anyhow::Result<String> {
    let mut out = String::new();
    for object in objects {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(object).context("serializing manifests")?);
    }
    Ok(out)
}

/// Writes the three files into `dir`.
pub(super) fn write(dir: &Path, components: &str, sync: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- components.yaml\n- sync.yaml\n";
    for (name, content) in [
        ("components.yaml", components),
        ("sync.yaml", sync),
        ("kustomization.yaml", kustomization),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, content).with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sync(path: &str) -> Vec<Value> {
        sync_objects(&Sync {
            namespace: "capstan-system",
            name: "capstan-system",
            url: "ssh://git@example.com/fleet.git",
            branch: "main",
            path,
            interval: "1m",
            secret_name: "capstan-system",
        })
    }

    #[test]
    fn the_kustomization_syncs_the_cluster_path_with_prune() {
        let objects = sync("clusters/dev");
        assert_eq!(objects[0]["spec"]["ref"]["branch"], "main");
        assert_eq!(objects[1]["spec"]["path"], "./clusters/dev");
        assert_eq!(objects[1]["spec"]["prune"], true);
        assert_eq!(sync(".")[1]["spec"]["path"], "./");
        assert_eq!(sync("./clusters/dev/")[1]["spec"]["path"], "./clusters/dev");
    }

    #[test]
    fn paths_leaving_the_repository_are_refused() {
        assert!(directory(Path::new("/r"), "../x", "ns").is_err());
        assert!(directory(Path::new("/r"), "/etc", "ns").is_err());
        assert_eq!(
            directory(Path::new("/r"), "./clusters/dev", "ns").unwrap(),
            Path::new("/r/clusters/dev/ns")
        );
    }

    #[test]
    fn unrelated_files_are_refused() {
        let repo = tempfile::tempdir().unwrap();
        let dir = repo.path().join("clusters/dev/capstan-system");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("sync.yaml"), "x").unwrap();
        assert!(check_no_unrelated_files(repo.path(), &dir).is_ok());
        std::fs::write(dir.join("notes.txt"), "x").unwrap();
        let error = check_no_unrelated_files(repo.path(), &dir)
            .unwrap_err()
            .to_string();
        assert!(error.contains("notes.txt"), "{error}");
        assert!(
            error.starts_with("clusters/dev/capstan-system in the repository"),
            "{error}"
        );
    }
}
