//! Helm's own functions: `include`, `tpl`, `required`, `fail`, the YAML/JSON/TOML converters
//! and `lookup` (always empty: rendering never talks to a cluster).

use super::{FnError, Registry, Ty, arg, arg_str};
use crate::template::value::{Map, Value};
use crate::yaml::emit::{to_yaml, to_yaml_pretty};
use crate::yaml::json::{JsonStyle, from_json, to_json};
use crate::yaml::parse::{YamlError, parse_value};

fn yaml_error_text(e: &YamlError) -> String {
    if e.0.starts_with("yaml:") {
        format!("error converting YAML to JSON: {}", e.0)
    } else {
        e.0.clone()
    }
}

pub(crate) fn register(r: &mut Registry) {
    use Ty::{Any, Str};
    r.add("include", &[Str, Any], None, |e, a| {
        e.include(&arg_str(&a, 0), &arg(&a, 1)).map(Value::from)
    });
    r.add("tpl", &[Str, Any], None, |e, a| {
        e.tpl(&arg_str(&a, 0), &arg(&a, 1)).map(Value::from)
    });
    r.add("required", &[Str, Any], None, |_, a| {
        let v = arg(&a, 1);
        match &v {
            Value::Nil => Err(FnError::Helm(arg_str(&a, 0).to_string())),
            Value::Str(s) if s.is_empty() => Err(FnError::Helm(arg_str(&a, 0).to_string())),
            _ => Ok(v),
        }
    });
    r.add("fail", &[Str], None, |_, a| {
        Err(FnError::Helm(arg_str(&a, 0).to_string()))
    });
    r.add("toYaml", &[Any], None, |_, a| {
        Ok(Value::from(to_yaml(&arg(&a, 0)).unwrap_or_default()))
    });
    r.add("mustToYaml", &[Any], None, |_, a| {
        to_yaml(&arg(&a, 0))
            .map(Value::from)
            .map_err(|e| FnError::Msg(format!("error marshaling into JSON: {}", e.0)))
    });
    r.add("toYamlPretty", &[Any], None, |_, a| {
        Ok(Value::from(to_yaml_pretty(&arg(&a, 0)).unwrap_or_default()))
    });
    r.add("fromYaml", &[Str], None, |_, a| {
        Ok(match parse_value(&arg_str(&a, 0)) {
            Ok(Value::Map(m)) => Value::Map(m),
            Ok(Value::Nil) => Value::empty_map(),
            Ok(other) => error_map(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&other)
            )),
            Err(e) => error_map(yaml_error_text(&e)),
        })
    });
    r.add("fromYamlArray", &[Str], None, |_, a| {
        Ok(match parse_value(&arg_str(&a, 0)) {
            Ok(Value::List(l)) => Value::List(l),
            Ok(Value::Nil) => Value::list(Vec::new()),
            Ok(other) => Value::list(vec![Value::from(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&other)
            ))]),
            Err(e) => Value::list(vec![Value::from(yaml_error_text(&e))]),
        })
    });
    r.add("toJson", &[Any], None, |_, a| {
        Ok(Value::from(
            to_json(
                &arg(&a, 0),
                JsonStyle {
                    indent: false,
                    escape_html: true,
                },
            )
            .unwrap_or_default(),
        ))
    });
    r.add("fromJson", &[Str], None, |_, a| {
        Ok(match from_json(&arg_str(&a, 0)) {
            Ok(Value::Map(m)) => Value::Map(m),
            Ok(Value::Nil) => Value::empty_map(),
            Ok(other) => error_map(format!(
                "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&other)
            )),
            Err(e) => error_map(e),
        })
    });
    r.add("fromJsonArray", &[Str], None, |_, a| {
        Ok(match from_json(&arg_str(&a, 0)) {
            Ok(Value::List(l)) => Value::List(l),
            Ok(Value::Nil) => Value::list(Vec::new()),
            Ok(other) => Value::list(vec![Value::from(format!(
                "json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&other)
            ))]),
            Err(e) => Value::list(vec![Value::from(e)]),
        })
    });
    r.add("toToml", &[Any], None, |_, a| {
        Ok(Value::from(crate::yaml::toml::to_toml(&arg(&a, 0))))
    });
    r.add("fromToml", &[Str], None, |_, a| {
        Ok(match crate::yaml::toml::from_toml(&arg_str(&a, 0)) {
            Ok(v) => v,
            Err(e) => error_map(e),
        })
    });
    r.add("lookup", &[Str, Str, Str, Str], None, |_, _| {
        Ok(Value::empty_map())
    });
}

fn error_map(msg: String) -> Value {
    let mut m = Map::new();
    m.insert("Error".into(), Value::from(msg));
    Value::map(m)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Str(_) => "string",
        Value::Float(_) | Value::Int(_) | Value::I64(_) | Value::U64(_) => "number",
        Value::Bool(_) => "bool",
        Value::List(_) => "array",
        _ => "object",
    }
}
