//! The tree committed under `manifests/` must equal what the generator writes; regenerate it
//! with the command in the failure message.

use std::collections::BTreeSet;
use std::path::PathBuf;

use capstan_install::{InstallOptions, REGENERATE, manifest_dirs, manifest_files};

#[test]
fn committed_manifests_match_the_generated_ones() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../manifests");
    let options = InstallOptions::default();
    let mut problems = Vec::new();
    let mut expected = BTreeSet::new();
    for (relative, content) in manifest_files(&options) {
        let path = root.join(&relative);
        match std::fs::read_to_string(&path) {
            Ok(committed) if committed == content => {}
            Ok(_) => problems.push(format!("{} differs", relative.display())),
            Err(e) => problems.push(format!("{} unreadable: {e}", relative.display())),
        }
        expected.insert(path);
    }
    for dir in manifest_dirs(&options) {
        let Ok(entries) = std::fs::read_dir(root.join(&dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "yaml") && !expected.contains(&path) {
                problems.push(format!(
                    "{} is not generated any more; delete it",
                    path.strip_prefix(&root).unwrap_or(&path).display()
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "manifests/ is out of date ({}); run from the workspace root:\n    {REGENERATE}",
        problems.join(", ")
    );
}
