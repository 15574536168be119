//! Shared helpers: an applier owned by a test "Kustomization", manifests, live reads.

use std::time::Duration;

use capstan_apply::{Applier, ApplyOptions, ObjMetadata};
use kube::Client;
use kube::api::{Api, DynamicObject};
use serde_json::{Value, json};

/// An applier whose owner labels name a Kustomization `owner` in `namespace`, with short stage
/// waits so tests stay quick.
pub(crate) fn applier(client: &Client, owner: &str, namespace: &str) -> Applier {
    let mut options = ApplyOptions::default()
        .with_owner_labels(ApplyOptions::kustomization_owner(owner, namespace));
    options.wait_interval = Duration::from_millis(500);
    Applier::new(client.clone(), options)
}

/// A ConfigMap manifest.
pub(crate) fn config_map(namespace: &str, name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace}, "data": data})
}

/// A Deployment manifest with `replicas` pods of a placeholder image.
pub(crate) fn deployment(
    namespace: &str,
    name: &str,
    replicas: i64,
    pod_annotations: Value,
) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}, "annotations": pod_annotations},
                "spec": {"containers": [{"name": "app", "image": "ghcr.io/stefanprodan/podinfo:6.7.0",
                    "ports": [{"containerPort": 9898}]}]}}}})
}

/// A namespaced CRD `widgets.<group>` (kind Widget) whose `spec.size` must be at least 1.
pub(crate) fn widget_crd(group: &str) -> Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("widgets.{group}")},
        "spec": {"group": group, "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "properties": {
                        "size": {"type": "integer", "minimum": 1},
                        "color": {"type": "string"}}},
                    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}]}})
}

/// A Widget of `group`.
pub(crate) fn widget(group: &str, namespace: &str, name: &str, size: i64) -> Value {
    json!({"apiVersion": format!("{group}/v1"), "kind": "Widget",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"size": size, "color": "blue"}})
}

/// A group name unique to a test namespace.
pub(crate) fn group_for(namespace: &str) -> String {
    format!("{namespace}.capstan.dev")
}

/// The live object, or `None`.
pub(crate) async fn live(client: &Client, object: &Value) -> Option<Value> {
    let meta = ObjMetadata::from_object(object).expect("a valid manifest");
    live_of(client, &meta).await
}

/// The live object of an identity, or `None`.
pub(crate) async fn live_of(client: &Client, meta: &ObjMetadata) -> Option<Value> {
    let applier = Applier::new(client.clone(), ApplyOptions::default());
    let resolved = applier.resources().resolve(meta).await.ok()?;
    let api: Api<DynamicObject> = applier.resources().api(&resolved, &meta.namespace);
    api.get_opt(&meta.name)
        .await
        .expect("reading a live object")
        .map(|o| serde_json::to_value(o).expect("a JSON object"))
}

/// `metadata.resourceVersion` of a live object.
pub(crate) fn resource_version(object: &Value) -> String {
    object["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The managers of `metadata.managedFields`.
pub(crate) fn managers(object: &Value) -> Vec<String> {
    object["metadata"]["managedFields"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    format!(
                        "{}:{}",
                        e["manager"].as_str().unwrap_or_default(),
                        e["operation"].as_str().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A dynamic API for any manifest.
pub(crate) async fn api_for(client: &Client, object: &Value) -> Api<DynamicObject> {
    let meta = ObjMetadata::from_object(object).expect("a valid manifest");
    let applier = Applier::new(client.clone(), ApplyOptions::default());
    let resolved = applier
        .resources()
        .resolve(&meta)
        .await
        .expect("a served kind");
    applier.resources().api(&resolved, &meta.namespace)
}
