use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::Error;

/// The provisioning script, embedded so the CLI works from any directory.
const SCRIPT: &str = include_str!("../scripts/provision-cluster.sh");

/// Where the control-plane binaries live once provisioned.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `etcd` from Debian's `etcd-server`.
    pub etcd: PathBuf,
    /// `kube-apiserver` v1.20.2 built from Debian's source package.
    pub kube_apiserver: PathBuf,
    /// `kube-controller-manager` from the same build.
    pub kube_controller_manager: PathBuf,
}

/// Installs etcd and builds kube-apiserver and kube-controller-manager when they are missing.
///
/// Idempotent and cached outside the clone (`$CAPSTAN_CACHE`, default `~/.cache/capstan`): the
/// first run takes about 9 minutes on 2 cores, later runs return at once. Progress goes to
/// stderr. A developer tool, not product code: it runs `apt-get` and `make` through bash.
pub fn provision() -> Result<Binaries, Error> {
    let output = Command::new("bash")
        .arg("-c")
        .arg(SCRIPT)
        .arg("provision-cluster")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error::Provision(format!("cannot run bash: {e}")))?;
    if !output.status.success() {
        return Err(Error::Provision(format!(
            "scripts/provision-cluster.sh exited with {}",
            output.status
        )));
    }
    let bin_dir = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let bin_dir = PathBuf::from(bin_dir);
    let binaries = Binaries {
        etcd: PathBuf::from("/usr/bin/etcd"),
        kube_apiserver: bin_dir.join("kube-apiserver"),
        kube_controller_manager: bin_dir.join("kube-controller-manager"),
    };
    for path in [
        &binaries.etcd,
        &binaries.kube_apiserver,
        &binaries.kube_controller_manager,
    ] {
        if !path.is_file() {
            return Err(Error::Provision(format!(
                "{} is missing after provisioning",
                path.display()
            )));
        }
    }
    Ok(binaries)
}
