//! The host objects templates see besides plain maps: `.Files` and `.Capabilities`.

use std::rc::Rc;

use base64::Engine as _;

use crate::template::value::{Map, Object, Value};

/// The Kubernetes API group/versions `helm template` assumes without a cluster (Helm v4.1.4,
/// client-go v1.35), in its order.
pub(crate) const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "autoscaling/v2beta1",
    "autoscaling/v2beta2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha1",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// gobwas/glob with `/` as separator: `*` stays within a segment, `**` crosses, `?`, `[..]`
/// and `{a,b}` alternatives.
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob_from(&p, &n, 0)
}

fn glob_from(p: &[char], n: &[char], depth: usize) -> bool {
    if depth > 64 {
        return false;
    }
    let Some(&c) = p.first() else {
        return n.is_empty();
    };
    match c {
        '*' => {
            let super_star = p.get(1) == Some(&'*');
            let rest = if super_star { &p[2..] } else { &p[1..] };
            for k in 0..=n.len() {
                if glob_from(rest, &n[k..], depth + 1) {
                    return true;
                }
                if k < n.len() && n[k] == '/' && !super_star {
                    return false;
                }
            }
            false
        }
        '?' => !n.is_empty() && n[0] != '/' && glob_from(&p[1..], &n[1..], depth + 1),
        '{' => {
            let Some(close) = p.iter().position(|x| *x == '}') else {
                return !n.is_empty() && n[0] == '{' && glob_from(&p[1..], &n[1..], depth + 1);
            };
            let inner: String = p[1..close].iter().collect();
            let rest = &p[close + 1..];
            inner.split(',').any(|alt| {
                let mut cand: Vec<char> = alt.chars().collect();
                cand.extend_from_slice(rest);
                glob_from(&cand, n, depth + 1)
            })
        }
        '[' => {
            let Some(close) = p.iter().skip(1).position(|x| *x == ']').map(|i| i + 1) else {
                return false;
            };
            let Some(&ch) = n.first() else { return false };
            let class = &p[1..close];
            let (neg, class) = match class.first() {
                Some('!' | '^') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if class.get(i + 1) == Some(&'-') && i + 2 < class.len() {
                    if class[i] <= ch && ch <= class[i + 2] {
                        hit = true;
                    }
                    i += 3;
                } else {
                    if class[i] == ch {
                        hit = true;
                    }
                    i += 1;
                }
            }
            hit != neg && glob_from(&p[close + 1..], &n[1..], depth + 1)
        }
        '\\' if p.len() > 1 => {
            !n.is_empty() && n[0] == p[1] && glob_from(&p[2..], &n[1..], depth + 1)
        }
        c => !n.is_empty() && n[0] == c && glob_from(&p[1..], &n[1..], depth + 1),
    }
}

/// `.Files`: the chart's non-template files, with Helm's accessors.
pub(crate) struct Files {
    pub(crate) files: Rc<Vec<(String, Rc<Vec<u8>>)>>,
}

impl Files {
    fn get(&self, name: &str) -> Option<&Rc<Vec<u8>>> {
        self.files.iter().find(|(n, _)| n == name).map(|(_, d)| d)
    }

    fn yaml_of(&self, f: impl Fn(&[u8]) -> String) -> String {
        let mut m = Map::new();
        for (n, d) in self.files.iter() {
            let base = n.rsplit('/').next().unwrap_or(n);
            m.insert(base.to_string(), Value::from(f(d)));
        }
        if m.is_empty() {
            return String::new();
        }
        crate::yaml::emit::to_yaml(&Value::map(m)).unwrap_or_default()
    }
}

