//! Fetching a source's artifact for an applier: HTTP GET with retries, a size bound, the digest
//! verified **before** anything is unpacked, and a confined untar (`capstan-archive`).
//!
//! Unpacked trees are cached by digest, so a reconcile at an unchanged revision neither
//! downloads nor unpacks again (Flux untars on every reconcile), and Kustomizations sharing a
//! source share one tree. Cached trees are read-only by convention: builds read them and write
//! nothing into them.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use capstan_api::meta::Artifact;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tracing::debug;

/// Why an artifact could not be had; names the URL (never credentials: artifact URLs have none).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server has no such file (the source may be rebuilding it): retry later.
    #[error("artifact not found at {url}")]
    NotFound {
        /// The artifact URL.
        url: String,
    },
    /// The server answered with an error status.
    #[error("GET {url} answered {status}")]
    Status {
        /// The artifact URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The transfer failed after every retry.
    #[error("GET {url} failed")]
    Transfer {
        /// The artifact URL.
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The file is larger than allowed.
    #[error("artifact {url} is larger than {limit} bytes")]
    TooLarge {
        /// The artifact URL.
        url: String,
        /// The bound.
        limit: u64,
    },
    /// The bytes do not match the advertised digest: nothing was unpacked.
    #[error("artifact {url} does not match its digest: expected {expected}, got {actual}")]
    DigestMismatch {
        /// The artifact URL.
        url: String,
        /// `status.artifact.digest`.
        expected: String,
        /// What the bytes hash to.
        actual: String,
    },
    /// The digest is not `sha256:<hex>` (or bare hex, read as sha256 as Flux does).
    #[error("unsupported artifact digest '{0}'")]
    UnsupportedDigest(String),
    /// Unpacking refused an entry or hit a bound.
    #[error("unpacking artifact {url}")]
    Unpack {
        /// The artifact URL.
        url: String,
        #[source]
        source: capstan_archive::ArchiveError,
    },
    /// A local filesystem operation failed.
    #[error("{action} {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Downloads, verifies and unpacks artifacts into a digest-keyed cache.
#[derive(Clone, Debug)]
pub struct ArtifactFetcher {
    http: reqwest::Client,
    cache_dir: PathBuf,
    retries: u32,
    max_size: u64,
    limits: capstan_archive::Limits,
    keep: usize,
    host_override: Option<String>,
}

impl ArtifactFetcher {
    /// A fetcher caching under `cache_dir`, retrying `retries` times (Flux's `--http-retry`,
    /// default 9), accepting files up to `max_size` bytes. `SOURCE_CONTROLLER_LOCALHOST`
    /// (as Flux) replaces the URL's host, for running outside the cluster.
    pub fn new(cache_dir: impl Into<PathBuf>, retries: u32, max_size: u64) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(300))
            .build()
            .unwrap_or_default();
        Self {
            http,
            cache_dir: cache_dir.into(),
            retries,
            max_size,
            limits: capstan_archive::Limits::default(),
            keep: 32,
            host_override: std::env::var("SOURCE_CONTROLLER_LOCALHOST")
                .ok()
                .filter(|h| !h.is_empty()),
        }
    }

    /// The unpacked tree of `artifact`: from the cache, or downloaded, verified and unpacked.
    pub async fn fetch(&self, artifact: &Artifact) -> Result<PathBuf, FetchError> {
        let hex = digest_hex(&artifact.digest)?;
        let tree = self.cache_dir.join(&hex);
        if tree.is_dir() {
            touch(&tree);
            return Ok(tree);
        }
        tokio::fs::create_dir_all(&self.cache_dir)
            .await
            .map_err(io("creating", &self.cache_dir))?;
        let url = self.url_for(&artifact.url);
        let download = tempfile::NamedTempFile::new_in(&self.cache_dir)
            .map_err(io("creating a temporary file in", &self.cache_dir))?;
        let actual = self.download(&url, download.path()).await?;
        if actual != hex {
            return Err(FetchError::DigestMismatch {
                url,
                expected: artifact.digest.clone(),
                actual: format!("sha256:{actual}"),
            });
        }
        let staging = tempfile::Builder::new()
            .prefix(".unpack-")
            .tempdir_in(&self.cache_dir)
            .map_err(io("creating a directory in", &self.cache_dir))?;
        let (file, dest, limits) = (
            download.path().to_path_buf(),
            staging.path().to_path_buf(),
            self.limits,
        );
        let unpacked = tokio::task::spawn_blocking(move || {
            let reader = std::fs::File::open(&file)?;
            Ok::<_, std::io::Error>(capstan_archive::unpack(
                std::io::BufReader::new(reader),
                &dest,
                &limits,
            ))
        })
        .await
        .map_err(|e| FetchError::Io {
            action: "unpacking",
            path: staging.path().to_path_buf(),
            source: std::io::Error::other(e),
        })?
        .map_err(io("reading", download.path()))?;
        unpacked.map_err(|source| FetchError::Unpack {
            url: url.clone(),
            source,
        })?;
        let staged = staging.keep();
        // Another reconcile may have unpacked the same digest meanwhile: either tree is good.
        if std::fs::rename(&staged, &tree).is_err() {
            let _ = std::fs::remove_dir_all(&staged);
        }
        debug!(%url, tree = %tree.display(), "artifact unpacked");
        self.evict_old(&tree);
        Ok(tree)
    }

    fn url_for(&self, url: &str) -> String {
        let Some(host) = &self.host_override else {
            return url.to_string();
        };
        let Some(rest) = url.strip_prefix("http://") else {
            return url.to_string();
        };
        let path = rest.split_once('/').map_or("", |(_, p)| p);
        format!("http://{host}/{path}")
    }

    /// Streams `url` into `path`, returning the sha256 hex of the bytes; retries transfer
    /// failures and 5xx with exponential backoff (1 s doubling, at most 30 s).
    async fn download(&self, url: &str, path: &Path) -> Result<String, FetchError> {
        let mut delay = Duration::from_secs(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.download_once(url, path).await {
                Ok(hex) => return Ok(hex),
                Err(error @ (FetchError::Transfer { .. } | FetchError::Status { .. }))
                    if attempt <= self.retries =>
                {
                    if let FetchError::Status { status, .. } = &error
                        && *status < 500
                    {
                        return Err(error);
                    }
                    debug!(%url, attempt, error = %error, "artifact download failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
                Err(error) => return Err(error),
            }
        }
    }

    async fn download_once(&self, url: &str, path: &Path) -> Result<String, FetchError> {
        let transfer = |source| FetchError::Transfer {
            url: url.to_string(),
            source,
        };
        let response = self.http.get(url).send().await.map_err(transfer)?;
        match response.status().as_u16() {
            200 => {}
            404 => {
                return Err(FetchError::NotFound {
                    url: url.to_string(),
                });
            }
            status => {
                return Err(FetchError::Status {
                    url: url.to_string(),
                    status,
                });
            }
        }
        if response
            .content_length()
            .is_some_and(|len| len > self.max_size)
        {
            return Err(FetchError::TooLarge {
                url: url.to_string(),
                limit: self.max_size,
            });
        }
        let mut file = tokio::fs::File::create(path)
            .await
            .map_err(io("creating", path))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(transfer)?;
            size += chunk.len() as u64;
            if size > self.max_size {
                return Err(FetchError::TooLarge {
                    url: url.to_string(),
                    limit: self.max_size,
                });
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(io("writing", path))?;
        }
        file.flush().await.map_err(io("writing", path))?;
        Ok(hex::encode(hasher.finalize()))
    }

    /// Keeps the `keep` most recently used trees (never `current`).
    fn evict_old(&self, current: &Path) {
        let Ok(entries) = std::fs::read_dir(&self.cache_dir) else {
            return;
        };
        let mut trees: Vec<(SystemTime, PathBuf)> = entries
            .flatten()
            .filter(|e| {
                e.file_type().is_ok_and(|t| t.is_dir())
                    && !e.file_name().to_string_lossy().starts_with('.')
            })
            .map(|e| {
                (
                    e.metadata()
                        .and_then(|m| m.modified())
                        .unwrap_or(SystemTime::UNIX_EPOCH),
                    e.path(),
                )
            })
            .collect();
        if trees.len() <= self.keep {
            return;
        }
        trees.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
        for (_, path) in trees.into_iter().skip(self.keep) {
            if path != current {
                let _ = std::fs::remove_dir_all(path);
            }
        }
    }
}

/// The sha256 hex of `sha256:<hex>` (bare hex is read as sha256, as Flux's fetcher does).
fn digest_hex(digest: &str) -> Result<String, FetchError> {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex.to_ascii_lowercase())
    } else {
        Err(FetchError::UnsupportedDigest(digest.to_string()))
    }
}

