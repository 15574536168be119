//! Property tests: no patch input panics, and the invariants that hold for every patch do.

use proptest::prelude::*;

use super::target::LabelSelector;
use super::{json6902, parse_json_patch, parse_patch, strategic};
use crate::testing::{pointer, smp_patch, value, workload, yamlish_text};
use crate::value::{Map, Value};

fn op() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "add", "remove", "replace", "move", "copy", "test", "bad",
        ]),
        pointer(),
        prop::option::of(pointer()),
        prop::option::of(value()),
    )
        .prop_map(|(op, path, from, v)| {
            let mut m = Map::new();
            m.insert("op".into(), Value::String(op.into()));
            m.insert("path".into(), Value::String(path));
            if let Some(f) = from {
                m.insert("from".into(), Value::String(f));
            }
            if let Some(v) = v {
                m.insert("value".into(), v);
            }
            Value::Map(m)
        })
}

fn dedup_by(items: Option<&mut Value>, keys: &[&str]) {
    let Some(Value::Seq(items)) = items else {
        return;
    };
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| {
        let id: Vec<String> = keys
            .iter()
            .map(|k| i.get(k).and_then(Value::scalar_text).unwrap_or_default())
            .collect();
        seen.insert(id)
    });
}

/// Makes merge keys unique (containers, their ports and env) and drops the arbitrary extra
/// volumes (kustomize drops their null or key-less elements).
fn with_unique_merge_keys(mut obj: Value) -> Value {
    let Some(Value::Map(spec)) = obj.as_map_mut().and_then(|m| m.get_mut("spec")) else {
        return obj;
    };
    let pod = if spec.contains_key("template") {
        match spec
            .get_mut("template")
            .and_then(Value::as_map_mut)
            .and_then(|t| t.get_mut("spec"))
            .and_then(Value::as_map_mut)
        {
            Some(p) => p,
            None => return obj,
        }
    } else {
        spec
    };
    pod.shift_remove("volumes");
    dedup_by(pod.get_mut("containers"), &["name"]);
    if let Some(Value::Seq(cs)) = pod.get_mut("containers") {
        for c in cs.iter_mut().filter_map(Value::as_map_mut) {
            dedup_by(c.get_mut("ports"), &["containerPort", "protocol"]);
            dedup_by(c.get_mut("env"), &["name"]);
        }
    }
    obj
}

proptest! {
    #![proptest_config(crate::testing::config(256))]

    #[test]
    fn strategic_merge_of_workloads_never_panics(obj in workload(), patch in smp_patch()) {
        let _ = strategic::apply(&obj, &patch);
    }

    #[test]
    fn strategic_merge_of_arbitrary_values_never_panics(obj in value(), patch in value()) {
        let _ = strategic::apply(&obj, &patch);
    }

    // An empty patch still walks the object and folds list elements with equal merge keys, and
    // not even idempotently (testdata/smp-walk-dedups-untouched-lists,
    // smp-duplicate-merge-keys-fold-late pin kustomize doing the same); with unique merge keys
    // it is the identity.
    #[test]
    fn an_empty_strategic_patch_changes_nothing(obj in workload().prop_map(with_unique_merge_keys)) {
        let out = strategic::apply(&obj, &Value::new_map()).map_err(TestCaseError::fail)?;
        prop_assert_eq!(out, Some(obj));
    }

    #[test]
    fn json_patches_never_panic(mut obj in workload(), ops in proptest::collection::vec(op(), 0..6)) {
        if let Ok(ops) = json6902::decode_ops(&Value::Seq(ops)) {
            let _ = json6902::apply(&mut obj, &ops);
        }
    }

    #[test]
    fn a_failed_json_patch_reports_an_error_not_a_panic(
        mut obj in value(),
        ops in proptest::collection::vec(op(), 1..4),
    ) {
        if let Ok(ops) = json6902::decode_ops(&Value::Seq(ops)) {
            let _ = json6902::apply(&mut obj, &ops);
        }
    }

    #[test]
    fn patch_text_of_any_shape_never_panics(text in yamlish_text()) {
        let _ = parse_patch(&text);
        let _ = parse_json_patch(&text);
    }

    #[test]
    fn selectors_of_any_text_never_panic(text in "[a-z0-9=!,() .-]{0,40}") {
        let _ = LabelSelector::parse(&text);
    }
}
