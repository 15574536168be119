//! From rendered files to `helm template`'s stdout: NOTES set aside, documents split on `---`,
//! each one's head (`kind`, `metadata.name`, annotations) read, hooks separated, manifests
//! sorted in Helm's install order (unknown kinds last, alphabetically), and printed as
//! `---\n# Source: <path>\n<document>\n`.

use crate::error::Error;
use crate::template::value::Value;
use crate::yaml::parse::{parse_documents, to_json_value};

/// Helm's `InstallOrder`.
pub(crate) const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

const HOOK_EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];

/// One rendered Kubernetes document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The template it came from (`chart/templates/x.yaml`).
    pub path: String,
    /// The document text, trimmed.
    pub content: String,
    /// Its `kind`.
    pub kind: String,
    /// Its `metadata.name`.
    pub name: String,
}

/// A rendered hook: a manifest annotated with `helm.sh/hook`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// The manifest.
    pub manifest: Manifest,
    /// Hook events, lower-cased, in annotation order.
    pub events: Vec<String>,
    /// `helm.sh/hook-weight` (0 when absent or not a number).
    pub weight: i64,
    /// `helm.sh/hook-delete-policy` entries.
    pub delete_policies: Vec<String>,
}

impl Hook {
    /// Whether this is a test hook (`helm template --skip-tests` drops these).
    pub fn is_test(&self) -> bool {
        self.events
            .iter()
            .any(|e| e == "test" || e == "test-success")
    }
}

/// Helm's `SplitManifests`: split where the regex `(?:^|\s*\n)---\s*` matches, trim each
/// piece, drop empty ones.
pub(crate) fn split_documents(big: &str) -> Vec<String> {
    let text = big.trim();
    let b = text.as_bytes();
    let mut pieces: Vec<&str> = Vec::new();
    let mut start = 0usize;
    let mut i = 0usize;
    let skip_ws = |mut j: usize| {
        while b.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        j
    };
    if text.starts_with("---") {
        pieces.push("");
        start = skip_ws(3);
        i = start;
    }
    while i < b.len() {
        if b.get(i) == Some(&b'\n') && text.get(i + 1..).is_some_and(|r| r.starts_with("---")) {
            let mut m = i;
            while m > start && b.get(m - 1).is_some_and(u8::is_ascii_whitespace) {
                m -= 1;
            }
            pieces.push(text.get(start..m).unwrap_or(""));
            start = skip_ws(i + 4);
            i = start;
            continue;
        }
        i += 1;
    }
    pieces.push(text.get(start..).unwrap_or(""));
    pieces
        .into_iter()
        .filter(|d| !d.is_empty())
        .map(|d| d.trim().to_string())
        .collect()
}

struct Head {
    kind: String,
    name: String,
    annotations: Option<Vec<(String, String)>>,
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Str(_) => "string",
        Value::Float(_) | Value::Int(_) | Value::I64(_) => "number",
        Value::Bool(_) => "bool",
        Value::List(_) => "array",
        _ => "object",
    }
}

/// sigs.k8s.io/yaml's conversion of a scalar into a Go string field.
fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.to_string()),
        Value::Nil => Some(String::new()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Float(f) => Some(crate::template::gofmt::format_float_g(*f)),
        Value::Int(i) | Value::I64(i) => Some(i.to_string()),
        _ => None,
    }
}

