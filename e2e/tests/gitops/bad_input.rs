//! Bootstrap refuses bad input with a message naming what failed and what to do, and leaves
//! neither a commit in the repository nor anything in the cluster.

use std::process::Output;

use capstan_e2e::{cluster, free_port};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::Api;
use rand::Rng;

use crate::support::{CLUSTER_PATH, capstan, git_server, text};

/// A namespace name that does not exist, so "nothing installed" can be checked.
fn unused_namespace() -> String {
    format!("bad-{:08x}", rand::rng().random::<u32>())
}

/// The server's own ssh key and host key, as files.
struct SshFiles {
    key: tempfile::NamedTempFile,
    known_hosts: tempfile::NamedTempFile,
}

fn ssh_files() -> SshFiles {
    let server = git_server();
    let key = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key.path(), server.ssh_identity_pem()).unwrap();
    let known_hosts = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(known_hosts.path(), server.known_hosts()).unwrap();
    SshFiles { key, known_hosts }
}

/// `capstan bootstrap git --url <url> --path clusters/e2e` with the server's keys.
async fn bootstrap(url: &str, namespace: &str, env: &[(&str, &str)]) -> Output {
    let files = ssh_files();
    let key = files.key.path().to_string_lossy().into_owned();
    let known_hosts = files.known_hosts.path().to_string_lossy().into_owned();
    capstan(
        &[
            "bootstrap",
            "git",
            "--url",
            url,
            "--path",
            CLUSTER_PATH,
            "--private-key-file",
            &key,
            "--known-hosts-file",
            &known_hosts,
        ],
        namespace,
        env,
    )
    .await
}

/// The hash of `main` in repository `name`, or None when it has no `main`.
fn head(name: &str) -> Option<String> {
    let output = std::process::Command::new("git")
        .args(["rev-parse", "--verify", "--quiet", "refs/heads/main"])
        .current_dir(git_server().repo_path(name))
        .output()
        .unwrap();
    output
        .status
        .success()
        .then(|| text(&output.stdout).trim().to_string())
}

/// Asserts a failure whose message contains every one of `expected`.
fn assert_fails(output: &Output, expected: &[&str]) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    for text in expected {
        assert!(stderr.contains(text), "missing '{text}':\n{stderr}");
    }
}

async fn assert_namespace_absent(namespace: &str) {
    let api: Api<Namespace> = Api::all(cluster().client().await);
    let found = api.get_opt(namespace).await.unwrap();
    assert!(found.is_none(), "namespace {namespace} was created");
}

/// A repository with one commit on `main` holding `files`; returns its name.
fn repository_with(files: &[(&str, &str)]) -> String {
    let name = unused_namespace();
    let server = git_server();
    server.create_repo(&name);
    let work = server.working_copy(&name);
    for (path, content) in files {
        work.write(path, content);
    }
    work.commit("existing history");
    work.push_head("refs/heads/main");
    name
}

#[tokio::test]
async fn a_missing_cluster_stops_before_anything_is_pushed() {
    let namespace = unused_namespace();
    git_server().create_repo(&namespace);
    let kubeconfig = tempfile::NamedTempFile::new().unwrap();
    let port = free_port();
    std::fs::write(
        kubeconfig.path(),
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: https://127.0.0.1:{port}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: gone\n  context:\n    cluster: gone\n    user: nobody\nusers:\n- name: nobody\n  user:\n    token: nothing\ncurrent-context: gone\n"
        ),
    )
    .unwrap();
    let kubeconfig_path = kubeconfig.path().to_string_lossy().into_owned();
    let output = bootstrap(
        &git_server().ssh_url(&namespace),
        &namespace,
        &[("KUBECONFIG", &kubeconfig_path)],
    )
    .await;
    assert_fails(&output, &["the cluster does not answer", "--kubeconfig"]);
    assert_eq!(head(&namespace), None, "something was pushed");
}

#[tokio::test]
async fn a_wrong_url_installs_nothing() {
    let namespace = unused_namespace();
    let url = git_server().ssh_url("no-such-repository");
    let output = bootstrap(&url, &namespace, &[]).await;
    assert_fails(&output, &["no-such-repository"]);
    assert_namespace_absent(&namespace).await;

    let output = bootstrap("ftp://example.com/fleet", &namespace, &[]).await;
    assert_fails(
        &output,
        &["--url must start with ssh://, https:// or http://"],
    );
    assert_namespace_absent(&namespace).await;
}

#[tokio::test]
async fn a_refused_push_leaves_repository_and_cluster_untouched() {
    let name = repository_with(&[("README.md", "fleet\n")]);
    git_server().protect_branch(&name, "main");
    let before = head(&name);
    let output = bootstrap(&git_server().ssh_url(&name), &name, &[]).await;
    assert_fails(
        &output,
        &[
            "the push to main was refused",
            "nothing was changed in the cluster",
            "protected branch main",
        ],
    );
    assert_eq!(head(&name), before);
    assert_namespace_absent(&name).await;
}

#[tokio::test]
async fn unrelated_files_in_the_target_folder_are_refused() {
    let name = unused_namespace();
    let server = git_server();
    server.create_repo(&name);
    let work = server.working_copy(&name);
    let notes = format!("{CLUSTER_PATH}/{name}/notes.yaml");
    work.write(&notes, "kind: Notes\n");
    work.commit("existing history");
    work.push_head("refs/heads/main");
    let before = head(&name);
    let output = bootstrap(&server.ssh_url(&name), &name, &[]).await;
    assert_fails(&output, &["notes.yaml"]);
    assert_eq!(head(&name), before);
    assert_namespace_absent(&name).await;
}
