//! Charts: loading (directory, archive, files), `Chart.yaml`, `.helmignore` and dependency
//! processing (conditions, tags, aliases, import-values).

pub(crate) mod dependencies;
pub(crate) mod helmignore;
pub(crate) mod load;
pub(crate) mod metadata;

pub(crate) use metadata::Metadata;

/// One file of a chart, named relative to the chart root with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFile {
    /// Relative path, e.g. `templates/deployment.yaml`.
    pub name: String,
    /// Contents.
    pub data: Vec<u8>,
}

/// A loaded chart: plain data, `Send`, cheap to keep around between renders.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    /// `Chart.yaml`.
    pub metadata: Metadata,
    /// The text of `values.yaml` (already checked to parse).
    pub values_yaml: String,
    /// `values.schema.json`, if any.
    pub schema: Option<Vec<u8>>,
    /// Files under `templates/`.
    pub templates: Vec<ChartFile>,
    /// Every other file (what `.Files` exposes; `crds/` lives here too).
    pub files: Vec<ChartFile>,
    /// Subcharts from `charts/`, sorted by name.
    pub dependencies: Vec<Chart>,
}

impl Chart {
    /// The chart's name.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }
}

/// A chart that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// Reading from disk failed.
    #[error("{0}")]
    Io(String),
    /// The chart's content is invalid.
    #[error("{0}")]
    Invalid(String),
}
