//! The `kustomization.yaml` file model (kustomize v5 `types.Kustomization`) and its strict
//! decoding, including kustomize's legacy fix-ups (`bases` into `resources`, `imageTags` into
//! `images`, string `patches` entries as strategic merge patches, `env` into `envs`).

use crate::decode::{DecodeResult, Fields};
use crate::resid::Gvk;
use crate::value::Value;

/// kustomize's complaint about a kustomization without content.
pub(crate) const EMPTY: &str = "the kustomization file is empty";

/// The file names kustomize recognises, in its lookup order.
pub(crate) const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// `kind: Kustomization` or `kind: Component`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KustKind {
    Kustomization,
    Component,
}

/// Where to find fields in objects, and whether to create them (`types.FieldSpec`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct FieldSpec {
    pub(crate) gvk: Gvk,
    pub(crate) path: String,
    pub(crate) create: bool,
}

/// Object selector of patches and replacement targets (`types.Selector`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Selector {
    pub(crate) gvk: Gvk,
    pub(crate) name: String,
    pub(crate) namespace: String,
    pub(crate) label_selector: String,
    pub(crate) annotation_selector: String,
}

/// One `patches` / `patchesJson6902` entry.
#[derive(Debug, Clone, Default)]
pub(crate) struct PatchSpec {
    pub(crate) path: String,
    pub(crate) patch: String,
    pub(crate) target: Option<Selector>,
    pub(crate) allow_name_change: bool,
    pub(crate) allow_kind_change: bool,
}

/// One `images` entry.
#[derive(Debug, Clone, Default)]
pub(crate) struct ImageSpec {
    pub(crate) name: String,
    pub(crate) new_name: String,
    pub(crate) new_tag: String,
    pub(crate) digest: String,
}

/// One `replicas` entry.
#[derive(Debug, Clone)]
pub(crate) struct ReplicaSpec {
    pub(crate) name: String,
    pub(crate) count: i64,
}

/// One `labels` entry.
#[derive(Debug, Clone, Default)]
pub(crate) struct LabelSpec {
    pub(crate) pairs: Vec<(String, String)>,
    pub(crate) include_selectors: bool,
    pub(crate) include_templates: bool,
    pub(crate) fields: Vec<FieldSpec>,
}

/// `generatorOptions` and per-generator `options`.
#[derive(Debug, Clone, Default)]
pub(crate) struct GeneratorOptions {
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) annotations: Vec<(String, String)>,
    pub(crate) disable_name_suffix_hash: bool,
    pub(crate) immutable: bool,
    /// Whether `labels` / `annotations` were given at all (nil vs empty matters when merging).
    pub(crate) has_labels: bool,
    pub(crate) has_annotations: bool,
}

/// `behavior` of a generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Behavior {
    #[default]
    Create,
    Merge,
    Replace,
}

/// One `configMapGenerator` / `secretGenerator` entry.
#[derive(Debug, Clone, Default)]
pub(crate) struct GeneratorArgs {
    pub(crate) name: String,
    pub(crate) namespace: String,
    pub(crate) behavior: Behavior,
    pub(crate) literals: Vec<String>,
    pub(crate) files: Vec<String>,
    pub(crate) envs: Vec<String>,
    pub(crate) options: Option<GeneratorOptions>,
    /// Secrets only.
    pub(crate) secret_type: String,
}

/// `fieldOptions` of replacements.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldOptions {
    pub(crate) delimiter: String,
    pub(crate) index: i64,
    pub(crate) create: bool,
}

/// A replacement source.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReplacementSource {
    pub(crate) gvk: Gvk,
    pub(crate) name: String,
    pub(crate) namespace: String,
    pub(crate) field_path: String,
    pub(crate) options: Option<FieldOptions>,
}

/// A replacement target.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReplacementTarget {
    pub(crate) select: Option<Selector>,
    pub(crate) reject: Vec<Selector>,
    pub(crate) field_paths: Vec<String>,
    pub(crate) options: Option<FieldOptions>,
}

/// One replacement.
#[derive(Debug, Clone, Default)]
pub(crate) struct Replacement {
    pub(crate) source: Option<ReplacementSource>,
    pub(crate) targets: Vec<ReplacementTarget>,
}

/// One `replacements` entry: inline, or a file holding a list of replacements.
#[derive(Debug, Clone)]
pub(crate) enum ReplacementEntry {
    Inline(Replacement),
    Path(String),
}

/// One legacy `vars` entry.
#[derive(Debug, Clone, Default)]
pub(crate) struct Var {
    pub(crate) name: String,
    pub(crate) obj_gvk: Gvk,
    pub(crate) obj_name: String,
    pub(crate) obj_namespace: String,
    pub(crate) field_path: String,
}

