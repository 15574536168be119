//! Resolving `spec.ref` to a digest, and pulling the selected layer of that manifest.
//!
//! The layer is streamed into a temporary file while its sha256 is computed and its size
//! bounded; only verified bytes are extracted (or moved into place for `copy`), so the tar
//! and gzip decoders never see content the registry could have tampered with.

use std::collections::BTreeMap;
use std::io::{BufReader, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use capstan_api::source::{OCILayerOperation, OCILayerSelector, OCIReference};
use futures_util::StreamExt;
use oci_client::manifest::{
    IMAGE_MANIFEST_LIST_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE, OCI_IMAGE_INDEX_MEDIA_TYPE,
    OCI_IMAGE_MEDIA_TYPE, OciDescriptor,
};
use regex::Regex;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::extract::{self, Extracted};
use crate::reference::{check_digest, check_tag, select_semver_tag};
use crate::{Error, Limits, OciClient, Resolved};

/// Manifest media types asked for: OCI and Docker v2 manifests, and their index forms (an
/// index is accepted only when it holds a single manifest).
const ACCEPTED_MANIFESTS: &[&str] = &[
    OCI_IMAGE_MEDIA_TYPE,
    IMAGE_MANIFEST_MEDIA_TYPE,
    OCI_IMAGE_INDEX_MEDIA_TYPE,
    IMAGE_MANIFEST_LIST_MEDIA_TYPE,
];

/// Which layer of the artifact to take and what to do with it (`spec.layerSelector`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LayerSelector {
    /// Take the first layer with this media type; the first layer when `None`.
    pub media_type: Option<String>,
    /// Extract the (tar, optionally gzip) layer, or copy it unchanged.
    pub operation: OCILayerOperation,
}

impl From<&OCILayerSelector> for LayerSelector {
    fn from(selector: &OCILayerSelector) -> Self {
        Self {
            media_type: selector.media_type.clone().filter(|m| !m.is_empty()),
            operation: selector.operation.unwrap_or_default(),
        }
    }
}

/// The layer that was pulled, as its manifest describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// The layer's media type.
    pub media_type: String,
    /// The layer's digest, verified against the bytes received.
    pub digest: String,
    /// The layer's size in bytes.
    pub size: u64,
}

/// What was done with the layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// `extract`: the layer's files are in the destination directory.
    Extracted(Extracted),
    /// `copy`: the verified layer blob was written to this file, named as Flux does
    /// (`<manifest digest hex>.tgz` in the destination directory).
    Copied(PathBuf),
}

/// The result of a pull.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pulled {
    /// The manifest pulled (by digest, so a tag moved meanwhile changes nothing).
    pub resolved: Resolved,
    /// The manifest's annotations (`org.opencontainers.image.created/source/revision`...),
    /// which Flux copies into the artifact's metadata.
    pub annotations: BTreeMap<String, String>,
    /// The selected layer.
    pub layer: Layer,
    /// Where its content went.
    pub content: Content,
}

impl Pulled {
    /// The artifact revision, as Flux writes it.
    pub fn revision(&self) -> String {
        self.resolved.revision()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    schema_version: Option<i64>,
    media_type: Option<String>,
    layers: Option<Vec<Descriptor>>,
    manifests: Option<Vec<Descriptor>>,
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: String,
    digest: String,
    size: i64,
}

impl OciClient {
    /// Resolves `spec.ref` by Flux's precedence (digest > semver > tag, default `latest`) to
    /// a manifest digest.
    ///
    /// A digest needs no request. A tag costs one `HEAD` of its manifest, so a controller can
    /// compare [`Resolved::revision`] with its stored artifact and skip the pull; a semver
    /// range first lists the tags.
    pub async fn resolve(&self, reference: OCIReference<'_>) -> Result<Resolved, Error> {
        match reference {
            OCIReference::Digest(digest) => {
                check_digest(digest).map_err(|reason| Error::InvalidReference {
                    url: self.url.to_string(),
                    reference: digest.to_string(),
                    reason,
                })?;
                Ok(Resolved {
                    tag: None,
                    digest: digest.to_string(),
                })
            }
            OCIReference::Tag(tag) => {
                let digest = self.head_digest(tag).await?;
                Ok(Resolved {
                    tag: Some(tag.to_string()),
                    digest,
                })
            }
            OCIReference::SemVer { range, filter } => {
                let invalid = |expression: &str, reason: String| Error::InvalidSemver {
                    url: self.url.to_string(),
                    expression: expression.to_string(),
                    reason,
                };
                let parsed = capstan_semver::Constraint::parse(range)
                    .map_err(|reason| invalid(range, reason.to_string()))?;
                let filter = filter
                    .map(|f| Regex::new(f).map_err(|e| invalid(f, e.to_string())))
                    .transpose()?;
                // Listing and HEAD share one timeout, as one Flux reconcile step.
                self.bounded("resolving the semver tag", async {
                    let tags = self.list_tags().await?;
                    let (tag, candidates) = select_semver_tag(
                        tags.iter().map(String::as_str),
                        &parsed,
                        filter.as_ref(),
                    );
                    let Some(tag) = tag else {
                        return Err(Error::NoSemverMatch {
                            url: self.url.to_string(),
                            range: range.to_string(),
                            candidates,
                        });
                    };
                    let digest = self.head_digest(tag).await?;
                    Ok(Resolved {
                        tag: Some(tag.to_string()),
                        digest,
                    })
                })
                .await
            }
        }
    }

