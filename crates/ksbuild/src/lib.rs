//! `capstan-ksbuild`: turn a Flux `Kustomization` and its source tree into the manifests to
//! apply — the one pipeline shared by kustomize-controller and `capstan build`/`diff`.
//!
//! [`build`] runs, in order: `spec.path` confined to the tree → SOPS decryption of the files
//! kustomize reads ([`decrypt`], MAC verified, plaintext only in memory) → `kustomize build`
//! with the spec's overlay ([`overlay`]) → a refusal to pass on ciphertext when no decryption
//! is configured. [`vars`] then loads and substitutes `postBuild` variables.

mod decrypt;
mod error;
mod overlay;
pub mod vars;

use std::path::Path;

use capstan_api::kustomize::Kustomization;
use capstan_kustomize::{BuildOptions, DiskFs, RemotePolicy};
use serde_json::Value;

pub use capstan_sops::Keyring;
pub use decrypt::{DecryptingFs, refuse_ciphertext};
pub use error::Error;
pub use overlay::{overlay, to_json};

/// How to build.
#[derive(Debug, Default, Clone, Copy)]
pub struct BuildSettings<'a> {
    /// `--no-remote-bases`: refuse remote bases.
    pub no_remote_bases: bool,
    /// The decryption keys when `spec.decryption` is configured; `None` otherwise.
    pub keyring: Option<&'a Keyring>,
}

/// Builds `spec.path` of the source tree at `tree` into JSON objects.
pub fn build(
    tree: &Path,
    kustomization: &Kustomization,
    settings: &BuildSettings<'_>,
) -> Result<Vec<Value>, Error> {
    let path = overlay::normalized_path(kustomization.path());
    let escapes = Path::new(&path).components().any(|c| {
        matches!(
            c,
            std::path::Component::ParentDir | std::path::Component::RootDir
        )
    });
    if escapes {
        return Err(Error::PathEscapes(kustomization.path().to_string()));
    }
    if !tree.join(&path).is_dir() {
        return Err(Error::PathNotFound(kustomization.path().to_string()));
    }
    let disk = DiskFs::new(tree).map_err(Error::Root)?;
    let mut options = BuildOptions::flux(overlay(kustomization));
    options.remote = if settings.no_remote_bases {
        RemotePolicy::Refuse
    } else {
        RemotePolicy::Allow
    };
    let built = match settings.keyring {
        Some(keyring) => {
            capstan_kustomize::build_with(&DecryptingFs::new(&disk, keyring), &path, &options)
        }
        None => capstan_kustomize::build_with(&disk, &path, &options),
    }
    .map_err(Error::Build)?;
    let objects: Vec<Value> = built
        .objects
        .into_iter()
        .map(|o| to_json(o.into_value()))
        .collect();
    if settings.keyring.is_none() {
        refuse_ciphertext(&objects)?;
    }
    Ok(objects)
}

/// The decryption keys of a Kustomization's `spec.decryption.secretRef` Secret data
/// (`*.agekey`, `*.asc` entries).
pub fn keyring_from_secret<'a>(
    data: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Keyring, Error> {
    Keyring::from_secret_data(data).map_err(Error::Keys)
}

/// `Kind/namespace/name` (or `Kind/name`) of a built object, for messages.
pub fn describe(object: &Value) -> String {
    let metadata = &object["metadata"];
    let kind = object["kind"].as_str().unwrap_or("Object");
    match metadata["namespace"].as_str() {
        Some(ns) => format!("{kind}/{ns}/{}", metadata["name"].as_str().unwrap_or("")),
        None => format!("{kind}/{}", metadata["name"].as_str().unwrap_or("")),
    }
}
