//! Sprig's certificate, key and password generators. Keys come from the engine's entropy, so a
//! seeded entropy source makes them reproducible; PEM encodings follow Go's (`RSA PRIVATE KEY`
//! is PKCS#1, `EC PRIVATE KEY` is SEC1, ed25519 is PKCS#8).

use std::net::IpAddr;
use std::rc::Rc;

use base64::Engine as _;

use super::crypto::random_bytes;
use super::{FnError, FnResult, Registry, Ty, arg, arg_int, arg_str, err};
use crate::env::Entropy;
use crate::template::exec::Engine;
use crate::template::value::{Object, Value};

/// rand_core 0.6 over the engine's entropy.
struct EntropyRng<'a>(&'a dyn Entropy);

impl rand_core::RngCore for EntropyRng<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.0.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.0.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for EntropyRng<'_> {}

enum PrivKey {
    Rsa(Box<rsa::RsaPrivateKey>),
    Ec(p256::SecretKey),
    Ed(ed25519_dalek::SigningKey),
}

fn m<E: std::fmt::Display>(e: E) -> FnError {
    FnError::Msg(e.to_string())
}

impl PrivKey {
    fn generate_rsa(e: &Engine, bits: usize) -> Result<PrivKey, FnError> {
        let mut rng = EntropyRng(&*e.env.entropy);
        rsa::RsaPrivateKey::new(&mut rng, bits)
            .map(|k| PrivKey::Rsa(Box::new(k)))
            .map_err(m)
    }

    /// Go's `pemBlockForKey`.
    fn pem(&self) -> Result<String, FnError> {
        use p256::pkcs8::EncodePrivateKey as _;
        use rsa::pkcs1::EncodeRsaPrivateKey as _;
        Ok(match self {
            PrivKey::Rsa(k) => k
                .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
                .map_err(m)?
                .to_string(),
            PrivKey::Ec(k) => k
                .to_sec1_pem(p256::pkcs8::LineEnding::LF)
                .map_err(m)?
                .to_string(),
            PrivKey::Ed(k) => k
                .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
                .map_err(m)?
                .to_string(),
        })
    }

    fn pkcs8_pem(&self) -> Result<String, FnError> {
        use p256::pkcs8::EncodePrivateKey as _;
        Ok(match self {
            PrivKey::Rsa(k) => k
                .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
                .map_err(m)?
                .to_string(),
            PrivKey::Ec(k) => k
                .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
                .map_err(m)?
                .to_string(),
            PrivKey::Ed(k) => k
                .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
                .map_err(m)?
                .to_string(),
        })
    }

    fn key_pair(&self) -> Result<rcgen::KeyPair, FnError> {
        let alg: &'static rcgen::SignatureAlgorithm = match self {
            PrivKey::Rsa(_) => &rcgen::PKCS_RSA_SHA256,
            PrivKey::Ec(_) => &rcgen::PKCS_ECDSA_P256_SHA256,
            PrivKey::Ed(_) => &rcgen::PKCS_ED25519,
        };
        rcgen::KeyPair::from_pem_and_sign_algo(&self.pkcs8_pem()?, alg).map_err(m)
    }

    /// Parses the PEM a `*WithKey` function receives.
    fn parse(pem: &str) -> Result<PrivKey, FnError> {
        use p256::pkcs8::DecodePrivateKey as _;
        use rsa::pkcs1::DecodeRsaPrivateKey as _;
        let t = pem.trim();
        if t.contains("BEGIN RSA PRIVATE KEY") {
            return rsa::RsaPrivateKey::from_pkcs1_pem(t)
                .map(|k| PrivKey::Rsa(Box::new(k)))
                .map_err(m);
        }
        if t.contains("BEGIN EC PRIVATE KEY") {
            return p256::SecretKey::from_sec1_pem(t)
                .map(PrivKey::Ec)
                .map_err(m);
        }
        if t.contains("BEGIN PRIVATE KEY") {
            if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_pem(t) {
                return Ok(PrivKey::Rsa(Box::new(k)));
            }
            if let Ok(k) = p256::SecretKey::from_pkcs8_pem(t) {
                return Ok(PrivKey::Ec(k));
            }
            if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_pem(t) {
                return Ok(PrivKey::Ed(k));
            }
        }
        err("error decoding key: unsupported key type")
    }
}

/// Sprig's `certificate` struct: `.Cert` and `.Key`.
struct Certificate {
    cert: String,
    key: String,
}

