//! Push, resolve and pull by tag, semver and digest; layer selection; revision strings.

use std::collections::BTreeMap;

use capstan_oci::{
    ANNOTATION_CREATED, ANNOTATION_REVISION, ANNOTATION_SOURCE, ArtifactMetadata, Content, Error,
    FLUX_CONTENT_MEDIA_TYPE, LayerSelector, Limits, OCIReference, PushLayer,
};
use sha2::{Digest as _, Sha256};

use crate::support::{COPY, EXTRACT, client, is_extracted, pull_into, read, registry, tempdir};

#[tokio::test]
async fn pushed_artifact_is_pulled_by_tag_with_flux_revision_and_annotations() {
    let registry = registry();
    let pushed = registry
        .push_files(
            "apps/podinfo",
            "v1.0.0",
            &[
                ("kustomization.yaml", "resources: [deploy.yaml]\n"),
                ("app/deploy.yaml", "kind: Deployment\n"),
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = client(&registry, "apps/podinfo");

    let resolved = client
        .resolve(OCIReference::Tag("v1.0.0"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resolved, pushed.resolved);
    assert_eq!(
        resolved.revision(),
        format!("v1.0.0@{}", pushed.resolved.digest)
    );
    assert!(resolved.revision().starts_with("v1.0.0@sha256:"));
    assert_eq!(
        client.head_digest("v1.0.0").await.ok().as_deref(),
        Some(pushed.resolved.digest.as_str())
    );

    let dest = tempdir();
    let pulled = pull_into(&client, &resolved, dest.path()).await;
    assert_eq!(pulled.revision(), resolved.revision());
    assert!(is_extracted(&pulled));
    assert_eq!(pulled.layer.media_type, FLUX_CONTENT_MEDIA_TYPE);
    assert_eq!(pulled.layer.digest, pushed.layers[0].digest);
    assert_eq!(
        read(&dest.path().join("kustomization.yaml")),
        "resources: [deploy.yaml]\n"
    );
    assert_eq!(
        read(&dest.path().join("app/deploy.yaml")),
        "kind: Deployment\n"
    );
    assert_eq!(
        pulled
            .annotations
            .get(ANNOTATION_SOURCE)
            .map(String::as_str),
        Some("capstan-e2e")
    );
    assert_eq!(
        pulled
            .annotations
            .get(ANNOTATION_REVISION)
            .map(String::as_str),
        Some("v1.0.0")
    );
    assert!(pulled.annotations.contains_key(ANNOTATION_CREATED));
}

#[tokio::test]
async fn latest_is_the_default_tag() {
    let registry = registry();
    registry
        .push_files("app", "latest", &[("a.yaml", "a")])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = client(&registry, "app");
    let reference =
        capstan_oci::OCIReference::Tag(capstan_api::source::OCIRepositoryRef::DEFAULT_TAG);
    let resolved = client
        .resolve(reference)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        resolved.revision().starts_with("latest@sha256:"),
        "{resolved}"
    );
}

#[tokio::test]
async fn semver_picks_the_highest_matching_tag_after_the_filter() {
    let registry = registry();
    for tag in [
        "1.0.0",
        "v1.2.0",
        "1.10.0",
        "2.0.0",
        "1.11.0-rc.1",
        "1.3.0-dev",
        "latest",
    ] {
        registry
            .push_files("app", tag, &[("version.txt", tag)])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let client = client(&registry, "app");

    let resolved = client
        .resolve(OCIReference::SemVer {
            range: ">=1.0.0 <2.0.0",
            filter: None,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resolved.tag.as_deref(), Some("1.10.0"));
    assert!(resolved.revision().starts_with("1.10.0@sha256:"));
    let dest = tempdir();
    pull_into(&client, &resolved, dest.path()).await;
    assert_eq!(read(&dest.path().join("version.txt")), "1.10.0");

    let cases = [
        ("~1.2", None, "v1.2.0"),
        ("^1", None, "1.10.0"),
        ("*", None, "2.0.0"),
        (">=1.0.0-0", Some("-dev$"), "1.3.0-dev"),
    ];
    for (range, filter, expected) in cases {
        let resolved = client
            .resolve(OCIReference::SemVer { range, filter })
            .await
            .unwrap_or_else(|e| panic!("{range}: {e}"));
        assert_eq!(
            resolved.tag.as_deref(),
            Some(expected),
            "{range} {filter:?}"
        );
    }

    let none = client
        .resolve(OCIReference::SemVer {
            range: ">=3.0.0",
            filter: None,
        })
        .await;
    match none {
        Err(e @ Error::NoSemverMatch { .. }) => {
            assert_eq!(e.reason(), "ReadOperationFailed");
            assert!(e.to_string().contains(">=3.0.0"), "{e}");
        }
        other => panic!("expected NoSemverMatch, got {other:?}"),
    }
    let invalid = client
        .resolve(OCIReference::SemVer {
            range: "not a range",
            filter: None,
        })
        .await;
    assert!(
        matches!(invalid, Err(Error::InvalidSemver { .. })),
        "{invalid:?}"
    );
    let bad_filter = client
        .resolve(OCIReference::SemVer {
            range: "*",
            filter: Some("("),
        })
        .await;
    assert!(
        matches!(bad_filter, Err(Error::InvalidSemver { .. })),
        "{bad_filter:?}"
    );
}

#[tokio::test]
async fn digest_reference_pulls_that_manifest_with_a_bare_digest_revision() {
    let registry = registry();
    let first = registry
        .push_files("app", "stable", &[("v.txt", "one")])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    registry
        .push_files("app", "stable", &[("v.txt", "two")])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = client(&registry, "app");

    let resolved = client
        .resolve(OCIReference::Digest(&first.resolved.digest))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resolved.tag, None);
    assert_eq!(resolved.revision(), first.resolved.digest);
    let dest = tempdir();
    pull_into(&client, &resolved, dest.path()).await;
    assert_eq!(
        read(&dest.path().join("v.txt")),
        "one",
        "the digest wins over the moved tag"
    );

    let moved = client
        .resolve(OCIReference::Tag("stable"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(moved.digest, first.resolved.digest);

    let invalid = client.resolve(OCIReference::Digest("sha256:nothex")).await;
    assert!(
        matches!(invalid, Err(Error::InvalidReference { .. })),
        "{invalid:?}"
    );
}

fn multi_layer_artifact() -> (Vec<PushLayer>, Vec<u8>) {
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header
        .set_path("chart/Chart.yaml")
        .unwrap_or_else(|e| panic!("{e}"));
    header.set_size(12);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append(&header, &b"name: podinf"[..])
        .unwrap_or_else(|e| panic!("{e}"));
    let tar = tar.into_inner().unwrap_or_else(|e| panic!("{e}"));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar).unwrap_or_else(|e| panic!("{e}"));
    let chart = gz.finish().unwrap_or_else(|e| panic!("{e}"));
    let layers = vec![
        PushLayer {
            media_type: "application/vnd.cncf.helm.config.v1+json".into(),
            data: b"{\"name\":\"podinfo\"}".to_vec(),
        },
        PushLayer {
            media_type: "application/vnd.cncf.helm.chart.content.v1.tar+gzip".into(),
            data: chart.clone(),
        },
    ];
    (layers, chart)
}

#[tokio::test]
async fn layer_selector_extracts_the_layer_with_the_media_type() {
    let registry = registry();
    let client = client(&registry, "charts/podinfo");
    let (layers, _) = multi_layer_artifact();
    client
        .push_layers("6.0.0", layers, BTreeMap::new())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let resolved = client
        .resolve(OCIReference::Tag("6.0.0"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let selector = LayerSelector {
        media_type: Some("application/vnd.cncf.helm.chart.content.v1.tar+gzip".into()),
        operation: EXTRACT,
    };
    let dest = tempdir();
    let pulled = client
        .pull(&resolved, &selector, dest.path(), &Limits::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        pulled.layer.media_type,
        "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
    );
    assert_eq!(read(&dest.path().join("chart/Chart.yaml")), "name: podinf");

    let missing = LayerSelector {
        media_type: Some("application/x-absent".into()),
        operation: EXTRACT,
    };
    match client
        .pull(&resolved, &missing, tempdir().path(), &Limits::default())
        .await
    {
        Err(e @ Error::LayerNotFound { .. }) => {
            let message = e.to_string();
            assert_eq!(e.reason(), "OCIArtifactLayerOperationFailed");
            assert!(message.contains("application/x-absent"), "{message}");
            assert!(message.contains("application/vnd.cncf.helm.config.v1+json, application/vnd.cncf.helm.chart.content.v1.tar+gzip"), "{message}");
        }
        other => panic!("expected LayerNotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn layer_selector_copy_stores_the_exact_verified_blob() {
    let registry = registry();
    let client = client(&registry, "charts/podinfo");
    let (layers, chart) = multi_layer_artifact();
    client
        .push_layers("6.0.0", layers, BTreeMap::new())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let resolved = client
        .resolve(OCIReference::Tag("6.0.0"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let selector = LayerSelector {
        media_type: Some("application/vnd.cncf.helm.chart.content.v1.tar+gzip".into()),
        operation: COPY,
    };
    let dest = tempdir();
    let pulled = client
        .pull(&resolved, &selector, dest.path(), &Limits::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let Content::Copied(path) = &pulled.content else {
        panic!("expected a copied layer, got {:?}", pulled.content);
    };
    assert_eq!(
        path,
        &dest.path().join(format!("{}.tgz", resolved.digest_hex())),
        "named like Flux"
    );
    let stored = std::fs::read(path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored, chart);
    assert_eq!(
        pulled.layer.digest,
        format!("sha256:{}", hex::encode(Sha256::digest(&stored)))
    );
    assert_eq!(pulled.layer.size, chart.len() as u64);
    let leftovers: Vec<_> = std::fs::read_dir(dest.path())
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");

    // Without a media type, copy takes the first layer.
    let first = LayerSelector {
        media_type: None,
        operation: COPY,
    };
    let pulled = client
        .pull(&resolved, &first, tempdir().path(), &Limits::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        pulled.layer.media_type,
        "application/vnd.cncf.helm.config.v1+json"
    );
}

#[tokio::test]
async fn pushed_artifacts_carry_the_flux_media_types() {
    let registry = registry();
    let dir = tempdir();
    std::fs::write(dir.path().join("a.yaml"), "a: 1\n").unwrap_or_else(|e| panic!("{e}"));
    let metadata = ArtifactMetadata {
        source: Some("https://github.com/org/repo".into()),
        revision: Some("main@sha1:0123456789abcdef0123456789abcdef01234567".into()),
        created: Some("2024-01-01T00:00:00Z".into()),
        annotations: BTreeMap::new(),
    };
    let pushed = registry
        .push_dir("app", "main", dir.path(), &metadata)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Read the manifest as the registry stored it.
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(registry.blob_path(&pushed.resolved.digest))
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.cncf.flux.config.v1+json"
    );
    assert_eq!(
        manifest["layers"][0]["mediaType"],
        "application/vnd.cncf.flux.content.v1.tar+gzip"
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.created"],
        "2024-01-01T00:00:00Z"
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.source"],
        "https://github.com/org/repo"
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.revision"],
        "main@sha1:0123456789abcdef0123456789abcdef01234567"
    );
}
