//! Artifact storage: `<root>/<kind>/<namespace>/<name>/<file>`, served over HTTP.
//!
//! Artifacts are written to a temporary file in the target directory and renamed into place,
//! so a reader (or a crash) never sees half a file; the digest is the sha256 of the compressed
//! bytes, computed while writing. Each reconcile re-verifies the advertised digest and rebuilds
//! on mismatch, and garbage-collects older files of the object.

mod gc;
mod ignore_rules;

use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use capstan_api::meta::Artifact;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use sha2::{Digest, Sha256};

pub use capstan_archive::Limits as ArchiveLimits;
pub use gc::GcOutcome;
pub use ignore_rules::IgnoreRules;

/// Why a storage operation failed; names the path.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A filesystem operation failed.
    #[error("{action} {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Packing the tree failed (too large, unreadable).
    #[error("archiving the source")]
    Archive(#[source] capstan_archive::ArchiveError),
    /// A path given to storage would leave the storage root.
    #[error("refusing path {0:?}: it leaves the storage root")]
    UnsafePath(String),
}

pub(crate) fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> StorageError + 'a {
    move |source| StorageError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The artifact store of one source-controller.
#[derive(Debug, Clone)]
pub struct Storage {
    root: PathBuf,
    advertised: String,
    retention_ttl: Duration,
    retention_records: usize,
}

/// Where an object's artifacts live: `<kind>/<namespace>/<name>`, kind lower-cased as Flux.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactDir {
    kind: String,
    namespace: String,
    name: String,
}

