//! Every example under `testdata/examples/` (written after Flux's
//! documentation, also used by the cluster tests) must
//! - deserialize into its kind and serialize back to the same JSON (no field
//!   lost, none added),
//! - pass the kind's `validate()`,
//! - be accepted by the generated CRD schema: known fields only, required
//!   fields present, enum values, patterns, lengths and types respected.

use std::path::PathBuf;

use capstan_api::crd::crds;
use capstan_api::{helm, image, kustomize, notification, source};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn documents(file: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/examples")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("example file");
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).expect("valid YAML"))
        .collect()
}

fn crd_for(kind: &str) -> CustomResourceDefinition {
    crds()
        .into_iter()
        .find(|c| c.spec.names.kind == kind)
        .expect("CRD for kind")
}

/// Round-trips every document of `file` through `K` and checks the schema;
/// returns the typed objects for kind-specific checks.
fn check_file<K>(file: &str, kind: &str) -> Vec<K>
where
    K: DeserializeOwned + serde::Serialize,
{
    let crd = crd_for(kind);
    let version = &crd.spec.versions[0];
    let schema = serde_json::to_value(
        version
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
            .expect("schema"),
    )
    .expect("schema json");
    let docs = documents(file);
    assert!(!docs.is_empty(), "{file} has no documents");
    docs.into_iter()
        .map(|doc| {
            let name = doc["metadata"]["name"].as_str().unwrap_or("?").to_string();
            assert_eq!(doc["kind"], Value::from(kind), "{file}/{name}");
            assert_eq!(
                doc["apiVersion"],
                Value::from(format!("{}/{}", crd.spec.group, version.name)),
                "{file}/{name}"
            );
            let errors = schema_errors(&doc, &schema, "");
            assert!(
                errors.is_empty(),
                "{file}/{name} rejected by schema: {errors:#?}"
            );
            let typed: K = serde_json::from_value(doc.clone())
                .unwrap_or_else(|e| panic!("{file}/{name} does not deserialize: {e}"));
            let back = serde_json::to_value(&typed).expect("serialize");
            assert_eq!(back, doc, "{file}/{name} does not round-trip");
            typed
        })
        .collect()
}

/// A tiny OpenAPI v3 checker covering what Flux's CRDs use.
fn schema_errors(value: &Value, schema: &Value, path: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if schema["x-kubernetes-preserve-unknown-fields"] == Value::Bool(true)
        && schema.get("type").is_none()
    {
        return errors;
    }
    let expected = schema["type"].as_str().unwrap_or("");
    let type_ok = match expected {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        _ => true,
    };
    if !type_ok {
        errors.push(format!("{path}: expected {expected}, got {value}"));
        return errors;
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(value)
    {
        errors.push(format!("{path}: {value} not in enum {values:?}"));
    }
    if let Some(s) = value.as_str() {
        let chars = s.chars().count() as u64;
        if let Some(min) = schema["minLength"].as_u64()
            && chars < min
        {
            errors.push(format!("{path}: shorter than {min}"));
        }
        if let Some(max) = schema["maxLength"].as_u64()
            && chars > max
        {
            errors.push(format!("{path}: longer than {max}"));
        }
        if let Some(pattern) = schema["pattern"].as_str() {
            let re = regex::Regex::new(pattern).expect("pattern compiles");
            if !re.is_match(s) {
                errors.push(format!("{path}: {s:?} does not match {pattern}"));
            }
        }
    }
    if let Some(items) = value.as_array() {
        let len = items.len() as u64;
        if let Some(min) = schema["minItems"].as_u64()
            && len < min
        {
            errors.push(format!("{path}: fewer than {min} items"));
        }
        if let Some(max) = schema["maxItems"].as_u64()
            && len > max
        {
            errors.push(format!("{path}: more than {max} items"));
        }
        for (i, item) in items.iter().enumerate() {
            errors.extend(schema_errors(
                item,
                &schema["items"],
                &format!("{path}[{i}]"),
            ));
        }
    }
    if let Some(map) = value.as_object() {
        if let Some(required) = schema["required"].as_array() {
            for name in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(name) {
                    errors.push(format!("{path}: missing required {name}"));
                }
            }
        }
        let properties = schema["properties"].as_object();
        let additional = schema.get("additionalProperties").filter(|a| a.is_object());
        let preserve = schema["x-kubernetes-preserve-unknown-fields"] == Value::Bool(true);
        for (key, sub) in map {
            let sub_path = format!("{path}.{key}");
            if path == ".metadata" || path.starts_with(".metadata.") {
                continue;
            }
            match (properties.and_then(|p| p.get(key)), additional) {
                (Some(sub_schema), _) => errors.extend(schema_errors(sub, sub_schema, &sub_path)),
                (None, Some(add)) => errors.extend(schema_errors(sub, add, &sub_path)),
                (None, None) if preserve => {}
                (None, None) => errors.push(format!("{sub_path}: unknown field (pruned)")),
            }
        }
    }
    errors
}

