//! `values.schema.json` validation: the JSON Schema keywords charts use (draft 7 and 2020-12
//! overlap), with the messages of santhosh-tekuri/jsonschema v6 that Helm v4 prints:
//! `- at '/port': minimum: got 0, want 1`.

use crate::template::gofmt;
use crate::template::value::Value;
use crate::yaml::json::from_json;

/// One failure, possibly grouping several under a location.
#[derive(Debug, Clone)]
struct Failure {
    at: String,
    msg: String,
    causes: Vec<Failure>,
}

fn fail(at: &str, msg: impl Into<String>) -> Failure {
    Failure {
        at: at.to_string(),
        msg: msg.into(),
        causes: Vec::new(),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Nil => "null",
        Value::Bool(_) => "boolean",
        Value::Int(_) | Value::I64(_) | Value::U64(_) => "number",
        Value::Float(_) => "number",
        Value::Str(_) => "string",
        Value::List(_) | Value::Bytes(_) => "array",
        Value::Map(_) | Value::Object(_) => "object",
    }
}

fn is_integer(v: &Value) -> bool {
    match v {
        Value::Int(_) | Value::I64(_) | Value::U64(_) => true,
        Value::Float(f) => f.fract() == 0.0 && f.is_finite(),
        _ => false,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) | Value::I64(i) => Some(*i as f64),
        Value::U64(u) => Some(*u as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// Numbers as jsonschema's English message printer writes them: digits grouped by commas.
fn num_text(f: f64) -> String {
    let plain = gofmt::format_float_json(f);
    let (sign, rest) = match plain.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", plain.as_str()),
    };
    if rest.contains(['e', 'E']) {
        return plain;
    }
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

fn quoted(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("'{s}'"),
        Value::Float(f) => num_text(*f),
        other => crate::yaml::json::to_json(
            other,
            crate::yaml::json::JsonStyle {
                indent: false,
                escape_html: false,
            },
        )
        .unwrap_or_default(),
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "integer" => is_integer(v),
        "number" => number(v).is_some(),
        other => json_type(v) == other,
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

struct Validator<'s> {
    root: &'s Value,
    depth: usize,
}

impl Validator<'_> {
    fn resolve(&self, r: &str) -> Option<Value> {
        let path = r.strip_prefix("#")?;
        let mut cur = self.root.clone();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            let part = part.replace("~1", "/").replace("~0", "~");
            cur = cur.get(&part)?;
        }
        Some(cur)
    }

    fn validate(&mut self, schema: &Value, v: &Value, at: &str) -> Vec<Failure> {
        self.depth += 1;
        if self.depth > 200 {
            self.depth -= 1;
            return Vec::new();
        }
        let r = self.validate_inner(schema, v, at);
        self.depth -= 1;
        r
    }

    fn validate_inner(&mut self, schema: &Value, v: &Value, at: &str) -> Vec<Failure> {
        let mut out = Vec::new();
        match schema {
            Value::Bool(false) => return vec![fail(at, "false schema")],
            Value::Map(_) => {}
            _ => return out,
        }
        if let Some(Value::Str(r)) = schema.get("$ref") {
            match self.resolve(&r) {
                Some(s) => out.extend(self.validate(&s, v, at)),
                None => out.push(fail(at, format!("cannot resolve $ref {r}"))),
            }
        }
        if let Some(t) = schema.get("type") {
            let types: Vec<String> = match &t {
                Value::Str(s) => vec![s.to_string()],
                Value::List(l) => l
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            };
            if !types.is_empty() && !types.iter().any(|t| type_matches(t, v)) {
                out.push(fail(
                    at,
                    format!("got {}, want {}", json_type(v), types.join(" or ")),
                ));
                return out;
            }
        }
        if let Some(Value::List(e)) = schema.get("enum")
            && !e.iter().any(|x| equal(x, v))
        {
            let opts: Vec<String> = e.iter().map(quoted).collect();
            out.push(fail(
                at,
                format!("value must be one of {}", opts.join(", ")),
            ));
        }
        if let Some(c) = schema.get("const")
            && !equal(&c, v)
        {
            out.push(fail(at, format!("value must be {}", quoted(&c))));
        }
        if let Some(n) = number(v) {
            let kw = |k: &str| schema.get(k).and_then(|x| number(&x));
            if let Some(m) = kw("minimum")
                && n < m
            {
                out.push(fail(
                    at,
                    format!("minimum: got {}, want {}", num_text(n), num_text(m)),
                ));
            }
            if let Some(m) = kw("maximum")
                && n > m
            {
                out.push(fail(
                    at,
                    format!("maximum: got {}, want {}", num_text(n), num_text(m)),
                ));
            }
            if let Some(m) = kw("exclusiveMinimum")
                && n <= m
            {
                out.push(fail(
                    at,
                    format!(
                        "exclusiveMinimum: got {}, want {}",
                        num_text(n),
                        num_text(m)
                    ),
                ));
            }
            if let Some(m) = kw("exclusiveMaximum")
                && n >= m
            {
                out.push(fail(
                    at,
                    format!(
                        "exclusiveMaximum: got {}, want {}",
                        num_text(n),
                        num_text(m)
                    ),
                ));
            }
            if let Some(m) = kw("multipleOf")
                && m != 0.0
                && (n / m).fract() != 0.0
            {
                out.push(fail(
                    at,
                    format!("{} not multipleOf {}", num_text(n), num_text(m)),
                ));
            }
        }
        if let Value::Str(s) = v {
            let len = s.chars().count() as f64;
            if let Some(m) = schema.get("minLength").and_then(|x| number(&x))
                && len < m
            {
                out.push(fail(
                    at,
                    format!("minLength: got {}, want {}", num_text(len), num_text(m)),
                ));
            }
            if let Some(m) = schema.get("maxLength").and_then(|x| number(&x))
                && len > m
            {
                out.push(fail(
                    at,
                    format!("maxLength: got {}, want {}", num_text(len), num_text(m)),
                ));
            }
            if let Some(Value::Str(p)) = schema.get("pattern")
                && let Ok(re) = regex::Regex::new(&p)
                && !re.is_match(s)
            {
                out.push(fail(at, format!("'{s}' does not match pattern '{p}'")));
            }
        }
        if let Value::List(items) = v {
            let n = items.len() as f64;
            if let Some(m) = schema.get("minItems").and_then(|x| number(&x))
                && n < m
            {
                out.push(fail(
                    at,
                    format!("minItems: got {}, want {}", num_text(n), num_text(m)),
                ));
            }
            if let Some(m) = schema.get("maxItems").and_then(|x| number(&x))
                && n > m
            {
                out.push(fail(
                    at,
                    format!("maxItems: got {}, want {}", num_text(n), num_text(m)),
                ));
            }
            if let Some(Value::Bool(true)) = schema.get("uniqueItems") {
                'outer: for i in 0..items.len() {
                    for j in i + 1..items.len() {
                        if let (Some(a), Some(b)) = (items.get(i), items.get(j))
                            && equal(a, b)
                        {
                            out.push(fail(at, format!("items at {i} and {j} are equal")));
                            break 'outer;
                        }
                    }
                }
            }
            let mut item_failures = Vec::new();
            match schema.get("items") {
                Some(Value::List(tuple)) => {
                    for (i, (s, it)) in tuple.iter().zip(items.iter()).enumerate() {
                        item_failures.extend(self.validate(s, it, &format!("{at}/{i}")));
                    }
                }
                Some(s @ (Value::Map(_) | Value::Bool(_))) => {
                    for (i, it) in items.iter().enumerate() {
                        item_failures.extend(self.validate(&s, it, &format!("{at}/{i}")));
                    }
                }
                _ => {}
            }
            out.extend(group(at, item_failures));
        }
        if let Value::Map(_) = v {
            let entries = v.map_entries();
            if let Some(Value::List(req)) = schema.get("required") {
                let missing: Vec<String> = req
                    .iter()
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .filter(|r| !entries.iter().any(|(k, _)| k == r))
                    .collect();
                match missing.len() {
                    0 => {}
                    1 => out.push(fail(at, format!("missing property '{}'", missing.join("")))),
                    _ => out.push(fail(
                        at,
                        format!(
                            "missing properties {}",
                            missing
                                .iter()
                                .map(|m| format!("'{m}'"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )),
                }
            }
            let props = schema.get("properties");
            let patterns: Vec<(regex::Regex, Value)> = schema
                .get("patternProperties")
                .map(|pp| {
                    pp.map_entries()
                        .into_iter()
                        .filter_map(|(k, s)| regex::Regex::new(&k).ok().map(|re| (re, s)))
                        .collect()
                })
                .unwrap_or_default();
            let mut extra = Vec::new();
            let mut prop_failures = Vec::new();
            for (k, val) in &entries {
                let loc = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                let mut known = false;
                if let Some(s) = props.as_ref().and_then(|p| p.get(k)) {
                    known = true;
                    prop_failures.extend(group(&loc, self.validate(&s, val, &loc)));
                }
                for (re, s) in &patterns {
                    if re.is_match(k) {
                        known = true;
                        prop_failures.extend(group(&loc, self.validate(s, val, &loc)));
                    }
                }
                if !known {
                    match schema.get("additionalProperties") {
                        Some(Value::Bool(false)) => extra.push(k.clone()),
                        Some(s @ Value::Map(_)) => {
                            prop_failures.extend(group(&loc, self.validate(&s, val, &loc)))
                        }
                        _ => {}
                    }
                }
            }
            if !extra.is_empty() {
                let names: Vec<String> = extra.iter().map(|e| format!("'{e}'")).collect();
                out.push(fail(
                    at,
                    format!("additional properties {} not allowed", names.join(", ")),
                ));
            }
            out.extend(prop_failures);
        }
        if let Some(Value::List(all)) = schema.get("allOf") {
            for s in all.iter() {
                out.extend(self.validate(s, v, at));
            }
        }
        if let Some(Value::List(any)) = schema.get("anyOf") {
            let results: Vec<Vec<Failure>> = any.iter().map(|s| self.validate(s, v, at)).collect();
            if !results.iter().any(Vec::is_empty) {
                out.push(Failure {
                    at: at.to_string(),
                    msg: "'anyOf' failed".into(),
                    causes: results.into_iter().flatten().collect(),
                });
            }
        }
        if let Some(Value::List(one)) = schema.get("oneOf") {
            let results: Vec<Vec<Failure>> = one.iter().map(|s| self.validate(s, v, at)).collect();
            let matched: Vec<usize> = results
                .iter()
                .enumerate()
                .filter(|(_, r)| r.is_empty())
                .map(|(i, _)| i)
                .collect();
            match matched.len() {
                1 => {}
                0 => out.push(Failure {
                    at: at.to_string(),
                    msg: "'oneOf' failed, none matched".into(),
                    causes: results.into_iter().flatten().collect(),
                }),
                _ => out.push(fail(
                    at,
                    format!(
                        "'oneOf' failed, subschemas {} matched",
                        matched
                            .iter()
                            .map(usize::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
            }
        }
        if let Some(not) = schema.get("not")
            && self.validate(&not, v, at).is_empty()
        {
            out.push(fail(at, "not failed"));
        }
        if let Some(cond) = schema.get("if") {
            let branch = if self.validate(&cond, v, at).is_empty() {
                "then"
            } else {
                "else"
            };
            if let Some(s) = schema.get(branch) {
                out.extend(self.validate(&s, v, at));
            }
        }
        out
    }
}

/// Several failures under one location become one "validation failed" with causes.
fn group(at: &str, failures: Vec<Failure>) -> Vec<Failure> {
    if failures.len() <= 1 {
        return failures;
    }
    vec![Failure {
        at: at.to_string(),
        msg: "validation failed".into(),
        causes: failures,
    }]
}

fn render(f: &Failure, depth: usize, out: &mut Vec<String>) {
    out.push(format!("{}- at '{}': {}", "  ".repeat(depth), f.at, f.msg));
    for c in &f.causes {
        render(c, depth + 1, out);
    }
}

/// Validates `values` against a schema document; the error lists one line per failure.
pub(crate) fn validate(schema: &[u8], values: &Value) -> Result<(), Vec<String>> {
    let text = String::from_utf8_lossy(schema);
    let root = match from_json(&text) {
        Ok(v) => v,
        Err(e) => return Err(vec![format!("- at '': invalid schema: {e}")]),
    };
    let data = crate::yaml::json::to_json(
        values,
        crate::yaml::json::JsonStyle {
            indent: false,
            escape_html: false,
        },
    )
    .ok()
    .and_then(|j| from_json(&j).ok())
    .unwrap_or(Value::Nil);
    let mut v = Validator {
        root: &root,
        depth: 0,
    };
    let mut failures = v.validate(&root, &data, "");
    // A lone grouping node is unwrapped, as jsonschema's output does.
    while failures.len() == 1
        && failures
            .first()
            .is_some_and(|f| f.msg == "validation failed")
    {
        failures = failures.pop().map(|f| f.causes).unwrap_or_default();
    }
    if failures.is_empty() {
        return Ok(());
    }
    let mut lines = Vec::new();
    for f in &failures {
        render(f, 0, &mut lines);
    }
    Err(lines)
}

/// Validates the coalesced values of a chart and its subcharts against their schemas, in
/// Helm's report layout.
pub(crate) fn validate_chart(
    c: &crate::values::WChart,
    values: &Value,
) -> Result<(), crate::error::Error> {
    let mut report = String::new();
    collect(c, values, &mut report);
    if report.is_empty() {
        return Ok(());
    }
    Err(crate::error::Error::Values(format!(
        "values don't meet the specifications of the schema(s) in the following chart(s):\n{report}"
    )))
}

fn collect(c: &crate::values::WChart, values: &Value, report: &mut String) {
    if let Some(schema) = &c.src.schema
        && let Err(lines) = validate(schema, values)
    {
        report.push_str(&format!("{}:\n{}\n", c.meta.name, lines.join("\n")));
    }
    for d in &c.deps {
        let sub = values.get(&d.meta.name).unwrap_or_else(Value::empty_map);
        collect(d, &sub, report);
    }
}