    /// The digest `tag` points to, from a `HEAD` of its manifest (a `GET` when the registry
    /// sends no `Docker-Content-Digest`).
    pub async fn head_digest(&self, tag: &str) -> Result<String, Error> {
        check_tag(tag).map_err(|reason| Error::InvalidReference {
            url: self.url.to_string(),
            reference: tag.to_string(),
            reason,
        })?;
        self.bounded("resolving the digest", async {
            let auth = self.authenticate().await;
            let digest = self
                .inner
                .fetch_manifest_digest(&self.tag_ref(tag), &auth)
                .await
                .map_err(|e| self.registry_error(tag, e))?;
            check_digest(&digest).map_err(|reason| Error::Registry {
                url: self.url.to_string(),
                reference: tag.to_string(),
                message: format!("the registry answered an unusable digest '{digest}': {reason}"),
            })?;
            Ok(digest)
        })
        .await
    }

    /// Pulls the manifest `resolved` names and the layer `selector` picks, into `dest`.
    ///
    /// `extract` unpacks the layer into the directory `dest` (created if missing), confined
    /// to it; `copy` writes the verified blob to `dest/<manifest digest hex>.tgz`. The layer
    /// is verified against its digest and `limits` before anything lands in `dest`.
    pub async fn pull(
        &self,
        resolved: &Resolved,
        selector: &LayerSelector,
        dest: &Path,
        limits: &Limits,
    ) -> Result<Pulled, Error> {
        let cancel = CancelOnDrop::default();
        let flag = Arc::clone(&cancel.0);
        self.bounded("pulling the artifact", async move {
            let (descriptors, annotations) = self.fetch_manifest(resolved).await?;
            let layer = self.select_layer(resolved, &descriptors, selector)?;
            let content = match selector.operation {
                OCILayerOperation::Extract => {
                    let extracted = self
                        .extract_layer(resolved, &layer, dest, limits, flag)
                        .await?;
                    Content::Extracted(extracted)
                }
                OCILayerOperation::Copy => {
                    Content::Copied(self.copy_layer(resolved, &layer, dest, limits).await?)
                }
            };
            let layer = Layer {
                media_type: layer.media_type,
                digest: layer.digest,
                size: u64::try_from(layer.size).unwrap_or_default(),
            };
            Ok(Pulled {
                resolved: resolved.clone(),
                annotations,
                layer,
                content,
            })
        })
        .await
    }

