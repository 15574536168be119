//! Choosing objects: kustomize's `Selector` (anchored regular expressions on group, version,
//! kind, name and namespace, matched against an object's original and current ids) and
//! Kubernetes label-selector syntax for `labelSelector` / `annotationSelector`.

use regex::Regex;

use crate::kustomization::Selector;
use crate::resource::Resource;

/// A compiled selector.
pub(crate) struct SelectorRegex<'a> {
    sel: &'a Selector,
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Option<LabelSelector>,
    annotations: Option<LabelSelector>,
}

fn anchored(pattern: &str, what: &str) -> Result<Option<Regex>, String> {
    if pattern.is_empty() {
        return Ok(None);
    }
    Regex::new(&format!("^(?:{pattern})$"))
        .map(Some)
        .map_err(|e| format!("invalid {what} regular expression '{pattern}': {e}"))
}

impl<'a> SelectorRegex<'a> {
    pub(crate) fn new(sel: &'a Selector) -> Result<SelectorRegex<'a>, String> {
        let parse_sel = |s: &str, what: &str| -> Result<Option<LabelSelector>, String> {
            if s.is_empty() {
                Ok(None)
            } else {
                LabelSelector::parse(s)
                    .map(Some)
                    .map_err(|e| format!("invalid {what} '{s}': {e}"))
            }
        };
        Ok(SelectorRegex {
            sel,
            group: anchored(&sel.gvk.group, "group")?,
            version: anchored(&sel.gvk.version, "version")?,
            kind: anchored(&sel.gvk.kind, "kind")?,
            name: anchored(&sel.name, "name")?,
            namespace: anchored(&sel.namespace, "namespace")?,
            labels: parse_sel(&sel.label_selector, "labelSelector")?,
            annotations: parse_sel(&sel.annotation_selector, "annotationSelector")?,
        })
    }

    fn matches_opt(re: &Option<Regex>, s: &str) -> bool {
        re.as_ref().is_none_or(|r| r.is_match(s))
    }

    /// kustomize's `resWrangler.Select` test for one object.
    pub(crate) fn matches(&self, r: &Resource) -> bool {
        let _ = self.sel;
        let org = r.org_id();
        let cur = r.cur_id();
        if self.namespace.is_some()
            && !Self::matches_opt(&self.namespace, &org.effective_namespace())
            && !Self::matches_opt(&self.namespace, &cur.effective_namespace())
        {
            return false;
        }
        if self.name.is_some()
            && !Self::matches_opt(&self.name, &org.name)
            && !Self::matches_opt(&self.name, &cur.name)
        {
            return false;
        }
        let gvk = r.gvk();
        if !Self::matches_opt(&self.group, &gvk.group)
            || !Self::matches_opt(&self.version, &gvk.version)
            || !Self::matches_opt(&self.kind, &gvk.kind)
        {
            return false;
        }
        if let Some(ls) = &self.labels
            && !ls.matches(&r.labels())
        {
            return false;
        }
        if let Some(asel) = &self.annotations
            && !asel.matches(&r.annotations())
        {
            return false;
        }
        true
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Exists,
    NotExists,
    Equals(String),
    NotEquals(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Gt(i64),
    Lt(i64),
}

/// A parsed Kubernetes label selector (`a=b,c!=d,e in (f,g),!h`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LabelSelector {
    reqs: Vec<(String, Op)>,
}

fn valid_label_value(v: &str) -> bool {
    if v.is_empty() {
        return true;
    }
    v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && v.starts_with(|c: char| c.is_ascii_alphanumeric())
        && v.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn valid_key(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    if let Some(p) = prefix
        && (p.is_empty()
            || p.len() > 253
            || !p.split('.').all(|l| {
                !l.is_empty()
                    && l.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            }))
    {
        return false;
    }
    !name.is_empty() && valid_label_value(name)
}

struct Lexer<'s> {
    s: &'s [u8],
    i: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Comma,
    Open,
    Close,
    Not,
    Eq,
    DoubleEq,
    NotEq,
    Gt,
    Lt,
    End,
}

impl Lexer<'_> {
    fn next(&mut self) -> Tok {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
        let Some(&c) = self.s.get(self.i) else {
            return Tok::End;
        };
        let two = self.s.get(self.i + 1).copied();
        self.i += 1;
        match c {
            b',' => Tok::Comma,
            b'(' => Tok::Open,
            b')' => Tok::Close,
            b'!' if two == Some(b'=') => {
                self.i += 1;
                Tok::NotEq
            }
            b'!' => Tok::Not,
            b'=' if two == Some(b'=') => {
                self.i += 1;
                Tok::DoubleEq
            }
            b'=' => Tok::Eq,
            b'>' => Tok::Gt,
            b'<' => Tok::Lt,
            _ => {
                let start = self.i - 1;
                while self.i < self.s.len()
                    && !self.s[self.i].is_ascii_whitespace()
                    && !b",()!=<>".contains(&self.s[self.i])
                {
                    self.i += 1;
                }
                Tok::Ident(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
            }
        }
    }

    fn peek(&mut self) -> Tok {
        let save = self.i;
        let t = self.next();
        self.i = save;
        t
    }
}

impl LabelSelector {
    /// Parses the Kubernetes selector syntax.
    pub(crate) fn parse(s: &str) -> Result<LabelSelector, String> {
        let mut lx = Lexer {
            s: s.as_bytes(),
            i: 0,
        };
        let mut reqs = Vec::new();
        loop {
            let t = lx.next();
            match t {
                Tok::End => break,
                Tok::Not => {
                    let Tok::Ident(k) = lx.next() else {
                        return Err("expected a key after '!'".into());
                    };
                    if !valid_key(&k) {
                        return Err(format!("invalid label key '{k}'"));
                    }
                    reqs.push((k, Op::NotExists));
                }
                Tok::Ident(k) => {
                    if !valid_key(&k) {
                        return Err(format!("invalid label key '{k}'"));
                    }
                    let op = match lx.peek() {
                        Tok::Comma | Tok::End => Op::Exists,
                        Tok::Eq | Tok::DoubleEq | Tok::NotEq | Tok::Gt | Tok::Lt => {
                            let opt = lx.next();
                            let v = match lx.peek() {
                                Tok::Ident(v) => {
                                    lx.next();
                                    v
                                }
                                _ => String::new(),
                            };
                            if !valid_label_value(&v) {
                                return Err(format!("invalid label value '{v}'"));
                            }
                            match opt {
                                Tok::NotEq => Op::NotEquals(v),
                                Tok::Gt | Tok::Lt => {
                                    let n: i64 = v
                                        .parse()
                                        .map_err(|_| format!("'{v}' is not an integer"))?;
                                    if opt == Tok::Gt { Op::Gt(n) } else { Op::Lt(n) }
                                }
                                _ => Op::Equals(v),
                            }
                        }
                        Tok::Ident(w) if w == "in" || w == "notin" => {
                            lx.next();
                            if lx.next() != Tok::Open {
                                return Err(format!("expected '(' after '{w}'"));
                            }
                            let mut vals = Vec::new();
                            loop {
                                match lx.next() {
                                    Tok::Ident(v) => {
                                        if !valid_label_value(&v) {
                                            return Err(format!("invalid label value '{v}'"));
                                        }
                                        vals.push(v);
                                    }
                                    Tok::Comma => {}
                                    Tok::Close => break,
                                    _ => return Err("unterminated value set".into()),
                                }
                            }
                            if w == "in" {
                                Op::In(vals)
                            } else {
                                Op::NotIn(vals)
                            }
                        }
                        other => return Err(format!("unexpected token {other:?} after key '{k}'")),
                    };
                    reqs.push((k, op));
                }
                other => return Err(format!("unexpected token {other:?}")),
            }
            match lx.next() {
                Tok::Comma => {}
                Tok::End => break,
                other => return Err(format!("expected ',' but found {other:?}")),
            }
        }
        Ok(LabelSelector { reqs })
    }

    /// Whether a label set satisfies every requirement.
    pub(crate) fn matches(&self, labels: &[(String, String)]) -> bool {
        let get = |k: &str| {
            labels
                .iter()
                .find(|(lk, _)| lk == k)
                .map(|(_, v)| v.as_str())
        };
        self.reqs.iter().all(|(k, op)| {
            let v = get(k);
            match op {
                Op::Exists => v.is_some(),
                Op::NotExists => v.is_none(),
                Op::Equals(x) => v == Some(x.as_str()),
                Op::NotEquals(x) => v != Some(x.as_str()),
                Op::In(xs) => v.is_some_and(|v| xs.iter().any(|x| x == v)),
                Op::NotIn(xs) => v.is_none_or(|v| !xs.iter().any(|x| x == v)),
                Op::Gt(n) => v
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|x| x > *n),
                Op::Lt(n) => v
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|x| x < *n),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn label_selector_syntax() {
        let s = LabelSelector::parse("app=web, tier in (a,b),!legacy,env!=prod").unwrap();
        assert!(s.matches(&set(&[("app", "web"), ("tier", "a")])));
        assert!(!s.matches(&set(&[("app", "web"), ("tier", "c")])));
        assert!(!s.matches(&set(&[("app", "web"), ("tier", "a"), ("legacy", "")])));
        assert!(!s.matches(&set(&[("app", "web"), ("tier", "a"), ("env", "prod")])));
        assert!(LabelSelector::parse("a in (b").is_err());
    }
}
