//! `Chart.yaml` (and a v1 chart's `requirements.yaml`): the fields Helm reads, converted the
//! way sigs.k8s.io/yaml fills a Go struct (a number in a string field becomes its text, so
//! `appVersion: 1.10` reads as "1.1", as in Helm), and validated as Helm validates them.

use std::rc::Rc;

use saphyr_parser::ScalarStyle;

use crate::template::value::{Map, Value};
use crate::yaml::parse::{Scalar, YNode, parse_documents, resolve_scalar};

/// A chart dependency as declared in `Chart.yaml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    /// Chart name.
    pub name: String,
    /// Version constraint.
    pub version: String,
    /// Repository URL (unused when rendering).
    pub repository: String,
    /// Comma-separated values paths that enable the dependency.
    pub condition: String,
    /// Tags that enable the dependency.
    pub tags: Vec<String>,
    /// Whether the dependency is enabled (computed).
    pub enabled: bool,
    /// `import-values` entries: strings or `{child, parent}` maps.
    pub import_values: Vec<ImportValue>,
    /// Name to use instead of the chart's.
    pub alias: String,
}

/// One `import-values` entry.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportValue {
    /// `exports.<name>` of the child into the parent's root.
    Export(String),
    /// A child path copied to a parent path.
    Map {
        /// Path in the child's values.
        child: String,
        /// Path in the parent's values.
        parent: String,
    },
}

/// A chart maintainer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Maintainer {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// URL.
    pub url: String,
}

/// The contents of `Chart.yaml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// `name`.
    pub name: String,
    /// `home`.
    pub home: String,
    /// `sources`.
    pub sources: Vec<String>,
    /// `version`.
    pub version: String,
    /// `description`.
    pub description: String,
    /// `keywords`.
    pub keywords: Vec<String>,
    /// `maintainers`.
    pub maintainers: Vec<Maintainer>,
    /// `icon`.
    pub icon: String,
    /// `apiVersion` (`v1` when absent, as Helm 2 charts).
    pub api_version: String,
    /// `condition`.
    pub condition: String,
    /// `tags`.
    pub tags: String,
    /// `appVersion`.
    pub app_version: String,
    /// `deprecated`.
    pub deprecated: bool,
    /// `annotations`.
    pub annotations: Vec<(String, String)>,
    /// `kubeVersion` constraint.
    pub kube_version: String,
    /// `dependencies`.
    pub dependencies: Vec<Dependency>,
    /// `type`: application or library.
    pub chart_type: String,
}

/// A metadata loading or validation failure, worded like Helm's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MetadataError(pub String);

fn scalar_text(n: &YNode) -> Option<String> {
    match n {
        YNode::Scalar { value, style, tag } => {
            Some(match resolve_scalar(value, *style, tag.as_deref()) {
                Scalar::Null => String::new(),
                Scalar::Bool(b) => b.to_string(),
                Scalar::Int(i) => i.to_string(),
                Scalar::Uint(u) => u.to_string(),
                Scalar::Float(f) => {
                    let s = crate::template::gofmt::format_float_g(f64::from(f as f32));
                    let shortest = format!("{:e}", f as f32);
                    let v: f64 = shortest.parse().unwrap_or(f);
                    let _ = s;
                    crate::template::gofmt::format_float_g(v)
                }
                Scalar::Str(s) => s,
            })
        }
        _ => None,
    }
}

