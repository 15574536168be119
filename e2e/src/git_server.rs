//! Real Git servers for tests: OpenSSH's `sshd` and `git http-backend` under `lighttpd`.
//!
//! [`GitServer::start`] installs what it needs from Debian when missing (`openssh-server`,
//! `lighttpd`, `lighttpd-mod-openssl`, `git`), then starts, on free loopback ports and as the
//! current user:
//!
//! - `sshd` with its own host keys, accepting one generated client key
//!   ([`GitServer::ssh_identity_pem`]) for the current user; repositories are addressed by their
//!   absolute path ([`GitServer::ssh_url`]);
//! - `lighttpd` serving smart HTTP over http and https (a CA made for this server:
//!   [`GitServer::ca_pem`]) under three prefixes: `/git/` needs basic auth
//!   ([`GitServer::username`], [`GitServer::password`]), `/public/` needs nothing, `/bearer/`
//!   needs `Authorization: Bearer <`[`GitServer::bearer_token`]`>` (else 403).
//!
//! Every repository is bare under one temp dir and accepts pushes on every path. The processes
//! are killed when the server is dropped, and with the test binary (`PR_SET_PDEATHSIG`).
//! [`WorkingCopy`] prepares history with the `git` CLI. Nothing here ever skips: when a server
//! cannot start, [`GitServer::start`] panics with the cause.

mod lighttpd;
mod sshd;
mod working_copy;

use std::path::{Path, PathBuf};
use std::process::Command;

pub use working_copy::WorkingCopy;

use crate::install;
use crate::process::Supervisor;

/// The type of the host key `sshd` presents (it has exactly one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SshHostKeyType {
    /// `ssh-ed25519`, the default.
    Ed25519,
    /// `ecdsa-sha2-nistp256`.
    Ecdsa,
    /// `ssh-rsa` (3072 bits).
    Rsa,
}

/// An `sshd` and a `lighttpd` serving the bare repositories of one temp dir; stopped on drop.
#[derive(Debug)]
pub struct GitServer {
    // Declared first so the processes stop (on drop) before their directory is removed.
    _supervisor: Supervisor,
    dir: tempfile::TempDir,
    repos: PathBuf,
    user: String,
    ssh_port: u16,
    http_port: u16,
    https_port: u16,
    ssh_identity_pem: String,
    known_hosts: String,
    ca_pem: String,
}

/// The basic-auth user of the `/git/` paths.
const USERNAME: &str = "capstan";
/// The basic-auth password of the `/git/` paths.
const PASSWORD: &str = "git-e2e-password";
/// The token the `/bearer/` paths require.
const BEARER_TOKEN: &str = "git-e2e-bearer-token";

impl GitServer {
    /// Starts both servers with an ed25519 ssh host key.
    ///
    /// # Panics
    /// When a package cannot be installed or a server does not come up, with the cause and the
    /// server's log: tests that need a Git server fail, never skip.
    pub fn start() -> GitServer {
        Self::start_with_ssh_host_key(SshHostKeyType::Ed25519)
    }

    /// Starts both servers; `sshd` presents a host key of type `host_key`.
    ///
    /// # Panics
    /// As [`GitServer::start`].
    pub fn start_with_ssh_host_key(host_key: SshHostKeyType) -> GitServer {
        match Self::try_start(host_key) {
            Ok(server) => server,
            Err(message) => panic!("the git test servers could not start: {message}"),
        }
    }

    fn try_start(host_key: SshHostKeyType) -> Result<GitServer, String> {
        install::ensure_packages(PACKAGES)?;
        remove_stale_dirs();
        let dir = tempfile::Builder::new()
            .prefix(&format!("{DIR_PREFIX}{}-", std::process::id()))
            .tempdir()
            .map_err(|e| format!("creating a temp dir: {e}"))?;
        let repos = dir.path().join("repos");
        std::fs::create_dir_all(&repos)
            .map_err(|e| format!("creating {}: {e}", repos.display()))?;
        let user = current_user()?;

        let ssh = sshd::prepare(dir.path(), host_key, &user)?;
        let http = lighttpd::prepare(dir.path(), &repos, USERNAME, PASSWORD, BEARER_TOKEN)?;
        let supervisor = Supervisor::start(vec![ssh.process.clone(), http.process.clone()])?;
        supervisor.wait_ready(&[ssh.port, http.http_port, http.https_port])?;

        Ok(GitServer {
            _supervisor: supervisor,
            repos,
            user,
            ssh_port: ssh.port,
            http_port: http.http_port,
            https_port: http.https_port,
            ssh_identity_pem: ssh.client_key_pem,
            known_hosts: ssh.known_hosts,
            ca_pem: http.ca_pem,
            dir,
        })
    }

