//! The public entry points.

use std::path::{Path, PathBuf};

use crate::build::Builder;
use crate::error::{BuildError, ErrorKind, Location};
use crate::fs::{ConfinedFs, DiskFs, FsError, RootPath};
use crate::options::BuildOptions;
use crate::resid::ResId;
use crate::resmap::id_text;
use crate::value::Value;
use crate::yaml::emit::emit_document;

/// One built object, in output order.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    value: Value,
}

fn text(v: &Value, path: &[&str]) -> String {
    v.get_path(path)
        .and_then(Value::scalar_text)
        .unwrap_or_default()
}

impl Object {
    /// The object as a value tree (a mapping).
    #[must_use]
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Takes the value tree.
    #[must_use]
    pub fn into_value(self) -> Value {
        self.value
    }

    /// `apiVersion`.
    #[must_use]
    pub fn api_version(&self) -> String {
        text(&self.value, &["apiVersion"])
    }

    /// `kind`.
    #[must_use]
    pub fn kind(&self) -> String {
        text(&self.value, &["kind"])
    }

    /// `metadata.name`.
    #[must_use]
    pub fn name(&self) -> String {
        text(&self.value, &["metadata", "name"])
    }

    /// `metadata.namespace` ("" when unset).
    #[must_use]
    pub fn namespace(&self) -> String {
        text(&self.value, &["metadata", "namespace"])
    }

    /// The object as one YAML document, printed exactly as `kubectl kustomize` prints it.
    pub fn to_yaml(&self) -> Result<String, BuildError> {
        let mut out = String::new();
        emit_document(&self.value, &mut out).map_err(|source| {
            BuildError::new(
                Location::default(),
                ErrorKind::Emit {
                    object: self.describe(),
                    source,
                },
            )
        })?;
        Ok(out)
    }

    fn describe(&self) -> String {
        let id = ResId {
            gvk: crate::resid::Gvk::from_api_version(&self.api_version(), &self.kind()),
            name: self.name(),
            namespace: self.namespace(),
        };
        id_text(&id)
    }
}

/// The result of a build: the objects and the warnings kustomize would print on stderr
/// (deprecated fields, unused vars).
#[derive(Debug, Clone, Default)]
pub struct Build {
    /// Objects in output order.
    pub objects: Vec<Object>,
    /// Warning lines.
    pub warnings: Vec<String>,
}

/// Builds the kustomization at `path` (relative to the root of `root`) with
/// `kubectl kustomize` defaults.
pub fn build(root: &dyn ConfinedFs, path: &str) -> Result<Vec<Object>, BuildError> {
    build_with(root, path, &BuildOptions::default()).map(|b| b.objects)
}

/// Builds the kustomization at `path` (relative to the root of `root`) with `options`.
pub fn build_with(
    root: &dyn ConfinedFs,
    path: &str,
    options: &BuildOptions,
) -> Result<Build, BuildError> {
    let dir = RootPath::parse(path).map_err(|e| BuildError::new(Location::default(), e.into()))?;
    let mut b = Builder::new(root, options);
    let resources = b.build(&dir)?;
    Ok(Build {
        objects: resources
            .into_iter()
            .map(|r| Object { value: r.obj })
            .collect(),
        warnings: b.warnings,
    })
}

/// Prints objects as `kubectl kustomize` does: documents separated by `---`.
pub fn to_yaml(objects: &[Object]) -> Result<String, BuildError> {
    let mut out = String::new();
    for (i, o) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        emit_document(&o.value, &mut out).map_err(|source| {
            BuildError::new(
                Location::default(),
                ErrorKind::Emit {
                    object: o.describe(),
                    source,
                },
            )
        })?;
    }
    Ok(out)
}

/// The drop-in for `kubectl kustomize <dir>`: builds `dir` from disk and returns exactly what
/// kubectl prints on stdout. Reads are confined to `root` (default: the filesystem root, which
/// allows `../` bases anywhere, like kubectl).
pub fn build_dir_to_yaml(
    dir: &Path,
    root: Option<&Path>,
    options: &BuildOptions,
) -> Result<String, BuildError> {
    let io = |path: &Path, source: std::io::Error| {
        BuildError::new(
            Location::default(),
            FsError::Io {
                path: path.display().to_string(),
                source,
            }
            .into(),
        )
    };
    let abs: PathBuf = std::fs::canonicalize(dir).map_err(|e| io(dir, e))?;
    let root_dir: PathBuf = match root {
        Some(r) => std::fs::canonicalize(r).map_err(|e| io(r, e))?,
        None => PathBuf::from("/"),
    };
    let rel = abs.strip_prefix(&root_dir).map_err(|_| {
        BuildError::new(
            Location::default(),
            FsError::Escapes(abs.display().to_string()).into(),
        )
    })?;
    let rel = rel.to_str().ok_or_else(|| {
        BuildError::new(
            Location::default(),
            ErrorKind::Transform(format!("path '{}' is not valid UTF-8", rel.display())),
        )
    })?;
    let fs = DiskFs::new(&root_dir).map_err(|e| BuildError::new(Location::default(), e.into()))?;
    let built = build_with(&fs, rel, options)?;
    to_yaml(&built.objects)
}

/// Parses a YAML stream into values typed the way kustomize reads them (one per document;
/// empty documents are `Null`). Handy for callers that need to read manifests or overlays.
pub fn parse_yaml(text: &str) -> Result<Vec<Value>, crate::yaml::YamlError> {
    crate::yaml::parse::parse_stream(text)
}
