//! Sprig's encodings and digests: base64/base32, SHA and Adler-32 sums, JSON helpers and
//! URL parsing.

use base64::Engine as _;
use sha2::Digest as _;

use super::{FnResult, Registry, Ty, arg, arg_str, err};
use crate::template::value::{Map, Value};
use crate::yaml::json::{JsonStyle, from_json, to_json};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn b32enc(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        for (d, s) in buf.iter_mut().zip(chunk) {
            *d = *s;
        }
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                let idx = ((n >> (35 - i * 5)) & 31) as usize;
                out.push(char::from(B32[idx]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b32dec(s: &str) -> Result<Vec<u8>, String> {
    let t = s.trim_end_matches('=');
    let mut bits: u64 = 0;
    let mut nbits = 0;
    let mut out = Vec::new();
    for (i, c) in t.bytes().enumerate() {
        let v = B32
            .iter()
            .position(|x| *x == c)
            .ok_or_else(|| format!("illegal base32 data at input byte {i}"))?;
        bits = (bits << 5) | v as u64;
        nbits += 5;
        if nbits >= 8 {
            nbits -= 8;
            out.push(((bits >> nbits) & 0xff) as u8);
        }
    }
    Ok(out)
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

fn json_fn(v: &Value, style: JsonStyle, must: bool) -> FnResult {
    match to_json(v, style) {
        Ok(s) => Ok(Value::from(s)),
        Err(e) if must => err(e),
        Err(_) => Ok(Value::from("")),
    }
}

pub(crate) fn register(r: &mut Registry) {
    use Ty::{Any, Map as M, Str};
    r.add("b64enc", &[Str], None, |_, a| {
        Ok(Value::from(
            base64::engine::general_purpose::STANDARD.encode(arg_str(&a, 0).as_bytes()),
        ))
    });
    r.add("b64dec", &[Str], None, |_, a| {
        Ok(Value::from(match base64::engine::general_purpose::STANDARD
            .decode(arg_str(&a, 0).as_bytes())
        {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => go_base64_error(&e),
        }))
    });
    r.add("b32enc", &[Str], None, |_, a| {
        Ok(Value::from(b32enc(arg_str(&a, 0).as_bytes())))
    });
    r.add("b32dec", &[Str], None, |_, a| {
        Ok(Value::from(match b32dec(&arg_str(&a, 0)) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => e,
        }))
    });
    r.add("sha1sum", &[Str], None, |_, a| {
        Ok(Value::from(hex(&sha1::Sha1::digest(
            arg_str(&a, 0).as_bytes(),
        ))))
    });
    r.add("sha256sum", &[Str], None, |_, a| {
        Ok(Value::from(hex(&sha2::Sha256::digest(
            arg_str(&a, 0).as_bytes(),
        ))))
    });
    r.add("sha512sum", &[Str], None, |_, a| {
        Ok(Value::from(hex(&sha2::Sha512::digest(
            arg_str(&a, 0).as_bytes(),
        ))))
    });
    r.add("adler32sum", &[Str], None, |_, a| {
        Ok(Value::from(adler32(arg_str(&a, 0).as_bytes()).to_string()))
    });
    let plain = JsonStyle {
        indent: false,
        escape_html: true,
    };
    let pretty = JsonStyle {
        indent: true,
        escape_html: true,
    };
    let raw = JsonStyle {
        indent: false,
        escape_html: false,
    };
    let _ = (plain, pretty, raw);
    r.add("mustToJson", &[Any], None, |_, a| {
        json_fn(
            &arg(&a, 0),
            JsonStyle {
                indent: false,
                escape_html: true,
            },
            true,
        )
    });
    r.add("toPrettyJson", &[Any], None, |_, a| {
        json_fn(
            &arg(&a, 0),
            JsonStyle {
                indent: true,
                escape_html: true,
            },
            false,
        )
    });
    r.add("mustToPrettyJson", &[Any], None, |_, a| {
        json_fn(
            &arg(&a, 0),
            JsonStyle {
                indent: true,
                escape_html: true,
            },
            true,
        )
    });
    r.add("toRawJson", &[Any], None, |_, a| {
        json_fn(
            &arg(&a, 0),
            JsonStyle {
                indent: false,
                escape_html: false,
            },
            false,
        )
    });
    r.add("mustToRawJson", &[Any], None, |_, a| {
        json_fn(
            &arg(&a, 0),
            JsonStyle {
                indent: false,
                escape_html: false,
            },
            true,
        )
    });
    r.add("mustFromJson", &[Str], None, |_, a| {
        from_json(&arg_str(&a, 0)).or_else(err)
    });
    r.add("urlParse", &[Str], None, |_, a| url_parse(&arg_str(&a, 0)));
    r.add("urlJoin", &[M], None, |_, a| {
        Ok(Value::from(url_join(&arg(&a, 0))))
    });
}

fn go_base64_error(e: &base64::DecodeError) -> String {
    match e {
        base64::DecodeError::InvalidByte(i, _) | base64::DecodeError::InvalidLastSymbol(i, _) => {
            format!("illegal base64 data at input byte {i}")
        }
        base64::DecodeError::InvalidLength(n) => format!("illegal base64 data at input byte {n}"),
        base64::DecodeError::InvalidPadding => "illegal base64 data at input byte 0".into(),
    }
}

/// Go's `url.Parse`, as Sprig exposes it.
fn url_parse(s: &str) -> FnResult {
    let mut m = Map::new();
    let (rest, fragment) = match s.split_once('#') {
        Some((r, f)) => (r, f.to_string()),
        None => (s, String::new()),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, q.to_string()),
        None => (rest, String::new()),
    };
    let (scheme, rest) = match rest.split_once("://") {
        Some((sc, r))
            if !sc.is_empty()
                && sc
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            (sc.to_string(), r)
        }
        _ => match rest.split_once(':') {
            Some((sc, r))
                if !sc.is_empty()
                    && !sc.contains('/')
                    && sc
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
            {
                (sc.to_string(), r)
            }
            _ => (String::new(), rest),
        },
    };
    let has_authority = s.contains("://");
    let (authority, path) = if has_authority {
        match rest.find('/') {
            Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("")),
            None => (rest, ""),
        }
    } else {
        ("", rest)
    };
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((u, h)) => (u.to_string(), h.to_string()),
        None => (String::new(), authority.to_string()),
    };
    if host.contains(' ') {
        return err(format!(
            "unable to parse url: parse {}: invalid character \" \" in host name",
            crate::template::gofmt::quote(s)
        ));
    }
    m.insert("scheme".into(), Value::from(scheme.to_lowercase()));
    m.insert("host".into(), Value::from(host));
    m.insert("hostname".into(), Value::from(hostname(authority)));
    m.insert("path".into(), Value::from(path));
    m.insert("query".into(), Value::from(query));
    m.insert("opaque".into(), Value::from(""));
    m.insert("fragment".into(), Value::from(fragment));
    m.insert("userinfo".into(), Value::from(userinfo));
    Ok(Value::map(m))
}

fn hostname(authority: &str) -> String {
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("").to_string();
    }
    host.split(':').next().unwrap_or("").to_string()
}

fn url_join(d: &Value) -> String {
    let get = |k: &str| {
        d.get(k)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let mut out = String::new();
    let scheme = get("scheme");
    if !scheme.is_empty() {
        out.push_str(&scheme);
        out.push(':');
    }
    let host = get("host");
    let userinfo = get("userinfo");
    if !host.is_empty() || !userinfo.is_empty() || !scheme.is_empty() {
        out.push_str("//");
        if !userinfo.is_empty() {
            out.push_str(&userinfo);
            out.push('@');
        }
        out.push_str(&host);
    }
    let opaque = get("opaque");
    if !opaque.is_empty() {
        out.push_str(&opaque);
    } else {
        let path = get("path");
        if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        out.push_str(&path);
    }
    let query = get("query");
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query);
    }
    let fragment = get("fragment");
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(&fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_match_go() {
        assert_eq!(b32enc(b"hello"), "NBSWY3DP");
        assert_eq!(b32dec("NBSWY3DP").unwrap(), b"hello");
        assert_eq!(adler32(b"hello"), 103_547_413);
    }
}
