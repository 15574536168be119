//! kustomize-controller against the real apiserver (with the fake node), a real git server,
//! and source-controller, all as processes: GitOps end to end for one controller pair.

mod apply;
mod bad_input;
mod depends_on;
mod health;
mod sops;
mod support;
mod tenancy;
