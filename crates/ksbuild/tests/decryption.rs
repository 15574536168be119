//! SOPS decryption inside the build, with fixtures encrypted by the real sops v3.11.0 (from
//! `crates/sops/testdata`): encrypted Secret manifests and `secretGenerator` env files are
//! decrypted (MAC verified before any transformer runs), wrong keys and tampered files fail
//! naming the file and never the plaintext, and ciphertext is refused without decryption.

use std::path::{Path, PathBuf};

use capstan_api::kustomize::Kustomization;
use capstan_ksbuild::{BuildSettings, Error, Keyring, build, keyring_from_secret};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sops/testdata")
}

fn keyring(key: &str) -> Keyring {
    let bytes = std::fs::read(fixtures().join("keys").join(key)).unwrap();
    keyring_from_secret([(key, bytes.as_slice())]).unwrap()
}

/// A source tree: an encrypted Secret, an encrypted env file used by a secretGenerator, and
/// a kustomization with a namespace transformer (which would break the MAC after the build).
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::copy(
        fixtures().join("yaml-flux-secret/encrypted.yaml"),
        app.join("secret.yaml"),
    )
    .unwrap();
    std::fs::copy(
        fixtures().join("dotenv-age/encrypted.env"),
        app.join("db.env"),
    )
    .unwrap();
    std::fs::write(
        app.join("kustomization.yaml"),
        "resources:\n- secret.yaml\nsecretGenerator:\n- name: db\n  envs:\n  - db.env\ngeneratorOptions:\n  disableNameSuffixHash: true\n",
    )
    .unwrap();
    dir
}

fn kustomization(path: &str) -> Kustomization {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": { "name": "apps", "namespace": "flux-system" },
        "spec": { "interval": "5m", "path": path, "prune": true, "targetNamespace": "apps",
                  "sourceRef": { "kind": "GitRepository", "name": "repo" },
                  "decryption": { "provider": "sops", "secretRef": { "name": "sops-age" } } }
    }))
    .unwrap()
}

fn run(dir: &Path, keys: Option<&Keyring>) -> Result<Vec<serde_json::Value>, Error> {
    build(
        dir,
        &kustomization("./app"),
        &BuildSettings {
            no_remote_bases: true,
            keyring: keys,
        },
    )
}

fn chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[test]
fn encrypted_manifests_and_generator_sources_are_decrypted() {
    let dir = tree();
    let objects = run(dir.path(), Some(&keyring("age1.agekey"))).unwrap();
    let secret = objects
        .iter()
        .find(|o| o["metadata"]["name"] == "app-credentials")
        .unwrap();
    assert_eq!(
        secret["metadata"]["namespace"], "apps",
        "transformers ran after decryption"
    );
    assert_eq!(secret["stringData"]["username"], "flux-user");
    assert_eq!(secret["stringData"]["password"], "p@ss: w0rd #1");
    assert!(secret.get("sops").is_none(), "the sops metadata is gone");
    let db = objects
        .iter()
        .find(|o| o["metadata"]["name"] == "db")
        .unwrap();
    // secretGenerator base64-encodes values: "admin".
    assert_eq!(db["data"]["DB_USER"], "YWRtaW4=");
}

#[test]
fn a_wrong_key_names_the_file_and_never_the_plaintext() {
    let dir = tree();
    let error = run(dir.path(), Some(&keyring("age-unrelated.agekey"))).unwrap_err();
    let message = chain(&error);
    assert!(message.contains("secret.yaml"), "{message}");
    for plaintext in ["flux-user", "p@ss", "abc123", "admin"] {
        assert!(
            !message.contains(plaintext),
            "leaked {plaintext}: {message}"
        );
    }
}

#[test]
fn a_tampered_file_fails_the_mac_check() {
    let dir = tree();
    let path = dir.path().join("app/secret.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("app: demo", "app: evil");
    std::fs::write(&path, text).unwrap();
    let message = chain(&run(dir.path(), Some(&keyring("age1.agekey"))).unwrap_err());
    assert!(
        message.contains("secret.yaml") && message.to_lowercase().contains("mac"),
        "{message}"
    );
}

#[test]
fn ciphertext_is_refused_without_decryption() {
    let dir = tree();
    std::fs::write(
        dir.path().join("app/kustomization.yaml"),
        "resources:\n- secret.yaml\n",
    )
    .unwrap();
    let error = run(dir.path(), None).unwrap_err();
    assert!(matches!(error, Error::Encrypted { .. }), "{error}");
    assert!(
        error.to_string().contains("Secret/apps/app-credentials"),
        "{error}"
    );
}