impl Object for Certificate {
    fn type_name(&self) -> String {
        "sprig.certificate".into()
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::from(self.cert.as_str())),
            "Key" => Some(Value::from(self.key.as_str())),
            _ => None,
        }
    }
    fn display(&self) -> String {
        format!("{{{} {}}}", self.cert, self.key)
    }
    fn to_data(&self) -> Value {
        let mut mm = crate::template::value::Map::new();
        mm.insert("Cert".into(), Value::from(self.cert.as_str()));
        mm.insert("Key".into(), Value::from(self.key.as_str()));
        Value::map(mm)
    }
}

fn cert_value(cert: String, key: String) -> Value {
    Value::Object(Rc::new(Certificate { cert, key }))
}

fn cert_fields(v: &Value) -> Result<(String, String), FnError> {
    let (Some(Value::Str(c)), Some(Value::Str(k))) = (
        match v {
            Value::Object(o) => o.field("Cert"),
            _ => None,
        },
        match v {
            Value::Object(o) => o.field("Key"),
            _ => None,
        },
    ) else {
        return err(format!(
            "wrong type for value; expected sprig.certificate; got {}",
            v.type_name()
        ));
    };
    Ok((c.to_string(), k.to_string()))
}

fn base_params(
    e: &Engine,
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
) -> Result<rcgen::CertificateParams, FnError> {
    let mut p = rcgen::CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    let now_ns = e.env.clock.now_unix_nanos();
    let now = i64::try_from(now_ns.div_euclid(1_000_000_000)).unwrap_or(0);
    p.not_before = time::OffsetDateTime::from_unix_timestamp(now).map_err(m)?;
    p.not_after =
        time::OffsetDateTime::from_unix_timestamp(now.saturating_add(days.saturating_mul(86_400)))
            .map_err(m)?;
    let mut serial = random_bytes(e, 16);
    if let Some(b) = serial.first_mut() {
        *b &= 0x7f;
    }
    p.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    p.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    if let Value::List(l) = ips {
        for ip in l.iter() {
            let s = super::convert::strval(ip);
            let addr: IpAddr = s
                .parse()
                .map_err(|_| FnError::Msg(format!("error parsing ip: {s}")))?;
            p.subject_alt_names.push(rcgen::SanType::IpAddress(addr));
        }
    }
    if let Value::List(l) = dns {
        for d in l.iter() {
            let s = super::convert::strval(d);
            p.subject_alt_names.push(rcgen::SanType::DnsName(
                s.as_str().try_into().map_err(|e: rcgen::Error| m(e))?,
            ));
        }
    }
    Ok(p)
}

fn gen_ca(e: &Engine, cn: &str, days: i64, key: Option<PrivKey>) -> FnResult {
    let key = match key {
        Some(k) => k,
        None => PrivKey::generate_rsa(e, 2048)?,
    };
    let mut p = base_params(e, cn, &Value::Nil, &Value::Nil, days)?;
    p.key_usages.push(rcgen::KeyUsagePurpose::KeyCertSign);
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let kp = key.key_pair()?;
    let cert = p.self_signed(&kp).map_err(m)?;
    Ok(cert_value(cert.pem(), key.pem()?))
}

fn gen_self_signed(e: &Engine, a: &[Value], key: Option<PrivKey>) -> FnResult {
    let key = match key {
        Some(k) => k,
        None => PrivKey::generate_rsa(e, 2048)?,
    };
    let p = base_params(e, &arg_str(a, 0), &arg(a, 1), &arg(a, 2), arg_int(a, 3))?;
    let kp = key.key_pair()?;
    let cert = p.self_signed(&kp).map_err(m)?;
    Ok(cert_value(cert.pem(), key.pem()?))
}

fn gen_signed(e: &Engine, a: &[Value], key: Option<PrivKey>) -> FnResult {
    let (ca_cert, ca_key) = cert_fields(&arg(a, 4))?;
    let key = match key {
        Some(k) => k,
        None => PrivKey::generate_rsa(e, 2048)?,
    };
    let p = base_params(e, &arg_str(a, 0), &arg(a, 1), &arg(a, 2), arg_int(a, 3))?;
    let ca_kp = PrivKey::parse(&ca_key)?.key_pair()?;
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca_cert, ca_kp).map_err(m)?;
    let kp = key.key_pair()?;
    let cert = p.signed_by(&kp, &issuer).map_err(m)?;
    Ok(cert_value(cert.pem(), key.pem()?))
}

