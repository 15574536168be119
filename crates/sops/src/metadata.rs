//! The `sops` metadata block: recipients and their encrypted data keys, `lastmodified`, the
//! encrypted MAC, and the rules that decide which values are encrypted.

use regex::Regex;

use crate::error::ErrorKind;
use crate::gotime;
use crate::tree::{Item, Node, get};
use crate::value::{self, Scalar};

/// The key that holds the metadata in every format but dotenv.
pub(crate) const SOPS_KEY: &str = "sops";

/// sops' default when a file names no encryption rule.
const DEFAULT_UNENCRYPTED_SUFFIX: &str = "_unencrypted";

/// An age recipient and the data key (or Shamir share) encrypted to it.
pub(crate) struct AgeStanza {
    pub(crate) recipient: String,
    pub(crate) enc: String,
}

/// A PGP key fingerprint and the data key (or share) encrypted to it.
pub(crate) struct PgpStanza {
    pub(crate) fingerprint: String,
    pub(crate) enc: String,
}

/// One key group: any of its keys recovers the group's part of the data key.
#[derive(Default)]
pub(crate) struct KeyGroup {
    pub(crate) age: Vec<AgeStanza>,
    pub(crate) pgp: Vec<PgpStanza>,
    /// Providers Capstan does not implement that also hold this group's part.
    pub(crate) unsupported: Vec<&'static str>,
}

/// A regular expression as sops applies it: Go ignores compile errors and never matches.
pub(crate) struct Pattern(Option<Regex>);

impl Pattern {
    pub(crate) fn is_match(&self, s: &str) -> bool {
        self.0.as_ref().is_some_and(|r| r.is_match(s))
    }
}

/// Which values are encrypted and which are covered by the MAC.
#[derive(Default)]
pub(crate) struct Rules {
    pub(crate) unencrypted_suffix: Option<String>,
    pub(crate) encrypted_suffix: Option<String>,
    pub(crate) unencrypted_regex: Option<Pattern>,
    pub(crate) encrypted_regex: Option<Pattern>,
    pub(crate) unencrypted_comment_regex: Option<Pattern>,
    pub(crate) encrypted_comment_regex: Option<Pattern>,
    pub(crate) mac_only_encrypted: bool,
}

/// The parsed metadata.
pub(crate) struct Metadata {
    pub(crate) key_groups: Vec<KeyGroup>,
    pub(crate) shamir_threshold: usize,
    /// `lastmodified` re-formatted as Go's RFC 3339: the MAC's additional data.
    pub(crate) last_modified: String,
    /// The encrypted MAC (`ENC[...]`, or empty).
    pub(crate) mac: String,
    pub(crate) rules: Rules,
}

