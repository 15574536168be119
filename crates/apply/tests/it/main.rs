//! capstan-apply against the real kube-apiserver of the test harness: staged apply, drift,
//! force, validation, prune, health and diff, each test in a namespace of its own.

mod diff;
mod drift;
mod force;
mod health;
mod prune;
mod staged;
mod support;
mod validation;
