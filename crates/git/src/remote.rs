//! A remote (URL + auth), the libgit2 callbacks every network operation shares (credentials,
//! host key and certificate checks, deadline), and the remote revision check.

use std::cell::RefCell;
use std::rc::Rc;

use base64::Engine as _;

use git2::{
    AutotagOption, Cred, CredentialType, ErrorClass, ErrorCode, FetchOptions, Oid, PushOptions,
    RemoteCallbacks, Repository,
};

use crate::auth::Auth;
use crate::checkout::Checkout;
use crate::known_hosts::{self, HostKeyCheck};
use crate::revision::RemoteRevision;
use crate::{Deadline, Error, GitCause, tls};

/// A Git remote: its URL and how to authenticate to it and verify it.
///
/// Accepts `http://`, `https://` and `ssh://` URLs, as Flux's GitRepository does. Every error
/// names the URL with its userinfo stripped ([`Remote::url`]).
#[derive(Clone, Debug)]
pub struct Remote {
    pub(crate) url: RemoteUrl,
    pub(crate) auth: Auth,
}

#[derive(Clone)]
pub(crate) struct RemoteUrl {
    /// The URL as given (it may hold a password), handed to libgit2 only.
    pub(crate) raw: String,
    /// The URL without userinfo, for messages.
    pub(crate) redacted: String,
    pub(crate) scheme: Scheme,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: Option<String>,
    /// A password written into the URL, to scrub from libgit2's messages.
    password: Option<String>,
}

impl std::fmt::Debug for RemoteUrl {
    /// Only the redacted URL: the raw one may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RemoteUrl").field(&self.redacted).finish()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
    Ssh,
}

impl Remote {
    /// Checks `url` and pairs it with `auth`.
    pub fn new(url: &str, auth: Auth) -> Result<Remote, Error> {
        Ok(Remote {
            url: RemoteUrl::parse(url)?,
            auth,
        })
    }

    /// The URL with any userinfo stripped: safe for logs, events and errors.
    pub fn url(&self) -> &str {
        &self.url.redacted
    }

    /// The commit the remote's reference for `checkout` points to, without cloning
    /// (`git ls-remote`; Flux's `OptimizedGitClones`): the controller compares the revision
    /// with its artifact's and skips the clone when they are equal.
    ///
    /// Annotated tags are peeled to their commit. A `commit` checkout needs no network: its
    /// revision is the commit as given (`sha1:<commit>`, or `<branch>@sha1:<commit>`).
    pub fn resolve(
        &self,
        checkout: &Checkout,
        deadline: &Deadline,
    ) -> Result<RemoteRevision, Error> {
        if let Checkout::Commit { commit, branch } = checkout {
            let hash = commit.to_ascii_lowercase();
            let reference = branch.as_ref().map(|b| format!("refs/heads/{b}"));
            return Ok(RemoteRevision::new(
                checkout.revision_name(None).as_deref(),
                reference,
                hash,
            ));
        }
        // libgit2 lists references only through a repository: a scratch one, owned here so it
        // is removed even when the worker is abandoned at the deadline.
        let scratch = tempfile::Builder::new()
            .prefix("capstan-git-ls-remote-")
            .tempdir()
            .map_err(Error::io("creating a temp dir in", &std::env::temp_dir()))?;
        let scratch_path = scratch.path().to_path_buf();
        let remote = self.clone();
        let checkout = checkout.clone();
        let worker_deadline = deadline.clone();
        deadline.run("resolving", &self.url.redacted, move || {
            let repo = Repository::init_bare(&scratch_path)
                .map_err(Error::local("initialising", &scratch_path))?;
            let session = Session::new(&remote, &worker_deadline, "resolving");
            let heads = session.list(&repo)?;
            let target = select(&heads, &checkout, &remote.url.redacted)?;
            let commit = target.peeled.unwrap_or(target.oid);
            Ok(RemoteRevision::new(
                checkout.revision_name(target.tag.as_deref()).as_deref(),
                Some(target.reference),
                commit.to_string(),
            ))
        })
    }
}

