//! The client for one repository: connection settings, the per-operation timeout, and the
//! translation of `oci-client` errors into [`Error`].

use std::fmt;
use std::future::Future;
use std::sync::Once;
use std::time::Duration;

use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;

use crate::error::truncate;
use crate::{Credentials, Error, OciUrl};

/// How to reach a registry: Flux's `secretRef`, `insecure`, `certSecretRef` and `timeout`.
#[derive(Clone, Debug)]
pub struct RegistryOptions {
    /// Basic-auth credentials (from `secretRef`); anonymous when `None`.
    pub credentials: Option<Credentials>,
    /// `spec.insecure`: talk plain HTTP instead of HTTPS.
    pub insecure: bool,
    /// PEM CA certificate(s) trusted in addition to the system roots (`certSecretRef`'s
    /// `ca.crt`). Client certificates (`tls.crt`/`tls.key`) are not supported.
    pub ca_certificate: Option<Vec<u8>>,
    /// Bound on each operation (resolve, pull, push, list); Flux's default is 60s.
    pub timeout: Duration,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            credentials: None,
            insecure: false,
            ca_certificate: None,
            timeout: Duration::from_secs(60),
        }
    }
}

/// Bounds on what a pull may bring in, so a hostile or broken artifact cannot fill the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest layer blob accepted, in bytes (compressed size).
    pub max_layer_size: u64,
    /// Largest total size of the extracted files, in bytes.
    pub max_extracted_size: u64,
    /// Largest number of archive entries extracted.
    pub max_entries: u64,
}

impl Default for Limits {
    /// 512 MiB per layer, 1 GiB extracted, 100 000 entries.
    fn default() -> Self {
        Self {
            max_layer_size: 512 << 20,
            max_extracted_size: 1 << 30,
            max_entries: 100_000,
        }
    }
}

/// A client for one OCI repository (`oci://host/repository`).
///
/// Cheap to create: make one per reconcile, with that reconcile's credentials. Every
/// operation is bounded by [`RegistryOptions::timeout`].
#[derive(Clone)]
pub struct OciClient {
    pub(crate) url: OciUrl,
    pub(crate) inner: oci_client::Client,
    auth: RegistryAuth,
    pub(crate) timeout: Duration,
    insecure: bool,
}

