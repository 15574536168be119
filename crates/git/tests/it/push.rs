//! Commit and push: on top of a shallow clone, to an empty remote, rejected pushes.

use std::path::Path;

use capstan_git::{
    Checkout, CommitOptions, Error, PushOptions, Remote, Signature, commit_all, open_or_init,
};

use crate::{deadline, history, https_remote, server, ssh_remote, unique};

fn author() -> Signature {
    Signature::new("Capstan Bot", "bot@capstan.invalid")
}

/// The commit a branch points to in the server's bare repository.
fn remote_head(repo: &Path, branch: &str) -> String {
    let repo = git2::Repository::open_bare(repo).unwrap();
    repo.find_reference(&format!("refs/heads/{branch}"))
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string()
}

fn commit_and_push_on_shallow_clone(remote: &Remote, bare: &Path, parent: &str) {
    let dir = tempfile::tempdir().unwrap();
    let cloned = remote
        .clone_into(dir.path(), &Checkout::Branch("main".into()), &deadline())
        .unwrap();
    assert!(git2::Repository::open(dir.path()).unwrap().is_shallow());
    assert_eq!(cloned.hash, parent);

    std::fs::write(
        dir.path().join("deploy/app.yaml"),
        "kind: ConfigMap\nmetadata: {name: changed}\n",
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("README.md")).unwrap();
    std::fs::write(dir.path().join("deploy/new.yaml"), "kind: Secret\n").unwrap();
    let commit = commit_all(
        dir.path(),
        Path::new(""),
        &CommitOptions::new("Update from automation", author()),
    )
    .unwrap()
    .unwrap();
    assert_eq!(commit.revision, format!("main@sha1:{}", commit.hash));

    let pushed = remote
        .push(dir.path(), "main", &PushOptions::default(), &deadline())
        .unwrap();
    assert_eq!(pushed.hash, commit.hash);
    assert_eq!(pushed.revision, format!("main@sha1:{}", commit.hash));
    assert_eq!(remote_head(bare, "main"), commit.hash);

    let repo = git2::Repository::open_bare(bare).unwrap();
    let pushed_commit = repo
        .find_commit(git2::Oid::from_str(&commit.hash).unwrap())
        .unwrap();
    assert_eq!(
        pushed_commit.parent_id(0).unwrap().to_string(),
        parent,
        "the server has the full history behind it"
    );
    let tree = pushed_commit.tree().unwrap();
    assert!(
        tree.get_name("README.md").is_none(),
        "the deletion was pushed"
    );
    assert!(
        tree.get_path(Path::new("deploy/new.yaml")).is_ok(),
        "the addition was pushed"
    );

    // Nothing changed: no commit, nothing to push.
    assert!(
        commit_all(
            dir.path(),
            Path::new(""),
            &CommitOptions::new("again", author())
        )
        .unwrap()
        .is_none()
    );
}

#[test]
fn commit_and_push_on_a_shallow_clone_over_ssh() {
    let server = server();
    let history = history(server);
    commit_and_push_on_shallow_clone(
        &ssh_remote(server, &history.name),
        &server.repo_path(&history.name),
        &history.third,
    );
}

#[test]
fn commit_and_push_on_a_shallow_clone_over_https() {
    let server = server();
    let history = history(server);
    commit_and_push_on_shallow_clone(
        &https_remote(server, &history.name),
        &server.repo_path(&history.name),
        &history.third,
    );
}

#[test]
fn pushing_to_an_empty_remote_creates_the_branch() {
    let server = server();
    let name = unique("empty");
    server.create_repo(&name);
    for (remote, branch) in [
        (ssh_remote(server, &name), "main"),
        (https_remote(server, &name), "other"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        open_or_init(dir.path(), branch).unwrap();
        std::fs::create_dir_all(dir.path().join("clusters/dev")).unwrap();
        std::fs::write(
            dir.path().join("clusters/dev/kustomization.yaml"),
            "resources: []\n",
        )
        .unwrap();
        let commit = commit_all(
            dir.path(),
            Path::new("clusters"),
            &CommitOptions::new("Add sync manifests", author()),
        )
        .unwrap()
        .unwrap();
        let pushed = remote
            .push(dir.path(), branch, &PushOptions::default(), &deadline())
            .unwrap();
        assert_eq!(pushed.reference, format!("refs/heads/{branch}"));
        assert_eq!(remote_head(&server.repo_path(&name), branch), commit.hash);
    }
}

#[test]
fn a_non_fast_forward_push_is_rejected_and_force_overrides_it() {
    let server = server();
    let history = history(server);
    for remote in [
        ssh_remote(server, &history.name),
        https_remote(server, &history.name),
    ] {
        let dir = tempfile::tempdir().unwrap();
        remote
            .clone_into(dir.path(), &Checkout::Branch("main".into()), &deadline())
            .unwrap();
        // Someone else pushes meanwhile.
        history.wc.write("other.txt", remote.url());
        let theirs = history.wc.commit("concurrent change");
        history.wc.push_head("main");

        std::fs::write(dir.path().join("mine.txt"), remote.url()).unwrap();
        commit_all(
            dir.path(),
            Path::new(""),
            &CommitOptions::new("mine", author()),
        )
        .unwrap()
        .unwrap();
        let error = remote
            .push(dir.path(), "main", &PushOptions::default(), &deadline())
            .unwrap_err();
        assert!(
            matches!(&error, Error::PushRejected { reference, .. } if reference == "refs/heads/main"),
            "{error}"
        );
        assert_eq!(
            remote_head(&server.repo_path(&history.name), "main"),
            theirs,
            "the remote branch is untouched"
        );

        let forced = remote
            .push(
                dir.path(),
                "main",
                &PushOptions { force: true },
                &deadline(),
            )
            .unwrap();
        assert_eq!(
            remote_head(&server.repo_path(&history.name), "main"),
            forced.hash
        );
        history.wc.git(&["fetch", "--quiet", "origin"]);
        history
            .wc
            .git(&["reset", "--quiet", "--hard", "origin/main"]);
    }
}

#[test]
fn a_protected_branch_rejection_carries_the_servers_message() {
    let server = server();
    let history = history(server);
    server.protect_branch(&history.name, "main");
    for remote in [
        ssh_remote(server, &history.name),
        https_remote(server, &history.name),
    ] {
        let dir = tempfile::tempdir().unwrap();
        remote
            .clone_into(dir.path(), &Checkout::Branch("main".into()), &deadline())
            .unwrap();
        std::fs::write(dir.path().join("x.txt"), "x\n").unwrap();
        commit_all(
            dir.path(),
            Path::new(""),
            &CommitOptions::new("x", author()),
        )
        .unwrap()
        .unwrap();
        let error = remote
            .push(dir.path(), "main", &PushOptions::default(), &deadline())
            .unwrap_err();
        match &error {
            Error::PushRejected { message, .. } => {
                assert!(message.contains("protected branch main"), "{message}")
            }
            other => panic!("expected PushRejected, got {other}"),
        }
        assert_eq!(
            remote_head(&server.repo_path(&history.name), "main"),
            history.third
        );
        // Another branch is still accepted.
        let pushed = remote
            .push(
                dir.path(),
                &unique("feature"),
                &PushOptions::default(),
                &deadline(),
            )
            .unwrap();
        assert!(
            pushed.revision.starts_with("feature-"),
            "{}",
            pushed.revision
        );
    }
}
