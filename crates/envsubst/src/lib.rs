//! `capstan-envsubst`: the variable substitution Flux runs after `kustomize build`
//! (`spec.postBuild.substitute`), with the semantics of the `drone/envsubst` library Flux uses.
//!
//! [`substitute`] rewrites a text (one object's YAML) replacing `$var` and `${var}` forms:
//! `${var:=default}` / `${var:-default}` / `${var=default}` / `${var-default}` (default when
//! unset or empty), `${#var}` (length), `${var^}` `${var^^}` `${var,}` `${var,,}` (case),
//! `${var:pos}` `${var:pos:len}` (substring), `${var#p}` `${var##p}` `${var%p}` `${var%%p}`
//! (trim, `*` and `?` as globs), `${var/p/r}` `${var//p/r}` `${var/#p/r}` `${var/%p/r}`
//! (replace). `$$` escapes a dollar, so `$${var}` renders `${var}`. Defaults may nest
//! (`${a:=${b}}`).
//!
//! With [`Mode::Strict`] (Flux's `StrictPostBuildSubstitutions`, on by default) a variable
//! that is unset and has no default is an error naming it; otherwise it becomes empty.
//! [`valid_name`] checks Flux's variable-name rule. Pure: no environment is read.

mod eval;
mod pattern;

pub use eval::{Error, Mode, substitute};

/// Flux's rule for variable names: `^[_[:alpha:]][_[:alpha:][:digit:]]*$`.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names_follow_flux() {
        assert!(valid_name("cluster_name"));
        assert!(valid_name("_x1"));
        assert!(!valid_name("1x"));
        assert!(!valid_name("a-b"));
        assert!(!valid_name(""));
    }
}
