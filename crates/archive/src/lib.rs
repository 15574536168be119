//! `capstan-archive`: the tar.gz format artifacts travel in.
//!
//! - [`pack_dir`] writes a *deterministic* tar.gz of a directory: sorted entries, zeroed owners
//!   and times, normalised modes (0600 files, 0700 executables, 0750 directories, as Flux),
//!   symlinks and special files skipped, so the same tree always gives the same bytes and
//!   nothing outside the tree is pulled in through a link.
//! - [`unpack`] extracts a tar or tar.gz *confined* to a directory: `..` and absolute paths are
//!   refused, symlinks and hardlinks skipped (as Flux), device files refused, existing symlinks
//!   in the destination never followed, total size and entry count bounded by [`Limits`].
//!
//! Used by source-controller (building and including artifacts), the OCI client (pulling and
//! pushing layers) and the appliers (unpacking fetched artifacts).

mod error;
mod pack;
mod unpack;

pub use error::ArchiveError;
pub use pack::{PackStats, pack_dir};
pub use unpack::{Unpacked, unpack, unpack_cancellable};

/// Bounds on what one archive may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest total size of the files, in bytes (uncompressed).
    pub max_size: u64,
    /// Largest number of entries.
    pub max_entries: u64,
}

impl Default for Limits {
    /// 1 GiB and 100 000 entries.
    fn default() -> Self {
        Self {
            max_size: 1 << 30,
            max_entries: 100_000,
        }
    }
}