impl RemoteUrl {
    pub(crate) fn parse(raw: &str) -> Result<RemoteUrl, Error> {
        let redacted = redact_url(raw);
        let invalid = |problem: &str| Error::InvalidUrl {
            url: redacted.clone(),
            problem: problem.to_string(),
        };
        let url = url::Url::parse(raw).map_err(|e| invalid(&e.to_string()))?;
        let (scheme, default_port) = match url.scheme() {
            "http" => (Scheme::Http, 80),
            "https" => (Scheme::Https, 443),
            "ssh" => (Scheme::Ssh, 22),
            other => {
                return Err(invalid(&format!(
                    "scheme '{other}' is not supported; use http://, https:// or ssh://"
                )));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid("no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let user = Some(url.username())
            .filter(|u| !u.is_empty())
            .map(str::to_string);
        Ok(RemoteUrl {
            raw: raw.to_string(),
            redacted,
            scheme,
            host,
            port: url.port().unwrap_or(default_port),
            user,
            password: url.password().map(str::to_string),
        })
    }
}

/// `url` with any userinfo (`user:password@`) removed, for messages. Works on malformed URLs
/// too, so an invalid URL can be named in its error without leaking a password.
pub fn redact_url(url: &str) -> String {
    let (prefix, rest) = match url.find("://") {
        Some(index) => url.split_at(index + 3),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => format!("{prefix}{}{path}", &authority[at + 1..]),
        None => url.to_string(),
    }
}

/// A remote reference as advertised.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) name: String,
    pub(crate) oid: Oid,
}

/// The reference a checkout resolves to on the remote.
#[derive(Debug)]
pub(crate) struct Target {
    /// The full reference, e.g. `refs/tags/v1.0.0`.
    pub(crate) reference: String,
    /// What the reference points to (a tag object for annotated tags).
    pub(crate) oid: Oid,
    /// The commit of an annotated tag, when the server advertised `^{}`.
    pub(crate) peeled: Option<Oid>,
    /// The tag chosen by a semver range.
    pub(crate) tag: Option<String>,
}

/// Picks the advertised reference `checkout` asks for.
pub(crate) fn select(heads: &[Head], checkout: &Checkout, url: &str) -> Result<Target, Error> {
    let find = |name: &str| heads.iter().find(|h| h.name == name).map(|h| h.oid);
    let target = |reference: String, tag: Option<String>| -> Result<Target, Error> {
        let oid = find(&reference).ok_or_else(|| Error::RefNotFound {
            url: url.to_string(),
            reference: reference.clone(),
        })?;
        let peeled = find(&format!("{reference}^{{}}"));
        Ok(Target {
            reference,
            oid,
            peeled,
            tag,
        })
    };
    match checkout {
        Checkout::Branch(branch)
        | Checkout::Commit {
            branch: Some(branch),
            ..
        } => target(format!("refs/heads/{branch}"), None),
        Checkout::Tag(tag) => target(format!("refs/tags/{tag}"), None),
        Checkout::Name(name) => target(name.clone(), None),
        Checkout::SemVer(range_text) => {
            let range = capstan_semver::Constraint::parse(range_text).map_err(|problem| {
                Error::InvalidSemverRange {
                    range: range_text.clone(),
                    problem: problem.to_string(),
                }
            })?;
            let tags = heads
                .iter()
                .filter_map(|h| h.name.strip_prefix("refs/tags/"))
                .filter(|t| !t.ends_with("^{}"));
            let (tag, _) = capstan_semver::highest_matching(&range, tags).ok_or_else(|| {
                Error::NoMatchingTag {
                    url: url.to_string(),
                    range: range_text.clone(),
                }
            })?;
            target(format!("refs/tags/{tag}"), Some(tag.to_string()))
        }
        Checkout::Commit { branch: None, .. } => Err(Error::RefNotFound {
            url: url.to_string(),
            reference: "(a commit has no reference)".into(),
        }),
    }
}

/// What the callbacks of one network operation learned, shared between them and the caller.
#[derive(Default)]
struct State {
    /// The precise error a callback ran into (host key, credentials, deadline); libgit2 only
    /// reports "callback returned an error" for it.
    failure: Option<Error>,
    /// Why our own `ca.crt` verification refused the certificate.
    tls_detail: Option<String>,
    username_attempts: u32,
    key_attempts: u32,
    password_attempts: u32,
    /// Remote progress messages (`remote: …`), for push rejections.
    remote_messages: String,
    /// References the server refused in a push, with its status.
    rejected: Vec<(String, String)>,
}

/// One network operation's libgit2 callbacks and error mapping.
pub(crate) struct Session<'a> {
    remote: &'a Remote,
    deadline: &'a Deadline,
    operation: &'static str,
    state: Rc<RefCell<State>>,
    /// `Authorization: Bearer …`, kept here because libgit2 borrows it.
    headers: Vec<String>,
}

impl<'a> Session<'a> {
    pub(crate) fn new(
        remote: &'a Remote,
        deadline: &'a Deadline,
        operation: &'static str,
    ) -> Session<'a> {
        let mut headers = Vec::new();
        if remote.url.scheme != Scheme::Ssh
            && let Some(token) = &remote.auth.bearer_token
        {
            // Validated at parse time: UTF-8 without CR, LF or NUL.
            headers.push(format!(
                "Authorization: Bearer {}",
                String::from_utf8_lossy(token.expose())
            ));
        }
        Session {
            remote,
            deadline,
            operation,
            state: Rc::default(),
            headers,
        }
    }

