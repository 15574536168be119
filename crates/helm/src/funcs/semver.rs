//! Masterminds/semver v3 as Sprig exposes it: `semver` and `semverCompare`. Also used for
//! Helm's `kubeVersion` checks and dependency version constraints.
//!
//! The trap: a pre-release version satisfies no constraint that does not itself carry a
//! pre-release, which is why charts write `>=1.19-0`.

use std::cmp::Ordering;
use std::rc::Rc;

use super::{FnResult, Registry, Ty, arg_str, err};
use crate::template::value::{Object, Value};

/// A parsed semantic version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    pub(crate) major: u64,
    pub(crate) minor: u64,
    pub(crate) patch: u64,
    pub(crate) pre: String,
    pub(crate) meta: String,
    pub(crate) original: String,
}

impl Version {
    /// Masterminds' lenient `NewVersion`: optional `v`, missing minor/patch are zero.
    pub(crate) fn parse(s: &str) -> Option<Version> {
        let body = s.strip_prefix('v').unwrap_or(s);
        let (body, meta) = match body.split_once('+') {
            Some((b, m)) => (b, m.to_string()),
            None => (body, String::new()),
        };
        let (core, pre) = match body.split_once('-') {
            Some((c, p)) => (c, p.to_string()),
            None => (body, String::new()),
        };
        let valid_ident = |x: &str| {
            !x.is_empty()
                && x.split('.').all(|p| {
                    !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
        };
        if (!pre.is_empty() || body.contains('-')) && !valid_ident(&pre) {
            return None;
        }
        if (!meta.is_empty() || s.contains('+')) && !valid_ident(&meta) {
            return None;
        }
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        let mut nums = [0u64; 3];
        for (i, p) in parts.iter().enumerate() {
            if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            nums[i] = p.parse().ok()?;
        }
        Some(Version {
            major: nums[0],
            minor: nums[1],
            patch: nums[2],
            pre,
            meta,
            original: s.to_string(),
        })
    }

    pub(crate) fn compare(&self, o: &Version) -> Ordering {
        self.major
            .cmp(&o.major)
            .then(self.minor.cmp(&o.minor))
            .then(self.patch.cmp(&o.patch))
            .then_with(|| compare_pre(&self.pre, &o.pre))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.meta.is_empty() {
            write!(f, "+{}", self.meta)?;
        }
        Ok(())
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for (x, y) in pa.iter().zip(pb.iter()) {
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(i), Ok(j)) => i.cmp(&j),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            _ => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    pa.len().cmp(&pb.len())
}

#[derive(Debug, Clone)]
struct Constraint {
    op: String,
    con: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

fn parse_one(c: &str) -> Result<Constraint, String> {
    let c = c.trim();
    let ops = ["!=", ">=", "=>", "<=", "=<", "~>", "~", "^", ">", "<", "="];
    let mut op = "";
    for o in ops {
        if c.starts_with(o) {
            op = o;
            break;
        }
    }
    let ver = c.get(op.len()..).unwrap_or("").trim();
    let ver = ver.strip_prefix('v').unwrap_or(ver);
    if ver.is_empty() || ver.starts_with(['-', '+']) {
        if ver.is_empty() && op.is_empty() {
            return Ok(Constraint {
                op: ">=".into(),
                con: Version::parse("0.0.0").ok_or("bad")?,
                dirty: true,
                minor_dirty: false,
                patch_dirty: false,
            });
        }
        return Err(format!("improper constraint: {c}"));
    }
    let (core, tail) = match ver.find(['-', '+']) {
        Some(i) => (&ver[..i], &ver[i..]),
        None => (ver, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !(is_x(p) || p.chars().all(|c| c.is_ascii_digit())))
    {
        return Err(format!("improper constraint: {c}"));
    }
    let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
    let v = match parts.as_slice() {
        [m, ..] if is_x(m) => {
            dirty = true;
            format!("0.0.0{tail}")
        }
        [m, n, ..] if is_x(n) => {
            dirty = true;
            minor_dirty = true;
            format!("{m}.0.0{tail}")
        }
        [m, n, p] if is_x(p) => {
            dirty = true;
            patch_dirty = true;
            format!("{m}.{n}.0{tail}")
        }
        _ => ver.to_string(),
    };
    let con = Version::parse(&v).ok_or_else(|| format!("improper constraint: {c}"))?;
    let op = match op {
        "=>" => ">=",
        "=<" => "<=",
        "~>" => "~",
        o => o,
    };
    // A missing minor or patch is a wildcard, as in Masterminds semver 3.3.
    if !dirty {
        if parts.len() == 1 {
            dirty = true;
            minor_dirty = true;
        } else if parts.len() == 2 {
            dirty = true;
            patch_dirty = true;
        }
    }
    Ok(Constraint {
        op: op.to_string(),
        con,
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version) -> bool {
        if !v.pre.is_empty() && self.con.pre.is_empty() {
            return false;
        }
        let c = &self.con;
        match self.op.as_str() {
            "" | "=" => {
                if self.dirty {
                    if self.minor_dirty {
                        return v.major == c.major;
                    }
                    if self.patch_dirty {
                        return v.major == c.major && v.minor == c.minor;
                    }
                    return true;
                }
                v.compare(c) == Ordering::Equal
            }
            "!=" => {
                if self.dirty {
                    if self.minor_dirty {
                        return v.major != c.major;
                    }
                    if self.patch_dirty {
                        return !(v.major == c.major && v.minor == c.minor);
                    }
                    return false;
                }
                v.compare(c) != Ordering::Equal
            }
            ">" => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Greater;
                }
                if v.major != c.major {
                    return v.major > c.major;
                }
                if self.minor_dirty {
                    return false;
                }
                if self.patch_dirty {
                    return v.minor > c.minor;
                }
                v.compare(c) == Ordering::Greater
            }
            "<" => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Less;
                }
                if v.major != c.major {
                    return v.major < c.major;
                }
                if self.minor_dirty {
                    return false;
                }
                v.minor < c.minor
            }
            ">=" => v.compare(c) != Ordering::Less,
            "<=" => {
                if !self.dirty {
                    return v.compare(c) != Ordering::Greater;
                }
                if v.major != c.major {
                    return v.major < c.major;
                }
                if self.minor_dirty {
                    return true;
                }
                v.minor <= c.minor
            }
            "~" => {
                if v.compare(c) == Ordering::Less {
                    return false;
                }
                if c.major == 0
                    && c.minor == 0
                    && c.patch == 0
                    && !self.minor_dirty
                    && !self.patch_dirty
                    && self.dirty
                {
                    return true;
                }
                if v.major != c.major {
                    return false;
                }
                if v.minor != c.minor && !self.minor_dirty {
                    return false;
                }
                true
            }
            "^" => {
                if v.compare(c) == Ordering::Less {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.major == 0 && v.minor == c.minor;
                }
                v.major == 0 && v.minor == 0 && v.patch == c.patch
            }
            _ => false,
        }
    }
}

/// A parsed constraint expression: OR of AND groups.
pub(crate) struct Constraints(Vec<Vec<Constraint>>);

impl Constraints {
    /// Parses `>=1.2 <2, ~3.1 || 4.x` and hyphen ranges.
    pub(crate) fn parse(s: &str) -> Result<Constraints, String> {
        let mut groups = Vec::new();
        for or in s.split("||") {
            let mut group = Vec::new();
            let mut tokens: Vec<String> = Vec::new();
            for part in or.split(',') {
                // Join operators separated from their version by spaces ("> 1.2").
                let mut pending = String::new();
                for w in part.split_whitespace() {
                    if ["!=", ">=", "=>", "<=", "=<", "~>", "~", "^", ">", "<", "="].contains(&w) {
                        pending.push_str(w);
                        continue;
                    }
                    tokens.push(format!("{pending}{w}"));
                    pending.clear();
                }
                if !pending.is_empty() {
                    return Err(format!("improper constraint: {s}"));
                }
                tokens.push(",".into());
            }
            let mut i = 0;
            while i < tokens.len() {
                let t = tokens.get(i).cloned().unwrap_or_default();
                if t == "," {
                    i += 1;
                    continue;
                }
                if tokens.get(i + 1).is_some_and(|n| n == "-") {
                    let end = tokens.get(i + 2).cloned().unwrap_or_default();
                    group.push(parse_one(&format!(">={t}"))?);
                    group.push(parse_one(&format!("<={end}"))?);
                    i += 3;
                    continue;
                }
                group.push(parse_one(&t)?);
                i += 1;
            }
            if group.is_empty() {
                group.push(parse_one("")?);
            }
            groups.push(group);
        }
        Ok(Constraints(groups))
    }

    /// Whether `v` satisfies any OR group.
    pub(crate) fn check(&self, v: &Version) -> bool {
        self.0.iter().any(|g| g.iter().all(|c| c.check(v)))
    }
}

struct SemverObj(Version);

impl Object for SemverObj {
    fn type_name(&self) -> String {
        "*semver.Version".into()
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn has_method(&self, name: &str) -> bool {
        matches!(
            name,
            "Major" | "Minor" | "Patch" | "Prerelease" | "Metadata" | "Original" | "String"
        )
    }
    fn call_method(&self, name: &str, _args: &[Value]) -> Result<Value, String> {
        let v = &self.0;
        Ok(match name {
            "Major" => Value::U64(v.major),
            "Minor" => Value::U64(v.minor),
            "Patch" => Value::U64(v.patch),
            "Prerelease" => Value::from(v.pre.clone()),
            "Metadata" => Value::from(v.meta.clone()),
            "Original" => Value::from(v.original.clone()),
            _ => Value::from(v.to_string()),
        })
    }
    fn display(&self) -> String {
        self.0.to_string()
    }
}

pub(crate) fn register(r: &mut Registry) {
    use Ty::Str;
    r.add("semver", &[Str], None, |_, a| {
        let s = arg_str(&a, 0);
        match Version::parse(&s) {
            Some(v) => Ok(Value::Object(Rc::new(SemverObj(v)))),
            None => err("invalid semantic version"),
        }
    });
    r.add("semverCompare", &[Str, Str], None, |_, a| {
        semver_compare(&arg_str(&a, 0), &arg_str(&a, 1))
    });
}

fn semver_compare(constraint: &str, version: &str) -> FnResult {
    let c = Constraints::parse(constraint).or_else(err)?;
    let Some(v) = Version::parse(version) else {
        return err("invalid semantic version");
    };
    Ok(Value::Bool(c.check(&v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sat(c: &str, v: &str) -> bool {
        Constraints::parse(c)
            .unwrap()
            .check(&Version::parse(v).unwrap())
    }

    #[test]
    fn constraints_follow_masterminds() {
        assert!(sat(">=1.19-0", "v1.28.3-eks-123"));
        assert!(!sat(">=1.19", "v1.28.3-eks-123"));
        assert!(sat("~1.2.3", "1.2.9"));
        assert!(!sat("~1.2.3", "1.3.0"));
        assert!(sat("^1.2.3", "1.9.0"));
        assert!(!sat("^0.2.3", "0.3.0"));
        assert!(sat("1.2.x", "1.2.7"));
        assert!(sat(">=1.2, <2", "1.5.0"));
        assert!(sat(">=1.2 <2 || >=3", "3.1.0"));
        assert!(sat("1.2 - 1.4", "1.3.0"));
        assert!(sat("*", "5.0.0"));
        assert!(sat("<1.21", "1.20.5"));
    }
}
