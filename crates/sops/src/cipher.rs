//! `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` values: parsing and AES-256-GCM decryption with the
//! value's sops path as additional data.

use std::sync::LazyLock;

use aes_gcm::aead::consts::{U12, U32};
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, Nonce, Tag};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use regex::Regex;
use zeroize::Zeroizing;

use crate::gotime;
use crate::secret::DataKey;
use crate::value::Scalar;

/// sops' own pattern (not anchored at the end, greedy groups).
static ENC_RE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]").ok());

/// Go's `base64.StdEncoding`: padded, lenient about trailing bits.
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Why a value did not decrypt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CipherError {
    /// The string is not a well-formed `ENC[...]` value.
    Malformed(&'static str),
    /// AES-GCM authentication failed: wrong key, altered ciphertext or different path.
    Authentication,
}

/// A decrypted value: the declared type and the plaintext bytes.
pub(crate) struct Decrypted {
    pub(crate) ty: String,
    pub(crate) bytes: Zeroizing<Vec<u8>>,
}

/// Decrypts one `ENC[...]` string.
pub(crate) fn decrypt(
    enc: &[u8],
    key: &DataKey,
    additional_data: &[u8],
) -> Result<Decrypted, CipherError> {
    let text = std::str::from_utf8(enc).map_err(|_| CipherError::Malformed("not valid UTF-8"))?;
    let re = ENC_RE
        .as_ref()
        .ok_or(CipherError::Malformed("internal pattern"))?;
    let caps = re.captures(text).ok_or(CipherError::Malformed(
        "not of the form ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]",
    ))?;
    let field = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    let mut data = Zeroizing::new(
        B64.decode(field(1))
            .map_err(|_| CipherError::Malformed("data is not valid base64"))?,
    );
    let iv = B64
        .decode(field(2))
        .map_err(|_| CipherError::Malformed("iv is not valid base64"))?;
    let tag = B64
        .decode(field(3))
        .map_err(|_| CipherError::Malformed("tag is not valid base64"))?;
    if tag.len() != 16 {
        return Err(CipherError::Malformed("tag is not 16 bytes"));
    }
    let tag = Tag::from_slice(&tag);
    let key = key.as_bytes().into();
    let ok = match iv.len() {
        32 => AesGcm::<Aes256, U32>::new(key).decrypt_in_place_detached(
            Nonce::<U32>::from_slice(&iv),
            additional_data,
            &mut data,
            tag,
        ),
        12 => AesGcm::<Aes256, U12>::new(key).decrypt_in_place_detached(
            Nonce::<U12>::from_slice(&iv),
            additional_data,
            &mut data,
            tag,
        ),
        _ => return Err(CipherError::Malformed("iv is neither 32 nor 12 bytes")),
    };
    ok.map_err(|_| CipherError::Authentication)?;
    Ok(Decrypted {
        ty: field(4).to_owned(),
        bytes: data,
    })
}

impl Decrypted {
    /// Converts the plaintext to a value of its declared type, as sops' cipher does.
    pub(crate) fn into_scalar(self) -> Result<Scalar, CipherError> {
        let text = || {
            std::str::from_utf8(&self.bytes)
                .map_err(|_| CipherError::Malformed("value is not UTF-8"))
        };
        Ok(match self.ty.as_str() {
            "str" | "comment" => Scalar::Str(self.bytes.clone()),
            "bytes" => Scalar::Bytes(self.bytes.clone()),
            "int" | "int64" => Scalar::Int(
                parse_go_atoi(text()?)
                    .ok_or(CipherError::Malformed("int value is not an integer"))?,
            ),
            "float" => Scalar::Float(
                parse_go_float(text()?)
                    .ok_or(CipherError::Malformed("float value is not a number"))?,
            ),
            "bool" => Scalar::Bool(
                parse_go_bool(text()?)
                    .ok_or(CipherError::Malformed("bool value is not a boolean"))?,
            ),
            "time" => Scalar::Time(
                gotime::parse_rfc3339(text()?)
                    .ok_or(CipherError::Malformed("time value is not RFC 3339"))?,
            ),
            _ => return Err(CipherError::Malformed("unknown type")),
        })
    }
}

fn parse_go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.strip_prefix('+').unwrap_or(s).parse().ok()
}

fn parse_go_float(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "inf" | "+inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        _ => s.parse::<f64>().ok().filter(|f| f.is_finite()),
    }
}

fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::aead::Aead;

    fn encrypt(key: &[u8; 32], iv: &[u8; 32], plain: &[u8], ad: &[u8], ty: &str) -> String {
        let c = AesGcm::<Aes256, U32>::new(key.into());
        let out = c
            .encrypt(
                Nonce::<U32>::from_slice(iv),
                aes_gcm::aead::Payload {
                    msg: plain,
                    aad: ad,
                },
            )
            .expect("encrypt");
        let (data, tag) = out.split_at(out.len() - 16);
        format!(
            "ENC[AES256_GCM,data:{},iv:{},tag:{},type:{ty}]",
            B64.encode(data),
            B64.encode(iv),
            B64.encode(tag)
        )
    }

    #[test]
    fn round_trips_and_checks_the_path() {
        let key = [3u8; 32];
        let enc = encrypt(&key, &[9u8; 32], b"42", b"a:b:", "int");
        let dk = DataKey::from_slice(&key).expect("key");
        let d = decrypt(enc.as_bytes(), &dk, b"a:b:").expect("decrypts");
        assert!(matches!(d.into_scalar(), Ok(Scalar::Int(42))));
        assert_eq!(
            decrypt(enc.as_bytes(), &dk, b"a:c:").err(),
            Some(CipherError::Authentication)
        );
        assert!(matches!(
            decrypt(&enc.as_bytes()[..40], &dk, b"a:b:"),
            Err(CipherError::Malformed(_))
        ));
    }
}
