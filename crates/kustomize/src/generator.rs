//! `configMapGenerator` and `secretGenerator`: key/value sources (literals, files, env
//! files), generator options, and the content-hash name suffix.
//!
//! Faithful details: env-file values keep their quotes and trailing blanks (a trailing CR is
//! dropped), literal values lose one pair of surrounding quotes, keys are not validated,
//! binary (non UTF-8) file content goes to `binaryData`, base64 is wrapped at 70 columns, and
//! the hash covers kind, data, binaryData (and type for Secrets) but — because of a kyaml
//! lookup quirk — not the name.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::kustomization::{GeneratorArgs, GeneratorOptions};
use crate::resource::Resource;
use crate::value::{Map, Value};
use crate::yaml::scalar::go_json_float;

/// A key/value pair with its raw bytes.
struct Pair {
    key: String,
    value: Vec<u8>,
}

/// Where generator inputs come from: reads a file relative to the kustomization, and the
/// process environment (for env-file lines without `=`).
pub(crate) trait KvSource {
    fn load(&self, path: &str) -> Result<Vec<u8>, String>;
    fn env(&self, key: &str) -> Option<String>;
}

fn remove_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        return &s[1..s.len() - 1];
    }
    s
}

fn literal_pair(src: &str) -> Result<Pair, String> {
    if src.starts_with('=') {
        return Err(format!("invalid literal source {src}, expected key=value"));
    }
    match src.split_once('=') {
        Some((k, v)) => Ok(Pair {
            key: k.to_string(),
            value: remove_quotes(v).as_bytes().to_vec(),
        }),
        None => Err(format!("invalid literal source {src}, expected key=value")),
    }
}

fn file_source(src: &str) -> Result<(String, String), String> {
    let n = src.matches('=').count();
    if n == 0 {
        let base = src
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(src)
            .to_string();
        return Ok((base, src.to_string()));
    }
    if n > 1 {
        return Err("key names or file paths cannot contain '='".into());
    }
    let (k, p) = src.split_once('=').unwrap_or((src, ""));
    if k.is_empty() {
        return Err(format!(
            "missing key name for file path \"{p}\" in source \"{src}\""
        ));
    }
    if p.is_empty() {
        return Err(format!(
            "missing file path for key name \"{k}\" in source \"{src}\""
        ));
    }
    Ok((k.to_string(), p.to_string()))
}

fn env_pairs(content: &[u8], src: &dyn KvSource) -> Result<Vec<Pair>, String> {
    let mut out = Vec::new();
    let text =
        std::str::from_utf8(content).map_err(|_| "env file has invalid utf8 bytes".to_string())?;
    for (n, raw) in text.split('\n').enumerate() {
        let mut line = raw.strip_suffix('\r').unwrap_or(raw);
        if n == 0 {
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (line.to_string(), src.env(line).unwrap_or_default()),
        };
        if key.is_empty() {
            return Err(format!("line {}: empty key in env file", n + 1));
        }
        out.push(Pair {
            key,
            value: value.into_bytes(),
        });
    }
    Ok(out)
}

/// Gathers the pairs of one generator: env files, then literals, then files.
fn load_pairs(args: &GeneratorArgs, src: &dyn KvSource) -> Result<Vec<Pair>, String> {
    let mut all = Vec::new();
    for p in &args.envs {
        let content = src.load(p).map_err(|e| format!("env source '{p}': {e}"))?;
        all.extend(env_pairs(&content, src).map_err(|e| format!("env source '{p}': {e}"))?);
    }
    for l in &args.literals {
        all.push(literal_pair(l).map_err(|e| format!("literal source '{l}': {e}"))?);
    }
    for f in &args.files {
        let (key, path) = file_source(f).map_err(|e| format!("file source '{f}': {e}"))?;
        let value = src
            .load(&path)
            .map_err(|e| format!("file source '{f}': {e}"))?;
        all.push(Pair { key, value });
    }
    let mut seen: Vec<&str> = Vec::new();
    for p in &all {
        if let Some(what) = crate::yaml::parse::non_string_key(&p.key) {
            return Err(format!(
                "key '{}' would be written as a plain YAML key that reads back as {what}; kustomize cannot print the result",
                p.key
            ));
        }
        if seen.contains(&p.key.as_str()) {
            return Err(format!(
                "{} {} illegally repeats the key `{}`",
                "configmap", args.name, p.key
            ));
        }
        seen.push(&p.key);
    }
    Ok(all)
}

