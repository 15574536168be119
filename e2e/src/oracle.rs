use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::TestCluster;

static ORACLE_BIN: OnceLock<PathBuf> = OnceLock::new();

/// The directory holding the reference tools (`kubectl`, `helm`, `sops`): `$CAPSTAN_ORACLE_BIN`
/// when set, else what `scripts/oracles.sh` installs (idempotent, cached). Panics when they
/// cannot be had: interoperability checks must run, not skip.
pub fn oracle_bin() -> &'static PathBuf {
    ORACLE_BIN.get_or_init(|| {
        if let Some(dir) = std::env::var_os("CAPSTAN_ORACLE_BIN") {
            return PathBuf::from(dir);
        }
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/oracles.sh");
        let output = Command::new("bash").arg(&script).output();
        match output {
            Ok(out) if out.status.success() => {
                PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
            }
            Ok(out) => panic!(
                "{} failed: {}",
                script.display(),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(error) => panic!("cannot run {}: {error}", script.display()),
        }
    })
}

/// Runs the reference `kubectl` against `cluster`.
pub fn kubectl(cluster: &TestCluster, args: &[&str]) -> Output {
    let binary = oracle_bin().join("kubectl");
    match Command::new(&binary)
        .arg("--kubeconfig")
        .arg(cluster.kubeconfig_path())
        .args(args)
        .output()
    {
        Ok(output) => output,
        Err(error) => panic!("cannot run {}: {error}", binary.display()),
    }
}

/// Runs the reference `kubectl` with `stdin` as input.
pub fn kubectl_stdin(cluster: &TestCluster, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let binary = oracle_bin().join("kubectl");
    let child = Command::new(&binary)
        .arg("--kubeconfig")
        .arg(cluster.kubeconfig_path())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => panic!("cannot run {}: {error}", binary.display()),
    };
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    match child.wait_with_output() {
        Ok(output) => output,
        Err(error) => panic!("waiting for kubectl: {error}"),
    }
}
