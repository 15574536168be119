//! Deterministic tar.gz of a directory: the same tree always gives the same bytes, so the same
//! commit gives the same digest. Entries are sorted by byte order of their names; owners,
//! owner names and times are zeroed; modes are normalised (0600 files, 0700 executables, 0750
//! directories, as Flux); symlinks and special files are skipped.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::{ArchiveError, Limits};

/// What a pack wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PackStats {
    /// Entries written (files and directories).
    pub entries: u64,
    /// Bytes of file content written (uncompressed).
    pub bytes: u64,
}

/// Writes the tar.gz of `root` to `out`, leaving out every path for which `exclude(relative
/// path, is_dir)` is true (an excluded directory is not descended into).
pub fn pack_dir(
    root: &Path,
    exclude: &dyn Fn(&Path, bool) -> bool,
    limits: &Limits,
    out: &mut dyn Write,
) -> Result<PackStats, ArchiveError> {
    let gz = GzEncoder::new(out, Compression::default());
    let mut builder = tar::Builder::new(gz);
    let mut stats = PackStats::default();
    append_dir(
        &mut builder,
        root,
        Path::new(""),
        exclude,
        limits,
        &mut stats,
    )?;
    let gz = builder
        .into_inner()
        .map_err(ArchiveError::io("finishing the archive of", root))?;
    gz.finish().map_err(ArchiveError::io("compressing", root))?;
    Ok(stats)
}

fn append_dir<W: Write>(
    builder: &mut tar::Builder<W>,
    root: &Path,
    relative: &Path,
    exclude: &dyn Fn(&Path, bool) -> bool,
    limits: &Limits,
    stats: &mut PackStats,
) -> Result<(), ArchiveError> {
    let dir = root.join(relative);
    let mut names: Vec<_> = fs::read_dir(&dir)
        .map_err(ArchiveError::io("reading directory", &dir))?
        .map(|entry| entry.map(|e| e.file_name()))
        .collect::<Result<_, _>>()
        .map_err(ArchiveError::io("reading directory", &dir))?;
    // Byte order of names, as Go's filepath.Walk: stable across machines and locales.
    names.sort();
    for name in names {
        let rel = relative.join(&name);
        let path = root.join(&rel);
        let meta = fs::symlink_metadata(&path).map_err(ArchiveError::io("inspecting", &path))?;
        let kind = meta.file_type();
        if kind.is_symlink() || !(kind.is_file() || kind.is_dir()) || exclude(&rel, kind.is_dir()) {
            continue;
        }
        stats.entries += 1;
        if stats.entries > limits.max_entries {
            return Err(ArchiveError::TooLarge {
                what: format!("the number of files under {}", root.display()),
                limit: limits.max_entries,
            });
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
                .map_err(ArchiveError::io("archiving", &path))?;
            append_dir(builder, root, &rel, exclude, limits, stats)?;
        } else {
            stats.bytes += meta.len();
            if stats.bytes > limits.max_size {
                return Err(ArchiveError::TooLarge {
                    what: format!("the size of {}", root.display()),
                    limit: limits.max_size,
                });
            }
            let executable = meta.permissions().mode() & 0o111 != 0;
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(if executable { 0o700 } else { 0o600 });
            header.set_size(meta.len());
            let file = fs::File::open(&path).map_err(ArchiveError::io("opening", &path))?;
            // Read at most the size recorded in the header, even if the file grows meanwhile.
            builder
                .append_data(&mut header, &rel, io::Read::take(file, meta.len()))
                .map_err(ArchiveError::io("archiving", &path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Read;

    use super::*;

    fn nothing(_: &Path, _: bool) -> bool {
        false
    }

    fn pack(root: &Path) -> Vec<u8> {
        let mut out = Vec::new();
        pack_dir(root, &nothing, &Limits::default(), &mut out).unwrap();
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
        let first = pack(tree().path());
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(first, pack(tree().path()));
    }

    #[test]
    fn modes_are_normalised() {
        let entries = entries(&pack(tree().path()));
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
        let entries = entries(&pack(dir.path()));
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
    fn excluded_paths_are_left_out_and_not_descended() {
        let dir = tree();
        let mut out = Vec::new();
        let exclude = |path: &Path, _: bool| path.starts_with("deploy");
        pack_dir(dir.path(), &exclude, &Limits::default(), &mut out).unwrap();
        assert!(entries(&out).keys().all(|k| !k.starts_with("deploy")));
    }

    #[test]
    fn limits_are_enforced() {
        let dir = tree();
        let mut out = Vec::new();
        let few = Limits {
            max_entries: 2,
            max_size: 1 << 20,
        };
        assert!(matches!(
            pack_dir(dir.path(), &nothing, &few, &mut out),
            Err(ArchiveError::TooLarge { .. })
        ));
        let small = Limits {
            max_entries: 100,
            max_size: 5,
        };
        assert!(matches!(
            pack_dir(dir.path(), &nothing, &small, &mut out),
            Err(ArchiveError::TooLarge { .. })
        ));
    }

    #[test]
    fn packed_trees_unpack_to_the_same_files() {
        let dir = tree();
        let bytes = pack(dir.path());
        let dest = tempfile::tempdir().unwrap();
        let unpacked = crate::unpack(bytes.as_slice(), dest.path(), &Limits::default()).unwrap();
        assert_eq!(unpacked.files, 3);
        assert_eq!(
            fs::read_to_string(dest.path().join("deploy/app/deployment.yaml")).unwrap(),
            "kind: Deployment\n"
        );
    }
}
