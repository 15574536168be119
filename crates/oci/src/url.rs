//! `oci://host[:port]/repository` URLs (OCIRepository's `spec.url`) and bare image names
//! (ImageRepository's `spec.image`).

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

use crate::Error;

/// The scheme prefix Flux requires on `OCIRepository.spec.url` (`^oci://`).
pub const OCI_SCHEME: &str = "oci://";

/// The registry host used when an image name has no host part, as Docker and Flux do.
const DOCKER_HUB: &str = "docker.io";

/// A repository path as the OCI distribution spec allows it: lower-case components separated
/// by `/`, each made of alphanumerics joined by `.`, `_`, `__` or dashes.
static REPOSITORY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$",
    )
    .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// A host name or IP address, bracketed for IPv6, with an optional port.
static HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// A parsed repository location: the registry host (with port) and the repository path.
///
/// Displayed as the `oci://` URL it came from, so messages name what the user wrote.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OciUrl {
    registry: String,
    repository: String,
}

impl OciUrl {
    /// Parses an OCIRepository `spec.url`: `oci://<host>[:port]/<repository>`, without tag or
    /// digest (Flux refuses `:tag` in the URL: the tag belongs in `spec.ref`).
    ///
    /// As Flux (go-containerregistry), a first path component that is not a host name (no `.`
    /// or `:`, not `localhost`) means Docker Hub, where one-component names live under
    /// `library/`.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let invalid = |reason: String| Error::InvalidUrl {
            url: url.to_string(),
            reason,
        };
        let Some(rest) = url.strip_prefix(OCI_SCHEME) else {
            return Err(invalid(
                "URL must be in format 'oci://<domain>/<org>/<repo>'".to_string(),
            ));
        };
        parse_name(rest).map_err(invalid)
    }

    /// Parses an image name without scheme, as ImageRepository's `spec.image`
    /// (`ghcr.io/org/app`, `nginx`), with the same rules as [`OciUrl::parse`].
    pub fn parse_image(image: &str) -> Result<Self, Error> {
        if image.contains("://") {
            return Err(Error::InvalidUrl {
                url: image.to_string(),
                reason: "an image name has no scheme".to_string(),
            });
        }
        parse_name(image).map_err(|reason| Error::InvalidUrl {
            url: image.to_string(),
            reason,
        })
    }

    /// The registry host, with its port when one was given (`127.0.0.1:5000`, `ghcr.io`).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path inside the registry (`org/app`).
    pub fn repository(&self) -> &str {
        &self.repository
    }
}

impl fmt::Display for OciUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{OCI_SCHEME}{}/{}", self.registry, self.repository)
    }
}

impl std::str::FromStr for OciUrl {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn parse_name(name: &str) -> Result<OciUrl, String> {
    if name.is_empty() {
        return Err("the registry host and repository are missing".to_string());
    }
    if let Some(at) = name.find('@') {
        return Err(format!(
            "URL must not contain a digest; remove '{}' and set it in spec.ref.digest",
            &name[at..]
        ));
    }
    if !name.contains('/') && looks_like_host(name) {
        return Err(format!("the repository path is missing after '{name}'"));
    }
    let (registry, repository) = match name.split_once('/') {
        Some((first, rest)) if looks_like_host(first) => (first.to_string(), rest.to_string()),
        _ => (DOCKER_HUB.to_string(), name.to_string()),
    };
    if !HOST.is_match(&registry) {
        return Err(format!("'{registry}' is not a valid registry host"));
    }
    let port = match registry.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once("]:").map(|(_, port)| port),
        None => registry.split_once(':').map(|(_, port)| port),
    };
    if let Some(port) = port
        && !matches!(port.parse::<u16>(), Ok(p) if p != 0)
    {
        return Err(format!("'{port}' is not a valid port"));
    }
    if repository.is_empty() {
        return Err("the repository path is missing".to_string());
    }
    if let Some((_, tag)) = repository.split_once(':') {
        return Err(format!("URL must not contain a tag; remove ':{tag}'"));
    }
    if !REPOSITORY.is_match(&repository) {
        return Err(format!(
            "'{repository}' is not a valid repository path (lower-case letters, digits and \
             separators '.', '_', '-', components joined by '/')"
        ));
    }
    let repository = if registry == DOCKER_HUB && !repository.contains('/') {
        format!("library/{repository}")
    } else {
        repository
    };
    Ok(OciUrl {
        registry,
        repository,
    })
}

