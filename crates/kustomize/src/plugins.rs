//! Builtin plugin configurations listed in `transformers:` and `generators:` (objects with
//! `apiVersion: builtin` and a plugin kind, e.g. podinfo's `LabelTransformer`). Their field
//! specs are exactly the ones given — no defaults — and unknown fields are ignored, as in
//! kustomize. Anything else is an external plugin, which kustomize refuses when plugins are
//! disabled, and so does this engine.

use crate::build::{Acc, Builder, Target};
use crate::decode::Fields;
use crate::error::{BuildError, Location, transform_err};
use crate::fieldspec::TransformerConfig;
use crate::kustomization::{
    FieldSpec, GeneratorArgs, ImageSpec, ReplicaSpec, decode_field_spec, decode_generator_options,
    decode_image, decode_replacement, decode_replica, decode_selector,
};
use crate::patch::{self, PatchContent, PatchOptions};
use crate::replacements;
use crate::resource::objects_from_text;
use crate::transform::{annotations, images, labels, namespace, prefix_suffix, replicas};
use crate::value::Value;

fn kind_and_check(cfg: &Value) -> Result<String, String> {
    let av = cfg
        .get("apiVersion")
        .and_then(Value::scalar_text)
        .unwrap_or_default();
    let kind = cfg
        .get("kind")
        .and_then(Value::scalar_text)
        .unwrap_or_default();
    if av != "builtin" {
        return Err(format!(
            "external plugins are disabled; unable to load plugin {kind} with apiVersion '{av}' (only 'apiVersion: builtin' configurations are supported)"
        ));
    }
    Ok(kind)
}

fn field_specs(f: &mut Fields<'_>) -> Result<Vec<FieldSpec>, String> {
    f.list("fieldSpecs", decode_field_spec)
}

