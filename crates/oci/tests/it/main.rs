//! `capstan-oci` against a real registry (Debian's `docker-registry` 2.8, started per test by
//! `capstan-e2e`): push, resolve, pull, auth, tag listing and the failure modes a controller
//! must report. A registry that cannot start fails the test; nothing is skipped.

mod auth;
mod failures;
mod manifests;
mod pull;
mod support;
mod tags;
mod tls;
