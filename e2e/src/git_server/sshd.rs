//! `sshd` configuration: host key, client key, config file.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::SshHostKeyType;
use crate::process::{ProcessSpec, free_port, write_private};

/// What [`prepare`] made: how to run `sshd` and what a client needs.
pub(super) struct SshSetup {
    pub(super) process: ProcessSpec,
    pub(super) port: u16,
    pub(super) client_key_pem: String,
    pub(super) known_hosts: String,
}

/// Generates the host key of type `host_key` and an ed25519 client key under `dir/ssh`, and
/// writes a config that lets `user` in with that client key only.
pub(super) fn prepare(
    dir: &Path,
    host_key: SshHostKeyType,
    user: &str,
) -> Result<SshSetup, String> {
    let ssh = dir.join("ssh");
    std::fs::create_dir_all(&ssh).map_err(|e| format!("creating {}: {e}", ssh.display()))?;
    // sshd refuses to start without its privilege-separation directory.
    if !Path::new("/run/sshd").is_dir() && nix::unistd::geteuid().is_root() {
        std::fs::create_dir_all("/run/sshd").map_err(|e| format!("creating /run/sshd: {e}"))?;
    }

    let host_key_path = ssh.join("host_key");
    match host_key {
        SshHostKeyType::Ed25519 => keygen(&host_key_path, &["-t", "ed25519"])?,
        SshHostKeyType::Ecdsa => keygen(&host_key_path, &["-t", "ecdsa", "-b", "256"])?,
        SshHostKeyType::Rsa => keygen(&host_key_path, &["-t", "rsa", "-b", "3072"])?,
    }
    let client_key_path = ssh.join("client_key");
    keygen(&client_key_path, &["-t", "ed25519"])?;
    let client_key_pem = read(&client_key_path)?;
    let client_pub = read(&client_key_path.with_extension("pub"))?;
    let authorized_keys = ssh.join("authorized_keys");
    write_private(&authorized_keys, &client_pub)?;

    let port = free_port()?;
    let host_pub = read(&host_key_path.with_extension("pub"))?;
    let mut fields = host_pub.split_whitespace();
    let (Some(key_type), Some(key)) = (fields.next(), fields.next()) else {
        return Err(format!("unexpected public host key: {host_pub}"));
    };
    let known_hosts = format!("[127.0.0.1]:{port} {key_type} {key}\n");

    let config = ssh.join("sshd_config");
    let text = format!(
        "Port {port}\n\
         ListenAddress 127.0.0.1\n\
         HostKey {host_key}\n\
         PidFile {pid}\n\
         AuthorizedKeysFile {authorized_keys}\n\
         AllowUsers {user}\n\
         StrictModes no\n\
         UsePAM no\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         PermitRootLogin prohibit-password\n\
         PrintMotd no\n\
         LogLevel VERBOSE\n",
        host_key = host_key_path.display(),
        pid = ssh.join("sshd.pid").display(),
        authorized_keys = authorized_keys.display(),
    );
    write_private(&config, &text)?;

    let process = ProcessSpec {
        name: "sshd",
        program: PathBuf::from("/usr/sbin/sshd"),
        args: vec![
            "-D".into(),
            "-e".into(),
            "-f".into(),
            config.display().to_string(),
        ],
        env: Vec::new(),
        log: dir.join("sshd.log"),
    };
    Ok(SshSetup {
        process,
        port,
        client_key_pem,
        known_hosts,
    })
}

/// Runs `ssh-keygen` for a new key without passphrase at `path` (and `path.pub`).
fn keygen(path: &Path, type_args: &[&str]) -> Result<(), String> {
    let out = Command::new("ssh-keygen")
        .args(type_args)
        .args(["-q", "-N", "", "-C", "capstan-e2e", "-f"])
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run ssh-keygen: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ssh-keygen {} failed: {}",
            type_args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}
