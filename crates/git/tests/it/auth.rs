//! Credentials: basic auth, bearer tokens, `ca.crt`, ssh identities; refused credentials are
//! `AuthenticationFailed` and no message ever holds a secret.

use std::process::Command;

use capstan_git::{Auth, Checkout, Error, Remote};

use crate::{basic_secret, deadline, history, server, ssh_secret};

fn clone_error(remote: &Remote) -> Error {
    let dir = tempfile::tempdir().unwrap();
    match remote.clone_into(dir.path(), &Checkout::Branch("main".into()), &deadline()) {
        Ok(commit) => panic!(
            "cloning {} succeeded ({}) but should fail",
            remote.url(),
            commit.revision
        ),
        Err(error) => error,
    }
}

fn clone_ok(remote: &Remote) -> String {
    let dir = tempfile::tempdir().unwrap();
    match remote.clone_into(dir.path(), &Checkout::Branch("main".into()), &deadline()) {
        Ok(commit) => commit.hash,
        Err(error) => panic!("cloning {}: {error}", remote.url()),
    }
}

/// The error and its whole source chain, as a condition message would show it.
fn chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[test]
fn wrong_password_is_authentication_failed_without_the_password() {
    let server = server();
    let history = history(server);
    for url in [
        server.https_url(&history.name),
        server.http_url(&history.name),
    ] {
        let auth = Auth::from_secret_data([
            ("username", server.username().as_bytes()),
            ("password", b"wrong-password-value".as_slice()),
            ("ca.crt", server.ca_pem().as_bytes()),
        ])
        .unwrap();
        let error = clone_error(&Remote::new(&url, auth).unwrap());
        assert!(
            matches!(error, Error::AuthenticationFailed { .. }),
            "{url}: {}",
            chain(&error)
        );
        assert_eq!(error.reason(), "AuthenticationFailed");
        let text = format!("{} {error:?}", chain(&error));
        assert!(!text.contains("wrong-password-value"), "{text}");
        assert!(text.contains(&url), "the message names the URL: {text}");
    }
}

#[test]
fn missing_credentials_are_authentication_failed() {
    let server = server();
    let history = history(server);
    let auth = Auth::none()
        .with_ca_pem(server.ca_pem().as_bytes())
        .unwrap();
    let error = clone_error(&Remote::new(&server.https_url(&history.name), auth).unwrap());
    assert!(
        matches!(error, Error::AuthenticationFailed { .. }),
        "{}",
        chain(&error)
    );
}

#[test]
fn credentials_in_the_url_never_reach_a_message() {
    let server = server();
    let history = history(server);
    let url = server
        .http_url(&history.name)
        .replace("http://", "http://capstan:url-secret-pass@");
    let error = clone_error(&Remote::new(&url, Auth::none()).unwrap());
    let text = format!("{} {error:?}", chain(&error));
    assert!(!text.contains("url-secret-pass"), "{text}");
}

#[test]
fn public_repositories_need_no_credentials() {
    let server = server();
    let history = history(server);
    assert_eq!(
        clone_ok(&Remote::new(&server.public_http_url(&history.name), Auth::none()).unwrap()),
        history.third
    );
}

#[test]
fn bearer_token_is_sent_over_http_and_https() {
    let server = server();
    let history = history(server);
    let token = Auth::from_secret_data([
        ("bearerToken", server.bearer_token().as_bytes()),
        ("ca.crt", server.ca_pem().as_bytes()),
    ])
    .unwrap();
    assert_eq!(
        clone_ok(&Remote::new(&server.bearer_https_url(&history.name), token.clone()).unwrap()),
        history.third
    );
    assert_eq!(
        clone_ok(&Remote::new(&server.bearer_http_url(&history.name), token).unwrap()),
        history.third
    );

    let wrong = Auth::from_secret_data([("bearerToken", b"not-the-token".as_slice())]).unwrap();
    let error = clone_error(&Remote::new(&server.bearer_http_url(&history.name), wrong).unwrap());
    assert!(
        matches!(error, Error::AuthenticationFailed { .. }),
        "{}",
        chain(&error)
    );
    assert!(!format!("{} {error:?}", chain(&error)).contains("not-the-token"));
}

