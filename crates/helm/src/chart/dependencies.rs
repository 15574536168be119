//! Dependency processing before rendering, as Helm's `ProcessDependenciesWithMerge`:
//! aliases copy a subchart under a new name, `condition` and `tags` switch subcharts off, and
//! `import-values` lift a child's values into the parent.

use super::metadata::ImportValue;
use crate::template::value::Value;
use crate::values::WChart;
use crate::values::coalesce::{
    coalesce_tables, coalesce_values, merge_values, path_to_map, path_value, table,
};

/// Helm's `IsCompatibleRange`: an unreadable constraint or version is no match.
pub(crate) fn is_compatible_range(constraint: &str, version: &str) -> bool {
    let (Ok(c), Some(v)) = (
        capstan_semver::Constraint::parse(constraint),
        capstan_semver::parse_version(version),
    ) else {
        return false;
    };
    c.matches(&v)
}

/// Applies aliases, conditions and tags, recursively; disabled subcharts are dropped.
pub(crate) fn process_enabled(c: &mut WChart, vals: &Value, path: &str) {
    if c.meta.dependencies.is_empty() {
        return;
    }
    let reqs = c.meta.dependencies.clone();
    let existing = std::mem::take(&mut c.deps);
    let mut deps: Vec<WChart> = Vec::new();
    // Subcharts not named in Chart.yaml stay as they are.
    for e in &existing {
        let listed = reqs
            .iter()
            .any(|r| e.meta.name == r.name && is_compatible_range(&r.version, &e.meta.version));
        if !listed {
            deps.push(e.clone());
        }
    }
    for r in &mut c.meta.dependencies {
        if let Some(found) = existing
            .iter()
            .find(|e| e.meta.name == r.name && is_compatible_range(&r.version, &e.meta.version))
        {
            let mut copy = found.clone();
            if !r.alias.is_empty() {
                copy.meta.name = r.alias.clone();
            }
            deps.push(copy);
        }
        if !r.alias.is_empty() {
            r.name = r.alias.clone();
        }
    }
    c.deps = deps;
    for r in &mut c.meta.dependencies {
        r.enabled = true;
    }
    let cvals = coalesce_values(c, vals);
    // Tags.
    if let Some(tags) = table(&cvals, "tags") {
        for r in &mut c.meta.dependencies {
            let (mut has_true, mut has_false) = (false, false);
            for t in &r.tags {
                match tags.get(t) {
                    Some(Value::Bool(true)) => has_true = true,
                    Some(Value::Bool(false)) => has_false = true,
                    _ => {}
                }
            }
            if !has_true && has_false {
                r.enabled = false;
            } else if has_true || !has_false {
                r.enabled = true;
            }
        }
    }
    // Conditions: the first path that resolves to a bool decides.
    for r in &mut c.meta.dependencies {
        for cond in r.condition.trim().split(',') {
            if cond.is_empty() {
                continue;
            }
            if let Some(Value::Bool(b)) = path_value(&cvals, &format!("{path}{cond}")) {
                r.enabled = b;
                break;
            }
        }
    }
    let disabled: Vec<String> = c
        .meta
        .dependencies
        .iter()
        .filter(|r| !r.enabled)
        .map(|r| r.name.clone())
        .collect();
    c.deps.retain(|d| !disabled.contains(&d.meta.name));
    c.meta.dependencies.retain(|r| !disabled.contains(&r.name));
    for d in &mut c.deps {
        let sub = format!("{path}{}.", d.meta.name);
        process_enabled(d, &cvals, &sub);
    }
}

/// Lifts `import-values` from children into parents, children first.
pub(crate) fn process_import_values(c: &mut WChart) {
    for d in &mut c.deps {
        process_import_values(d);
    }
    if c.meta.dependencies.is_empty() {
        return;
    }
    let cvals = merge_values(c, &Value::empty_map());
    let b = Value::empty_map();
    for r in &mut c.meta.dependencies {
        let mut out = Vec::new();
        for iv in &r.import_values {
            match iv {
                ImportValue::Map { child, parent } => {
                    out.push(ImportValue::Map {
                        child: child.clone(),
                        parent: parent.clone(),
                    });
                    let Some(vv) = table(&cvals, &format!("{}.{child}", r.name)) else {
                        continue;
                    };
                    merge_into(&b, &path_to_map(parent, vv.deep_copy()));
                }
                ImportValue::Export(name) => {
                    let child = format!("exports.{name}");
                    out.push(ImportValue::Map {
                        child: child.clone(),
                        parent: ".".into(),
                    });
                    let Some(vm) = table(&cvals, &format!("{}.{child}", r.name)) else {
                        continue;
                    };
                    merge_into(&b, &vm.deep_copy());
                }
            }
        }
        r.import_values = out;
    }
    let merged = cvals.deep_copy();
    coalesce_tables(&merged, &b, true);
    c.values = merged;
}

/// `MergeTables(b, src)`: `b` keeps what it has, `src` fills in.
fn merge_into(b: &Value, src: &Value) {
    coalesce_tables(b, src, true);
}
