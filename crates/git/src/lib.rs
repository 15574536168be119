//! `capstan-git`: Capstan's Git client, on libgit2 (`git2`, vendored, never the `git` CLI).
//!
//! **Job.** Fetch the revision a GitRepository asks for (source-controller), check cheaply
//! whether it moved, and commit and push changes (bootstrap, image automation), over https
//! (basic auth, bearer token, custom CA) and ssh (private key, `known_hosts`).
//!
//! **Entry points.**
//! - [`Checkout::from_ref`] turns `spec.ref` into what to fetch, with Flux's precedence.
//! - [`Auth::from_secret_data`] reads a `secretRef` Secret; [`Remote::new`] pairs it with the URL.
//! - [`Remote::resolve`] lists the remote's references and returns the target's revision
//!   without cloning (Flux's `OptimizedGitClones`); [`Remote::clone_into`] clones and checks
//!   out, returning the [`Commit`] with its Flux revision string (`main@sha1:<hex>`).
//! - [`open_or_init`], [`commit_all`] and [`Remote::push`] write history back.
//! - Every network call takes a [`Deadline`] (Flux's `spec.timeout`, cancellable).
//!
//! **Key decisions.**
//! - *Shallow clones*: one reference at depth 1, after an ls-remote that reports a missing
//!   reference before downloading anything. Only a lone `commit` fetches full history, because
//!   libgit2's protocol v1 cannot ask most servers for an arbitrary commit.
//! - *Strict host keys*: ssh host keys are checked by us against the Secret's `known_hosts`
//!   (plain, `[host]:port`, hashed, wildcards, `@revoked`); an unknown host or a changed key is
//!   an error naming the host and the key's SHA256 fingerprint. Nothing is ever accepted
//!   blindly, and `~/.ssh/known_hosts` is never consulted. A custom `ca.crt` is verified per
//!   operation in the certificate callback (see the `tls` module), not set process-wide.
//! - *Secrets never print*: passwords, tokens and keys live in [`SecretValue`] (no `Display`,
//!   redacting `Debug`); URLs in errors have their userinfo stripped; libgit2 messages are
//!   scrubbed of secret values before they become an error's source.
//! - *Deadlines*: libgit2 has no per-operation timeout, so network work runs on a worker thread
//!   the caller stops waiting for at the deadline (the `deadline` module explains the trade-off).
//!   The API is blocking; async callers use `spawn_blocking`.

#![deny(missing_docs)]

mod auth;
mod checkout;
mod commit;
mod deadline;
mod error;
mod known_hosts;
mod push;
mod remote;
mod revision;
mod scan;
mod tls;

pub use auth::{Auth, SecretValue, SshIdentity};
pub use checkout::Checkout;
pub use commit::{CommitOptions, commit_all, head_commit, open_or_init};
pub use deadline::Deadline;
pub use error::{Error, GitCause};
pub use known_hosts::{KnownHosts, fingerprint};
pub use push::{PushOptions, Pushed};
pub use remote::{Remote, redact_url};
pub use revision::{Commit, RemoteRevision, Signature, format_revision};
pub use scan::scan_known_hosts;
