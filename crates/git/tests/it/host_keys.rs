//! ssh host key verification against `known_hosts`: never accept-all.

use std::process::Command;

use capstan_e2e::{GitServer, SshHostKeyType};
use capstan_git::{Auth, Checkout, Error, Remote};

use crate::{deadline, history, server};

fn clone_with_known_hosts(
    server: &GitServer,
    repo: &str,
    known_hosts: &str,
) -> Result<String, Error> {
    let auth = Auth::from_secret_data([
        ("identity", server.ssh_identity_pem().as_bytes()),
        ("known_hosts", known_hosts.as_bytes()),
    ])?;
    let dir = tempfile::tempdir().unwrap();
    Remote::new(&server.ssh_url(repo), auth)?
        .clone_into(dir.path(), &Checkout::Branch("main".into()), &deadline())
        .map(|c| c.hash)
}

/// The server's key fingerprint, as `ssh-keygen -lf` prints it.
fn fingerprint(known_hosts: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kh");
    std::fs::write(&file, known_hosts).unwrap();
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(&file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string()
}

/// A `known_hosts` line for the server's host with a freshly made key of the same type.
fn other_key_line(server: &GitServer, key_type: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", key_type, "-N", "", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let mut fields = public.split_whitespace();
    format!(
        "[127.0.0.1]:{} {} {}\n",
        server.ssh_port(),
        fields.next().unwrap(),
        fields.next().unwrap()
    )
}

#[test]
fn an_unknown_host_is_refused_naming_host_and_fingerprint() {
    let server = server();
    let history = history(server);
    let error = clone_with_known_hosts(
        server,
        &history.name,
        &format!(
            "example.com {}",
            server.known_hosts().split_once(' ').unwrap().1
        ),
    )
    .unwrap_err();
    let expected = fingerprint(server.known_hosts());
    match &error {
        Error::HostKeyUnknown {
            host,
            fingerprint,
            key_type,
            ..
        } => {
            assert_eq!(host, &format!("[127.0.0.1]:{}", server.ssh_port()));
            assert_eq!(fingerprint, &expected);
            assert_eq!(key_type, "ssh-ed25519");
        }
        other => panic!("expected HostKeyUnknown, got {other}"),
    }
    let message = error.to_string();
    assert!(
        message.contains(&expected) && message.contains("127.0.0.1"),
        "{message}"
    );
}

#[test]
fn no_known_hosts_at_all_is_refused() {
    let server = server();
    let history = history(server);
    let auth =
        Auth::from_secret_data([("identity", server.ssh_identity_pem().as_bytes())]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let error = Remote::new(&server.ssh_url(&history.name), auth)
        .unwrap()
        .clone_into(dir.path(), &Checkout::Branch("main".into()), &deadline())
        .unwrap_err();
    assert!(matches!(error, Error::HostKeyUnknown { .. }), "{error}");
}

#[test]
fn a_changed_host_key_is_a_mismatch() {
    let server = server();
    let history = history(server);
    let error = clone_with_known_hosts(server, &history.name, &other_key_line(server, "ed25519"))
        .unwrap_err();
    match &error {
        Error::HostKeyMismatch {
            fingerprint, known, ..
        } => {
            assert_eq!(fingerprint, &self::fingerprint(server.known_hosts()));
            assert!(known.starts_with("ssh-ed25519 SHA256:"), "{known}");
        }
        other => panic!("expected HostKeyMismatch, got {other}"),
    }
}

#[test]
fn a_hashed_known_hosts_entry_is_accepted() {
    let server = server();
    let history = history(server);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known_hosts");
    std::fs::write(&file, server.known_hosts()).unwrap();
    let out = Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hashed = std::fs::read_to_string(&file).unwrap();
    assert!(hashed.starts_with("|1|"), "{hashed}");
    assert_eq!(
        clone_with_known_hosts(server, &history.name, &hashed).unwrap(),
        history.third
    );
}

#[test]
fn ecdsa_and_rsa_host_keys_are_verified() {
    for (key_type, name) in [
        (SshHostKeyType::Ecdsa, "ecdsa-sha2-nistp256"),
        (SshHostKeyType::Rsa, "ssh-rsa"),
    ] {
        let server = GitServer::start_with_ssh_host_key(key_type);
        assert!(
            server.known_hosts().contains(name),
            "{}",
            server.known_hosts()
        );
        let history = history(&server);
        assert_eq!(
            clone_with_known_hosts(&server, &history.name, server.known_hosts()).unwrap(),
            history.third,
            "{name}"
        );
        let other = if name == "ssh-rsa" { "rsa" } else { "ecdsa" };
        let error = clone_with_known_hosts(&server, &history.name, &other_key_line(&server, other))
            .unwrap_err();
        assert!(
            matches!(error, Error::HostKeyMismatch { .. }),
            "{name}: {error}"
        );
    }
}

#[test]
fn a_scanned_host_key_is_the_servers_and_then_verifies() {
    let server = server();
    let history = history(server);
    let (line, fingerprint) =
        capstan_git::scan_known_hosts(&server.ssh_url(&history.name), &deadline()).unwrap();
    assert_eq!(
        fingerprint,
        self::fingerprint(server.known_hosts()),
        "the same key ssh-keygen reports"
    );
    assert!(
        line.starts_with(&format!("[127.0.0.1]:{} ", server.ssh_port())),
        "{line}"
    );
    // The scanned line is a working known_hosts entry.
    clone_with_known_hosts(server, &history.name, &line).unwrap();
    assert!(
        capstan_git::scan_known_hosts(&server.http_url(&history.name), &deadline()).is_err(),
        "only ssh has host keys"
    );
}
