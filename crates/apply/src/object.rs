//! Object identity: group, version, kind, namespace and name, with Flux's inventory id and
//! change-set text, plus the few metadata accessors the engine needs on `serde_json::Value`s.

use std::collections::BTreeMap;
use std::fmt;

use capstan_api::meta::ResourceRef;
use serde_json::{Map, Value};

use crate::error::{InventoryError, ObjectError};

/// The API group of RBAC kinds, whose names may contain `:`.
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
/// How cli-utils writes a `:` of an RBAC name inside an inventory id.
const COLON_TRANSCODED: &str = "__";

/// Identifies one Kubernetes object: Flux's `ObjMetadata` plus the API version.
///
/// Equality includes the version; use [`ObjMetadata::inventory_id`] to compare objects the way
/// an inventory does (group, kind, namespace, name).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjMetadata {
    /// API group; empty for the core group.
    pub group: String,
    /// API version within the group (`v1`).
    pub version: String,
    /// Kind (`Deployment`).
    pub kind: String,
    /// Namespace; empty for cluster-scoped objects.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjMetadata {
    /// Builds an identity from its parts.
    pub fn new(
        group: impl Into<String>,
        version: impl Into<String>,
        kind: impl Into<String>,
        namespace: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// Reads the identity of a manifest; `apiVersion`, `kind` and `metadata.name` are required.
    pub fn from_object(object: &Value) -> Result<Self, ObjectError> {
        if !object.is_object() {
            return Err(ObjectError::NotAnObject);
        }
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = meta_str(object, "name").unwrap_or_default();
        let describe = || {
            let kind = if kind.is_empty() { "<no kind>" } else { kind };
            let name = if name.is_empty() { "<no name>" } else { name };
            format!("{kind}/{name}")
        };
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if api_version.is_empty() {
            return Err(ObjectError::MissingField {
                object: describe(),
                field: "apiVersion",
            });
        }
        if kind.is_empty() {
            return Err(ObjectError::MissingField {
                object: describe(),
                field: "kind",
            });
        }
        if name.is_empty() {
            return Err(ObjectError::MissingField {
                object: describe(),
                field: "metadata.name",
            });
        }
        let (group, version) = split_api_version(api_version);
        Ok(Self {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            namespace: meta_str(object, "namespace")
                .unwrap_or_default()
                .to_string(),
            name: name.to_string(),
        })
    }

    /// `apiVersion` as written in manifests: `v1` for the core group, else `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Flux's inventory id `<namespace>_<name>_<group>_<kind>` (cli-utils `ObjMetadata.String`):
    /// a `:` in an RBAC object's name is written `__`.
    pub fn inventory_id(&self) -> String {
        let name = if self.group == RBAC_GROUP {
            self.name.replace(':', COLON_TRANSCODED)
        } else {
            self.name.clone()
        };
        format!("{}_{}_{}_{}", self.namespace, name, self.group, self.kind)
    }

    /// Parses an inventory id (see [`ObjMetadata::inventory_id`]) with the entry's version.
    pub fn from_inventory_id(id: &str, version: &str) -> Result<Self, InventoryError> {
        let invalid = || InventoryError::InvalidId { id: id.to_string() };
        // Namespace is the first field, kind and group the last two: names of RBAC objects may
        // contain `_`, groups and kinds never do (cli-utils `ParseObjMetadata`).
        let (namespace, rest) = id.split_once('_').ok_or_else(invalid)?;
        let (rest, kind) = rest.rsplit_once('_').ok_or_else(invalid)?;
        let (name, group) = rest.rsplit_once('_').ok_or_else(invalid)?;
        if name.is_empty() || kind.is_empty() {
            return Err(invalid());
        }
        let name = if group == RBAC_GROUP {
            name.replace(COLON_TRANSCODED, ":")
        } else {
            name.to_string()
        };
        Ok(Self {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name,
        })
    }

    /// The `status.inventory` entry of this object.
    pub fn to_resource_ref(&self) -> ResourceRef {
        ResourceRef {
            id: self.inventory_id(),
            v: self.version.clone(),
        }
    }

    /// Reads a `status.inventory` entry.
    pub fn from_resource_ref(entry: &ResourceRef) -> Result<Self, InventoryError> {
        Self::from_inventory_id(&entry.id, &entry.v)
    }

    /// Whether this is an `apiextensions.k8s.io` CustomResourceDefinition.
    pub fn is_crd(&self) -> bool {
        self.group == "apiextensions.k8s.io" && self.kind == "CustomResourceDefinition"
    }

    /// Whether this is a core Namespace.
    pub fn is_namespace(&self) -> bool {
        self.group.is_empty() && self.kind == "Namespace"
    }

    /// Whether this is a core Secret, whose data is never printed.
    pub fn is_secret(&self) -> bool {
        self.group.is_empty() && self.kind == "Secret"
    }

    /// Whether this is an RBAC ClusterRole.
    pub fn is_cluster_role(&self) -> bool {
        self.group == RBAC_GROUP && self.kind == "ClusterRole"
    }
}

impl fmt::Display for ObjMetadata {
    /// Flux's `FmtUnstructured`: `Kind/namespace/name`, or `Kind/name` when cluster-scoped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
pub(crate) fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// A string field of `metadata`.
pub(crate) fn meta_str<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get("metadata")?.get(field)?.as_str()
}

