//! Walking a tree as sops does: decrypting the values its rules say are encrypted (with the
//! value's path as AES-GCM additional data) while hashing the plaintext values, in document
//! order, into the SHA-512 that the stored MAC must match.

use sha2::{Digest as _, Sha512};
use zeroize::Zeroizing;

use crate::cipher::{self, CipherError};
use crate::error::ErrorKind;
use crate::metadata::{Metadata, Rules};
use crate::secret::DataKey;
use crate::tree::{Comment, Item, Leaf, Node};
use crate::value::Scalar;

/// The hash is seeded with these bytes when `mac_only_encrypted` is set, so the two kinds of MAC
/// never coincide (sops' `MACOnlyEncryptedInitialization`: SHA-256 of "sops").
const MAC_ONLY_ENCRYPTED_INIT: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

struct Walker<'a> {
    rules: &'a Rules,
    key: &'a DataKey,
    hash: Sha512,
    /// The sops path of the current node (list indices are not part of it).
    path: Vec<String>,
    /// Comments seen at each nesting level since the last value, as sops keeps them.
    comments: Vec<Vec<String>>,
}

/// The sops additional data for a path: `a:b:c:`.
fn additional_data(path: &[String]) -> Vec<u8> {
    let mut ad = path.join(":").into_bytes();
    ad.push(b':');
    ad
}

fn child(display: &str, key: &str) -> String {
    if display.is_empty() {
        key.to_owned()
    } else {
        format!("{display}.{key}")
    }
}

impl Walker<'_> {
    fn branch(&mut self, items: &mut [Item], display: &str) -> Result<(), ErrorKind> {
        self.comments.push(Vec::new());
        for item in items {
            match item {
                Item::Comment(c) => {
                    if let Some(level) = self.comments.last_mut() {
                        level.push(c.text.as_str().to_owned());
                    }
                    self.comment(c);
                }
                Item::Pair(key, value) => {
                    self.path.push(key.clone());
                    let shown = child(display, key);
                    let r = self.value(value, &shown);
                    self.path.pop();
                    r?;
                    if let Some(level) = self.comments.last_mut() {
                        level.clear();
                    }
                }
            }
        }
        self.comments.pop();
        Ok(())
    }

    fn list(&mut self, nodes: &mut [Node], display: &str) -> Result<(), ErrorKind> {
        self.comments.push(Vec::new());
        for (i, node) in nodes.iter_mut().enumerate() {
            if let Node::Comment(c) = node {
                if let Some(level) = self.comments.last_mut() {
                    level.push(c.text.as_str().to_owned());
                }
                self.comment(c);
            } else {
                self.value(node, &format!("{display}[{i}]"))?;
                if let Some(level) = self.comments.last_mut() {
                    level.clear();
                }
            }
        }
        self.comments.pop();
        Ok(())
    }

    fn value(&mut self, node: &mut Node, display: &str) -> Result<(), ErrorKind> {
        match node {
            Node::Map(items) => self.branch(items, display),
            Node::List(nodes) => self.list(nodes, display),
            Node::Leaf(leaf) => self.leaf(leaf, display),
            Node::Comment(c) => {
                self.comment(c);
                Ok(())
            }
        }
    }

    fn leaf(&mut self, leaf: &mut Leaf, display: &str) -> Result<(), ErrorKind> {
        if matches!(leaf.value, Scalar::Null) {
            // sops never hands a null to its callback: not decrypted, not hashed.
            return Ok(());
        }
        let encrypted = self.rules.should_encrypt(&self.path, &self.comments, false);
        if encrypted {
            let Scalar::Str(enc) = &leaf.value else {
                return Err(ErrorKind::NotEncrypted {
                    path: display.to_owned(),
                    found: leaf.value.type_name(),
                });
            };
            // sops leaves empty strings unencrypted.
            if !enc.is_empty() {
                let ad = additional_data(&self.path);
                let plain = cipher::decrypt(enc, self.key, &ad)
                    .and_then(cipher::Decrypted::into_scalar)
                    .map_err(|e| match e {
                        CipherError::Malformed(reason) => ErrorKind::MalformedValue {
                            path: display.to_owned(),
                            reason,
                        },
                        CipherError::Authentication => ErrorKind::ValueAuthentication {
                            path: display.to_owned(),
                        },
                    })?;
                leaf.value = plain;
                leaf.decrypted = true;
            }
        }
        if (!self.rules.mac_only_encrypted || encrypted)
            && let Some(bytes) = leaf.value.mac_bytes()
        {
            self.hash.update(&*bytes);
        }
        Ok(())
    }

    /// Comments are decrypted when the rules say so; one that does not decrypt is kept as it is
    /// (sops does the same, for files written by older versions). Comments are not in the MAC.
    fn comment(&mut self, c: &mut Comment) {
        if c.text.is_empty() || !self.rules.should_encrypt(&self.path, &self.comments, true) {
            return;
        }
        let mut candidates = vec![additional_data(&self.path)];
        candidates.extend(c.alt_paths.iter().map(|p| additional_data(p)));
        for ad in candidates {
            if let Ok(d) = cipher::decrypt(c.text.as_bytes(), self.key, &ad) {
                c.text = Zeroizing::new(String::from_utf8_lossy(&d.bytes).into_owned());
                c.decrypted = true;
                return;
            }
        }
    }
}

/// Decrypts every branch in place and checks the MAC.
pub(crate) fn decrypt_and_verify(
    branches: &mut [Node],
    meta: &Metadata,
    key: &DataKey,
) -> Result<(), ErrorKind> {
    let mut w = Walker {
        rules: &meta.rules,
        key,
        hash: Sha512::new(),
        path: Vec::new(),
        comments: Vec::new(),
    };
    if meta.rules.mac_only_encrypted {
        w.hash.update(MAC_ONLY_ENCRYPTED_INIT);
    }
    for branch in branches.iter_mut() {
        w.value(branch, "")?;
    }
    let digest = w.hash.finalize();
    let computed: String = digest.iter().map(|b| format!("{b:02X}")).collect();
    if meta.mac.is_empty() {
        return Err(ErrorKind::MacMismatch);
    }
    let stored =
        cipher::decrypt(meta.mac.as_bytes(), key, meta.last_modified.as_bytes()).map_err(|e| {
            match e {
                CipherError::Authentication => ErrorKind::MacAuthentication,
                CipherError::Malformed(reason) => ErrorKind::MalformedValue {
                    path: "sops.mac".to_owned(),
                    reason,
                },
            }
        })?;
    if stored.bytes.as_slice() != computed.as_bytes() {
        return Err(ErrorKind::MacMismatch);
    }
    Ok(())
}
