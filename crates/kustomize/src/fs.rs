//! The only way the engine touches files: a root it can never leave.
//!
//! Every path the engine handles is a [`RootPath`]: a normalised list of components relative
//! to the root. Joining refuses absolute paths and `..` above the root; resolving follows
//! symlinks component by component and refuses any link whose target lands outside the root.
//! [`DiskFs`] implements this over a real directory, [`MemFs`] in memory for tests.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// How many symlinks one resolution may follow before it is called a loop.
const MAX_SYMLINK_HOPS: usize = 40;

/// Why a filesystem operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// The path does not exist.
    #[error("'{0}' does not exist")]
    NotFound(String),
    /// The path (or a symlink on the way) points outside the root.
    #[error("'{0}' resolves outside the build root")]
    Escapes(String),
    /// An absolute path was given where only paths relative to a kustomization are allowed.
    #[error("'{0}' is an absolute path; only paths relative to the kustomization are allowed")]
    Absolute(String),
    /// Too many symlinks.
    #[error("'{0}': too many levels of symbolic links")]
    SymlinkLoop(String),
    /// A file was expected but a directory was found (or the reverse).
    #[error("'{path}' is not a {expected}")]
    WrongKind {
        /// The offending path.
        path: String,
        /// "file" or "directory".
        expected: &'static str,
    },
    /// A filesystem layer could not produce the file's content (e.g. a decrypting layer
    /// refused a tampered file); `reason` never holds file content.
    #[error("'{path}' cannot be read: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The operating system refused the operation.
    #[error("reading '{path}'")]
    Io {
        /// The path being read.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// A normalised path inside a confined root ("" components never, no `.` or `..`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RootPath {
    parts: Vec<String>,
}

impl RootPath {
    /// The root itself.
    #[must_use]
    pub fn root() -> RootPath {
        RootPath::default()
    }

    /// Parses a path relative to the root (`a/b/../c`); refuses absolute paths and escapes.
    pub fn parse(path: &str) -> Result<RootPath, FsError> {
        RootPath::root().join(path)
    }

    /// Joins a relative path lexically (like Go's `filepath.Join` + `Clean`), refusing absolute
    /// paths and any `..` that would climb above the root.
    pub fn join(&self, rel: &str) -> Result<RootPath, FsError> {
        if rel.starts_with('/') || rel.starts_with('\\') || has_drive_prefix(rel) {
            return Err(FsError::Absolute(rel.to_string()));
        }
        let mut parts = self.parts.clone();
        for comp in rel.split('/') {
            match comp {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err(FsError::Escapes(rel.to_string()));
                    }
                }
                c => parts.push(c.to_string()),
            }
        }
        Ok(RootPath { parts })
    }

    /// The parent directory (the root's parent is the root).
    #[must_use]
    pub fn parent(&self) -> RootPath {
        let mut parts = self.parts.clone();
        parts.pop();
        RootPath { parts }
    }

    /// The last component, if any.
    #[must_use]
    pub fn file_name(&self) -> Option<&str> {
        self.parts.last().map(String::as_str)
    }

    /// The components.
    #[must_use]
    pub fn components(&self) -> &[String] {
        &self.parts
    }

    /// Whether `self` is `other` or lies below it.
    #[must_use]
    pub fn starts_with(&self, other: &RootPath) -> bool {
        self.parts.len() >= other.parts.len() && self.parts[..other.parts.len()] == other.parts[..]
    }

    /// A child path; `name` is one component (an entry name read from a directory).
    #[must_use]
    pub(crate) fn child(&self, name: &str) -> RootPath {
        let mut parts = self.parts.clone();
        parts.push(name.to_string());
        RootPath { parts }
    }

    /// The path of `self` relative to the directory `base`, with `..` where needed
    /// (like Go's `filepath.Rel`).
    #[must_use]
    pub fn relative_to(&self, base: &RootPath) -> String {
        let common = self
            .parts
            .iter()
            .zip(base.parts.iter())
            .take_while(|(a, b)| a == b)
            .count();
        let mut out: Vec<&str> = vec![".."; base.parts.len() - common];
        for p in &self.parts[common..] {
            out.push(p);
        }
        if out.is_empty() {
            ".".to_string()
        } else {
            out.join("/")
        }
    }
}

fn has_drive_prefix(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && cfg!(windows)
}

