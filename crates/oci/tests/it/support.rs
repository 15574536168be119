//! Helpers shared by the tests.

use std::path::Path;

use capstan_e2e::Registry;
use capstan_oci::{Content, Limits, OCILayerOperation, OciClient, Pulled, Resolved};

/// A fresh anonymous registry; panics (fails the test) when it cannot start.
pub(crate) fn registry() -> Registry {
    Registry::start().unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn client(registry: &Registry, repository: &str) -> OciClient {
    registry
        .client(repository)
        .unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

/// Pulls `resolved` with the default selector into `dest`.
pub(crate) async fn pull_into(client: &OciClient, resolved: &Resolved, dest: &Path) -> Pulled {
    client
        .pull(resolved, &Default::default(), dest, &Limits::default())
        .await
        .unwrap_or_else(|e| panic!("pulling {resolved}: {e}"))
}

pub(crate) fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

pub(crate) fn is_extracted(pulled: &Pulled) -> bool {
    matches!(pulled.content, Content::Extracted(_))
}

pub(crate) const EXTRACT: OCILayerOperation = OCILayerOperation::Extract;
pub(crate) const COPY: OCILayerOperation = OCILayerOperation::Copy;
