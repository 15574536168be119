//! Test helpers: proptest strategies for values, YAML-ish text and patches.

use proptest::prelude::*;

use crate::value::{Map, Value};

/// Strings that exercise the emitter's quoting rules (YAML 1.1 look-alikes, indicators,
/// leading/trailing spaces, line breaks, non-ASCII).
pub(crate) fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        prop::sample::select(vec![
            "y",
            "n",
            "yes",
            "No",
            "on",
            "OFF",
            "true",
            "False",
            "null",
            "~",
            "-",
            "- a",
            "a: b",
            "#c",
            "a #b",
            "&x",
            "*x",
            "!t",
            "%p",
            "@a",
            "`b",
            "'q'",
            "\"d\"",
            "{a}",
            "[b]",
            "?",
            ":",
            "a:",
            " lead",
            "trail ",
            "tab\there",
            "multi\nline",
            "multi\nline\n",
            "\nleading",
            "é☃",
            "=",
            ".nan",
            ".inf",
            "-.inf",
            "0x1g",
            "1e",
            "1_0",
            "12:30",
            "2001-12-14",
            "a\u{85}b",
            "|",
            ">",
            "a  b",
            "x\r\ny",
        ])
        .prop_map(str::to_string),
        "[a-zA-Z][a-zA-Z_./-]{0,12}",
        "[ -~]{0,30}",
        proptest::collection::vec(
            prop::sample::select(vec!["word", " ", "\n", ":", "#", "-", "'", "\"", "x"]),
            0..12
        )
        .prop_map(|v| v.concat()),
        "[a-z ]{60,120}",
    ]
}

/// Keys for generated mappings (small alphabet so patches hit existing keys).
pub(crate) fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "name",
            "image",
            "a",
            "b",
            "c",
            "n",
            "y",
            "on",
            "key",
            "value",
            "ports",
            "env",
            "containerPort",
            "spec",
            "items",
            "",
            " k",
            "k: v",
            "$x",
        ])
        .prop_map(str::to_string),
        tricky_string(),
    ]
}

/// Scalars without floats (floats do not survive a print/parse round trip unchanged in type).
pub(crate) fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (i64::MAX as u64 + 1..=u64::MAX).prop_map(Value::UInt),
        tricky_string().prop_map(Value::String),
    ]
}

/// Arbitrary value trees.
pub(crate) fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Seq),
            proptest::collection::vec((key(), inner), 0..5)
                .prop_map(|kv| Value::Map(kv.into_iter().collect::<Map>())),
        ]
    })
}

/// Text that looks like YAML: indicators, indentation, anchors, tags, quotes, flow syntax.
pub(crate) fn yamlish_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop::sample::select(vec![
            "a",
            "b",
            ": ",
            ":",
            "- ",
            "-",
            "\n",
            "  ",
            "    ",
            "'",
            "\"",
            "\\",
            "|",
            "|-",
            ">",
            "&x ",
            "*x",
            "!!str ",
            "!!int ",
            "!t ",
            "{",
            "}",
            "[",
            "]",
            ", ",
            "#",
            "---\n",
            "...\n",
            "? ",
            "yes",
            "0777",
            "1.5",
            "~",
            "null",
            "<<: ",
            "%YAML 1.1\n",
            "\t",
            "\u{feff}",
            "é",
            "\r\n",
            "kind: ",
            "apiVersion: v1\n",
            "metadata:\n  name: x\n",
        ]),
        0..40,
    )
    .prop_map(|v| v.concat())
}

