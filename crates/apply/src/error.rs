//! The errors of each entry point. Every message names the object (`Kind/namespace/name`) and
//! keeps the apiserver's text, which carries the field path; Secret values are masked before a
//! message is built (see [`crate::diff::mask_secret_values`]).

use std::fmt;
use std::time::Duration;

use crate::changeset::ChangeSet;
use crate::health::Unhealthy;
use crate::object::ObjMetadata;

/// A manifest that is not a usable Kubernetes object.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The document is not a mapping.
    #[error("a manifest is not a Kubernetes object (expected a mapping)")]
    NotAnObject,
    /// A required field is missing or empty.
    #[error("{object}: {field} is missing or empty")]
    MissingField {
        /// What could be read of the object (`Kind/name`).
        object: String,
        /// The missing field.
        field: &'static str,
    },
}

/// An inventory that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// An entry id is not `<namespace>_<name>_<group>_<kind>`.
    #[error("inventory entry '{id}' is not '<namespace>_<name>_<group>_<kind>'")]
    InvalidId {
        /// The offending id.
        id: String,
    },
}

/// Mapping an object to the API resource that serves it failed.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// No API serves the object's group, version and kind.
    #[error(
        "{object}: no API serves {group_version}, Kind={kind} (is its CustomResourceDefinition installed or part of the set?)"
    )]
    UnknownKind {
        /// The object.
        object: ObjMetadata,
        /// `group/version` (or `v1`).
        group_version: String,
        /// The kind.
        kind: String,
    },
    /// Discovery itself failed.
    #[error("discovering the API resources of {group_version}")]
    Discovery {
        /// `group/version` being discovered.
        group_version: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
}

/// One object the apiserver (or the engine) refused, with the reason and message; the message
/// carries the field path (`spec.ports[0].port: Invalid value: ...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The refused object.
    pub object: ObjMetadata,
    /// The apiserver's reason (`Invalid`, `NotFound`...), empty when none.
    pub reason: String,
    /// The message, Secret values masked.
    pub message: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reason.is_empty() {
            write!(f, "{}: {}", self.object, self.message)
        } else {
            write!(f, "{} ({}): {}", self.object, self.reason, self.message)
        }
    }
}

/// Joins refusals into one message, one object per `; `-separated item.
pub(crate) struct Refusals<'a>(pub(crate) &'a [Refusal]);

impl fmt::Display for Refusals<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, refusal) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{refusal}")?;
        }
        Ok(())
    }
}

/// When a validation failure happened, which says what was applied before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidationPoint {
    /// Before anything was applied: the cluster is unchanged.
    BeforeApply,
    /// After the CRDs, Namespaces and ClusterRoles of the set were applied, for objects that
    /// could only be dry-run once those existed; nothing else was applied.
    AfterDefinitions,
    /// After an earlier stage changed the cluster, a re-validation of a later stage failed.
    AfterStage,
}

/// Staged apply failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A manifest is not a usable object.
    #[error(transparent)]
    Object(#[from] ObjectError),
    /// A namespaced object has no namespace; the caller sets namespaces (`targetNamespace`).
    #[error("{object}: namespace not specified for a namespaced object")]
    MissingNamespace {
        /// The object.
        object: ObjMetadata,
    },
    /// The same object appears twice in the set.
    #[error("{object}: the object appears more than once in the set")]
    Duplicate {
        /// The object.
        object: ObjMetadata,
    },
    /// Discovery failed (not an unknown kind: those are refusals).
    #[error(transparent)]
    Discovery(#[from] ResourceError),
    /// The server-side dry-run refused objects; see [`ValidationPoint`] for what was applied.
    #[error("{} object(s) failed validation{}: {}", refused.len(), point_text(*point), Refusals(refused))]
    Validation {
        /// When the validation ran.
        point: ValidationPoint,
        /// Every refused object.
        refused: Vec<Refusal>,
        /// What was applied before the failure (empty before apply).
        applied: ChangeSet,
    },
    /// Reading live objects failed.
    #[error("{object}: reading the live object")]
    Get {
        /// The object.
        object: ObjMetadata,
        /// The client error.
        #[source]
        source: kube::Error,
    },
    /// Applying (or cleaning up, or recreating) objects failed after validation passed.
    #[error("{} object(s) failed to apply: {}", failures.len(), Refusals(failures))]
    Apply {
        /// Every failed object.
        failures: Vec<Refusal>,
        /// What was applied before and beside the failures.
        applied: ChangeSet,
    },
    /// A stage's objects did not become ready in time (CRDs not `Established`...).
    #[error("waiting for the {stage} to become ready")]
    StageNotReady {
        /// Which stage (`CustomResourceDefinitions, Namespaces and ClusterRoles`...).
        stage: &'static str,
        /// Why.
        #[source]
        source: WaitError,
        /// What was applied before the failure.
        applied: ChangeSet,
    },
}

fn point_text(point: ValidationPoint) -> &'static str {
    match point {
        ValidationPoint::BeforeApply => ", nothing was applied",
        ValidationPoint::AfterDefinitions => {
            " after the CustomResourceDefinitions, Namespaces and ClusterRoles were applied; nothing else was applied"
        }
        ValidationPoint::AfterStage => {
            " after an earlier stage changed the cluster; later stages were not applied"
        }
    }
}

impl ApplyError {
    /// What was applied before the failure, for the caller to merge into its inventory (so an
    /// object created by a failed run can still be pruned later); `None` when nothing was.
    pub fn applied(&self) -> Option<&ChangeSet> {
        match self {
            ApplyError::Validation { applied, .. }
            | ApplyError::Apply { applied, .. }
            | ApplyError::StageNotReady { applied, .. } => {
                (!applied.entries.is_empty()).then_some(applied)
            }
            ApplyError::Object(_)
            | ApplyError::MissingNamespace { .. }
            | ApplyError::Duplicate { .. }
            | ApplyError::Discovery(_)
            | ApplyError::Get { .. } => None,
        }
    }
}