fn gen_private_key(e: &Engine, typ: &str) -> Result<String, FnError> {
    let mut rng = EntropyRng(&*e.env.entropy);
    let key = match typ {
        "rsa" => PrivKey::generate_rsa(e, 4096)?,
        "ecdsa" => PrivKey::Ec(p256::SecretKey::random(&mut rng)),
        "ed25519" => PrivKey::Ed(ed25519_dalek::SigningKey::generate(&mut rng)),
        "dsa" => return gen_dsa(e),
        other => return Ok(format!("Unknown type {other}")),
    };
    key.pem()
}

fn gen_dsa(e: &Engine) -> Result<String, FnError> {
    use dsa::pkcs8::EncodePrivateKey as _;
    let mut rng = EntropyRng(&*e.env.entropy);
    let comps = dsa::Components::generate(&mut rng, dsa::KeySize::DSA_2048_256);
    let key = dsa::SigningKey::generate(&mut rng, comps);
    let der = key.to_pkcs8_der().map_err(m)?;
    Ok(pem_block("DSA PRIVATE KEY", der.as_bytes()))
}

fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn bcrypt_hash(e: &Engine, input: &str) -> String {
    let mut salt = [0u8; 16];
    e.env.entropy.fill_bytes(&mut salt);
    match bcrypt::hash_with_salt(input, 10, salt) {
        Ok(h) => h.format_for_version(bcrypt::Version::TwoA),
        Err(er) => format!("failed to encrypt string with bcrypt: {er}"),
    }
}

const MP_SEED: &str = "com.lyndir.masterpassword";

fn template_chars(c: u8) -> &'static str {
    match c {
        b'V' => "AEIOU",
        b'C' => "BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => "aeiou",
        b'c' => "bcdfghjklmnpqrstvwxyz",
        b'A' => "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => "0123456789",
        b'o' => "@&%?,=[]_:-+*$#!'^~;()/.",
        _ => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

fn templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

/// Sprig's `derivePassword` (the Master Password algorithm).
fn derive_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    use hmac::Mac as _;
    let Some(tpls) = templates(kind) else {
        return format!("cannot find password template {kind}");
    };
    let mut salt = MP_SEED.as_bytes().to_vec();
    salt.extend_from_slice(&u32::try_from(user.len()).unwrap_or(0).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let Ok(params) = scrypt::Params::new(15, 8, 2, 64) else {
        return "failed to derive password: bad parameters".into();
    };
    if let Err(e) = scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key) {
        return format!("failed to derive password: {e}");
    }
    let mut msg = MP_SEED.as_bytes().to_vec();
    msg.extend_from_slice(&u32::try_from(site.len()).unwrap_or(0).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        return "failed to derive password".into();
    };
    mac.update(&msg);
    let seed = mac.finalize().into_bytes();
    let pick = usize::from(*seed.first().unwrap_or(&0));
    let tpl = tpls.get(pick % tpls.len()).copied().unwrap_or("");
    let mut out = String::new();
    for (i, c) in tpl.bytes().enumerate() {
        let chars = template_chars(c).as_bytes();
        let s = usize::from(*seed.get(i + 1).unwrap_or(&0));
        if let Some(ch) = chars.get(s % chars.len()) {
            out.push(char::from(*ch));
        }
    }
    out
}

fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    for (d, s) in key.iter_mut().zip(password.as_bytes()) {
        *d = *s;
    }
    key
}

fn encrypt_aes(e: &Engine, password: &str, plaintext: &str) -> String {
    use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
    if plaintext.is_empty() {
        return String::new();
    }
    let cipher = aes::Aes256::new(GenericArray::from_slice(&aes_key(password)));
    let mut content = plaintext.as_bytes().to_vec();
    let pad = 16 - content.len() % 16;
    content.extend(std::iter::repeat_n(u8::try_from(pad).unwrap_or(16), pad));
    let iv = random_bytes(e, 16);
    let mut out = iv.clone();
    let mut prev = iv;
    for chunk in content.chunks(16) {
        let mut block = GenericArray::clone_from_slice(chunk);
        for (b, p) in block.iter_mut().zip(prev.iter()) {
            *b ^= p;
        }
        cipher.encrypt_block(&mut block);
        prev = block.to_vec();
        out.extend_from_slice(&block);
    }
    base64::engine::general_purpose::STANDARD.encode(out)
}

