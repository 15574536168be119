//! OpenPGP private keys (`*.asc` entries) and the armored messages sops stores data keys in.

use pgp::composed::{Message, PublicOrSecret, SignedSecretKey};
use pgp::types::{KeyDetails as _, Password};
use zeroize::Zeroizing;

/// Reads the secret keys of one armored entry (several keys may be concatenated). Public keys in
/// the entry are ignored; passphrase-protected keys are refused, as Flux supports only
/// unprotected ones.
pub(crate) fn parse_keys(bytes: &[u8]) -> Result<Vec<SignedSecretKey>, String> {
    let (iter, _) = PublicOrSecret::from_reader_many(bytes)
        .map_err(|_| "not an OpenPGP key (expected an ASCII-armored private key)".to_owned())?;
    let mut out = Vec::new();
    for item in iter {
        match item {
            Ok(PublicOrSecret::Secret(key)) => {
                let protected = key.primary_key.secret_params().is_encrypted()
                    && key
                        .secret_subkeys
                        .iter()
                        .all(|s| s.key.secret_params().is_encrypted());
                if protected {
                    return Err(format!(
                        "the private key {} is protected by a passphrase; export it without one",
                        fingerprint(&key)
                    ));
                }
                out.push(key);
            }
            Ok(PublicOrSecret::Public(_)) => {}
            Err(_) => return Err("malformed OpenPGP key data".to_owned()),
        }
    }
    if out.is_empty() {
        return Err("no OpenPGP private key found".to_owned());
    }
    Ok(out)
}

/// The primary key's fingerprint in upper-case hex, as sops writes it in `fp`.
pub(crate) fn fingerprint(key: &SignedSecretKey) -> String {
    format!("{:X}", key.fingerprint())
}

/// Opens an armored PGP message with any of the keys.
pub(crate) fn decrypt(enc: &str, keys: &[SignedSecretKey]) -> Option<Zeroizing<Vec<u8>>> {
    if keys.is_empty() {
        return None;
    }
    let (msg, _) = Message::from_armor(enc.as_bytes()).ok()?;
    let empty = Password::empty();
    let passwords = vec![&empty; keys.len()];
    let mut msg = msg
        .decrypt_with_keys(passwords, keys.iter().collect())
        .ok()?;
    if msg.is_compressed() {
        msg = msg.decompress().ok()?;
    }
    let data = Zeroizing::new(msg.as_data_vec().ok()?);
    (data.len() <= 4096).then_some(data)
}
