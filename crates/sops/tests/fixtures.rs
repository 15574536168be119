//! Golden cases: every folder under `testdata/` holds a plaintext (`plain.*`), the file the real
//! sops v3.11.0 encrypted from it (`encrypted.*`), what `sops -d` printed (`expected.*`), the
//! command used (`command`) and the key sets that can decrypt it (`keys`, one set per line).
//! `testdata/regenerate.sh` recreates them all.

use std::fs;
use std::path::{Path, PathBuf};

use capstan_sops::{ErrorKind, Format, Keyring, decrypt, is_encrypted};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn keyring(names: &[&str]) -> Keyring {
    let keys = testdata().join("keys");
    let data: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|n| ((*n).to_owned(), fs::read(keys.join(n)).expect("key file")))
        .collect();
    Keyring::from_secret_data(data.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
        .expect("keyring")
}

fn file_with_prefix(dir: &Path, prefix: &str) -> PathBuf {
    fs::read_dir(dir)
        .expect("case dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("{prefix}* in {}", dir.display()))
}

struct Case {
    name: String,
    encrypted: PathBuf,
    expected: Vec<u8>,
    plain: Vec<u8>,
    key_sets: Vec<Vec<String>>,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for entry in fs::read_dir(testdata()).expect("testdata") {
        let dir = entry.expect("entry").path();
        if !dir.is_dir() || dir.ends_with("keys") {
            continue;
        }
        let keys = fs::read_to_string(dir.join("keys")).expect("keys file");
        out.push(Case {
            name: dir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned(),
            encrypted: file_with_prefix(&dir, "encrypted."),
            expected: fs::read(file_with_prefix(&dir, "expected.")).expect("expected"),
            plain: fs::read(file_with_prefix(&dir, "plain.")).expect("plain"),
            key_sets: keys
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.split_whitespace().map(str::to_owned).collect())
                .collect(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(out.len() >= 19, "fixtures missing");
    out
}

#[test]
fn every_fixture_decrypts_to_sops_output_byte_for_byte() {
    let mut failures = Vec::new();
    for case in cases() {
        let bytes = fs::read(&case.encrypted).expect("encrypted");
        let format = Format::from_path(&case.encrypted);
        assert!(
            is_encrypted(&bytes, format),
            "{}: not detected as encrypted",
            case.name
        );
        for set in &case.key_sets {
            let names: Vec<&str> = set.iter().map(String::as_str).collect();
            match decrypt(&case.name, &bytes, format, &keyring(&names)) {
                Ok(p) if p.as_bytes() == case.expected.as_slice() => {}
                Ok(p) => failures.push(format!(
                    "{} with {names:?}: output differs from sops -d:\n--- ours\n{}\n--- sops\n{}",
                    case.name,
                    String::from_utf8_lossy(p.as_bytes()),
                    String::from_utf8_lossy(&case.expected)
                )),
                Err(e) => failures.push(format!("{} with {names:?}: {e}", case.name)),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn json_output_equals_the_plaintext_semantically() {
    for case in cases().into_iter().filter(|c| c.name.starts_with("json")) {
        let bytes = fs::read(&case.encrypted).expect("encrypted");
        let names: Vec<&str> = case.key_sets[0].iter().map(String::as_str).collect();
        let out = decrypt(&case.name, &bytes, Format::Json, &keyring(&names)).expect("decrypts");
        let ours: serde_json::Value = serde_json::from_slice(out.as_bytes()).expect("json out");
        let plain: serde_json::Value = serde_json::from_slice(&case.plain).expect("json in");
        // sops reads every number as a float64; compare numbers as floats.
        fn norm(v: serde_json::Value) -> serde_json::Value {
            use serde_json::Value::{Array, Number, Object};
            match v {
                Number(n) => serde_json::json!(n.as_f64()),
                Array(a) => Array(a.into_iter().map(norm).collect()),
                Object(o) => Object(o.into_iter().map(|(k, v)| (k, norm(v))).collect()),
                other => other,
            }
        }
        assert_eq!(norm(ours), norm(plain), "{}", case.name);
    }
}

#[test]
fn plaintext_documents_are_not_encrypted() {
    for case in cases() {
        let format = Format::from_path(&case.encrypted);
        assert!(
            !is_encrypted(&case.plain, format),
            "{}: plaintext flagged",
            case.name
        );
        assert!(
            !is_encrypted(&case.expected, format),
            "{}: output flagged",
            case.name
        );
    }
}

#[test]
fn opaque_formats_round_trip_to_the_exact_plaintext() {
    for case in cases()
        .into_iter()
        .filter(|c| c.name.starts_with("binary") || c.name.starts_with("dotenv"))
    {
        assert_eq!(
            case.expected, case.plain,
            "{}: sops -d differs from the input",
            case.name
        );
    }
}

#[test]
fn unrelated_keys_are_a_wrong_key_error_naming_the_recipients() {
    let ring = keyring(&["age-unrelated.agekey", "pgp-unrelated.asc"]);
    for case in cases() {
        let bytes = fs::read(&case.encrypted).expect("encrypted");
        let err = decrypt(
            &case.name,
            &bytes,
            Format::from_path(&case.encrypted),
            &ring,
        )
        .expect_err("must fail");
        assert!(
            matches!(err.kind(), ErrorKind::NoMatchingKey { .. }),
            "{}: {err}",
            case.name
        );
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("{}: wrong key", case.name)),
            "{msg}"
        );
    }
}

#[test]
fn shamir_needs_two_of_three_groups() {
    let bytes = fs::read(testdata().join("yaml-shamir/encrypted.yaml")).expect("fixture");
    let err = decrypt(
        "shamir.yaml",
        &bytes,
        Format::Yaml,
        &keyring(&["age1.agekey"]),
    )
    .expect_err("one group");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::ShamirThreshold {
                threshold: 2,
                recovered: 1,
                ..
            }
        ),
        "{err}"
    );
}