#[test]
fn git_repository_examples() {
    for r in check_file::<source::GitRepository>("gitrepository.yaml", "GitRepository") {
        assert_eq!(r.validate(), Ok(()));
    }
}

#[test]
fn oci_repository_examples() {
    for r in check_file::<source::OCIRepository>("ocirepository.yaml", "OCIRepository") {
        assert_eq!(r.validate(), Ok(()));
    }
}

#[test]
fn helm_repository_examples() {
    for r in check_file::<source::HelmRepository>("helmrepository.yaml", "HelmRepository") {
        assert_eq!(r.validate(), Ok(()));
    }
}

#[test]
fn helm_chart_examples() {
    for r in check_file::<source::HelmChart>("helmchart.yaml", "HelmChart") {
        assert_eq!(r.validate(), Ok(()));
    }
}

#[test]
fn bucket_examples() {
    for r in check_file::<source::Bucket>("bucket.yaml", "Bucket") {
        assert_eq!(r.validate(), Ok(()));
    }
}

#[test]
fn kustomization_examples() {
    for r in check_file::<kustomize::Kustomization>("kustomization.yaml", "Kustomization") {
        assert_eq!(r.validate(), Ok(()));
    }
}

#[test]
fn helm_release_examples() {
    for r in check_file::<helm::HelmRelease>("helmrelease.yaml", "HelmRelease") {
        assert_eq!(r.validate(), Ok(()));
    }
}

#[test]
fn provider_examples() {
    for r in check_file::<notification::Provider>("provider.yaml", "Provider") {
        assert_eq!(r.validate(), Ok(()));
    }
}

#[test]
fn alert_examples() {
    for r in check_file::<notification::Alert>("alert.yaml", "Alert") {
        assert_eq!(r.validate(), Ok(()));
    }
}

#[test]
fn receiver_examples() {
    for r in check_file::<notification::Receiver>("receiver.yaml", "Receiver") {
        assert_eq!(r.validate(), Ok(()));
    }
}

#[test]
fn image_repository_examples() {
    for r in check_file::<image::ImageRepository>("imagerepository.yaml", "ImageRepository") {
        assert_eq!(r.validate(), Ok(()));
    }
}

#[test]
fn image_policy_examples() {
    for r in check_file::<image::ImagePolicy>("imagepolicy.yaml", "ImagePolicy") {
        assert_eq!(r.validate(), Ok(()));
    }
}

#[test]
fn image_update_automation_examples() {
    for r in check_file::<image::ImageUpdateAutomation>(
        "imageupdateautomation.yaml",
        "ImageUpdateAutomation",
    ) {
        assert_eq!(r.validate(), Ok(()));
    }
}

#[test]
fn every_crd_has_an_example_file() {
    for crd in crds() {
        let file = format!("{}.yaml", crd.spec.names.kind.to_lowercase());
        assert!(!documents(&file).is_empty(), "{file}");
    }
}

#[test]
fn status_is_reachable_through_the_generic_trait() {
    use capstan_api::FluxObject;
    let docs = check_file::<kustomize::Kustomization>("kustomization.yaml", "Kustomization");
    let full = &docs[1];
    assert!(capstan_api::conditions::is_ready(full.conditions()));
    assert_eq!(
        full.flux_status()
            .and_then(capstan_api::ObjectWithConditions::observed_generation),
        Some(5)
    );
    assert!(!full.is_suspended());
    assert!(!capstan_api::object::has_unhandled_reconcile_request(full));
}

#[test]
fn schema_checker_rejects_unknown_fields_and_bad_enums() {
    let schema = serde_json::json!({
        "type": "object",
        "properties": {"mode": {"type": "string", "enum": ["a"]}},
        "required": ["mode"]
    });
    let errors = schema_errors(&serde_json::json!({"mode": "b", "extra": 1}), &schema, "");
    assert_eq!(errors.len(), 2, "{errors:?}");
}
