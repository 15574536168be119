//! Field specs: which fields of which kinds a transformer touches, and walking an object to
//! them (kustomize's `fieldspec.Filter`). Also the transformer configuration: kustomize's
//! built-in field spec tables, extendable by `configurations` and `crds`.

use crate::decode::Fields;
use crate::kustomization::{FieldSpec, decode_field_spec};
use crate::resid::Gvk;
use crate::value::{Map, Value};
use crate::yaml::parse::parse_stream;

/// What to create at the end of a path that does not exist yet (when the spec says `create`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CreateKind {
    /// Never create.
    None,
    /// Create a scalar (set to null, then filled in by the setter).
    Scalar,
    /// Create a mapping.
    Map,
}

/// Splits a field spec path on `/`, honouring `\/` escapes.
pub(crate) fn split_path(path: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'/') {
            cur.push('/');
            chars.next();
        } else if c == '/' {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    parts.push(cur);
    parts
}

/// Whether a field spec's group/version/kind admits an object of `gvk`.
pub(crate) fn matches_gvk(fs: &FieldSpec, gvk: &Gvk) -> bool {
    gvk.is_selected_by(&fs.gvk)
}

/// Walks `obj` along `fs.path` (through sequences, creating fields when allowed) and calls
/// `set` on every node reached. Objects whose gvk the spec does not admit are left alone.
pub(crate) fn apply(
    obj: &mut Value,
    gvk: &Gvk,
    fs: &FieldSpec,
    create: CreateKind,
    set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    if !matches_gvk(fs, gvk) {
        return Ok(());
    }
    let path = split_path(&fs.path);
    walk(obj, &path, fs.create, create, set)
        .map_err(|e| format!("considering field '{}': {e}", fs.path))
}

fn walk(
    node: &mut Value,
    path: &[String],
    create_flag: bool,
    create: CreateKind,
    set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        return set(node);
    };
    match node {
        Value::Null => Ok(()),
        Value::Seq(items) => {
            for item in items.iter_mut() {
                walk(item, path, create_flag, create, set)?;
            }
            Ok(())
        }
        Value::Map(m) => {
            let (name, is_seq) = match first.strip_suffix("[]") {
                Some(n) => (n, true),
                None => (first.as_str(), false),
            };
            if name.is_empty() {
                return Err("cannot set or create an empty field name".into());
            }
            let kind = if !create_flag || create == CreateKind::None || is_seq {
                None
            } else if rest.is_empty() {
                Some(create)
            } else {
                Some(CreateKind::Map)
            };
            if !m.contains_key(name) {
                match kind {
                    None => return Ok(()),
                    Some(CreateKind::Map) => {
                        m.insert(name.to_string(), Value::Map(Map::new()));
                    }
                    Some(_) => {
                        m.insert(name.to_string(), Value::Null);
                    }
                }
            }
            let Some(field) = m.get_mut(name) else {
                return Ok(());
            };
            if field.is_null() {
                match kind {
                    Some(CreateKind::Map) => *field = Value::Map(Map::new()),
                    _ if is_seq => *field = Value::Seq(Vec::new()),
                    _ => {}
                }
            }
            if field.is_null() && !rest.is_empty() {
                return Ok(());
            }
            walk(field, rest, create_flag, create, set)
        }
        _ => Err("expected sequence or mapping node".into()),
    }
}

/// A name-reference rule: objects of `gvk` are referred to from the `referrers` fields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NameBackRef {
    pub(crate) gvk: Gvk,
    pub(crate) referrers: Vec<FieldSpec>,
}

/// Field specs for every built-in transformer (kustomize's `TransformerConfig`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TransformerConfig {
    pub(crate) name_prefix: Vec<FieldSpec>,
    pub(crate) name_suffix: Vec<FieldSpec>,
    pub(crate) namespace: Vec<FieldSpec>,
    pub(crate) common_labels: Vec<FieldSpec>,
    pub(crate) template_labels: Vec<FieldSpec>,
    pub(crate) common_annotations: Vec<FieldSpec>,
    pub(crate) name_reference: Vec<NameBackRef>,
    pub(crate) var_reference: Vec<FieldSpec>,
    pub(crate) images: Vec<FieldSpec>,
    pub(crate) replicas: Vec<FieldSpec>,
}

