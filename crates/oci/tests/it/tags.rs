//! Tag listing, for image automation.

use crate::support::{client, registry};

#[tokio::test]
async fn all_tags_are_listed() {
    let registry = registry();
    let mut expected = Vec::new();
    for i in 0..12 {
        let tag = format!("1.0.{i}");
        registry
            .push_files("app", &tag, &[("v", &tag)])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        expected.push(tag);
    }
    let client = client(&registry, "app");
    let mut tags = client.list_tags().await.unwrap_or_else(|e| panic!("{e}"));
    tags.sort();
    expected.sort();
    assert_eq!(tags, expected);

    // Small pages give the same answer, whether or not the registry paginates.
    let mut paged = client
        .list_tags_paged(5)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    paged.sort();
    assert_eq!(paged, expected);
}

#[tokio::test]
async fn listing_a_missing_repository_is_not_found() {
    let registry = registry();
    let error = client(&registry, "nothing/here").list_tags().await.err();
    assert!(
        matches!(error, Some(capstan_oci::Error::NotFound { .. })),
        "{error:?}"
    );
}