/// kyaml's `encodeBase64`: standard base64 broken into 70-column lines when longer.
fn encode_base64(bytes: &[u8]) -> String {
    let enc = base64::engine::general_purpose::STANDARD.encode(bytes);
    let lines = enc.len() / 70 + 1;
    if lines <= 1 {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + lines);
    for chunk in enc.as_bytes().chunks(70) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out
}

/// `generatorOptions` merged into an entry's `options` (entry wins; flags are or-ed).
pub(crate) fn merge_options(
    local: Option<&GeneratorOptions>,
    global: Option<&GeneratorOptions>,
) -> GeneratorOptions {
    let mut out = local.cloned().unwrap_or_default();
    if let Some(g) = global {
        if !out.has_labels {
            out.labels.clone_from(&g.labels);
            out.has_labels = g.has_labels;
        } else {
            for (k, v) in &g.labels {
                if !out.labels.iter().any(|(lk, _)| lk == k) {
                    out.labels.push((k.clone(), v.clone()));
                }
            }
        }
        if !out.has_annotations {
            out.annotations.clone_from(&g.annotations);
            out.has_annotations = g.has_annotations;
        } else {
            for (k, v) in &g.annotations {
                if !out.annotations.iter().any(|(ak, _)| ak == k) {
                    out.annotations.push((k.clone(), v.clone()));
                }
            }
        }
        out.disable_name_suffix_hash |= g.disable_name_suffix_hash;
        out.immutable |= g.immutable;
    }
    out
}

fn sorted_map(pairs: &[(String, String)]) -> Map {
    let mut v: Vec<&(String, String)> = pairs.iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v.into_iter()
        .map(|(k, val)| (k.clone(), Value::String(val.clone())))
        .collect()
}

/// Builds the ConfigMap (or Secret) an entry describes.
pub(crate) fn generate(
    args: &GeneratorArgs,
    secret: bool,
    opts: &GeneratorOptions,
    src: &dyn KvSource,
) -> Result<Resource, String> {
    let _ = secret;
    let mut pairs = load_pairs(args, src)?;
    pairs.sort_by(|a, b| a.key.cmp(&b.key));
    let mut obj = Map::new();
    obj.insert("apiVersion".into(), Value::from("v1"));
    obj.insert(
        "kind".into(),
        Value::from(if secret { "Secret" } else { "ConfigMap" }),
    );
    let mut meta = Map::new();
    meta.insert("name".into(), Value::String(args.name.clone()));
    if !args.namespace.is_empty() {
        meta.insert("namespace".into(), Value::String(args.namespace.clone()));
    }
    obj.insert("metadata".into(), Value::Map(meta));
    if secret {
        let t = if args.secret_type.is_empty() {
            "Opaque"
        } else {
            args.secret_type.as_str()
        };
        obj.insert("type".into(), Value::from(t));
        let mut data = Map::new();
        for p in &pairs {
            data.insert(p.key.clone(), Value::String(encode_base64(&p.value)));
        }
        obj.insert("data".into(), Value::Map(data));
    } else {
        let mut data = Map::new();
        let mut binary = Map::new();
        for p in &pairs {
            match String::from_utf8(p.value.clone()) {
                Ok(s) => {
                    data.insert(p.key.clone(), Value::String(s));
                }
                Err(_) => {
                    binary.insert(p.key.clone(), Value::String(encode_base64(&p.value)));
                }
            }
        }
        if !data.is_empty() {
            obj.insert("data".into(), Value::Map(data));
        }
        if !binary.is_empty() {
            obj.insert("binaryData".into(), Value::Map(binary));
        }
    }
    let mut res = Resource::new(Value::Map(obj));
    for (k, v) in sorted_map(&opts.labels) {
        if let Value::String(s) = v {
            res.set_meta_entry("labels", &k, &s);
        }
    }
    for (k, v) in sorted_map(&opts.annotations) {
        if let Value::String(s) = v {
            res.set_meta_entry("annotations", &k, &s);
        }
    }
    if opts.immutable
        && let Some(m) = res.obj.as_map_mut()
    {
        m.insert("immutable".into(), Value::Bool(true));
    }
    res.meta.needs_hash = !opts.disable_name_suffix_hash;
    res.meta.behavior = args.behavior;
    Ok(res)
}

