//! The document formats sops writes, chosen by file extension as sops does.

pub(crate) mod dotenv;
pub(crate) mod json;
pub(crate) mod yaml;

use std::fmt;
use std::path::Path;

/// A sops document format. Binary files are stored by sops as a JSON document whose `data` key
/// holds the whole encrypted file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `.yaml`, `.yml`: one or more YAML documents.
    Yaml,
    /// `.json`: one JSON object.
    Json,
    /// `.env`: `KEY=value` lines.
    Dotenv,
    /// Anything else: the plaintext is opaque bytes.
    Binary,
}

impl Format {
    /// Picks the format from a file name's extension, as sops does (`.yaml`/`.yml`, `.json`,
    /// `.env`; everything else is binary). `.ini` files are binary here: Flux's
    /// kustomize-controller does not decrypt INI either.
    #[must_use]
    pub fn from_path(path: impl AsRef<Path>) -> Self {
        match path.as_ref().extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => Format::Yaml,
            Some("json") => Format::Json,
            Some("env") => Format::Dotenv,
            _ => Format::Binary,
        }
    }

    /// The format's name as sops spells it (`--input-type`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Dotenv => "dotenv",
            Format::Binary => "binary",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_the_extension() {
        assert_eq!(Format::from_path("a/secret.enc.yaml"), Format::Yaml);
        assert_eq!(Format::from_path("x.yml"), Format::Yaml);
        assert_eq!(Format::from_path("x.json"), Format::Json);
        assert_eq!(Format::from_path(".env"), Format::Binary);
        assert_eq!(Format::from_path("app.env"), Format::Dotenv);
        assert_eq!(Format::from_path("tls.crt"), Format::Binary);
        assert_eq!(Format::from_path("noext"), Format::Binary);
    }
}