fn is_null(n: &YNode) -> bool {
    matches!(n, YNode::Scalar { value, style: ScalarStyle::Plain, tag: None } if matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL"))
}

fn type_err(field: &str, want: &str, n: &YNode) -> MetadataError {
    let got = match n {
        YNode::Seq(_) => "array",
        YNode::Map(_) => "object",
        YNode::Scalar { .. } => "string",
    };
    MetadataError(format!(
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {got} into Go struct field Metadata.{field} of type {want}"
    ))
}

fn get_str(field: &str, n: &YNode) -> Result<String, MetadataError> {
    scalar_text(n).ok_or_else(|| type_err(field, "string", n))
}

fn get_str_list(field: &str, n: &YNode) -> Result<Vec<String>, MetadataError> {
    if is_null(n) {
        return Ok(Vec::new());
    }
    match n {
        YNode::Seq(items) => items.iter().map(|i| get_str(field, i)).collect(),
        other => Err(type_err(field, "[]string", other)),
    }
}

fn map_pairs(n: &YNode) -> Vec<(String, Rc<YNode>)> {
    match n {
        YNode::Map(p) => p
            .iter()
            .filter_map(|(k, v)| scalar_text(k).map(|k| (k, v.clone())))
            .collect(),
        _ => Vec::new(),
    }
}

fn parse_dependency(n: &YNode) -> Result<Option<Dependency>, MetadataError> {
    if is_null(n) {
        return Ok(None);
    }
    let mut d = Dependency {
        enabled: false,
        ..Dependency::default()
    };
    for (k, v) in map_pairs(n) {
        match k.as_str() {
            "name" => d.name = get_str("dependencies.name", &v)?,
            "version" => d.version = get_str("dependencies.version", &v)?,
            "repository" => d.repository = get_str("dependencies.repository", &v)?,
            "condition" => d.condition = get_str("dependencies.condition", &v)?,
            "tags" => d.tags = get_str_list("dependencies.tags", &v)?,
            "alias" => d.alias = get_str("dependencies.alias", &v)?,
            "enabled" => d.enabled = scalar_text(&v).is_some_and(|s| s == "true"),
            "import-values" => {
                if let YNode::Seq(items) = &*v {
                    for it in items {
                        match &**it {
                            YNode::Map(_) => {
                                let mut child = String::new();
                                let mut parent = String::new();
                                for (ik, iv) in map_pairs(it) {
                                    match ik.as_str() {
                                        "child" => child = scalar_text(&iv).unwrap_or_default(),
                                        "parent" => parent = scalar_text(&iv).unwrap_or_default(),
                                        _ => {}
                                    }
                                }
                                d.import_values.push(ImportValue::Map { child, parent });
                            }
                            other => {
                                if let Some(s) = scalar_text(other) {
                                    d.import_values.push(ImportValue::Export(s));
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(Some(d))
}

impl Metadata {
    /// Reads `Chart.yaml` into `self` (fields present in the file overwrite).
    pub(crate) fn merge_yaml(&mut self, src: &str) -> Result<(), MetadataError> {
        let docs = parse_documents(src)
            .map_err(|e| MetadataError(format!("error converting YAML to JSON: {}", e.0)))?;
        let Some(root) = docs.into_iter().next().flatten() else {
            return Ok(());
        };
        if is_null(&root) {
            return Ok(());
        }
        if !matches!(&*root, YNode::Map(_)) {
            return Err(MetadataError(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type chart.Metadata".into(),
            ));
        }
        for (k, v) in map_pairs(&root) {
            match k.as_str() {
                "name" => self.name = get_str("name", &v)?,
                "home" => self.home = get_str("home", &v)?,
                "sources" => self.sources = get_str_list("sources", &v)?,
                "version" => self.version = get_str("version", &v)?,
                "description" => self.description = get_str("description", &v)?,
                "keywords" => self.keywords = get_str_list("keywords", &v)?,
                "icon" => self.icon = get_str("icon", &v)?,
                "apiVersion" => self.api_version = get_str("apiVersion", &v)?,
                "condition" => self.condition = get_str("condition", &v)?,
                "tags" => self.tags = get_str("tags", &v)?,
                "appVersion" => self.app_version = get_str("appVersion", &v)?,
                "deprecated" => self.deprecated = scalar_text(&v).is_some_and(|s| s == "true"),
                "kubeVersion" => self.kube_version = get_str("kubeVersion", &v)?,
                "type" => self.chart_type = get_str("type", &v)?,
                "annotations" => {
                    self.annotations = map_pairs(&v)
                        .into_iter()
                        .map(|(k, v)| Ok((k, get_str("annotations", &v)?)))
                        .collect::<Result<_, MetadataError>>()?;
                }
                "maintainers" => {
                    self.maintainers.clear();
                    if let YNode::Seq(items) = &*v {
                        for it in items {
                            let mut m = Maintainer::default();
                            for (mk, mv) in map_pairs(it) {
                                match mk.as_str() {
                                    "name" => m.name = get_str("maintainers.name", &mv)?,
                                    "email" => m.email = get_str("maintainers.email", &mv)?,
                                    "url" => m.url = get_str("maintainers.url", &mv)?,
                                    _ => {}
                                }
                            }
                            self.maintainers.push(m);
                        }
                    }
                }
                "dependencies" => {
                    self.dependencies.clear();
                    match &*v {
                        YNode::Seq(items) => {
                            for it in items {
                                match parse_dependency(it)? {
                                    Some(d) => self.dependencies.push(d),
                                    None => {
                                        return Err(MetadataError(
                                            "validation: dependencies must not contain empty or null nodes".into(),
                                        ));
                                    }
                                }
                            }
                        }
                        other if is_null(other) => {}
                        other => {
                            return Err(type_err("dependencies", "[]*chart.Dependency", other));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Helm's `Metadata.Validate`.
    pub(crate) fn validate(&self) -> Result<(), MetadataError> {
        let v = |m: String| Err(MetadataError(format!("validation: {m}")));
        if self.api_version.is_empty() {
            return v("chart.metadata.apiVersion is required".into());
        }
        if self.name.is_empty() {
            return v("chart.metadata.name is required".into());
        }
        if self.name.contains('/') || self.name == "." || self.name == ".." {
            return v(format!(
                "chart.metadata.name {} is invalid",
                crate::template::gofmt::quote(&self.name)
            ));
        }
        if self.version.is_empty() {
            return v("chart.metadata.version is required".into());
        }
        if capstan_semver::parse_version(&self.version).is_none() {
            return v(format!(
                "chart.metadata.version {} is invalid",
                crate::template::gofmt::quote(&self.version)
            ));
        }
        if !matches!(self.chart_type.as_str(), "" | "application" | "library") {
            return v("chart.metadata.type must be application or library".into());
        }
        let mut seen: Vec<String> = Vec::new();
        for d in &self.dependencies {
            if !d.alias.is_empty()
                && !d
                    .alias
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return v(format!(
                    "dependency {} has disallowed characters in the alias",
                    crate::template::gofmt::quote(&d.name)
                ));
            }
            let key = if d.alias.is_empty() {
                d.name.clone()
            } else {
                d.alias.clone()
            };
            if seen.contains(&key) {
                return v(format!(
                    "more than one dependency with name or alias {}",
                    crate::template::gofmt::quote(&key)
                ));
            }
            seen.push(key);
        }
        Ok(())
    }

    /// Whether this is a library chart.
    pub fn is_library(&self) -> bool {
        self.chart_type.eq_ignore_ascii_case("library")
    }

    /// The `.Chart` object templates see (Helm v4 hands templates a map).
    pub(crate) fn to_value(&self, is_root: bool) -> Value {
        let s = |x: &str| Value::from(x);
        let list = |v: &[String]| Value::list(v.iter().map(|x| Value::from(x.as_str())).collect());
        let mut m = Map::new();
        m.insert("Name".into(), s(&self.name));
        m.insert("Home".into(), s(&self.home));
        m.insert("Sources".into(), list(&self.sources));
        m.insert("Version".into(), s(&self.version));
        m.insert("Description".into(), s(&self.description));
        m.insert("Keywords".into(), list(&self.keywords));
        m.insert(
            "Maintainers".into(),
            Value::list(
                self.maintainers
                    .iter()
                    .map(|mt| {
                        let mut mm = Map::new();
                        mm.insert("Name".into(), s(&mt.name));
                        mm.insert("Email".into(), s(&mt.email));
                        mm.insert("URL".into(), s(&mt.url));
                        Value::map(mm)
                    })
                    .collect(),
            ),
        );
        m.insert("Icon".into(), s(&self.icon));
        m.insert("APIVersion".into(), s(&self.api_version));
        m.insert("Condition".into(), s(&self.condition));
        m.insert("Tags".into(), s(&self.tags));
        m.insert("AppVersion".into(), s(&self.app_version));
        m.insert("Deprecated".into(), Value::Bool(self.deprecated));
        let ann: Map = self
            .annotations
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect();
        m.insert("Annotations".into(), Value::map(ann));
        m.insert("KubeVersion".into(), s(&self.kube_version));
        m.insert(
            "Dependencies".into(),
            Value::list(
                self.dependencies
                    .iter()
                    .map(|d| {
                        let mut dm = Map::new();
                        dm.insert("Name".into(), s(&d.name));
                        dm.insert("Version".into(), s(&d.version));
                        dm.insert("Repository".into(), s(&d.repository));
                        dm.insert("Condition".into(), s(&d.condition));
                        dm.insert("Tags".into(), list(&d.tags));
                        dm.insert("Enabled".into(), Value::Bool(d.enabled));
                        dm.insert("Alias".into(), s(&d.alias));
                        dm.insert(
                            "ImportValues".into(),
                            Value::list(
                                d.import_values
                                    .iter()
                                    .map(|iv| match iv {
                                        ImportValue::Export(e) => s(e),
                                        ImportValue::Map { child, parent } => {
                                            let mut im = Map::new();
                                            im.insert("child".into(), s(child));
                                            im.insert("parent".into(), s(parent));
                                            Value::map(im)
                                        }
                                    })
                                    .collect(),
                            ),
                        );
                        Value::map(dm)
                    })
                    .collect(),
            ),
        );
        m.insert("Type".into(), s(&self.chart_type));
        m.insert("IsRoot".into(), Value::Bool(is_root));
        Value::map(m)
    }
}
