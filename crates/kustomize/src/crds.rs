//! `crds`: OpenAPI definitions of custom types whose properties carry kustomize extensions
//! (`x-kubernetes-object-ref-kind`/`-api-version`, `x-kubernetes-annotation`,
//! `x-kubernetes-label-selector`, `x-kubernetes-identity`) become name-reference, annotation,
//! label and prefix field specs for objects of those kinds.

use crate::fieldspec::{NameBackRef, TransformerConfig, merge_one};
use crate::kustomization::FieldSpec;
use crate::resid::Gvk;
use crate::value::{Map, Value};
use crate::yaml::parse::parse_stream;

fn get_ci<'a>(m: &'a Map, key: &str) -> Option<&'a Value> {
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn properties<'a>(defs: &'a Map, name: &str) -> Option<&'a Map> {
    let def = defs.get(name)?.as_map()?;
    let schema = get_ci(def, "Schema")?.as_map()?;
    schema.get("properties")?.as_map()
}

fn ext_str<'a>(prop: &'a Map, key: &str) -> Option<&'a str> {
    prop.get(key).and_then(Value::as_str)
}

fn fs(gvk: &Gvk, path: &[String]) -> FieldSpec {
    FieldSpec {
        gvk: gvk.clone(),
        path: path.join("/"),
        create: false,
    }
}

fn load_into(
    tc: &mut TransformerConfig,
    gvk: &Gvk,
    defs: &Map,
    name: &str,
    path: &[String],
    depth: usize,
) -> Result<(), String> {
    if depth > 64 {
        return Ok(());
    }
    let Some(props) = properties(defs, name) else {
        return Ok(());
    };
    for (prop_name, prop) in props {
        let Some(prop) = prop.as_map() else { continue };
        let mut p = path.to_vec();
        p.push(prop_name.clone());
        if ext_str(prop, "x-kubernetes-annotation").is_some() {
            merge_one(&mut tc.common_annotations, fs(gvk, &p))?;
        }
        if ext_str(prop, "x-kubernetes-label-selector").is_some() {
            merge_one(&mut tc.common_labels, fs(gvk, &p))?;
        }
        if ext_str(prop, "x-kubernetes-identity").is_some() {
            merge_one(&mut tc.name_prefix, fs(gvk, &p))?;
        }
        if let (Some(version), Some(kind)) = (
            ext_str(prop, "x-kubernetes-object-ref-api-version"),
            ext_str(prop, "x-kubernetes-object-ref-kind"),
        ) {
            let key = ext_str(prop, "x-kubernetes-object-ref-name-key").unwrap_or("name");
            let mut rp = p.clone();
            rp.push(key.to_string());
            tc.add_name_reference(NameBackRef {
                gvk: Gvk {
                    group: String::new(),
                    version: version.to_string(),
                    kind: kind.to_string(),
                },
                referrers: vec![fs(gvk, &rp)],
            })?;
        }
        if let Some(r) = prop.get("$ref").and_then(Value::as_str) {
            load_into(tc, gvk, defs, r, &p, depth + 1)?;
        }
    }
    Ok(())
}

/// Builds the configuration a `crds` file describes.
pub(crate) fn config_from_crd_file(text: &str) -> Result<TransformerConfig, String> {
    let docs =
        parse_stream(text).map_err(|e| format!("unable to parse open API definition: {e}"))?;
    let mut tc = TransformerConfig::default();
    let Some(Value::Map(defs)) = docs.into_iter().next() else {
        return Ok(tc);
    };
    let mut names: Vec<&String> = defs.keys().collect();
    names.sort();
    for name in names {
        let Some(props) = properties(&defs, name) else {
            continue;
        };
        if !(props.contains_key("kind")
            && props.contains_key("apiVersion")
            && props.contains_key("metadata"))
        {
            continue;
        }
        let kind = name.rsplit('.').next().unwrap_or(name).to_string();
        let gvk = Gvk {
            group: String::new(),
            version: String::new(),
            kind,
        };
        load_into(&mut tc, &gvk, &defs, name, &[], 0)?;
    }
    Ok(tc)
}
