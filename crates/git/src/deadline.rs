//! The time limit and cancellation of network operations.
//!
//! libgit2 has no per-operation timeout: its socket timeouts are process-global (and only
//! reachable through `unsafe` options), and a server that accepts a connection and then says
//! nothing blocks a read forever, where no callback runs. So every network operation runs on a
//! worker thread: the caller waits on it until the deadline, then returns [`Error::Timeout`]
//! (or [`Error::Cancelled`]) at once. The worker's callbacks (credentials, certificate check,
//! transfer and sideband progress, push negotiation) check the same deadline and abort the
//! transfer at their next call; a worker stuck in a read is abandoned and ends when the socket
//! does. Its repository directory may still be written to briefly after the caller returned,
//! so retry into a fresh directory.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::Error;

/// When a network operation must give up, and a switch to cancel it early.
///
/// Clones share the cancellation switch, so a controller can hand one clone to the blocking
/// operation (inside `spawn_blocking`) and call [`Deadline::cancel`] on another.
#[derive(Clone, Debug)]
pub struct Deadline {
    at: Instant,
    timeout: Duration,
    cancelled: Arc<AtomicBool>,
}

/// How long the caller waits past the deadline for the worker's own, more precise, error.
const GRACE: Duration = Duration::from_millis(250);
/// How often the waiting caller looks at the cancellation switch.
const POLL: Duration = Duration::from_millis(50);

impl Deadline {
    /// A deadline `timeout` from now (Flux's `spec.timeout`, 60 s by default).
    pub fn after(timeout: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + timeout,
            timeout,
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Cancels every operation using this deadline or a clone of it.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    /// Whether [`Deadline::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Whether the deadline has passed.
    pub fn is_expired(&self) -> bool {
        Instant::now() >= self.at
    }

    /// Time left before the deadline (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// The full duration this deadline was made with.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `Ok` while the operation may go on, else the `Cancelled` or `Timeout` error for it.
    pub(crate) fn check(&self, operation: &'static str, url: &str) -> Result<(), Error> {
        if self.is_cancelled() {
            return Err(Error::Cancelled {
                operation,
                url: url.to_string(),
            });
        }
        if self.is_expired() {
            return Err(Error::Timeout {
                operation,
                url: url.to_string(),
                timeout: self.timeout,
            });
        }
        Ok(())
    }

    /// Runs `work` on a worker thread and waits for it until the deadline (see the module
    /// docs). `url` is the redacted URL, for errors.
    pub(crate) fn run<T, F>(&self, operation: &'static str, url: &str, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, Error> + Send + 'static,
    {
        self.check(operation, url)?;
        let (sender, receiver) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("capstan-git".into())
            .spawn(move || {
                // The receiver is gone when the caller gave up: nothing left to report to.
                let _ = sender.send(work());
            })
            .map_err(|e| Error::Worker {
                operation,
                url: url.to_string(),
                problem: format!("cannot start a thread: {e}"),
            })?;
        loop {
            match receiver.recv_timeout(POLL) {
                Ok(result) => return result,
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(Error::Worker {
                        operation,
                        url: url.to_string(),
                        problem: "the worker thread panicked".into(),
                    });
                }
                Err(RecvTimeoutError::Timeout) => {
                    if self.is_cancelled() {
                        return Err(Error::Cancelled {
                            operation,
                            url: url.to_string(),
                        });
                    }
                    if Instant::now() >= self.at + GRACE {
                        return Err(Error::Timeout {
                            operation,
                            url: url.to_string(),
                            timeout: self.timeout,
                        });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stuck_worker_times_out_at_the_deadline() {
        let deadline = Deadline::after(Duration::from_millis(200));
        let started = Instant::now();
        let result: Result<(), Error> = deadline.run("cloning", "ssh://h/r", || {
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        });
        assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn cancelling_a_clone_of_the_deadline_stops_the_wait() {
        let deadline = Deadline::after(Duration::from_secs(30));
        let other = deadline.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            other.cancel();
        });
        let result: Result<(), Error> = deadline.run("cloning", "u", || {
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        });
        assert!(matches!(result, Err(Error::Cancelled { .. })), "{result:?}");
    }

    #[test]
    fn a_finished_worker_returns_its_result() {
        let deadline = Deadline::after(Duration::from_secs(5));
        assert_eq!(deadline.run("x", "u", || Ok(7)).unwrap(), 7);
    }

    #[test]
    fn an_expired_deadline_refuses_to_start() {
        let deadline = Deadline::after(Duration::ZERO);
        let result = deadline.run("x", "u", || Ok(()));
        assert!(matches!(result, Err(Error::Timeout { .. })));
    }
}
