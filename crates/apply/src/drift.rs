//! Drift detection, pure: does the dry-run result differ from the live object, once the fields
//! the apiserver manages and the caller's ignore rules (Flux `spec.ignore`) are set aside?
//!
//! An object that did not drift is not applied, so an unchanged set never bumps a
//! `resourceVersion` (and never wakes the watchers of its objects).

use std::collections::BTreeMap;

use capstan_api::meta::IgnoreRule;
use regex::Regex;
use serde_json::Value;

use crate::object::{self, ObjMetadata};

/// `metadata` fields the apiserver owns; they differ between a dry-run and the live object or
/// carry no intent.
const SERVER_METADATA: &[&str] = &[
    "resourceVersion",
    "generation",
    "managedFields",
    "uid",
    "creationTimestamp",
    "selfLink",
];

/// Whether the dry-run result differs from the live object, ignoring server-managed metadata,
/// `status`, and `ignore_paths` (RFC 6901 JSON pointers, e.g. `/spec/replicas`).
pub fn has_drifted(live: &Value, dry_run: &Value, ignore_paths: &[String]) -> bool {
    comparable(live, ignore_paths) != comparable(dry_run, ignore_paths)
}

/// The part of an object that drift detection compares.
pub fn comparable(object: &Value, ignore_paths: &[String]) -> Value {
    let mut copy = object.clone();
    if let Some(root) = copy.as_object_mut() {
        root.remove("status");
        if let Some(metadata) = root.get_mut("metadata").and_then(Value::as_object_mut) {
            for field in SERVER_METADATA {
                metadata.remove(*field);
            }
            // An empty map and a missing one mean the same.
            for field in ["labels", "annotations"] {
                if metadata
                    .get(field)
                    .is_some_and(|v| v.as_object().is_some_and(|m| m.is_empty()) || v.is_null())
                {
                    metadata.remove(field);
                }
            }
        }
    }
    for pointer in ignore_paths {
        remove_pointer(&mut copy, pointer);
    }
    copy
}

