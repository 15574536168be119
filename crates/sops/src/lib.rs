//! SOPS decryption for Capstan, wire-compatible with Flux's kustomize-controller.
//!
//! **Job.** Decrypt documents encrypted by [sops](https://github.com/getsops/sops) — YAML
//! (including multi-document streams), JSON, dotenv and binary — with the age and OpenPGP keys
//! of a Flux decryption Secret, after verifying the file's MAC exactly as `sops -d` does.
//!
//! **Entry points.**
//! - [`Keyring::from_secret_data`] reads a Secret's `*.agekey` and `*.asc` entries.
//! - [`is_encrypted`] tells whether a document carries sops metadata (to refuse ciphertext when
//!   no decryption is configured).
//! - [`decrypt`] returns the plaintext, in the input's [`Format`] ([`Format::from_path`] picks it
//!   by extension). YAML output is `sops -d` output byte for byte for files sops wrote.
//!
//! **Key decision: plaintext never leaves zeroizing buffers.** Decrypted values, data keys and
//! the output live in buffers wiped on drop ([`Plaintext`]), none of which has a `Debug` or
//! `Display` that shows content. Errors name the file, the value's path and what failed — never
//! a value or key. The crate is pure: no I/O, no global state, no clock, no subprocess.
//!
//! Supported: age X25519 identities, unprotected OpenPGP keys (RSA, ECC), mixed recipients,
//! Shamir key groups, every `encrypted_*`/`unencrypted_*` rule and `mac_only_encrypted`.
//! Cloud KMS and Vault recipients are reported as unsupported providers.

#![warn(missing_docs)]

mod cipher;
mod decrypt;
mod error;
mod format;
mod gotime;
mod keys;
mod mac;
mod metadata;
mod secret;
mod tree;
mod value;

pub use decrypt::{decrypt, is_encrypted};
pub use error::{Error, ErrorKind, KeyringError};
pub use format::Format;
pub use keys::Keyring;
pub use secret::Plaintext;
