//! What a controller must report: missing tags and repositories, unreachable registries,
//! timeouts, tampered and oversized layers.

use std::time::{Duration, Instant};

use capstan_oci::{Error, Limits, OCIReference, OciClient, OciUrl, RegistryOptions, Resolved};

use crate::support::{client, registry, tempdir};

#[tokio::test]
async fn missing_tag_and_repository_are_not_found() {
    let registry = registry();
    registry
        .push_files("app", "v1", &[("a", "a")])
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    match client(&registry, "app")
        .resolve(OCIReference::Tag("v2"))
        .await
    {
        Err(e @ Error::NotFound { .. }) => {
            assert_eq!(e.reason(), "OCIArtifactPullFailed");
            let message = e.to_string();
            assert!(
                message.contains("'v2'") && message.contains(&registry.url("app")),
                "{message}"
            );
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    let missing_repo = client(&registry, "no/such/repo")
        .resolve(OCIReference::Tag("v1"))
        .await;
    assert!(
        matches!(missing_repo, Err(Error::NotFound { .. })),
        "{missing_repo:?}"
    );

    let unknown_digest = Resolved {
        tag: None,
        digest: format!("sha256:{}", "ab".repeat(32)),
    };
    let pulled = client(&registry, "app")
        .pull(
            &unknown_digest,
            &Default::default(),
            tempdir().path(),
            &Limits::default(),
        )
        .await;
    assert!(matches!(pulled, Err(Error::NotFound { .. })), "{pulled:?}");
}

#[tokio::test]
async fn closed_port_is_unreachable_quickly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let url =
        OciUrl::parse(&format!("oci://127.0.0.1:{port}/app")).unwrap_or_else(|e| panic!("{e}"));
    let client = OciClient::new(
        url,
        RegistryOptions {
            insecure: true,
            ..RegistryOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let result = client.resolve(OCIReference::Tag("v1")).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    match result {
        Err(e @ Error::Unreachable { .. }) => assert_eq!(e.reason(), "OCIArtifactPullFailed"),
        other => panic!("expected Unreachable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_silent_registry_times_out() {
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let url =
        OciUrl::parse(&format!("oci://127.0.0.1:{port}/app")).unwrap_or_else(|e| panic!("{e}"));
    let options = RegistryOptions {
        insecure: true,
        timeout: Duration::from_millis(500),
        ..RegistryOptions::default()
    };
    let client = OciClient::new(url, options).unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let result = client.resolve(OCIReference::Tag("v1")).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
    drop(listener);
}

#[tokio::test]
async fn a_tampered_layer_is_refused_and_nothing_is_extracted() {
    let registry = registry();
    let pushed = registry
        .push_files("app", "v1", &[("a.yaml", "original content")])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let blob = registry.blob_path(&pushed.layers[0].digest);
    let mut bytes = std::fs::read(&blob).unwrap_or_else(|e| panic!("{e}"));
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&blob, &bytes).unwrap_or_else(|e| panic!("{e}"));

    let client = client(&registry, "app");
    let resolved = client
        .resolve(OCIReference::Tag("v1"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for operation in [
        capstan_oci::OCILayerOperation::Extract,
        capstan_oci::OCILayerOperation::Copy,
    ] {
        let dest = tempdir();
        let selector = capstan_oci::LayerSelector {
            media_type: None,
            operation,
        };
        match client
            .pull(&resolved, &selector, dest.path(), &Limits::default())
            .await
        {
            Err(e @ Error::DigestMismatch { .. }) => {
                assert_eq!(e.reason(), "OCIArtifactLayerOperationFailed");
                assert!(e.to_string().contains(&pushed.layers[0].digest), "{e}");
            }
            other => panic!("expected DigestMismatch, got {other:?}"),
        }
        let written: Vec<_> = std::fs::read_dir(dest.path())
            .map(|d| d.flatten().collect())
            .unwrap_or_default();
        assert!(
            written.is_empty(),
            "nothing lands in the destination: {written:?}"
        );
    }
}

#[tokio::test]
async fn oversized_layers_are_refused() {
    let registry = registry();
    let client = client(&registry, "app");
    let big = vec![7u8; 256 << 10];
    let layer = capstan_oci::PushLayer {
        media_type: "application/octet-stream".into(),
        data: big,
    };
    client
        .push_layers("big", vec![layer], Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let resolved = client
        .resolve(OCIReference::Tag("big"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let selector = capstan_oci::LayerSelector {
        media_type: None,
        operation: capstan_oci::OCILayerOperation::Copy,
    };
    let limits = Limits {
        max_layer_size: 64 << 10,
        ..Limits::default()
    };
    match client
        .pull(&resolved, &selector, tempdir().path(), &limits)
        .await
    {
        Err(e @ Error::TooLarge { .. }) => {
            assert_eq!(e.reason(), "OCIArtifactLayerOperationFailed")
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }

    // A small layer that inflates past the extraction bound.
    let dir = tempdir();
    std::fs::write(dir.path().join("zeros"), vec![0u8; 4 << 20]).unwrap_or_else(|e| panic!("{e}"));
    registry
        .push_dir("app", "bomb", dir.path(), &Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let resolved = client
        .resolve(OCIReference::Tag("bomb"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let limits = Limits {
        max_extracted_size: 1 << 20,
        ..Limits::default()
    };
    let result = client
        .pull(&resolved, &Default::default(), tempdir().path(), &limits)
        .await;
    assert!(
        matches!(result, Err(Error::TooLarge { limit, .. }) if limit == 1 << 20),
        "{result:?}"
    );
}
