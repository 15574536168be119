//! capstan-helm: renders Helm charts exactly as `helm template` (Helm v4) does, with no Go,
//! no network and no cluster.
//!
//! Entry points:
//! - [`template_command`] / [`render_to_string`]: `helm template`'s stdout for its arguments;
//!   the error's `Display` is what Helm prints after `Error: `.
//! - [`load_path`], [`load_archive`], [`load_files`]: a chart from a directory, a `.tgz` or
//!   files; [`render_release`]: manifests, hooks, notes and CRDs of a release for the
//!   helm-controller; [`coalesced_values`]: the values a release would see.
//!
//! The key decision is fidelity over convenience: Go's `text/template` is re-implemented with
//! Go's value model (an `int` is not a `float64`, YAML numbers are `float64`), Go's `fmt`
//! printing, Sprig's functions and Helm's YAML round trips, so output and error messages match
//! byte for byte. The engine is pure: files come through a confined loader (no symlink or
//! archive entry escapes the chart root), the clock and randomness are passed in ([`Host`]),
//! and output size and recursion are bounded ([`env::Limits`]).

#![deny(missing_docs)]

mod chart;
mod command;
pub mod env;
mod error;
mod funcs;
mod objects;
mod output;
mod render;
mod template;
mod values;
mod yaml;

/// Runs `f` on a stack that grows on demand: nested templates, YAML and JSON recurse, and a
/// hostile input must hit a depth limit, never the end of the thread's stack.
pub(crate) fn deep<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, f)
}

pub use chart::helmignore::Rules as HelmIgnore;
pub use chart::load::{load_archive, load_dir, load_files, load_path};
pub use chart::metadata::{Dependency, ImportValue, Maintainer, Metadata};
pub use chart::{Chart, ChartFile, LoadError};
pub use command::{
    Host, Release, TemplateOptions, coalesced_values, parse_kube_version, parse_template_args,
    render_release, render_to_string, render_to_string_with, template_command,
};
pub use error::Error;
pub use output::{Hook, Manifest};
pub use render::{CapabilitiesOptions, ReleaseOptions};
pub use values::ValueSource;
