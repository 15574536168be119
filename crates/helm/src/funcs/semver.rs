//! Sprig's `semver` and `semverCompare`, and the `*semver.Version` object `semver` returns.
//! Parsing, matching and ordering are `capstan-semver`'s (Masterminds v3.4, as Helm v4
//! vendors it); this module only adapts them to templates, with Masterminds' error texts.
//!
//! The trap: a pre-release version satisfies no constraint whose `||` alternative does not
//! itself name a pre-release, which is why charts write `>=1.19-0`.

use std::cmp::Ordering;
use std::rc::Rc;

use capstan_semver::{Constraint, Version, compare, try_parse_version};

use super::{FnResult, Registry, Ty, arg_str, err};
use crate::template::value::{Object, Value};

/// What `semver` returns: Masterminds' `*semver.Version`, which remembers the text it was
/// read from (`.Original`).
pub(crate) struct SemverObj {
    version: Version,
    original: Rc<str>,
}

/// Methods comparing with another `*semver.Version`, as Masterminds defines them.
const COMPARISONS: [&str; 6] = [
    "Compare",
    "Equal",
    "GreaterThan",
    "GreaterThanEqual",
    "LessThan",
    "LessThanEqual",
];

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
        ) || COMPARISONS.contains(&name)
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let v = &self.version;
        if COMPARISONS.contains(&name) {
            let order = compare(v, other_version(name, args)?);
            return Ok(match name {
                "Compare" => Value::Int(match order {
                    Ordering::Less => -1,
                    Ordering::Equal => 0,
                    Ordering::Greater => 1,
                }),
                "Equal" => Value::Bool(order == Ordering::Equal),
                "GreaterThan" => Value::Bool(order == Ordering::Greater),
                "GreaterThanEqual" => Value::Bool(order != Ordering::Less),
                "LessThan" => Value::Bool(order == Ordering::Less),
                _ => Value::Bool(order != Ordering::Greater),
            });
        }
        Ok(match name {
            "Major" => Value::U64(v.major),
            "Minor" => Value::U64(v.minor),
            "Patch" => Value::U64(v.patch),
            "Prerelease" => Value::from(v.pre.to_string()),
            "Metadata" => Value::from(v.build.to_string()),
            "Original" => Value::Str(self.original.clone()),
            _ => Value::from(v.to_string()),
        })
    }
    fn display(&self) -> String {
        self.version.to_string()
    }
    fn as_semver(&self) -> Option<&Version> {
        Some(&self.version)
    }
}

/// The one `*semver.Version` argument of a comparison method.
fn other_version<'a>(name: &str, args: &'a [Value]) -> Result<&'a Version, String> {
    let [arg] = args else {
        return Err(format!(
            "wrong number of args for {name}: want 1 got {}",
            args.len()
        ));
    };
    match arg {
        Value::Object(o) => o.as_semver(),
        _ => None,
    }
    .ok_or_else(|| {
        format!(
            "can't handle {} for arg of type *semver.Version",
            arg.type_name()
        )
    })
}

pub(crate) fn register(r: &mut Registry) {
    use Ty::Str;
    r.add("semver", &[Str], None, |_, a| {
        let original = arg_str(&a, 0);
        match try_parse_version(&original) {
            Ok(version) => Ok(Value::Object(Rc::new(SemverObj { version, original }))),
            Err(e) => err(e.to_string()),
        }
    });
    r.add("semverCompare", &[Str, Str], None, |_, a| {
        semver_compare(&arg_str(&a, 0), &arg_str(&a, 1))
    });
}

/// Sprig's `semverCompare`: the constraint is read first, so its error wins.
fn semver_compare(constraint: &str, version: &str) -> FnResult {
    let c = Constraint::parse_masterminds(constraint).or_else(|e| err(e.to_string()))?;
    let v = try_parse_version(version).or_else(|e| err(e.to_string()))?;
    Ok(Value::Bool(c.matches(&v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funcs::FnError;

    fn message(result: FnResult) -> String {
        match result {
            Err(FnError::Msg(m)) => m,
            other => panic!("expected an error message, got {other:?}"),
        }
    }

    #[test]
    fn semver_compare_reports_the_constraint_before_the_version() {
        assert_eq!(
            message(semver_compare("banana", "nope")),
            "improper constraint: banana"
        );
        assert_eq!(
            message(semver_compare(">=1.0", "not-a-version")),
            "invalid semantic version"
        );
        assert_eq!(
            message(semver_compare(">=1.0", "1.2.3-01")),
            "version segment starts with 0"
        );
    }

    #[test]
    fn a_prerelease_anywhere_in_the_group_admits_prereleases() {
        // Masterminds v3.4, as Helm v4.1.4 renders it.
        assert!(matches!(
            semver_compare(">=1.19-0 <2", "v1.28.3-eks-1"),
            Ok(Value::Bool(true))
        ));
        assert!(matches!(
            semver_compare(">=1.19", "v1.28.3-eks-1"),
            Ok(Value::Bool(false))
        ));
    }

    #[test]
    fn the_object_compares_with_another_version() {
        let obj = |text: &str| -> Value {
            let version = try_parse_version(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            Value::Object(Rc::new(SemverObj {
                version,
                original: text.into(),
            }))
        };
        let Value::Object(a) = obj("v1.2.3") else {
            unreachable!("obj builds objects")
        };
        let call = |name: &str, other: &str| a.call_method(name, &[obj(other)]);
        assert!(matches!(call("Compare", "1.2.4"), Ok(Value::Int(-1))));
        assert!(matches!(call("Compare", "1.2.3+x"), Ok(Value::Int(0))));
        assert!(matches!(call("Equal", "1.2.3"), Ok(Value::Bool(true))));
        assert!(matches!(
            call("GreaterThan", "1.2.3-rc.1"),
            Ok(Value::Bool(true))
        ));
        assert!(matches!(
            call("LessThanEqual", "1.2.2"),
            Ok(Value::Bool(false))
        ));
        assert!(matches!(a.call_method("Original", &[]), Ok(Value::Str(s)) if &*s == "v1.2.3"));
        assert!(a.call_method("Compare", &[Value::from("1.2.4")]).is_err());
    }
}
