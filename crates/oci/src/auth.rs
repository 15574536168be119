//! Registry credentials from a `kubernetes.io/dockerconfigjson` Secret (Flux's `secretRef`).

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::Deserialize;

use crate::Error;

/// The key of a `kubernetes.io/dockerconfigjson` Secret that holds the Docker config.
pub const DOCKERCONFIGJSON_KEY: &str = ".dockerconfigjson";

/// A username and password for a registry.
///
/// Its `Debug` redacts the password and it has no `Display`, so it cannot reach a log line,
/// an event or a condition message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    password: String,
}

impl Credentials {
    /// Wraps a username and password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The username (not secret on its own; shown in `Debug`).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// Finds the credentials for `registry` (`host[:port]`) in a `.dockerconfigjson` document.
    ///
    /// `auths` keys may be `host`, `https://host`, `http://host` or `host/v1/` forms; Docker
    /// Hub's `index.docker.io`, `registry-1.docker.io` and `docker.io` are one registry. An
    /// entry's `auth` (base64 of `user:password`) wins over `username`/`password`, as in the
    /// Docker CLI. `Ok(None)` when no entry matches: the registry is then used anonymously.
    /// Errors never quote the document.
    pub fn from_dockerconfigjson(json: &[u8], registry: &str) -> Result<Option<Self>, Error> {
        Self::find_in(json, registry).map_err(|reason| Error::InvalidCredentials {
            url: registry.to_string(),
            reason,
        })
    }

    fn find_in(json: &[u8], registry: &str) -> Result<Option<Self>, String> {
        let config: DockerConfig = serde_json::from_slice(json).map_err(|e| {
            format!("'{DOCKERCONFIGJSON_KEY}' is not a valid Docker config JSON document (line {}, column {})", e.line(), e.column())
        })?;
        let wanted = normalize_host(registry);
        let Some((key, entry)) = config
            .auths
            .iter()
            .find(|(key, _)| normalize_host(key) == wanted)
        else {
            return Ok(None);
        };
        let key = key.clone();
        if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| format!("the 'auth' field of '{key}' is not valid base64"))?;
            let decoded = String::from_utf8(decoded)
                .map_err(|_| format!("the 'auth' field of '{key}' is not UTF-8"))?;
            let Some((username, password)) = decoded.split_once(':') else {
                return Err(format!(
                    "the 'auth' field of '{key}' is not 'username:password'"
                ));
            };
            return Ok(Some(Self::new(username, password)));
        }
        match (&entry.username, &entry.password) {
            (Some(username), Some(password)) if !username.is_empty() => {
                Ok(Some(Self::new(username.clone(), password.clone())))
            }
            _ => Err(format!(
                "the entry '{key}' has neither 'auth' nor 'username' and 'password'"
            )),
        }
    }

    pub(crate) fn to_registry_auth(&self) -> oci_client::secrets::RegistryAuth {
        oci_client::secrets::RegistryAuth::Basic(self.username.clone(), self.password.clone())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[derive(Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
}

#[derive(Deserialize)]
struct AuthEntry {
    username: Option<String>,
    password: Option<String>,
    auth: Option<String>,
}

/// `https://index.docker.io/v1/` → `docker.io`, `http://host:5000/` → `host:5000`.
fn normalize_host(key: &str) -> String {
    let key = key.trim();
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = key.split('/').next().unwrap_or(key).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_string()
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(json: &str, registry: &str) -> Result<Option<Credentials>, String> {
        Credentials::from_dockerconfigjson(json.as_bytes(), registry).map_err(|e| {
            assert_eq!(e.reason(), "AuthenticationFailed");
            e.to_string()
        })
    }

    fn pair(found: Option<Credentials>) -> Option<(String, String)> {
        found.map(|c| (c.username.clone(), c.password.clone()))
    }

    #[test]
    fn username_and_password_are_read() {
        let json = r#"{"auths":{"ghcr.io":{"username":"bot","password":"s3cret"}}}"#;
        assert_eq!(
            pair(find(json, "ghcr.io").ok().flatten()),
            Some(("bot".into(), "s3cret".into()))
        );
    }

    #[test]
    fn auth_field_is_decoded_and_wins() {
        // base64("alice:pa:ss") — the password may contain colons.
        let json = r#"{"auths":{"r.example.com:5000":{"username":"x","password":"y","auth":"YWxpY2U6cGE6c3M="}}}"#;
        assert_eq!(
            pair(find(json, "r.example.com:5000").ok().flatten()),
            Some(("alice".into(), "pa:ss".into()))
        );
    }

    #[test]
    fn host_forms_match() {
        let entry = r#"{"username":"u","password":"p"}"#;
        for key in [
            "r.example.com",
            "https://r.example.com",
            "http://r.example.com/",
            "r.example.com/v1/",
            "https://R.example.com/v2/",
        ] {
            let json = format!(r#"{{"auths":{{"{key}":{entry}}}}}"#);
            assert!(
                find(&json, "r.example.com").ok().flatten().is_some(),
                "{key}"
            );
        }
        let hub = format!(r#"{{"auths":{{"https://index.docker.io/v1/":{entry}}}}}"#);
        assert!(find(&hub, "docker.io").ok().flatten().is_some());
    }

    #[test]
    fn ports_must_match() {
        let json = r#"{"auths":{"r.example.com:5000":{"username":"u","password":"p"}}}"#;
        assert!(find(json, "r.example.com").ok().flatten().is_none());
        assert!(find(json, "r.example.com:5001").ok().flatten().is_none());
    }

    #[test]
    fn no_matching_entry_means_anonymous() {
        assert!(find(r#"{"auths":{}}"#, "ghcr.io").ok().flatten().is_none());
        assert!(find(r#"{}"#, "ghcr.io").ok().flatten().is_none());
    }

    #[test]
    fn malformed_documents_are_refused_without_quoting_them() {
        let bad_json = find(r#"{"auths":{"ghcr.io":{"password":"hunter2""#, "ghcr.io");
        let message = bad_json.err().unwrap_or_default();
        assert!(!message.contains("hunter2"), "{message}");
        assert!(message.contains(".dockerconfigjson"), "{message}");

        let bad_auth = find(r#"{"auths":{"ghcr.io":{"auth":"hunter2!!"}}}"#, "ghcr.io");
        let message = bad_auth.err().unwrap_or_default();
        assert!(
            message.contains("base64") && !message.contains("hunter2"),
            "{message}"
        );

        // base64("nocolon")
        let no_colon = find(
            r#"{"auths":{"ghcr.io":{"auth":"bm9jb2xvbg=="}}}"#,
            "ghcr.io",
        );
        assert!(no_colon.is_err());
        let empty = find(r#"{"auths":{"ghcr.io":{}}}"#, "ghcr.io");
        assert!(empty.is_err());
    }

    #[test]
    fn debug_redacts_the_password() {
        let debug = format!("{:?}", Credentials::new("bot", "hunter2"));
        assert!(
            debug.contains("bot") && !debug.contains("hunter2"),
            "{debug}"
        );
    }
}