    /// Creates the bare repository `name` (`<name>.git`), empty, with pushes enabled over
    /// http(s). A `name` may contain `/` to nest it.
    ///
    /// # Panics
    /// When `git init` fails.
    pub fn create_repo(&self, name: &str) {
        let path = self.repo_path(name);
        run_git(
            None,
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                &path.to_string_lossy(),
            ],
        );
        run_git(Some(&path), &["config", "http.receivepack", "true"]);
    }

    /// The bare repository `name` on disk.
    pub fn repo_path(&self, name: &str) -> PathBuf {
        self.repos.join(format!("{name}.git"))
    }

    /// The ssh URL of `name`: `ssh://<user>@127.0.0.1:<port>/<abs path>/<name>.git`.
    pub fn ssh_url(&self, name: &str) -> String {
        format!(
            "ssh://{}@127.0.0.1:{}{}",
            self.user,
            self.ssh_port,
            self.repo_path(name).display()
        )
    }

    /// The http URL of `name`, behind basic auth.
    pub fn http_url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/git/{name}.git", self.http_port)
    }

    /// The https URL of `name`, behind basic auth; the certificate is signed by [`Self::ca_pem`].
    pub fn https_url(&self, name: &str) -> String {
        format!("https://127.0.0.1:{}/git/{name}.git", self.https_port)
    }

    /// The http URL of `name` that needs no credentials.
    pub fn public_http_url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/public/{name}.git", self.http_port)
    }

    /// The http URL of `name` that needs `Authorization: Bearer` [`Self::bearer_token`].
    pub fn bearer_http_url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/bearer/{name}.git", self.http_port)
    }

    /// The https URL of `name` that needs `Authorization: Bearer` [`Self::bearer_token`].
    pub fn bearer_https_url(&self, name: &str) -> String {
        format!("https://127.0.0.1:{}/bearer/{name}.git", self.https_port)
    }

    /// The client's private key (OpenSSH PEM, ed25519, no passphrase), as a Flux `identity`.
    pub fn ssh_identity_pem(&self) -> &str {
        &self.ssh_identity_pem
    }

    /// The `known_hosts` line of the ssh server: `[127.0.0.1]:<port> <type> <key>`.
    pub fn known_hosts(&self) -> &str {
        &self.known_hosts
    }

    /// The ssh user (the current user).
    pub fn ssh_user(&self) -> &str {
        &self.user
    }

    /// The basic-auth user name of [`Self::http_url`] and [`Self::https_url`].
    pub fn username(&self) -> &str {
        USERNAME
    }

    /// The basic-auth password of [`Self::http_url`] and [`Self::https_url`].
    pub fn password(&self) -> &str {
        PASSWORD
    }

    /// The token of [`Self::bearer_http_url`] and [`Self::bearer_https_url`].
    pub fn bearer_token(&self) -> &str {
        BEARER_TOKEN
    }

    /// The CA certificate (PEM) that signed the https certificate, as a Flux `ca.crt`.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Makes the server refuse every push to `branch` of repository `name` with a pre-receive
    /// hook printing `protected branch <branch>`, as a hosted forge's branch protection would.
    ///
    /// # Panics
    /// When the hook cannot be written.
    pub fn protect_branch(&self, name: &str, branch: &str) {
        use std::os::unix::fs::PermissionsExt;
        let hooks = self.repo_path(name).join("hooks");
        let hook = hooks.join("pre-receive");
        let script = format!(
            "#!/bin/sh\nwhile read old new ref; do\n  if [ \"$ref\" = \"refs/heads/{branch}\" ]; then\n    echo \"protected branch {branch}\" >&2\n    exit 1\n  fi\ndone\nexit 0\n"
        );
        let written = std::fs::create_dir_all(&hooks)
            .and_then(|()| std::fs::write(&hook, script))
            .and_then(|()| std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)));
        if let Err(error) = written {
            panic!("writing {}: {error}", hook.display());
        }
    }

    /// Lets the ssh key `public_key` (an OpenSSH `authorized_keys` line) in, as adding a deploy
    /// key on a forge does.
    ///
    /// # Panics
    /// When the file cannot be written.
    pub fn authorize_ssh_key(&self, public_key: &str) {
        use std::io::Write;
        let path = self.dir.path().join("ssh").join("authorized_keys");
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut file| writeln!(file, "{}", public_key.trim()));
        if let Err(error) = appended {
            panic!("adding a key to {}: {error}", path.display());
        }
    }

    /// A fresh [`WorkingCopy`] whose `origin` is repository `name` (by path, no auth).
    pub fn working_copy(&self, name: &str) -> WorkingCopy {
        WorkingCopy::new(&self.repo_path(name))
    }

    /// The ssh port, e.g. to build a `known_hosts` line of another key.
    pub fn ssh_port(&self) -> u16 {
        self.ssh_port
    }

    /// The directory holding the servers' configuration and logs (`sshd.log`, `lighttpd.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// The packages providing `/usr/sbin/sshd`, `/usr/sbin/lighttpd` with `mod_openssl`, and
/// `git http-backend` (plus `ssh-keygen`, a dependency of `openssh-server`).
const PACKAGES: &[&str] = &["openssh-server", "lighttpd", "lighttpd-mod-openssl", "git"];

/// Server directories are `<tmp>/capstan-git-server-<pid>-<random>`.
const DIR_PREFIX: &str = "capstan-git-server-";

/// Removes the directories of servers whose test process is gone: a server kept in a `static`
/// is never dropped, so its directory outlives the process.
fn remove_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(DIR_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The current user's name, which `sshd` accepts the client key for.
fn current_user() -> Result<String, String> {
    let uid = nix::unistd::getuid();
    match nix::unistd::User::from_uid(uid) {
        Ok(Some(user)) => Ok(user.name),
        Ok(None) => Err(format!(
            "uid {uid} has no passwd entry; sshd cannot log it in"
        )),
        Err(error) => Err(format!("looking up uid {uid}: {error}")),
    }
}

/// Runs `git` with `args` in `dir`, returning its trimmed stdout.
///
/// # Panics
/// When git cannot run or fails, with its stderr.
fn run_git(dir: Option<&Path>, args: &[&str]) -> String {
    let mut command = Command::new("git");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    // The user's global and system config must not change what tests prepare.
    command
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0");
    match command.args(args).output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        Ok(out) => panic!(
            "git {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(error) => panic!("cannot run git {}: {error}", args.join(" ")),
    }
}
