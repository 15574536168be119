//! Recombining Shamir shares as sops splits them (HashiCorp Vault's scheme: GF(2^8) with the AES
//! polynomial, each share = one byte per secret byte followed by its x coordinate).

use zeroize::Zeroizing;

fn mul(a: u8, b: u8) -> u8 {
    let (mut a, mut b, mut r) = (a, b, 0u8);
    while b != 0 {
        if b & 1 != 0 {
            r ^= a;
        }
        let carry = a & 0x80;
        a <<= 1;
        if carry != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    r
}

fn inverse(a: u8) -> u8 {
    // a^254 = a^-1 in GF(2^8).
    let mut result = 1u8;
    let mut base = a;
    let mut e = 254u8;
    while e > 0 {
        if e & 1 != 0 {
            result = mul(result, base);
        }
        base = mul(base, base);
        e >>= 1;
    }
    result
}

/// Lagrange interpolation at x = 0 of every byte position.
pub(crate) fn combine(parts: &[Zeroizing<Vec<u8>>]) -> Result<Zeroizing<Vec<u8>>, &'static str> {
    if parts.len() < 2 {
        return Err("fewer than two parts to combine");
    }
    let len = parts[0].len();
    if len < 2 || parts.iter().any(|p| p.len() != len) {
        return Err("parts have different or too short lengths");
    }
    let xs: Vec<u8> = parts.iter().map(|p| p[len - 1]).collect();
    for (i, x) in xs.iter().enumerate() {
        if xs[..i].contains(x) {
            return Err("duplicate part");
        }
    }
    let mut secret = Zeroizing::new(vec![0u8; len - 1]);
    for (byte, out) in secret.iter_mut().enumerate() {
        let mut acc = 0u8;
        for (i, part) in parts.iter().enumerate() {
            let mut basis = 1u8;
            for (j, xj) in xs.iter().enumerate() {
                if i != j {
                    basis = mul(basis, mul(*xj, inverse(xs[i] ^ xj)));
                }
            }
            acc ^= mul(part[byte], basis);
        }
        *out = acc;
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recombines_a_hand_made_split() {
        // f(x) = s + 7x over GF(2^8): shares at x = 1, 2, 3.
        let s = [0x42u8, 0x99];
        let share = |x: u8| Zeroizing::new(vec![s[0] ^ mul(7, x), s[1] ^ mul(7, x), x]);
        let got = combine(&[share(3), share(1)]).expect("combine");
        assert_eq!(&got[..], &s);
        assert!(combine(&[share(1)]).is_err());
        assert!(combine(&[share(1), share(1)]).is_err());
    }
}
