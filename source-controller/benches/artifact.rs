//! source-controller benchmarks, side by side with what a user would otherwise run.
//!
//! 1. Artifact build: clone a ~5,000-file repository at depth 1 and pack it into a tar.gz —
//!    Capstan's libgit2 clone + deterministic archive, against `git clone --depth 1` +
//!    `tar czf` of the same repository over the same HTTP server, in the same run. Each variant
//!    runs in its own measuring process, so peak RSS (`ru_maxrss` of its children) is its own.
//! 2. Idle memory: the controller process with 100 Ready GitRepositories, after settling.
//!
//! Run: `cargo bench -p source-controller --bench artifact` (provisions the local cluster and
//! git server like the tests do); add `-- --idle` for the idle-memory scenario alone. Figures go
//! to docs/benchmarks.md.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use capstan_e2e::{
    ControllerProcess, GitServer, ProcessMemory, TestNamespace, cluster, free_port, mib, wait_for,
};
use capstan_git::{Auth, Checkout, Deadline, Remote};
use kube::api::{Api, PostParams};
use source_controller::storage::{ArchiveLimits, ArtifactDir, IgnoreRules, Storage};

const FILES: usize = 5_000;
const RUNS: usize = 5;
const IDLE_OBJECTS: usize = 100;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--measure") => measure(&args[2..]),
        Some("--run-capstan") => run_capstan(&args[2], Path::new(&args[3])),
        _ if args.iter().any(|a| a == "--idle") => idle_memory(&GitServer::start()),
        _ => orchestrate(),
    }
}

/// Builds the repository, runs both variants `RUNS` times, then the idle-memory scenario.
fn orchestrate() {
    let server = GitServer::start();
    server.create_repo("bench");
    let work = server.working_copy("bench");
    for i in 0..FILES {
        let dir = format!("apps/team-{:02}/service-{:03}", i % 50, i / 50);
        work.write(
            &format!("{dir}/manifest-{i}.yaml"),
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-{i}\n  namespace: team-{:02}\ndata:\n  payload: \"{}\"\n",
                i % 50,
                "x".repeat(400 + i % 300)
            ),
        );
    }
    work.commit("5000 files");
    work.push_head("refs/heads/main");
    let url = server.public_http_url("bench");
    let exe = std::env::current_exe().unwrap_or_default();
    println!("## Artifact build of a {FILES}-file repository (median of {RUNS} runs)\n");
    println!("| variant | wall time | peak RSS |\n|---|---|---|");
    for variant in ["capstan", "git-tar"] {
        let mut results: Vec<(u128, i64)> = (0..RUNS)
            .map(|run| {
                let out =
                    std::env::temp_dir().join(format!("capstan-bench-{variant}-{run}.tar.gz"));
                let output = Command::new(&exe)
                    .args(["--measure", variant, &url])
                    .arg(&out)
                    .output()
                    .unwrap_or_else(|e| panic!("{e}"));
                let _ = std::fs::remove_file(&out);
                let text = String::from_utf8_lossy(&output.stdout);
                let mut parts = text.split_whitespace();
                let wall: u128 = parts
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| {
                        panic!(
                            "{variant}: {text} {}",
                            String::from_utf8_lossy(&output.stderr)
                        )
                    });
                let rss: i64 = parts
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_default();
                (wall, rss)
            })
            .collect();
        results.sort();
        let (wall, _) = results[RUNS / 2];
        let rss = results.iter().map(|r| r.1).max().unwrap_or_default();
        let name = if variant == "capstan" {
            "Capstan (libgit2 shallow clone + deterministic tar.gz)"
        } else {
            "`git clone --depth 1` + `tar czf`"
        };
        println!("| {name} | {wall} ms | {:.1} MiB |", rss as f64 / 1024.0);
    }
    idle_memory(&server);
}

/// Runs one variant as this process's children and prints `<wall ms> <max child RSS KiB>`.
fn measure(args: &[String]) {
    let (variant, url, out) = (&args[0], &args[1], PathBuf::from(&args[2]));
    let started = Instant::now();
    match variant.as_str() {
        "capstan" => {
            let exe = std::env::current_exe().unwrap_or_default();
            run(Command::new(exe).arg("--run-capstan").arg(url).arg(&out));
        }
        _ => {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let checkout = dir.path().join("src");
            run(Command::new("git")
                .args([
                    "clone",
                    "--quiet",
                    "--depth",
                    "1",
                    "--single-branch",
                    "--branch",
                    "main",
                    url,
                ])
                .arg(&checkout));
            run(Command::new("tar")
                .arg("czf")
                .arg(&out)
                .arg("--exclude=.git")
                .arg("-C")
                .arg(&checkout)
                .arg("."));
        }
    }
    let wall = started.elapsed().as_millis();
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .unwrap_or_else(|e| panic!("{e}"));
    println!("{wall} {}", usage.max_rss());
}