/// `sortOptions`.
#[derive(Debug, Clone, Default)]
pub(crate) struct SortOptions {
    /// "legacy" (default) or "fifo".
    pub(crate) order: String,
    pub(crate) order_first: Option<Vec<String>>,
    pub(crate) order_last: Option<Vec<String>>,
}

/// A decoded kustomization file.
#[derive(Debug, Clone)]
pub(crate) struct Kustomization {
    pub(crate) kind: KustKind,
    pub(crate) resources: Vec<String>,
    pub(crate) components: Vec<String>,
    pub(crate) crds: Vec<String>,
    pub(crate) namespace: String,
    pub(crate) name_prefix: String,
    pub(crate) name_suffix: String,
    pub(crate) common_labels: Vec<(String, String)>,
    pub(crate) labels: Vec<LabelSpec>,
    pub(crate) common_annotations: Vec<(String, String)>,
    pub(crate) images: Vec<ImageSpec>,
    pub(crate) replicas: Vec<ReplicaSpec>,
    pub(crate) patches: Vec<PatchSpec>,
    pub(crate) patches_strategic_merge: Vec<String>,
    pub(crate) patches_json6902: Vec<PatchSpec>,
    pub(crate) config_map_generator: Vec<GeneratorArgs>,
    pub(crate) secret_generator: Vec<GeneratorArgs>,
    pub(crate) generator_options: Option<GeneratorOptions>,
    pub(crate) replacements: Vec<ReplacementEntry>,
    pub(crate) vars: Vec<Var>,
    pub(crate) sort_options: Option<SortOptions>,
    pub(crate) build_metadata: Vec<String>,
    pub(crate) configurations: Vec<String>,
    pub(crate) transformers: Vec<String>,
    pub(crate) generators: Vec<String>,
    pub(crate) validators: Vec<String>,
    pub(crate) has_helm: bool,
    /// Deprecated fields that were used (kustomize warns about them on stderr).
    pub(crate) deprecated: Vec<&'static str>,
}

pub(crate) fn decode_field_spec(v: &Value, ctx: &str) -> DecodeResult<FieldSpec> {
    let mut f = Fields::new(v, ctx)?;
    let group = f.string("group")?;
    let version = f.string("version")?;
    let kind = f.string("kind")?;
    let path = f.string("path")?;
    let create = f.bool("create")?;
    f.finish()?;
    Ok(FieldSpec {
        gvk: Gvk {
            group,
            version,
            kind,
        },
        path,
        create,
    })
}

pub(crate) fn decode_selector(v: &Value, ctx: &str) -> DecodeResult<Selector> {
    let mut f = Fields::new(v, ctx)?;
    let group = f.string("group")?;
    let version = f.string("version")?;
    let kind = f.string("kind")?;
    let name = f.string("name")?;
    let namespace = f.string("namespace")?;
    let label_selector = f.string("labelSelector")?;
    let annotation_selector = f.string("annotationSelector")?;
    f.finish()?;
    Ok(Selector {
        gvk: Gvk {
            group,
            version,
            kind,
        },
        name,
        namespace,
        label_selector,
        annotation_selector,
    })
}

pub(crate) fn decode_patch(v: &Value, ctx: &str) -> DecodeResult<PatchSpec> {
    let mut f = Fields::new(v, ctx)?;
    let path = f.string("path")?;
    let patch = f.string("patch")?;
    let target = f.object("target", decode_selector)?;
    let options = f.bool_map("options")?;
    f.finish()?;
    let opt = |n: &str| options.iter().any(|(k, b)| k == n && *b);
    Ok(PatchSpec {
        path,
        patch,
        target,
        allow_name_change: opt("allowNameChange"),
        allow_kind_change: opt("allowKindChange"),
    })
}

pub(crate) fn decode_image(v: &Value, ctx: &str) -> DecodeResult<ImageSpec> {
    let mut f = Fields::new(v, ctx)?;
    let name = f.string("name")?;
    let new_name = f.string("newName")?;
    let new_tag = f.string("newTag")?;
    let digest = f.string("digest")?;
    f.finish()?;
    Ok(ImageSpec {
        name,
        new_name,
        new_tag,
        digest,
    })
}

pub(crate) fn decode_replica(v: &Value, ctx: &str) -> DecodeResult<ReplicaSpec> {
    let mut f = Fields::new(v, ctx)?;
    let name = f.string("name")?;
    let count = f.int("count")?.unwrap_or(0);
    f.finish()?;
    Ok(ReplicaSpec { name, count })
}

