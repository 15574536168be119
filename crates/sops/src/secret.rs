//! Buffers for plaintext and key material: zeroized on drop, never printed.

use std::fmt;

use zeroize::{Zeroize, Zeroizing};

/// Decrypted document bytes. The buffer is wiped when dropped and neither `Debug` nor any other
/// formatting trait shows its content, so a plaintext cannot leak into a log line or an event.
pub struct Plaintext(Zeroizing<Vec<u8>>);

impl Plaintext {
    pub(crate) fn new(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }

    /// The decrypted bytes, in the same format as the encrypted input.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Hands the zeroizing buffer to the caller (who then owns the duty not to copy it around).
    #[must_use]
    pub fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.0
    }

    /// Number of plaintext bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the plaintext is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Plaintext(<redacted {} bytes>)", self.0.len())
    }
}

/// An append-only buffer for plaintext output. Growing a plain `Vec` leaves the old allocation
/// behind un-wiped; this one copies into a fresh zeroizing allocation and wipes the old one.
pub(crate) struct SecretBuf(Zeroizing<Vec<u8>>);

impl SecretBuf {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self(Zeroizing::new(Vec::with_capacity(capacity.max(64))))
    }

    fn reserve(&mut self, extra: usize) {
        let needed = self.0.len().saturating_add(extra);
        if needed > self.0.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(needed.max(self.0.capacity() * 2)));
            bigger.extend_from_slice(&self.0);
            // The old allocation is zeroized when `Zeroizing` drops it here.
            self.0 = bigger;
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        self.0.extend_from_slice(bytes);
    }

    pub(crate) fn push_str(&mut self, s: &str) {
        self.push(s.as_bytes());
    }

    pub(crate) fn push_byte(&mut self, b: u8) {
        self.push(&[b]);
    }

    pub(crate) fn push_char(&mut self, c: char) {
        let mut tmp = [0u8; 4];
        self.push(c.encode_utf8(&mut tmp).as_bytes());
        tmp.zeroize();
    }

    pub(crate) fn into_plaintext(self) -> Plaintext {
        Plaintext(self.0)
    }
}

/// A 32-byte AES key (the file's data key), wiped on drop.
pub(crate) struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(arr)))
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_bytes() {
        let p = Plaintext::new(Zeroizing::new(b"hunter2".to_vec()));
        assert!(!format!("{p:?}").contains("hunter2"));
        let k = DataKey::from_slice(&[7u8; 32]).expect("32 bytes");
        assert_eq!(format!("{k:?}"), "DataKey(<redacted>)");
    }

    #[test]
    fn secret_buf_keeps_content_across_growth() {
        let mut b = SecretBuf::with_capacity(1);
        for _ in 0..100 {
            b.push_str("abc");
        }
        assert_eq!(b.into_plaintext().len(), 300);
    }
}
