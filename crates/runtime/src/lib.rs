//! `capstan-runtime`: what every Capstan controller shares.
//!
//! A controller's `main` parses [`args::RuntimeArgs`] (Flux's flag names and defaults), calls
//! [`logging::init`], builds a client with [`client::connect`], then hands its reconcilers to
//! [`controller`], which runs them only while this replica holds the leader lease
//! ([`leader`]), serves `/metrics`, `/healthz` and `/readyz` ([`probes`]), and stops cleanly
//! on SIGTERM ([`shutdown`]).
//!
//! The reconcile harness ([`reconcile`]) owns Flux's ladder — finalizer, suspend, validation,
//! the kind's `apply`, conditions, exactly one status patch, one event, the duration metric —
//! so a kind module only supplies `apply` and `cleanup`.

pub mod args;
pub mod artifact;
pub mod client;
pub mod controller;
pub mod events;
pub mod leader;
pub mod logging;
pub mod metrics;
pub mod probes;
pub mod reconcile;
pub mod shutdown;
pub mod status;
