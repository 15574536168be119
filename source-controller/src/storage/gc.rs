//! Garbage collection of an object's artifact directory, as Flux: files other than the
//! current artifact that are older than the TTL are deleted, and at most `records` files are
//! kept (the current one always). Leftover temporary files of interrupted writes go too.

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::{StorageError, io_err};

/// What a collection removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GcOutcome {
    /// Names of the deleted files.
    pub deleted: Vec<String>,
}

pub(super) fn collect(
    dir: &Path,
    current: Option<&str>,
    ttl: Duration,
    records: usize,
) -> Result<GcOutcome, StorageError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(GcOutcome::default()),
        Err(e) => {
            return Err(StorageError::Io {
                action: "reading directory",
                path: dir.to_path_buf(),
                source: e,
            });
        }
    };
    let now = SystemTime::now();
    let mut files: Vec<(String, SystemTime)> = Vec::new();
    let mut outcome = GcOutcome::default();
    for entry in entries.flatten().take(1000) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let modified = meta.modified().unwrap_or(now);
        let age = now.duration_since(modified).unwrap_or_default();
        if name.starts_with(".tmp-") {
            // An interrupted atomic write; a live one is younger than a minute.
            if age > Duration::from_secs(60) {
                remove(dir, &name, &mut outcome)?;
            }
            continue;
        }
        if Some(name.as_str()) == current {
            continue;
        }
        files.push((name, modified));
    }
    // Newest first; beyond the records budget (current counts as one) or older than TTL: delete.
    files.sort_by_key(|(_, modified)| std::cmp::Reverse(*modified));
    let budget = records.saturating_sub(usize::from(current.is_some()));
    for (index, (name, modified)) in files.iter().enumerate() {
        let expired = now.duration_since(*modified).unwrap_or_default() > ttl;
        if index >= budget || expired {
            remove(dir, name, &mut outcome)?;
        }
    }
    Ok(outcome)
}

fn remove(dir: &Path, name: &str, outcome: &mut GcOutcome) -> Result<(), StorageError> {
    let path = dir.join(name);
    match std::fs::remove_file(&path) {
        Ok(()) => {
            outcome.deleted.push(name.to_string());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("removing", &path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn touch(dir: &Path, name: &str, age: Duration) {
        let path = dir.join(name);
        fs::write(&path, name).unwrap();
        let time = SystemTime::now() - age;
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(time)
            .unwrap();
    }

    #[test]
    fn keeps_current_and_newest_records_and_drops_expired() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "current.tar.gz", Duration::from_secs(3600));
        touch(dir.path(), "recent.tar.gz", Duration::from_secs(1));
        touch(dir.path(), "older.tar.gz", Duration::from_secs(2));
        touch(dir.path(), "ancient.tar.gz", Duration::from_secs(7200));
        let outcome = collect(
            dir.path(),
            Some("current.tar.gz"),
            Duration::from_secs(60),
            2,
        )
        .unwrap();
        let mut deleted = outcome.deleted.clone();
        deleted.sort();
        assert_eq!(deleted, vec!["ancient.tar.gz", "older.tar.gz"]);
        assert!(dir.path().join("current.tar.gz").exists());
        assert!(dir.path().join("recent.tar.gz").exists());
    }

    #[test]
    fn stale_temporary_files_are_removed_but_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), ".tmp-old", Duration::from_secs(600));
        touch(dir.path(), ".tmp-live", Duration::from_secs(1));
        let outcome = collect(dir.path(), None, Duration::from_secs(60), 2).unwrap();
        assert_eq!(outcome.deleted, vec![".tmp-old"]);
        assert!(dir.path().join(".tmp-live").exists());
    }

    #[test]
    fn a_missing_directory_is_nothing_to_collect() {
        let outcome = collect(
            Path::new("/nonexistent/capstan"),
            None,
            Duration::from_secs(60),
            2,
        )
        .unwrap();
        assert!(outcome.deleted.is_empty());
    }
}
