//! Processes the harness runs (git servers, the registry, controllers): spawned from one
//! supervisor thread, stopped together, killed with the test binary.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// How to run one server process.
#[derive(Clone, Debug)]
pub(crate) struct ProcessSpec {
    pub(crate) name: &'static str,
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<String>,
    /// Extra environment variables.
    pub(crate) env: Vec<(String, String)>,
    /// stdout and stderr go here.
    pub(crate) log: PathBuf,
}

/// Owns the thread that spawned the processes. `PR_SET_PDEATHSIG` fires when the spawning
/// *thread* exits, so the processes are spawned from this thread, which lives exactly as long
/// as the server: not from a test's thread, which may end before a shared server is dropped.
#[derive(Debug)]
pub(crate) struct Supervisor {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    specs: Vec<ProcessSpec>,
    /// Processes that exited on their own: name and exit status.
    exited: Arc<Mutex<Vec<String>>>,
    /// Process ids, in `specs` order.
    pids: Vec<u32>,
}

impl Supervisor {
    /// Spawns every process of `specs`; fails when one cannot be spawned.
    pub(crate) fn start(specs: Vec<ProcessSpec>) -> Result<Supervisor, String> {
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let (spawned_tx, spawned_rx) = mpsc::channel::<Result<Vec<u32>, String>>();
        let exited = Arc::new(Mutex::new(Vec::new()));
        let thread_specs = specs.clone();
        let thread_exited = Arc::clone(&exited);
        let thread = std::thread::Builder::new()
            .name("capstan-e2e-supervisor".into())
            .spawn(move || supervise(&thread_specs, &stop_rx, &spawned_tx, &thread_exited))
            .map_err(|e| format!("starting the supervisor thread: {e}"))?;
        let mut supervisor = Supervisor {
            stop: Some(stop_tx),
            thread: Some(thread),
            specs,
            exited,
            pids: Vec::new(),
        };
        match spawned_rx.recv() {
            Ok(Ok(pids)) => {
                supervisor.pids = pids;
                Ok(supervisor)
            }
            Ok(Err(message)) => {
                supervisor.stop();
                Err(message)
            }
            Err(_) => {
                supervisor.stop();
                Err("the supervisor thread died while spawning the servers".into())
            }
        }
    }

    /// Waits until every port accepts connections, failing (with the logs) when a process exits
    /// or 20 s pass.
    pub(crate) fn wait_ready(&self, ports: &[u16]) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let exited = self.exited.lock().map(|e| e.clone()).unwrap_or_default();
            if !exited.is_empty() {
                return Err(format!("{}\n{}", exited.join("; "), self.log_tails()));
            }
            let ready = ports.iter().all(|port| {
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, *port));
                TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
            });
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "ports {ports:?} did not accept connections within 20s\n{}",
                    self.log_tails()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops every process (SIGTERM, then SIGKILL after 5 s) and joins the thread. Idempotent.
    pub(crate) fn stop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// The process ids, in the order the specs were given.
    pub(crate) fn pids(&self) -> &[u32] {
        &self.pids
    }

    /// The processes that exited on their own, with their status.
    pub(crate) fn exited(&self) -> Vec<String> {
        self.exited.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// The last lines of every process's log, for failure messages.
    pub(crate) fn log_tails(&self) -> String {
        self.specs
            .iter()
            .map(|s| {
                format!(
                    "--- {} ({}):\n{}",
                    s.name,
                    s.log.display(),
                    tail(&s.log, 20)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop();
    }
}

fn supervise(
    specs: &[ProcessSpec],
    stop: &mpsc::Receiver<()>,
    spawned: &mpsc::Sender<Result<Vec<u32>, String>>,
    exited: &Mutex<Vec<String>>,
) {
    let mut children: Vec<(&'static str, Child)> = Vec::new();
    for spec in specs {
        match spawn(spec) {
            Ok(child) => children.push((spec.name, child)),
            Err(message) => {
                let _ = spawned.send(Err(message));
                terminate(&mut children);
                return;
            }
        }
    }
    let _ = spawned.send(Ok(children.iter().map(|(_, child)| child.id()).collect()));
    // Until the server is dropped (a message, or the sender gone), note processes that died.
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(Duration::from_millis(200)) {
        for (name, child) in &mut children {
            if let Ok(Some(status)) = child.try_wait()
                && let Ok(mut exited) = exited.lock()
                && !exited.iter().any(|e| e.starts_with(*name))
            {
                exited.push(format!("{name} exited with {status}"));
            }
        }
    }
    terminate(&mut children);
}

fn spawn(spec: &ProcessSpec) -> Result<Child, String> {
    let out =
        File::create(&spec.log).map_err(|e| format!("creating {}: {e}", spec.log.display()))?;
    let err = out
        .try_clone()
        .map_err(|e| format!("opening {}: {e}", spec.log.display()))?;
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    set_parent_death_signal(&mut command);
    command.spawn().map_err(|e| {
        format!(
            "{} could not be started from {}: {e}",
            spec.name,
            spec.program.display()
        )
    })
}

fn terminate(children: &mut [(&'static str, Child)]) {
    for (_, child) in children.iter_mut() {
        if let Ok(pid) = i32::try_from(child.id()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    for (_, child) in children.iter_mut() {
        while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
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

/// A loopback port that was free a moment ago.
pub(crate) fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("finding a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

/// The last `lines` lines of a log file, for error messages.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Writes a file readable only by its owner (keys, passwords).
pub(crate) fn write_private(path: &Path, contents: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut file| file.write_all(contents.as_bytes()))
        .map_err(|e| format!("writing {}: {e}", path.display()))
}
