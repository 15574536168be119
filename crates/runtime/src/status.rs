//! Writing an object's status: exactly the fields the controller owns, only when they changed.
//!
//! Statuses are compared ignoring condition timestamps (a re-set identical condition keeps its
//! `lastTransitionTime`, so an unchanged reconcile writes nothing and wakes no watcher). Writes
//! are server-side applies of `/status` under the controller's field manager, so fields the
//! controller stops setting are removed and nobody else's fields are touched.

use std::fmt::Debug;

use capstan_api::ObjectWithConditions;
use capstan_api::conditions::equal_ignoring_time;
use kube::api::{Api, Patch, PatchParams};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Whether two statuses differ in anything but condition timestamps.
pub fn status_changed<S: Serialize + ObjectWithConditions>(old: Option<&S>, new: &S) -> bool {
    let Some(old) = old else { return true };
    if !equal_ignoring_time(old.conditions(), new.conditions()) {
        return true;
    }
    without_conditions(old) != without_conditions(new)
}

fn without_conditions<S: Serialize>(status: &S) -> Value {
    let mut value = serde_json::to_value(status).unwrap_or(Value::Null);
    if let Some(object) = value.as_object_mut() {
        object.remove("conditions");
    }
    value
}

/// Server-side-applies `status` to the object's status subresource as `field_manager`.
pub async fn apply_status<K, S>(
    api: &Api<K>,
    object: &K,
    status: &S,
    field_manager: &str,
) -> Result<(), kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
    S: Serialize,
{
    let body = serde_json::json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "metadata": { "name": object.name_any() },
        "status": status,
    });
    api.patch_status(
        &object.name_any(),
        &PatchParams::apply(field_manager).force(),
        &Patch::Apply(&body),
    )
    .await?;
    Ok(())
}
