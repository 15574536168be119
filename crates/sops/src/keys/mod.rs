//! The keyring built from a Flux decryption Secret, and recovery of a file's data key from it.

mod age;
mod pgp;
mod shamir;

use std::fmt;

use ::pgp::composed::SignedSecretKey;
use zeroize::Zeroizing;

use crate::error::{ErrorKind, KeyringError};
use crate::metadata::{KeyGroup, Metadata};
use crate::secret::DataKey;

/// Secret entries Flux reads for providers Capstan does not implement.
const UNSUPPORTED_ENTRIES: [&str; 4] = [
    "sops.vault-token",
    "sops.aws-kms",
    "sops.azure-kv",
    "sops.gcp-kms",
];

/// The private keys that may decrypt sops files: age X25519 identities and unprotected OpenPGP
/// private keys. Key material stays inside the age and rPGP types (which wipe it on drop); `Debug`
/// shows only the public side.
#[derive(Default)]
pub struct Keyring {
    age: Vec<::age::x25519::Identity>,
    pgp: Vec<SignedSecretKey>,
    unsupported: Vec<String>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("age_recipients", &self.age_recipients())
            .field("pgp_fingerprints", &self.pgp_fingerprints())
            .field("unsupported_entries", &self.unsupported)
            .finish()
    }
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(n).collect();
        out.push('…');
        out
    }
}

impl Keyring {
    /// An empty keyring; it decrypts nothing.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a keyring from a Flux decryption Secret's data, selecting entries as
    /// kustomize-controller does: `*.agekey` (age identities, one or more per entry, `#` comments
    /// allowed) and `*.asc` (armored OpenPGP private keys). `sops.vault-token`, `sops.aws-kms`,
    /// `sops.azure-kv` and `sops.gcp-kms` are remembered only to explain a later failure; other
    /// entries are ignored.
    ///
    /// # Errors
    ///
    /// An entry with a known suffix that holds no usable key; the error names the entry, never
    /// its content.
    pub fn from_secret_data<'a>(
        entries: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<Self, KeyringError> {
        let mut ring = Self::new();
        for (name, bytes) in entries {
            ring.add_entry(name, bytes)?;
        }
        Ok(ring)
    }

    /// Adds one Secret entry, selected by its name as in [`Keyring::from_secret_data`].
    ///
    /// # Errors
    ///
    /// As [`Keyring::from_secret_data`].
    pub fn add_entry(&mut self, name: &str, bytes: &[u8]) -> Result<(), KeyringError> {
        let invalid = |reason: String| KeyringError::InvalidEntry {
            entry: name.to_owned(),
            reason,
        };
        if name.ends_with(".agekey") {
            self.age
                .extend(age::parse_identities(bytes).map_err(invalid)?);
        } else if name.ends_with(".asc") {
            self.pgp.extend(pgp::parse_keys(bytes).map_err(invalid)?);
        } else if UNSUPPORTED_ENTRIES.contains(&name) {
            self.unsupported.push(name.to_owned());
        }
        Ok(())
    }

    /// Whether the keyring holds no usable key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.age.is_empty() && self.pgp.is_empty()
    }

    /// The age recipients (`age1…`) of the identities held: public, safe to log.
    #[must_use]
    pub fn age_recipients(&self) -> Vec<String> {
        self.age.iter().map(age::recipient).collect()
    }

    /// The fingerprints of the OpenPGP keys held: public, safe to log.
    #[must_use]
    pub fn pgp_fingerprints(&self) -> Vec<String> {
        self.pgp.iter().map(pgp::fingerprint).collect()
    }

    fn describe(&self) -> String {
        let mut parts: Vec<String> = self.age_recipients().iter().map(|r| short(r, 16)).collect();
        parts.extend(
            self.pgp_fingerprints()
                .iter()
                .map(|f| format!("fingerprint {}", short(f, 16))),
        );
        if parts.is_empty() {
            let mut s = "no age or PGP key".to_owned();
            if !self.unsupported.is_empty() {
                s.push_str(&format!(" (only {})", self.unsupported.join(", ")));
            }
            s
        } else {
            parts.join(", ")
        }
    }

    /// Opens one key group: the first age or PGP stanza that one of our keys decrypts (age first,
    /// as sops' default decryption order).
    fn open_group(&self, group: &KeyGroup) -> Option<(Zeroizing<Vec<u8>>, String)> {
        for stanza in &group.age {
            if let Some(k) = age::decrypt(&stanza.enc, &self.age) {
                return Some((k, short(&stanza.recipient, 16)));
            }
        }
        for stanza in &group.pgp {
            if let Some(k) = pgp::decrypt(&stanza.enc, &self.pgp) {
                return Some((k, format!("fingerprint {}", short(&stanza.fingerprint, 16))));
            }
        }
        None
    }
}

