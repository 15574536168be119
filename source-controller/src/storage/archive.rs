//! Deterministic tar.gz of a directory: the same tree always gives the same bytes, so the same
//! commit gives the same digest. Entries are sorted; owners, names and times are zeroed; modes
//! are normalised (0600 files, 0700 executables, 0750 directories, as Flux); symlinks and
//! special files are skipped, so nothing outside the tree can be pulled in through a link.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use super::{IgnoreRules, StorageError, io_err};

/// Bounds on what one artifact may contain.
#[derive(Debug, Clone, Copy)]
pub struct ArchiveLimits {
    /// Maximum number of entries.
    pub max_files: usize,
    /// Maximum total uncompressed size in bytes.
    pub max_bytes: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self {
            max_files: 200_000,
            max_bytes: 2 << 30,
        }
    }
}

struct Counter {
    files: usize,
    bytes: u64,
}

/// Writes the tar.gz of `root` to `out`.
pub(super) fn write_tar_gz(
    root: &Path,
    ignore: &IgnoreRules,
    limits: &ArchiveLimits,
    out: &mut dyn Write,
) -> Result<(), StorageError> {
    let gz = GzEncoder::new(out, Compression::default());
    let mut builder = tar::Builder::new(gz);
    builder.mode(tar::HeaderMode::Deterministic);
    let mut counter = Counter { files: 0, bytes: 0 };
    append_dir(
        &mut builder,
        root,
        Path::new(""),
        ignore,
        limits,
        &mut counter,
    )?;
    let gz = builder
        .into_inner()
        .map_err(io_err("finishing the archive of", root))?;
    gz.finish().map_err(io_err("compressing", root))?;
    Ok(())
}

fn append_dir<W: Write>(
    builder: &mut tar::Builder<W>,
    root: &Path,
    relative: &Path,
    ignore: &IgnoreRules,
    limits: &ArchiveLimits,
    counter: &mut Counter,
) -> Result<(), StorageError> {
    let dir = root.join(relative);
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .map_err(io_err("reading directory", &dir))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()
        .map_err(io_err("reading directory", &dir))?;
    // Byte order of names, as Go's filepath.Walk: stable across machines and locales.
    entries.sort();
    for name in entries {
        let rel = relative.join(&name);
        let path = root.join(&rel);
        let meta = fs::symlink_metadata(&path).map_err(io_err("inspecting", &path))?;
        let kind = meta.file_type();
        if kind.is_symlink() || !(kind.is_file() || kind.is_dir()) {
            continue;
        }
        if ignore.is_ignored(&rel, kind.is_dir()) {
            continue;
        }
        counter.files += 1;
        if counter.files > limits.max_files {
            return Err(StorageError::TooLarge(format!(
                "the source has more than {} files",
                limits.max_files
            )));
        }
        let mut header = tar::Header::new_gnu();
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        if kind.is_dir() {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(0o750);
            header.set_size(0);
            builder
                .append_data(&mut header, format!("{}/", rel.display()), io::empty())
                .map_err(io_err("archiving", &path))?;
            append_dir(builder, root, &rel, ignore, limits, counter)?;
        } else {
            counter.bytes += meta.len();
            if counter.bytes > limits.max_bytes {
                return Err(StorageError::TooLarge(format!(
                    "the source is larger than {} bytes",
                    limits.max_bytes
                )));
            }
            let executable = meta.permissions().mode() & 0o111 != 0;
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(if executable { 0o700 } else { 0o600 });
            header.set_size(meta.len());
            let file = fs::File::open(&path).map_err(io_err("opening", &path))?;
            // Read at most the size recorded in the header, even if the file grows meanwhile.
            builder
                .append_data(&mut header, &rel, io::Read::take(file, meta.len()))
                .map_err(io_err("archiving", &path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Read;

    use super::*;

    fn archive(root: &Path, ignore: &IgnoreRules) -> Vec<u8> {
        let mut out = Vec::new();
        write_tar_gz(root, ignore, &ArchiveLimits::default(), &mut out).unwrap();
        out
    }

    fn entries(bytes: &[u8]) -> BTreeMap<String, (u32, Vec<u8>)> {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
        let mut out = BTreeMap::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let header = entry.header().clone();
            assert_eq!(header.mtime().unwrap(), 0);
            assert_eq!(header.uid().unwrap(), 0);
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            out.insert(
                entry.path().unwrap().display().to_string(),
                (header.mode().unwrap(), data),
            );
        }
        out
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("deploy/app")).unwrap();
        fs::write(
            dir.path().join("deploy/app/deployment.yaml"),
            "kind: Deployment\n",
        )
        .unwrap();
        fs::write(dir.path().join("README.md"), "# hi\n").unwrap();
        fs::write(dir.path().join("run.sh"), "#!/bin/sh\n").unwrap();
        fs::set_permissions(dir.path().join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
        dir
    }

    #[test]
    fn same_tree_gives_same_bytes_whatever_times_and_owners() {
        let a = tree();
        let first = archive(a.path(), &IgnoreRules::none());
        std::thread::sleep(std::time::Duration::from_millis(20));
        let b = tree();
        let second = archive(b.path(), &IgnoreRules::none());
        assert_eq!(first, second);
    }

    #[test]
    fn modes_are_normalised() {
        let dir = tree();
        let entries = entries(&archive(dir.path(), &IgnoreRules::none()));
        assert_eq!(entries["run.sh"].0, 0o700);
        assert_eq!(entries["README.md"].0, 0o600);
        assert_eq!(entries["deploy/"].0, 0o750);
        assert_eq!(
            entries["deploy/app/deployment.yaml"].1,
            b"kind: Deployment\n"
        );
    }

    #[test]
    fn symlinks_are_never_followed() {
        let dir = tree();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret"), "top secret").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("link")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("linkdir")).unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("deploy/etc")).unwrap();
        let entries = entries(&archive(dir.path(), &IgnoreRules::none()));
        assert!(
            entries
                .keys()
                .all(|k| !k.contains("link") && !k.contains("etc")),
            "{:?}",
            entries.keys()
        );
        assert!(entries.values().all(|(_, data)| data != b"top secret"));
    }

    #[test]
    fn limits_are_enforced() {
        let dir = tree();
        let mut out = Vec::new();
        let tiny = ArchiveLimits {
            max_files: 2,
            max_bytes: 1 << 20,
        };
        assert!(matches!(
            write_tar_gz(dir.path(), &IgnoreRules::none(), &tiny, &mut out),
            Err(StorageError::TooLarge(_))
        ));
        let small = ArchiveLimits {
            max_files: 100,
            max_bytes: 5,
        };
        assert!(matches!(
            write_tar_gz(dir.path(), &IgnoreRules::none(), &small, &mut out),
            Err(StorageError::TooLarge(_))
        ));
    }
}
