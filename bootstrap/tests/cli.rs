//! The drop-in commands against the reference tools' recorded output: `capstan template` is
//! `helm template` and `capstan kustomize` is `kubectl kustomize`, byte for byte on stdout,
//! with the tools' error form and exit code on failure. Each case is a golden case of the
//! engine crate, run through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn testdata(engine: &str, case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates")
        .join(engine)
        .join("testdata")
        .join(case)
}

/// Runs `capstan <args>` in `dir`, as the recorded command ran in its case folder.
fn capstan(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_capstan"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run capstan: {e}"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn template_prints_what_helm_template_prints() {
    let dir = testdata("helm", "sprig-semver");
    assert_eq!(read(&dir.join("cmd")).trim(), "helm template rel mychart");
    let out = capstan(&dir, &["template", "rel", "mychart"]);
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), read(&dir.join("expected.yaml")));
}

#[test]
fn template_passes_helm_flags_through() {
    let dir = testdata("helm", "sprig-semver-kube-version-flag");
    assert_eq!(
        read(&dir.join("cmd")).trim(),
        "helm template rel mychart --kube-version 1.25.3"
    );
    let out = capstan(
        &dir,
        &["template", "rel", "mychart", "--kube-version", "1.25.3"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), read(&dir.join("expected.yaml")));
}

#[test]
fn template_errors_are_helm_errors() {
    let dir = testdata("helm", "err-semver-invalid");
    assert_eq!(read(&dir.join("cmd")).trim(), "helm template rel mychart");
    let out = capstan(&dir, &["template", "rel", "mychart"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(text(&out.stderr), read(&dir.join("expected_error.txt")));
}

#[test]
fn kustomize_prints_what_kubectl_kustomize_prints() {
    let dir = testdata("kustomize", "annotations-common");
    assert_eq!(read(&dir.join("cmd")).trim(), "kubectl kustomize .");
    let out = capstan(&dir, &["kustomize", "."]);
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), read(&dir.join("expected.yaml")));
}

#[test]
fn kustomize_errors_are_kubectl_errors() {
    // The engine's messages are its own; the case lists what they must mention.
    let dir = testdata("kustomize", "error-empty-kustomization");
    assert_eq!(read(&dir.join("cmd")).trim(), "kubectl kustomize .");
    let out = capstan(&dir, &["kustomize", "."]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.ends_with('\n'), "{stderr:?}");
    for needle in read(&dir.join("error-contains")).lines() {
        assert!(stderr.contains(needle), "{needle:?} not in {stderr:?}");
    }
}