impl fmt::Debug for OciClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OciClient")
            .field("url", &self.url.to_string())
            .field("insecure", &self.insecure)
            .field("authenticated", &(self.auth != RegistryAuth::Anonymous))
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl OciClient {
    /// Builds a client; fails only when the CA certificate cannot be used.
    pub fn new(url: OciUrl, options: RegistryOptions) -> Result<Self, Error> {
        install_crypto_provider();
        let mut config = ClientConfig {
            protocol: if options.insecure {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            connect_timeout: Some(options.timeout),
            read_timeout: Some(options.timeout),
            // One PUT per blob: fewer round trips than chunked uploads, and every registry
            // takes it.
            use_monolithic_push: true,
            // Index handling is ours (`pull.rs`): never pick a platform silently.
            platform_resolver: None,
            user_agent: concat!("capstan/", env!("CARGO_PKG_VERSION")),
            ..ClientConfig::default()
        };
        if let Some(pem) = &options.ca_certificate {
            config.extra_root_certificates.push(Certificate {
                encoding: CertificateEncoding::Pem,
                data: pem.clone(),
            });
        }
        let inner =
            oci_client::Client::try_from(config).map_err(|e| Error::InvalidCredentials {
                url: url.to_string(),
                reason: format!(
                    "cannot set up TLS with the given CA certificate: {}",
                    truncate(&e.to_string())
                ),
            })?;
        Ok(Self {
            url,
            inner,
            auth: options
                .credentials
                .as_ref()
                .map_or(RegistryAuth::Anonymous, Credentials::to_registry_auth),
            timeout: options.timeout,
            insecure: options.insecure,
        })
    }

    /// The repository this client talks to.
    pub fn url(&self) -> &OciUrl {
        &self.url
    }

    /// An `oci-client` reference to `tag` in this repository.
    pub(crate) fn tag_ref(&self, tag: &str) -> oci_client::Reference {
        oci_client::Reference::with_tag(
            self.url.registry().to_string(),
            self.url.repository().to_string(),
            tag.to_string(),
        )
    }

    /// An `oci-client` reference to `digest` in this repository.
    pub(crate) fn digest_ref(&self, digest: &str) -> oci_client::Reference {
        oci_client::Reference::with_digest(
            self.url.registry().to_string(),
            self.url.repository().to_string(),
            digest.to_string(),
        )
    }

    /// Registers the credentials with `oci-client`, which only authenticates requests to
    /// registries it has stored credentials for. Anonymous is stored too: public repositories
    /// on token-auth registries (Docker Hub, GHCR...) still need an anonymous bearer token.
    pub(crate) async fn authenticate(&self) -> RegistryAuth {
        let registry = self.tag_ref("latest");
        self.inner
            .store_auth_if_needed(registry.resolve_registry(), &self.auth)
            .await;
        self.auth.clone()
    }

    /// Runs `operation` within the timeout.
    pub(crate) async fn bounded<T>(
        &self,
        operation: &str,
        future: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        match tokio::time::timeout(self.timeout, future).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                url: self.url.to_string(),
                operation: operation.to_string(),
                timeout: self.timeout,
            }),
        }
    }

    /// Translates an `oci-client` error about `reference` (a tag, digest or operation name).
    pub(crate) fn registry_error(&self, reference: &str, error: OciDistributionError) -> Error {
        let url = self.url.to_string();
        let reference = reference.to_string();
        match error {
            OciDistributionError::UnauthorizedError { .. } => Error::Unauthorized {
                url,
                reference,
                message: "the registry answered 401 Unauthorized".to_string(),
            },
            OciDistributionError::AuthenticationFailure(message) => Error::Unauthorized {
                url,
                reference,
                message: truncate(&message),
            },
            OciDistributionError::RegistryError { envelope, .. } => {
                let message = truncate(
                    &envelope
                        .errors
                        .iter()
                        .map(|e| format!("{:?}: {}", e.code, e.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                );
                let codes = || envelope.errors.iter().map(|e| &e.code);
                if codes().any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied)) {
                    Error::Unauthorized {
                        url,
                        reference,
                        message,
                    }
                } else if codes().any(|c| {
                    matches!(
                        c,
                        OciErrorCode::ManifestUnknown
                            | OciErrorCode::NameUnknown
                            | OciErrorCode::BlobUnknown
                            | OciErrorCode::NotFound
                    )
                }) {
                    Error::NotFound {
                        url,
                        reference,
                        message,
                    }
                } else {
                    Error::Registry {
                        url,
                        reference,
                        message,
                    }
                }
            }
            OciDistributionError::ServerError { code, message, .. } => {
                let message = format!("HTTP {code}: {}", truncate(&message));
                match code {
                    401 | 403 => Error::Unauthorized {
                        url,
                        reference,
                        message,
                    },
                    404 => Error::NotFound {
                        url,
                        reference,
                        message,
                    },
                    _ => Error::Registry {
                        url,
                        reference,
                        message,
                    },
                }
            }
            OciDistributionError::RequestError(e) => self.transport_error(&reference, &e),
            OciDistributionError::DigestError(
                oci_client::errors::DigestError::VerificationError { expected, actual },
            ) => Error::DigestMismatch {
                url,
                expected,
                actual,
            },
            other => Error::Registry {
                url,
                reference,
                message: truncate(&other.to_string()),
            },
        }
    }

    /// Classifies a transport failure: timeouts, and everything that means "cannot reach".
    pub(crate) fn transport_error(
        &self,
        reference: &str,
        error: &(dyn std::error::Error + 'static),
    ) -> Error {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(e) = cause {
            if e.downcast_ref::<reqwest::Error>()
                .is_some_and(reqwest::Error::is_timeout)
            {
                return Error::Timeout {
                    url: self.url.to_string(),
                    operation: format!("request for {reference}"),
                    timeout: self.timeout,
                };
            }
            cause = e.source();
        }
        Error::Unreachable {
            url: self.url.to_string(),
            reference: reference.to_string(),
            message: truncate(&error_chain(error)),
        }
    }
}

/// An error and its sources, joined with `: `.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// `oci-client` is built without a default TLS crypto provider (to keep aws-lc out of the
/// build); install `ring`, which kube already brings, once per process. When another crate
/// installed a provider first, that one is used.
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
