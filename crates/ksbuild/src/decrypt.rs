//! SOPS decryption inside the build: a filesystem layer that decrypts SOPS-encrypted files as
//! kustomize reads them (resources, patches, `secretGenerator` files and envs), verifying the
//! MAC against the file exactly as committed — before any transformer changes the document.
//! Plaintext exists only in memory for the duration of the build: it is never written to disk,
//! logged, or put into an error (errors name the file and the key path only).
//!
//! Objects that opt out (`kustomize.toolkit.fluxcd.io/decrypt: Disabled`) are read as they
//! are. After the build, [`refuse_ciphertext`] fails on any object still carrying SOPS
//! metadata when no decryption is configured, so ciphertext is never applied by accident.

use capstan_api::annotation;
use capstan_kustomize::{ConfinedFs, FsError, RawEntry, RootPath};
use capstan_sops::{Format, Keyring};
use serde_json::Value;

use crate::Error;

/// Wraps a filesystem, decrypting SOPS files with `keyring` as they are read.
pub struct DecryptingFs<'a> {
    inner: &'a dyn ConfinedFs,
    keyring: &'a Keyring,
}

impl<'a> DecryptingFs<'a> {
    /// A decrypting view of `inner`.
    pub fn new(inner: &'a dyn ConfinedFs, keyring: &'a Keyring) -> Self {
        Self { inner, keyring }
    }
}

impl ConfinedFs for DecryptingFs<'_> {
    fn lstat(&self, path: &RootPath) -> Result<Option<RawEntry>, FsError> {
        self.inner.lstat(path)
    }

    fn read_raw(&self, path: &RootPath) -> Result<Vec<u8>, FsError> {
        let bytes = self.inner.read_raw(path)?;
        let name = self.inner.display_path(path);
        let format = Format::from_path(&name);
        if !capstan_sops::is_encrypted(&bytes, format) || opted_out(&bytes, format) {
            return Ok(bytes);
        }
        match capstan_sops::decrypt(&name, &bytes, format, self.keyring) {
            Ok(plaintext) => Ok(plaintext.as_bytes().to_vec()),
            Err(error) => Err(FsError::Unreadable {
                path: name,
                reason: format!("SOPS decryption failed: {error}"),
            }),
        }
    }

    fn list_raw(&self, path: &RootPath) -> Result<Vec<String>, FsError> {
        self.inner.list_raw(path)
    }

    fn display_path(&self, path: &RootPath) -> String {
        self.inner.display_path(path)
    }

    fn absolute_target(&self, target: &str) -> Option<RootPath> {
        self.inner.absolute_target(target)
    }
}

/// Whether every document of an encrypted manifest file carries the opt-out annotation.
fn opted_out(bytes: &[u8], format: Format) -> bool {
    if !matches!(format, Format::Yaml | Format::Json) {
        return false;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let mut documents = 0;
    for document in serde_yaml::Deserializer::from_str(text) {
        let Ok(value) = <serde_yaml::Value as serde::Deserialize>::deserialize(document) else {
            return false;
        };
        if value.is_null() {
            continue;
        }
        documents += 1;
        let disabled = value
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(annotation::KUSTOMIZE_DECRYPT))
            .and_then(serde_yaml::Value::as_str)
            .is_some_and(|v| v == annotation::DISABLED_CAPITAL);
        if !disabled {
            return false;
        }
    }
    documents > 0
}

/// Fails on the first object still carrying SOPS metadata (`sops.mac`) unless it opted out.
pub fn refuse_ciphertext(objects: &[Value]) -> Result<(), Error> {
    for object in objects {
        let encrypted = object
            .get("sops")
            .and_then(|s| s.get("mac"))
            .is_some_and(|mac| !mac.is_null());
        let opted_out = object["metadata"]["annotations"][annotation::KUSTOMIZE_DECRYPT].as_str()
            == Some(annotation::DISABLED_CAPITAL);
        if encrypted && !opted_out {
            return Err(Error::Encrypted {
                object: crate::describe(object),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ciphertext_is_refused_unless_opted_out() {
        let encrypted = json!({"kind": "Secret", "metadata": {"name": "s", "namespace": "apps"}, "sops": {"mac": "ENC[...]"}});
        let error = refuse_ciphertext(std::slice::from_ref(&encrypted)).unwrap_err();
        assert!(error.to_string().contains("Secret/apps/s"), "{error}");
        let opted = json!({"kind": "Secret", "metadata": {"name": "s", "annotations": {"kustomize.toolkit.fluxcd.io/decrypt": "Disabled"}}, "sops": {"mac": "x"}});
        assert!(refuse_ciphertext(&[opted]).is_ok());
        assert!(
            refuse_ciphertext(&[json!({"kind": "ConfigMap", "metadata": {"name": "c"}})]).is_ok()
        );
    }

    #[test]
    fn opt_out_needs_every_document_annotated() {
        let one = b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  annotations:\n    kustomize.toolkit.fluxcd.io/decrypt: Disabled\n";
        assert!(opted_out(one, Format::Yaml));
        let two = b"metadata:\n  annotations:\n    kustomize.toolkit.fluxcd.io/decrypt: Disabled\n---\nmetadata:\n  name: b\n";
        assert!(!opted_out(two, Format::Yaml));
    }
}
