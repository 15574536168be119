//! Reading an ssh server's host key, as `ssh-keyscan` does, so `capstan bootstrap` can write the
//! `known_hosts` entry of the deploy Secret and show it to the user.
//!
//! This is trust on first use: whoever answers at the URL now is recorded. Bootstrap prints
//! the key's fingerprint so the user can compare it with the one their Git host publishes;
//! every later connection is then checked strictly against it.

use crate::{Auth, Checkout, Deadline, Error, Remote};

/// The `known_hosts` line (`host key-type base64`, with `[host]:port` for other ports than 22)
/// for the ssh server of `url`, and the key's `SHA256:` fingerprint.
pub fn scan_known_hosts(url: &str, deadline: &Deadline) -> Result<(String, String), Error> {
    if !url.starts_with("ssh://") {
        return Err(Error::InvalidUrl {
            url: crate::redact_url(url),
            problem: "only ssh:// URLs have host keys to scan".into(),
        });
    }
    let remote = Remote::new(url, Auth::none())?;
    // With no known_hosts, the host key check fails first, carrying the presented key.
    match remote.resolve(&Checkout::Branch("main".into()), deadline) {
        Err(Error::HostKeyUnknown {
            host,
            key_type,
            fingerprint,
            public_key,
        }) if !public_key.is_empty() => {
            Ok((format!("{host} {key_type} {public_key}"), fingerprint))
        }
        Err(error) => Err(error),
        Ok(_) => Err(Error::InvalidUrl {
            url: crate::redact_url(url),
            problem: "the server accepted a connection without a host key check".into(),
        }),
    }
}