fn bad(field: &str, reason: &str) -> ErrorKind {
    ErrorKind::Metadata {
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

/// A scalar's text as Go would read it into a string field.
fn text(node: &Node) -> Option<String> {
    let Node::Leaf(leaf) = node else { return None };
    Some(match &leaf.value {
        Scalar::Null => return None,
        Scalar::Str(s) | Scalar::Bytes(s) => String::from_utf8_lossy(s).into_owned(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => value::format_f(*f),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Time(t) => t.rfc3339(),
    })
}

fn opt_text(items: &[Item], field: &str) -> Result<Option<String>, ErrorKind> {
    match get(items, field) {
        None => Ok(None),
        Some(Node::Leaf(l)) if matches!(l.value, Scalar::Null) => Ok(None),
        Some(n) => text(n)
            .map(Some)
            .ok_or_else(|| bad(field, "expected a string")),
    }
}

fn list<'a>(items: &'a [Item], field: &str) -> Result<Vec<&'a [Item]>, ErrorKind> {
    match get(items, field) {
        None => Ok(Vec::new()),
        Some(Node::Leaf(l)) if matches!(l.value, Scalar::Null) => Ok(Vec::new()),
        Some(Node::List(nodes)) => nodes
            .iter()
            .filter(|n| !matches!(n, Node::Comment(_)))
            .map(|n| match n {
                Node::Map(m) => Ok(m.as_slice()),
                _ => Err(bad(field, "expected a list of mappings")),
            })
            .collect(),
        Some(_) => Err(bad(field, "expected a list")),
    }
}

/// Providers sops knows besides age and PGP, by metadata field.
const OTHER_PROVIDERS: [(&str, &str); 5] = [
    ("kms", "AWS KMS"),
    ("gcp_kms", "GCP KMS"),
    ("azure_kv", "Azure Key Vault"),
    ("hc_vault", "HashiCorp Vault"),
    ("hckms", "HuaweiCloud KMS"),
];

fn group(items: &[Item], prefix: &str) -> Result<KeyGroup, ErrorKind> {
    let field = |f: &str| format!("{prefix}{f}");
    let mut g = KeyGroup::default();
    for entry in
        list(items, "age").map_err(|_| bad(&field("age"), "expected a list of mappings"))?
    {
        g.age.push(AgeStanza {
            recipient: opt_text(entry, "recipient")?.unwrap_or_default(),
            enc: opt_text(entry, "enc")?.ok_or_else(|| bad(&field("age.enc"), "missing"))?,
        });
    }
    for entry in
        list(items, "pgp").map_err(|_| bad(&field("pgp"), "expected a list of mappings"))?
    {
        g.pgp.push(PgpStanza {
            fingerprint: opt_text(entry, "fp")?.unwrap_or_default(),
            enc: opt_text(entry, "enc")?.ok_or_else(|| bad(&field("pgp.enc"), "missing"))?,
        });
    }
    for (key, name) in OTHER_PROVIDERS {
        if !list(items, key).unwrap_or_default().is_empty() {
            g.unsupported.push(name);
        }
    }
    Ok(g)
}

fn is_empty(g: &KeyGroup) -> bool {
    g.age.is_empty() && g.pgp.is_empty() && g.unsupported.is_empty()
}

fn pattern(items: &[Item], field: &str) -> Result<Option<Pattern>, ErrorKind> {
    Ok(opt_text(items, field)?
        .filter(|s| !s.is_empty())
        .map(|s| Pattern(Regex::new(&s).ok())))
}

/// Reads the metadata mapping, applying sops' `ToInternal` rules.
pub(crate) fn parse(node: &Node) -> Result<Metadata, ErrorKind> {
    let Node::Map(items) = node else {
        return Err(bad("", "expected a mapping"));
    };
    let top = group(items, "")?;
    let key_groups = if is_empty(&top) {
        let groups = list(items, "key_groups")?
            .into_iter()
            .enumerate()
            .map(|(i, g)| group(g, &format!("key_groups[{i}].")))
            .collect::<Result<Vec<_>, _>>()?;
        if groups.is_empty() {
            return Err(bad("", "no keys found in file"));
        }
        groups
    } else {
        vec![top]
    };

    let shamir_threshold = match opt_text(items, "shamir_threshold")? {
        None => 0,
        Some(s) => s
            .parse::<usize>()
            .map_err(|_| bad("shamir_threshold", "expected an integer"))?,
    };
    let raw_lm = opt_text(items, "lastmodified")?.ok_or_else(|| bad("lastmodified", "missing"))?;
    let last_modified = gotime::parse_rfc3339(&raw_lm)
        .ok_or_else(|| bad("lastmodified", "not an RFC 3339 timestamp"))?
        .rfc3339();
    let mac = opt_text(items, "mac")?.unwrap_or_default();

    let suffix = |f: &str| -> Result<Option<String>, ErrorKind> {
        Ok(opt_text(items, f)?.filter(|s| !s.is_empty()))
    };
    let mut rules = Rules {
        unencrypted_suffix: suffix("unencrypted_suffix")?,
        encrypted_suffix: suffix("encrypted_suffix")?,
        unencrypted_regex: pattern(items, "unencrypted_regex")?,
        encrypted_regex: pattern(items, "encrypted_regex")?,
        unencrypted_comment_regex: pattern(items, "unencrypted_comment_regex")?,
        encrypted_comment_regex: pattern(items, "encrypted_comment_regex")?,
        mac_only_encrypted: matches!(
            opt_text(items, "mac_only_encrypted")?.as_deref(),
            Some("true")
        ),
    };
    let count = [
        rules.unencrypted_suffix.is_some(),
        rules.encrypted_suffix.is_some(),
        rules.unencrypted_regex.is_some(),
        rules.encrypted_regex.is_some(),
        rules.unencrypted_comment_regex.is_some(),
        rules.encrypted_comment_regex.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if count > 1 {
        return Err(bad(
            "",
            "more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, unencrypted_comment_regex",
        ));
    }
    if count == 0 {
        rules.unencrypted_suffix = Some(DEFAULT_UNENCRYPTED_SUFFIX.to_owned());
    }
    Ok(Metadata {
        key_groups,
        shamir_threshold,
        last_modified,
        mac,
        rules,
    })
}

impl Rules {
    /// sops' `shouldBeEncrypted`, including its comment-stack rules.
    pub(crate) fn should_encrypt(
        &self,
        path: &[String],
        comments: &[Vec<String>],
        is_comment: bool,
    ) -> bool {
        let mut encrypted = true;
        if let Some(s) = &self.unencrypted_suffix
            && path.iter().any(|p| p.ends_with(s.as_str()))
        {
            encrypted = false;
        }
        if let Some(s) = &self.encrypted_suffix {
            encrypted = path.iter().any(|p| p.ends_with(s.as_str()));
        }
        if let Some(r) = &self.unencrypted_regex
            && path.iter().any(|p| r.is_match(p))
        {
            encrypted = false;
        }
        if let Some(r) = &self.encrypted_regex {
            encrypted = path.iter().any(|p| r.is_match(p));
        }
        if let Some(r) = &self.unencrypted_comment_regex
            && comments.iter().flatten().any(|c| r.is_match(c))
        {
            encrypted = false;
        }
        if let Some(r) = &self.encrypted_comment_regex {
            // A comment that matches is itself left in clear: skip the last comment of the
            // innermost level when judging a comment.
            let last_level = comments.len().saturating_sub(1);
            let last_len = comments.last().map_or(0, Vec::len);
            encrypted = comments.iter().enumerate().any(|(i, level)| {
                level.iter().enumerate().any(|(j, c)| {
                    let skip = is_comment && i == last_level && j + 1 == last_len;
                    !skip && r.is_match(c)
                })
            });
        }
        encrypted
    }
}