fn decode_label(v: &Value, ctx: &str) -> DecodeResult<LabelSpec> {
    let mut f = Fields::new(v, ctx)?;
    let pairs = f.string_map("pairs")?;
    let include_selectors = f.bool("includeSelectors")?;
    let include_templates = f.bool("includeTemplates")?;
    let fields = f.list("fields", decode_field_spec)?;
    f.finish()?;
    Ok(LabelSpec {
        pairs,
        include_selectors,
        include_templates,
        fields,
    })
}

pub(crate) fn decode_generator_options(v: &Value, ctx: &str) -> DecodeResult<GeneratorOptions> {
    let mut f = Fields::new(v, ctx)?;
    let has_labels = f.raw("labels").is_some();
    let labels = f.string_map("labels")?;
    let has_annotations = f.raw("annotations").is_some();
    let annotations = f.string_map("annotations")?;
    let disable_name_suffix_hash = f.bool("disableNameSuffixHash")?;
    let immutable = f.bool("immutable")?;
    f.finish()?;
    Ok(GeneratorOptions {
        labels,
        annotations,
        disable_name_suffix_hash,
        immutable,
        has_labels,
        has_annotations,
    })
}

pub(crate) fn decode_generator(v: &Value, ctx: &str, secret: bool) -> DecodeResult<GeneratorArgs> {
    let mut f = Fields::new(v, ctx)?;
    let name = f.string("name")?;
    let namespace = f.string("namespace")?;
    let behavior = match f.string("behavior")?.as_str() {
        "" | "create" => Behavior::Create,
        "merge" => Behavior::Merge,
        "replace" => Behavior::Replace,
        other => return Err(format!("{ctx}.behavior: unknown behavior '{other}'")),
    };
    let literals = f.strings("literals")?;
    let files = f.strings("files")?;
    let mut envs = f.strings("envs")?;
    let env = f.string("env")?;
    if !env.is_empty() {
        envs.push(env);
    }
    let options = f.object("options", decode_generator_options)?;
    let secret_type = if secret {
        f.string("type")?
    } else {
        String::new()
    };
    f.finish()?;
    Ok(GeneratorArgs {
        name,
        namespace,
        behavior,
        literals,
        files,
        envs,
        options,
        secret_type,
    })
}

fn decode_field_options(v: &Value, ctx: &str) -> DecodeResult<FieldOptions> {
    let mut f = Fields::new(v, ctx)?;
    let delimiter = f.string("delimiter")?;
    let index = f.int("index")?.unwrap_or(0);
    let _encoding = f.string("encoding")?;
    let create = f.bool("create")?;
    f.finish()?;
    Ok(FieldOptions {
        delimiter,
        index,
        create,
    })
}

fn decode_source(v: &Value, ctx: &str) -> DecodeResult<ReplacementSource> {
    let mut f = Fields::new(v, ctx)?;
    let group = f.string("group")?;
    let version = f.string("version")?;
    let kind = f.string("kind")?;
    let name = f.string("name")?;
    let namespace = f.string("namespace")?;
    let field_path = f.string("fieldPath")?;
    let options = f.object("options", decode_field_options)?;
    f.finish()?;
    Ok(ReplacementSource {
        gvk: Gvk {
            group,
            version,
            kind,
        },
        name,
        namespace,
        field_path,
        options,
    })
}

fn decode_target(v: &Value, ctx: &str) -> DecodeResult<ReplacementTarget> {
    let mut f = Fields::new(v, ctx)?;
    let select = f.object("select", decode_selector)?;
    let reject = f.list("reject", decode_selector)?;
    let field_paths = f.strings("fieldPaths")?;
    let options = f.object("options", decode_field_options)?;
    f.finish()?;
    Ok(ReplacementTarget {
        select,
        reject,
        field_paths,
        options,
    })
}

/// Decodes one replacement (`source` + `targets`).
pub(crate) fn decode_replacement(v: &Value, ctx: &str) -> DecodeResult<Replacement> {
    let mut f = Fields::new(v, ctx)?;
    let source = f.object("source", decode_source)?;
    let targets = f.list("targets", decode_target)?;
    f.finish()?;
    Ok(Replacement { source, targets })
}

fn decode_replacement_entry(v: &Value, ctx: &str) -> DecodeResult<ReplacementEntry> {
    let mut f = Fields::new(v, ctx)?;
    let path = f.string("path")?;
    let source = f.object("source", decode_source)?;
    let targets = f.list("targets", decode_target)?;
    f.finish()?;
    if !path.is_empty() {
        if source.is_some() || !targets.is_empty() {
            return Err(format!(
                "{ctx}: a replacement has either 'path' or 'source'/'targets'"
            ));
        }
        return Ok(ReplacementEntry::Path(path));
    }
    Ok(ReplacementEntry::Inline(Replacement { source, targets }))
}

