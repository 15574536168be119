//! Manifest fixes before a dry-run, pure, as Flux's `normalize` package: defaults the apiserver
//! would otherwise report as drift forever, or that break server-side apply on old servers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use crate::object::{self, ObjMetadata};

/// Annotation asking cert-manager's cainjector to fill a CRD's conversion `caBundle`.
const CA_INJECT_ANNOTATION: &str = "cert-manager.io/inject-ca-from";

/// Normalizes a desired object in place.
pub(crate) fn normalize(object: &mut Value, meta: &ObjMetadata) {
    if let Some(metadata) = object::metadata_mut(object) {
        metadata.remove("creationTimestamp");
    }
    // CRDs keep their status so kstatus keeps working; other objects never apply status.
    if !meta.is_crd()
        && let Some(root) = object.as_object_mut()
    {
        root.remove("status");
    }
    match (meta.group.as_str(), meta.kind.as_str()) {
        ("", "Pod") => default_pod_ports(object.get_mut("spec")),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") | ("batch", "Job") => {
            default_pod_ports(pointer_mut(object, "/spec/template/spec"));
        }
        ("batch", "CronJob") => {
            default_pod_ports(pointer_mut(object, "/spec/jobTemplate/spec/template/spec"));
        }
        ("", "Service") => default_protocols(pointer_mut(object, "/spec/ports")),
        ("", "Secret") => string_data_to_data(object),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => strip_ca_bundle(object),
        _ => {}
    }
}

fn pointer_mut<'a>(object: &'a mut Value, pointer: &str) -> Option<&'a mut Value> {
    object.pointer_mut(pointer)
}

/// Container ports without `protocol` get `TCP`: server-side apply keys container ports by
/// (`containerPort`, `protocol`), and a v1.20 apiserver refuses a port without the key.
fn default_pod_ports(spec: Option<&mut Value>) {
    let Some(spec) = spec else { return };
    for field in ["containers", "initContainers"] {
        if let Some(containers) = spec.get_mut(field).and_then(Value::as_array_mut) {
            for container in containers {
                default_protocols(container.get_mut("ports"));
            }
        }
    }
}

fn default_protocols(ports: Option<&mut Value>) {
    let Some(ports) = ports.and_then(Value::as_array_mut) else {
        return;
    };
    for port in ports {
        if let Some(map) = port.as_object_mut() {
            map.entry("protocol")
                .or_insert_with(|| Value::String("TCP".into()));
        }
    }
}

/// `stringData` folded into `data` (base64), so the dry-run result compares with the live
/// object, which never shows `stringData`.
fn string_data_to_data(object: &mut Value) {
    let Some(root) = object.as_object_mut() else {
        return;
    };
    let Some(Value::Object(string_data)) = root.remove("stringData") else {
        return;
    };
    let data = root
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        *data = Value::Object(Map::new());
    }
    if let Some(data) = data.as_object_mut() {
        for (key, value) in string_data {
            let text = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            data.insert(key, Value::String(STANDARD.encode(text)));
        }
    }
}

/// Drops a CRD's conversion-webhook `caBundle` when it is a placeholder (blank once decoded,
/// like `Cg==`) or injected by cert-manager: applying it would fight the injector and rewrite
/// the CRD on every reconcile.
fn strip_ca_bundle(object: &mut Value) {
    let injected = object::annotation(object, CA_INJECT_ANNOTATION).is_some();
    let Some(client_config) = object
        .pointer_mut("/spec/conversion/webhook/clientConfig")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let placeholder = client_config
        .get("caBundle")
        .and_then(Value::as_str)
        .is_some_and(|b| {
            STANDARD
                .decode(b.trim())
                .map(|d| d.iter().all(u8::is_ascii_whitespace))
                .unwrap_or(false)
        });
    if injected || placeholder {
        client_config.remove("caBundle");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn normalized(mut value: Value) -> Value {
        let meta = ObjMetadata::from_object(&value).unwrap();
        normalize(&mut value, &meta);
        value
    }

    #[test]
    fn container_and_service_ports_default_to_tcp() {
        let deploy = normalized(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "creationTimestamp": null},
            "spec": {"template": {"spec": {"containers": [{"name": "c",
                "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}]}]}}},
            "status": {}}));
        assert_eq!(
            deploy["spec"]["template"]["spec"]["containers"][0]["ports"],
            json!([{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP"}])
        );
        assert!(deploy.get("status").is_none());
        assert!(deploy["metadata"].get("creationTimestamp").is_none());
        let svc = normalized(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}}));
        assert_eq!(svc["spec"]["ports"][0]["protocol"], "TCP");
        let cron = normalized(
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 1}]}]}}}}}}),
        );
        assert_eq!(
            cron.pointer("/spec/jobTemplate/spec/template/spec/containers/0/ports/0/protocol"),
            Some(&json!("TCP"))
        );
    }

    #[test]
    fn secret_string_data_becomes_data() {
        let secret = normalized(
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"a": "YQ=="}, "stringData": {"b": "hello"}}),
        );
        assert_eq!(secret["data"], json!({"a": "YQ==", "b": "aGVsbG8="}));
        assert!(secret.get("stringData").is_none());
    }

    #[test]
    fn crd_placeholder_ca_bundle_is_stripped_and_status_kept() {
        let crd = |bundle: &str, annotations: Value| {
            normalized(
                json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "x.example.com", "annotations": annotations},
                "spec": {"conversion": {"strategy": "Webhook", "webhook": {"clientConfig": {"caBundle": bundle}}}},
                "status": {"acceptedNames": {}}}),
            )
        };
        let placeholder = crd("Cg==", json!({}));
        assert!(
            placeholder
                .pointer("/spec/conversion/webhook/clientConfig/caBundle")
                .is_none()
        );
        assert!(placeholder.get("status").is_some());
        let real = crd("LS0tLS1CRUdJTg==", json!({}));
        assert!(
            real.pointer("/spec/conversion/webhook/clientConfig/caBundle")
                .is_some()
        );
        let injected = crd("LS0tLS1CRUdJTg==", json!({CA_INJECT_ANNOTATION: "ns/cert"}));
        assert!(
            injected
                .pointer("/spec/conversion/webhook/clientConfig/caBundle")
                .is_none()
        );
    }
}
