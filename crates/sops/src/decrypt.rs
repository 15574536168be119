//! Decrypting one document: parse, read the metadata, recover the data key, decrypt and verify
//! the MAC, write the plaintext in the input's format.

use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind};
use crate::format::{Format, dotenv, json, yaml};
use crate::keys::{self, Keyring};
use crate::mac;
use crate::metadata::{self, Metadata};
use crate::secret::Plaintext;
use crate::tree::Node;
use crate::value::Scalar;

fn utf8<'a>(bytes: &'a [u8], format: &'static str) -> Result<&'a str, ErrorKind> {
    std::str::from_utf8(bytes).map_err(|e| ErrorKind::Parse {
        format,
        reason: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
    })
}

fn open(
    meta_node: Option<&Node>,
    keyring: &Keyring,
) -> Result<(Metadata, crate::secret::DataKey), ErrorKind> {
    let node = meta_node.ok_or(ErrorKind::MetadataNotFound)?;
    let meta = metadata::parse(node)?;
    let key = keys::recover_data_key(&meta, keyring)?;
    Ok((meta, key))
}

fn run(bytes: &[u8], format: Format, keyring: &Keyring) -> Result<Plaintext, ErrorKind> {
    match format {
        Format::Yaml => {
            let text = utf8(bytes, "YAML")?;
            let mut docs = yaml::parse(text)?;
            let first = docs.first().and_then(|d| d.sops.as_ref()).map(|(n, _)| n);
            let (meta, key) = open(first, keyring)?;
            let mut roots: Vec<Node> = docs
                .iter_mut()
                .map(|d| std::mem::replace(&mut d.root, Node::Map(Vec::new())))
                .collect();
            mac::decrypt_and_verify(&mut roots, &meta, &key)?;
            for (d, r) in docs.iter_mut().zip(roots) {
                d.root = r;
            }
            Ok(yaml::emit(text, &docs).into_plaintext())
        }
        Format::Json | Format::Binary => {
            let mut items = json::parse(bytes)?;
            let meta_node = json::take_metadata(&mut items);
            let (meta, key) = open(meta_node.as_ref(), keyring)?;
            let mut roots = vec![Node::Map(items)];
            mac::decrypt_and_verify(&mut roots, &meta, &key)?;
            let Some(Node::Map(items)) = roots.pop() else {
                return Err(ErrorKind::MetadataNotFound);
            };
            if format == Format::Json {
                return Ok(json::emit(&items, bytes.len()).into_plaintext());
            }
            // sops' binary store: the plaintext is the `data` string.
            match crate::tree::get(&items, "data") {
                Some(Node::Leaf(l)) => match &l.value {
                    Scalar::Str(s) | Scalar::Bytes(s) => {
                        Ok(Plaintext::new(Zeroizing::new(s.to_vec())))
                    }
                    _ => Err(ErrorKind::Parse {
                        format: "binary",
                        reason: "the data key does not hold a string".to_owned(),
                    }),
                },
                _ => Err(ErrorKind::Parse {
                    format: "binary",
                    reason: "no data key: not a sops binary document".to_owned(),
                }),
            }
        }
        Format::Dotenv => {
            let parsed = dotenv::parse(bytes)?;
            let meta_node =
                (!parsed.metadata.is_empty()).then(|| dotenv::unflatten(&parsed.metadata));
            let (meta, key) = open(meta_node.as_ref(), keyring)?;
            let mut roots = vec![Node::Map(parsed.items)];
            mac::decrypt_and_verify(&mut roots, &meta, &key)?;
            let Some(Node::Map(items)) = roots.pop() else {
                return Err(ErrorKind::MetadataNotFound);
            };
            Ok(dotenv::emit(&items, bytes.len()).into_plaintext())
        }
    }
}

/// Decrypts a sops document and returns the plaintext in the same format, after checking the
/// MAC. `file` is a display name used only in errors.
///
/// # Errors
///
/// An [`Error`] naming `file` and, where one applies, the path of the value that failed; see
/// [`ErrorKind`] for the cases. Errors never contain plaintext or key material.
pub fn decrypt(
    file: &str,
    bytes: &[u8],
    format: Format,
    keyring: &Keyring,
) -> Result<Plaintext, Error> {
    run(bytes, format, keyring).map_err(|kind| Error::new(file, kind))
}

/// Whether a document carries sops metadata, i.e. is sops-encrypted. Used to refuse applying
/// ciphertext when no decryption is configured. Malformed documents are reported as not
/// encrypted (they fail later, where they are parsed).
#[must_use]
pub fn is_encrypted(bytes: &[u8], format: Format) -> bool {
    match format {
        Format::Yaml => std::str::from_utf8(bytes).is_ok_and(yaml::has_metadata),
        Format::Json | Format::Binary => json::has_metadata(bytes),
        Format::Dotenv => dotenv::has_metadata(bytes),
    }
}