impl ArtifactDir {
    /// The directory of `kind` `namespace/name`.
    pub fn new(kind: &str, namespace: &str, name: &str) -> Self {
        Self {
            kind: kind.to_lowercase(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// The relative path of `file` in this directory, as put in `status.artifact.path`.
    pub fn file(&self, file: &str) -> String {
        format!("{}/{}/{}/{}", self.kind, self.namespace, self.name, file)
    }

    fn relative(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace, self.name)
    }
}

impl Storage {
    /// A store under `root` whose artifacts are advertised at `http://<advertised>/`.
    pub fn new(
        root: impl Into<PathBuf>,
        advertised: &str,
        retention_ttl: Duration,
        retention_records: usize,
    ) -> Self {
        Self {
            root: root.into(),
            advertised: advertised.trim_end_matches('/').to_string(),
            retention_ttl,
            retention_records: retention_records.max(1),
        }
    }

    /// The storage root served over HTTP.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The URL an artifact path is served at.
    pub fn url(&self, relative_path: &str) -> String {
        format!("http://{}/{}", self.advertised, relative_path)
    }

    /// The absolute path of a relative artifact path, refusing anything that leaves the root.
    pub fn local_path(&self, relative_path: &str) -> Result<PathBuf, StorageError> {
        let relative = Path::new(relative_path);
        let safe = relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        if !safe || relative_path.is_empty() {
            return Err(StorageError::UnsafePath(relative_path.to_string()));
        }
        Ok(self.root.join(relative))
    }

    /// Archives `dir` as a deterministic tar.gz (`capstan-archive`) named `file` in `target`,
    /// skipping what `ignore` excludes, symlinks and special files; returns the artifact
    /// (without revision and metadata, which the caller sets).
    pub fn archive(
        &self,
        target: &ArtifactDir,
        file: &str,
        dir: &Path,
        ignore: &IgnoreRules,
        limits: &ArchiveLimits,
    ) -> Result<Artifact, StorageError> {
        let relative = target.file(file);
        let destination = self.local_path(&relative)?;
        let exclude = |path: &Path, is_dir: bool| ignore.is_ignored(path, is_dir);
        self.write_atomically(&destination, |out| {
            capstan_archive::pack_dir(dir, &exclude, limits, out)
                .map(drop)
                .map_err(StorageError::Archive)
        })?;
        self.artifact_for(&relative)
    }

    /// Stores bytes read from `input` as `file` in `target` (e.g. an OCI layer copied as is).
    pub fn store_reader(
        &self,
        target: &ArtifactDir,
        file: &str,
        input: &mut dyn Read,
    ) -> Result<Artifact, StorageError> {
        let relative = target.file(file);
        let destination = self.local_path(&relative)?;
        self.write_atomically(&destination, |out| {
            io::copy(input, out)
                .map(|_| ())
                .map_err(|source| StorageError::Io {
                    action: "copying into",
                    path: PathBuf::from(file),
                    source,
                })
        })?;
        self.artifact_for(&relative)
    }

    /// Computes digest and size of a stored file and describes it as an artifact.
    fn artifact_for(&self, relative: &str) -> Result<Artifact, StorageError> {
        let path = self.local_path(relative)?;
        let (digest, size) = digest_file(&path)?;
        Ok(Artifact {
            digest,
            last_update_time: Time(Timestamp::now()),
            path: relative.to_string(),
            revision: String::new(),
            url: self.url(relative),
            size: i64::try_from(size).ok(),
            metadata: None,
        })
    }

    /// Writes through `fill` into a temporary file beside `destination`, syncs it and renames
    /// it into place; a crash leaves at most a `.tmp-*` file that GC removes.
    fn write_atomically(
        &self,
        destination: &Path,
        fill: impl FnOnce(&mut dyn Write) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let dir = destination
            .parent()
            .ok_or_else(|| StorageError::UnsafePath(destination.display().to_string()))?;
        std::fs::create_dir_all(dir).map_err(io_err("creating directory", dir))?;
        let mut temp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(dir)
            .map_err(io_err("creating a temporary file in", dir))?;
        {
            let mut writer = io::BufWriter::new(temp.as_file_mut());
            fill(&mut writer)?;
            writer.flush().map_err(io_err("writing", destination))?;
        }
        temp.as_file()
            .sync_all()
            .map_err(io_err("syncing", destination))?;
        set_mode(temp.path(), 0o600);
        temp.persist(destination).map_err(|e| StorageError::Io {
            action: "renaming into",
            path: destination.to_path_buf(),
            source: e.error,
        })?;
        Ok(())
    }

    /// Whether the artifact's file exists and still has the advertised digest.
    pub fn verify(&self, artifact: &Artifact) -> Result<bool, StorageError> {
        let path = self.local_path(&artifact.path)?;
        if !path.is_file() {
            return Ok(false);
        }
        let (digest, _) = digest_file(&path)?;
        Ok(digest == artifact.digest)
    }

    /// Deletes a stored file (a corrupt artifact before it is rebuilt).
    pub fn remove(&self, artifact: &Artifact) -> Result<(), StorageError> {
        let path = self.local_path(&artifact.path)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::Io {
                action: "removing",
                path,
                source: e,
            }),
        }
    }

    /// Removes every file of the object (its finalizer).
    pub fn remove_all(&self, target: &ArtifactDir) -> Result<(), StorageError> {
        let path = self.local_path(&target.relative())?;
        match std::fs::remove_dir_all(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::Io {
                action: "removing",
                path,
                source: e,
            }),
        }
    }

    /// Garbage-collects the object's directory, always keeping `current`.
    pub fn garbage_collect(
        &self,
        target: &ArtifactDir,
        current: Option<&Artifact>,
    ) -> Result<GcOutcome, StorageError> {
        let dir = self.local_path(&target.relative())?;
        let keep = current.and_then(|a| {
            Path::new(&a.path)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
        });
        gc::collect(
            &dir,
            keep.as_deref(),
            self.retention_ttl,
            self.retention_records,
        )
    }
}

