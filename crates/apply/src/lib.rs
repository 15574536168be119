//! `capstan-apply`: a set of Kubernetes manifests → the cluster, the Flux way.
//!
//! The engine behind kustomize-controller, helm-controller and `capstan diff`/`build`, with no
//! knowledge of any CRD: objects are `serde_json::Value`s, identities are [`ObjMetadata`], and
//! the caller supplies the field manager, owner labels and policies in [`ApplyOptions`].
//!
//! Entry points, all on [`Applier`] (client + discovery cache + options):
//! - [`Applier::apply_all_staged`]: validate, then apply in stages; returns a [`ChangeSet`].
//! - [`Applier::diff`]: what an apply would do, as unified YAML diffs ([`ObjectDiff`]).
//! - [`Applier::prune`], [`Applier::delete_all`], [`Applier::wait_for_termination`].
//! - [`health`]: kstatus ([`health::compute`]), CEL checks ([`health::CustomHealthChecks`]) and
//!   a cancellable waiter ([`Applier::wait_for_set`]); [`expr::Expr`] for any boolean CEL rule.
//!
//! Key decisions:
//! - **Validate, then apply.** The whole set is dry-run (server-side apply, `dryRun=All`,
//!   forced) before anything is written; one refused object means nothing is applied, and the
//!   error names every refused object with the apiserver's field path. Objects whose CRD or
//!   Namespace is created by the same set are validated right after the first stage.
//! - **Staged order.** CRDs, Namespaces and ClusterRoles first (then wait for CRDs
//!   `Established`), `*Class` kinds next, then the rest, each stage in Flux's
//!   `ReconcileOrder` ([`order`]).
//! - **Skip what did not change.** An object whose dry-run equals its live state ([`drift`]) is
//!   not sent, so an unchanged set bumps no `resourceVersion`; manual `kubectl` edits are
//!   reverted by handing their fields to the controller's manager first ([`cleanup`]).
//! - **Owner-guarded prune.** Only live objects still carrying the owner labels are deleted,
//!   in reverse apply order, with background propagation.
//! - Secret values never appear in a message or a diff ([`mask_secret_data`]).

#![deny(missing_docs)]

mod apply;
mod changeset;
pub mod cleanup;
mod diff;
pub mod drift;
mod dry_run;
pub mod error;
pub mod expr;
pub mod health;
pub mod inventory;
mod normalize;
mod object;
pub mod order;
mod prune;
pub mod resources;

pub use apply::{Applier, ApplyOptions};
pub use changeset::{Action, ChangeSet, ChangeSetEntry};
pub use cleanup::{CleanupOptions, FieldManager, ManagedFieldsOperation};
pub use diff::{ObjectDiff, mask_secret_data, mask_secret_values, unified_diff};
pub use drift::DriftIgnoreRule;
pub use error::{
    ApplyError, DeleteError, DiffError, ExprError, InventoryError, ObjectError, Refusal,
    ResourceError, ValidationPoint, WaitError,
};
pub use object::ObjMetadata;
pub use prune::{DeleteFailure, DeleteOptions, DeleteReport};
pub use resources::{Resolved, ResourceCache};
