//! Confined extraction of a layer, delegated to `capstan-archive` (the one implementation every
//! Capstan component uses): `..` and absolute paths refused, links skipped, devices refused,
//! size and entry count bounded.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::AtomicBool;

pub use capstan_archive::Unpacked as Extracted;

use crate::{Error, Limits};

/// Extracts a tar or tar.gz stream into `dest`, confined to it and bounded by
/// `limits.max_extracted_size` and `limits.max_entries`.
pub fn extract(reader: impl Read, dest: &Path, limits: &Limits) -> Result<Extracted, Error> {
    extract_cancellable(reader, dest, limits, &AtomicBool::new(false))
}

pub(crate) fn extract_cancellable(
    reader: impl Read,
    dest: &Path,
    limits: &Limits,
    cancel: &AtomicBool,
) -> Result<Extracted, Error> {
    let bounds = capstan_archive::Limits {
        max_size: limits.max_extracted_size,
        max_entries: limits.max_entries,
    };
    Ok(capstan_archive::unpack_cancellable(
        reader, dest, &bounds, cancel,
    )?)
}
