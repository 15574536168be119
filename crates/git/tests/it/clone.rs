//! Cloning every kind of reference over ssh, https and http, with Flux's revision strings.

use capstan_git::{Checkout, Commit, Remote};
use git2::Repository;

use crate::{History, deadline, history, http_remote, https_remote, server, ssh_remote};

fn clone(remote: &Remote, checkout: Checkout) -> (tempfile::TempDir, Commit) {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("checkout");
    let commit = remote
        .clone_into(&target, &checkout, &deadline())
        .unwrap_or_else(|e| panic!("cloning {checkout:?}: {e}"));
    (dir, commit)
}

fn read(dir: &tempfile::TempDir, file: &str) -> String {
    std::fs::read_to_string(dir.path().join("checkout").join(file)).unwrap()
}

fn is_shallow(dir: &tempfile::TempDir) -> bool {
    Repository::open(dir.path().join("checkout"))
        .unwrap()
        .is_shallow()
}

/// Every kind of reference against one remote.
fn clone_every_kind(history: &History, remote: &Remote) {
    let (dir, commit) = clone(remote, Checkout::Branch("main".into()));
    assert_eq!(commit.hash, history.third);
    assert_eq!(commit.revision, format!("main@sha1:{}", history.third));
    assert_eq!(commit.reference.as_deref(), Some("refs/heads/main"));
    assert_eq!(read(&dir, "README.md"), "third\n");
    assert_eq!(read(&dir, "deploy/app.yaml"), "kind: ConfigMap\n");
    assert!(is_shallow(&dir), "a branch clone is shallow");
    assert_eq!(commit.summary(), "third");
    assert_eq!(commit.author.name, "Capstan Test");

    let (dir, commit) = clone(remote, Checkout::Tag("v1.0.0".into()));
    assert_eq!(commit.revision, format!("v1.0.0@sha1:{}", history.first));
    assert_eq!(read(&dir, "README.md"), "first\n");

    let (_, commit) = clone(remote, Checkout::Tag("v1.1.0".into()));
    assert_eq!(
        commit.revision,
        format!("v1.1.0@sha1:{}", history.second),
        "an annotated tag is peeled to its commit"
    );
    assert_eq!(commit.message, "second\n\nwith a body\n");
    assert_eq!(commit.summary(), "second");

    let (_, commit) = clone(remote, Checkout::SemVer(">=1.0.0 <2.0.0".into()));
    assert_eq!(commit.revision, format!("v1.1.0@sha1:{}", history.second));
    let (_, commit) = clone(remote, Checkout::SemVer("~1.0".into()));
    assert_eq!(commit.revision, format!("v1.0.0@sha1:{}", history.first));

    let (dir, commit) = clone(remote, Checkout::Name("refs/pull/1/head".into()));
    assert_eq!(
        commit.revision,
        format!("refs/pull/1/head@sha1:{}", history.second)
    );
    assert_eq!(read(&dir, "README.md"), "second\n");
    let (_, commit) = clone(remote, Checkout::Name("refs/heads/dev".into()));
    assert_eq!(
        commit.revision,
        format!("refs/heads/dev@sha1:{}", history.dev)
    );

    let (dir, commit) = clone(
        remote,
        Checkout::Commit {
            commit: history.second.clone(),
            branch: None,
        },
    );
    assert_eq!(commit.revision, format!("sha1:{}", history.second));
    assert_eq!(commit.reference, None);
    assert_eq!(read(&dir, "README.md"), "second\n");

    let (dir, commit) = clone(
        remote,
        Checkout::Commit {
            commit: history.third.clone(),
            branch: Some("main".into()),
        },
    );
    assert_eq!(commit.revision, format!("main@sha1:{}", history.third));
    assert!(is_shallow(&dir), "commit at the branch tip stays shallow");
    let (dir, commit) = clone(
        remote,
        Checkout::Commit {
            commit: history.first.clone(),
            branch: Some("main".into()),
        },
    );
    assert_eq!(
        commit.revision,
        format!("main@sha1:{}", history.first),
        "an older commit is found by deepening"
    );
    assert_eq!(read(&dir, "README.md"), "first\n");

    let (_, commit) = clone(remote, Checkout::default());
    assert_eq!(
        commit.revision,
        format!("master@sha1:{}", history.first),
        "nothing set means branch master"
    );
}

#[test]
fn every_reference_kind_clones_over_ssh() {
    let server = server();
    let history = history(server);
    clone_every_kind(&history, &ssh_remote(server, &history.name));
}

#[test]
fn every_reference_kind_clones_over_https_with_basic_auth_and_ca() {
    let server = server();
    let history = history(server);
    clone_every_kind(&history, &https_remote(server, &history.name));
}

#[test]
fn every_reference_kind_clones_over_http_with_basic_auth() {
    let server = server();
    let history = history(server);
    clone_every_kind(&history, &http_remote(server, &history.name));
}

#[test]
fn a_branch_clone_is_ready_to_commit_on_its_local_branch() {
    let server = server();
    let history = history(server);
    let (dir, _) = clone(
        &ssh_remote(server, &history.name),
        Checkout::Branch("main".into()),
    );
    let repo = Repository::open(dir.path().join("checkout")).unwrap();
    let head = repo.head().unwrap();
    assert_eq!(head.name().unwrap(), "refs/heads/main");
    let config = repo.config().unwrap();
    assert_eq!(config.get_string("branch.main.remote").unwrap(), "origin");
    assert!(
        repo.statuses(None).unwrap().is_empty(),
        "the work tree is clean"
    );
}

#[test]
fn a_short_commit_hash_is_found() {
    let server = server();
    let history = history(server);
    let (_, commit) = clone(
        &ssh_remote(server, &history.name),
        Checkout::Commit {
            commit: history.second[..10].to_string(),
            branch: None,
        },
    );
    assert_eq!(commit.hash, history.second);
}

#[test]
fn cloning_into_a_non_empty_directory_is_refused() {
    let server = server();
    let history = history(server);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), "x").unwrap();
    let error = ssh_remote(server, &history.name)
        .clone_into(dir.path(), &Checkout::default(), &deadline())
        .unwrap_err();
    assert!(
        matches!(error, capstan_git::Error::DirectoryNotEmpty { .. }),
        "{error}"
    );
}
