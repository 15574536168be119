//! Pushing Flux-compatible artifacts (`flux push artifact`'s format) and raw layers.

use std::collections::BTreeMap;
use std::path::Path;

use oci_client::manifest::OCI_IMAGE_MEDIA_TYPE;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::error::truncate;
use crate::pull::Layer;
use crate::reference::check_tag;
use crate::{Error, OciClient, Resolved};

/// Media type of a Flux artifact's config blob.
pub const FLUX_CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.flux.config.v1+json";
/// Media type of a Flux artifact's content layer (a gzip-compressed tar).
pub const FLUX_CONTENT_MEDIA_TYPE: &str = "application/vnd.cncf.flux.content.v1.tar+gzip";
/// Manifest annotation: when the artifact was built (RFC 3339).
pub const ANNOTATION_CREATED: &str = "org.opencontainers.image.created";
/// Manifest annotation: where the content comes from (e.g. a Git URL).
pub const ANNOTATION_SOURCE: &str = "org.opencontainers.image.source";
/// Manifest annotation: the source revision (e.g. `main@sha1:<hex>`); Flux reports it as
/// the artifact's origin revision.
pub const ANNOTATION_REVISION: &str = "org.opencontainers.image.revision";

/// What `flux push artifact` records about an artifact, as manifest annotations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArtifactMetadata {
    /// `org.opencontainers.image.source`.
    pub source: Option<String>,
    /// `org.opencontainers.image.revision`.
    pub revision: Option<String>,
    /// `org.opencontainers.image.created`; the current time when `None`.
    pub created: Option<String>,
    /// Further annotations.
    pub annotations: BTreeMap<String, String>,
}

impl ArtifactMetadata {
    fn to_annotations(&self) -> BTreeMap<String, String> {
        let mut annotations = self.annotations.clone();
        let created = self.created.clone().unwrap_or_else(|| {
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        });
        annotations.insert(ANNOTATION_CREATED.to_string(), created);
        if let Some(source) = &self.source {
            annotations.insert(ANNOTATION_SOURCE.to_string(), source.clone());
        }
        if let Some(revision) = &self.revision {
            annotations.insert(ANNOTATION_REVISION.to_string(), revision.clone());
        }
        annotations
    }
}

/// A layer to push: its bytes and media type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushLayer {
    /// The layer's media type.
    pub media_type: String,
    /// The layer's content.
    pub data: Vec<u8>,
}

/// What a push stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pushed {
    /// The tag and the manifest digest; [`Resolved::revision`] is what an OCIRepository
    /// following that tag will report.
    pub resolved: Resolved,
    /// The layers, in manifest order.
    pub layers: Vec<Layer>,
}

impl OciClient {
    /// Pushes `dir` as a Flux artifact under `tag`: one deterministic tar.gz layer of the
    /// directory's regular files (symlinks and special files skipped), the Flux config media
    /// type, and the `created`/`source`/`revision` annotations.
    ///
    /// The archive is built in memory: meant for tests and the CLI, not for huge trees.
    pub async fn push_artifact(
        &self,
        tag: &str,
        dir: &Path,
        metadata: &ArtifactMetadata,
    ) -> Result<Pushed, Error> {
        let dir_owned = dir.to_path_buf();
        let archive = tokio::task::spawn_blocking(move || build_archive(&dir_owned))
            .await
            .map_err(|e| Error::Archive {
                message: format!("the archiving task failed: {e}"),
            })??;
        let layer = PushLayer {
            media_type: FLUX_CONTENT_MEDIA_TYPE.to_string(),
            data: archive,
        };
        self.push_layers(tag, vec![layer], metadata.to_annotations())
            .await
    }

    /// Pushes an artifact made of `layers` (any media types) under `tag`, with the Flux
    /// config media type and the given manifest annotations.
    pub async fn push_layers(
        &self,
        tag: &str,
        layers: Vec<PushLayer>,
        annotations: BTreeMap<String, String>,
    ) -> Result<Pushed, Error> {
        self.check_push_tag(tag)?;
        self.bounded("pushing the artifact", async {
            let config = b"{}".to_vec();
            let config_descriptor = json!({
                "mediaType": FLUX_CONFIG_MEDIA_TYPE,
                "digest": sha256(&config),
                "size": config.len(),
            });
            self.upload_blob(config).await?;
            let mut pushed_layers = Vec::new();
            for layer in layers {
                let size = layer.data.len() as u64;
                let digest = self.upload_blob(layer.data).await?;
                pushed_layers.push(Layer {
                    media_type: layer.media_type,
                    digest,
                    size,
                });
            }
            let mut manifest = json!({
                "schemaVersion": 2,
                "mediaType": OCI_IMAGE_MEDIA_TYPE,
                "config": config_descriptor,
                "layers": pushed_layers
                    .iter()
                    .map(|l| json!({"mediaType": l.media_type, "digest": l.digest, "size": l.size}))
                    .collect::<Vec<_>>(),
            });
            if !annotations.is_empty() {
                manifest["annotations"] = json!(annotations);
            }
            let body = serde_json::to_vec(&manifest).map_err(|e| Error::Registry {
                url: self.url.to_string(),
                reference: tag.to_string(),
                message: format!("cannot serialize the manifest: {e}"),
            })?;
            let resolved = self
                .upload_manifest(tag, body, OCI_IMAGE_MEDIA_TYPE)
                .await?;
            Ok(Pushed {
                resolved,
                layers: pushed_layers,
            })
        })
        .await
    }