/// Adds `fs` unless an identical spec is there; a spec differing only in `create` conflicts.
pub(crate) fn merge_one(list: &mut Vec<FieldSpec>, fs: FieldSpec) -> Result<(), String> {
    for existing in list.iter() {
        if existing.gvk == fs.gvk && existing.path == fs.path {
            if existing.create != fs.create {
                return Err(format!(
                    "conflicting fieldspecs for path '{}' (create: {} vs {})",
                    fs.path, existing.create, fs.create
                ));
            }
            return Ok(());
        }
    }
    list.push(fs);
    Ok(())
}

/// Merges every spec of `more` into `list` (as [`merge_one`] each, but indexed: every
/// kustomization merges the whole built-in configuration into its own).
pub(crate) fn merge_all(list: &mut Vec<FieldSpec>, more: &[FieldSpec]) -> Result<(), String> {
    if more.len() < 4 {
        for fs in more {
            merge_one(list, fs.clone())?;
        }
        return Ok(());
    }
    let mut index: std::collections::HashMap<(&Gvk, &str), bool> =
        std::collections::HashMap::with_capacity(list.len() + more.len());
    for fs in list.iter() {
        index
            .entry((&fs.gvk, fs.path.as_str()))
            .or_insert(fs.create);
    }
    let mut added = Vec::new();
    for fs in more {
        match index.get(&(&fs.gvk, fs.path.as_str())) {
            Some(create) if *create != fs.create => {
                return Err(format!(
                    "conflicting fieldspecs for path '{}' (create: {} vs {})",
                    fs.path, create, fs.create
                ));
            }
            Some(_) => {}
            None => {
                index.insert((&fs.gvk, fs.path.as_str()), fs.create);
                added.push(fs);
            }
        }
    }
    list.extend(added.into_iter().cloned());
    Ok(())
}

impl TransformerConfig {
    /// Merges another configuration into this one (kustomize's `TransformerConfig.Merge`).
    pub(crate) fn merge(&mut self, other: &TransformerConfig) -> Result<(), String> {
        merge_all(&mut self.name_prefix, &other.name_prefix)?;
        merge_all(&mut self.name_suffix, &other.name_suffix)?;
        merge_all(&mut self.namespace, &other.namespace)?;
        merge_all(&mut self.common_labels, &other.common_labels)?;
        merge_all(&mut self.template_labels, &other.template_labels)?;
        merge_all(&mut self.common_annotations, &other.common_annotations)?;
        merge_all(&mut self.var_reference, &other.var_reference)?;
        merge_all(&mut self.images, &other.images)?;
        merge_all(&mut self.replicas, &other.replicas)?;
        for nb in &other.name_reference {
            self.add_name_reference(nb.clone())?;
        }
        Ok(())
    }

    /// Adds one name-reference rule, merging referrers into an existing rule for the same gvk.
    pub(crate) fn add_name_reference(&mut self, nb: NameBackRef) -> Result<(), String> {
        if let Some(existing) = self.name_reference.iter_mut().find(|e| e.gvk == nb.gvk) {
            merge_all(&mut existing.referrers, &nb.referrers)?;
        } else {
            self.name_reference.push(nb);
        }
        Ok(())
    }

