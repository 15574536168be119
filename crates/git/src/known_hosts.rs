//! OpenSSH `known_hosts` parsing and matching: the ssh host key check is ours, never libgit2's
//! (which would read `~/.ssh/known_hosts` of whoever runs the controller) and never accept-all.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::Error;

/// The parsed entries of a `known_hosts` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownHosts {
    entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    hosts: Hosts,
    revoked: bool,
    key_type: String,
    /// The key in ssh wire format (what the server presents).
    key: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Hosts {
    /// `|1|salt|hash`: HMAC-SHA1 of the host name keyed with the salt.
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
    /// Comma-separated patterns, each maybe negated (`!`), with `*` and `?` wildcards.
    Patterns(Vec<String>),
}

/// The verdict on a presented host key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HostKeyCheck {
    /// An entry for the host holds this key.
    Match,
    /// No entry names the host.
    Unknown,
    /// Entries name the host, none with this key; what they hold, for the error message.
    Mismatch { known: String },
    /// The key is marked `@revoked`.
    Revoked,
}

impl KnownHosts {
    /// Parses `known_hosts` text: plain, `[host]:port`, wildcard and hashed (`|1|…`) host
    /// fields, `@revoked` markers; blank lines and comments are skipped. `@cert-authority`
    /// lines are skipped too: libgit2 does not hand over host certificates, so they can never
    /// vouch for a host. A malformed line is an error naming its number.
    pub fn parse(text: &str) -> Result<KnownHosts, Error> {
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let invalid = |problem: &str| Error::InvalidSecret {
                key: "known_hosts",
                problem: format!("line {}: {problem}", index + 1),
            };
            let mut fields = line.split_whitespace().peekable();
            let mut revoked = false;
            if let Some(marker) = fields.peek().filter(|f| f.starts_with('@')).copied() {
                fields.next();
                match marker {
                    "@revoked" => revoked = true,
                    "@cert-authority" => continue,
                    other => return Err(invalid(&format!("unknown marker {other}"))),
                }
            }
            let (Some(hosts), Some(key_type), Some(key)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(invalid("expected '<hosts> <key type> <base64 key>'"));
            };
            let key = STANDARD
                .decode(key)
                .map_err(|_| invalid("the key is not valid base64"))?;
            match wire_key_type(&key) {
                Some(embedded) if embedded == key_type => {}
                Some(embedded) => {
                    return Err(invalid(&format!(
                        "key type {key_type} does not match the key's own type {embedded}"
                    )));
                }
                None => return Err(invalid("the key is not an ssh public key")),
            }
            let hosts = parse_hosts(hosts).ok_or_else(|| invalid("malformed hashed host field"))?;
            entries.push(Entry {
                hosts,
                revoked,
                key_type: key_type.to_string(),
                key,
            });
        }
        Ok(KnownHosts { entries })
    }

    /// Whether the file has no usable entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Checks `key` (ssh wire format) presented by `host` (`host`, or `[host]:port` when the
    /// port is not 22, as OpenSSH looks it up).
    pub(crate) fn check(&self, host: &str, key: &[u8]) -> HostKeyCheck {
        let host = host.to_ascii_lowercase();
        let for_host: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.hosts.matches(&host))
            .collect();
        if for_host.iter().any(|e| e.revoked && e.key == key) {
            return HostKeyCheck::Revoked;
        }
        if for_host.iter().any(|e| !e.revoked && e.key == key) {
            return HostKeyCheck::Match;
        }
        let known: Vec<String> = for_host
            .iter()
            .filter(|e| !e.revoked)
            .map(|e| format!("{} {}", e.key_type, fingerprint(&e.key)))
            .collect();
        if known.is_empty() {
            HostKeyCheck::Unknown
        } else {
            HostKeyCheck::Mismatch {
                known: known.join(", "),
            }
        }
    }
}

impl Hosts {
    fn matches(&self, host: &str) -> bool {
        match self {
            Hosts::Hashed { salt, hash } => {
                let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(salt) else {
                    return false;
                };
                mac.update(host.as_bytes());
                mac.verify_slice(hash).is_ok()
            }
            Hosts::Patterns(patterns) => {
                let mut matched = false;
                for pattern in patterns {
                    if let Some(negated) = pattern.strip_prefix('!') {
                        // As OpenSSH: a matching negated pattern rules the host out entirely.
                        if wildcard_match(negated, host) {
                            return false;
                        }
                    } else if wildcard_match(pattern, host) {
                        matched = true;
                    }
                }
                matched
            }
        }
    }
}