    /// Fetches and parses the manifest by digest, following an index of one manifest.
    async fn fetch_manifest(
        &self,
        resolved: &Resolved,
    ) -> Result<(Vec<Descriptor>, BTreeMap<String, String>), Error> {
        let reference = resolved.reference();
        let manifest = self
            .fetch_manifest_by_digest(reference, &resolved.digest)
            .await?;
        let invalid = |reason: String| Error::InvalidManifest {
            url: self.url.to_string(),
            reference: reference.to_string(),
            reason,
        };
        let is_index = match manifest.media_type.as_deref() {
            Some(OCI_IMAGE_INDEX_MEDIA_TYPE | IMAGE_MANIFEST_LIST_MEDIA_TYPE) => true,
            Some(OCI_IMAGE_MEDIA_TYPE | IMAGE_MANIFEST_MEDIA_TYPE) => false,
            Some(other) => return Err(invalid(format!("unsupported media type '{other}'"))),
            None => manifest.manifests.is_some() && manifest.layers.is_none(),
        };
        if !is_index {
            let layers = manifest
                .layers
                .ok_or_else(|| invalid("the manifest has no 'layers'".into()))?;
            return Ok((layers, manifest.annotations.unwrap_or_default()));
        }
        let entries = manifest.manifests.unwrap_or_default();
        let [entry] = entries.as_slice() else {
            return Err(invalid(format!(
                "the reference is an image index of {} manifests; an artifact must be a single \
                 manifest (or an index of exactly one)",
                entries.len()
            )));
        };
        check_digest(&entry.digest).map_err(|reason| invalid(format!("index entry: {reason}")))?;
        let inner = self
            .fetch_manifest_by_digest(reference, &entry.digest)
            .await?;
        if inner.manifests.is_some()
            || !matches!(
                inner.media_type.as_deref(),
                None | Some(OCI_IMAGE_MEDIA_TYPE | IMAGE_MANIFEST_MEDIA_TYPE)
            )
        {
            return Err(invalid(
                "the index's single entry is not an image manifest".into(),
            ));
        }
        let layers = inner
            .layers
            .ok_or_else(|| invalid("the manifest has no 'layers'".into()))?;
        let mut annotations = manifest.annotations.unwrap_or_default();
        annotations.extend(inner.annotations.unwrap_or_default());
        Ok((layers, annotations))
    }

    async fn fetch_manifest_by_digest(
        &self,
        reference: &str,
        digest: &str,
    ) -> Result<Manifest, Error> {
        let auth = self.authenticate().await;
        // oci-client checks the body against the digest asked for.
        let (body, _) = self
            .inner
            .pull_manifest_raw(&self.digest_ref(digest), &auth, ACCEPTED_MANIFESTS)
            .await
            .map_err(|e| self.registry_error(reference, e))?;
        let manifest: Manifest =
            serde_json::from_slice(&body).map_err(|e| Error::InvalidManifest {
                url: self.url.to_string(),
                reference: reference.to_string(),
                reason: format!("not a JSON manifest: {e}"),
            })?;
        if manifest.schema_version != Some(2) {
            return Err(Error::InvalidManifest {
                url: self.url.to_string(),
                reference: reference.to_string(),
                reason: format!("unsupported schemaVersion {:?}", manifest.schema_version),
            });
        }
        Ok(manifest)
    }

    /// Flux's `selectLayer`: the first layer, or the first with the wanted media type.
    fn select_layer(
        &self,
        resolved: &Resolved,
        layers: &[Descriptor],
        selector: &LayerSelector,
    ) -> Result<Descriptor, Error> {
        let reference = resolved.reference().to_string();
        let found = match &selector.media_type {
            None => layers.first(),
            Some(wanted) => layers.iter().find(|l| &l.media_type == wanted),
        };
        match (found, &selector.media_type) {
            (Some(layer), _) => Ok(layer.clone()),
            (None, _) if layers.is_empty() => Err(Error::NoLayers {
                url: self.url.to_string(),
                reference,
            }),
            (None, wanted) => Err(Error::LayerNotFound {
                url: self.url.to_string(),
                reference,
                media_type: wanted.clone().unwrap_or_default(),
                available: layers.iter().map(|l| l.media_type.clone()).collect(),
            }),
        }
    }

    async fn extract_layer(
        &self,
        resolved: &Resolved,
        layer: &Descriptor,
        dest: &Path,
        limits: &Limits,
        cancel: Arc<AtomicBool>,
    ) -> Result<Extracted, Error> {
        let spool = tempfile::tempfile().map_err(Error::io(
            "creating a temporary file in",
            std::env::temp_dir(),
        ))?;
        let mut file = tokio::fs::File::from_std(spool);
        self.download_layer(
            resolved.reference(),
            layer,
            limits.max_layer_size,
            &mut file,
        )
        .await?;
        let mut spool = file.into_std().await;
        spool.rewind().map_err(Error::io(
            "rewinding the layer spooled in",
            std::env::temp_dir(),
        ))?;
        let dest = dest.to_path_buf();
        let limits = *limits;
        tokio::task::spawn_blocking(move || {
            extract::extract_cancellable(BufReader::new(spool), &dest, &limits, &cancel)
        })
        .await
        .map_err(|e| Error::Archive {
            message: format!("the extraction task failed: {e}"),
        })?
    }