/// The annotation `key` of an object, if set.
pub(crate) fn annotation<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object
        .get("metadata")?
        .get("annotations")?
        .get(key)?
        .as_str()
}

/// The label `key` of an object, if set.
pub(crate) fn label<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.get("metadata")?.get("labels")?.get(key)?.as_str()
}

/// The labels of an object.
pub(crate) fn labels(object: &Value) -> BTreeMap<String, String> {
    string_map(object.get("metadata").and_then(|m| m.get("labels")))
}

/// The annotations of an object.
pub(crate) fn annotations(object: &Value) -> BTreeMap<String, String> {
    string_map(object.get("metadata").and_then(|m| m.get("annotations")))
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// `metadata` as a mutable map, created when missing.
pub(crate) fn metadata_mut(object: &mut Value) -> Option<&mut Map<String, Value>> {
    let root = object.as_object_mut()?;
    let metadata = root
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !metadata.is_object() {
        *metadata = Value::Object(Map::new());
    }
    metadata.as_object_mut()
}

/// Sets labels on an object, overriding existing keys.
pub(crate) fn set_labels(object: &mut Value, labels: &BTreeMap<String, String>) {
    if labels.is_empty() {
        return;
    }
    let Some(metadata) = metadata_mut(object) else {
        return;
    };
    let entry = metadata
        .entry("labels")
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    if let Some(map) = entry.as_object_mut() {
        for (key, value) in labels {
            map.insert(key.clone(), Value::String(value.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inventory_id_has_flux_format() {
        let deploy = ObjMetadata::new("apps", "v1", "Deployment", "apps", "web");
        assert_eq!(deploy.inventory_id(), "apps_web_apps_Deployment");
        let ns = ObjMetadata::new("", "v1", "Namespace", "", "apps");
        assert_eq!(ns.inventory_id(), "_apps__Namespace");
        let cm = ObjMetadata::new("", "v1", "ConfigMap", "default", "conf");
        assert_eq!(cm.inventory_id(), "default_conf__ConfigMap");
    }

    #[test]
    fn rbac_names_with_colons_are_transcoded_both_ways() {
        let role = ObjMetadata::new(RBAC_GROUP, "v1", "ClusterRole", "", "system:flux:view");
        let id = role.inventory_id();
        assert_eq!(
            id,
            "_system__flux__view_rbac.authorization.k8s.io_ClusterRole"
        );
        assert_eq!(ObjMetadata::from_inventory_id(&id, "v1").unwrap(), role);
    }

    #[test]
    fn inventory_ids_round_trip() {
        for meta in [
            ObjMetadata::new("apps", "v1", "Deployment", "apps", "web"),
            ObjMetadata::new("", "v1", "Namespace", "", "apps"),
            ObjMetadata::new("example.com", "v1alpha1", "Widget", "ns", "w-1"),
            ObjMetadata::new(RBAC_GROUP, "v1", "RoleBinding", "ns", "under_score"),
        ] {
            let back = ObjMetadata::from_resource_ref(&meta.to_resource_ref()).unwrap();
            assert_eq!(back, meta);
        }
    }

    #[test]
    fn malformed_inventory_ids_are_refused() {
        for id in ["", "nounderscores", "a_b", "ns__apps_"] {
            assert!(ObjMetadata::from_inventory_id(id, "v1").is_err(), "{id}");
        }
    }

    #[test]
    fn display_is_flux_change_set_subject() {
        let deploy = ObjMetadata::new("apps", "v1", "Deployment", "apps", "web");
        assert_eq!(deploy.to_string(), "Deployment/apps/web");
        let ns = ObjMetadata::new("", "v1", "Namespace", "", "apps");
        assert_eq!(ns.to_string(), "Namespace/apps");
    }

    #[test]
    fn from_object_reads_identity_and_names_missing_fields() {
        let obj = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "apps"}});
        let meta = ObjMetadata::from_object(&obj).unwrap();
        assert_eq!(
            meta,
            ObjMetadata::new("apps", "v1", "Deployment", "apps", "web")
        );
        assert_eq!(meta.api_version(), "apps/v1");

        let nameless = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}});
        let error = ObjectMetadataError::of(&nameless);
        assert!(error.contains("ConfigMap/<no name>"), "{error}");
        assert!(error.contains("metadata.name"), "{error}");
        assert!(ObjMetadata::from_object(&json!("text")).is_err());
    }

    struct ObjectMetadataError;
    impl ObjectMetadataError {
        fn of(value: &Value) -> String {
            match ObjMetadata::from_object(value) {
                Ok(_) => String::new(),
                Err(error) => error.to_string(),
            }
        }
    }

    #[test]
    fn set_labels_overrides_and_creates_metadata() {
        let mut obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "labels": {"a": "1", "b": "2"}}});
        let owner = BTreeMap::from([("b".to_string(), "x".to_string())]);
        set_labels(&mut obj, &owner);
        assert_eq!(label(&obj, "a"), Some("1"));
        assert_eq!(label(&obj, "b"), Some("x"));
        let mut bare = json!({"apiVersion": "v1", "kind": "ConfigMap"});
        set_labels(&mut bare, &owner);
        assert_eq!(labels(&bare), owner);
    }
}