fn parse_hosts(field: &str) -> Option<Hosts> {
    if let Some(rest) = field.strip_prefix("|1|") {
        let (salt, hash) = rest.split_once('|')?;
        let salt = STANDARD.decode(salt).ok()?;
        let hash = STANDARD.decode(hash).ok()?;
        return Some(Hosts::Hashed { salt, hash });
    }
    Some(Hosts::Patterns(
        field
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_ascii_lowercase)
            .collect(),
    ))
}

/// Glob match with `*` (any run) and `?` (one character), as OpenSSH's `match_pattern`.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if let Some((star, matched)) = backtrack {
            pi = star + 1;
            ti = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The key type named inside an ssh wire-format public key (its first string).
pub(crate) fn wire_key_type(key: &[u8]) -> Option<&str> {
    let len = u32::from_be_bytes(key.get(..4)?.try_into().ok()?) as usize;
    std::str::from_utf8(key.get(4..4usize.checked_add(len)?)?).ok()
}

/// The OpenSSH fingerprint of a wire-format key: `SHA256:<unpadded base64>`.
pub fn fingerprint(key: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(key)))
}

/// The name OpenSSH looks a host up by: `host` on port 22, else `[host]:port`.
pub(crate) fn lookup_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real public keys (ssh-keygen output), one per supported type.
    const ED25519: &str = "AAAAC3NzaC1lZDI1NTE5AAAAICNG4ViApHCoNfIpG5cR8+GjZnmw+d6Kn1tB8y82a58K";
    const ECDSA: &str = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHrK7QI20wVMrPY/FDrJMWpnaw8ksx9v8x2i+K6LUUKhwkYF0Xu+6DbBFzT9ZWXWSyMuAPYgJ/QJyAta/svgbNY=";
    const RSA: &str = "AAAAB3NzaC1yc2EAAAADAQABAAABgQDo3Jejd212KpCmCkaKH+s15aLPiD36RjGBC4unaxtLG+ZSGidFmLmGO4ocngcUrs7XjAC6XrFZmbzIWpVXy7O8s+iyAn1YPXpFv33B3+oiKIL5cdEcYxkW2liYnmwwXnAK9xiFK6iFIwEQlS6sZ1+Z9kgYXYAzi6ajKgUuaB+IoqVr/T2wJz8v70jigfBj4X8kX9L1HBIRGYBwfbdGy0ZYGbfahSu6w8ZucaZIzsW9OS7lnh5tGElteweZIVrzzRsRGaZshAMEKP02KgbJ3PL3ZHt0sYZz1LFHq9lb7JpeAAR3mgRu1vgcs39w2eSRTz1WJ4/So37KgZ6ckTkHXnrN13gNz90JQLxQzVbMHY9rU0ktmrIwODRBthZtmwpQtzSHq1mJR8Vgg82P3YY6d3gW9XzIjFMmv9v0riM5T+pqDB0tHW0sZoTHPDMjEF5a/tUhvNZ0Dld4xkjEYiUIFADLO9o/RQztpEDs4mC4LdHu6bKOePmGvO65RfYVzneAKL8=";

    fn key(b64: &str) -> Vec<u8> {
        STANDARD.decode(b64).unwrap()
    }

    #[test]
    fn plain_entry_matches_its_host_and_key() {
        let hosts = KnownHosts::parse(&format!("github.com ssh-ed25519 {ED25519}\n")).unwrap();
        assert_eq!(
            hosts.check("github.com", &key(ED25519)),
            HostKeyCheck::Match
        );
        assert_eq!(
            hosts.check("GitHub.com", &key(ED25519)),
            HostKeyCheck::Match
        );
        assert_eq!(
            hosts.check("gitlab.com", &key(ED25519)),
            HostKeyCheck::Unknown
        );
    }

    #[test]
    fn each_key_type_parses_and_matches() {
        for (key_type, b64) in [
            ("ssh-ed25519", ED25519),
            ("ecdsa-sha2-nistp256", ECDSA),
            ("ssh-rsa", RSA),
        ] {
            let hosts = KnownHosts::parse(&format!("h {key_type} {b64} comment here")).unwrap();
            assert_eq!(
                hosts.check("h", &key(b64)),
                HostKeyCheck::Match,
                "{key_type}"
            );
            assert_eq!(wire_key_type(&key(b64)), Some(key_type));
        }
    }

    #[test]
    fn port_entries_match_only_that_port() {
        let hosts = KnownHosts::parse(&format!("[127.0.0.1]:2222 ssh-ed25519 {ED25519}")).unwrap();
        assert_eq!(
            hosts.check(&lookup_name("127.0.0.1", 2222), &key(ED25519)),
            HostKeyCheck::Match
        );
        assert_eq!(
            hosts.check(&lookup_name("127.0.0.1", 22), &key(ED25519)),
            HostKeyCheck::Unknown
        );
        let plain = KnownHosts::parse(&format!("127.0.0.1 ssh-ed25519 {ED25519}")).unwrap();
        assert_eq!(
            plain.check(&lookup_name("127.0.0.1", 2222), &key(ED25519)),
            HostKeyCheck::Unknown
        );
    }

    #[test]
    fn hashed_entries_match_the_hashed_name() {
        // `ssh-keygen -H` form for "[127.0.0.1]:2222", salt and HMAC-SHA1 computed here.
        let salt = b"0123456789abcdef0123";
        let mut mac = Hmac::<Sha1>::new_from_slice(salt).unwrap();
        mac.update(b"[127.0.0.1]:2222");
        let hash = mac.finalize().into_bytes();
        let line = format!(
            "|1|{}|{} ssh-ed25519 {ED25519}",
            STANDARD.encode(salt),
            STANDARD.encode(hash)
        );
        let hosts = KnownHosts::parse(&line).unwrap();
        assert_eq!(
            hosts.check("[127.0.0.1]:2222", &key(ED25519)),
            HostKeyCheck::Match
        );
        assert_eq!(
            hosts.check("127.0.0.1", &key(ED25519)),
            HostKeyCheck::Unknown
        );
    }

    #[test]
    fn hashed_entry_from_ssh_keygen_matches() {
        // Produced by `ssh-keygen -H` on "github.com ssh-ed25519 <ED25519>".
        let line = format!(
            "|1|8SHL3eubXJVQGw8u55A1SlYWdbw=|PIXDzwhDI4hwXK+x7jxJsxlOqKE= ssh-ed25519 {ED25519}"
        );
        let hosts = KnownHosts::parse(&line).unwrap();
        assert_eq!(
            hosts.check("github.com", &key(ED25519)),
            HostKeyCheck::Match
        );
    }

    #[test]
    fn other_key_for_a_known_host_is_a_mismatch_naming_what_is_known() {
        let hosts = KnownHosts::parse(&format!("example.com ssh-rsa {RSA}")).unwrap();
        match hosts.check("example.com", &key(ED25519)) {
            HostKeyCheck::Mismatch { known } => {
                assert!(known.starts_with("ssh-rsa SHA256:"), "{known}")
            }
            other => panic!("expected a mismatch, got {other:?}"),
        }
    }

    #[test]
    fn wildcards_and_negations_follow_openssh() {
        let hosts = KnownHosts::parse(&format!(
            "*.example.com,!bad.example.com,git?.org ssh-ed25519 {ED25519}"
        ))
        .unwrap();
        assert_eq!(
            hosts.check("a.example.com", &key(ED25519)),
            HostKeyCheck::Match
        );
        assert_eq!(
            hosts.check("bad.example.com", &key(ED25519)),
            HostKeyCheck::Unknown
        );
        assert_eq!(hosts.check("git1.org", &key(ED25519)), HostKeyCheck::Match);
        assert_eq!(
            hosts.check("git12.org", &key(ED25519)),
            HostKeyCheck::Unknown
        );
    }

    #[test]
    fn revoked_key_is_refused_even_when_also_listed() {
        let text = format!("@revoked * ssh-ed25519 {ED25519}\nh ssh-ed25519 {ED25519}\n");
        let hosts = KnownHosts::parse(&text).unwrap();
        assert_eq!(hosts.check("h", &key(ED25519)), HostKeyCheck::Revoked);
    }

    #[test]
    fn comments_blank_lines_and_cert_authorities_are_skipped() {
        let text = format!("# comment\n\n@cert-authority *.example.com ssh-ed25519 {ED25519}\n");
        let hosts = KnownHosts::parse(&text).unwrap();
        assert!(hosts.is_empty());
    }

    #[test]
    fn malformed_lines_are_errors_naming_the_line() {
        let error = KnownHosts::parse("# ok\nhost ssh-ed25519\n").unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
        let error = KnownHosts::parse("host ssh-ed25519 !!!notbase64").unwrap_err();
        assert!(error.to_string().contains("base64"), "{error}");
        let error = KnownHosts::parse(&format!("host ssh-rsa {ED25519}")).unwrap_err();
        assert!(error.to_string().contains("does not match"), "{error}");
    }

    #[test]
    fn fingerprint_is_openssh_sha256_format() {
        // `ssh-keygen -lf` of the ED25519 key above.
        assert_eq!(
            fingerprint(&key(ED25519)),
            "SHA256:PsyfzUeHf0R1ezD8RISh/HJY4lxfNB6eeMZx/9g9qO8"
        );
    }
}