/// `sha256:<hex>` and size of a file, streamed.
pub fn digest_file(path: &Path) -> Result<(String, u64), StorageError> {
    let mut file = std::fs::File::open(path).map_err(io_err("opening", path))?;
    let mut hasher = Sha256::new();
    let size =
        io::copy(&mut file, &mut HashWriter(&mut hasher)).map_err(io_err("reading", path))?;
    Ok((format!("sha256:{}", hex::encode(hasher.finalize())), size))
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage(root: &Path) -> Storage {
        Storage::new(
            root,
            "source-controller.flux-system.svc.cluster.local.",
            Duration::from_secs(60),
            2,
        )
    }

    #[test]
    fn paths_and_urls_follow_flux_layout() {
        let dir = ArtifactDir::new("GitRepository", "flux-system", "podinfo");
        assert_eq!(
            dir.file("abc.tar.gz"),
            "gitrepository/flux-system/podinfo/abc.tar.gz"
        );
        let store = storage(Path::new("/data"));
        assert_eq!(
            store.url(&dir.file("abc.tar.gz")),
            "http://source-controller.flux-system.svc.cluster.local./gitrepository/flux-system/podinfo/abc.tar.gz"
        );
    }

    #[test]
    fn paths_leaving_the_root_are_refused() {
        let store = storage(Path::new("/data"));
        for bad in ["../etc/passwd", "/etc/passwd", "a/../../b", ""] {
            assert!(
                matches!(store.local_path(bad), Err(StorageError::UnsafePath(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn stored_files_are_verified_and_corruption_is_detected() {
        let root = tempfile::tempdir().unwrap();
        let store = storage(root.path());
        let target = ArtifactDir::new("OCIRepository", "ns", "app");
        let artifact = store
            .store_reader(&target, "x.tgz", &mut &b"layer bytes"[..])
            .unwrap();
        assert_eq!(artifact.size, Some(11));
        assert!(store.verify(&artifact).unwrap());
        std::fs::write(store.local_path(&artifact.path).unwrap(), b"tampered").unwrap();
        assert!(!store.verify(&artifact).unwrap());
        store.remove(&artifact).unwrap();
        assert!(!store.verify(&artifact).unwrap());
    }

    #[test]
    fn a_failed_write_leaves_no_artifact_behind() {
        let root = tempfile::tempdir().unwrap();
        let store = storage(root.path());
        let target = ArtifactDir::new("GitRepository", "ns", "app");
        let destination = store.local_path(&target.file("abc.tar.gz")).unwrap();
        let failed = store.write_atomically(&destination, |out| {
            out.write_all(b"half an archive")
                .map_err(io_err("writing", Path::new("x")))?;
            Err(StorageError::UnsafePath("simulated crash".into()))
        });
        assert!(failed.is_err());
        assert!(!destination.exists());
        let leftovers: Vec<_> = std::fs::read_dir(destination.parent().unwrap())
            .unwrap()
            .collect();
        assert!(
            leftovers.is_empty(),
            "the temporary file is removed: {leftovers:?}"
        );
    }

    #[test]
    fn archived_trees_respect_ignore_rules() {
        let root = tempfile::tempdir().unwrap();
        let store = storage(root.path());
        let tree = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tree.path().join(".git")).unwrap();
        std::fs::write(tree.path().join(".git/config"), "x").unwrap();
        std::fs::write(tree.path().join("app.yaml"), "kind: ConfigMap\n").unwrap();
        let rules = IgnoreRules::for_tree(tree.path(), None);
        let target = ArtifactDir::new("GitRepository", "ns", "app");
        let artifact = store
            .archive(
                &target,
                "1.tar.gz",
                tree.path(),
                &rules,
                &ArchiveLimits::default(),
            )
            .unwrap();
        assert!(artifact.digest.starts_with("sha256:"));
        let file = std::fs::File::open(store.local_path(&artifact.path).unwrap()).unwrap();
        let out = tempfile::tempdir().unwrap();
        capstan_archive::unpack(file, out.path(), &ArchiveLimits::default()).unwrap();
        assert!(out.path().join("app.yaml").is_file());
        assert!(!out.path().join(".git").exists());
    }

    #[test]
    fn remove_all_deletes_the_object_directory_only() {
        let root = tempfile::tempdir().unwrap();
        let store = storage(root.path());
        let a = ArtifactDir::new("GitRepository", "ns", "a");
        let b = ArtifactDir::new("GitRepository", "ns", "b");
        store.store_reader(&a, "1.tar.gz", &mut &b"a"[..]).unwrap();
        let kept = store.store_reader(&b, "1.tar.gz", &mut &b"b"[..]).unwrap();
        store.remove_all(&a).unwrap();
        assert!(!root.path().join("gitrepository/ns/a").exists());
        assert!(store.verify(&kept).unwrap());
    }
}
