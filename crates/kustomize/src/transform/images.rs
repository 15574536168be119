//! `images`: rewrite container image references (name, tag, digest), both at the configured
//! field specs and, like kustomize's legacy filter, in any `containers` / `initContainers` list
//! found anywhere in an object. CustomResourceDefinitions are never touched.

use regex::Regex;

use crate::fieldspec::{CreateKind, apply};
use crate::kustomization::{FieldSpec, ImageSpec};
use crate::resmap::ResMap;
use crate::value::Value;

use super::on_object;

/// Splits `[host[:port]/]name[:tag][@digest]` into name, tag and digest (kustomize's
/// `image.Split`).
pub(crate) fn split_image(image: &str) -> (String, String, String) {
    let slash = image.find('/').filter(|i| *i > 0).unwrap_or(0);
    let search = &image[slash..];
    let at = search.find('@');
    let colon = search.find(':');
    match (colon, at) {
        (None, None) => (image.to_string(), String::new(), String::new()),
        (c, Some(a)) if c.is_none_or(|c| a < c) => {
            let a = a + slash;
            (
                image[..a].to_string(),
                String::new(),
                image[a + 1..].to_string(),
            )
        }
        (Some(c), Some(a)) => {
            let (c, a) = (c + slash, a + slash);
            (
                image[..c].to_string(),
                image[c + 1..a].to_string(),
                image[a + 1..].to_string(),
            )
        }
        (Some(c), None) => {
            let c = c + slash;
            (
                image[..c].to_string(),
                image[c + 1..].to_string(),
                String::new(),
            )
        }
        (None, Some(_)) => (image.to_string(), String::new(), String::new()),
    }
}

struct Updater {
    spec: ImageSpec,
    pattern: Option<Regex>,
}

impl Updater {
    fn new(spec: &ImageSpec) -> Updater {
        // kustomize builds this pattern from the raw name (regex metacharacters included).
        let pattern = Regex::new(&format!(
            "^{}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$",
            spec.name
        ))
        .ok();
        Updater {
            spec: spec.clone(),
            pattern,
        }
    }

    fn update(&self, node: &mut Value) -> Result<(), String> {
        let Value::String(value) = node else {
            return match node {
                Value::Map(_) | Value::Seq(_) => Err("image field is not a scalar".into()),
                _ => Ok(()),
            };
        };
        if !self.pattern.as_ref().is_some_and(|p| p.is_match(value)) {
            return Ok(());
        }
        let (mut name, mut tag, mut digest) = split_image(value);
        let s = &self.spec;
        if !s.new_name.is_empty() {
            name.clone_from(&s.new_name);
        }
        if !s.new_tag.is_empty() && !s.digest.is_empty() {
            tag.clone_from(&s.new_tag);
            digest.clone_from(&s.digest);
        } else if !s.new_tag.is_empty() {
            tag.clone_from(&s.new_tag);
            digest.clear();
        } else if !s.digest.is_empty() {
            tag.clear();
            digest.clone_from(&s.digest);
        }
        let mut out = name;
        if !tag.is_empty() {
            out.push(':');
            out.push_str(&tag);
        }
        if !digest.is_empty() {
            out.push('@');
            out.push_str(&digest);
        }
        *value = out;
        Ok(())
    }
}

fn legacy_walk(node: &mut Value, up: &Updater) -> Result<(), String> {
    match node {
        Value::Map(m) => {
            for (k, v) in m.iter_mut() {
                legacy_walk(v, up)?;
                if (k == "containers" || k == "initContainers")
                    && let Value::Seq(items) = v
                {
                    for item in items {
                        if let Some(img) = item.get_mut("image") {
                            up.update(img)?;
                        }
                    }
                }
            }
            Ok(())
        }
        Value::Seq(items) => {
            for item in items {
                legacy_walk(item, up)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Applies one `images` entry to every object.
pub(crate) fn set_image(
    resmap: &mut ResMap,
    spec: &ImageSpec,
    specs: &[FieldSpec],
) -> Result<(), String> {
    let up = Updater::new(spec);
    for r in &mut resmap.list {
        if r.kind() == "CustomResourceDefinition" {
            continue;
        }
        let id = r.cur_id();
        legacy_walk(&mut r.obj, &up).map_err(|e| on_object(&id, e))?;
        let gvk = r.gvk();
        for fs in specs {
            apply(&mut r.obj, &gvk, fs, CreateKind::None, &mut |node| {
                up.update(node)
            })
            .map_err(|e| on_object(&id, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_registry_ports_tags_and_digests() {
        assert_eq!(
            split_image("nginx"),
            ("nginx".into(), String::new(), String::new())
        );
        assert_eq!(
            split_image("nginx:1.2"),
            ("nginx".into(), "1.2".into(), String::new())
        );
        assert_eq!(
            split_image("reg:5000/a/b:v1"),
            ("reg:5000/a/b".into(), "v1".into(), String::new())
        );
        assert_eq!(
            split_image("a/b:v1@sha256:abc"),
            ("a/b".into(), "v1".into(), "sha256:abc".into())
        );
        assert_eq!(
            split_image("a@sha256:abc"),
            ("a".into(), String::new(), "sha256:abc".into())
        );
    }
}