    async fn copy_layer(
        &self,
        resolved: &Resolved,
        layer: &Descriptor,
        dest: &Path,
        limits: &Limits,
    ) -> Result<PathBuf, Error> {
        tokio::fs::create_dir_all(dest)
            .await
            .map_err(Error::io("creating", dest))?;
        let temp = tempfile::Builder::new()
            .prefix(".capstan-oci-")
            .suffix(".tmp")
            .tempfile_in(dest)
            .map_err(Error::io("creating a temporary file in", dest))?;
        let handle = temp
            .as_file()
            .try_clone()
            .map_err(Error::io("opening", temp.path()))?;
        let mut file = tokio::fs::File::from_std(handle);
        self.download_layer(
            resolved.reference(),
            layer,
            limits.max_layer_size,
            &mut file,
        )
        .await?;
        file.sync_all()
            .await
            .map_err(Error::io("writing", temp.path()))?;
        let target = dest.join(format!("{}.tgz", resolved.digest_hex()));
        temp.persist(&target).map_err(|e| Error::Io {
            action: "renaming into",
            path: target.clone(),
            source: e.error,
        })?;
        Ok(target)
    }

    /// Streams a blob into `out`, hashing and counting as it goes; fails on a digest or size
    /// mismatch and as soon as `limit` is passed.
    async fn download_layer(
        &self,
        reference: &str,
        layer: &Descriptor,
        limit: u64,
        out: &mut (impl AsyncWrite + Unpin),
    ) -> Result<(), Error> {
        let url = self.url.to_string();
        check_digest(&layer.digest).map_err(|reason| Error::InvalidManifest {
            url: url.clone(),
            reference: reference.to_string(),
            reason: format!("layer digest '{}': {reason}", layer.digest),
        })?;
        let declared = u64::try_from(layer.size).map_err(|_| Error::InvalidManifest {
            url: url.clone(),
            reference: reference.to_string(),
            reason: format!("layer {} has a negative size", layer.digest),
        })?;
        let too_large = |size: u64| Error::TooLarge {
            what: format!(
                "layer {} of '{url}' ({reference}, {size} bytes)",
                layer.digest
            ),
            limit,
        };
        if declared > limit {
            return Err(too_large(declared));
        }
        // Blob requests take the credentials oci-client has stored for the registry.
        self.authenticate().await;
        // Without `urls`: a manifest must not send us (and our credentials) to other hosts.
        let descriptor = OciDescriptor {
            media_type: layer.media_type.clone(),
            digest: layer.digest.clone(),
            size: layer.size,
            ..OciDescriptor::default()
        };
        let mut stream = self
            .inner
            .pull_blob_stream(&self.digest_ref(&layer.digest), &descriptor)
            .await
            .map_err(|e| self.registry_error(&layer.digest, e))?;
        if let Some(length) = stream.content_length
            && length > limit
        {
            return Err(too_large(length));
        }
        let mut hasher = Sha256::new();
        let mut received: u64 = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                // oci-client verifies too, and reports a mismatch as the stream's last item.
                Err(e)
                    if e.get_ref()
                        .is_some_and(|inner| inner.is::<oci_client::errors::DigestError>()) =>
                {
                    break;
                }
                Err(e) => return Err(self.transport_error(&layer.digest, &e)),
            };
            received += chunk.len() as u64;
            if received > limit {
                return Err(too_large(received));
            }
            if received > declared {
                break;
            }
            hasher.update(&chunk);
            out.write_all(&chunk).await.map_err(|e| Error::Io {
                action: "writing the layer to",
                path: PathBuf::from("a temporary file"),
                source: e,
            })?;
        }
        out.flush().await.map_err(|e| Error::Io {
            action: "writing the layer to",
            path: PathBuf::from("a temporary file"),
            source: e,
        })?;
        let actual = format!("sha256:{}", hex::encode(hasher.finalize()));
        if actual != layer.digest || received != declared {
            return Err(Error::DigestMismatch {
                url,
                expected: layer.digest.clone(),
                actual: if received == declared {
                    actual
                } else {
                    format!("{received} bytes where {declared} were declared")
                },
            });
        }
        Ok(())
    }
}

/// Tells a blocking extraction to stop when the pull future is dropped (on timeout).
#[derive(Default)]
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
