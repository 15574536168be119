//! Flux's additions to a build, as kustomize-controller does them:
//!
//! - a directory without a kustomization file is built as if it had one listing every
//!   `.yaml`/`.yml` file below it (recursively, in path order; a subdirectory that has its own
//!   kustomization file is listed as a directory and not descended into; a YAML file that does
//!   not decode as Kubernetes objects is an error naming it);
//! - the `Kustomization` spec's `targetNamespace`, `namePrefix`, `nameSuffix`, `patches`,
//!   `images` and `components` are written into the root kustomization (unknown fields of that
//!   file are dropped, as Flux's re-marshalling does);
//! - `commonMetadata` labels and annotations are set on every object after the build.
//!
//! The controller maps its CRD into [`FluxOverlay`]; this crate knows nothing of the CRD.

use std::collections::BTreeMap;

use crate::fs::{ConfinedFs, EntryKind, RootPath};
use crate::kustomization::{
    ImageSpec, KUSTOMIZATION_FILE_NAMES, Kustomization, PatchSpec, Selector,
};
use crate::resid::Gvk;
use crate::resource::{LoadError, objects_from_text};
use crate::value::Value;

/// Object selector of a Flux patch (`kustomize.Selector`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FluxSelector {
    /// API group (regular expression).
    pub group: String,
    /// API version (regular expression).
    pub version: String,
    /// Kind (regular expression).
    pub kind: String,
    /// Name (regular expression).
    pub name: String,
    /// Namespace (regular expression).
    pub namespace: String,
    /// Label selector.
    pub label_selector: String,
    /// Annotation selector.
    pub annotation_selector: String,
}

/// One `spec.patches` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FluxPatch {
    /// Inline strategic merge or JSON 6902 patch.
    pub patch: String,
    /// Objects the patch applies to.
    pub target: Option<FluxSelector>,
}

/// One `spec.images` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FluxImage {
    /// Image name to match.
    pub name: String,
    /// Replacement name.
    pub new_name: String,
    /// Replacement tag.
    pub new_tag: String,
    /// Replacement digest.
    pub digest: String,
}

/// `spec.commonMetadata`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommonMetadata {
    /// Labels set on every object (overriding existing values).
    pub labels: BTreeMap<String, String>,
    /// Annotations set on every object (overriding existing values).
    pub annotations: BTreeMap<String, String>,
}

/// The Flux `Kustomization` spec fields applied on top of a kustomize build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FluxOverlay {
    /// `spec.targetNamespace`.
    pub target_namespace: Option<String>,
    /// `spec.namePrefix`.
    pub name_prefix: Option<String>,
    /// `spec.nameSuffix`.
    pub name_suffix: Option<String>,
    /// `spec.patches`.
    pub patches: Vec<FluxPatch>,
    /// `spec.images`.
    pub images: Vec<FluxImage>,
    /// `spec.components` (paths relative to the build directory).
    pub components: Vec<String>,
    /// `spec.ignoreMissingComponents`.
    pub ignore_missing_components: bool,
    /// `spec.commonMetadata`.
    pub common_metadata: Option<CommonMetadata>,
}

/// Lists the resources Flux's generated kustomization would hold for `dir`.
pub(crate) fn generated_resources(
    fs: &dyn ConfinedFs,
    dir: &RootPath,
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    walk(fs, dir, dir, &mut out, 0)?;
    Ok(out)
}

fn has_kustomization(fs: &dyn ConfinedFs, dir: &RootPath) -> Result<bool, String> {
    for name in KUSTOMIZATION_FILE_NAMES {
        if let Some((_, EntryKind::File)) =
            fs.resolve(&dir.child(name)).map_err(|e| e.to_string())?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn walk(
    fs: &dyn ConfinedFs,
    base: &RootPath,
    dir: &RootPath,
    out: &mut Vec<String>,
    depth: usize,
) -> Result<(), String> {
    if depth > 64 {
        return Err(format!("directory nesting too deep at '{dir}'"));
    }
    for name in fs.read_dir(dir).map_err(|e| e.to_string())? {
        let path = dir.child(&name);
        let rel = format!("./{}", path.relative_to(base));
        match fs.resolve(&path).map_err(|e| e.to_string())? {
            Some((_, EntryKind::Dir)) => {
                if has_kustomization(fs, &path)? {
                    out.push(rel);
                } else {
                    walk(fs, base, &path, out, depth + 1)?;
                }
            }
            Some((_, EntryKind::File)) => {
                if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
                    continue;
                }
                let bytes = fs.read_file(&path).map_err(|e| e.to_string())?;
                let text = String::from_utf8_lossy(&bytes);
                if let Err(e) = objects_from_text(&text) {
                    let why = match e {
                        LoadError::Yaml(y) => y.to_string(),
                        LoadError::Invalid(m) => m,
                    };
                    return Err(format!(
                        "failed to decode Kubernetes YAML from {rel}: {why}"
                    ));
                }
                out.push(rel);
            }
            None => {}
        }
    }
    Ok(())
}

/// Writes the overlay's fields into the root kustomization, as Flux's generator does.
pub(crate) fn apply_to_kustomization(
    k: &mut Kustomization,
    o: &FluxOverlay,
    existing_components: &dyn Fn(&str) -> bool,
) {
    if let Some(ns) = &o.target_namespace {
        k.namespace.clone_from(ns);
    }
    if let Some(p) = o.name_prefix.as_ref().filter(|p| !p.is_empty()) {
        k.name_prefix.clone_from(p);
    }
    if let Some(s) = o.name_suffix.as_ref().filter(|s| !s.is_empty()) {
        k.name_suffix.clone_from(s);
    }
    for p in &o.patches {
        k.patches.push(PatchSpec {
            path: String::new(),
            patch: p.patch.clone(),
            target: p.target.as_ref().map(|t| Selector {
                gvk: Gvk {
                    group: t.group.clone(),
                    version: t.version.clone(),
                    kind: t.kind.clone(),
                },
                name: t.name.clone(),
                namespace: t.namespace.clone(),
                label_selector: t.label_selector.clone(),
                annotation_selector: t.annotation_selector.clone(),
            }),
            allow_name_change: false,
            allow_kind_change: false,
        });
    }
    for img in &o.images {
        let spec = ImageSpec {
            name: img.name.clone(),
            new_name: img.new_name.clone(),
            new_tag: img.new_tag.clone(),
            digest: img.digest.clone(),
        };
        match k.images.iter_mut().find(|i| i.name == img.name) {
            Some(existing) => *existing = spec,
            None => k.images.push(spec),
        }
    }
    for c in &o.components {
        if o.ignore_missing_components && !existing_components(c) {
            continue;
        }
        k.components.push(c.clone());
    }
}

/// Sets `commonMetadata` on an object (existing keys are overridden).
pub(crate) fn apply_common_metadata(obj: &mut Value, cm: &CommonMetadata) {
    for (field, pairs) in [("labels", &cm.labels), ("annotations", &cm.annotations)] {
        if pairs.is_empty() {
            continue;
        }
        let Some(meta) = crate::value::ensure_map(obj, "metadata") else {
            continue;
        };
        let entry = meta.entry(field.to_string()).or_insert(Value::Null);
        if !matches!(entry, Value::Map(_)) {
            *entry = Value::new_map();
        }
        if let Value::Map(m) = entry {
            for (k, v) in pairs {
                m.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
}