fn touch(path: &Path) {
    let _ = std::fs::File::open(path).and_then(|f| f.set_modified(SystemTime::now()));
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> FetchError + 'a {
    move |source| FetchError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use k8s_openapi::jiff::Timestamp;

    use super::*;

    /// A tiny HTTP server answering every request with `body` (or 404 for `/missing`).
    async fn serve(body: Vec<u8>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let body = body.clone();
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut request = [0u8; 1024];
                    let n = stream.read(&mut request).await.unwrap_or(0);
                    let missing =
                        String::from_utf8_lossy(&request[..n]).starts_with("GET /missing");
                    let head = if missing {
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_string()
                    } else {
                        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len())
                    };
                    let _ = stream.write_all(head.as_bytes()).await;
                    if !missing {
                        let _ = stream.write_all(&body).await;
                    }
                });
            }
        });
        format!("http://{addr}")
    }

    fn tarball(files: &[(&str, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        ));
        for (name, content) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, name, content.as_bytes())
                .unwrap();
        }
        let mut gz = builder.into_inner().unwrap();
        gz.flush().unwrap();
        gz.finish().unwrap()
    }

    fn artifact(url: String, bytes: &[u8]) -> Artifact {
        Artifact {
            digest: format!("sha256:{}", hex::encode(Sha256::digest(bytes))),
            last_update_time: Time(Timestamp::now()),
            path: "x".into(),
            revision: "main@sha1:abc".into(),
            url,
            size: None,
            metadata: None,
        }
    }

    #[tokio::test]
    async fn verified_artifacts_are_unpacked_once_and_cached() {
        let bytes = tarball(&[("deploy/app.yaml", "kind: ConfigMap\n")]);
        let base = serve(bytes.clone()).await;
        let cache = tempfile::tempdir().unwrap();
        let fetcher = ArtifactFetcher::new(cache.path(), 0, 1 << 20);
        let artifact = artifact(format!("{base}/gitrepository/ns/app/abc.tar.gz"), &bytes);
        let tree = fetcher.fetch(&artifact).await.unwrap();
        assert_eq!(
            std::fs::read_to_string(tree.join("deploy/app.yaml")).unwrap(),
            "kind: ConfigMap\n"
        );
        // Cached: a second fetch does not need the server.
        let offline = Artifact {
            url: "http://127.0.0.1:1/gone".into(),
            ..artifact
        };
        assert_eq!(fetcher.fetch(&offline).await.unwrap(), tree);
    }

    #[tokio::test]
    async fn a_digest_mismatch_unpacks_nothing() {
        let bytes = tarball(&[("a.yaml", "a: 1\n")]);
        let base = serve(bytes.clone()).await;
        let cache = tempfile::tempdir().unwrap();
        let fetcher = ArtifactFetcher::new(cache.path(), 0, 1 << 20);
        let mut wrong = artifact(format!("{base}/a.tar.gz"), b"other bytes");
        wrong.revision = "x".into();
        let error = fetcher.fetch(&wrong).await.unwrap_err();
        assert!(
            matches!(error, FetchError::DigestMismatch { .. }),
            "{error}"
        );
        let left: Vec<_> = std::fs::read_dir(cache.path())
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_dir())
            .collect();
        assert!(left.is_empty(), "nothing unpacked: {left:?}");
    }

    #[tokio::test]
    async fn missing_and_oversized_artifacts_are_reported() {
        let bytes = tarball(&[("a.yaml", &"x".repeat(10_000))]);
        let base = serve(bytes.clone()).await;
        let cache = tempfile::tempdir().unwrap();
        let fetcher = ArtifactFetcher::new(cache.path(), 0, 100);
        let missing = fetcher
            .fetch(&artifact(format!("{base}/missing"), &bytes))
            .await
            .unwrap_err();
        assert!(matches!(missing, FetchError::NotFound { .. }), "{missing}");
        let large = fetcher
            .fetch(&artifact(format!("{base}/big.tar.gz"), &bytes))
            .await
            .unwrap_err();
        assert!(matches!(large, FetchError::TooLarge { .. }), "{large}");
    }

    #[test]
    fn digests_are_validated() {
        assert!(digest_hex("sha256:zz").is_err());
        assert!(digest_hex("sha512:abc").is_err());
        assert_eq!(
            digest_hex(&format!("sha256:{}", "A".repeat(64))).unwrap(),
            "a".repeat(64)
        );
        assert_eq!(digest_hex(&"b".repeat(64)).unwrap(), "b".repeat(64));
    }

    #[test]
    fn the_localhost_override_replaces_the_host() {
        let mut fetcher = ArtifactFetcher::new("/tmp/x", 0, 1);
        fetcher.host_override = Some("localhost:9090".into());
        assert_eq!(
            fetcher.url_for("http://source-controller.flux-system.svc.cluster.local./gitrepository/ns/app/a.tar.gz"),
            "http://localhost:9090/gitrepository/ns/app/a.tar.gz"
        );
    }
}
