//! Integration tests of `capstan-git` against real servers: OpenSSH's sshd and
//! `git http-backend` under lighttpd (http, https, basic and bearer auth), from `capstan-e2e`.
//! They fail, never skip, when the servers cannot start.

mod auth;
mod clone;
mod errors;
mod host_keys;
mod push;
mod resolve;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use capstan_e2e::{GitServer, WorkingCopy};
use capstan_git::{Auth, Deadline, Remote};

static SERVER: OnceLock<GitServer> = OnceLock::new();

/// The servers shared by the tests of this binary (each test makes its own repositories).
fn server() -> &'static GitServer {
    SERVER.get_or_init(GitServer::start)
}

/// A repository name no other test uses.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::SeqCst))
}

fn deadline() -> Deadline {
    Deadline::after(Duration::from_secs(60))
}

/// The Secret data of an ssh GitRepository for `server`.
fn ssh_secret(server: &GitServer) -> Vec<(String, Vec<u8>)> {
    vec![
        (
            "identity".into(),
            server.ssh_identity_pem().as_bytes().to_vec(),
        ),
        (
            "known_hosts".into(),
            server.known_hosts().as_bytes().to_vec(),
        ),
    ]
}

/// The Secret data of an https GitRepository with basic auth and `ca.crt`.
fn basic_secret(server: &GitServer) -> Vec<(String, Vec<u8>)> {
    vec![
        ("username".into(), server.username().as_bytes().to_vec()),
        ("password".into(), server.password().as_bytes().to_vec()),
        ("ca.crt".into(), server.ca_pem().as_bytes().to_vec()),
    ]
}

fn ssh_remote(server: &GitServer, repo: &str) -> Remote {
    Remote::new(
        &server.ssh_url(repo),
        Auth::from_secret_data(ssh_secret(server)).unwrap(),
    )
    .unwrap()
}

fn https_remote(server: &GitServer, repo: &str) -> Remote {
    Remote::new(
        &server.https_url(repo),
        Auth::from_secret_data(basic_secret(server)).unwrap(),
    )
    .unwrap()
}

fn http_remote(server: &GitServer, repo: &str) -> Remote {
    Remote::new(
        &server.http_url(repo),
        Auth::from_secret_data(basic_secret(server)).unwrap(),
    )
    .unwrap()
}

/// A repository with some history, pushed:
/// - `main`: `first` (tagged `v1.0.0`, lightweight) → `second` (tagged `v1.1.0`, annotated;
///   also `refs/pull/1/head`) → `third`;
/// - `master`: at `first`; `dev`: `third` → `dev-only` (tagged `v2.0.0-rc.1`, `latest`).
struct History {
    name: String,
    wc: WorkingCopy,
    first: String,
    second: String,
    third: String,
    dev: String,
}

fn history(server: &GitServer) -> History {
    let name = unique("history");
    server.create_repo(&name);
    let wc = server.working_copy(&name);
    wc.write("README.md", "first\n")
        .write("deploy/app.yaml", "kind: ConfigMap\n");
    let first = wc.commit("first");
    wc.tag("v1.0.0");
    wc.write("README.md", "second\n");
    let second = wc.commit("second\n\nwith a body");
    wc.annotated_tag("v1.1.0", "release 1.1.0");
    wc.push_head("refs/pull/1/head");
    wc.write("README.md", "third\n");
    let third = wc.commit("third");
    wc.branch("dev").write("dev.txt", "dev\n");
    let dev = wc.commit("dev-only");
    wc.tag("v2.0.0-rc.1").tag("latest");
    wc.checkout("main");
    wc.git(&["branch", "master", &first]);
    wc.push_all();
    History {
        name,
        wc,
        first,
        second,
        third,
        dev,
    }
}
