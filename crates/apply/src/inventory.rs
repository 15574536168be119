//! `status.inventory`: building it from a change set, reading it, and the stale objects that
//! left the set (what prune deletes).

use std::collections::BTreeSet;

use capstan_api::meta::{ResourceInventory, ResourceRef};

use crate::changeset::{Action, ChangeSet};
use crate::error::InventoryError;
use crate::object::ObjMetadata;
use crate::order;

/// The inventory of a change set: every entry but deleted ones, in change-set order, each id
/// once (Flux's `AddChangeSet`).
pub fn from_change_set(change_set: &ChangeSet) -> ResourceInventory {
    let mut seen = BTreeSet::new();
    let entries = change_set
        .entries
        .iter()
        .filter(|e| e.action != Action::Deleted)
        .filter(|e| seen.insert(e.object.inventory_id()))
        .map(|e| e.object.to_resource_ref())
        .collect();
    ResourceInventory { entries }
}

/// The objects of an inventory, in entry order.
pub fn objects(inventory: &ResourceInventory) -> Result<Vec<ObjMetadata>, InventoryError> {
    inventory
        .entries
        .iter()
        .map(ObjMetadata::from_resource_ref)
        .collect()
}

/// Objects of `old` that are not in `new`, compared by id (group, kind, namespace, name; the
/// version is not part of identity, as in Flux's `inventory.Diff`), each with the version
/// recorded in `old`, sorted in apply order (prune deletes them in reverse).
pub fn stale_objects(
    old: &ResourceInventory,
    new: &ResourceInventory,
) -> Result<Vec<ObjMetadata>, InventoryError> {
    let keep: BTreeSet<&str> = new.entries.iter().map(|e| e.id.as_str()).collect();
    let mut seen = BTreeSet::new();
    let mut stale = Vec::new();
    for entry in &old.entries {
        if keep.contains(entry.id.as_str()) || !seen.insert(entry.id.as_str()) {
            continue;
        }
        stale.push(ObjMetadata::from_resource_ref(entry)?);
    }
    stale.sort_by(order::compare);
    Ok(stale)
}

/// Adds objects to an inventory unless already present: the caller merges objects whose
/// deletion failed back, so the next reconcile retries them.
pub fn merge_objects(inventory: &mut ResourceInventory, objects: &[ObjMetadata]) {
    let mut present: BTreeSet<String> = inventory.entries.iter().map(|e| e.id.clone()).collect();
    for object in objects {
        if present.insert(object.inventory_id()) {
            inventory.entries.push(ResourceRef {
                id: object.inventory_id(),
                v: object.version.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn obj(kind: &str, ns: &str, name: &str) -> ObjMetadata {
        let group = match kind {
            "Deployment" => "apps",
            _ => "",
        };
        ObjMetadata::new(group, "v1", kind, ns, name)
    }

    #[test]
    fn change_set_inventory_keeps_skipped_and_unchanged_but_not_deleted() {
        let mut set = ChangeSet::default();
        set.push(obj("ConfigMap", "a", "c1"), Action::Unchanged);
        set.push(obj("ConfigMap", "a", "c2"), Action::Skipped);
        set.push(obj("ConfigMap", "a", "c3"), Action::Deleted);
        set.push(obj("Deployment", "a", "d"), Action::Created);
        let inventory = from_change_set(&set);
        let ids: Vec<_> = inventory.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            ["a_c1__ConfigMap", "a_c2__ConfigMap", "a_d_apps_Deployment"]
        );
        assert_eq!(objects(&inventory).unwrap()[2], obj("Deployment", "a", "d"));
    }

    #[test]
    fn stale_objects_ignore_version_and_keep_the_old_one() {
        let old = ResourceInventory {
            entries: vec![
                ResourceRef {
                    id: "a_d_apps_Deployment".into(),
                    v: "v1beta1".into(),
                },
                ResourceRef {
                    id: "a_c__ConfigMap".into(),
                    v: "v1".into(),
                },
            ],
        };
        let new = ResourceInventory {
            entries: vec![ResourceRef {
                id: "a_d_apps_Deployment".into(),
                v: "v1".into(),
            }],
        };
        let stale = stale_objects(&old, &new).unwrap();
        assert_eq!(stale, vec![obj("ConfigMap", "a", "c")]);
    }

    #[test]
    fn stale_objects_are_sorted_in_apply_order() {
        let old = from_change_set(&ChangeSet {
            entries: vec![
                crate::changeset::ChangeSetEntry {
                    object: obj("Deployment", "a", "d"),
                    action: Action::Created,
                },
                crate::changeset::ChangeSetEntry {
                    object: obj("Namespace", "", "a"),
                    action: Action::Created,
                },
            ],
        });
        let stale = stale_objects(&old, &ResourceInventory::default()).unwrap();
        assert_eq!(stale[0].kind, "Namespace");
    }

    #[test]
    fn merge_adds_only_missing_objects() {
        let mut inventory = ResourceInventory::default();
        merge_objects(&mut inventory, &[obj("ConfigMap", "a", "c")]);
        merge_objects(
            &mut inventory,
            &[obj("ConfigMap", "a", "c"), obj("Secret", "a", "s")],
        );
        assert_eq!(inventory.entries.len(), 2);
    }

    fn arb_object() -> impl Strategy<Value = ObjMetadata> {
        (
            prop::sample::select(vec!["ConfigMap", "Secret", "Deployment", "Namespace"]),
            prop::sample::select(vec!["", "a", "b"]),
            "[a-z]{1,3}",
        )
            .prop_map(|(kind, ns, name)| {
                let ns = if kind == "Namespace" { "" } else { ns };
                obj(kind, ns, &name)
            })
    }

    fn inventory_of(objects: &[ObjMetadata]) -> ResourceInventory {
        let mut inventory = ResourceInventory::default();
        merge_objects(&mut inventory, objects);
        inventory
    }

    proptest! {
        #[test]
        fn inventory_diff_equals_set_difference(
            old in prop::collection::vec(arb_object(), 0..20),
            new in prop::collection::vec(arb_object(), 0..20),
        ) {
            let stale = stale_objects(&inventory_of(&old), &inventory_of(&new)).unwrap();
            let got: BTreeSet<String> = stale.iter().map(ObjMetadata::inventory_id).collect();
            let old_ids: BTreeSet<String> = old.iter().map(ObjMetadata::inventory_id).collect();
            let new_ids: BTreeSet<String> = new.iter().map(ObjMetadata::inventory_id).collect();
            let expected: BTreeSet<String> = old_ids.difference(&new_ids).cloned().collect();
            prop_assert_eq!(got, expected);
            // Each stale object appears once.
            prop_assert_eq!(stale.len(), old_ids.difference(&new_ids).count());
        }
    }
}