    /// Parses a configuration document (the `configurations` file format).
    pub(crate) fn parse(text: &str) -> Result<TransformerConfig, String> {
        let docs = parse_stream(text).map_err(|e| e.to_string())?;
        let mut tc = TransformerConfig::default();
        for doc in docs.iter().filter(|d| !d.is_null()) {
            let mut f = Fields::new(doc, "")?;
            let specs = |f: &mut Fields<'_>, name: &str| f.list(name, decode_field_spec);
            tc.name_prefix.extend(specs(&mut f, "namePrefix")?);
            tc.name_suffix.extend(specs(&mut f, "nameSuffix")?);
            tc.namespace.extend(specs(&mut f, "namespace")?);
            tc.common_labels.extend(specs(&mut f, "commonLabels")?);
            tc.template_labels.extend(specs(&mut f, "templateLabels")?);
            tc.common_annotations
                .extend(specs(&mut f, "commonAnnotations")?);
            tc.var_reference.extend(specs(&mut f, "varReference")?);
            tc.images.extend(specs(&mut f, "images")?);
            tc.replicas.extend(specs(&mut f, "replicas")?);
            let refs = f.list("nameReference", |v, ctx| {
                let mut nf = Fields::new(v, ctx)?;
                let group = nf.string("group")?;
                let version = nf.string("version")?;
                let kind = nf.string("kind")?;
                let referrers = nf.list("fieldSpecs", decode_field_spec)?;
                nf.finish()?;
                Ok(NameBackRef {
                    gvk: Gvk {
                        group,
                        version,
                        kind,
                    },
                    referrers,
                })
            })?;
            for r in refs {
                tc.add_name_reference(r)?;
            }
            f.finish()?;
        }
        Ok(tc)
    }

    /// kustomize's built-in configuration.
    pub(crate) fn builtin() -> TransformerConfig {
        // The tables are constants of this crate, read by a line reader that knows their exact
        // layout (a general YAML parse of them costs more than a small build); a unit test
        // checks it agrees with `parse`. A failure is a programming error the tests catch, so
        // the general parser is only a fallback.
        read_builtin_tables(crate::builtin_config::DEFAULT_CONFIG)
            .or_else(|| TransformerConfig::parse(crate::builtin_config::DEFAULT_CONFIG).ok())
            .unwrap_or_default()
    }
}