pub(crate) fn decode_var(v: &Value, ctx: &str) -> DecodeResult<Var> {
    let mut f = Fields::new(v, ctx)?;
    let name = f.string("name")?;
    let mut obj = (Gvk::default(), String::new(), String::new());
    if let Some(o) = f.raw("objref") {
        let mut of = Fields::new(o, &format!("{ctx}.objref"))?;
        let api_version = of.string("apiVersion")?;
        let group = of.string("group")?;
        let version = of.string("version")?;
        let kind = of.string("kind")?;
        let oname = of.string("name")?;
        let ns = of.string("namespace")?;
        of.finish()?;
        let mut gvk = Gvk {
            group,
            version,
            kind,
        };
        if !api_version.is_empty() {
            let g = Gvk::from_api_version(&api_version, &gvk.kind);
            gvk.group = g.group;
            gvk.version = g.version;
        }
        obj = (gvk, oname, ns);
    }
    let mut field_path = String::new();
    if let Some(fr) = f.raw("fieldref") {
        let mut ff = Fields::new(fr, &format!("{ctx}.fieldref"))?;
        field_path = ff.string("fieldPath")?;
        ff.finish()?;
    }
    f.finish()?;
    if field_path.is_empty() {
        field_path = "metadata.name".to_string();
    }
    Ok(Var {
        name,
        obj_gvk: obj.0,
        obj_name: obj.1,
        obj_namespace: obj.2,
        field_path,
    })
}

fn decode_sort_options(v: &Value, ctx: &str) -> DecodeResult<SortOptions> {
    let mut f = Fields::new(v, ctx)?;
    let order = f.string("order")?;
    let mut order_first = None;
    let mut order_last = None;
    if let Some(l) = f.raw("legacySortOptions") {
        let mut lf = Fields::new(l, &format!("{ctx}.legacySortOptions"))?;
        if lf.raw("orderFirst").is_some() {
            order_first = Some(lf.strings("orderFirst")?);
        }
        if lf.raw("orderLast").is_some() {
            order_last = Some(lf.strings("orderLast")?);
        }
        lf.finish()?;
    }
    f.finish()?;
    Ok(SortOptions {
        order,
        order_first,
        order_last,
    })
}

