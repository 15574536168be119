//! age X25519 identities (`*.agekey` entries) and the armored age files sops stores data keys in.

use std::io::Read as _;
use std::str::FromStr as _;

use age::x25519::Identity;
use zeroize::Zeroizing;

/// Reads every identity of one Secret entry: one per line, `#` comments and blank lines allowed,
/// as `age-keygen` writes them and as Flux's `age.ParseIdentities` reads them.
pub(crate) fn parse_identities(bytes: &[u8]) -> Result<Vec<Identity>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_owned())?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // The error must not echo the line: it holds key material.
        let id = Identity::from_str(line).map_err(|_| {
            format!(
                "line {} is not an age X25519 identity (AGE-SECRET-KEY-1…)",
                n + 1
            )
        })?;
        out.push(id);
    }
    if out.is_empty() {
        return Err("no age identity found".to_owned());
    }
    Ok(out)
}

/// The public recipient (`age1…`) of an identity.
pub(crate) fn recipient(id: &Identity) -> String {
    id.to_public().to_string()
}

/// Opens an armored age file with any of the identities.
pub(crate) fn decrypt(enc: &str, identities: &[Identity]) -> Option<Zeroizing<Vec<u8>>> {
    if identities.is_empty() {
        return None;
    }
    let reader = age::armor::ArmoredReader::new(enc.as_bytes());
    let decryptor = age::Decryptor::new(reader).ok()?;
    let mut stream = decryptor
        .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
        .ok()?;
    let mut out = Zeroizing::new(Vec::with_capacity(64));
    // A data key is 32 bytes (33 for a Shamir share); refuse anything large.
    (&mut stream).take(4096).read_to_end(&mut out).ok()?;
    Some(out)
}