fn run(command: &mut Command) {
    let status = command
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "{command:?} failed");
}

/// What source-controller does for a new revision: shallow clone, then archive.
fn run_capstan(url: &str, out: &Path) {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let checkout = work.path().join("src");
    let remote = Remote::new(url, Auth::none()).unwrap_or_else(|e| panic!("{e}"));
    remote
        .clone_into(
            &checkout,
            &Checkout::Branch("main".into()),
            &Deadline::after(Duration::from_secs(120)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let storage_root = out
        .parent()
        .unwrap_or(Path::new("/tmp"))
        .join(format!("capstan-bench-storage-{}", std::process::id()));
    let storage = Storage::new(&storage_root, "localhost", Duration::from_secs(60), 2);
    let rules = IgnoreRules::for_tree(&checkout, None);
    let artifact = storage
        .archive(
            &ArtifactDir::new("GitRepository", "bench", "bench"),
            "bench.tar.gz",
            &checkout,
            &rules,
            &ArchiveLimits::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::rename(storage.local_path(&artifact.path).unwrap_or_default(), out);
    let _ = std::fs::remove_dir_all(storage_root);
}

/// Starts the controller against the local cluster with 100 GitRepositories and reports its
/// resident memory once they are all Ready and it has settled.
fn idle_memory(server: &GitServer) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        server.create_repo("idle");
        let work = server.working_copy("idle");
        work.write("app.yaml", "kind: ConfigMap\n");
        work.commit("idle");
        work.push_head("refs/heads/main");
        let cluster = cluster();
        let client = cluster.client().await;
        let namespace = TestNamespace::create(&client, "bench-idle").await;
        let storage = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let port = free_port();
        let args = vec![
            format!("--storage-path={}", storage.path().display()),
            format!("--storage-addr=127.0.0.1:{port}"),
            format!("--storage-adv-addr=127.0.0.1:{port}"),
            "--log-level=info".to_string(),
        ];
        let controller = ControllerProcess::start(Path::new(env!("CARGO_BIN_EXE_source-controller")), cluster, namespace.name(), &args);
        let api: Api<capstan_api::source::GitRepository> = Api::namespaced(client.clone(), namespace.name());
        tokio::time::sleep(Duration::from_secs(5)).await;
        let at_start = ProcessMemory::of(controller.pid());
        for i in 0..IDLE_OBJECTS {
            let object = serde_json::from_value(serde_json::json!({
                "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": { "name": format!("repo-{i}") },
                "spec": { "interval": "10m", "url": server.public_http_url("idle"), "ref": { "branch": "main" } }
            }))
            .unwrap_or_else(|e| panic!("{e}"));
            api.create(&PostParams::default(), &object).await.unwrap_or_else(|e| panic!("{e}"));
        }
        let started = Instant::now();
        wait_for("100 GitRepositories Ready", Duration::from_secs(300), || async {
            let list = api.list(&Default::default()).await.ok()?;
            let ready = list.items.iter().filter(|r| r.status.as_ref().is_some_and(|s| capstan_api::conditions::is_ready(&s.conditions))).count();
            (ready == IDLE_OBJECTS).then_some(())
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let converge = started.elapsed();
        tokio::time::sleep(Duration::from_secs(15)).await;
        let idle = ProcessMemory::of(controller.pid());
        println!("\n## source-controller with {IDLE_OBJECTS} GitRepositories\n");
        println!("| measure | value |\n|---|---|");
        println!("| time until all Ready (from creation) | {:.1} s |", converge.as_secs_f64());
        println!("| RSS with no objects (5 s after start) | {:.1} MiB (anonymous {:.1}, file-backed {:.1}) |", mib(at_start.rss_kib), mib(at_start.anon_kib), mib(at_start.file_kib));
        println!("| idle RSS (VmRSS, 15 s after all Ready) | {:.1} MiB (anonymous {:.1}, file-backed {:.1}) |", mib(idle.rss_kib), mib(idle.anon_kib), mib(idle.file_kib));
        println!("| peak RSS (VmHWM) | {:.1} MiB |", mib(idle.peak_kib));
    });
}
