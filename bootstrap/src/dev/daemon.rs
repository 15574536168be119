//! The background processes behind `capstan dev`: a daemon per state directory, started
//! detached (its own process group, so a Ctrl-C in the terminal does not stop it), announced by
//! a `ready` file, stopped with SIGTERM. Everything it starts dies with it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const PID_FILE: &str = "serve.pid";
const READY_FILE: &str = "ready";

/// `flag`, else `$XDG_STATE_HOME/capstan/<name>`, else `~/.local/state/capstan/<name>`.
pub(super) fn state_dir(flag: Option<PathBuf>, name: &str) -> anyhow::Result<PathBuf> {
    if let Some(dir) = flag {
        return Ok(dir);
    }
    let base = match std::env::var_os("XDG_STATE_HOME") {
        Some(state) if !state.is_empty() => PathBuf::from(state),
        _ => PathBuf::from(std::env::var_os("HOME").context("HOME is not set; pass --dir")?)
            .join(".local/state"),
    };
    Ok(base.join("capstan").join(name))
}

/// The pid of the live daemon of `dir`, if any.
pub(super) fn running_pid(dir: &Path) -> Option<Pid> {
    let text = std::fs::read_to_string(dir.join(PID_FILE)).ok()?;
    let pid = Pid::from_raw(text.trim().parse().ok()?);
    kill(pid, None).ok().map(|()| pid)
}

/// Whether the daemon of `dir` runs and has announced it is ready.
pub(super) fn is_ready(dir: &Path) -> bool {
    running_pid(dir).is_some() && dir.join(READY_FILE).is_file()
}

/// Starts `capstan <serve_args> --dir <dir>` detached and waits until it is ready (or dies,
/// showing its log).
pub(super) fn start(
    dir: &Path,
    serve_args: &[&str],
    what: &str,
    timeout: Duration,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir.join("logs"))
        .with_context(|| format!("creating {}", dir.display()))?;
    let _ = std::fs::remove_file(dir.join(READY_FILE));
    let log_path = dir.join("logs/serve.log");
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let exe = std::env::current_exe().context("locating the capstan executable")?;
    let mut child = {
        use std::os::unix::process::CommandExt;
        Command::new(exe)
            .args(serve_args)
            .arg("--dir")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {what}"))?
    };
    let deadline = Instant::now() + timeout;
    while !dir.join(READY_FILE).is_file() {
        if let Some(status) = child.try_wait()? {
            bail!(
                "{what} failed to start ({status}); see {}:\n{}",
                log_path.display(),
                tail(&log_path, 30)
            );
        }
        if Instant::now() > deadline {
            bail!(
                "{what} was not ready after {timeout:?}; see {}",
                log_path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// Stops the daemon of `dir`; false when none was running.
pub(super) fn stop(dir: &Path) -> anyhow::Result<bool> {
    let Some(pid) = running_pid(dir) else {
        return Ok(false);
    };
    kill(pid, Signal::SIGTERM).context("signalling the daemon")?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while kill(pid, None).is_ok() {
        if Instant::now() > deadline {
            bail!("the daemon {pid} did not stop within 60s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::fs::remove_file(dir.join(PID_FILE));
    let _ = std::fs::remove_file(dir.join(READY_FILE));
    Ok(true)
}

/// Inside the daemon: records our pid (refusing a second daemon for `dir`).
pub(super) fn claim(dir: &Path) -> anyhow::Result<()> {
    if let Some(pid) = running_pid(dir)
        && pid != Pid::this()
    {
        bail!("a daemon already runs for {} (pid {pid})", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join(PID_FILE), Pid::this().to_string())?;
    Ok(())
}

/// Inside the daemon: announces readiness.
pub(super) fn announce_ready(dir: &Path) -> anyhow::Result<()> {
    std::fs::write(dir.join(READY_FILE), Pid::this().to_string())?;
    Ok(())
}

/// Inside the daemon: clears the pid and ready files on the way out.
pub(super) fn release(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(READY_FILE));
    let _ = std::fs::remove_file(dir.join(PID_FILE));
}

/// Waits for SIGTERM or SIGINT; SIGHUP (a closed terminal) is ignored.
pub(super) async fn until_terminated() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            _ = terminate.recv() => return Ok(()),
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = hangup.recv() => {}
        }
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
