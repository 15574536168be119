//! Pushing HEAD to a branch of the remote, with the same auth and deadline as fetching.

use std::path::Path;

use git2::{ErrorCode, Repository};

use crate::remote::{Remote, Session};
use crate::revision::format_revision;
use crate::{Deadline, Error};

/// How to push.
#[derive(Clone, Debug, Default)]
pub struct PushOptions {
    /// Overwrite the remote branch even when it is not an ancestor of what is pushed (image
    /// automation's push branch); off by default, so a concurrent change is reported, not lost.
    pub force: bool,
}

/// What a push put on the remote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pushed {
    /// The remote reference, `refs/heads/<branch>`.
    pub reference: String,
    /// The pushed commit.
    pub hash: String,
    /// `<branch>@sha1:<hash>`: the revision a GitRepository following the branch will report
    /// (what `flux bootstrap` waits for).
    pub revision: String,
}

impl Remote {
    /// Pushes the HEAD commit of the repository at `dir` to `branch` on this remote, creating
    /// the branch if the remote lacks it (an empty remote included). Works from a shallow
    /// clone: only commits the remote lacks are sent.
    ///
    /// A push that is not a fast-forward (unless [`PushOptions::force`]) or that the server
    /// refuses (protected branch, hook) is [`Error::PushRejected`] with the server's message.
    pub fn push(
        &self,
        dir: &Path,
        branch: &str,
        options: &PushOptions,
        deadline: &Deadline,
    ) -> Result<Pushed, Error> {
        let remote = self.clone();
        let dir = dir.to_path_buf();
        let branch = branch.to_string();
        let force = options.force;
        let worker_deadline = deadline.clone();
        deadline.run("pushing to", &self.url.redacted, move || {
            push_blocking(&remote, &dir, &branch, force, &worker_deadline)
        })
    }
}

fn push_blocking(
    remote: &Remote,
    dir: &Path,
    branch: &str,
    force: bool,
    deadline: &Deadline,
) -> Result<Pushed, Error> {
    let repo = Repository::open(dir).map_err(Error::local("opening", dir))?;
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(Error::local("reading HEAD", dir))?;
    let reference = format!("refs/heads/{branch}");
    let refspec = format!("{}HEAD:{reference}", if force { "+" } else { "" });

    tracing::debug!(url = remote.url(), reference = %reference, force, "pushing");
    let session = Session::new(remote, deadline, "pushing to");
    let mut git_remote = repo
        .remote_anonymous(&remote.url.raw)
        .map_err(|e| session.fail(e))?;
    let mut push_options = session.push_options();
    let url = remote.url().to_string();
    if let Err(error) = git_remote.push(&[refspec.as_str()], Some(&mut push_options)) {
        if error.code() == ErrorCode::NotFastForward {
            return Err(Error::PushRejected {
                url,
                reference,
                message: "not a fast-forward: the remote branch has commits this clone does not; fetch them, then commit on top".into(),
            });
        }
        return Err(session.fail(error));
    }
    let (rejected, remote_messages) = session.rejections();
    if let Some((reference, status)) = rejected.into_iter().next() {
        let message = if remote_messages.is_empty() {
            status
        } else {
            format!("{status}: {remote_messages}")
        };
        return Err(Error::PushRejected {
            url,
            reference,
            message,
        });
    }
    let hash = head.id().to_string();
    Ok(Pushed {
        revision: format_revision(Some(branch), &hash),
        reference,
        hash,
    })
}