impl fmt::Display for RootPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.parts.is_empty() {
            f.write_str(".")
        } else {
            f.write_str(&self.parts.join("/"))
        }
    }
}

impl fmt::Debug for RootPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RootPath({self})")
    }
}

/// What a resolved path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
}

/// What a single, unresolved path component is (for [`ConfinedFs`] implementors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawEntry {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link with its target as written.
    Symlink(String),
}

/// A read-only filesystem confined to a root. Implementors only provide the three primitives
/// on already-resolved paths; [`ConfinedFs::resolve`] (symlink following with confinement) is
/// shared so every implementation refuses escapes the same way.
pub trait ConfinedFs {
    /// What the entry at `path` is, without following a symlink at the last component.
    /// `Ok(None)` when it does not exist. Intermediate components are already resolved.
    fn lstat(&self, path: &RootPath) -> Result<Option<RawEntry>, FsError>;

    /// The bytes of the regular file at the resolved `path`.
    fn read_raw(&self, path: &RootPath) -> Result<Vec<u8>, FsError>;

    /// The entry names of the resolved directory `path` (any order).
    fn list_raw(&self, path: &RootPath) -> Result<Vec<String>, FsError>;

    /// How to show a path in messages (relative to the root by default).
    fn display_path(&self, path: &RootPath) -> String {
        path.to_string()
    }

    /// Maps an absolute symlink target to a path inside the root, when it points inside it.
    /// The default refuses every absolute target.
    fn absolute_target(&self, _target: &str) -> Option<RootPath> {
        None
    }

    /// Follows symlinks inside the root. Returns the real path and its kind, `Ok(None)` when it
    /// does not exist, and an error when a link leaves the root or loops.
    fn resolve(&self, path: &RootPath) -> Result<Option<(RootPath, EntryKind)>, FsError> {
        resolve_with(self, path)
    }

    /// Reads a file (following symlinks inside the root).
    fn read_file(&self, path: &RootPath) -> Result<Vec<u8>, FsError> {
        match self.resolve(path)? {
            None => Err(FsError::NotFound(path.to_string())),
            Some((real, EntryKind::File)) => self.read_raw(&real),
            Some((_, EntryKind::Dir)) => Err(FsError::WrongKind {
                path: path.to_string(),
                expected: "file",
            }),
        }
    }

    /// Lists a directory's entry names, sorted (following symlinks inside the root).
    fn read_dir(&self, path: &RootPath) -> Result<Vec<String>, FsError> {
        match self.resolve(path)? {
            None => Err(FsError::NotFound(path.to_string())),
            Some((real, EntryKind::Dir)) => {
                let mut names = self.list_raw(&real)?;
                names.sort();
                Ok(names)
            }
            Some((_, EntryKind::File)) => Err(FsError::WrongKind {
                path: path.to_string(),
                expected: "directory",
            }),
        }
    }
}

fn resolve_with<F: ConfinedFs + ?Sized>(
    fs: &F,
    path: &RootPath,
) -> Result<Option<(RootPath, EntryKind)>, FsError> {
    let mut pending: Vec<String> = path.parts.iter().rev().cloned().collect();
    let mut cur = RootPath::root();
    let mut hops = 0;
    while let Some(comp) = pending.pop() {
        match comp.as_str() {
            "" | "." => continue,
            ".." => {
                if cur.parts.pop().is_none() {
                    return Err(FsError::Escapes(path.to_string()));
                }
                continue;
            }
            _ => {}
        }
        let candidate = cur.child(&comp);
        match fs.lstat(&candidate)? {
            None => return Ok(None),
            Some(RawEntry::Symlink(target)) => {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(FsError::SymlinkLoop(path.to_string()));
                }
                if target.starts_with('/') {
                    match fs.absolute_target(&target) {
                        Some(inside) => {
                            cur = RootPath::root();
                            for part in inside.parts.iter().rev() {
                                pending.push(part.clone());
                            }
                            continue;
                        }
                        None => return Err(FsError::Escapes(path.to_string())),
                    }
                }
                for part in target.split('/').rev() {
                    pending.push(part.to_string());
                }
            }
            Some(RawEntry::Dir) => cur = candidate,
            Some(RawEntry::File) => {
                if !pending.iter().all(|p| p.is_empty() || p == ".") {
                    return Ok(None);
                }
                return Ok(Some((candidate, EntryKind::File)));
            }
        }
    }
    Ok(Some((cur, EntryKind::Dir)))
}

