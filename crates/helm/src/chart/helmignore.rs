//! `.helmignore`, with Helm's exact (and slightly odd) rule semantics: patterns without a
//! slash match the base name, `**` is refused, a trailing `/` matches directories only, and a
//! negated rule that does *not* match ignores the path.

/// Go's `filepath.Match` on `/`-separated names.
pub(crate) fn go_match(pattern: &str, name: &str) -> Result<bool, String> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_from(&p, &n)
}

fn match_from(p: &[char], n: &[char]) -> Result<bool, String> {
    let mut pi = 0;
    let mut ni = 0;
    while pi < p.len() {
        match p[pi] {
            '*' => {
                // Collapse stars; a star does not cross '/'.
                while pi < p.len() && p[pi] == '*' {
                    pi += 1;
                }
                if pi == p.len() {
                    return Ok(!n[ni..].contains(&'/'));
                }
                let mut k = ni;
                loop {
                    if match_from(&p[pi..], &n[k..])? {
                        return Ok(true);
                    }
                    if k >= n.len() || n[k] == '/' {
                        return Ok(false);
                    }
                    k += 1;
                }
            }
            '?' => {
                if ni >= n.len() || n[ni] == '/' {
                    return Ok(false);
                }
                pi += 1;
                ni += 1;
            }
            '[' => {
                let (matched, next) = match_class(p, pi, n.get(ni).copied())?;
                if !matched || ni >= n.len() {
                    return Ok(false);
                }
                pi = next;
                ni += 1;
            }
            '\\' => {
                let Some(&c) = p.get(pi + 1) else {
                    return Err("syntax error in pattern".into());
                };
                if n.get(ni) != Some(&c) {
                    return Ok(false);
                }
                pi += 2;
                ni += 1;
            }
            c => {
                if n.get(ni) != Some(&c) {
                    return Ok(false);
                }
                pi += 1;
                ni += 1;
            }
        }
    }
    Ok(ni == n.len())
}

fn match_class(p: &[char], start: usize, c: Option<char>) -> Result<(bool, usize), String> {
    let mut i = start + 1;
    let negate = p.get(i) == Some(&'^');
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let Some(&ch) = p.get(i) else {
            return Err("syntax error in pattern".into());
        };
        if ch == ']' && !first {
            i += 1;
            break;
        }
        first = false;
        let lo = if ch == '\\' {
            i += 1;
            *p.get(i).ok_or("syntax error in pattern")?
        } else {
            ch
        };
        i += 1;
        let mut hi = lo;
        if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|x| *x != ']') {
            i += 1;
            hi = if p.get(i) == Some(&'\\') {
                i += 1;
                *p.get(i).ok_or("syntax error in pattern")?
            } else {
                *p.get(i).ok_or("syntax error in pattern")?
            };
            i += 1;
        }
        if let Some(c) = c
            && lo <= c
            && c <= hi
        {
            matched = true;
        }
    }
    Ok((matched != negate && c.is_some_and(|c| c != '/'), i))
}

#[derive(Debug, Clone)]
struct Pattern {
    rule: String,
    negate: bool,
    must_dir: bool,
    kind: MatchKind,
}

#[derive(Debug, Clone, Copy)]
enum MatchKind {
    Root,
    Structural,
    Base,
}

/// A parsed `.helmignore`.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    patterns: Vec<Pattern>,
}

impl Rules {
    /// Parses `.helmignore` text; `**` and malformed patterns are errors, as in Helm.
    pub fn parse(text: &str) -> Result<Rules, String> {
        let mut r = Rules::default();
        for line in text.lines() {
            r.add(line)?;
        }
        Ok(r)
    }

    fn add(&mut self, raw: &str) -> Result<(), String> {
        let mut rule = raw.trim().to_string();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".into());
        }
        go_match(&rule, "abc")?;
        let mut negate = false;
        if let Some(r) = rule.strip_prefix('!') {
            negate = true;
            rule = r.to_string();
        }
        let mut must_dir = false;
        if let Some(r) = rule.strip_suffix('/') {
            must_dir = true;
            rule = r.to_string();
        }
        let kind = if let Some(r) = rule.strip_prefix('/') {
            rule = r.to_string();
            MatchKind::Root
        } else if rule.contains('/') {
            MatchKind::Structural
        } else {
            MatchKind::Base
        };
        self.patterns.push(Pattern {
            rule,
            negate,
            must_dir,
            kind,
        });
        Ok(())
    }

    /// Helm's default rule: hidden files under `templates/`.
    pub(crate) fn add_defaults(&mut self) {
        let _ = self.add("templates/.?*");
    }

    fn matches(p: &Pattern, path: &str) -> bool {
        let target = match p.kind {
            MatchKind::Root | MatchKind::Structural => path,
            MatchKind::Base => path.rsplit('/').next().unwrap_or(path),
        };
        go_match(&p.rule, target).unwrap_or(false)
    }

    /// Whether `path` (relative, `/`-separated) is ignored.
    pub fn ignore(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for p in &self.patterns {
            if p.negate {
                if p.must_dir && !is_dir {
                    return true;
                }
                if !Self::matches(p, path) {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if Self::matches(p, path) {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_match_semantics() {
        assert!(go_match("*.txt", "a.txt").unwrap());
        assert!(!go_match("*.txt", "d/a.txt").unwrap());
        assert!(go_match("d/*.txt", "d/a.txt").unwrap());
        assert!(go_match("[a-c]x", "bx").unwrap());
        assert!(!go_match("[^a-c]x", "bx").unwrap());
        assert!(go_match("a?c", "abc").unwrap());
    }

    #[test]
    fn rules_follow_helm() {
        let r = Rules::parse("# c\n*.md\nci/\n/secret.txt\n").unwrap();
        assert!(r.ignore("README.md", false));
        assert!(r.ignore("docs/x.md", false));
        assert!(r.ignore("ci", true));
        assert!(!r.ignore("ci", false));
        assert!(r.ignore("secret.txt", false));
        assert!(Rules::parse("a/**/b").is_err());
    }
}
