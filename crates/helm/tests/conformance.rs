//! Golden cases: every folder under `testdata/` holds a chart (or several), a `cmd` file with
//! the exact `helm template` command that produced `expected.yaml` (stdout) or
//! `expected_error.txt` (stderr), and optionally `mask` (one regex per line: matches are
//! blanked on both sides, for random output). One test walks them all and reports every
//! mismatch; with `CAPSTAN_ORACLE_BIN` set it also re-runs the real `helm` live.
//!
//! Cases named `slow-*` generate RSA keys or run scrypt, which take tens of seconds without
//! optimisation: they run in release builds (`cargo test --release`) or with `CAPSTAN_SLOW=1`.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use capstan_helm::env::{FixedClock, Limits, SeededEntropy};
use capstan_helm::{Host, parse_template_args, render_to_string_with};

/// Splits a command line with single and double quotes, as a POSIX shell would for the
/// simple commands the cases use.
fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut chars = s.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                has = true;
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    cur.push(d);
                }
            }
            '"' => {
                has = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                cur.push(e);
                            }
                        }
                        d => cur.push(d),
                    }
                }
            }
            '\\' => {
                if let Some(e) = chars.next() {
                    cur.push(e);
                    has = true;
                }
            }
            c if c.is_whitespace() => {
                if has || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            c => cur.push(c),
        }
    }
    if has || !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn host() -> Host {
    Host {
        clock: Rc::new(FixedClock(1_700_000_000_000_000_000)),
        entropy: Rc::new(SeededEntropy::new(42)),
        limits: Limits::default(),
    }
}

fn apply_masks(s: &str, masks: &[regex::Regex]) -> String {
    // Absolute paths of the case folder differ between machines.
    let abs = regex::Regex::new(r"/[^ :\n]*/testdata/[^/ :\n]+/").ok();
    let mut out = match &abs {
        Some(re) => re.replace_all(s, "").into_owned(),
        None => s.to_string(),
    };
    for m in masks {
        out = m.replace_all(&out, "<masked>").into_owned();
    }
    out
}