impl Object for Files {
    fn type_name(&self) -> String {
        "engine.files".into()
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn has_method(&self, name: &str) -> bool {
        matches!(
            name,
            "Get" | "GetBytes" | "Glob" | "Lines" | "AsConfig" | "AsSecrets"
        )
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let want = |n: usize| -> Result<(), String> {
            if args.len() != n {
                return Err(format!(
                    "wrong number of args for {name}: want {n} got {}",
                    args.len()
                ));
            }
            Ok(())
        };
        let arg0 = || -> Result<String, String> {
            match args.first() {
                Some(Value::Str(s)) => Ok(s.to_string()),
                Some(other) => Err(format!(
                    "wrong type for value; expected string; got {}",
                    other.type_name()
                )),
                None => Err("invalid value; expected string".into()),
            }
        };
        match name {
            "Get" => {
                want(1)?;
                let n = arg0()?;
                Ok(Value::from(self.get(&n).map_or(String::new(), |d| {
                    String::from_utf8_lossy(d).into_owned()
                })))
            }
            "GetBytes" => {
                want(1)?;
                let n = arg0()?;
                Ok(Value::Bytes(self.get(&n).cloned().unwrap_or_default()))
            }
            "Glob" => {
                want(1)?;
                let pat = arg0()?;
                let files: Vec<(String, Rc<Vec<u8>>)> = self
                    .files
                    .iter()
                    .filter(|(n, _)| glob_match(&pat, n))
                    .cloned()
                    .collect();
                Ok(Value::Object(Rc::new(Files {
                    files: Rc::new(files),
                })))
            }
            "Lines" => {
                want(1)?;
                let n = arg0()?;
                let Some(d) = self.get(&n) else {
                    return Ok(Value::list(Vec::new()));
                };
                let mut s = String::from_utf8_lossy(d).into_owned();
                if s.ends_with('\n') {
                    s.pop();
                }
                Ok(Value::list(s.split('\n').map(Value::from).collect()))
            }
            "AsConfig" => {
                want(0)?;
                Ok(Value::from(
                    self.yaml_of(|d| String::from_utf8_lossy(d).into_owned()),
                ))
            }
            _ => {
                want(0)?;
                Ok(Value::from(self.yaml_of(|d| {
                    base64::engine::general_purpose::STANDARD.encode(d)
                })))
            }
        }
    }
    fn display(&self) -> String {
        crate::template::gofmt::print_v(&self.to_data())
    }
    fn to_data(&self) -> Value {
        let m: Map = self
            .files
            .iter()
            .map(|(n, d)| (n.clone(), Value::Bytes(d.clone())))
            .collect();
        Value::map(m)
    }
    fn as_map(&self) -> Option<Value> {
        Some(self.to_data())
    }
}

/// `.Capabilities.KubeVersion`.
pub(crate) struct KubeVersion {
    pub(crate) version: String,
    pub(crate) major: String,
    pub(crate) minor: String,
}

impl Object for KubeVersion {
    fn type_name(&self) -> String {
        "common.KubeVersion".into()
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::from(self.version.as_str())),
            "Major" => Some(Value::from(self.major.as_str())),
            "Minor" => Some(Value::from(self.minor.as_str())),
            _ => None,
        }
    }
    fn has_method(&self, name: &str) -> bool {
        matches!(name, "String" | "GitVersion")
    }
    fn call_method(&self, _name: &str, _args: &[Value]) -> Result<Value, String> {
        Ok(Value::from(self.version.as_str()))
    }
    fn display(&self) -> String {
        self.version.clone()
    }
    fn to_data(&self) -> Value {
        let mut m = Map::new();
        m.insert("Version".into(), Value::from(self.version.as_str()));
        m.insert("Major".into(), Value::from(self.major.as_str()));
        m.insert("Minor".into(), Value::from(self.minor.as_str()));
        Value::map(m)
    }
}

/// `.Capabilities.APIVersions`.
pub(crate) struct ApiVersions(pub(crate) Vec<String>);

impl Object for ApiVersions {
    fn type_name(&self) -> String {
        "common.VersionSet".into()
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn has_method(&self, name: &str) -> bool {
        name == "Has"
    }
    fn call_method(&self, _name: &str, args: &[Value]) -> Result<Value, String> {
        match args {
            [Value::Str(s)] => Ok(Value::Bool(self.0.iter().any(|v| **v == **s))),
            [other] => Err(format!(
                "wrong type for value; expected string; got {}",
                other.type_name()
            )),
            _ => Err(format!(
                "wrong number of args for Has: want 1 got {}",
                args.len()
            )),
        }
    }
    fn display(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }
    fn to_data(&self) -> Value {
        Value::list(self.0.iter().map(|s| Value::from(s.as_str())).collect())
    }
    fn as_list(&self) -> Option<Value> {
        Some(self.to_data())
    }
}

/// `.Capabilities.HelmVersion`.
pub(crate) struct HelmVersion;

impl Object for HelmVersion {
    fn type_name(&self) -> String {
        "version.BuildInfo".into()
    }
    fn field(&self, name: &str) -> Option<Value> {
        Some(Value::from(match name {
            "Version" => "v4.1.4",
            "GitCommit" => "05fa37973dc9e42b76e1d2883494c87174b6074f",
            "GitTreeState" => "clean",
            "GoVersion" => "go1.25.9",
            "KubeClientVersion" => "v1.35",
            _ => return None,
        }))
    }
    fn display(&self) -> String {
        "{v4.1.4 05fa37973dc9e42b76e1d2883494c87174b6074f clean go1.25.9 v1.35}".into()
    }
}

/// `.Capabilities`.
pub(crate) struct Capabilities {
    pub(crate) kube: Value,
    pub(crate) apis: Value,
}

impl Object for Capabilities {
    fn type_name(&self) -> String {
        "*common.Capabilities".into()
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(self.kube.clone()),
            "APIVersions" => Some(self.apis.clone()),
            "HelmVersion" => Some(Value::Object(Rc::new(HelmVersion))),
            _ => None,
        }
    }
    fn display(&self) -> String {
        format!(
            "&{{{{{} ...}} {} {}}}",
            crate::template::gofmt::print_v(&self.kube),
            crate::template::gofmt::print_v(&self.apis),
            HelmVersion.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_like_gobwas() {
        assert!(glob_match("files/*", "files/a.txt"));
        assert!(!glob_match("files/*", "files/sub/a.txt"));
        assert!(glob_match("files/**", "files/sub/a.txt"));
        assert!(glob_match("**.yaml", "a/b/c.yaml"));
        assert!(glob_match("files/{a,b}.txt", "files/b.txt"));
        assert!(glob_match("[ab].txt", "a.txt"));
    }
}
