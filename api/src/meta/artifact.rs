//! The artifact a source publishes (Flux's `apis/meta/artifact.go`).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A tarball (or file) stored and served by source-controller.
///
/// Consumers compare `revision` for equality only and must check `digest`
/// against the downloaded bytes before unpacking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// Digest of the file, `<algorithm>:<hex>` (sha256 of the compressed bytes).
    #[schemars(pattern(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$"))]
    pub digest: String,
    /// When the artifact was last written.
    pub last_update_time: Time,
    /// Path relative to the storage root: `<kind>/<namespace>/<name>/<file>`.
    pub path: String,
    /// Source revision, e.g. `main@sha1:<hex>`; opaque to consumers.
    pub revision: String,
    /// HTTP address the artifact is served at.
    pub url: String,
    /// Size of the file in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// Extra data, e.g. OCI annotations such as `org.opencontainers.image.revision`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
}

impl Artifact {
    /// Metadata key holding the origin (e.g. Git) revision of an OCI artifact.
    pub const ORIGIN_REVISION_KEY: &str = "org.opencontainers.image.revision";

    /// Whether this artifact is at `revision` (Flux's `HasRevision`).
    pub fn has_revision(&self, revision: &str) -> bool {
        self.revision == revision
    }

    /// Whether this artifact's digest equals `digest`.
    pub fn has_digest(&self, digest: &str) -> bool {
        self.digest == digest
    }

    /// The origin revision recorded in metadata, if any.
    pub fn origin_revision(&self) -> Option<&str> {
        self.metadata
            .as_ref()
            .and_then(|m| m.get(Self::ORIGIN_REVISION_KEY))
            .map(String::as_str)
    }
}
