//! Bad input: wrong keys, altered ciphertext, MAC or metadata, values moved between keys,
//! truncated and malformed files. Every error names the file and, where it applies, the path;
//! none shows a plaintext value or key material.

use std::fs;
use std::path::{Path, PathBuf};

use capstan_sops::{Error, ErrorKind, Format, Keyring, decrypt};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn read(rel: &str) -> String {
    fs::read_to_string(testdata().join(rel)).expect("fixture")
}

fn ring(names: &[&str]) -> Keyring {
    let data: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|n| {
            (
                (*n).to_owned(),
                fs::read(testdata().join("keys").join(n)).expect("key"),
            )
        })
        .collect();
    Keyring::from_secret_data(data.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
        .expect("keyring")
}

fn all_keys() -> Keyring {
    ring(&["age1.agekey", "age2.agekey", "pgp-rsa.asc", "pgp-ecc.asc"])
}

fn fail(name: &str, text: &str, format: Format) -> Error {
    decrypt(name, text.as_bytes(), format, &all_keys())
        .expect_err("tampered input must not decrypt")
}

/// Replaces the first occurrence of `from` after the line starting with `anchor`.
fn edit_after(text: &str, anchor: &str, from: &str, to: &str) -> String {
    let at = text.find(anchor).expect("anchor");
    let rel = text[at..].find(from).expect("needle");
    let mut out = text.to_owned();
    out.replace_range(at + rel..at + rel + from.len(), to);
    out
}

/// The `data:` field of the ENC value on the line starting with `key:`.
fn enc_of(text: &str, key: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(key))
        .expect("line");
    line[line.find("ENC[").expect("enc")..].to_owned()
}

#[test]
fn altered_ciphertext_fails_authentication_at_its_path() {
    let text = read("yaml-flux-secret/encrypted.yaml");
    let enc = enc_of(&text, "password:");
    let data_start = "ENC[AES256_GCM,data:".len();
    let mut altered = enc.clone();
    let c = if &enc[data_start..=data_start] == "A" {
        "B"
    } else {
        "A"
    };
    altered.replace_range(data_start..=data_start, c);
    let err = fail("secret.yaml", &text.replace(&enc, &altered), Format::Yaml);
    assert!(
        matches!(err.kind(), ErrorKind::ValueAuthentication { path } if path == "stringData.password"),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("secret.yaml: cannot decrypt the value at stringData.password")
    );
}

#[test]
fn a_value_moved_to_another_key_fails_authentication() {
    let text = read("yaml-flux-secret/encrypted.yaml");
    let user = enc_of(&text, "username:");
    let pass = enc_of(&text, "password:");
    let swapped = text
        .replace(&user, "@@U@@")
        .replace(&pass, &user)
        .replace("@@U@@", &pass);
    let err = fail("secret.yaml", &swapped, Format::Yaml);
    assert!(
        matches!(err.kind(), ErrorKind::ValueAuthentication { path } if path == "stringData.username"),
        "{err}"
    );
}

#[test]
fn reordered_list_items_break_the_mac() {
    // Items of one list share their additional data, so only the MAC notices the swap.
    let text = read("yaml-age/encrypted.yaml");
    let lines: Vec<&str> = text.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.starts_with("        - ENC["))
        .expect("list");
    let mut swapped: Vec<&str> = lines.clone();
    swapped.swap(first, first + 1);
    let err = fail("values.yaml", &(swapped.join("\n") + "\n"), Format::Yaml);
    assert!(matches!(err.kind(), ErrorKind::MacMismatch), "{err}");
    assert_eq!(
        err.to_string(),
        "values.yaml: MAC mismatch: the file was modified after encryption"
    );
}

#[test]
fn an_edited_clear_value_breaks_the_mac_unless_mac_only_encrypted() {
    let text = read("yaml-flux-secret/encrypted.yaml");
    let err = fail(
        "secret.yaml",
        &text.replace("app-credentials", "app-credentialz"),
        Format::Yaml,
    );
    assert!(matches!(err.kind(), ErrorKind::MacMismatch), "{err}");

    let text = read("yaml-mac-only-encrypted/encrypted.yaml");
    let edited = text.replace("this may change", "this did change");
    let out = decrypt(
        "mac-only.yaml",
        edited.as_bytes(),
        Format::Yaml,
        &ring(&["age1.agekey"]),
    )
    .expect("still valid");
    assert!(String::from_utf8_lossy(out.as_bytes()).contains("this did change"));
}