// ---------------------------------------------------------------------------------------------
// Content hash.

/// Go's `encoding/json` string escaping (HTML-safe, like `json.Marshal`).
fn go_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json.Marshal` of a value (map keys sorted bytewise).
pub(crate) fn go_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::UInt(u) => out.push_str(&u.to_string()),
        Value::Float(f) => out.push_str(&go_json_float(*f)),
        Value::String(s) => go_json_string(s, out),
        Value::Seq(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(x, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_string(k, out);
                out.push(':');
                if let Some(x) = m.get(k.as_str()) {
                    go_json(x, out);
                }
            }
            out.push('}');
        }
    }
}

fn field_for_hash(obj: &Value, field: &str) -> Value {
    match obj.get(field) {
        None => Value::String(String::new()),
        Some(v @ (Value::Map(_) | Value::Seq(_))) => v.clone(),
        Some(v) => Value::String(v.scalar_text().unwrap_or_default()),
    }
}

/// kustomize's name hash of a ConfigMap or Secret (10 characters).
pub(crate) fn content_hash(res: &Resource) -> String {
    let obj = &res.obj;
    let kind = res.kind();
    let mut m = Map::new();
    let json_input = match kind.as_str() {
        "ConfigMap" | "Secret" => {
            m.insert("kind".into(), Value::String(kind.clone()));
            // kyaml looks up "metadata/name" as a single key, which never exists.
            m.insert("name".into(), Value::String(String::new()));
            m.insert("data".into(), field_for_hash(obj, "data"));
            if kind == "ConfigMap" {
                if let Some(b @ Value::Map(_)) = obj.get("binaryData") {
                    m.insert("binaryData".into(), b.clone());
                }
            } else {
                m.insert("type".into(), field_for_hash(obj, "type"));
                if let Some(s @ Value::Map(_)) = obj.get("stringData") {
                    m.insert("stringData".into(), s.clone());
                }
            }
            Value::Map(m)
        }
        _ => obj.clone(),
    };
    let mut json = String::new();
    go_json(&json_input, &mut json);
    let digest = Sha256::digest(json.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    hex.chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoFiles;
    impl KvSource for NoFiles {
        fn load(&self, path: &str) -> Result<Vec<u8>, String> {
            Err(format!("no file {path}"))
        }
        fn env(&self, _key: &str) -> Option<String> {
            None
        }
    }

    #[test]
    fn hash_matches_kustomize_for_podinfo_redis_config() {
        let data = "maxmemory 64mb\nmaxmemory-policy allkeys-lru\nsave \"\"\nappendonly no\n";
        let mut obj = Map::new();
        obj.insert("apiVersion".into(), Value::from("v1"));
        obj.insert("kind".into(), Value::from("ConfigMap"));
        let mut d = Map::new();
        d.insert("redis.conf".into(), Value::from(data));
        obj.insert("data".into(), Value::Map(d));
        assert_eq!(content_hash(&Resource::new(Value::Map(obj))), "bd2fcfgt6k");
    }

    #[test]
    fn literals_lose_one_pair_of_quotes() {
        let args = GeneratorArgs {
            name: "x".into(),
            literals: vec!["a='q'".into(), "b=\"d\"".into(), "c=x=y".into()],
            ..Default::default()
        };
        let r = generate(&args, false, &GeneratorOptions::default(), &NoFiles).unwrap();
        let data = r.obj.get("data").unwrap();
        assert_eq!(data.get_str("a"), Some("q"));
        assert_eq!(data.get_str("b"), Some("d"));
        assert_eq!(data.get_str("c"), Some("x=y"));
    }

    #[test]
    fn long_secret_values_wrap_at_70() {
        let s = encode_base64(&[b'x'; 120]);
        assert_eq!(s.lines().count(), 3);
        assert!(s.ends_with('\n'));
    }
}
