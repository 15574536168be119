//! Output order: kustomize's "legacy" order (Namespaces, quotas, CRDs, RBAC, ConfigMaps and
//! Secrets, Services... first; webhook configurations last; then by group/version/kind,
//! namespace and name), or input order (`fifo`).

use std::cmp::Ordering;

use crate::kustomization::SortOptions;
use crate::resmap::ResMap;
use crate::yaml::emit::merge_sort_by;

const ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

const ORDER_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Validates `sortOptions` like kustomize's SortOrderTransformer.
pub(crate) fn validate(opts: &SortOptions) -> Result<(), String> {
    match opts.order.as_str() {
        "" | "legacy" => Ok(()),
        "fifo" => {
            if opts.order_first.is_some() || opts.order_last.is_some() {
                Err("the field 'sortOptions.legacySortOptions' is set but the selected sort order is 'fifo', not 'legacy'".into())
            } else {
                Ok(())
            }
        }
        other => Err(format!(
            "the field 'sortOptions.order' must be one of [legacy, fifo], not '{other}'"
        )),
    }
}

/// Sorts the objects for output.
pub(crate) fn sort(resmap: &mut ResMap, opts: Option<&SortOptions>) {
    let (first, last): (Vec<String>, Vec<String>) = match opts {
        Some(o) if o.order == "fifo" => return,
        Some(o) if o.order_first.is_some() || o.order_last.is_some() => (
            o.order_first.clone().unwrap_or_default(),
            o.order_last.clone().unwrap_or_default(),
        ),
        _ => (
            ORDER_FIRST.iter().map(|s| s.to_string()).collect(),
            ORDER_LAST.iter().map(|s| s.to_string()).collect(),
        ),
    };
    let rank = |kind: &str| -> i64 {
        if let Some(i) = first.iter().position(|k| k == kind) {
            return i as i64 - first.len() as i64;
        }
        if let Some(i) = last.iter().position(|k| k == kind) {
            return 1 + i as i64;
        }
        0
    };
    let mut keyed: Vec<(i64, String, String, usize)> = resmap
        .list
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let id = r.cur_id();
            (
                rank(&id.gvk.kind),
                id.gvk.sort_string(),
                id.sort_string(),
                i,
            )
        })
        .collect();
    merge_sort_by(&mut keyed, |a, b| {
        if a.1 != b.1 {
            if a.0 != b.0 {
                return a.0.cmp(&b.0);
            }
            return a.1.cmp(&b.1);
        }
        a.2.cmp(&b.2).then(Ordering::Equal)
    });
    let mut old: Vec<Option<crate::resource::Resource>> = resmap.list.drain(..).map(Some).collect();
    for (_, _, _, i) in keyed {
        if let Some(r) = old.get_mut(i).and_then(Option::take) {
            resmap.list.push(r);
        }
    }
}