#[test]
fn an_altered_mac_or_lastmodified_is_refused() {
    let text = read("yaml-flux-secret/encrypted.yaml");
    let err = fail(
        "secret.yaml",
        &edit_after(&text, "    mac: ", "data:", "data:AAAA"),
        Format::Yaml,
    );
    assert!(matches!(err.kind(), ErrorKind::MacAuthentication), "{err}");

    let changed = text.replace("lastmodified: \"20", "lastmodified: \"19");
    assert_ne!(changed, text);
    let err = fail("secret.yaml", &changed, Format::Yaml);
    assert!(
        matches!(
            err.kind(),
            ErrorKind::MacAuthentication | ErrorKind::Metadata { .. }
        ),
        "{err}"
    );

    let err = fail(
        "secret.yaml",
        &edit_after(&text, "    mac: ", "ENC[", "ENX["),
        Format::Yaml,
    );
    assert!(
        matches!(err.kind(), ErrorKind::MalformedValue { path, .. } if path == "sops.mac"),
        "{err}"
    );
}

#[test]
fn malformed_enc_values_are_named_by_path() {
    let text = read("yaml-flux-secret/encrypted.yaml");
    let enc = enc_of(&text, "password:");
    for bad in [
        enc.replace(",tag:", ",tog:"),
        enc.replace("type:str]", "type:blob]"),
        enc.replace("data:", "data:!!"),
        enc[..30].to_owned(),
        "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]".to_owned(),
    ] {
        let err = fail("secret.yaml", &text.replace(&enc, &bad), Format::Yaml);
        assert!(
            matches!(err.kind(), ErrorKind::MalformedValue { path, .. } if path == "stringData.password"),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("truncated or malformed ENC value at stringData.password")
        );
    }
    let err = fail("secret.yaml", &text.replace(&enc, "12"), Format::Yaml);
    assert!(
        matches!(
            err.kind(),
            ErrorKind::NotEncrypted {
                found: "integer",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn truncated_files_fail_cleanly() {
    for (rel, format) in [
        ("yaml-age/encrypted.yaml", Format::Yaml),
        ("json-age/encrypted.json", Format::Json),
        ("dotenv-age/encrypted.env", Format::Dotenv),
        ("binary-age/encrypted.bin", Format::Binary),
    ] {
        let text = read(rel);
        // Cutting only the trailing newline or the `version` line leaves a valid file (as for
        // sops); every cut into data or keys must fail.
        for cut in [0, 1, 10, text.len() / 3, text.len() / 2, text.len() * 2 / 3] {
            let mut end = cut;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let err = fail("cut", &text[..end], format);
            assert!(err.to_string().starts_with("cut: "), "{err}");
        }
    }
}

#[test]
fn documents_without_metadata_are_not_sops_files() {
    for (rel, format) in [
        ("yaml-age/plain.yaml", Format::Yaml),
        ("json-age/plain.json", Format::Json),
        ("dotenv-age/plain.env", Format::Dotenv),
    ] {
        let err = fail("plain", &read(rel), format);
        assert!(
            matches!(err.kind(), ErrorKind::MetadataNotFound),
            "{rel}: {err}"
        );
    }
}

#[test]
fn json_and_dotenv_tampering_is_detected() {
    let text = read("json-flux-secret/encrypted.json");
    let err = fail(
        "s.json",
        &text.replace("json-secret", "json-secreT"),
        Format::Json,
    );
    assert!(matches!(err.kind(), ErrorKind::MacMismatch), "{err}");
    let text = read("dotenv-age/encrypted.env");
    let err = fail(
        "s.env",
        &text.replace(
            "API_TOKEN_unencrypted=clear-token",
            "API_TOKEN_unencrypted=other",
        ),
        Format::Dotenv,
    );
    assert!(matches!(err.kind(), ErrorKind::MacMismatch), "{err}");
}

#[test]
fn an_empty_keyring_and_unsupported_providers_are_explained() {
    let text = read("yaml-age/encrypted.yaml");
    let err =
        decrypt("a.yaml", text.as_bytes(), Format::Yaml, &Keyring::new()).expect_err("no keys");
    assert!(
        matches!(err.kind(), ErrorKind::NoMatchingKey { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("no age or PGP key"), "{err}");

    // A file whose only recipient is a cloud KMS.
    let start = text.find("    age:").expect("age block");
    let end = text.find("    lastmodified").expect("lm");
    let kms = format!(
        "{}    kms:\n        - arn: arn:aws:kms:eu-west-1:1:key/x\n          enc: AQID\n          created_at: \"2026-01-01T00:00:00Z\"\n{}",
        &text[..start],
        &text[end..]
    );
    let ring = Keyring::from_secret_data([("sops.aws-kms", b"x".as_slice())]).expect("ring");
    let err = decrypt("kms.yaml", kms.as_bytes(), Format::Yaml, &ring).expect_err("kms");
    assert!(
        matches!(err.kind(), ErrorKind::UnsupportedProvider { providers } if providers == "AWS KMS"),
        "{err}"
    );
}

#[test]
fn bad_secret_entries_name_the_entry_only() {
    let key = fs::read_to_string(testdata().join("keys/age1.agekey")).expect("key");
    let broken = key.replace("AGE-SECRET-KEY-1", "AGE-SECRET-KEY-2");
    let err =
        Keyring::from_secret_data([("identity.agekey", broken.as_bytes())]).expect_err("bad age");
    let msg = err.to_string();
    assert!(
        msg.starts_with("decryption secret entry identity.agekey"),
        "{msg}"
    );
    let secret_line = key
        .lines()
        .find(|l| l.starts_with("AGE-"))
        .expect("identity");
    assert!(!msg.contains(&secret_line[20..]), "{msg}");

    let err =
        Keyring::from_secret_data([("key.asc", b"not armor".as_slice())]).expect_err("bad pgp");
    assert!(
        err.to_string()
            .starts_with("decryption secret entry key.asc")
    );
    // Other entries are ignored, as Flux does.
    assert!(
        Keyring::from_secret_data([("README", b"x".as_slice())])
            .expect("ignored")
            .is_empty()
    );
}

/// Every plaintext value of the fixtures and every private key line.
fn secrets() -> Vec<String> {
    let mut out: Vec<String> = [
        "flux-user",
        "p@ss: w0rd #1",
        "abc123",
        "c2VjcmV0LWtleS1ieXRlcw",
        "hidden-password",
        "hidden-token",
        "hidden-value",
        "hidden-user",
        "s3cr3t-rsa",
        "s3cr3t-ecc",
        "s3cr3t-mixed",
        "json-password",
        "json-user",
        "ecc-token",
        "first-password",
        "second-password",
        "split-between-three-groups",
        "p@ss=word with spaces",
        "database settings",
        "lorem ipsum",
        "héllo",
        "8080",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for entry in fs::read_dir(testdata().join("keys")).expect("keys") {
        let text = fs::read_to_string(entry.expect("key").path()).expect("key text");
        out.extend(
            text.lines()
                .filter(|l| {
                    l.starts_with("AGE-SECRET-KEY-")
                        || (l.len() > 40 && !l.starts_with('-') && !l.starts_with('#'))
                })
                .map(|l| l[..l.len().min(40)].to_owned()),
        );
    }
    out
}

#[test]
fn no_error_or_debug_output_contains_a_secret() {
    let secrets = secrets();
    let check = |what: &str| {
        for s in &secrets {
            assert!(!what.contains(s.as_str()), "leaked {s:?} in {what}");
        }
    };
    let mut errors = Vec::new();
    let text = read("yaml-flux-secret/encrypted.yaml");
    let enc = enc_of(&text, "password:");
    let user = enc_of(&text, "username:");
    for bad in [
        text.replace(&enc, &enc.replace("type:str]", "type:int]")),
        text.replace(&enc, &enc.replace("type:str]", "type:bool]")),
        text.replace(&enc, &enc.replace("type:str]", "type:time]")),
        text.replace(&enc, &user),
        text.replace("app-credentials", "x"),
        text.replace(
            "version: 3.11.0",
            "version: 3.11.0\n    encrypted_suffix: _x",
        ),
        text[..text.len() / 2].to_owned(),
    ] {
        errors.push(fail("secret.yaml", &bad, Format::Yaml));
    }
    for case in [
        "yaml-age/encrypted.yaml",
        "json-age/encrypted.json",
        "dotenv-age/encrypted.env",
    ] {
        let t = read(case);
        let format = Format::from_path(case);
        errors.push(
            decrypt(
                case,
                t.as_bytes(),
                format,
                &ring(&["age-unrelated.agekey", "pgp-unrelated.asc"]),
            )
            .expect_err("wrong key"),
        );
        errors.push(fail(
            case,
            &t.replacen("ENC[AES256_GCM,data:", "ENC[AES256_GCM,data:A", 3),
            format,
        ));
    }
    for e in &errors {
        check(&e.to_string());
        check(&format!("{e:?}"));
        check(&format!("{:?}", e.kind()));
    }
    let keyring = all_keys();
    check(&format!("{keyring:?}"));
    let out = decrypt("ok", text.as_bytes(), Format::Yaml, &keyring).expect("decrypts");
    check(&format!("{out:?}"));
    assert!(String::from_utf8_lossy(out.as_bytes()).contains("flux-user"));
}