/// Whether the first component of a name is a registry host rather than a Docker Hub
/// namespace: it has a dot or a port, or is `localhost`.
fn looks_like_host(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost" || first.starts_with('[')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> (String, String) {
        let parsed = OciUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        (
            parsed.registry().to_string(),
            parsed.repository().to_string(),
        )
    }

    fn refused(url: &str) -> String {
        match OciUrl::parse(url) {
            Ok(parsed) => panic!("{url} was accepted as {parsed:?}"),
            Err(e) => {
                assert_eq!(e.reason(), "URLInvalid");
                e.to_string()
            }
        }
    }

    #[test]
    fn host_port_and_nested_repository_are_split() {
        assert_eq!(
            parse("oci://127.0.0.1:5000/org/team/app"),
            ("127.0.0.1:5000".into(), "org/team/app".into())
        );
        assert_eq!(
            parse("oci://ghcr.io/stefanprodan/manifests/podinfo").0,
            "ghcr.io"
        );
        assert_eq!(
            parse("oci://localhost/app"),
            ("localhost".into(), "app".into())
        );
        assert_eq!(
            parse("oci://[::1]:5000/app"),
            ("[::1]:5000".into(), "app".into())
        );
    }

    #[test]
    fn names_without_a_host_are_docker_hub() {
        assert_eq!(
            parse("oci://stefanprodan/podinfo"),
            ("docker.io".into(), "stefanprodan/podinfo".into())
        );
        assert_eq!(
            parse("oci://docker.io/nginx"),
            ("docker.io".into(), "library/nginx".into())
        );
    }

    #[test]
    fn display_gives_back_the_url() {
        let url =
            OciUrl::parse("oci://registry.example.com:8443/a/b").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(url.to_string(), "oci://registry.example.com:8443/a/b");
    }

    #[test]
    fn other_schemes_are_refused() {
        for url in [
            "https://ghcr.io/a/b",
            "ghcr.io/a/b",
            "OCI://ghcr.io/a/b",
            "",
            "oci:/ghcr.io/a",
        ] {
            let message = refused(url);
            assert!(message.contains("oci://<domain>"), "{message}");
        }
    }

    #[test]
    fn tags_and_digests_in_the_url_are_refused() {
        assert!(refused("oci://ghcr.io/a/b:v1").contains("remove ':v1'"));
        assert!(refused("oci://ghcr.io/a/b@sha256:abc").contains("digest"));
    }

    #[test]
    fn malformed_hosts_and_paths_are_refused() {
        for url in [
            "oci://",
            "oci://ghcr.io",
            "oci://ghcr.io/",
            "oci://ghcr.io/A/B",
            "oci://ghcr.io/a//b",
            "oci://ghcr.io/a/b/",
            "oci://ghcr.io/a/../b",
            "oci://ghcr.io/a?x=1",
            "oci://host:99999/a",
            "oci://host:0/a",
            "oci://ho_st:5000/a",
            "oci://user:pass@host/a",
        ] {
            refused(url);
        }
    }

    #[test]
    fn image_names_parse_without_scheme() {
        let image = OciUrl::parse_image("ghcr.io/org/app").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (image.registry(), image.repository()),
            ("ghcr.io", "org/app")
        );
        let hub = OciUrl::parse_image("nginx").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(hub.repository(), "library/nginx");
        assert!(OciUrl::parse_image("oci://ghcr.io/org/app").is_err());
    }
}