/// Decodes a builtin `ConfigMapGenerator` / `SecretGenerator` configuration.
pub(crate) fn generator_args(cfg: &Value) -> Result<(GeneratorArgs, bool), String> {
    let kind = kind_and_check(cfg)?;
    let secret = match kind.as_str() {
        "ConfigMapGenerator" => false,
        "SecretGenerator" => true,
        other => return Err(format!("'{other}' is not a builtin generator")),
    };
    let mut f = Fields::new(cfg, "")?;
    let name = cfg
        .get_path(&["metadata", "name"])
        .and_then(Value::scalar_text)
        .unwrap_or_default();
    let namespace = cfg
        .get_path(&["metadata", "namespace"])
        .and_then(Value::scalar_text)
        .unwrap_or_default();
    let behavior = match f.string("behavior")?.as_str() {
        "" | "create" => crate::kustomization::Behavior::Create,
        "merge" => crate::kustomization::Behavior::Merge,
        "replace" => crate::kustomization::Behavior::Replace,
        other => return Err(format!("unknown behavior '{other}'")),
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
    Ok((
        GeneratorArgs {
            name,
            namespace,
            behavior,
            literals,
            files,
            envs,
            options,
            secret_type,
        },
        secret,
    ))
}

fn err(at: &Location, e: impl Into<String>) -> BuildError {
    transform_err(at.clone(), e)
}

/// Runs one builtin transformer configuration.
pub(crate) fn run_transformer(
    b: &mut Builder<'_>,
    t: &Target,
    acc: &mut Acc,
    cfg: &Value,
    _tc: &TransformerConfig,
) -> Result<(), BuildError> {
    let name = cfg
        .get_path(&["metadata", "name"])
        .and_then(Value::scalar_text)
        .unwrap_or_default();
    let at = Location {
        file: Some(t.file.clone()),
        field: Some("transformers".into()),
        entry: Some(name),
    };
    let kind = kind_and_check(cfg).map_err(|e| err(&at, e))?;
    let mut f = Fields::new(cfg, "").map_err(|e| err(&at, e))?;
    let rm = &mut acc.resmap;
    let r: Result<(), String> = (|| match kind.as_str() {
        "LabelTransformer" => {
            let pairs = f.string_map("labels")?;
            let specs = field_specs(&mut f)?;
            labels::set_pairs(rm, &pairs, &specs)
        }
        "AnnotationsTransformer" => {
            let pairs = f.string_map("annotations")?;
            let specs = field_specs(&mut f)?;
            annotations::set_pairs(rm, &pairs, &specs)
        }
        "NamespaceTransformer" => {
            let ns = cfg
                .get_path(&["metadata", "namespace"])
                .and_then(Value::scalar_text)
                .unwrap_or_default();
            let specs = field_specs(&mut f)?;
            let unset_only = f.bool("unsetOnly")?;
            let subjects = match f.string("setRoleBindingSubjects")?.as_str() {
                "" | "defaultOnly" => namespace::SubjectMode::DefaultOnly,
                "allServiceAccounts" => namespace::SubjectMode::AllServiceAccounts,
                "none" => namespace::SubjectMode::None,
                other => {
                    return Err(format!(
                        "invalid value '{other}' for setRoleBindingSubjects"
                    ));
                }
            };
            let opts = namespace::NamespaceOptions {
                namespace: ns,
                unset_only,
                subjects,
            };
            namespace::set_namespace(rm, &opts, &specs)
        }
        "PrefixTransformer" | "SuffixTransformer" | "PrefixSuffixTransformer" => {
            let prefix = f.string("prefix")?;
            let suffix = f.string("suffix")?;
            let specs = field_specs(&mut f)?;
            if !prefix.is_empty() {
                prefix_suffix::apply_affix(rm, &prefix, true, &specs)?;
            }
            if !suffix.is_empty() {
                prefix_suffix::apply_affix(rm, &suffix, false, &specs)?;
            }
            Ok(())
        }
        "ImageTagTransformer" => {
            let img: ImageSpec = f.object("imageTag", decode_image)?.unwrap_or_default();
            let specs = field_specs(&mut f)?;
            images::set_image(rm, &img, &specs)
        }
        "ReplicaCountTransformer" => {
            let rep: ReplicaSpec = f.object("replica", decode_replica)?.unwrap_or(ReplicaSpec {
                name: String::new(),
                count: 0,
            });
            let specs = field_specs(&mut f)?;
            replicas::set_replicas(rm, &rep, &specs)
        }
        "PatchTransformer" => {
            let path = f.string("path")?;
            let inline = f.string("patch")?;
            let target = f.object("target", decode_selector)?;
            let options = f.bool_map("options")?;
            let text = match (inline.trim().is_empty(), path.is_empty()) {
                (true, true) => return Err("must specify one of patch and path".into()),
                (false, false) => return Err("patch and path can't be set at the same time".into()),
                (false, true) => inline.trim().to_string(),
                (true, false) => String::from_utf8_lossy(
                    &b.read_relative(t, &path).map_err(|e| e.to_string())?.1,
                )
                .into_owned(),
            };
            let content = patch::parse_patch(&text)?;
            let opt = |n: &str| options.iter().any(|(k, v)| k == n && *v);
            let opts = PatchOptions {
                allow_name_change: opt("allowNameChange"),
                allow_kind_change: opt("allowKindChange"),
            };
            patch::apply_patch(rm, &content, target.as_ref(), opts)
        }
        "PatchStrategicMergeTransformer" => {
            let paths = f.strings("paths")?;
            let inline = f.string("patches")?;
            let mut loaded = Vec::new();
            for p in &paths {
                let (_, bytes) = b.read_relative(t, p).map_err(|e| e.to_string())?;
                loaded.extend(
                    objects_from_text(&String::from_utf8_lossy(&bytes))
                        .map_err(|_| format!("invalid patch '{p}'"))?,
                );
            }
            if !inline.is_empty() {
                loaded.extend(
                    objects_from_text(&inline).map_err(|_| "invalid inline patches".to_string())?,
                );
            }
            if loaded.is_empty() {
                return Err("empty file path and empty patch content".into());
            }
            for p in loaded {
                patch::apply_by_id(rm, &p, PatchOptions::default(), "strategic merge patch")?;
            }
            Ok(())
        }
        "PatchJson6902Transformer" => {
            let target = f
                .object("target", decode_selector)?
                .ok_or("must specify a target for a JSON 6902 patch")?;
            let path = f.string("path")?;
            let op = f.string("jsonOp")?;
            let text = if !op.is_empty() {
                op
            } else {
                String::from_utf8_lossy(&b.read_relative(t, &path).map_err(|e| e.to_string())?.1)
                    .into_owned()
            };
            let ops = patch::parse_json_patch(&text)?;
            patch::apply_patch(
                rm,
                &PatchContent::Json(ops),
                Some(&target),
                PatchOptions::default(),
            )
        }
        "ReplacementTransformer" => {
            let reps = f.list("replacements", |v, c| {
                if let Some(p) = v.get("path").and_then(Value::as_str) {
                    Ok(Err(p.to_string()))
                } else {
                    decode_replacement(v, c).map(Ok)
                }
            })?;
            let mut all = Vec::new();
            for r in reps {
                match r {
                    Ok(r) => all.push(r),
                    Err(p) => {
                        let (_, bytes) = b.read_relative(t, &p).map_err(|e| e.to_string())?;
                        let docs =
                            crate::yaml::parse::parse_stream(&String::from_utf8_lossy(&bytes))
                                .map_err(|e| e.to_string())?;
                        for d in docs {
                            if let Value::Seq(items) = d {
                                for (i, item) in items.iter().enumerate() {
                                    all.push(decode_replacement(item, &format!("[{i}]"))?);
                                }
                            }
                        }
                    }
                }
            }
            replacements::apply(rm, &all)
        }
        other => Err(format!("builtin plugin '{other}' is not supported")),
    })();
    r.map_err(|e| err(&at, e))
}