/// Removes the value at an RFC 6901 JSON pointer; returns whether something was removed.
pub fn remove_pointer(value: &mut Value, pointer: &str) -> bool {
    if pointer.is_empty() || !pointer.starts_with('/') {
        return false;
    }
    let tokens: Vec<String> = pointer[1..]
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((last, parents)) = tokens.split_last() else {
        return false;
    };
    let mut current = value;
    for token in parents {
        current = match current {
            Value::Object(map) => match map.get_mut(token) {
                Some(next) => next,
                None => return false,
            },
            Value::Array(items) => match token.parse::<usize>().ok().and_then(|i| items.get_mut(i))
            {
                Some(next) => next,
                None => return false,
            },
            _ => return false,
        };
    }
    match current {
        Value::Object(map) => map.remove(last).is_some(),
        Value::Array(items) => match last.parse::<usize>() {
            Ok(i) if i < items.len() => {
                items.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// A compiled Flux `spec.ignore` rule: JSON pointers to leave out of drift detection for the
/// objects its selector matches.
#[derive(Clone, Debug)]
pub struct DriftIgnoreRule {
    /// RFC 6901 pointers.
    pub paths: Vec<String>,
    /// The objects the rule applies to; every object when `None`.
    pub target: Option<ObjectSelector>,
}

impl DriftIgnoreRule {
    /// Compiles an API rule; an invalid regex or selector is an error naming the field.
    pub fn compile(rule: &IgnoreRule) -> Result<Self, String> {
        Ok(Self {
            paths: rule.paths.clone(),
            target: rule
                .target
                .as_ref()
                .map(ObjectSelector::compile)
                .transpose()?,
        })
    }

    /// Whether the rule applies to `object` (the desired manifest).
    pub fn matches(&self, meta: &ObjMetadata, object: &Value) -> bool {
        self.target.as_ref().is_none_or(|t| t.matches(meta, object))
    }
}

/// The ignore paths of every rule matching an object.
pub fn ignore_paths_for(
    rules: &[DriftIgnoreRule],
    meta: &ObjMetadata,
    object: &Value,
) -> Vec<String> {
    rules
        .iter()
        .filter(|r| r.matches(meta, object))
        .flat_map(|r| r.paths.iter().cloned())
        .collect()
}

/// Flux's `jsondiff.Selector`: anchored regexes on group, version, kind, namespace and name,
/// and label-selector expressions on labels and annotations.
#[derive(Clone, Debug)]
pub struct ObjectSelector {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    namespace: Option<Regex>,
    name: Option<Regex>,
    labels: Option<LabelSelector>,
    annotations: Option<LabelSelector>,
}

impl ObjectSelector {
    /// Compiles an API selector.
    pub fn compile(selector: &capstan_api::meta::Selector) -> Result<Self, String> {
        fn anchored(field: &str, pattern: &Option<String>) -> Result<Option<Regex>, String> {
            match pattern.as_deref() {
                None | Some("") => Ok(None),
                Some(p) => Regex::new(&format!("^(?:{p})$"))
                    .map(Some)
                    .map_err(|e| format!("invalid {field} regex '{p}': {e}")),
            }
        }
        fn parsed(field: &str, expr: &Option<String>) -> Result<Option<LabelSelector>, String> {
            match expr.as_deref() {
                None | Some("") => Ok(None),
                Some(e) => LabelSelector::parse(e)
                    .map(Some)
                    .map_err(|m| format!("invalid {field} '{e}': {m}")),
            }
        }
        Ok(Self {
            group: anchored("group", &selector.group)?,
            version: anchored("version", &selector.version)?,
            kind: anchored("kind", &selector.kind)?,
            namespace: anchored("namespace", &selector.namespace)?,
            name: anchored("name", &selector.name)?,
            labels: parsed("labelSelector", &selector.label_selector)?,
            annotations: parsed("annotationSelector", &selector.annotation_selector)?,
        })
    }

    /// Whether every set field matches.
    pub fn matches(&self, meta: &ObjMetadata, object: &Value) -> bool {
        let matches =
            |re: &Option<Regex>, value: &str| re.as_ref().is_none_or(|r| r.is_match(value));
        matches(&self.group, &meta.group)
            && matches(&self.version, &meta.version)
            && matches(&self.kind, &meta.kind)
            && matches(&self.namespace, &meta.namespace)
            && matches(&self.name, &meta.name)
            && self
                .labels
                .as_ref()
                .is_none_or(|s| s.matches(&object::labels(object)))
            && self
                .annotations
                .as_ref()
                .is_none_or(|s| s.matches(&object::annotations(object)))
    }
}

/// A Kubernetes label-selector expression: `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
/// `k notin (a,b)`, `k`, `!k`, joined by commas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl LabelSelector {
    /// Parses an expression; the error says what is wrong.
    pub fn parse(expr: &str) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for part in split_top_level(expr) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            requirements.push(Self::parse_requirement(part)?);
        }
        Ok(Self { requirements })
    }

    fn parse_requirement(part: &str) -> Result<Requirement, String> {
        let set = |rest: &str| -> Result<Vec<String>, String> {
            let rest = rest.trim();
            let inner = rest
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| format!("expected '(values)' in '{part}'"))?;
            Ok(inner
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect())
        };
        if let Some(key) = part.strip_prefix('!') {
            return Ok(Requirement::NotExists(key.trim().to_string()));
        }
        if let Some((key, value)) = part.split_once("!=") {
            return Ok(Requirement::NotEquals(
                key.trim().into(),
                value.trim().into(),
            ));
        }
        if let Some((key, value)) = part.split_once("==") {
            return Ok(Requirement::Equals(key.trim().into(), value.trim().into()));
        }
        if let Some((key, value)) = part.split_once('=') {
            return Ok(Requirement::Equals(key.trim().into(), value.trim().into()));
        }
        let mut words = part.splitn(2, char::is_whitespace);
        let key = words.next().unwrap_or_default().trim().to_string();
        let rest = words.next().unwrap_or_default().trim();
        if rest.is_empty() {
            return Ok(Requirement::Exists(key));
        }
        if let Some(values) = rest.strip_prefix("notin") {
            return Ok(Requirement::NotIn(key, set(values)?));
        }
        if let Some(values) = rest.strip_prefix("in") {
            return Ok(Requirement::In(key, set(values)?));
        }
        Err(format!("unsupported requirement '{part}'"))
    }

    /// Whether a label (or annotation) map satisfies every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
        })
    }
}