fn decrypt_aes(password: &str, crypt: &str) -> Result<String, FnError> {
    use aes::cipher::{BlockDecrypt, KeyInit, generic_array::GenericArray};
    let data = base64::engine::general_purpose::STANDARD
        .decode(crypt)
        .map_err(m)?;
    let cipher = aes::Aes256::new(GenericArray::from_slice(&aes_key(password)));
    if data.len() < 16 || data.len() % 16 != 0 {
        return err("ciphertext too short");
    }
    let (iv, body) = data.split_at(16);
    let mut prev = iv.to_vec();
    let mut out = Vec::with_capacity(body.len());
    for chunk in body.chunks(16) {
        let mut block = GenericArray::clone_from_slice(chunk);
        cipher.decrypt_block(&mut block);
        for (b, p) in block.iter_mut().zip(prev.iter()) {
            *b ^= p;
        }
        prev = chunk.to_vec();
        out.extend_from_slice(&block);
    }
    let pad = usize::from(*out.last().unwrap_or(&0));
    if pad == 0 || pad > 16 || pad > out.len() {
        return err("invalid padding");
    }
    out.truncate(out.len() - pad);
    Ok(String::from_utf8_lossy(&out).into_owned())
}

pub(crate) fn register(r: &mut Registry) {
    use Ty::{Any, Int, List, Str};
    r.add("genPrivateKey", &[Str], None, |e, a| {
        gen_private_key(e, &arg_str(&a, 0)).map(Value::from)
    });
    r.add("genCA", &[Str, Int], None, |e, a| {
        gen_ca(e, &arg_str(&a, 0), arg_int(&a, 1), None)
    });
    r.add("genCAWithKey", &[Str, Int, Str], None, |e, a| {
        let key = PrivKey::parse(&arg_str(&a, 2))?;
        gen_ca(e, &arg_str(&a, 0), arg_int(&a, 1), Some(key))
    });
    r.add(
        "genSelfSignedCert",
        &[Str, List, List, Int],
        None,
        |e, a| gen_self_signed(e, &a, None),
    );
    r.add(
        "genSelfSignedCertWithKey",
        &[Str, List, List, Int, Str],
        None,
        |e, a| {
            let key = PrivKey::parse(&arg_str(&a, 4))?;
            gen_self_signed(e, &a, Some(key))
        },
    );
    r.add(
        "genSignedCert",
        &[Str, List, List, Int, Any],
        None,
        |e, a| gen_signed(e, &a, None),
    );
    r.add(
        "genSignedCertWithKey",
        &[Str, List, List, Int, Any, Str],
        None,
        |e, a| {
            let key = PrivKey::parse(&arg_str(&a, 5))?;
            gen_signed(e, &a, Some(key))
        },
    );
    r.add("buildCustomCert", &[Str, Str], None, |_, a| {
        let dec = |s: &str| -> Result<String, FnError> {
            let b = base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|_| FnError::Msg("unable to decode base64 certificate".into()))?;
            Ok(String::from_utf8_lossy(&b).into_owned())
        };
        let cert = dec(&arg_str(&a, 0))?;
        let key = dec(&arg_str(&a, 1))?;
        if !cert.contains("-----BEGIN CERTIFICATE-----") {
            return err("unable to decode certificate");
        }
        PrivKey::parse(&key).map_err(|_| FnError::Msg("unable to decode private key".into()))?;
        Ok(cert_value(cert, key))
    });
    r.add(
        "derivePassword",
        &[Int, Str, Str, Str, Str],
        None,
        |_, a| {
            let counter = u32::try_from(arg_int(&a, 0)).unwrap_or(0);
            Ok(Value::from(derive_password(
                counter,
                &arg_str(&a, 1),
                &arg_str(&a, 2),
                &arg_str(&a, 3),
                &arg_str(&a, 4),
            )))
        },
    );
    r.add("htpasswd", &[Str, Str], None, |e, a| {
        let user = arg_str(&a, 0);
        if user.contains(':') {
            return Ok(Value::from(format!("invalid username: {user}")));
        }
        Ok(Value::from(format!(
            "{user}:{}",
            bcrypt_hash(e, &arg_str(&a, 1))
        )))
    });
    r.add("bcrypt", &[Str], None, |e, a| {
        Ok(Value::from(bcrypt_hash(e, &arg_str(&a, 0))))
    });
    r.add("encryptAES", &[Str, Str], None, |e, a| {
        Ok(Value::from(encrypt_aes(
            e,
            &arg_str(&a, 0),
            &arg_str(&a, 1),
        )))
    });
    r.add("decryptAES", &[Str, Str], None, |_, a| {
        decrypt_aes(&arg_str(&a, 0), &arg_str(&a, 1)).map(Value::from)
    });
}