/// Our rendering of a case: stdout, or `Error: ...` as Helm prints it.
fn run_ours(dir: &Path, args: &[String]) -> Result<String, String> {
    let mut opts = parse_template_args(args).map_err(|e| format!("Error: {e}\n"))?;
    opts.chart_path = dir.join(&opts.chart_path);
    opts.values_files = opts.values_files.iter().map(|f| dir.join(f)).collect();
    opts.set_file = opts
        .set_file
        .iter()
        .map(|a| {
            a.split(',')
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => format!("{k}={}", dir.join(v).display()),
                    None => p.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    render_to_string_with(&opts, &host()).map_err(|e| {
        // Paths in messages are relative to the case folder, as when Helm ran there.
        let prefix = format!("{}/", dir.display());
        format!("Error: {}\n", e.to_string().replace(&prefix, ""))
    })
}

/// Strips Helm's log lines (warnings) that precede the error.
fn helm_error_text(stderr: &str) -> String {
    match stderr.find("Error: ") {
        Some(i) => stderr[i..].to_string(),
        None => stderr.to_string(),
    }
}

fn run_helm(bin: &Path, dir: &Path, args: &[String]) -> Result<String, String> {
    let out = std::process::Command::new(bin.join("helm"))
        .arg("template")
        .args(args)
        .current_dir(dir)
        .env(
            "HELM_CACHE_HOME",
            std::env::temp_dir().join("capstan-helm-oracle"),
        )
        .env(
            "HELM_CONFIG_HOME",
            std::env::temp_dir().join("capstan-helm-oracle"),
        )
        .env(
            "HELM_DATA_HOME",
            std::env::temp_dir().join("capstan-helm-oracle"),
        )
        .output()
        .map_err(|e| format!("cannot run helm: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        // Helm names files by absolute path; the stored expectations are relative to the
        // case folder, so they hold wherever the repository is checked out.
        let prefix = format!("{}/", dir.display());
        let stderr = String::from_utf8_lossy(&out.stderr).replace(&prefix, "");
        Err(helm_error_text(&stderr))
    }
}

struct Outcome {
    name: String,
    problem: Option<String>,
}

fn check_case(dir: &Path, oracle: Option<&Path>) -> Outcome {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fail = |m: String| Outcome {
        name: name.clone(),
        problem: Some(m),
    };
    let Ok(cmd) = std::fs::read_to_string(dir.join("cmd")) else {
        return fail("no cmd file".into());
    };
    let words = shell_words(&cmd);
    if words.first().map(String::as_str) != Some("helm")
        || words.get(1).map(String::as_str) != Some("template")
    {
        return fail(format!("cmd must start with `helm template`: {cmd}"));
    }
    let args: Vec<String> = words.into_iter().skip(2).collect();
    let masks: Vec<regex::Regex> = std::fs::read_to_string(dir.join("mask"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| regex::Regex::new(l).ok())
        .collect();
    let ours = run_ours(dir, &args);
    let expected = match (
        std::fs::read_to_string(dir.join("expected.yaml")),
        std::fs::read_to_string(dir.join("expected_error.txt")),
    ) {
        (Ok(out), _) => Ok(out),
        (_, Ok(err)) => Err(helm_error_text(&err)),
        _ => return fail("neither expected.yaml nor expected_error.txt".into()),
    };
    if let Some(bin) = oracle {
        let live = run_helm(bin, dir, &args);
        let same = match (&live, &expected) {
            (Ok(a), Ok(b)) => apply_masks(a, &masks) == apply_masks(b, &masks),
            (Err(a), Err(b)) => a == b,
            _ => false,
        };
        if !same {
            return fail(format!(
                "live helm disagrees with the stored expectation:\n{live:?}"
            ));
        }
    }
    match (&ours, &expected) {
        (Ok(a), Ok(b)) => {
            let (a, b) = (apply_masks(a, &masks), apply_masks(b, &masks));
            if a != b {
                return fail(first_difference(&b, &a));
            }
        }
        (Err(a), Err(b)) => {
            let (a, b) = (apply_masks(a, &masks), apply_masks(b, &masks));
            if a.trim_end() != b.trim_end() {
                return fail(format!("error differs:\n--- helm\n{b}\n--- ours\n{a}"));
            }
        }
        (Ok(a), Err(b)) => {
            return fail(format!(
                "helm failed but we rendered:\n--- helm\n{b}\n--- ours\n{}",
                head(a)
            ));
        }
        (Err(a), Ok(b)) => {
            return fail(format!(
                "we failed but helm rendered:\n--- ours\n{a}\n--- helm\n{}",
                head(b)
            ));
        }
    }
    Outcome {
        name,
        problem: None,
    }
}

fn head(s: &str) -> String {
    s.lines().take(20).collect::<Vec<_>>().join("\n")
}

fn first_difference(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    for i in 0..e.len().max(a.len()) {
        if e.get(i) != a.get(i) {
            let lo = i.saturating_sub(3);
            let ctx = |v: &[&str]| v.get(lo..(i + 4).min(v.len())).unwrap_or(&[]).join("\n");
            return format!(
                "first difference at line {}:\n--- helm\n{}\n--- ours\n{}",
                i + 1,
                ctx(&e),
                ctx(&a)
            );
        }
    }
    "outputs differ only in trailing newlines".into()
}

fn case_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.join("cmd").exists())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

#[test]
fn every_golden_case_matches_helm() {
    let oracle = std::env::var_os("CAPSTAN_ORACLE_BIN").map(PathBuf::from);
    let only = std::env::var("CAPSTAN_CASE").ok();
    let run_slow = !cfg!(debug_assertions) || std::env::var_os("CAPSTAN_SLOW").is_some();
    let mut failures = Vec::new();
    let mut passed = 0;
    let mut skipped = 0;
    let dirs = case_dirs();
    assert!(!dirs.is_empty(), "no golden cases found");
    for d in &dirs {
        if let Some(o) = &only
            && !d.ends_with(o)
        {
            continue;
        }
        let is_slow = d
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("slow-"));
        if is_slow && !run_slow && only.is_none() {
            skipped += 1;
            continue;
        }
        let r = check_case(d, oracle.as_deref());
        match r.problem {
            None => passed += 1,
            Some(p) => failures.push(format!("== {}: {p}", r.name)),
        }
    }
    eprintln!(
        "golden cases: {passed} passed, {} failed, {skipped} skipped (slow)",
        failures.len()
    );
    for f in &failures {
        eprintln!("{f}\n");
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) differ from helm",
        failures.len()
    );
}
