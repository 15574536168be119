//! Credentials from a Flux `secretRef` Secret, in types that cannot be printed.

use std::fmt;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::Error;
use crate::known_hosts::KnownHosts;

/// A secret value (password, token, private key). It has no `Display`, its `Debug` prints
/// `<redacted>`, and its bytes are only reachable through [`SecretValue::expose`], so it cannot
/// end up in a log line, an event or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(Arc<[u8]>);

impl SecretValue {
    /// Wraps `bytes`.
    pub fn new(bytes: impl Into<Vec<u8>>) -> SecretValue {
        SecretValue(Arc::from(bytes.into()))
    }

    /// The secret bytes; call only where they are handed to the transport.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The secret as UTF-8 text, or `InvalidSecret` naming `key` (never the value).
    pub(crate) fn expose_str(&self, key: &'static str) -> Result<&str, Error> {
        std::str::from_utf8(&self.0).map_err(|_| Error::InvalidSecret {
            key,
            problem: "not valid UTF-8".into(),
        })
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An ssh private key with its optional passphrase.
#[derive(Clone, Debug)]
pub struct SshIdentity {
    /// The private key, PEM or OpenSSH format (`identity`).
    pub private_key: SecretValue,
    /// The key's passphrase (`password` in an ssh Secret).
    pub passphrase: Option<SecretValue>,
}

/// How to authenticate to a remote and verify it, as Flux reads a GitRepository's `secretRef`.
///
/// Which parts apply depends on the URL: `username`/`password`, `bearerToken` and `ca.crt` for
/// http(s); `identity` (+ `password` as its passphrase) and `known_hosts` for ssh. ssh remotes
/// are always verified against `known_hosts`: without it, every ssh connection fails with
/// [`Error::HostKeyUnknown`]. `Debug` never shows a secret value.
#[derive(Clone, Debug, Default)]
pub struct Auth {
    pub(crate) username: Option<String>,
    pub(crate) password: Option<SecretValue>,
    pub(crate) bearer_token: Option<SecretValue>,
    /// The certificates of `ca.crt`, parsed once.
    pub(crate) ca: Option<Arc<Vec<CertificateDer<'static>>>>,
    pub(crate) identity: Option<SshIdentity>,
    pub(crate) known_hosts: Option<KnownHosts>,
}

impl Auth {
    /// No credentials: public http(s) remotes only (ssh still needs `known_hosts`).
    pub fn none() -> Auth {
        Auth::default()
    }

    /// Reads the keys Flux reads from a GitRepository's Secret `data`: `username`, `password`,
    /// `bearerToken`, `ca.crt` (or legacy `caFile`), `identity`, `known_hosts`. Other keys are
    /// ignored, except `tls.crt`/`tls.key` (client certificates), which libgit2 cannot present:
    /// they are refused rather than silently dropped.
    ///
    /// The keys are checked as Flux checks them: `password` needs `username`, a bearer token
    /// excludes basic auth, `known_hosts` must parse, a token must fit an HTTP header.
    pub fn from_secret_data<I, K, V>(data: I) -> Result<Auth, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        let mut auth = Auth::default();
        let mut identity = None;
        for (key, value) in data {
            let value = value.as_ref();
            match key.as_ref() {
                "username" => {
                    let username =
                        std::str::from_utf8(value).map_err(|_| Error::InvalidSecret {
                            key: "username",
                            problem: "not valid UTF-8".into(),
                        })?;
                    auth.username = Some(username.to_string());
                }
                "password" => auth.password = Some(SecretValue::new(value)),
                "bearerToken" => auth.bearer_token = Some(SecretValue::new(trim_line_end(value))),
                "ca.crt" => auth.ca = Some(parse_ca("ca.crt", value)?),
                "caFile" if auth.ca.is_none() => auth.ca = Some(parse_ca("caFile", value)?),
                "identity" => identity = Some(SecretValue::new(value)),
                "known_hosts" => {
                    let text = std::str::from_utf8(value).map_err(|_| Error::InvalidSecret {
                        key: "known_hosts",
                        problem: "not valid UTF-8".into(),
                    })?;
                    auth.known_hosts = Some(KnownHosts::parse(text)?);
                }
                "tls.crt" | "tls.key" => {
                    return Err(Error::InvalidSecret {
                        key: "tls.crt",
                        problem: "TLS client certificates (mTLS) are not supported by Capstan's Git client".into(),
                    });
                }
                _ => {}
            }
        }
        if let Some(private_key) = identity {
            // In an ssh Secret, `password` is the identity's passphrase, as in Flux.
            auth.identity = Some(SshIdentity {
                private_key,
                passphrase: auth.password.clone(),
            });
        }
        auth.validate()?;
        Ok(auth)
    }

    /// Adds https basic auth.
    pub fn with_basic(mut self, username: &str, password: SecretValue) -> Auth {
        self.username = Some(username.to_string());
        self.password = Some(password);
        self
    }

    /// Adds an http `Authorization: Bearer` token.
    pub fn with_bearer_token(mut self, token: SecretValue) -> Auth {
        self.bearer_token = Some(token);
        self
    }

    /// Adds CA certificates (PEM) trusted for https, besides the system's.
    pub fn with_ca_pem(mut self, pem: &[u8]) -> Result<Auth, Error> {
        self.ca = Some(parse_ca("ca.crt", pem)?);
        Ok(self)
    }

    /// Adds an ssh identity.
    pub fn with_ssh_identity(mut self, identity: SshIdentity) -> Auth {
        self.identity = Some(identity);
        self
    }

    /// Sets the ssh `known_hosts` (parsed now, so a bad file fails here).
    pub fn with_known_hosts(mut self, text: &str) -> Result<Auth, Error> {
        self.known_hosts = Some(KnownHosts::parse(text)?);
        Ok(self)
    }

    /// The checks Flux applies to auth options.
    fn validate(&self) -> Result<(), Error> {
        if self.password.is_some() && self.username.is_none() && self.identity.is_none() {
            return Err(Error::InvalidSecret {
                key: "password",
                problem: "'password' requires 'username' to be set".into(),
            });
        }
        if let Some(token) = &self.bearer_token {
            if self.username.is_some() {
                return Err(Error::InvalidSecret {
                    key: "bearerToken",
                    problem: "a bearer token and basic auth ('username'/'password') cannot be used together".into(),
                });
            }
            // The token goes into a header line: a NUL, CR or LF would break or forge headers.
            if token
                .expose()
                .iter()
                .any(|b| matches!(b, 0 | b'\r' | b'\n'))
                || token.expose().is_empty()
            {
                return Err(Error::InvalidSecret {
                    key: "bearerToken",
                    problem: "empty, or contains a control character".into(),
                });
            }
            token.expose_str("bearerToken")?;
        }
        Ok(())
    }

    /// The known secret strings, to scrub from libgit2 messages.
    pub(crate) fn secret_strings(&self) -> Vec<String> {
        let mut secrets = Vec::new();
        for value in [&self.password, &self.bearer_token].into_iter().flatten() {
            secrets.push(String::from_utf8_lossy(value.expose()).into_owned());
        }
        secrets
    }
}

fn parse_ca(key: &'static str, pem: &[u8]) -> Result<Arc<Vec<CertificateDer<'static>>>, Error> {
    crate::tls::parse_bundle(pem)
        .map(Arc::new)
        .map_err(|problem| Error::InvalidSecret { key, problem })
}

/// Drops one trailing newline, which `kubectl create secret --from-file` often leaves.
fn trim_line_end(value: &[u8]) -> &[u8] {
    let value = value.strip_suffix(b"\n").unwrap_or(value);
    value.strip_suffix(b"\r").unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn debug_output_never_shows_secret_values() {
        let auth = Auth::from_secret_data(data(&[("username", "alice"), ("password", "hunter2")]))
            .unwrap();
        let debug = format!("{auth:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("<redacted>"));
        let token = Auth::from_secret_data(data(&[("bearerToken", "tok-123")])).unwrap();
        assert!(!format!("{token:?}").contains("tok-123"));
        let key = Auth::from_secret_data(data(&[
            ("identity", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA"),
            ("password", "pp"),
        ]))
        .unwrap();
        let debug = format!("{key:?}");
        assert!(
            !debug.contains("AAAA") && !debug.contains("pp\""),
            "{debug}"
        );
    }

    #[test]
    fn password_without_username_is_refused() {
        let error = Auth::from_secret_data(data(&[("password", "x")])).unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidSecret {
                    key: "password",
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn password_with_identity_is_the_key_passphrase() {
        let auth =
            Auth::from_secret_data(data(&[("identity", "KEY"), ("password", "pp")])).unwrap();
        let identity = auth.identity.unwrap();
        assert_eq!(identity.passphrase.unwrap().expose(), b"pp");
    }

    #[test]
    fn bearer_token_and_basic_auth_are_exclusive() {
        let error = Auth::from_secret_data(data(&[
            ("bearerToken", "t"),
            ("username", "u"),
            ("password", "p"),
        ]))
        .unwrap_err();
        assert!(matches!(
            error,
            Error::InvalidSecret {
                key: "bearerToken",
                ..
            }
        ));
    }

    #[test]
    fn bearer_token_with_a_newline_inside_is_refused_without_echoing_it() {
        let error =
            Auth::from_secret_data(data(&[("bearerToken", "abc\r\nX-Evil: 1")])).unwrap_err();
        assert!(!error.to_string().contains("abc"), "{error}");
    }

    #[test]
    fn bearer_token_trailing_newline_is_trimmed() {
        let auth = Auth::from_secret_data(data(&[("bearerToken", "tok\n")])).unwrap();
        assert_eq!(auth.bearer_token.unwrap().expose(), b"tok");
    }

    #[test]
    fn client_certificates_are_refused_not_ignored() {
        let error =
            Auth::from_secret_data(data(&[("tls.crt", "x"), ("tls.key", "y")])).unwrap_err();
        assert!(matches!(error, Error::InvalidSecret { key: "tls.crt", .. }));
    }

    #[test]
    fn ca_that_is_not_pem_is_refused() {
        let error = Auth::from_secret_data(data(&[("ca.crt", "not a certificate")])).unwrap_err();
        assert!(
            matches!(error, Error::InvalidSecret { key: "ca.crt", .. }),
            "{error}"
        );
    }

    #[test]
    fn legacy_ca_file_is_read_when_ca_crt_is_absent() {
        let ca = rcgen::generate_simple_self_signed(vec!["ca".to_string()]).unwrap();
        let auth = Auth::from_secret_data(vec![("caFile".to_string(), ca.cert.pem().into_bytes())])
            .unwrap();
        assert_eq!(auth.ca.unwrap().len(), 1);
    }
}
