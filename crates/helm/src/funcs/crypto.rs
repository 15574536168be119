//! Sprig's random and cryptographic generators, drawing every random byte from the engine's
//! entropy source.

use base64::Engine as _;

use super::{Registry, Ty, arg_int, err};
use crate::template::exec::Engine;
use crate::template::value::Value;

pub(crate) fn random_bytes(e: &Engine, n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    e.env.entropy.fill_bytes(&mut b);
    b
}

/// A version-4 UUID from the engine's entropy.
pub(crate) fn uuidv4(e: &Engine) -> String {
    let mut b = random_bytes(e, 16);
    if let Some(x) = b.get_mut(6) {
        *x = (*x & 0x0f) | 0x40;
    }
    if let Some(x) = b.get_mut(8) {
        *x = (*x & 0x3f) | 0x80;
    }
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        h.get(0..8).unwrap_or(""),
        h.get(8..12).unwrap_or(""),
        h.get(12..16).unwrap_or(""),
        h.get(16..20).unwrap_or(""),
        h.get(20..32).unwrap_or("")
    )
}

pub(crate) fn register(r: &mut Registry) {
    use Ty::Int;
    r.add("uuidv4", &[], None, |e, _| Ok(Value::from(uuidv4(e))));
    r.add("randBytes", &[Int], None, |e, a| {
        let n = arg_int(&a, 0);
        if !(0..=1 << 20).contains(&n) {
            return err("randBytes: count out of range");
        }
        Ok(Value::from(
            base64::engine::general_purpose::STANDARD.encode(random_bytes(e, n as usize)),
        ))
    });
    crate::funcs::crypto_gen::register(r);
}
