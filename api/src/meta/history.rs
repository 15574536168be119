//! Reconciliation history kept in status (Flux's `apis/meta/history.go`).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How many snapshots Flux keeps in `status.history`.
pub const MAX_HISTORY: usize = 5;

/// One distinct build result and how often it was reconciled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileSnapshot {
    /// Digest of the built manifests.
    pub digest: String,
    /// First time this digest was reconciled.
    pub first_reconciled: Time,
    /// Last time this digest was reconciled.
    pub last_reconciled: Time,
    /// Duration of the last reconciliation (Go duration string).
    pub last_reconciled_duration: String,
    /// Ready reason of the last reconciliation.
    pub last_reconciled_status: String,
    /// Number of reconciliations of this digest.
    pub total_reconciliations: i64,
    /// Revision data such as `revision` and `originRevision`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
}
