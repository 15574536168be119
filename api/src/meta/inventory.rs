//! The set of objects an applier manages (`status.inventory`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Objects applied by the last successful reconciliation; pruning removes
/// entries that leave this set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceInventory {
    /// One entry per object.
    pub entries: Vec<ResourceRef>,
}

/// One inventory entry.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef {
    /// `<namespace>_<name>_<group>_<kind>` (cli-utils object metadata format).
    pub id: String,
    /// API version of the object.
    pub v: String,
}
