//! What an apply or a prune did, object by object, in Flux's words.

use std::fmt;

use capstan_api::meta::ResourceInventory;

use crate::object::ObjMetadata;

/// The action taken on one object; `Display` gives Flux's lower-case word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// The object did not exist and was created.
    Created,
    /// The object existed and drifted; it was applied.
    Configured,
    /// The dry-run result equals the live object; nothing was sent.
    Unchanged,
    /// The object was deleted (or was already gone).
    Deleted,
    /// The object was left alone (`reconcile: disabled`, `ssa: Ignore`, `IfNotPresent` and
    /// present, `prune: disabled`, owner labels changed...).
    Skipped,
}

impl Action {
    /// The word Flux prints (`created`, `configured`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Configured => "configured",
            Action::Unchanged => "unchanged",
            Action::Deleted => "deleted",
            Action::Skipped => "skipped",
        }
    }

    /// Whether the cluster changed (created, configured, deleted).
    pub fn is_change(self) -> bool {
        matches!(self, Action::Created | Action::Configured | Action::Deleted)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One object and what was done to it; `Display` is Flux's line `Kind/ns/name action`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSetEntry {
    /// The object.
    pub object: ObjMetadata,
    /// What was done.
    pub action: Action,
}

impl fmt::Display for ChangeSetEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.object, self.action)
    }
}

/// The result of applying or deleting a set, in apply order.
///
/// `Display` prints one line per entry, as Flux's change-set event does; use
/// [`ChangeSet::changes`] to print only what changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// One entry per object.
    pub entries: Vec<ChangeSetEntry>,
}

impl ChangeSet {
    /// Appends an entry.
    pub fn push(&mut self, object: ObjMetadata, action: Action) {
        self.entries.push(ChangeSetEntry { object, action });
    }

    /// Appends all entries of another change set.
    pub fn extend(&mut self, other: ChangeSet) {
        self.entries.extend(other.entries);
    }

    /// Whether anything in the cluster changed.
    pub fn has_changes(&self) -> bool {
        self.entries.iter().any(|e| e.action.is_change())
    }

    /// Only the entries that changed the cluster, for the change-set event (Flux emits one only
    /// when something changed).
    pub fn changes(&self) -> ChangeSet {
        ChangeSet {
            entries: self
                .entries
                .iter()
                .filter(|e| e.action.is_change())
                .cloned()
                .collect(),
        }
    }

    /// The action taken on an object, if it is in the set (matched by inventory id).
    pub fn action_of(&self, object: &ObjMetadata) -> Option<Action> {
        let id = object.inventory_id();
        self.entries
            .iter()
            .find(|e| e.object.inventory_id() == id)
            .map(|e| e.action)
    }

    /// The inventory of this change set: every entry, skipped and unchanged included, as Flux's
    /// `AddChangeSet` does (deleted entries excluded).
    pub fn to_inventory(&self) -> ResourceInventory {
        crate::inventory::from_change_set(self)
    }
}

impl fmt::Display for ChangeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, entry) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{entry}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_set_prints_flux_lines() {
        let mut set = ChangeSet::default();
        set.push(
            ObjMetadata::new("", "v1", "Namespace", "", "apps"),
            Action::Created,
        );
        set.push(
            ObjMetadata::new("apps", "v1", "Deployment", "apps", "web"),
            Action::Configured,
        );
        set.push(
            ObjMetadata::new("", "v1", "ConfigMap", "apps", "conf"),
            Action::Unchanged,
        );
        assert_eq!(
            set.to_string(),
            "Namespace/apps created\nDeployment/apps/web configured\nConfigMap/apps/conf unchanged"
        );
        assert!(set.has_changes());
        assert_eq!(
            set.changes().to_string(),
            "Namespace/apps created\nDeployment/apps/web configured"
        );
    }

    #[test]
    fn unchanged_and_skipped_are_not_changes() {
        let mut set = ChangeSet::default();
        set.push(
            ObjMetadata::new("", "v1", "ConfigMap", "a", "b"),
            Action::Unchanged,
        );
        set.push(
            ObjMetadata::new("", "v1", "ConfigMap", "a", "c"),
            Action::Skipped,
        );
        assert!(!set.has_changes());
        assert_eq!(set.changes().to_string(), "");
    }
}
