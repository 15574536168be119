//! The conformance suite: every folder under `testdata/` with a `cmd` file is a case built
//! here and compared with the output of the reference tool (`kubectl kustomize`, kustomize
//! v5.7.1) checked in beside it — `expected.yaml` byte for byte, or `expected.err` meaning the
//! build must fail (with our own message, which must contain every line of `error-contains`).
//!
//! With `CAPSTAN_ORACLE_BIN` pointing at the oracle bin dir (`bash scripts/oracles.sh`), the
//! reference tool is also run live on each case and compared with our output.
//!
//! A case whose folder holds `flux.yaml` is built in Flux mode; its `cmd` builds an equivalent
//! plain kustomization (what Flux generates) with the reference tool.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use capstan_kustomize::{
    BuildOptions, CommonMetadata, DiskFs, FluxImage, FluxOverlay, FluxPatch, FluxSelector,
    LoadRestrictions, Value, build_with, parse_yaml, to_yaml,
};

struct Case {
    name: String,
    dir: PathBuf,
    cmd: String,
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(&root) else {
        return out;
    };
    for e in rd.flatten() {
        let dir = e.path();
        let cmd_file = dir.join("cmd");
        if let Ok(cmd) = std::fs::read_to_string(&cmd_file) {
            out.push(Case {
                name: e.file_name().to_string_lossy().into_owned(),
                dir,
                cmd: cmd.lines().next().unwrap_or_default().trim().to_string(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn s(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn flux_overlay(doc: &Value) -> (String, FluxOverlay) {
    let opt = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_string);
    let patches = doc
        .get("patches")
        .and_then(Value::as_seq)
        .map(|ps| {
            ps.iter()
                .map(|p| FluxPatch {
                    patch: s(p, "patch"),
                    target: p.get("target").map(|t| FluxSelector {
                        group: s(t, "group"),
                        version: s(t, "version"),
                        kind: s(t, "kind"),
                        name: s(t, "name"),
                        namespace: s(t, "namespace"),
                        label_selector: s(t, "labelSelector"),
                        annotation_selector: s(t, "annotationSelector"),
                    }),
                })
                .collect()
        })
        .unwrap_or_default();
    let images = doc
        .get("images")
        .and_then(Value::as_seq)
        .map(|is| {
            is.iter()
                .map(|i| FluxImage {
                    name: s(i, "name"),
                    new_name: s(i, "newName"),
                    new_tag: s(i, "newTag"),
                    digest: s(i, "digest"),
                })
                .collect()
        })
        .unwrap_or_default();
    let components = doc
        .get("components")
        .and_then(Value::as_seq)
        .map(|cs| {
            cs.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let common_metadata = doc.get("commonMetadata").map(|cm| CommonMetadata {
        labels: string_map(cm.get("labels")),
        annotations: string_map(cm.get("annotations")),
    });
    let overlay = FluxOverlay {
        target_namespace: opt("targetNamespace"),
        name_prefix: opt("namePrefix"),
        name_suffix: opt("nameSuffix"),
        patches,
        images,
        components,
        ignore_missing_components: doc.get("ignoreMissingComponents") == Some(&Value::Bool(true)),
        common_metadata,
    };
    (s(doc, "path"), overlay)
}

/// Builds a case with this engine: `Ok(yaml)` or `Err(message)`.
fn run_ours(case: &Case) -> Result<String, String> {
    // The root is the testdata folder so cases can share the podinfo tree (`../_podinfo`).
    let root = case.dir.parent().ok_or("case without parent")?;
    let fs = DiskFs::new(root).map_err(|e| e.to_string())?;
    let tokens: Vec<&str> = case.cmd.split_whitespace().collect();
    let mut opts = BuildOptions::default();
    if tokens
        .windows(2)
        .any(|w| w == ["--load-restrictor", "LoadRestrictionsNone"])
    {
        opts.load_restrictions = LoadRestrictions::None;
    }
    let mut dir = tokens.last().copied().unwrap_or(".").to_string();
    if let Ok(text) = std::fs::read_to_string(case.dir.join("flux.yaml")) {
        let doc = parse_yaml(&text)
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .unwrap_or(Value::Null);
        let (path, overlay) = flux_overlay(&doc);
        opts = BuildOptions::flux(overlay);
        dir = path;
    }
    let path = format!("{}/{dir}", case.name);
    let built = build_with(&fs, &path, &opts).map_err(|e| e.to_string())?;
    to_yaml(&built.objects).map_err(|e| e.to_string())
}

fn run_oracle(bin: &Path, case: &Case) -> Result<String, String> {
    let tokens: Vec<&str> = case.cmd.split_whitespace().collect();
    let (prog, args) = tokens.split_first().ok_or("empty cmd")?;
    let out = Command::new(bin.join(prog))
        .args(args)
        .current_dir(&case.dir)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn first_diff(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}: expected {x:?}, got {y:?}", i + 1);
        }
    }
    format!(
        "line counts differ: expected {}, got {}",
        a.lines().count(),
        b.lines().count()
    )
}

#[test]
fn every_case_matches_the_reference_tool() {
    let cases = cases();
    assert!(!cases.is_empty(), "no conformance cases found");
    let oracle = std::env::var_os("CAPSTAN_ORACLE_BIN").map(PathBuf::from);
    let mut passed = 0;
    let mut failures = Vec::new();
    let mut known = Vec::new();
    for case in &cases {
        let ours = run_ours(case);
        let known_difference = case.dir.join("KNOWN_DIFFERENCE").exists();
        let verdict: Result<(), String> = if let Ok(expected) =
            std::fs::read_to_string(case.dir.join("expected.yaml"))
        {
            match &ours {
                Ok(got) if *got == expected => Ok(()),
                Ok(got) => Err(first_diff(&expected, got)),
                Err(e) => Err(format!("expected success, got error: {e}")),
            }
        } else if case.dir.join("expected.err").exists() {
            match &ours {
                Ok(_) => Err("expected an error, the build succeeded".into()),
                Err(msg) => {
                    let wanted = std::fs::read_to_string(case.dir.join("error-contains"))
                        .unwrap_or_default();
                    match wanted
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .find(|l| !msg.contains(l))
                    {
                        Some(missing) => Err(format!("error message {msg:?} lacks {missing:?}")),
                        None => Ok(()),
                    }
                }
            }
        } else {
            Err("no expected.yaml or expected.err (run testdata/regen.sh)".into())
        };
        let verdict = verdict.and_then(|()| match (&oracle, case.dir.join("flux.yaml").exists()) {
            (Some(bin), false) => match (run_oracle(bin, case), &ours) {
                (Ok(live), Ok(got)) if live == *got => Ok(()),
                (Ok(live), Ok(got)) => {
                    Err(format!("live oracle differs: {}", first_diff(&live, got)))
                }
                (Err(_), Err(_)) => Ok(()),
                (Ok(_), Err(e)) => Err(format!("live oracle succeeded, we failed: {e}")),
                (Err(e), Ok(_)) => Err(format!("live oracle failed, we succeeded: {e}")),
            },
            _ => Ok(()),
        });
        match verdict {
            Ok(()) => passed += 1,
            Err(e) if known_difference => known.push(format!("{}: {e}", case.name)),
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    println!(
        "kustomize conformance: {passed}/{} cases match the reference tool",
        cases.len()
    );
    for k in &known {
        println!("known difference (documented): {k}");
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ from kubectl kustomize:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
