//! Missing references, unreachable and silent servers, timeouts.

use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use capstan_git::{Auth, Checkout, Deadline, Error, Remote};

use crate::{deadline, history, https_remote, server, ssh_remote};

fn clone_error(remote: &Remote, checkout: Checkout, deadline: &Deadline) -> Error {
    let dir = tempfile::tempdir().unwrap();
    match remote.clone_into(dir.path(), &checkout, deadline) {
        Ok(commit) => panic!(
            "cloning {checkout:?} succeeded ({}) but should fail",
            commit.revision
        ),
        Err(error) => error,
    }
}

#[test]
fn missing_branch_tag_and_name_are_ref_not_found() {
    let server = server();
    let history = history(server);
    for remote in [
        ssh_remote(server, &history.name),
        https_remote(server, &history.name),
    ] {
        for (checkout, reference) in [
            (Checkout::Branch("nope".into()), "refs/heads/nope"),
            (Checkout::Tag("v9.9.9".into()), "refs/tags/v9.9.9"),
            (
                Checkout::Name("refs/pull/99/head".into()),
                "refs/pull/99/head",
            ),
            (
                Checkout::Commit {
                    commit: history.first.clone(),
                    branch: Some("nope".into()),
                },
                "refs/heads/nope",
            ),
        ] {
            let error = clone_error(&remote, checkout.clone(), &deadline());
            assert!(
                matches!(&error, Error::RefNotFound { reference: r, .. } if r == reference),
                "{checkout:?}: {error}"
            );
            assert!(error.to_string().contains(remote.url()), "{error}");
            let error = remote.resolve(&checkout, &deadline()).map(|_| ()).err();
            if !matches!(checkout, Checkout::Commit { .. }) {
                assert!(
                    matches!(error, Some(Error::RefNotFound { .. })),
                    "resolve {checkout:?}: {error:?}"
                );
            }
        }
    }
}

#[test]
fn no_matching_tag_names_the_range() {
    let server = server();
    let history = history(server);
    let error = clone_error(
        &ssh_remote(server, &history.name),
        Checkout::SemVer(">=5.0.0".into()),
        &deadline(),
    );
    assert!(
        matches!(&error, Error::NoMatchingTag { range, .. } if range == ">=5.0.0"),
        "{error}"
    );
    let error = clone_error(
        &ssh_remote(server, &history.name),
        Checkout::SemVer("five".into()),
        &deadline(),
    );
    assert!(
        matches!(&error, Error::InvalidSemverRange { .. }),
        "{error}"
    );
}

#[test]
fn missing_commits_are_commit_not_found() {
    let server = server();
    let history = history(server);
    let remote = ssh_remote(server, &history.name);
    let absent = "0123456789abcdef0123456789abcdef01234567".to_string();
    let error = clone_error(
        &remote,
        Checkout::Commit {
            commit: absent.clone(),
            branch: None,
        },
        &deadline(),
    );
    assert!(
        matches!(&error, Error::CommitNotFound { branch: None, .. }),
        "{error}"
    );
    let error = clone_error(
        &remote,
        Checkout::Commit {
            commit: absent,
            branch: Some("main".into()),
        },
        &deadline(),
    );
    assert!(
        matches!(
            &error,
            Error::CommitNotFound {
                branch: Some(_),
                ..
            }
        ),
        "{error}"
    );
    // On the remote, but not on that branch.
    let error = clone_error(
        &remote,
        Checkout::Commit {
            commit: history.dev.clone(),
            branch: Some("main".into()),
        },
        &deadline(),
    );
    assert!(
        matches!(
            &error,
            Error::CommitNotFound {
                branch: Some(_),
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn a_missing_repository_is_named() {
    let server = server();
    let remote = Remote::new(&server.public_http_url("does-not-exist"), Auth::none()).unwrap();
    let error = clone_error(&remote, Checkout::default(), &deadline());
    assert!(matches!(error, Error::RepositoryNotFound { .. }), "{error}");
}

#[test]
fn a_closed_port_is_unreachable_quickly() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for url in [
        format!("ssh://git@127.0.0.1:{port}/repo.git"),
        format!("https://127.0.0.1:{port}/repo.git"),
        format!("http://127.0.0.1:{port}/repo.git"),
    ] {
        let auth = Auth::none().with_known_hosts("").unwrap();
        let remote = Remote::new(&url, auth).unwrap();
        let started = Instant::now();
        let error = clone_error(&remote, Checkout::default(), &deadline());
        assert!(matches!(error, Error::Unreachable { .. }), "{url}: {error}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{url} took {:?}",
            started.elapsed()
        );
        let error = remote
            .resolve(&Checkout::default(), &deadline())
            .unwrap_err();
        assert!(matches!(error, Error::Unreachable { .. }), "{url}: {error}");
    }
}

/// A server that accepts connections and never says a word, for a bounded time.
fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if let Ok((stream, _)) = listener.accept() {
                held.push(stream);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        for mut stream in held {
            let _ = stream.read(&mut [0; 1]);
        }
    });
    port
}

#[test]
fn the_deadline_bounds_a_silent_server() {
    let port = silent_server();
    for url in [
        format!("ssh://git@127.0.0.1:{port}/repo.git"),
        format!("http://127.0.0.1:{port}/repo.git"),
    ] {
        let remote = Remote::new(&url, Auth::none()).unwrap();
        let started = Instant::now();
        let error = clone_error(
            &remote,
            Checkout::default(),
            &Deadline::after(Duration::from_secs(1)),
        );
        assert!(matches!(error, Error::Timeout { .. }), "{url}: {error}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{url} took {:?}",
            started.elapsed()
        );
        assert!(error.to_string().contains("timed out after 1s"), "{error}");
        let started = Instant::now();
        let error = remote
            .resolve(
                &Checkout::default(),
                &Deadline::after(Duration::from_secs(1)),
            )
            .unwrap_err();
        assert!(matches!(error, Error::Timeout { .. }), "{url}: {error}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}

#[test]
fn cancelling_stops_a_clone() {
    let port = silent_server();
    let remote = Remote::new(&format!("http://127.0.0.1:{port}/repo.git"), Auth::none()).unwrap();
    let deadline = Deadline::after(Duration::from_secs(60));
    let canceller = deadline.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        canceller.cancel();
    });
    let started = Instant::now();
    let error = clone_error(&remote, Checkout::default(), &deadline);
    assert!(matches!(error, Error::Cancelled { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(3));
}