fn recipients_of(groups: &[KeyGroup]) -> String {
    let mut out = Vec::new();
    for g in groups {
        out.extend(g.age.iter().map(|s| short(&s.recipient, 16)));
        out.extend(
            g.pgp
                .iter()
                .map(|s| format!("fingerprint {}", short(&s.fingerprint, 16))),
        );
        out.extend(g.unsupported.iter().map(|p| (*p).to_owned()));
    }
    out.dedup();
    out.join(", ")
}

fn unsupported_of(groups: &[&KeyGroup]) -> String {
    let mut names: Vec<&str> = groups
        .iter()
        .flat_map(|g| g.unsupported.iter().copied())
        .collect();
    names.sort_unstable();
    names.dedup();
    names.join(", ")
}

/// Recovers the file's 32-byte data key: from the single key group, or by recombining the
/// Shamir shares of at least `shamir_threshold` groups.
pub(crate) fn recover_data_key(meta: &Metadata, ring: &Keyring) -> Result<DataKey, ErrorKind> {
    let groups = &meta.key_groups;
    let mut parts = Vec::new();
    let mut failed: Vec<&KeyGroup> = Vec::new();
    let mut via = String::new();
    for g in groups {
        match ring.open_group(g) {
            Some((part, who)) => {
                parts.push(part);
                via = who;
            }
            None => failed.push(g),
        }
    }
    let only_unsupported =
        |gs: &[&KeyGroup]| gs.iter().all(|g| g.age.is_empty() && g.pgp.is_empty());
    if groups.len() == 1 {
        let Some(part) = parts.pop() else {
            if only_unsupported(&failed) {
                return Err(ErrorKind::UnsupportedProvider {
                    providers: unsupported_of(&failed),
                });
            }
            return Err(ErrorKind::NoMatchingKey {
                recipients: recipients_of(groups),
                available: ring.describe(),
            });
        };
        return DataKey::from_slice(&part).ok_or(ErrorKind::DataKey {
            recipient: via,
            reason: "not 32 bytes",
        });
    }
    let threshold = if meta.shamir_threshold == 0 {
        groups.len()
    } else {
        meta.shamir_threshold
    };
    if parts.len() < threshold || parts.len() < 2 {
        if parts.is_empty() && only_unsupported(&failed) {
            return Err(ErrorKind::UnsupportedProvider {
                providers: unsupported_of(&failed),
            });
        }
        if parts.is_empty() {
            return Err(ErrorKind::NoMatchingKey {
                recipients: recipients_of(groups),
                available: ring.describe(),
            });
        }
        return Err(ErrorKind::ShamirThreshold {
            threshold,
            recovered: parts.len(),
            recipients: recipients_of(groups),
        });
    }
    let key = shamir::combine(&parts).map_err(|reason| ErrorKind::DataKey {
        recipient: "the Shamir shares".to_owned(),
        reason,
    })?;
    DataKey::from_slice(&key).ok_or(ErrorKind::DataKey {
        recipient: "the Shamir shares".to_owned(),
        reason: "not 32 bytes",
    })
}
