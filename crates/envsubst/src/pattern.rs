//! Shell glob patterns (`*`, `?`, literal otherwise) for the trim and replace operators.

/// Lengths of the prefixes of `text` that `pattern` matches, shortest first.
pub(crate) fn prefix_matches(text: &str, pattern: &str) -> Vec<usize> {
    let mut ends: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    ends.retain(|&end| matches(&text[..end], pattern));
    ends
}

/// Start offsets of the suffixes of `text` that `pattern` matches, shortest suffix first.
pub(crate) fn suffix_matches(text: &str, pattern: &str) -> Vec<usize> {
    let mut starts: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    starts.reverse();
    starts.retain(|&start| matches(&text[start..], pattern));
    starts
}

/// Whether all of `text` matches `pattern`.
pub(crate) fn matches(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    // Iterative glob match with backtracking on the last `*`.
    let (mut t, mut p) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            t += 1;
            p += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    while p < pattern.len() && pattern[p] == '*' {
        p += 1;
    }
    p == pattern.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_the_shell() {
        assert!(matches("abc", "a*"));
        assert!(matches("abc", "a?c"));
        assert!(matches("abc", "*"));
        assert!(!matches("abc", "b*"));
        assert!(matches("", "*"));
        assert_eq!(prefix_matches("a.b.c", "*."), vec![2, 4]);
        assert_eq!(suffix_matches("a.b.c", ".*"), vec![3, 1]);
    }
}
