//! dotenv documents as sops' dotenv store reads them: one `KEY=value` per line (`\n` escapes
//! newlines), `#` comment lines, and the metadata flattened into `sops_*` keys.

use zeroize::Zeroizing;

use crate::error::ErrorKind;
use crate::secret::SecretBuf;
use crate::tree::{Comment, Item, Leaf, Node};
use crate::value::{self, Scalar};

const PREFIX: &str = "sops_";
const MAP_SEP: &str = "__map_";
const LIST_SEP: &str = "__list_";

fn unescape_newlines(s: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(s.len()));
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && s.get(i + 1) == Some(&b'n') {
            out.push(b'\n');
            i += 2;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// The document's entries and its flattened metadata entries (key without `sops_`, value).
pub(crate) struct Parsed {
    pub(crate) items: Vec<Item>,
    pub(crate) metadata: Vec<(String, String)>,
}

/// Splits the document into lines the way sops does (no trimming, no quotes).
pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, ErrorKind> {
    let mut items = Vec::new();
    let mut metadata = Vec::new();
    for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        if line[0] == b'#' {
            items.push(Item::Comment(Comment::new(&String::from_utf8_lossy(
                &line[1..],
            ))));
            continue;
        }
        let Some(eq) = line.iter().position(|b| *b == b'=') else {
            // Never echo the line: it may hold a secret.
            return Err(ErrorKind::Parse {
                format: "dotenv",
                reason: format!("line {} has no '='", n + 1),
            });
        };
        let key = String::from_utf8_lossy(&line[..eq]).into_owned();
        let value = unescape_newlines(&line[eq + 1..]);
        if let Some(md) = key.strip_prefix(PREFIX) {
            metadata.push((md.to_owned(), String::from_utf8_lossy(&value).into_owned()));
        } else {
            items.push(Item::Pair(key, Node::Leaf(Leaf::new(Scalar::Str(value)))));
        }
    }
    Ok(Parsed { items, metadata })
}

enum Token {
    Key(String),
    Index(usize),
}

/// sops' `tokenize`: `age__list_0__map_enc` → `age`, `[0]`, `enc`.
fn tokenize(path: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = path;
    let mut kind_is_list = false;
    loop {
        let next_map = rest.find(MAP_SEP);
        let next_list = rest.find(LIST_SEP);
        let (cut, sep_len, next_is_list) = match (next_map, next_list) {
            (Some(m), Some(l)) if l < m => (l, LIST_SEP.len(), true),
            (Some(m), _) => (m, MAP_SEP.len(), false),
            (None, Some(l)) => (l, LIST_SEP.len(), true),
            (None, None) => (rest.len(), 0, false),
        };
        let part = &rest[..cut];
        tokens.push(if kind_is_list {
            Token::Index(part.parse().unwrap_or(0))
        } else {
            Token::Key(part.to_owned())
        });
        if sep_len == 0 {
            break;
        }
        rest = &rest[cut + sep_len..];
        kind_is_list = next_is_list;
    }
    tokens
}

fn insert(node: &mut Node, tokens: &[Token], value: &str) {
    let Some((first, rest)) = tokens.split_first() else {
        return;
    };
    let leaf = || Node::Leaf(Leaf::new(Scalar::str(value)));
    let fresh = |rest: &[Token]| match rest.first() {
        Some(Token::Index(_)) => Node::List(Vec::new()),
        Some(Token::Key(_)) => Node::Map(Vec::new()),
        None => leaf(),
    };
    match (first, node) {
        (Token::Key(k), Node::Map(items)) => {
            let pos = items
                .iter()
                .position(|it| matches!(it, Item::Pair(key, _) if key == k));
            let pos = pos.unwrap_or_else(|| {
                items.push(Item::Pair(k.clone(), fresh(rest)));
                items.len() - 1
            });
            if let Some(Item::Pair(_, child)) = items.get_mut(pos) {
                if rest.is_empty() {
                    *child = leaf();
                } else {
                    insert(child, rest, value);
                }
            }
        }
        (Token::Index(i), Node::List(nodes)) => {
            // Indices come from our own input: refuse absurd ones instead of allocating them.
            if *i > 1024 {
                return;
            }
            while nodes.len() <= *i {
                nodes.push(fresh(rest));
            }
            if rest.is_empty() {
                nodes[*i] = leaf();
            } else {
                if !matches!(
                    (&rest[0], &nodes[*i]),
                    (Token::Key(_), Node::Map(_)) | (Token::Index(_), Node::List(_))
                ) {
                    nodes[*i] = fresh(rest);
                }
                insert(&mut nodes[*i], rest, value);
            }
        }
        _ => {}
    }
}

/// Rebuilds the metadata mapping from its flattened entries.
pub(crate) fn unflatten(entries: &[(String, String)]) -> Node {
    let mut root = Node::Map(Vec::new());
    for (k, v) in entries {
        insert(&mut root, &tokenize(k), v);
    }
    root
}

/// Writes the decrypted entries back as `KEY=value` lines.
pub(crate) fn emit(items: &[Item], size_hint: usize) -> SecretBuf {
    let mut out = SecretBuf::with_capacity(size_hint);
    for item in items {
        match item {
            Item::Comment(c) => {
                out.push_byte(b'#');
                out.push_str(&c.text);
            }
            Item::Pair(k, Node::Leaf(l)) => {
                out.push_str(k);
                out.push_byte(b'=');
                let text: Zeroizing<Vec<u8>> = match &l.value {
                    Scalar::Str(s) | Scalar::Bytes(s) => s.clone(),
                    Scalar::Null => Zeroizing::new(Vec::new()),
                    Scalar::Int(i) => Zeroizing::new(i.to_string().into_bytes()),
                    Scalar::Float(f) => Zeroizing::new(value::format_f(*f).into_bytes()),
                    Scalar::Bool(b) => Zeroizing::new(b.to_string().into_bytes()),
                    Scalar::Time(t) => Zeroizing::new(t.rfc3339_nano().into_bytes()),
                };
                for &b in text.iter() {
                    if b == b'\n' {
                        out.push_str("\\n");
                    } else {
                        out.push_byte(b);
                    }
                }
            }
            Item::Pair(k, _) => {
                out.push_str(k);
                out.push_byte(b'=');
            }
        }
        out.push_byte(b'\n');
    }
    out
}

/// Whether a dotenv document has `sops_*` metadata lines.
pub(crate) fn has_metadata(bytes: &[u8]) -> bool {
    bytes
        .split(|b| *b == b'\n')
        .any(|line| line.starts_with(PREFIX.as_bytes()) && line.contains(&b'='))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::get;

    #[test]
    fn unflattens_sops_metadata_keys() {
        let node = unflatten(&[
            ("age__list_0__map_enc".into(), "E0".into()),
            ("age__list_0__map_recipient".into(), "R0".into()),
            ("age__list_1__map_enc".into(), "E1".into()),
            ("mac".into(), "M".into()),
        ]);
        let Node::Map(items) = &node else {
            panic!("map")
        };
        let Some(Node::List(ages)) = get(items, "age") else {
            panic!("list")
        };
        assert_eq!(ages.len(), 2);
        assert!(get(items, "mac").is_some());
    }
}
