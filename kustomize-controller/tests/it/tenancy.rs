//! Tenancy: with `serviceAccountName`, the apiserver's RBAC for that account bounds what a
//! Kustomization can change; a tenant cannot write outside its namespace.

use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::{Api, PostParams};
use serde_json::json;

use crate::support::{Env, config_map};

#[tokio::test]
async fn a_tenant_service_account_cannot_write_outside_its_namespace() {
    let outside = format!("ks-outside-{}", std::process::id());
    let env = Env::start(
        "ks-tenant",
        &[
            ("ok/cm.yaml", &config_map("inside", "1")),
            ("escape/cm.yaml", &config_map("escaped", "1")),
        ],
        &[],
    )
    .await;
    let ns = env.ns().to_string();
    let namespaces: Api<Namespace> = Api::all(env.client.clone());
    let _ = namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({ "metadata": { "name": outside } })).unwrap(),
        )
        .await;
    env.api::<ServiceAccount>()
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({ "metadata": { "name": "tenant" } })).unwrap(),
        )
        .await
        .unwrap();
    env.api::<Role>()
        .create(&PostParams::default(), &serde_json::from_value(json!({ "metadata": { "name": "tenant" }, "rules": [{ "apiGroups": ["*"], "resources": ["*"], "verbs": ["*"] }] })).unwrap())
        .await
        .unwrap();
    env.api::<RoleBinding>()
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({ "metadata": { "name": "tenant" },
                "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "tenant" },
                "subjects": [{ "kind": "ServiceAccount", "name": "tenant", "namespace": ns }] }))
            .unwrap(),
        )
        .await
        .unwrap();
    let revision = env.head_revision();
    env.kustomization(
        "inside",
        "./ok",
        json!({ "targetNamespace": ns, "serviceAccountName": "tenant" }),
    )
    .await;
    env.wait_applied("inside", &revision, Duration::from_secs(60))
        .await;

    env.kustomization(
        "escape",
        "./escape",
        json!({ "targetNamespace": outside, "serviceAccountName": "tenant" }),
    )
    .await;
    let message = env
        .wait_failed("escape", "ReconciliationFailed", Duration::from_secs(60))
        .await;
    assert!(
        message.contains("forbidden") || message.contains("Forbidden"),
        "{message}"
    );
    assert!(
        message.contains(&format!("ConfigMap/{outside}/escaped")),
        "names the object: {message}"
    );
    assert!(
        env.api_in::<ConfigMap>(&outside)
            .get_opt("escaped")
            .await
            .unwrap()
            .is_none(),
        "nothing written outside"
    );
}
