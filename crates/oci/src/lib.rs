//! `capstan-oci`: Capstan's OCI registry client, on `oci-client`, wire-compatible with Flux's
//! OCIRepository.
//!
//! **Job.** Turn an OCIRepository's `spec.url`, `spec.ref` and `spec.layerSelector` into files
//! (or a verified blob) on disk, with Flux's revision string; push artifacts in the format of
//! `flux push artifact`; list a repository's tags for image automation.
//!
//! **Entry points.**
//! - [`OciUrl::parse`] checks `oci://host[:port]/repository`.
//! - [`Credentials::from_dockerconfigjson`] reads a `kubernetes.io/dockerconfigjson` Secret.
//! - [`OciClient::new`] with [`RegistryOptions`] (credentials, `insecure`, CA, timeout).
//! - [`OciClient::resolve`] maps `spec.ref` (digest > semver + filter > tag, default `latest`)
//!   to a [`Resolved`] digest cheaply (one `HEAD`, plus a tag listing for semver), whose
//!   [`Resolved::revision`] is Flux's `<tag>@sha256:<hex>` or `sha256:<hex>`; a controller
//!   compares it with its stored artifact and skips the pull when unchanged.
//! - [`OciClient::pull`] fetches that manifest by digest, selects the layer
//!   ([`LayerSelector`]), and extracts it into a directory or copies it as
//!   `<digest-hex>.tgz`, returning the manifest annotations for the artifact's metadata.
//! - [`OciClient::push_artifact`], [`OciClient::push_layers`]; [`OciClient::list_tags`].
//! - [`select_semver_tag`] picks the highest tag in a semver [`Constraint`] (re-exported from
//!   `capstan-semver`, Masterminds v3 syntax as Flux), for `ref.semver` and image automation.
//! - Every failure is one [`Error`], whose [`Error::reason`] is the Flux condition reason.
//!
//! **Key decisions.**
//! - *Verified before used.* A layer is streamed to a temporary file while its sha256 is
//!   computed and its size bounded ([`Limits`]); a mismatch fails the pull, and nothing
//!   reaches the destination or the decompressor before the digest matched. Manifests are
//!   fetched by digest and checked against it too.
//! - *Confined extraction.* Entries with `..` or absolute paths are refused, symlinks and
//!   hardlinks skipped (as Flux), device files refused, existing symlinks in the destination
//!   never followed, total size and entry count bounded ([`extract`]).
//! - *Secrets cannot print.* [`Credentials`] has a redacting `Debug` and no `Display`; errors
//!   quote registry answers, never requests.
//! - *Bounded time.* Each operation runs under [`RegistryOptions::timeout`].
//! - No shelling out; TLS is rustls with the `ring` provider (installed once if none is).

#![deny(missing_docs)]

mod auth;
mod client;
mod error;
mod extract;
mod pull;
mod push;
mod reference;
mod tags;
mod url;

pub use auth::{Credentials, DOCKERCONFIGJSON_KEY};
pub use capstan_api::source::{OCILayerOperation, OCIReference};
pub use capstan_semver::Constraint;
pub use client::{Limits, OciClient, RegistryOptions};
pub use error::Error;
pub use extract::{Extracted, extract};
pub use pull::{Content, Layer, LayerSelector, Pulled};
pub use push::{
    ANNOTATION_CREATED, ANNOTATION_REVISION, ANNOTATION_SOURCE, ArtifactMetadata,
    FLUX_CONFIG_MEDIA_TYPE, FLUX_CONTENT_MEDIA_TYPE, PushLayer, Pushed, build_archive,
};
pub use reference::{Resolved, select_semver_tag};
pub use url::{OCI_SCHEME, OciUrl};
