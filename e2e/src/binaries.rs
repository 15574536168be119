//! Locating (and building, when needed) the workspace's own binaries, so one package's tests
//! can run another package's controller (kustomize-controller's tests need source-controller).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, OnceLock};

static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();

/// The path of binary `name` of workspace package `package`, built with `cargo build` into the
/// target directory this test binary lives in (a no-op when it is up to date). Panics when it
/// cannot be built: the test needs it.
pub fn workspace_binary(package: &str, name: &str) -> PathBuf {
    let built = BUILT.get_or_init(Mutex::default);
    let mut built = built
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(path) = built.get(name) {
        return path.clone();
    }
    // Test binaries live in <target>/<profile>/deps/.
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(PathBuf::from)
        .unwrap_or_default();
    let target_dir = profile_dir.parent().map(PathBuf::from).unwrap_or_default();
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--quiet", "-p", package, "--bin", name])
        .env("CARGO_TARGET_DIR", &target_dir);
    if release {
        command.arg("--release");
    }
    command.current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."));
    match command.status() {
        Ok(status) if status.success() => {}
        Ok(status) => panic!("cargo build -p {package} --bin {name} failed: {status}"),
        Err(error) => panic!("cannot run cargo to build {name}: {error}"),
    }
    let path = profile_dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing after the build",
        path.display()
    );
    built.insert(name.to_string(), path.clone());
    path
}