    fn url(&self) -> &str {
        &self.remote.url.redacted
    }

    /// Records `error` as the cause of the coming libgit2 failure and returns libgit2's error.
    fn abort(&self, error: Error) -> git2::Error {
        let message = error.to_string();
        self.state.borrow_mut().failure.get_or_insert(error);
        git2::Error::new(ErrorCode::User, ErrorClass::Callback, message)
    }

    fn check_deadline(&self) -> Result<(), git2::Error> {
        self.deadline
            .check(self.operation, self.url())
            .map_err(|e| self.abort(e))
    }

    /// The callbacks of one libgit2 operation (one connection): credential attempts count
    /// from zero again, so a refused credential is not confused with one from a previous
    /// connection of the same session.
    pub(crate) fn callbacks(&self) -> RemoteCallbacks<'_> {
        {
            let mut state = self.state.borrow_mut();
            state.username_attempts = 0;
            state.key_attempts = 0;
            state.password_attempts = 0;
        }
        let mut callbacks = RemoteCallbacks::new();
        callbacks.credentials(|_url, username_from_url, allowed| {
            self.credentials(username_from_url, allowed)
        });
        callbacks.certificate_check(|cert, host| {
            self.check_deadline()?;
            if let Some(hostkey) = cert.as_hostkey() {
                self.check_host_key(hostkey.hostkey())?;
                return Ok(git2::CertificateCheckStatus::CertificateOk);
            }
            if let (Some(x509), Some(ca)) = (cert.as_x509(), &self.remote.auth.ca) {
                match tls::verify(ca, x509.data(), host) {
                    Ok(()) => return Ok(git2::CertificateCheckStatus::CertificateOk),
                    // The system store may still trust it: let libgit2 decide, remember why not ours.
                    Err(detail) => self.state.borrow_mut().tls_detail = Some(detail),
                }
            }
            Ok(git2::CertificateCheckStatus::CertificatePassthrough)
        });
        callbacks.transfer_progress(|_| self.check_deadline().is_ok());
        callbacks.sideband_progress(|message| {
            let text = String::from_utf8_lossy(message);
            self.state.borrow_mut().remote_messages.push_str(&text);
            self.check_deadline().is_ok()
        });
        callbacks.push_negotiation(|_| self.check_deadline());
        callbacks.push_update_reference(|reference, status| {
            if let Some(status) = status {
                self.state
                    .borrow_mut()
                    .rejected
                    .push((reference.to_string(), status.to_string()));
            }
            Ok(())
        });
        callbacks
    }

    pub(crate) fn fetch_options(&self) -> FetchOptions<'_> {
        let mut options = FetchOptions::new();
        options.remote_callbacks(self.callbacks());
        options.download_tags(AutotagOption::None);
        options.update_fetchhead(false);
        let headers: Vec<&str> = self.headers.iter().map(String::as_str).collect();
        options.custom_headers(&headers);
        options
    }

    pub(crate) fn push_options(&self) -> PushOptions<'_> {
        let mut options = PushOptions::new();
        options.remote_callbacks(self.callbacks());
        let headers: Vec<&str> = self.headers.iter().map(String::as_str).collect();
        options.custom_headers(&headers);
        options
    }

    fn credentials(
        &self,
        username_from_url: Option<&str>,
        allowed: CredentialType,
    ) -> Result<Cred, git2::Error> {
        self.check_deadline()?;
        let auth = &self.remote.auth;
        let url = self.url().to_string();
        let failed = |detail: String| {
            self.abort(Error::AuthenticationFailed {
                url: url.clone(),
                detail,
            })
        };
        if self.remote.url.scheme == Scheme::Ssh {
            // As Flux: the URL's user, else the Secret's `username`, else `git`.
            let user = (self
                .remote
                .url
                .user
                .as_deref()
                .or(username_from_url)
                .map(str::to_string))
            .or_else(|| auth.username.clone())
            .unwrap_or_else(|| "git".to_string());
            if allowed.contains(CredentialType::USERNAME) {
                let mut state = self.state.borrow_mut();
                state.username_attempts += 1;
                if state.username_attempts > 2 {
                    drop(state);
                    return Err(failed(format!("the server refused user '{user}'")));
                }
                return Cred::username(&user);
            }
            if allowed.contains(CredentialType::SSH_KEY)
                || allowed.contains(CredentialType::SSH_MEMORY)
            {
                let Some(identity) = &auth.identity else {
                    return Err(failed(
                        "the server asks for an ssh key, and the secret has no 'identity'".into(),
                    ));
                };
                let attempts = {
                    let mut state = self.state.borrow_mut();
                    state.key_attempts += 1;
                    state.key_attempts
                };
                if attempts > 1 {
                    return Err(failed(format!(
                        "the server refused the secret's ssh 'identity' for user '{user}'"
                    )));
                }
                let key = identity
                    .private_key
                    .expose_str("identity")
                    .map_err(|e| self.abort(e))?;
                let passphrase = match &identity.passphrase {
                    Some(p) => Some(p.expose_str("password").map_err(|e| self.abort(e))?),
                    None => None,
                };
                return Cred::ssh_key_from_memory(&user, None, key, passphrase).map_err(|_| {
                    failed(
                        "the secret's ssh 'identity' cannot be loaded (wrong format or passphrase)"
                            .into(),
                    )
                });
            }
            return Err(failed(format!(
                "the server offers no authentication method Capstan supports ({allowed:?})"
            )));
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            let attempts = {
                let mut state = self.state.borrow_mut();
                state.password_attempts += 1;
                state.password_attempts
            };
            return match (&auth.username, &auth.password) {
                _ if auth.bearer_token.is_some() => Err(failed(
                    "the server refused the secret's 'bearerToken'".into(),
                )),
                (Some(user), _) if attempts > 1 => Err(failed(format!(
                    "the server refused the secret's password for user '{user}'"
                ))),
                (Some(user), Some(password)) => Cred::userpass_plaintext(
                    user,
                    password.expose_str("password").map_err(|e| self.abort(e))?,
                ),
                (Some(user), None) => Cred::userpass_plaintext(user, ""),
                (None, _) => Err(failed(
                    "the server asks for credentials, and the secret has no 'username'/'password'"
                        .into(),
                )),
            };
        }
        Err(failed(format!(
            "the server asks for credentials Capstan cannot provide ({allowed:?})"
        )))
    }

    fn check_host_key(&self, key: Option<&[u8]>) -> Result<(), git2::Error> {
        let host = known_hosts::lookup_name(&self.remote.url.host, self.remote.url.port);
        let Some(key) = key else {
            return Err(self.abort(Error::HostKeyUnknown {
                host,
                key_type: "unknown".into(),
                fingerprint: "(not available)".into(),
                public_key: String::new(),
            }));
        };
        let key_type = known_hosts::wire_key_type(key)
            .unwrap_or("unknown")
            .to_string();
        let fingerprint = known_hosts::fingerprint(key);
        let verdict = match &self.remote.auth.known_hosts {
            Some(known) => known.check(&host, key),
            None => HostKeyCheck::Unknown,
        };
        let error = match verdict {
            HostKeyCheck::Match => return Ok(()),
            HostKeyCheck::Unknown => Error::HostKeyUnknown {
                host,
                key_type,
                fingerprint,
                public_key: base64::engine::general_purpose::STANDARD.encode(key),
            },
            HostKeyCheck::Mismatch { known } => Error::HostKeyMismatch {
                host,
                key_type,
                fingerprint,
                known,
            },
            HostKeyCheck::Revoked => Error::HostKeyMismatch {
                host,
                key_type,
                fingerprint,
                known: "this key marked @revoked".into(),
            },
        };
        Err(self.abort(error))
    }

    /// Lists the remote's references. libgit2 only sends custom headers (the bearer token)
    /// through a fetch, not through `connect`, so this runs a fetch whose refspec matches
    /// nothing and reads the advertisement, which stays available after the fetch.
    pub(crate) fn list(&self, repo: &Repository) -> Result<Vec<Head>, Error> {
        let mut remote = repo
            .remote_anonymous(&self.remote.url.raw)
            .map_err(|e| self.fail(e))?;
        let mut options = self.fetch_options();
        remote
            .fetch(
                &["+refs/capstan/ls-remote-none:refs/capstan/ls-remote-none"],
                Some(&mut options),
                None,
            )
            .map_err(|e| self.fail(e))?;
        let heads = remote.list().map_err(|e| self.fail(e))?;
        Ok(heads
            .iter()
            .map(|h| Head {
                name: h.name().to_string(),
                oid: h.oid(),
            })
            .collect())
    }

    /// References the server refused during a push, with its status and remote messages.
    pub(crate) fn rejections(&self) -> (Vec<(String, String)>, String) {
        let state = self.state.borrow();
        (
            state.rejected.clone(),
            state.remote_messages.trim().to_string(),
        )
    }

    /// Turns a libgit2 failure into our error: the callback's own error when there is one, else
    /// a mapping of libgit2's class, code and message.
    pub(crate) fn fail(&self, error: git2::Error) -> Error {
        if let Some(failure) = self.state.borrow_mut().failure.take() {
            return failure;
        }
        if let Err(deadline) = self.deadline.check(self.operation, self.url()) {
            return deadline;
        }
        let mut secrets = self.remote.auth.secret_strings();
        secrets.extend(self.remote.url.password.clone());
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let cause = GitCause::new(&error, &secrets);
        let url = self.url().to_string();
        let message = cause.message().to_ascii_lowercase();
        if let Some(detail) = self.state.borrow_mut().tls_detail.take()
            && (error.code() == ErrorCode::Certificate || message.contains("certificate"))
        {
            return Error::CertificateUntrusted { url, detail };
        }
        if error.code() == ErrorCode::Certificate
            || (error.class() == ErrorClass::Ssl && message.contains("certificate"))
        {
            return Error::CertificateUntrusted {
                url,
                detail: cause.message().to_string(),
            };
        }
        if error.code() == ErrorCode::Auth
            || message.contains("status code: 401")
            || message.contains("authentication required")
            || message.contains("authentication replays")
        {
            return Error::AuthenticationFailed {
                url,
                detail: cause.message().to_string(),
            };
        }
        // libssh2 loads the key only when authenticating: a wrong passphrase or an unreadable
        // key surfaces here, after our credentials callback succeeded.
        if error.class() == ErrorClass::Ssh
            && message.contains("failed to authenticate ssh session")
        {
            return Error::AuthenticationFailed {
                url,
                detail: format!(
                    "the secret's ssh 'identity' cannot be used: {}",
                    cause.message()
                ),
            };
        }
        if message.contains("status code: 403") {
            return Error::AuthenticationFailed {
                url,
                detail: "the server refused access (HTTP 403)".into(),
            };
        }
        let unreachable = [
            "failed to connect",
            "failed to resolve address",
            "connection refused",
            "network is unreachable",
            "no route to host",
            "could not resolve",
        ];
        if matches!(
            error.class(),
            ErrorClass::Net | ErrorClass::Os | ErrorClass::Ssh | ErrorClass::Http
        ) && unreachable.iter().any(|m| message.contains(m))
        {
            return Error::Unreachable {
                url,
                detail: cause.message().to_string(),
            };
        }
        if message.contains("status code: 404")
            || message.contains("does not appear to be a git repository")
            || message.contains("repository not found")
        {
            return Error::RepositoryNotFound { url };
        }
        Error::Remote {
            operation: self.operation,
            url,
            cause,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_strips_any_userinfo() {
        assert_eq!(
            redact_url("https://user:pa55@example.com/org/repo.git"),
            "https://example.com/org/repo.git"
        );
        assert_eq!(
            redact_url("https://tok@example.com:8443/r?x=1"),
            "https://example.com:8443/r?x=1"
        );
        assert_eq!(
            redact_url("ssh://git@github.com/org/repo"),
            "ssh://github.com/org/repo"
        );
        assert_eq!(
            redact_url("https://example.com/a@b"),
            "https://example.com/a@b"
        );
        assert_eq!(
            redact_url("git@github.com:org/repo.git"),
            "github.com:org/repo.git"
        );
        assert_eq!(redact_url("https://u:p@ss@host/x"), "https://host/x");
    }

    #[test]
    fn debug_of_a_remote_hides_a_password_in_its_url() {
        let remote = Remote::new("https://u:pa55word@example.com/r.git", Auth::none()).unwrap();
        let debug = format!("{remote:?}");
        assert!(!debug.contains("pa55word"), "{debug}");
        assert!(debug.contains("https://example.com/r.git"), "{debug}");
    }

    #[test]
    fn urls_are_checked_and_split() {
        let url = RemoteUrl::parse("ssh://git@example.com:2222/org/repo.git").unwrap();
        assert_eq!(
            (url.scheme, url.host.as_str(), url.port, url.user.as_deref()),
            (Scheme::Ssh, "example.com", 2222, Some("git"))
        );
        let url = RemoteUrl::parse("https://example.com/org/repo.git").unwrap();
        assert_eq!((url.scheme, url.port), (Scheme::Https, 443));
        let url = RemoteUrl::parse("ssh://[::1]/repo").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("::1", 22));
    }

    #[test]
    fn unsupported_or_broken_urls_are_invalid_without_their_password() {
        let error = RemoteUrl::parse("ftp://u:secret@example.com/repo").unwrap_err();
        assert!(matches!(error, Error::InvalidUrl { .. }));
        assert!(!error.to_string().contains("secret"), "{error}");
        assert!(RemoteUrl::parse("git@github.com:org/repo.git").is_err());
        assert!(RemoteUrl::parse("ssh:///repo").is_err());
        assert!(RemoteUrl::parse("not a url").is_err());
    }

    fn heads(names: &[(&str, &str)]) -> Vec<Head> {
        names
            .iter()
            .map(|(n, o)| Head {
                name: (*n).to_string(),
                oid: Oid::from_str(o).unwrap(),
            })
            .collect()
    }

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const C: &str = "3333333333333333333333333333333333333333";

    #[test]
    fn select_finds_branches_tags_and_names() {
        let heads = heads(&[
            ("refs/heads/main", A),
            ("refs/tags/v1.0.0", B),
            ("refs/tags/v1.0.0^{}", C),
            ("refs/pull/1/head", A),
        ]);
        let t = select(&heads, &Checkout::Branch("main".into()), "u").unwrap();
        assert_eq!(
            (t.reference.as_str(), t.oid.to_string()),
            ("refs/heads/main", A.to_string())
        );
        let t = select(&heads, &Checkout::Tag("v1.0.0".into()), "u").unwrap();
        assert_eq!(
            t.peeled.map(|o| o.to_string()),
            Some(C.to_string()),
            "annotated tags are peeled"
        );
        let t = select(&heads, &Checkout::Name("refs/pull/1/head".into()), "u").unwrap();
        assert_eq!(t.reference, "refs/pull/1/head");
        let error = select(&heads, &Checkout::Branch("dev".into()), "u").unwrap_err();
        assert!(
            matches!(error, Error::RefNotFound { ref reference, .. } if reference == "refs/heads/dev")
        );
    }

    #[test]
    fn select_picks_the_highest_matching_tag() {
        let heads = heads(&[
            ("refs/tags/v1.0.0", A),
            ("refs/tags/v1.2.0", B),
            ("refs/tags/v1.2.0^{}", C),
            ("refs/tags/v2.0.0", A),
        ]);
        let t = select(&heads, &Checkout::SemVer("^1".into()), "u").unwrap();
        assert_eq!(
            (t.reference.as_str(), t.tag.as_deref()),
            ("refs/tags/v1.2.0", Some("v1.2.0"))
        );
        let error = select(&heads, &Checkout::SemVer(">=3".into()), "u").unwrap_err();
        assert!(matches!(error, Error::NoMatchingTag { .. }));
        let error = select(&heads, &Checkout::SemVer("not a range".into()), "u").unwrap_err();
        assert!(matches!(error, Error::InvalidSemverRange { .. }));
    }
}