/// A [`ConfinedFs`] over a real directory.
///
/// Symlinks are resolved by the engine itself (component by component), so a link pointing
/// outside the root is refused even when its target exists. Relative link targets are
/// interpreted inside the root; absolute ones are refused. The check and the later read are
/// separate system calls: the root must not be modified concurrently by an untrusted party
/// (the controller builds from a directory it just unpacked and owns).
#[derive(Debug, Clone)]
pub struct DiskFs {
    root: PathBuf,
}

impl DiskFs {
    /// Confines reads to `root` (which must be an existing directory).
    pub fn new(root: impl AsRef<Path>) -> Result<DiskFs, FsError> {
        let root = root.as_ref();
        let canon = std::fs::canonicalize(root).map_err(|source| FsError::Io {
            path: root.display().to_string(),
            source,
        })?;
        if !canon.is_dir() {
            return Err(FsError::WrongKind {
                path: root.display().to_string(),
                expected: "directory",
            });
        }
        Ok(DiskFs { root: canon })
    }

    /// The real directory this filesystem is confined to.
    #[must_use]
    pub fn root_dir(&self) -> &Path {
        &self.root
    }

    /// The real path of a root path. A component that is not a plain name (which the
    /// engine never produces) is refused rather than allowed to climb out of the root.
    fn real(&self, path: &RootPath) -> Result<PathBuf, FsError> {
        let mut p = self.root.clone();
        for c in &path.parts {
            if c.is_empty() || c == "." || c == ".." || c.contains(['/', '\0']) {
                return Err(FsError::Escapes(path.to_string()));
            }
            p.push(c);
        }
        Ok(p)
    }
}

impl ConfinedFs for DiskFs {
    fn display_path(&self, path: &RootPath) -> String {
        if self.root == Path::new("/") {
            format!("/{}", path.components().join("/"))
        } else {
            path.to_string()
        }
    }

    fn absolute_target(&self, target: &str) -> Option<RootPath> {
        let rest = Path::new(target).strip_prefix(&self.root).ok()?;
        let rest = rest.to_str()?;
        RootPath::parse(rest).ok()
    }

    fn lstat(&self, path: &RootPath) -> Result<Option<RawEntry>, FsError> {
        let real = self.real(path)?;
        match std::fs::symlink_metadata(&real) {
            Ok(md) => {
                let ft = md.file_type();
                if ft.is_symlink() {
                    let target = std::fs::read_link(&real).map_err(|source| FsError::Io {
                        path: path.to_string(),
                        source,
                    })?;
                    Ok(Some(RawEntry::Symlink(
                        target.to_string_lossy().into_owned(),
                    )))
                } else if ft.is_dir() {
                    Ok(Some(RawEntry::Dir))
                } else {
                    Ok(Some(RawEntry::File))
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) if e.raw_os_error() == Some(20) => Ok(None), // ENOTDIR
            Err(source) => Err(FsError::Io {
                path: path.to_string(),
                source,
            }),
        }
    }

    fn read_raw(&self, path: &RootPath) -> Result<Vec<u8>, FsError> {
        std::fs::read(self.real(path)?).map_err(|source| FsError::Io {
            path: path.to_string(),
            source,
        })
    }

    fn list_raw(&self, path: &RootPath) -> Result<Vec<String>, FsError> {
        let rd = std::fs::read_dir(self.real(path)?).map_err(|source| FsError::Io {
            path: path.to_string(),
            source,
        })?;
        let mut names = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|source| FsError::Io {
                path: path.to_string(),
                source,
            })?;
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        Ok(names)
    }
}

#[derive(Debug, Clone)]
enum MemEntry {
    File(Vec<u8>),
    Dir,
    Symlink(String),
}

/// An in-memory [`ConfinedFs`] for tests; build it with [`MemFs::file`], [`MemFs::dir`] and
/// [`MemFs::symlink`].
#[derive(Debug, Clone, Default)]
pub struct MemFs {
    entries: BTreeMap<RootPath, MemEntry>,
}

impl MemFs {
    /// An empty filesystem (just the root directory).
    #[must_use]
    pub fn new() -> MemFs {
        MemFs::default()
    }

