//! Property tests: malformed input of any kind yields an error or a plaintext, never a panic.

use std::fs;
use std::path::Path;
use std::sync::LazyLock;

use capstan_sops::{Format, Keyring, decrypt, is_encrypted};
use proptest::prelude::*;

static RING: LazyLock<Keyring> = LazyLock::new(|| {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/keys");
    let age = fs::read(dir.join("age1.agekey")).unwrap_or_default();
    Keyring::from_secret_data([("age1.agekey", age.as_slice())]).unwrap_or_default()
});

static FIXTURES: LazyLock<Vec<(Vec<u8>, Format)>> = LazyLock::new(|| {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    [
        "yaml-age/encrypted.yaml",
        "json-age/encrypted.json",
        "dotenv-age/encrypted.env",
        "binary-age/encrypted.bin",
    ]
    .iter()
    .map(|rel| {
        (
            fs::read(dir.join(rel)).unwrap_or_default(),
            Format::from_path(rel),
        )
    })
    .collect()
});

const FORMATS: [Format; 4] = [Format::Yaml, Format::Json, Format::Dotenv, Format::Binary];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), f in 0usize..4) {
        let format = FORMATS[f];
        let _ = is_encrypted(&bytes, format);
        let _ = decrypt("fuzz", &bytes, format, &RING);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[ -~\\n\\t#:\\-\\[\\]{}'\"|>&*!%@`,?é😀]{0,300}", f in 0usize..4) {
        let format = FORMATS[f];
        let _ = is_encrypted(text.as_bytes(), format);
        let _ = decrypt("fuzz", text.as_bytes(), format, &RING);
    }

    #[test]
    fn mutated_fixtures_never_panic(which in 0usize..4, edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8)) {
        let (orig, format) = &FIXTURES[which];
        let mut bytes = orig.clone();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.truncate(i),
            }
        }
        let _ = is_encrypted(&bytes, *format);
        if let Ok(out) = decrypt("fuzz", &bytes, *format, &RING) {
            // Whatever still decrypts passed the MAC: it must be the original plaintext's size.
            prop_assert!(!out.is_empty());
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed(depth in 200usize..5000) {
        let json = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let doc = format!("{{\"a\": {json}}}");
        let _ = decrypt("deep", doc.as_bytes(), Format::Json, &RING);
        let yaml = format!("a: {json}\n");
        let _ = decrypt("deep", yaml.as_bytes(), Format::Yaml, &RING);
    }
}