/// Reads a document's head as Helm's `SimpleHead`, with its error texts: scalars become
/// strings, anything else in a string field is an error.
fn read_head(doc: &str, path: &str) -> Result<Head, Error> {
    let err = |m: String| Error::Render(format!("YAML parse error on {path}: {m}"));
    let docs =
        parse_documents(doc).map_err(|e| err(format!("error converting YAML to JSON: {}", e.0)))?;
    let node = docs.into_iter().next().flatten();
    let v = match node {
        Some(n) => {
            to_json_value(&n).map_err(|e| err(format!("error converting YAML to JSON: {}", e.0)))?
        }
        None => Value::Nil,
    };
    let mut head = Head {
        kind: String::new(),
        name: String::new(),
        annotations: None,
    };
    let unmarshal = |got: &Value, into: &str| {
        err(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into {into}",
            json_kind(got)
        ))
    };
    match &v {
        Value::Map(_) => {}
        Value::Nil => return Ok(head),
        other => return Err(unmarshal(other, "Go value of type util.SimpleHead")),
    }
    if let Some(k) = v.get("kind") {
        head.kind = scalar_string(&k)
            .ok_or_else(|| unmarshal(&k, "Go struct field SimpleHead.kind of type string"))?;
    }
    if let Some(a) = v.get("apiVersion") {
        scalar_string(&a)
            .ok_or_else(|| unmarshal(&a, "Go struct field SimpleHead.apiVersion of type string"))?;
    }
    match v.get("metadata") {
        Some(md @ Value::Map(_)) => {
            if let Some(n) = md.get("name") {
                head.name = scalar_string(&n).ok_or_else(|| {
                    unmarshal(&n, "Go struct field .metadata.name of type string")
                })?;
            }
            match md.get("annotations") {
                Some(a @ Value::Map(_)) => {
                    let mut anns = Vec::new();
                    for (k, val) in a.map_entries() {
                        let s = scalar_string(&val).ok_or_else(|| {
                            unmarshal(&val, "Go struct field .metadata.annotations of type string")
                        })?;
                        anns.push((k, s));
                    }
                    head.annotations = Some(anns);
                }
                Some(Value::Nil) | None => {}
                Some(other) => {
                    return Err(unmarshal(
                        &other,
                        "Go struct field .metadata.annotations of type map[string]string",
                    ));
                }
            }
        }
        Some(Value::Nil) | None => {}
        Some(other) => {
            return Err(unmarshal(
                &other,
                "Go struct field SimpleHead.metadata of type struct { Name string \"json:\\\"name\\\"\"; Annotations map[string]string \"json:\\\"annotations\\\"\" }",
            ));
        }
    }
    Ok(head)
}

fn kind_rank(kind: &str) -> Option<usize> {
    INSTALL_ORDER.iter().position(|k| *k == kind)
}

/// Helm's `lessByKind`, used with a stable sort.
fn kind_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (kind_rank(a), kind_rank(b)) {
        (None, None) => a.cmp(b),
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(&y),
    }
}

/// Manifests and hooks of a render, sorted as Helm sorts them.
pub(crate) struct Sorted {
    pub(crate) manifests: Vec<Manifest>,
    pub(crate) hooks: Vec<Hook>,
}

/// Helm's `SortManifests`: files by name, documents in order, hooks apart.
pub(crate) fn sort_manifests(files: &[(String, String)]) -> Result<Sorted, Error> {
    let mut sorted_files: Vec<&(String, String)> = files.iter().collect();
    sorted_files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut manifests = Vec::new();
    let mut hooks = Vec::new();
    for (path, content) in sorted_files {
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.starts_with('_') || content.trim().is_empty() {
            continue;
        }
        for doc in split_documents(content) {
            let head = read_head(&doc, path)?;
            let m = Manifest {
                path: path.clone(),
                content: doc,
                kind: head.kind.clone(),
                name: head.name.clone(),
            };
            let Some(anns) = head.annotations.filter(|a| !a.is_empty()) else {
                manifests.push(m);
                continue;
            };
            let Some((_, hook_types)) = anns.iter().find(|(k, _)| k == "helm.sh/hook") else {
                manifests.push(m);
                continue;
            };
            let mut events = Vec::new();
            let mut unknown = false;
            for t in hook_types.split(',') {
                let t = t.trim().to_lowercase();
                if !HOOK_EVENTS.contains(&t.as_str()) {
                    unknown = true;
                    break;
                }
                events.push(t);
            }
            if unknown {
                continue;
            }
            let weight = anns
                .iter()
                .find(|(k, _)| k == "helm.sh/hook-weight")
                .and_then(|(_, v)| v.parse::<i64>().ok())
                .unwrap_or(0);
            let delete_policies = anns
                .iter()
                .find(|(k, _)| k == "helm.sh/hook-delete-policy")
                .map(|(_, v)| {
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            hooks.push(Hook {
                manifest: m,
                events,
                weight,
                delete_policies,
            });
        }
    }
    manifests.sort_by(|a, b| kind_cmp(&a.kind, &b.kind));
    hooks.sort_by(|a, b| kind_cmp(&a.manifest.kind, &b.manifest.kind));
    Ok(Sorted { manifests, hooks })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_split_like_helm() {
        assert_eq!(
            split_documents("a: 1\n---\nb: 2\n---   \n\n"),
            vec!["a: 1", "b: 2"]
        );
        assert_eq!(split_documents("---\na: 1"), vec!["a: 1"]);
        assert_eq!(split_documents("a: '---x'"), vec!["a: '---x'"]);
    }

    #[test]
    fn unknown_kinds_sort_last_alphabetically() {
        let mut kinds = vec!["Zed", "Deployment", "Alpha", "Namespace"];
        kinds.sort_by(|a, b| kind_cmp(a, b));
        assert_eq!(kinds, vec!["Namespace", "Deployment", "Alpha", "Zed"]);
    }
}
