//! `kustomize build` of a Kustomization's `spec.path` in its artifact, with the Flux spec
//! fields (`targetNamespace`, `namePrefix`, `nameSuffix`, `patches`, `images`, `components`,
//! `commonMetadata`) applied on top, as Flux's kustomize-controller does. The same function
//! serves `capstan build kustomization`.

use std::path::Path;

use capstan_api::kustomize::Kustomization;
use capstan_kustomize::{
    BuildOptions, CommonMetadata, DiskFs, FluxImage, FluxOverlay, FluxPatch, FluxSelector,
    RemotePolicy,
};
use serde_json::Value;

use super::error::KustomizationError;

/// Builds `spec.path` of the unpacked artifact at `tree` into JSON objects.
pub fn build(
    tree: &Path,
    kustomization: &Kustomization,
    no_remote_bases: bool,
) -> Result<Vec<Value>, KustomizationError> {
    let path = normalized_path(kustomization.path());
    let escapes = Path::new(&path).components().any(|c| {
        matches!(
            c,
            std::path::Component::ParentDir | std::path::Component::RootDir
        )
    });
    if escapes {
        return Err(KustomizationError::InvalidSpec(format!(
            "spec.path '{}' leaves the artifact",
            kustomization.path()
        )));
    }
    if !tree.join(&path).is_dir() {
        return Err(KustomizationError::PathNotFound(
            kustomization.path().to_string(),
        ));
    }
    let fs = DiskFs::new(tree).map_err(KustomizationError::ArtifactTree)?;
    let mut options = BuildOptions::flux(overlay(kustomization));
    options.remote = if no_remote_bases {
        RemotePolicy::Refuse
    } else {
        RemotePolicy::Allow
    };
    let built =
        capstan_kustomize::build_with(&fs, &path, &options).map_err(KustomizationError::Build)?;
    Ok(built
        .objects
        .into_iter()
        .map(|o| to_json(o.into_value()))
        .collect())
}

/// `./apps/prod/` → `apps/prod`; `` and `./` → `.`.
fn normalized_path(path: &str) -> String {
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