/// Computing a diff failed.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// A manifest is not a usable object.
    #[error(transparent)]
    Object(#[from] ObjectError),
    /// A namespaced object has no namespace.
    #[error("{object}: namespace not specified for a namespaced object")]
    MissingNamespace {
        /// The object.
        object: ObjMetadata,
    },
    /// The same object appears twice in the set.
    #[error("{object}: the object appears more than once in the set")]
    Duplicate {
        /// The object.
        object: ObjMetadata,
    },
    /// Discovery failed or a kind is unknown.
    #[error(transparent)]
    Resource(#[from] ResourceError),
    /// The previous inventory cannot be read.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// The dry-run refused objects.
    #[error("{} object(s) failed the server-side dry-run: {}", refused.len(), Refusals(refused))]
    DryRun {
        /// Every refused object.
        refused: Vec<Refusal>,
    },
    /// Reading a live object failed.
    #[error("{object}: reading the live object")]
    Get {
        /// The object.
        object: ObjMetadata,
        /// The client error.
        #[source]
        source: kube::Error,
    },
}

/// Deleting one object failed; prune reports these per object (see
/// [`crate::prune::DeleteFailure`], which names the object) and goes on with the others.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    /// Discovery failed.
    #[error(transparent)]
    Resource(#[from] ResourceError),
    /// Reading the live object failed.
    #[error("reading the live object before deleting it")]
    Get(#[source] kube::Error),
    /// The delete request failed.
    #[error("delete failed")]
    Delete(#[source] kube::Error),
}

/// Waiting for objects (health, termination) ended without success.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// The timeout passed before every object was Current.
    #[error("timeout after {after:?} waiting for: {}", UnhealthyList(unhealthy))]
    Timeout {
        /// How long the wait lasted.
        after: Duration,
        /// The objects that were not Current, with their last status.
        unhealthy: Vec<Unhealthy>,
    },
    /// An object reached Failed and the wait failed fast.
    #[error("failed early due to stalled resources: {}", UnhealthyList(unhealthy))]
    Failed {
        /// The objects that failed (and the others still not Current).
        unhealthy: Vec<Unhealthy>,
    },
    /// The caller cancelled the wait (a new revision arrived).
    #[error(
        "health check cancelled; not yet healthy: {}",
        UnhealthyList(unhealthy)
    )]
    Cancelled {
        /// The objects that were not Current when cancelled.
        unhealthy: Vec<Unhealthy>,
    },
    /// Objects were still present when the termination wait timed out.
    #[error(
        "timeout after {after:?} waiting for termination of: {}",
        ObjectList(objects)
    )]
    TerminationTimeout {
        /// How long the wait lasted.
        after: Duration,
        /// The objects still present.
        objects: Vec<ObjMetadata>,
    },
    /// The termination wait was cancelled.
    #[error("termination wait cancelled; still present: {}", ObjectList(objects))]
    TerminationCancelled {
        /// The objects still present.
        objects: Vec<ObjMetadata>,
    },
}

impl WaitError {
    /// The objects that were not healthy (empty for termination waits).
    pub fn unhealthy(&self) -> &[Unhealthy] {
        match self {
            WaitError::Timeout { unhealthy, .. }
            | WaitError::Failed { unhealthy }
            | WaitError::Cancelled { unhealthy } => unhealthy,
            WaitError::TerminationTimeout { .. } | WaitError::TerminationCancelled { .. } => &[],
        }
    }

    /// Whether the wait ended because the caller cancelled it.
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self,
            WaitError::Cancelled { .. } | WaitError::TerminationCancelled { .. }
        )
    }
}

struct UnhealthyList<'a>(&'a [Unhealthy]);

impl fmt::Display for UnhealthyList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{item}")?;
        }
        f.write_str("]")
    }
}

struct ObjectList<'a>(&'a [ObjMetadata]);

impl fmt::Display for ObjectList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{item}")?;
        }
        f.write_str("]")
    }
}

/// A CEL expression could not be compiled or evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    /// The expression does not parse.
    #[error("invalid CEL expression '{expr}': {message}")]
    Parse {
        /// The expression text.
        expr: String,
        /// The parser's message.
        message: String,
    },
    /// Evaluation failed (a missing field, a type error...).
    #[error("evaluating the CEL expression '{expr}': {message}")]
    Eval {
        /// The expression text.
        expr: String,
        /// The interpreter's message.
        message: String,
    },
    /// The expression did not produce a boolean.
    #[error("the CEL expression '{expr}' evaluated to {got}, not a bool")]
    NotBool {
        /// The expression text.
        expr: String,
        /// What it produced.
        got: String,
    },
    /// A health check has no `current` expression.
    #[error("healthCheckExprs[{index}] ({api_version}): the expression 'current' is required")]
    MissingCurrent {
        /// Index in the list.
        index: usize,
        /// Its apiVersion.
        api_version: String,
    },
    /// Two health checks target the same group and kind.
    #[error("healthCheckExprs[{index}]: duplicate custom health check for {group_kind}")]
    Duplicate {
        /// Index of the second one.
        index: usize,
        /// `Kind.group`.
        group_kind: String,
    },
    /// A health check expression is invalid; names which one.
    #[error("healthCheckExprs[{index}].{field}")]
    InCheck {
        /// Index in the list.
        index: usize,
        /// `current`, `inProgress` or `failed`.
        field: &'static str,
        /// The expression error.
        #[source]
        source: Box<ExprError>,
    },
}
