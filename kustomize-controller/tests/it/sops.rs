//! SOPS: secrets encrypted in Git (by the real sops v3.11.0, fixtures in crates/sops/testdata)
//! are decrypted only in the cluster, and no plaintext reaches a log line, an event, a status
//! message or a file on disk.

use std::path::{Path, PathBuf};
use std::time::Duration;

use capstan_api::kustomize::Kustomization;
use k8s_openapi::api::core::v1::{Event, Secret};
use kube::api::{ListParams, PostParams};
use serde_json::json;

use crate::support::Env;

const PLAINTEXTS: [&str; 4] = [
    "flux-user",
    "p@ss: w0rd #1",
    "abc123",
    "p@ss=word with spaces",
];

fn fixture(path: &str) -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/sops/testdata")
            .join(path),
    )
    .unwrap()
}

async fn key_secret(env: &Env, name: &str, key_file: &str) {
    let secret: Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": { "name": name },
        "stringData": { "age.agekey": fixture(&format!("keys/{key_file}")) }
    }))
    .unwrap();
    env.api::<Secret>()
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
}

fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if std::fs::read(&path)
            .is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(needle))
        {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn encrypted_secrets_are_decrypted_in_the_cluster_and_nowhere_else() {
    let kustomization = "resources:\n- secret.yaml\nsecretGenerator:\n- name: db\n  envs:\n  - db.env\ngeneratorOptions:\n  disableNameSuffixHash: true\n";
    let env = Env::start(
        "ks-sops",
        &[
            ("app/kustomization.yaml", kustomization),
            (
                "app/secret.yaml",
                &fixture("yaml-flux-secret/encrypted.yaml"),
            ),
            ("app/db.env", &fixture("dotenv-age/encrypted.env")),
            ("plain/kustomization.yaml", "resources:\n- secret.yaml\n"),
            (
                "plain/secret.yaml",
                &fixture("yaml-flux-secret/encrypted.yaml"),
            ),
        ],
        &[],
    )
    .await;
    let ns = env.ns().to_string();
    key_secret(&env, "sops-age", "age1.agekey").await;
    key_secret(&env, "sops-wrong", "age-unrelated.agekey").await;
    let revision = env.head_revision();
    let decryption = |secret: &str| json!({ "provider": "sops", "secretRef": { "name": secret } });
    env.kustomization(
        "secrets",
        "./app",
        json!({ "targetNamespace": ns, "decryption": decryption("sops-age") }),
    )
    .await;
    env.kustomization(
        "wrong-key",
        "./app",
        json!({ "targetNamespace": ns, "decryption": decryption("sops-wrong") }),
    )
    .await;
    env.kustomization("no-decryption", "./plain", json!({ "targetNamespace": ns }))
        .await;

    env.wait_applied("secrets", &revision, Duration::from_secs(60))
        .await;
    let secret = env.api::<Secret>().get("app-credentials").await.unwrap();
    let string =
        |key: &str| String::from_utf8(secret.data.as_ref().unwrap()[key].0.clone()).unwrap();
    assert_eq!(string("username"), "flux-user");
    assert_eq!(string("password"), "p@ss: w0rd #1");
    let db = env.api::<Secret>().get("db").await.unwrap();
    assert_eq!(db.data.unwrap()["DB_USER"].0, b"admin");

    let message = env
        .wait_failed("wrong-key", "BuildFailed", Duration::from_secs(60))
        .await;
    assert!(
        message.contains("secret.yaml") && message.contains("SOPS"),
        "names the file: {message}"
    );
    let message = env
        .wait_failed("no-decryption", "BuildFailed", Duration::from_secs(60))
        .await;
    assert!(
        message.contains(&format!("Secret/{ns}/app-credentials"))
            && message.contains("SOPS-encrypted"),
        "{message}"
    );

    // No plaintext anywhere but in the Secrets themselves.
    let kustomizations = serde_json::to_string(
        &env.api::<Kustomization>()
            .list(&ListParams::default())
            .await
            .unwrap(),
    )
    .unwrap();
    let events = serde_json::to_string(
        &env.api::<Event>()
            .list(&ListParams::default())
            .await
            .unwrap(),
    )
    .unwrap();
    for plaintext in PLAINTEXTS {
        assert!(
            !kustomizations.contains(plaintext),
            "status leaks {plaintext}"
        );
        assert!(!events.contains(plaintext), "events leak {plaintext}");
        assert!(
            !env.controller.log().contains(plaintext),
            "kustomize-controller log leaks {plaintext}"
        );
        assert!(
            !env.source.log().contains(plaintext),
            "source-controller log leaks {plaintext}"
        );
        // Everything the controllers wrote: the artifact cache, storage, and their TMPDIR.
        for dir in [env.cache.path(), env.storage.path(), env.tmp.path()] {
            let leaks = files_containing(dir, plaintext);
            assert!(leaks.is_empty(), "plaintext {plaintext} on disk: {leaks:?}");
        }
    }
}
