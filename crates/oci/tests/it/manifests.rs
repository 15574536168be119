//! Manifest shapes: Docker v2 manifests are pulled, an index of one manifest is followed,
//! larger indexes are refused with a clear error.

use capstan_e2e::Registry;
use capstan_oci::{Error, OCIReference, OciClient, Pushed};
use serde_json::json;

use crate::support::{client, pull_into, read, registry, tempdir};

const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

async fn push_docker_manifest(client: &OciClient, tag: &str, layer: &Pushed) -> String {
    let config = client
        .push_blob(b"{}".to_vec())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": config, "size": 2},
        "layers": [{
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "digest": layer.layers[0].digest,
            "size": layer.layers[0].size,
        }],
    });
    let body = serde_json::to_vec(&manifest).unwrap_or_else(|e| panic!("{e}"));
    client
        .push_manifest(tag, body, DOCKER_MANIFEST)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .digest
}

#[tokio::test]
async fn docker_v2_manifests_are_pulled() {
    let registry = registry();
    let artifact = registry
        .push_files("app", "oci", &[("a.yaml", "from docker")])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = client(&registry, "app");
    let digest = push_docker_manifest(&client, "docker", &artifact).await;

    let resolved = client
        .resolve(OCIReference::Tag("docker"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resolved.digest, digest);
    let dest = tempdir();
    let pulled = pull_into(&client, &resolved, dest.path()).await;
    assert_eq!(
        pulled.layer.media_type,
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
    );
    assert_eq!(read(&dest.path().join("a.yaml")), "from docker");
}

async fn push_index(
    registry: &Registry,
    client: &OciClient,
    tag: &str,
    manifests: &[&Pushed],
) -> String {
    let entries: Vec<_> = manifests
        .iter()
        .map(|m| {
            let size = std::fs::metadata(registry.blob_path(&m.resolved.digest)).map(|m| m.len()).unwrap_or_else(|e| panic!("{e}"));
            json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m.resolved.digest, "size": size})
        })
        .collect();
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
    let body = serde_json::to_vec(&index).unwrap_or_else(|e| panic!("{e}"));
    client
        .push_manifest(tag, body, OCI_INDEX)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .digest
}

#[tokio::test]
async fn an_index_of_one_manifest_is_followed() {
    let registry = registry();
    let artifact = registry
        .push_files("app", "inner", &[("a.yaml", "inside the index")])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = client(&registry, "app");
    let index_digest = push_index(&registry, &client, "index", &[&artifact]).await;

    let resolved = client
        .resolve(OCIReference::Tag("index"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        resolved.digest, index_digest,
        "the revision names what the tag points to"
    );
    let dest = tempdir();
    let pulled = pull_into(&client, &resolved, dest.path()).await;
    assert_eq!(read(&dest.path().join("a.yaml")), "inside the index");
    assert!(
        pulled
            .annotations
            .contains_key("org.opencontainers.image.created"),
        "inner annotations kept"
    );
}

#[tokio::test]
async fn an_index_of_several_manifests_is_refused() {
    let registry = registry();
    let one = registry
        .push_files("app", "one", &[("a.yaml", "1")])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let two = registry
        .push_files("app", "two", &[("a.yaml", "2")])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = client(&registry, "app");
    push_index(&registry, &client, "multi", &[&one, &two]).await;

    let resolved = client
        .resolve(OCIReference::Tag("multi"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    match client
        .pull(
            &resolved,
            &Default::default(),
            tempdir().path(),
            &Default::default(),
        )
        .await
    {
        Err(e @ Error::InvalidManifest { .. }) => {
            assert_eq!(e.reason(), "OCIArtifactPullFailed");
            let message = e.to_string();
            assert!(
                message.contains("index of 2 manifests") && message.contains("multi"),
                "{message}"
            );
        }
        other => panic!("expected InvalidManifest, got {other:?}"),
    }
}