#[test]
fn https_needs_the_ca_when_the_system_does_not_trust_the_server() {
    let server = server();
    let history = history(server);
    let without_ca = Auth::from_secret_data([
        ("username", server.username().as_bytes()),
        ("password", server.password().as_bytes()),
    ])
    .unwrap();
    let error = clone_error(&Remote::new(&server.https_url(&history.name), without_ca).unwrap());
    assert!(
        matches!(error, Error::CertificateUntrusted { .. }),
        "{}",
        chain(&error)
    );

    let other_ca = rcgen::generate_simple_self_signed(vec!["other-ca".to_string()])
        .unwrap()
        .cert
        .pem();
    let wrong_ca = Auth::from_secret_data([
        ("username", server.username().as_bytes()),
        ("password", server.password().as_bytes()),
        ("ca.crt", other_ca.as_bytes()),
    ])
    .unwrap();
    let error = clone_error(&Remote::new(&server.https_url(&history.name), wrong_ca).unwrap());
    assert!(
        matches!(error, Error::CertificateUntrusted { .. }),
        "{}",
        chain(&error)
    );

    let with_ca = Auth::from_secret_data(basic_secret(server)).unwrap();
    assert_eq!(
        clone_ok(&Remote::new(&server.https_url(&history.name), with_ca).unwrap()),
        history.third
    );
}

#[test]
fn the_ca_is_checked_against_the_host_name() {
    let server = server();
    let history = history(server);
    // The certificate is for 127.0.0.1 and localhost, not for 127.0.0.2.
    let url = server
        .https_url(&history.name)
        .replace("127.0.0.1", "127.0.0.2");
    let error = clone_error(
        &Remote::new(&url, Auth::from_secret_data(basic_secret(server)).unwrap()).unwrap(),
    );
    // lighttpd listens on 127.0.0.1 only, so this may also be unreachable; never a success.
    assert!(
        matches!(
            error,
            Error::CertificateUntrusted { .. } | Error::Unreachable { .. }
        ),
        "{}",
        chain(&error)
    );
    let url = server
        .https_url(&history.name)
        .replace("127.0.0.1", "localhost");
    assert_eq!(
        clone_ok(
            &Remote::new(&url, Auth::from_secret_data(basic_secret(server)).unwrap()).unwrap()
        ),
        history.third
    );
}

#[test]
fn an_ssh_key_the_server_does_not_know_is_authentication_failed() {
    let server = server();
    let history = history(server);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("other");
    keygen(&["-t", "ed25519", "-N", "", "-f"], &key);
    let auth = Auth::from_secret_data([
        ("identity", std::fs::read(&key).unwrap().as_slice()),
        ("known_hosts", server.known_hosts().as_bytes()),
    ])
    .unwrap();
    let error = clone_error(&Remote::new(&server.ssh_url(&history.name), auth).unwrap());
    assert!(
        matches!(error, Error::AuthenticationFailed { .. }),
        "{}",
        chain(&error)
    );
    assert!(!format!("{error:?}").contains("PRIVATE KEY"));
}

#[test]
fn an_encrypted_ssh_key_works_with_its_passphrase() {
    let server = server();
    let history = history(server);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("identity");
    std::fs::write(&key, server.ssh_identity_pem()).unwrap();
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    keygen(&["-p", "-N", "key-passphrase", "-f"], &key);
    let encrypted = std::fs::read(&key).unwrap();
    let with = |password: &[u8]| {
        let mut data = ssh_secret(server);
        data[0].1 = encrypted.clone();
        data.push(("password".into(), password.to_vec()));
        Remote::new(
            &server.ssh_url(&history.name),
            Auth::from_secret_data(data).unwrap(),
        )
        .unwrap()
    };
    assert_eq!(clone_ok(&with(b"key-passphrase")), history.third);
    let error = clone_error(&with(b"wrong-passphrase"));
    assert!(
        matches!(error, Error::AuthenticationFailed { .. }),
        "{}",
        chain(&error)
    );
    assert!(!chain(&error).contains("wrong-passphrase"));
}

#[test]
fn ssh_without_identity_is_authentication_failed() {
    let server = server();
    let history = history(server);
    let auth = Auth::none().with_known_hosts(server.known_hosts()).unwrap();
    let error = clone_error(&Remote::new(&server.ssh_url(&history.name), auth).unwrap());
    assert!(
        matches!(error, Error::AuthenticationFailed { .. }),
        "{}",
        chain(&error)
    );
}

fn keygen(args: &[&str], key: &std::path::Path) {
    let out = Command::new("ssh-keygen")
        .args(["-q"])
        .args(args)
        .arg(key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ssh-keygen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