    /// Uploads a blob, returning its digest. With [`OciClient::push_manifest`], lets a caller
    /// push manifests of any shape (Docker v2, indexes...).
    pub async fn push_blob(&self, data: Vec<u8>) -> Result<String, Error> {
        self.bounded("pushing a blob", self.upload_blob(data)).await
    }

    /// Puts a raw manifest of `media_type` under `tag`, returning the tag and its digest.
    pub async fn push_manifest(
        &self,
        tag: &str,
        manifest: Vec<u8>,
        media_type: &str,
    ) -> Result<Resolved, Error> {
        self.check_push_tag(tag)?;
        self.bounded(
            "pushing a manifest",
            self.upload_manifest(tag, manifest, media_type),
        )
        .await
    }

    fn check_push_tag(&self, tag: &str) -> Result<(), Error> {
        check_tag(tag).map_err(|reason| Error::InvalidReference {
            url: self.url.to_string(),
            reference: tag.to_string(),
            reason,
        })
    }

    async fn upload_blob(&self, data: Vec<u8>) -> Result<String, Error> {
        let digest = sha256(&data);
        self.authenticate().await;
        self.inner
            .push_blob(&self.digest_ref(&digest), data, &digest)
            .await
            .map_err(|e| self.registry_error(&digest, e))?;
        Ok(digest)
    }

    async fn upload_manifest(
        &self,
        tag: &str,
        body: Vec<u8>,
        media_type: &str,
    ) -> Result<Resolved, Error> {
        let content_type = reqwest::header::HeaderValue::from_str(media_type).map_err(|_| {
            Error::InvalidManifest {
                url: self.url.to_string(),
                reference: tag.to_string(),
                reason: format!("'{}' is not a valid media type", truncate(media_type)),
            }
        })?;
        let digest = sha256(&body);
        self.authenticate().await;
        self.inner
            .push_manifest_raw(&self.tag_ref(tag), body, content_type)
            .await
            .map_err(|e| self.registry_error(tag, e))?;
        Ok(Resolved {
            tag: Some(tag.to_string()),
            digest,
        })
    }
}

fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// A deterministic tar.gz of `dir` (the shared artifact format: sorted entries, owner 0,
/// zero timestamps, normalised modes, no symlinks), for pushing as a Flux content layer.
pub fn build_archive(dir: &Path) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let keep_all = |_: &Path, _: bool| false;
    capstan_archive::pack_dir(
        dir,
        &keep_all,
        &capstan_archive::Limits::default(),
        &mut out,
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::{Limits, extract};

    #[test]
    fn archives_are_deterministic_and_round_trip() {
        let src = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        fs::create_dir_all(src.path().join("apps/podinfo")).unwrap_or_else(|e| panic!("{e}"));
        fs::write(
            src.path().join("apps/podinfo/deploy.yaml"),
            "kind: Deployment\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        fs::write(src.path().join("kustomization.yaml"), "resources: []\n")
            .unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink("/etc/passwd", src.path().join("link"))
            .unwrap_or_else(|e| panic!("{e}"));
        let first = build_archive(src.path()).unwrap_or_else(|e| panic!("{e}"));
        let second = build_archive(src.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first, second);

        let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let stats = extract(first.as_slice(), out.path(), &Limits::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(stats.files, 2);
        assert!(stats.skipped_links.is_empty(), "symlinks are not archived");
        assert_eq!(
            fs::read_to_string(out.path().join("apps/podinfo/deploy.yaml")).unwrap_or_default(),
            "kind: Deployment\n"
        );
    }

    #[test]
    fn metadata_becomes_the_flux_annotations() {
        let metadata = ArtifactMetadata {
            source: Some("https://github.com/org/repo".into()),
            revision: Some("main@sha1:abc".into()),
            created: None,
            annotations: BTreeMap::new(),
        };
        let annotations = metadata.to_annotations();
        assert_eq!(
            annotations[ANNOTATION_SOURCE],
            "https://github.com/org/repo"
        );
        assert_eq!(annotations[ANNOTATION_REVISION], "main@sha1:abc");
        let created = &annotations[ANNOTATION_CREATED];
        assert!(
            chrono::DateTime::parse_from_rfc3339(created).is_ok(),
            "{created}"
        );
    }
}
