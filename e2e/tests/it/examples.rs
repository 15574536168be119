//! Flux's documentation examples (`api/testdata/examples`) against the real apiserver: each is
//! created, read back with no field pruned by the schema, and round-trips through its Rust type;
//! statuses round-trip through the status subresource; kubectl applies them and prints the
//! printer columns users know from Flux.

use std::path::PathBuf;

use capstan_api::crd::crds;
use capstan_api::{helm, image, kustomize, notification, source};
use capstan_e2e::{TestNamespace, cluster, kubectl, kubectl_stdin};
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../api/testdata/examples")
}

/// Every example document, with the file it came from.
fn example_documents() -> Vec<(String, Value)> {
    let mut documents = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(examples_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value = Value::deserialize(document).unwrap();
            if !value.is_null() {
                documents.push((
                    path.file_name().unwrap().to_string_lossy().into_owned(),
                    value,
                ));
            }
        }
    }
    documents
}

use serde::Deserialize;

fn api_resource(kind: &str) -> ApiResource {
    let crd = crds()
        .into_iter()
        .find(|c| c.spec.names.kind == kind)
        .unwrap_or_else(|| panic!("no CRD for {kind}"));
    let version = &crd.spec.versions[0].name;
    let gvk = kube::api::GroupVersionKind::gvk(&crd.spec.group, version, kind);
    ApiResource::from_gvk_with_plural(&gvk, &crd.spec.names.plural)
}

/// Server JSON → Rust type → JSON.
fn through<T: DeserializeOwned + Serialize>(value: &Value) -> Value {
    let typed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("does not parse as its Rust type: {e}\n{value:#}"));
    serde_json::to_value(typed).unwrap()
}

fn typed_round_trip(kind: &str, value: &Value) -> Value {
    match kind {
        "GitRepository" => through::<source::GitRepository>(value),
        "OCIRepository" => through::<source::OCIRepository>(value),
        "HelmRepository" => through::<source::HelmRepository>(value),
        "HelmChart" => through::<source::HelmChart>(value),
        "Bucket" => through::<source::Bucket>(value),
        "Kustomization" => through::<kustomize::Kustomization>(value),
        "HelmRelease" => through::<helm::HelmRelease>(value),
        "Provider" => through::<notification::Provider>(value),
        "Alert" => through::<notification::Alert>(value),
        "Receiver" => through::<notification::Receiver>(value),
        "ImageRepository" => through::<image::ImageRepository>(value),
        "ImagePolicy" => through::<image::ImagePolicy>(value),
        "ImageUpdateAutomation" => through::<image::ImageUpdateAutomation>(value),
        other => panic!("unexpected kind {other}"),
    }
}

/// Every leaf of `expected` is present with the same value in `actual`; extra fields in
/// `actual` (server defaults) are fine. Returns the paths that differ.
fn missing_fields(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                match a.get(key) {
                    Some(found) => missing_fields(value, found, &format!("{path}.{key}"), out),
                    None => out.push(format!("{path}.{key} is missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                missing_fields(ev, av, &format!("{path}[{i}]"), out);
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{path}: sent {e}, got {a}")),
    }
}

fn without_server_metadata(mut value: Value) -> Value {
    if let Some(object) = value.as_object_mut() {
        object.remove("metadata");
    }
    value
}

#[tokio::test]
async fn every_example_is_stored_unpruned_and_round_trips_through_its_rust_type() {
    let client = cluster().client().await;
    let namespace = TestNamespace::create(&client, "examples").await;
    let documents = example_documents();
    assert!(
        documents.len() >= 13,
        "expected at least one example per kind"
    );
    let mut kinds_seen = std::collections::BTreeSet::new();
    for (file, document) in documents {
        let kind = document["kind"].as_str().unwrap().to_string();
        kinds_seen.insert(kind.clone());
        let name = document["metadata"]["name"].as_str().unwrap().to_string();
        let context = format!("{file}: {kind}/{name}");
        let resource = api_resource(&kind);
        let api: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), namespace.name(), &resource);

        let mut object = document.clone();
        let status = object.as_object_mut().unwrap().remove("status");
        let metadata = object["metadata"].as_object_mut().unwrap();
        metadata.insert(
            "namespace".into(),
            Value::String(namespace.name().to_string()),
        );
        metadata.remove("generation");
        let dynamic: DynamicObject = serde_json::from_value(object.clone()).unwrap();
        api.create(&PostParams::default(), &dynamic)
            .await
            .unwrap_or_else(|e| panic!("{context}: the apiserver refused the example: {e}"));

        if let Some(status) = &status {
            let patch = serde_json::json!({ "status": status });
            api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .unwrap_or_else(|e| {
                    panic!("{context}: the apiserver refused the example's status: {e}")
                });
        }

        let stored = serde_json::to_value(api.get(&name).await.unwrap()).unwrap();
        let mut problems = Vec::new();
        missing_fields(&object["spec"], &stored["spec"], "spec", &mut problems);
        if let Some(status) = &status {
            missing_fields(status, &stored["status"], "status", &mut problems);
        }
        assert!(
            problems.is_empty(),
            "{context}: the stored object lost fields (schema too narrow?):\n{}",
            problems.join("\n")
        );

        let round_tripped = typed_round_trip(&kind, &stored);
        assert_eq!(
            without_server_metadata(round_tripped),
            without_server_metadata(stored.clone()),
            "{context}: the Rust type does not round-trip the stored object"
        );
    }
    assert_eq!(kinds_seen.len(), 13, "examples cover {kinds_seen:?}");
}

#[test]
fn kubectl_applies_the_examples_and_prints_flux_printer_columns() {
    let cluster = cluster();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let namespace = runtime.block_on(async {
        let client = cluster.client().await;
        TestNamespace::create(&client, "kubectl")
            .await
            .name()
            .to_string()
    });
    for (file, mut document) in example_documents() {
        // Same manifests, moved into the test's namespace; status is ignored by kubectl apply.
        document["metadata"]["namespace"] = Value::String(namespace.clone());
        let text = serde_yaml::to_string(&document).unwrap();
        let applied = kubectl_stdin(cluster, &["apply", "-f", "-"], &text);
        assert!(
            applied.status.success(),
            "kubectl apply -f {file}: {}",
            String::from_utf8_lossy(&applied.stderr)
        );
    }
    let listed = kubectl(
        cluster,
        &["get", "gitrepositories,kustomizations", "-n", &namespace],
    );
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let headers: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.starts_with("NAME"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(
        headers.contains(&vec!["NAME", "URL", "AGE", "READY", "STATUS"]),
        "GitRepository columns:\n{text}"
    );
    assert!(
        headers.contains(&vec!["NAME", "AGE", "READY", "STATUS"]),
        "Kustomization columns:\n{text}"
    );
    assert!(
        text.contains("gitrepository.source.toolkit.fluxcd.io/podinfo"),
        "{text}"
    );
    assert!(
        text.contains("kustomization.kustomize.toolkit.fluxcd.io/"),
        "{text}"
    );
}