/// Reads the built-in tables, which use one fixed layout: a section name at column 0, then
/// `- path: p` items with `  kind: k`-style fields (or, under `nameReference`, `- kind: k`
/// items with `  fieldSpecs:` and `  - path: p` referrers). `None` on anything else.
fn read_builtin_tables(text: &str) -> Option<TransformerConfig> {
    fn set(spec_gvk: &mut Gvk, path: &mut String, create: &mut bool, k: &str, v: &str) -> bool {
        match k {
            "group" => spec_gvk.group = v.to_string(),
            "version" => spec_gvk.version = v.to_string(),
            "kind" => spec_gvk.kind = v.to_string(),
            "path" => *path = v.to_string(),
            "create" => *create = v == "true",
            _ => return false,
        }
        true
    }
    let mut tc = TransformerConfig::default();
    let mut section = "";
    let mut refs: Vec<NameBackRef> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(name) = line.strip_suffix(':')
            && !name.starts_with(' ')
            && !name.starts_with('-')
        {
            section = match name {
                "namePrefix" | "nameSuffix" | "namespace" | "commonLabels" | "templateLabels"
                | "commonAnnotations" | "varReference" | "images" | "replicas"
                | "nameReference" => name,
                _ => return None,
            };
            continue;
        }
        if section == "nameReference" {
            if let Some(item) = line.strip_prefix("- ") {
                let (k, v) = item.split_once(": ")?;
                let mut nb = NameBackRef {
                    gvk: Gvk::default(),
                    referrers: Vec::new(),
                };
                let (mut p, mut c) = (String::new(), false);
                if !set(&mut nb.gvk, &mut p, &mut c, k, v) || k == "path" || k == "create" {
                    return None;
                }
                refs.push(nb);
            } else if line == "  fieldSpecs:" {
            } else if let Some(item) = line.strip_prefix("  - ") {
                let (k, v) = item.split_once(": ")?;
                let nb = refs.last_mut()?;
                let mut fs = FieldSpec {
                    gvk: Gvk::default(),
                    path: String::new(),
                    create: false,
                };
                if !set(&mut fs.gvk, &mut fs.path, &mut fs.create, k, v) {
                    return None;
                }
                nb.referrers.push(fs);
            } else if let Some(field) = line.strip_prefix("    ") {
                let (k, v) = field.split_once(": ")?;
                let fs = refs.last_mut()?.referrers.last_mut()?;
                if !set(&mut fs.gvk, &mut fs.path, &mut fs.create, k, v) {
                    return None;
                }
            } else if let Some(field) = line.strip_prefix("  ") {
                let (k, v) = field.split_once(": ")?;
                let nb = refs.last_mut()?;
                let (mut p, mut c) = (String::new(), false);
                if k == "path" || k == "create" || !set(&mut nb.gvk, &mut p, &mut c, k, v) {
                    return None;
                }
            } else {
                return None;
            }
            continue;
        }
        let list = match section {
            "namePrefix" => &mut tc.name_prefix,
            "nameSuffix" => &mut tc.name_suffix,
            "namespace" => &mut tc.namespace,
            "commonLabels" => &mut tc.common_labels,
            "templateLabels" => &mut tc.template_labels,
            "commonAnnotations" => &mut tc.common_annotations,
            "varReference" => &mut tc.var_reference,
            "images" => &mut tc.images,
            "replicas" => &mut tc.replicas,
            _ => return None,
        };
        if let Some(item) = line.strip_prefix("- ") {
            let (k, v) = item.split_once(": ")?;
            let mut fs = FieldSpec {
                gvk: Gvk::default(),
                path: String::new(),
                create: false,
            };
            if !set(&mut fs.gvk, &mut fs.path, &mut fs.create, k, v) {
                return None;
            }
            list.push(fs);
        } else if let Some(field) = line.strip_prefix("  ") {
            let (k, v) = field.split_once(": ")?;
            let fs = list.last_mut()?;
            if !set(&mut fs.gvk, &mut fs.path, &mut fs.create, k, v) {
                return None;
            }
        } else {
            return None;
        }
    }
    for r in refs {
        tc.add_name_reference(r).ok()?;
    }
    Some(tc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse::parse_stream;

    #[test]
    fn the_line_reader_agrees_with_the_yaml_reader_on_the_builtin_tables() {
        let fast = read_builtin_tables(crate::builtin_config::DEFAULT_CONFIG).unwrap();
        let slow = TransformerConfig::parse(crate::builtin_config::DEFAULT_CONFIG).unwrap();
        assert_eq!(fast, slow);
    }

    #[test]
    fn builtin_tables_parse() {
        let tc = TransformerConfig::parse(crate::builtin_config::DEFAULT_CONFIG).unwrap();
        assert!(tc.common_labels.len() > 20);
        assert!(tc.name_reference.iter().any(|n| n.gvk.kind == "ConfigMap"));
        assert!(tc.var_reference.len() > 50);
    }

    #[test]
    fn escaped_slashes_stay_in_the_key() {
        assert_eq!(
            split_path("metadata/annotations/a.io\\/b"),
            vec!["metadata", "annotations", "a.io/b"]
        );
    }

    #[test]
    fn walking_creates_maps_and_visits_sequences() {
        let mut obj = parse_stream("spec:\n  containers:\n  - image: a\n  - image: b\n")
            .unwrap()
            .remove(0);
        let fs = FieldSpec {
            gvk: Gvk::default(),
            path: "spec/containers/image".into(),
            create: false,
        };
        let mut seen = Vec::new();
        apply(
            &mut obj,
            &Gvk::default(),
            &fs,
            CreateKind::Scalar,
            &mut |v| {
                seen.push(v.clone());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen.len(), 2);
        let fs = FieldSpec {
            gvk: Gvk::default(),
            path: "metadata/labels".into(),
            create: true,
        };
        apply(&mut obj, &Gvk::default(), &fs, CreateKind::Map, &mut |v| {
            crate::value::map_set(v, "a", Value::from("b"));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            obj.get_path(&["metadata", "labels", "a"]),
            Some(&Value::from("b"))
        );
    }
}
