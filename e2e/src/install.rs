//! Installs the Debian packages the harness's servers need, only when one is missing (the
//! pattern of `crates/localcluster/scripts/provision-cluster.sh`).

use std::process::Command;
use std::sync::Mutex;

/// Serialises installs within one test binary; apt's own lock (waited on, below) covers
/// concurrent test binaries.
static INSTALL: Mutex<()> = Mutex::new(());

/// Installs whichever of `packages` is missing, with `sudo` when not root.
pub(crate) fn ensure_packages(packages: &[&str]) -> Result<(), String> {
    let _guard = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !is_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!(
        "capstan-e2e: installing Debian packages: {}",
        missing.join(" ")
    );
    // An outdated package list only makes the install fail; that error is the one to report.
    let _ = privileged(&["apt-get", "update", "-qq"]);
    let mut install = vec![
        "env",
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "install",
        "-y",
        "-qq",
    ];
    install.extend(["--no-install-recommends", "-o", "DPkg::Lock::Timeout=300"]);
    install.extend(missing.iter().copied());
    privileged(&install)
}

fn is_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|out| {
            out.status.success()
                && String::from_utf8_lossy(&out.stdout).contains("install ok installed")
        })
}

/// Runs `args` as root: directly when we are root, else through `sudo -n`.
fn privileged(args: &[&str]) -> Result<(), String> {
    let mut command = if nix::unistd::geteuid().is_root() {
        let mut command = Command::new(args[0]);
        command.args(&args[1..]);
        command
    } else {
        let mut command = Command::new("sudo");
        command.arg("-n").args(args);
        command
    };
    match command.output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "{} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(error) => Err(format!("cannot run {}: {error}", args.join(" "))),
    }
}
