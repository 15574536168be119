//! Live compatibility check against the real sops. With `CAPSTAN_ORACLE_BIN` pointing at the
//! directory `scripts/oracles.sh` prints, random documents are encrypted by `sops`, decrypted by
//! `sops -d` and by us, and the outputs must match byte for byte. Without it, the checked-in
//! fixtures are the test and this one returns at once.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use capstan_sops::{Format, Keyring, decrypt};
use serde_json::{Map, Value, json};

/// A small deterministic generator, so a failure can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "",
    "plain",
    "two words",
    "true",
    "yes",
    "no",
    "off",
    "null",
    "~",
    "123",
    "0x1F",
    "0777",
    "1e3",
    "1.5",
    "2024-01-01",
    "2024-01-01 10:00:00",
    "a: b",
    "a #b",
    "#x",
    "- item",
    "-",
    "--- doc",
    "...",
    " lead",
    "trail ",
    "tab\there",
    "line1\nline2",
    "line1\nline2\n",
    "\nleading break",
    "keep\n\n",
    "  indented\nnext",
    "trailing space \nx",
    "quote'single",
    "quote\"double",
    "back\\slash",
    "héllo wörld",
    "日本語",
    "emoji 😀",
    "bell\u{7}",
    "nul\u{0}",
    "*star",
    "&amp",
    "!bang",
    "%pct",
    "@at",
    "`tick",
    "{brace}",
    "[bracket]",
    "a,b",
    "q?",
    "1:20",
    "<<",
    "=",
    "k=v",
    "\u{2028}ls",
    "cr\rlf",
    "\u{feff}bom",
    "\u{a0}nbsp",
    "long long long long long long long long long long long long long long long long long long long long",
];

fn scalar(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => json!(i64::try_from(rng.next() % 100_000).unwrap_or(0) - 50_000),
        1 => json!(
            rng.pick(&["1.5", "-0.25", "1234567.0", "0.00001", "1e300", "3.0"])
                .parse::<f64>()
                .unwrap_or(0.0)
        ),
        2 => json!(rng.below(2) == 0),
        3 => Value::Null,
        _ => {
            let mut s = rng.pick(WORDS).to_owned();
            if rng.below(3) == 0 {
                s.push_str(rng.pick(WORDS));
            }
            Value::String(s)
        }
    }
}

fn value(rng: &mut Rng, depth: usize) -> Value {
    match if depth > 2 { 9 } else { rng.below(10) } {
        0 | 1 => {
            let mut m = Map::new();
            for i in 0..=rng.below(3) {
                m.insert(
                    format!("k{i}_{}", rng.pick(&["a", "b", "c_unencrypted"])),
                    value(rng, depth + 1),
                );
            }
            Value::Object(m)
        }
        2 => Value::Array((0..rng.below(4)).map(|_| value(rng, depth + 1)).collect()),
        _ => scalar(rng),
    }
}

fn document(rng: &mut Rng) -> Value {
    let mut m = Map::new();
    for i in 0..1 + rng.below(6) {
        m.insert(format!("key{i}"), value(rng, 0));
    }
    Value::Object(m)
}

fn dotenv(rng: &mut Rng) -> String {
    let mut out = String::new();
    for i in 0..1 + rng.below(6) {
        if rng.below(4) == 0 {
            out.push_str("# a comment\n");
        }
        let v = rng.pick(WORDS).replace('\n', "\\n").replace('\r', "");
        out.push_str(&format!("KEY_{i}={v}\n"));
    }
    out
}

fn sops(bin: &Path, args: &[&str], key_file: &Path) -> Result<Vec<u8>, String> {
    let out = Command::new(bin.join("sops"))
        .args(args)
        .env("SOPS_AGE_KEY_FILE", key_file)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn random_documents_decrypt_like_sops() {
    let Some(bin) = std::env::var_os("CAPSTAN_ORACLE_BIN").map(PathBuf::from) else {
        eprintln!("CAPSTAN_ORACLE_BIN unset: live sops check skipped, fixtures only");
        return;
    };
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/keys");
    let key_file = keys.join("age1.agekey");
    let identity = fs::read(&key_file).expect("key");
    let recipient = String::from_utf8_lossy(&identity)
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(str::to_owned))
        .expect("public key comment");
    let ring = Keyring::from_secret_data([("age1.agekey", identity.as_slice())]).expect("keyring");
    let dir = tempfile::tempdir().expect("tempdir");
    let seed: u64 = std::env::var("CAPSTAN_ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_cafe);
    let rounds: usize = std::env::var("CAPSTAN_ORACLE_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(25);
    let mut failures = Vec::new();
    for round in 0..rounds {
        let mut rng = Rng(seed
            .wrapping_add(round as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            | 1);
        let doc = document(&mut rng);
        let json_text = serde_json::to_string_pretty(&doc).expect("json");
        let mut cases = vec![
            ("yaml", "in.yaml", json_text.clone()),
            ("json", "in.json", json_text),
        ];
        cases.push(("dotenv", "in.env", dotenv(&mut rng)));
        for (ty, name, plain) in cases {
            let path = dir.path().join(name);
            fs::write(&path, &plain).expect("write");
            let p = path.to_string_lossy().into_owned();
            let args = [
                "encrypt",
                "--age",
                &recipient,
                "--input-type",
                ty,
                "--output-type",
                ty,
                &p,
            ];
            let enc = match sops(&bin, &args, &key_file) {
                Ok(e) => e,
                // Documents sops itself refuses (e.g. a NUL byte in YAML) are not our concern.
                Err(_) => continue,
            };
            fs::write(&path, &enc).expect("write");
            let Ok(expected) = sops(
                &bin,
                &["decrypt", "--input-type", ty, "--output-type", ty, &p],
                &key_file,
            ) else {
                continue;
            };
            let format = Format::from_path(&path);
            match decrypt(name, &enc, format, &ring) {
                Ok(out) if out.as_bytes() == expected.as_slice() => {}
                Ok(out) => failures.push(format!(
                    "round {round} {ty}: differs\n--- input\n{plain}\n--- ours\n{}\n--- sops\n{}",
                    String::from_utf8_lossy(out.as_bytes()),
                    String::from_utf8_lossy(&expected)
                )),
                Err(e) => failures.push(format!("round {round} {ty}: {e}\n--- input\n{plain}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
