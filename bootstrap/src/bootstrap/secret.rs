//! The Git credentials: for the clone and push bootstrap does itself, and as the Secret the
//! cluster's GitRepository uses (`identity`, `identity.pub`, `known_hosts` for ssh;
//! `username`, `password`, `ca.crt` for https), as Flux's bootstrap writes it.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use capstan_git::{Auth, Deadline};
use ssh_key::{Algorithm, LineEnding, PrivateKey};

use super::{GIT_TIMEOUT, GitArgs, done, step};

/// Credentials resolved from the flags (and generated or scanned where needed).
pub(super) struct Credentials {
    /// Secret data, key → value (never printed).
    pub(super) data: BTreeMap<String, Vec<u8>>,
}

impl Credentials {
    /// Resolves the flags: reads or generates the ssh key, scans the host key; or reads the
    /// https username/password/CA.
    ///
    /// `existing` is the data of the cluster's Secret from an earlier bootstrap: without
    /// `--private-key-file`, its deploy key is reused so a rerun changes nothing.
    pub(super) fn resolve(
        args: &GitArgs,
        existing: Option<&BTreeMap<String, Vec<u8>>>,
    ) -> anyhow::Result<Credentials> {
        let mut data = BTreeMap::new();
        if args.url.starts_with("ssh://") {
            let (private, public) = match &args.private_key_file {
                Some(file) => {
                    let private = std::fs::read(file).with_context(|| {
                        format!("reading --private-key-file {}", file.display())
                    })?;
                    let public =
                        public_key_of(&private, args.password.as_deref()).unwrap_or_default();
                    (private, public)
                }
                None if existing.is_some_and(|data| data.contains_key("identity")) => {
                    let data = existing.cloned().unwrap_or_default();
                    done("reusing the deploy key of the existing Secret");
                    let public = data
                        .get("identity.pub")
                        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
                        .unwrap_or_default();
                    (data.get("identity").cloned().unwrap_or_default(), public)
                }
                None => {
                    step("generating an ed25519 deploy key");
                    let key =
                        PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519)
                            .context("generating a key")?;
                    let private = key
                        .to_openssh(LineEnding::LF)
                        .context("encoding the key")?
                        .as_bytes()
                        .to_vec();
                    let public = key
                        .public_key()
                        .to_openssh()
                        .context("encoding the public key")?;
                    done(&format!("deploy key: {public}"));
                    eprintln!("  add this key to the repository with write access");
                    if !args.silent {
                        confirm_deploy_key()?;
                    }
                    (private, public)
                }
            };
            let known_hosts = match &args.known_hosts_file {
                Some(file) => std::fs::read_to_string(file)
                    .with_context(|| format!("reading --known-hosts-file {}", file.display()))?,
                None => {
                    step("scanning the ssh host key");
                    let (line, fingerprint) =
                        capstan_git::scan_known_hosts(&args.url, &Deadline::after(GIT_TIMEOUT))
                            .with_context(|| {
                                format!(
                                    "scanning the host key of {}",
                                    capstan_git::redact_url(&args.url)
                                )
                            })?;
                    done(&format!(
                        "host key {fingerprint} (compare it with the one your Git host publishes)"
                    ));
                    format!("{line}\n")
                }
            };
            data.insert("identity".to_string(), private);
            data.insert("identity.pub".to_string(), public.into_bytes());
            data.insert("known_hosts".to_string(), known_hosts.into_bytes());
            if let Some(password) = &args.password {
                data.insert("password".to_string(), password.clone().into_bytes());
            }
        } else if args.url.starts_with("https://") || args.url.starts_with("http://") {
            if let Some(password) = &args.password {
                data.insert("username".to_string(), args.username.clone().into_bytes());
                data.insert("password".to_string(), password.clone().into_bytes());
            }
            if let Some(file) = &args.ca_file {
                data.insert(
                    "ca.crt".to_string(),
                    std::fs::read(file)
                        .with_context(|| format!("reading --ca-file {}", file.display()))?,
                );
            }
        } else {
            bail!(
                "--url must start with ssh://, https:// or http://, got '{}'",
                capstan_git::redact_url(&args.url)
            );
        }
        Ok(Credentials { data })
    }

    /// The same credentials for bootstrap's own clone and push.
    pub(super) fn auth(&self) -> anyhow::Result<Auth> {
        let entries = self
            .data
            .iter()
            .filter(|(k, _)| k.as_str() != "identity.pub");
        Auth::from_secret_data(entries).context("the Git credentials are unusable")
    }
}

/// Asks whether the generated key was added, as `flux bootstrap` does; anything but yes stops
/// before anything is changed.
fn confirm_deploy_key() -> anyhow::Result<()> {
    use std::io::Write;
    eprint!("? has the key been added to the repository with write access? [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .context("reading the answer")?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        return Ok(());
    }
    bail!(
        "stopped before changing anything: add the deploy key to the repository and rerun \
         (a new key is generated; pass --private-key-file to use a key of your own, --silent to skip this question)"
    )
}

/// The OpenSSH public key of a private key file (for `identity.pub`).
fn public_key_of(private: &[u8], passphrase: Option<&str>) -> Option<String> {
    let key = PrivateKey::from_openssh(private).ok()?;
    let key = match (key.is_encrypted(), passphrase) {
        (true, Some(passphrase)) => key.decrypt(passphrase).ok()?,
        (true, None) => return None,
        (false, _) => key,
    };
    key.public_key().to_openssh().ok()
}
