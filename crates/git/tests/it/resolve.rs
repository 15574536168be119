//! The remote revision check without cloning (Flux's `OptimizedGitClones`).

use capstan_git::{Auth, Checkout, Remote};

use crate::{deadline, history, https_remote, server, ssh_remote};

#[test]
fn resolve_matches_what_a_clone_reports_for_every_kind() {
    let server = server();
    let history = history(server);
    for remote in [
        ssh_remote(server, &history.name),
        https_remote(server, &history.name),
    ] {
        let cases = [
            (
                Checkout::Branch("main".into()),
                format!("main@sha1:{}", history.third),
            ),
            (
                Checkout::Tag("v1.0.0".into()),
                format!("v1.0.0@sha1:{}", history.first),
            ),
            (
                Checkout::Tag("v1.1.0".into()),
                format!("v1.1.0@sha1:{}", history.second),
            ),
            (
                Checkout::SemVer("^1".into()),
                format!("v1.1.0@sha1:{}", history.second),
            ),
            (
                Checkout::SemVer(">=2.0.0-0".into()),
                format!("v2.0.0-rc.1@sha1:{}", history.dev),
            ),
            (
                Checkout::Name("refs/pull/1/head".into()),
                format!("refs/pull/1/head@sha1:{}", history.second),
            ),
        ];
        for (checkout, expected) in cases {
            let resolved = remote
                .resolve(&checkout, &deadline())
                .unwrap_or_else(|e| panic!("{checkout:?} via {}: {e}", remote.url()));
            assert_eq!(
                resolved.revision,
                expected,
                "{checkout:?} via {}",
                remote.url()
            );
            let dir = tempfile::tempdir().unwrap();
            let cloned = remote
                .clone_into(dir.path(), &checkout, &deadline())
                .unwrap();
            assert_eq!(
                cloned.revision, resolved.revision,
                "clone and resolve agree for {checkout:?}"
            );
        }
        let resolved = remote
            .resolve(&Checkout::Tag("v1.1.0".into()), &deadline())
            .unwrap();
        assert_eq!(resolved.reference.as_deref(), Some("refs/tags/v1.1.0"));
        assert_eq!(resolved.hash, history.second, "annotated tags are peeled");
    }
}

#[test]
fn resolve_sees_a_new_push() {
    let server = server();
    let history = history(server);
    let remote = ssh_remote(server, &history.name);
    let before = remote
        .resolve(&Checkout::Branch("main".into()), &deadline())
        .unwrap();
    history.wc.write("new.txt", "new\n");
    let pushed = history.wc.commit("fourth");
    history.wc.push_head("main");
    let after = remote
        .resolve(&Checkout::Branch("main".into()), &deadline())
        .unwrap();
    assert_ne!(before.revision, after.revision);
    assert_eq!(after.revision, format!("main@sha1:{pushed}"));
}

#[test]
fn resolving_a_commit_needs_no_network() {
    // Nothing listens here: a commit is immutable, so its revision is known.
    let remote = Remote::new("https://127.0.0.1:1/none.git", Auth::none()).unwrap();
    let hash = "363a6a8fe6a7f13e05d34c163b0ef02a777da20a";
    let alone = remote
        .resolve(
            &Checkout::Commit {
                commit: hash.into(),
                branch: None,
            },
            &deadline(),
        )
        .unwrap();
    assert_eq!(alone.revision, format!("sha1:{hash}"));
    let on_branch = remote
        .resolve(
            &Checkout::Commit {
                commit: hash.into(),
                branch: Some("main".into()),
            },
            &deadline(),
        )
        .unwrap();
    assert_eq!(on_branch.revision, format!("main@sha1:{hash}"));
}

#[test]
fn resolve_works_with_a_bearer_token() {
    let server = server();
    let history = history(server);
    let auth = Auth::from_secret_data([
        ("bearerToken", server.bearer_token().as_bytes()),
        ("ca.crt", server.ca_pem().as_bytes()),
    ])
    .unwrap();
    let remote = Remote::new(&server.bearer_https_url(&history.name), auth).unwrap();
    let resolved = remote
        .resolve(&Checkout::Branch("main".into()), &deadline())
        .unwrap();
    assert_eq!(resolved.hash, history.third);
}
