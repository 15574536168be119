//! Diff before apply: changed fields, created and deleted objects, masked Secret data.

use capstan_apply::Action;
use capstan_e2e::{TestNamespace, cluster};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn diff_shows_changes_masks_secrets_and_lists_creations_and_deletions() {
    let client = cluster().client().await;
    let ns = TestNamespace::create(&client, "diff").await;
    let applier = applier(&client, "diff", ns.name());
    let web = deployment(ns.name(), "web", 2, json!({}));
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": ns.name()},
        "stringData": {"password": "old-password", "user": "admin"}});
    let stale = config_map(ns.name(), "stale", json!({}));
    let same = config_map(ns.name(), "same", json!({"a": "1"}));
    let first = applier
        .apply_all_staged(vec![
            web.clone(),
            secret.clone(),
            stale.clone(),
            same.clone(),
        ])
        .await
        .unwrap();
    let previous = first.to_inventory();

    let mut scaled = web.clone();
    scaled["spec"]["replicas"] = json!(3);
    let mut rotated = secret.clone();
    rotated["stringData"]["password"] = json!("new-password");
    let fresh = config_map(ns.name(), "fresh", json!({}));
    let diffs = applier
        .diff(
            vec![scaled, rotated, same.clone(), fresh.clone()],
            Some(&previous),
        )
        .await
        .unwrap();
    let action = |name: &str| {
        diffs
            .iter()
            .find(|d| d.object.name == name)
            .map(|d| d.action)
    };
    assert_eq!(action("web"), Some(Action::Configured));
    assert_eq!(action("creds"), Some(Action::Configured));
    assert_eq!(action("same"), Some(Action::Unchanged));
    assert_eq!(action("fresh"), Some(Action::Created));
    assert_eq!(action("stale"), Some(Action::Deleted));

    let web_diff = &diffs.iter().find(|d| d.object.name == "web").unwrap().diff;
    assert!(web_diff.contains("-  replicas: 2"), "{web_diff}");
    assert!(web_diff.contains("+  replicas: 3"), "{web_diff}");
    let secret_diff = &diffs
        .iter()
        .find(|d| d.object.name == "creds")
        .unwrap()
        .diff;
    assert!(
        secret_diff.contains("password: '*** (after)'"),
        "{secret_diff}"
    );
    assert!(secret_diff.contains("user: '***'"), "{secret_diff}");
    for leaked in [
        "old-password",
        "new-password",
        "b2xkLXBhc3N3b3Jk",
        "bmV3LXBhc3N3b3Jk",
        "YWRtaW4=",
    ] {
        assert!(!secret_diff.contains(leaked), "{secret_diff}");
    }

    // The diff changed nothing.
    assert!(live(&client, &fresh).await.is_none());
    assert_eq!(live(&client, &web).await.unwrap()["spec"]["replicas"], 2);
    assert!(live(&client, &stale).await.is_some());
}