    fn ensure_parents(&mut self, path: &RootPath) {
        let mut cur = RootPath::root();
        for part in path.parts.iter().take(path.parts.len().saturating_sub(1)) {
            cur = cur.child(part);
            self.entries.entry(cur.clone()).or_insert(MemEntry::Dir);
        }
    }

    /// Adds (or replaces) a file, creating parent directories. Invalid paths are ignored.
    #[must_use]
    pub fn file(mut self, path: &str, content: impl AsRef<[u8]>) -> MemFs {
        if let Ok(p) = RootPath::parse(path) {
            self.ensure_parents(&p);
            self.entries
                .insert(p, MemEntry::File(content.as_ref().to_vec()));
        }
        self
    }

    /// Adds a directory, creating parents.
    #[must_use]
    pub fn dir(mut self, path: &str) -> MemFs {
        if let Ok(p) = RootPath::parse(path) {
            self.ensure_parents(&p);
            self.entries.insert(p, MemEntry::Dir);
        }
        self
    }

    /// Adds a symlink whose target is written verbatim (it may point anywhere, even outside).
    #[must_use]
    pub fn symlink(mut self, path: &str, target: &str) -> MemFs {
        if let Ok(p) = RootPath::parse(path) {
            self.ensure_parents(&p);
            self.entries
                .insert(p, MemEntry::Symlink(target.to_string()));
        }
        self
    }
}

impl ConfinedFs for MemFs {
    fn lstat(&self, path: &RootPath) -> Result<Option<RawEntry>, FsError> {
        if path.parts.is_empty() {
            return Ok(Some(RawEntry::Dir));
        }
        Ok(self.entries.get(path).map(|e| match e {
            MemEntry::File(_) => RawEntry::File,
            MemEntry::Dir => RawEntry::Dir,
            MemEntry::Symlink(t) => RawEntry::Symlink(t.clone()),
        }))
    }

    fn read_raw(&self, path: &RootPath) -> Result<Vec<u8>, FsError> {
        match self.entries.get(path) {
            Some(MemEntry::File(b)) => Ok(b.clone()),
            Some(_) => Err(FsError::WrongKind {
                path: path.to_string(),
                expected: "file",
            }),
            None => Err(FsError::NotFound(path.to_string())),
        }
    }

    fn list_raw(&self, path: &RootPath) -> Result<Vec<String>, FsError> {
        let depth = path.parts.len() + 1;
        Ok(self
            .entries
            .keys()
            .filter(|k| k.parts.len() == depth && k.starts_with(path))
            .filter_map(|k| k.file_name().map(str::to_string))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joining_refuses_escapes_and_absolute_paths() {
        let base = RootPath::parse("a/b").unwrap();
        assert_eq!(base.join("../c").unwrap().to_string(), "a/c");
        assert!(matches!(base.join("../../../x"), Err(FsError::Escapes(_))));
        assert!(matches!(
            base.join("/etc/passwd"),
            Err(FsError::Absolute(_))
        ));
    }

    #[test]
    fn symlinks_inside_the_root_resolve_and_outside_ones_are_refused() {
        let fs = MemFs::new()
            .file("real/x.yaml", "a: 1")
            .symlink("link", "real")
            .symlink("out", "../../etc")
            .symlink("abs", "/etc/passwd")
            .symlink("loop", "loop");
        let (p, k) = fs
            .resolve(&RootPath::parse("link/x.yaml").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.to_string(), k),
            ("real/x.yaml".to_string(), EntryKind::File)
        );
        assert!(matches!(
            fs.resolve(&RootPath::parse("out/passwd").unwrap()),
            Err(FsError::Escapes(_))
        ));
        assert!(matches!(
            fs.read_file(&RootPath::parse("abs").unwrap()),
            Err(FsError::Escapes(_))
        ));
        assert!(matches!(
            fs.resolve(&RootPath::parse("loop").unwrap()),
            Err(FsError::SymlinkLoop(_))
        ));
    }

    #[test]
    fn relative_paths_climb_with_dot_dot() {
        let a = RootPath::parse("overlays/prod").unwrap();
        let b = RootPath::parse("bases/app/d.yaml").unwrap();
        assert_eq!(b.relative_to(&a), "../../bases/app/d.yaml");
        assert_eq!(a.relative_to(&a), ".");
    }
}
