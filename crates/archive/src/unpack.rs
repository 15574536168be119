//! Confined extraction of a tar (optionally gzip-compressed) stream into a directory.
//!
//! Every entry path is made relative and checked before anything is written: `..` and
//! absolute paths are refused, as are device and FIFO entries. Symlinks and hardlinks are
//! skipped (Flux untars artifacts with `WithSkipSymlinks`), and no existing symlink inside
//! the destination is ever followed. Total size and entry count are bounded.

use std::fs::{self, OpenOptions};
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use flate2::read::GzDecoder;
use tar::EntryType;

use crate::{ArchiveError, Limits};

/// What an extraction wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unpacked {
    /// Regular files written.
    pub files: u64,
    /// Directories created by directory entries.
    pub directories: u64,
    /// Bytes of file content written.
    pub bytes: u64,
    /// Symlink and hardlink entries skipped, by archive path.
    pub skipped_links: Vec<String>,
}

/// Extracts a tar or tar.gz stream (detected by the gzip magic bytes) into `dest`, creating
/// it if missing, confined to it and bounded by `limits`.
///
/// On error, what was already written stays: extract into a fresh directory and discard it
/// on failure.
pub fn unpack(reader: impl Read, dest: &Path, limits: &Limits) -> Result<Unpacked, ArchiveError> {
    unpack_cancellable(reader, dest, limits, &AtomicBool::new(false))
}

/// [`unpack`], stopping with [`ArchiveError::Cancelled`] at the next entry once `cancel` is set.
pub fn unpack_cancellable(
    reader: impl Read,
    dest: &Path,
    limits: &Limits,
    cancel: &AtomicBool,
) -> Result<Unpacked, ArchiveError> {
    fs::create_dir_all(dest).map_err(ArchiveError::io("creating", dest))?;
    let mut reader = BufReader::new(reader);
    let is_gzip = reader
        .fill_buf()
        .map_err(archive_error)?
        .starts_with(&[0x1f, 0x8b]);
    let source: Box<dyn Read> = if is_gzip {
        Box::new(GzDecoder::new(reader))
    } else {
        Box::new(reader)
    };
    let mut archive = tar::Archive::new(source);
    let mut stats = Unpacked::default();
    let mut seen: u64 = 0;
    for entry in archive.entries().map_err(archive_error)? {
        if cancel.load(Ordering::Relaxed) {
            return Err(ArchiveError::Cancelled);
        }
        let mut entry = entry.map_err(archive_error)?;
        let kind = entry.header().entry_type();
        if matches!(
            kind,
            EntryType::XGlobalHeader
                | EntryType::XHeader
                | EntryType::GNULongName
                | EntryType::GNULongLink
        ) {
            continue;
        }
        seen += 1;
        if seen > limits.max_entries {
            return Err(ArchiveError::TooLarge {
                what: "the number of entries in the archive".to_string(),
                limit: limits.max_entries,
            });
        }
        let raw_path = entry.path().map_err(archive_error)?.into_owned();
        let shown = raw_path.display().to_string();
        let Some(relative) = confine(&raw_path, &shown)? else {
            continue; // the root directory itself
        };
        match kind {
            EntryType::Regular | EntryType::Continuous => {
                write_file(&mut entry, dest, &relative, &shown, limits, &mut stats)?;
            }
            EntryType::Directory => {
                make_dir(dest, &relative, &shown)?;
                stats.directories += 1;
            }
            EntryType::Symlink | EntryType::Link => stats.skipped_links.push(shown),
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                return Err(ArchiveError::UnsafePath {
                    path: shown,
                    reason: "device and FIFO entries are refused",
                });
            }
            _ => {
                return Err(ArchiveError::UnsafePath {
                    path: shown,
                    reason: "unsupported entry type",
                });
            }
        }
    }
    Ok(stats)
}

fn archive_error(e: io::Error) -> ArchiveError {
    ArchiveError::corrupt(e)
}

/// The entry's path relative to the destination, or `None` for the root itself.
fn confine(path: &Path, shown: &str) -> Result<Option<PathBuf>, ArchiveError> {
    let mut relative = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(ArchiveError::UnsafePath {
                    path: shown.to_string(),
                    reason: "'..' is not allowed",
                });
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(ArchiveError::UnsafePath {
                    path: shown.to_string(),
                    reason: "absolute paths are not allowed",
                });
            }
        }
    }
    Ok((!relative.as_os_str().is_empty()).then_some(relative))
}

