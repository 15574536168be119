use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::Error;

/// A control-plane process whose output goes to a log file and which is stopped when dropped.
#[derive(Debug)]
pub(crate) struct Supervised {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Supervised {
    /// Starts `program` with `args`, logging to `log`.
    ///
    /// The child is asked to receive SIGKILL when the spawning *thread* dies
    /// (`PR_SET_PDEATHSIG`), so callers must spawn from a thread that lives as long as the
    /// cluster: the supervisor thread in `cluster.rs`.
    pub(crate) fn spawn(
        name: &'static str,
        program: &Path,
        args: &[String],
        log: PathBuf,
    ) -> Result<Self, Error> {
        let out = File::create(&log).map_err(Error::io("creating", &log))?;
        let err = out.try_clone().map_err(Error::io("opening", &log))?;
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        set_parent_death_signal(&mut command);
        let child = command.spawn().map_err(|e| Error::Process {
            process: name,
            problem: format!("could not be started from {}: {e}", program.display()),
            log: log.clone(),
        })?;
        Ok(Self { name, child, log })
    }

    /// Fails when the process has already exited, naming its exit status and log.
    pub(crate) fn check_running(&mut self) -> Result<(), Error> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(Error::Process {
                process: self.name,
                problem: format!("exited with {status}; last lines:\n{}", tail(&self.log, 15)),
                log: self.log.clone(),
            }),
            Err(e) => Err(Error::Process {
                process: self.name,
                problem: format!("cannot be waited on: {e}"),
                log: self.log.clone(),
            }),
        }
    }

    /// Stops the process: SIGTERM, then SIGKILL after a grace period.
    pub(crate) fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
    }
}

#[allow(unsafe_code)]
fn set_parent_death_signal(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and only calls prctl(2), which is
    // async-signal-safe; it touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)?;
            Ok(())
        });
    }
}

/// The last `lines` lines of a log file, for error messages.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