impl Kustomization {
    /// Decodes a kustomization document (already parsed with the `yaml.v2` resolver).
    /// kustomize refuses a file whose fields are all zero values ("kustomization.yaml is
    /// empty"); an explicitly empty list or map does count as content.
    pub(crate) fn decode(doc: &Value) -> DecodeResult<Kustomization> {
        let is_zero = |v: &Value| {
            matches!(v, Value::Null | Value::Bool(false) | Value::Int(0))
                || matches!(v, Value::String(s) if s.is_empty())
        };
        let empty = match doc {
            Value::Map(m) => m.iter().all(|(k, v)| {
                k.eq_ignore_ascii_case("apiVersion") || k.eq_ignore_ascii_case("kind") || is_zero(v)
            }),
            Value::Null => true,
            _ => false,
        };
        if empty {
            return Err(EMPTY.to_string());
        }
        let mut f = Fields::new(doc, "")?;
        let _api_version = f.string("apiVersion")?;
        let kind = match f.string("kind")?.as_str() {
            "" | "Kustomization" => KustKind::Kustomization,
            "Component" => KustKind::Component,
            other => {
                return Err(format!(
                    "kind '{other}' is not supported: expected 'Kustomization' or 'Component'"
                ));
            }
        };
        let mut deprecated = Vec::new();
        if let Some(meta) = f.raw("metadata")
            && let Ok(mf) = Fields::new(meta, "metadata")
        {
            mf.ignore_rest();
        }
        if let Some(o) = f.raw("openapi") {
            let _ = o;
        }
        let mut resources = f.strings("resources")?;
        let bases = f.strings("bases")?;
        if !bases.is_empty() {
            deprecated.push("bases");
            resources.extend(bases);
        }
        let components = f.strings("components")?;
        let crds = f.strings("crds")?;
        let namespace = f.string("namespace")?;
        let name_prefix = f.string("namePrefix")?;
        let name_suffix = f.string("nameSuffix")?;
        let common_labels = f.string_map("commonLabels")?;
        if f.raw("commonLabels").is_some() {
            deprecated.push("commonLabels");
        }
        let labels = f.list("labels", decode_label)?;
        let common_annotations = f.string_map("commonAnnotations")?;
        let mut images = f.list("images", decode_image)?;
        let image_tags = f.list("imageTags", decode_image)?;
        images.extend(image_tags);
        let replicas = f.list("replicas", decode_replica)?;

        let patches_strategic_merge = f.strings("patchesStrategicMerge")?;
        if !patches_strategic_merge.is_empty() {
            deprecated.push("patchesStrategicMerge");
        }
        let patches = f.list("patches", decode_patch)?;
        let patches_json6902 = f.list("patchesJson6902", decode_patch)?;
        if !patches_json6902.is_empty() {
            deprecated.push("patchesJson6902");
        }
        let config_map_generator =
            f.list("configMapGenerator", |v, c| decode_generator(v, c, false))?;
        let secret_generator = f.list("secretGenerator", |v, c| decode_generator(v, c, true))?;
        let generator_options = f.object("generatorOptions", decode_generator_options)?;
        let replacements = f.list("replacements", decode_replacement_entry)?;
        let vars = f.list("vars", decode_var)?;
        if !vars.is_empty() {
            deprecated.push("vars");
        }
        let sort_options = f.object("sortOptions", decode_sort_options)?;
        let build_metadata = f.strings("buildMetadata")?;
        let configurations = f.strings("configurations")?;
        let transformers = f.strings("transformers")?;
        let generators = f.strings("generators")?;
        let validators = f.strings("validators")?;
        let has_helm = f.raw("helmCharts").is_some()
            || f.raw("helmGlobals").is_some()
            || f.raw("helmChartInflationGenerator").is_some();
        let _ = f.raw("inventory");
        f.finish()?;
        for b in &build_metadata {
            if b != "originAnnotations" && b != "transformerAnnotations" && b != "managedByLabel" {
                return Err(format!("invalid buildMetadata option: {b}"));
            }
        }
        Ok(Kustomization {
            kind,
            resources,
            components,
            crds,
            namespace,
            name_prefix,
            name_suffix,
            common_labels,
            labels,
            common_annotations,
            images,
            replicas,
            patches,
            patches_strategic_merge,
            patches_json6902,
            config_map_generator,
            secret_generator,
            generator_options,
            replacements,
            vars,
            sort_options,
            build_metadata,
            configurations,
            transformers,
            generators,
            validators,
            has_helm,
            deprecated,
        })
    }

    /// An empty kustomization (used for Flux's generated one).
    pub(crate) fn empty() -> Kustomization {
        Kustomization {
            kind: KustKind::Kustomization,
            resources: Vec::new(),
            components: Vec::new(),
            crds: Vec::new(),
            namespace: String::new(),
            name_prefix: String::new(),
            name_suffix: String::new(),
            common_labels: Vec::new(),
            labels: Vec::new(),
            common_annotations: Vec::new(),
            images: Vec::new(),
            replicas: Vec::new(),
            patches: Vec::new(),
            patches_strategic_merge: Vec::new(),
            patches_json6902: Vec::new(),
            config_map_generator: Vec::new(),
            secret_generator: Vec::new(),
            generator_options: None,
            replacements: Vec::new(),
            vars: Vec::new(),
            sort_options: None,
            build_metadata: Vec::new(),
            configurations: Vec::new(),
            transformers: Vec::new(),
            generators: Vec::new(),
            validators: Vec::new(),
            has_helm: false,
            deprecated: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse::parse_stream_with;
    use crate::yaml::scalar::Schema;

    fn decode(text: &str) -> DecodeResult<Kustomization> {
        let docs = parse_stream_with(text, Schema::V2).map_err(|e| e.to_string())?;
        Kustomization::decode(&docs[0])
    }

    #[test]
    fn legacy_fields_are_folded_in() {
        let k =
            decode("resources: [a.yaml]\nbases: [../base]\nimageTags: [{name: x, newTag: v1}]\n")
                .unwrap();
        assert_eq!(k.resources, vec!["a.yaml", "../base"]);
        assert_eq!(k.images.len(), 1);
        assert!(decode("patches:\n- p.yaml\n").is_err());
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_refused() {
        assert!(
            decode("foo: bar\n")
                .unwrap_err()
                .contains("unknown field \"foo\"")
        );
        assert!(
            decode("commonLabels:\n  a: 1.10\n")
                .unwrap_err()
                .contains("commonLabels.a")
        );
        assert!(
            decode("commonLabels:\n  a: yes\n")
                .unwrap_err()
                .contains("bool")
        );
    }

    #[test]
    fn field_names_match_case_insensitively() {
        let k = decode("NamePrefix: p-\n").unwrap();
        assert_eq!(k.name_prefix, "p-");
    }
}
