//! The CRDs committed under `manifests/crds/` must equal what the types
//! generate; regenerate them with the command in the failure message.

use std::collections::BTreeSet;
use std::path::PathBuf;

const REGENERATE: &str = "cargo run -p capstan-api --bin capstan-crdgen -- manifests/crds";

#[test]
fn committed_crds_match_the_generated_ones() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../manifests/crds");
    let mut problems = Vec::new();
    let mut expected = BTreeSet::new();
    for (name, content) in capstan_api::crd::rendered_files() {
        let path = dir.join(&name);
        match std::fs::read_to_string(&path) {
            Ok(committed) if committed == content => {}
            Ok(_) => problems.push(format!("{name} differs")),
            Err(e) => problems.push(format!("{name} unreadable: {e}")),
        }
        expected.insert(name);
    }
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".yaml") && !expected.contains(&name) {
                problems.push(format!("{name} is not generated any more; delete it"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "manifests/crds is out of date ({}); run from the workspace root:\n    {REGENERATE}",
        problems.join(", ")
    );
}