/// Creates the parent directories of `relative` under `dest`, refusing to go through a
/// symlink or a file.
fn make_parents(dest: &Path, relative: &Path, shown: &str) -> Result<(), ArchiveError> {
    let mut current = dest.to_path_buf();
    let Some(parent) = relative.parent() else {
        return Ok(());
    };
    for part in parent.components() {
        current.push(part);
        ensure_dir(&current, shown)?;
    }
    Ok(())
}

fn ensure_dir(path: &Path, shown: &str) -> Result<(), ArchiveError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(ArchiveError::UnsafePath {
            path: shown.to_string(),
            reason: "the path goes through a symlink",
        }),
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(ArchiveError::Corrupt {
            message: format!(
                "'{shown}' needs '{}' to be a directory, but it is a file",
                path.display()
            ),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::create_dir(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => ensure_existing_dir(path, shown),
            Err(e) => Err(ArchiveError::Io {
                action: "creating",
                path: path.to_path_buf(),
                source: e,
            }),
        },
        Err(e) => Err(ArchiveError::Io {
            action: "inspecting",
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

fn ensure_existing_dir(path: &Path, shown: &str) -> Result<(), ArchiveError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() && !meta.file_type().is_symlink() => Ok(()),
        _ => Err(ArchiveError::UnsafePath {
            path: shown.to_string(),
            reason: "the path changed during extraction",
        }),
    }
}

fn make_dir(dest: &Path, relative: &Path, shown: &str) -> Result<(), ArchiveError> {
    make_parents(dest, relative, shown)?;
    ensure_dir(&dest.join(relative), shown)
}

fn write_file(
    entry: &mut tar::Entry<'_, impl Read>,
    dest: &Path,
    relative: &Path,
    shown: &str,
    limits: &Limits,
    stats: &mut Unpacked,
) -> Result<(), ArchiveError> {
    let remaining = limits.max_size.saturating_sub(stats.bytes);
    let too_large = || ArchiveError::TooLarge {
        what: format!("the extracted content (at '{shown}')"),
        limit: limits.max_size,
    };
    let declared = entry.header().size().map_err(archive_error)?;
    if declared > remaining {
        return Err(too_large());
    }
    make_parents(dest, relative, shown)?;
    let target = dest.join(relative);
    match fs::symlink_metadata(&target) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(ArchiveError::UnsafePath {
                path: shown.to_string(),
                reason: "the path is a symlink",
            });
        }
        Ok(meta) if meta.is_dir() => {
            return Err(ArchiveError::Corrupt {
                message: format!("'{shown}' is both a directory and a file"),
            });
        }
        // A later entry for the same path replaces the earlier one, as tar does.
        Ok(_) => fs::remove_file(&target).map_err(ArchiveError::io("replacing", &target))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(ArchiveError::Io {
                action: "inspecting",
                path: target,
                source: e,
            });
        }
    }
    let executable = entry.header().mode().is_ok_and(|mode| mode & 0o111 != 0);
    // `create_new` (O_EXCL) never follows a symlink planted at the target.
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if executable { 0o755 } else { 0o644 })
        .open(&target)
        .map_err(ArchiveError::io("creating", &target))?;
    let written =
        io::copy(&mut entry.take(remaining.saturating_add(1)), &mut file).map_err(|e| {
            if e.kind() == io::ErrorKind::WriteZero || e.kind() == io::ErrorKind::StorageFull {
                ArchiveError::Io {
                    action: "writing",
                    path: target.clone(),
                    source: e,
                }
            } else {
                archive_error(e)
            }
        })?;
    if written > remaining {
        return Err(too_large());
    }
    stats.files += 1;
    stats.bytes += written;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    /// Builds a tar with raw header names, so hostile paths the `tar` builder refuses can be
    /// written.
    struct TarBuilder(tar::Builder<Vec<u8>>);

    impl TarBuilder {
        fn new() -> Self {
            Self(tar::Builder::new(Vec::new()))
        }

        fn entry(mut self, kind: EntryType, name: &str, link: Option<&str>, data: &[u8]) -> Self {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(kind);
            header.set_mode(0o644);
            header.set_size(data.len() as u64);
            let raw = &mut header.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            if let Some(link) = link {
                let raw = &mut header.as_old_mut().linkname;
                raw[..link.len()].copy_from_slice(link.as_bytes());
            }
            header.set_cksum();
            self.0
                .append(&header, data)
                .unwrap_or_else(|e| panic!("{e}"));
            self
        }

        fn file(self, name: &str, data: &str) -> Self {
            self.entry(EntryType::Regular, name, None, data.as_bytes())
        }

        fn tar(self) -> Vec<u8> {
            self.0.into_inner().unwrap_or_else(|e| panic!("{e}"))
        }

        fn gz(self) -> Vec<u8> {
            gzip(&self.tar())
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap_or_else(|e| panic!("{e}"));
        encoder.finish().unwrap_or_else(|e| panic!("{e}"))
    }

    fn run(archive: &[u8], limits: &Limits) -> (tempfile::TempDir, Result<Unpacked, ArchiveError>) {
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dest = root.path().join("dest");
        let result = unpack(archive, &dest, limits);
        (root, result)
    }

    fn refused_path(archive: &[u8]) -> (String, &'static str) {
        match run(archive, &Limits::default()).1 {
            Err(ArchiveError::UnsafePath { path, reason }) => (path, reason),
            other => panic!("expected UnsafePath, got {other:?}"),
        }
    }

    #[test]
    fn gzip_and_plain_tars_are_extracted() {
        for archive in [
            TarBuilder::new()
                .file("a.yaml", "a: 1\n")
                .file("./dir/b.yaml", "b")
                .gz(),
            TarBuilder::new()
                .file("a.yaml", "a: 1\n")
                .file("./dir/b.yaml", "b")
                .tar(),
        ] {
            let (root, result) = run(&archive, &Limits::default());
            let stats = result.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!((stats.files, stats.bytes), (2, 6));
            let dest = root.path().join("dest");
            assert_eq!(
                fs::read_to_string(dest.join("a.yaml")).unwrap_or_default(),
                "a: 1\n"
            );
            assert_eq!(
                fs::read_to_string(dest.join("dir/b.yaml")).unwrap_or_default(),
                "b"
            );
        }
    }

    #[test]
    fn parent_directory_components_are_refused() {
        let (path, reason) = refused_path(&TarBuilder::new().file("../evil.yaml", "x").gz());
        assert_eq!(
            (path.as_str(), reason),
            ("../evil.yaml", "'..' is not allowed")
        );
        refused_path(&TarBuilder::new().file("a/../../evil", "x").tar());
    }

    #[test]
    fn absolute_paths_are_refused() {
        let (path, reason) = refused_path(&TarBuilder::new().file("/tmp/evil", "x").gz());
        assert_eq!(
            (path.as_str(), reason),
            ("/tmp/evil", "absolute paths are not allowed")
        );
    }

    #[test]
    fn nothing_escapes_the_destination() {
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dest = root.path().join("dest");
        let archive = TarBuilder::new()
            .file("ok", "fine")
            .file("../escaped", "x")
            .gz();
        assert!(unpack(archive.as_slice(), &dest, &Limits::default()).is_err());
        assert!(!root.path().join("escaped").exists());
    }

    #[test]
    fn symlinks_and_hardlinks_are_skipped() {
        let archive = TarBuilder::new()
            .entry(EntryType::Symlink, "link", Some("/etc"), b"")
            .entry(EntryType::Link, "hard", Some("/etc/passwd"), b"")
            .file("link/passwd", "not through the link")
            .gz();
        let (root, result) = run(&archive, &Limits::default());
        let stats = result.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            stats.skipped_links,
            vec!["link".to_string(), "hard".to_string()]
        );
        let dest = root.path().join("dest");
        assert!(!dest.join("hard").exists());
        let link = fs::symlink_metadata(dest.join("link")).unwrap_or_else(|e| panic!("{e}"));
        assert!(link.is_dir(), "'link' must be a plain directory");
        assert_eq!(
            fs::read_to_string(dest.join("link/passwd")).unwrap_or_default(),
            "not through the link"
        );
    }

    #[test]
    fn existing_symlinks_in_the_destination_are_not_followed() {
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dest = root.path().join("dest");
        let outside = root.path().join("outside");
        fs::create_dir_all(&dest).unwrap_or_else(|e| panic!("{e}"));
        fs::create_dir_all(&outside).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(&outside, dest.join("sub")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(outside.join("file"), dest.join("file"))
            .unwrap_or_else(|e| panic!("{e}"));
        for archive in [
            TarBuilder::new().file("sub/x", "x").gz(),
            TarBuilder::new().file("file", "x").gz(),
        ] {
            let result = unpack(archive.as_slice(), &dest, &Limits::default());
            assert!(
                matches!(result, Err(ArchiveError::UnsafePath { .. })),
                "{result:?}"
            );
        }
        assert_eq!(fs::read_dir(&outside).map(Iterator::count).unwrap_or(1), 0);
    }

    #[test]
    fn device_files_are_refused() {
        for kind in [EntryType::Char, EntryType::Block, EntryType::Fifo] {
            let (_, reason) = refused_path(&TarBuilder::new().entry(kind, "dev", None, b"").gz());
            assert_eq!(reason, "device and FIFO entries are refused");
        }
    }

    #[test]
    fn declared_sizes_beyond_the_limit_are_refused_before_reading() {
        let mut header = tar::Header::new_gnu();
        header.set_path("huge").unwrap_or_else(|e| panic!("{e}"));
        header.set_size(1 << 40);
        header.set_cksum();
        let mut archive = header.as_bytes().to_vec();
        archive.extend_from_slice(&[0; 1024]);
        let result = run(&archive, &Limits::default()).1;
        assert!(
            matches!(result, Err(ArchiveError::TooLarge { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn decompression_bombs_stop_at_the_extracted_size_limit() {
        let zeros = vec![0u8; 4 << 20];
        let archive = TarBuilder::new()
            .entry(EntryType::Regular, "zeros", None, &zeros)
            .gz();
        assert!(archive.len() < 64 << 10, "{}", archive.len());
        let limits = Limits {
            max_size: 1 << 20,
            ..Limits::default()
        };
        let result = run(&archive, &limits).1;
        assert!(
            matches!(result, Err(ArchiveError::TooLarge { limit, .. }) if limit == 1 << 20),
            "{result:?}"
        );
    }

    #[test]
    fn entry_count_is_bounded() {
        let mut builder = TarBuilder::new();
        for i in 0..5 {
            builder = builder.file(&format!("f{i}"), "x");
        }
        let limits = Limits {
            max_entries: 4,
            ..Limits::default()
        };
        let result = run(&builder.gz(), &limits).1;
        assert!(
            matches!(result, Err(ArchiveError::TooLarge { limit: 4, .. })),
            "{result:?}"
        );
    }

    #[test]
    fn garbage_is_an_archive_error() {
        let result = run(
            &gzip("not a tar archive ".repeat(100).as_bytes()),
            &Limits::default(),
        )
        .1;
        assert!(
            matches!(result, Err(ArchiveError::Corrupt { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn executable_bits_are_kept_and_nothing_else() {
        use std::os::unix::fs::PermissionsExt;
        let mut header = tar::Header::new_gnu();
        header.set_path("run.sh").unwrap_or_else(|e| panic!("{e}"));
        header.set_size(2);
        header.set_mode(0o4777);
        header.set_cksum();
        let mut builder = tar::Builder::new(Vec::new());
        builder
            .append(&header, &b"hi"[..])
            .unwrap_or_else(|e| panic!("{e}"));
        let archive = builder.into_inner().unwrap_or_else(|e| panic!("{e}"));
        let (root, result) = run(&archive, &Limits::default());
        result.unwrap_or_else(|e| panic!("{e}"));
        let mode = fs::metadata(root.path().join("dest/run.sh"))
            .map(|m| m.permissions().mode())
            .unwrap_or(0);
        assert_eq!(mode & 0o7000, 0, "no setuid: {mode:o}");
        assert_ne!(mode & 0o100, 0, "executable: {mode:o}");
    }
}