/// Splits on commas outside parentheses.
fn split_top_level(expr: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in expr.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&expr[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&expr[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "apps", "resourceVersion": "10",
                "generation": 3, "uid": "u-1", "creationTimestamp": "2024-01-01T00:00:00Z",
                "managedFields": [{"manager": "kubectl-edit"}], "labels": {"app": "web"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
            "status": {"replicas": 2, "readyReplicas": 2}
        })
    }

    #[test]
    fn server_managed_fields_and_status_are_not_drift() {
        let mut dry_run = live();
        dry_run["metadata"]["resourceVersion"] = json!("11");
        dry_run["metadata"]["generation"] = json!(4);
        dry_run["metadata"]["managedFields"] = json!([{"manager": "kustomize-controller"}]);
        dry_run["status"] = json!({"replicas": 0});
        assert!(!has_drifted(&live(), &dry_run, &[]));
    }

    #[test]
    fn spec_labels_and_annotations_are_drift() {
        let mut dry_run = live();
        dry_run["spec"]["replicas"] = json!(3);
        assert!(has_drifted(&live(), &dry_run, &[]));
        let mut dry_run = live();
        dry_run["metadata"]["labels"]["team"] = json!("a");
        assert!(has_drifted(&live(), &dry_run, &[]));
        let mut dry_run = live();
        dry_run["metadata"]["annotations"] = json!({"note": "x"});
        assert!(has_drifted(&live(), &dry_run, &[]));
    }

    #[test]
    fn empty_label_maps_equal_missing_ones() {
        let mut dry_run = live();
        dry_run["metadata"]["annotations"] = json!({});
        assert!(!has_drifted(&live(), &dry_run, &[]));
    }

    #[test]
    fn ignore_paths_hide_drift() {
        let mut dry_run = live();
        dry_run["spec"]["replicas"] = json!(5);
        assert!(!has_drifted(&live(), &dry_run, &["/spec/replicas".into()]));
        let mut dry_run = live();
        dry_run["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
        let pointer = "/spec/template/spec/containers/0/image".to_string();
        assert!(!has_drifted(&live(), &dry_run, &[pointer]));
    }

    #[test]
    fn pointers_unescape_tilde_and_slash() {
        let mut value = json!({"metadata": {"annotations": {"a/b": "1", "c~d": "2", "e": "3"}}});
        assert!(remove_pointer(&mut value, "/metadata/annotations/a~1b"));
        assert!(remove_pointer(&mut value, "/metadata/annotations/c~0d"));
        assert!(!remove_pointer(&mut value, "/metadata/annotations/missing"));
        assert!(!remove_pointer(&mut value, "no-slash"));
        assert_eq!(value, json!({"metadata": {"annotations": {"e": "3"}}}));
    }

    #[test]
    fn ignore_rules_apply_to_selected_objects_only() {
        let rule = IgnoreRule {
            paths: vec!["/spec/replicas".into()],
            target: Some(capstan_api::meta::Selector {
                kind: Some("Deploy.*".into()),
                label_selector: Some("app in (web, api),!canary".into()),
                ..Default::default()
            }),
        };
        let rule = DriftIgnoreRule::compile(&rule).unwrap();
        let obj = live();
        let meta = ObjMetadata::from_object(&obj).unwrap();
        assert_eq!(
            ignore_paths_for(std::slice::from_ref(&rule), &meta, &obj),
            ["/spec/replicas"]
        );
        let mut canary = obj.clone();
        canary["metadata"]["labels"]["canary"] = json!("true");
        assert!(ignore_paths_for(std::slice::from_ref(&rule), &meta, &canary).is_empty());
        let svc = ObjMetadata::new("", "v1", "Service", "apps", "web");
        assert!(!rule.matches(&svc, &obj));
    }

    #[test]
    fn label_selectors_follow_kubernetes_semantics() {
        let labels = BTreeMap::from([
            ("app".to_string(), "web".to_string()),
            ("tier".to_string(), "front".to_string()),
        ]);
        for (expr, expected) in [
            ("app=web", true),
            ("app==web,tier=front", true),
            ("app!=web", false),
            ("app notin (api)", true),
            ("tier in (back)", false),
            ("missing", false),
            ("!missing", true),
            ("", true),
        ] {
            let selector = LabelSelector::parse(expr).unwrap();
            assert_eq!(selector.matches(&labels), expected, "{expr}");
        }
        assert!(LabelSelector::parse("app in web").is_err());
        assert!(
            ObjectSelector::compile(&capstan_api::meta::Selector {
                name: Some("(".into()),
                ..Default::default()
            })
            .is_err()
        );
    }
}