/// A Deployment-like object with lists that have merge keys.
pub(crate) fn workload() -> impl Strategy<Value = Value> {
    let container = (
        prop::sample::select(vec!["a", "b", "c"]),
        prop::option::of(prop::sample::select(vec!["img:1", "img:2"])),
        proptest::collection::vec((1i64..4, prop::sample::select(vec!["TCP", "UDP"])), 0..3),
        proptest::collection::vec(
            (prop::sample::select(vec!["E1", "E2"]), tricky_string()),
            0..3,
        ),
    )
        .prop_map(|(name, image, ports, env)| {
            let mut m = Map::new();
            m.insert("name".into(), Value::String(name.into()));
            if let Some(i) = image {
                m.insert("image".into(), Value::String(i.into()));
            }
            if !ports.is_empty() {
                m.insert(
                    "ports".into(),
                    Value::Seq(
                        ports
                            .into_iter()
                            .map(|(p, proto)| {
                                let mut pm = Map::new();
                                pm.insert("containerPort".into(), Value::Int(p));
                                pm.insert("protocol".into(), Value::String(proto.into()));
                                Value::Map(pm)
                            })
                            .collect(),
                    ),
                );
            }
            if !env.is_empty() {
                m.insert(
                    "env".into(),
                    Value::Seq(
                        env.into_iter()
                            .map(|(n, v)| {
                                let mut em = Map::new();
                                em.insert("name".into(), Value::String(n.into()));
                                em.insert("value".into(), Value::String(v));
                                Value::Map(em)
                            })
                            .collect(),
                    ),
                );
            }
            Value::Map(m)
        });
    (
        prop::sample::select(vec![
            ("apps/v1", "Deployment"),
            ("v1", "Pod"),
            ("example.com/v1", "Thing"),
        ]),
        proptest::collection::vec(container, 0..4),
        proptest::collection::vec(value(), 0..2),
    )
        .prop_map(|((av, kind), containers, extra)| {
            let mut pod = Map::new();
            pod.insert("containers".into(), Value::Seq(containers));
            if let Some(x) = extra.into_iter().next() {
                pod.insert("volumes".into(), x);
            }
            let mut tpl = Map::new();
            tpl.insert("spec".into(), Value::Map(pod.clone()));
            let mut spec = Map::new();
            spec.insert("template".into(), Value::Map(tpl));
            let mut md = Map::new();
            md.insert("name".into(), Value::String("w".into()));
            let mut obj = Map::new();
            obj.insert("apiVersion".into(), Value::String(av.into()));
            obj.insert("kind".into(), Value::String(kind.into()));
            obj.insert("metadata".into(), Value::Map(md));
            if kind == "Pod" {
                obj.insert("spec".into(), Value::Map(pod));
            } else {
                obj.insert("spec".into(), Value::Map(spec));
            }
            Value::Map(obj)
        })
}

/// Strategic merge patches mixing plain values, directives and list elements.
pub(crate) fn smp_patch() -> impl Strategy<Value = Value> {
    let directive = prop::sample::select(vec![
        "$patch: delete",
        "$patch: replace",
        "$patch: merge",
        "$patch: bogus",
        "$retainKeys: [name, image]",
        "$setElementOrder/containers: [{name: b}, {name: a}]",
        "$deleteFromPrimitiveList/args: [x]",
    ]);
    let element = (
        prop::option::of(prop::sample::select(vec!["a", "b", "c", "d"])),
        prop::option::of(directive.clone()),
        prop::option::of(scalar()),
    )
        .prop_map(|(name, dir, image)| {
            let mut s = String::from("{");
            if let Some(n) = name {
                s.push_str(&format!("name: {n}, "));
            }
            if let Some(d) = dir {
                s.push_str(d);
                s.push_str(", ");
            }
            s.push('}');
            let mut v = crate::yaml::parse::parse_stream(&s)
                .ok()
                .and_then(|mut d| d.pop())
                .unwrap_or(Value::new_map());
            if let (Some(img), Value::Map(m)) = (image, &mut v) {
                m.insert("image".into(), img);
            }
            v
        });
    (
        proptest::collection::vec(element, 0..4),
        prop::option::of(directive),
        prop::option::of(value()),
        any::<bool>(),
    )
        .prop_map(|(elements, top, extra, nested)| {
            let mut pod = Map::new();
            pod.insert("containers".into(), Value::Seq(elements));
            if let Some(x) = extra {
                pod.insert("volumes".into(), x);
            }
            let mut spec = Map::new();
            if nested {
                let mut tpl = Map::new();
                tpl.insert("spec".into(), Value::Map(pod));
                spec.insert("template".into(), Value::Map(tpl));
            } else {
                spec = pod;
            }
            let mut patch = Map::new();
            patch.insert("spec".into(), Value::Map(spec));
            if let Some(d) = top
                && let Some(Value::Map(m)) = crate::yaml::parse::parse_stream(d)
                    .ok()
                    .and_then(|mut d| d.pop())
            {
                patch.extend(m);
            }
            Value::Map(patch)
        })
}

/// JSON pointers into workload-like objects, valid or not.
pub(crate) fn pointer() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop::sample::select(vec![
            "spec",
            "template",
            "containers",
            "0",
            "1",
            "-1",
            "-",
            "name",
            "image",
            "env",
            "x",
            "~0",
            "~1",
            "",
            "metadata",
            "ports",
            "99",
            "01",
        ]),
        0..6,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .map(|p| format!("/{p}"))
            .collect::<String>()
    })
}

/// A proptest configuration with `cases` cases, or `PROPTEST_CASES` when set (for long runs).
pub(crate) fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}
