//! The Kustomization spec fields (`targetNamespace`, `namePrefix`, `nameSuffix`, `patches`,
//! `images`, `components`, `commonMetadata`) as the kustomize engine's Flux overlay, and the
//! engine's values as JSON.

use capstan_api::kustomize::Kustomization;
use capstan_kustomize::{CommonMetadata, FluxImage, FluxOverlay, FluxPatch, FluxSelector};
use serde_json::Value;

/// `./apps/prod/` → `apps/prod`; `` and `./` → `.`.
pub(crate) fn normalized_path(path: &str) -> String {
    let trimmed = path.trim_start_matches("./").trim_matches('/');
    if trimmed.is_empty() || trimmed == "." {
        ".".to_string()
    } else {
        trimmed.to_string()
    }
}

/// The Kustomization's spec fields as the engine's Flux overlay.
pub fn overlay(kustomization: &Kustomization) -> FluxOverlay {
    let spec = &kustomization.spec;
    FluxOverlay {
        target_namespace: spec.target_namespace.clone().filter(|s| !s.is_empty()),
        name_prefix: spec.name_prefix.clone().filter(|s| !s.is_empty()),
        name_suffix: spec.name_suffix.clone().filter(|s| !s.is_empty()),
        patches: spec
            .patches
            .iter()
            .flatten()
            .map(|p| FluxPatch {
                patch: p.patch.clone(),
                target: p.target.as_ref().map(|t| FluxSelector {
                    group: t.group.clone().unwrap_or_default(),
                    version: t.version.clone().unwrap_or_default(),
                    kind: t.kind.clone().unwrap_or_default(),
                    name: t.name.clone().unwrap_or_default(),
                    namespace: t.namespace.clone().unwrap_or_default(),
                    label_selector: t.label_selector.clone().unwrap_or_default(),
                    annotation_selector: t.annotation_selector.clone().unwrap_or_default(),
                }),
            })
            .collect(),
        images: spec
            .images
            .iter()
            .flatten()
            .map(|i| FluxImage {
                name: i.name.clone(),
                new_name: i.new_name.clone().unwrap_or_default(),
                new_tag: i.new_tag.clone().unwrap_or_default(),
                digest: i.digest.clone().unwrap_or_default(),
            })
            .collect(),
        components: spec.components.clone().unwrap_or_default(),
        ignore_missing_components: spec.ignore_missing_components.unwrap_or(false),
        common_metadata: spec.common_metadata.as_ref().map(|m| CommonMetadata {
            labels: m.labels.clone().unwrap_or_default().into_iter().collect(),
            annotations: m
                .annotations
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect(),
        }),
    }
}

/// The engine's typed value as JSON (integers stay integers, key order is kept).
pub fn to_json(value: capstan_kustomize::Value) -> Value {
    use capstan_kustomize::Value as V;
    match value {
        V::Null => Value::Null,
        V::Bool(b) => Value::Bool(b),
        V::Int(i) => Value::from(i),
        V::UInt(u) => Value::from(u),
        V::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        V::String(s) => Value::String(s),
        V::Seq(items) => Value::Array(items.into_iter().map(to_json).collect()),
        V::Map(map) => Value::Object(map.into_iter().map(|(k, v)| (k, to_json(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_like_flux() {
        assert_eq!(normalized_path("./apps/prod/"), "apps/prod");
        assert_eq!(normalized_path("./"), ".");
        assert_eq!(normalized_path(""), ".");
        assert_eq!(normalized_path("clusters/dev"), "clusters/dev");
    }
}
