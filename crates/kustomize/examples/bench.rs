//! Wall time and peak memory of this engine against `kubectl kustomize`, side by side.
//!
//! ```text
//! cargo run --release -p capstan-kustomize --example bench [-- --runs N]
//! ```
//!
//! Workloads: podinfo's `deploy/overlays/production` (from `testdata/_podinfo`) and a generated
//! overlay of about 2,000 objects. Each tool runs as a separate child process under a small
//! "measurer" process (this binary again), which reads the child's peak RSS with
//! `getrusage(RUSAGE_CHILDREN)` (with its CPU time, user + system); wall time is measured
//! around the child. Runs alternate between the tools; the small workload runs 4× as often.
//! The reference tool comes from `CAPSTAN_ORACLE_BIN` or `~/.cache/capstan/oracles/bin`
//! (`bash scripts/oracles.sh`).
//! Outputs of both tools are compared; a difference aborts the benchmark.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

fn build_mode(dir: &str) -> ExitCode {
    let opts = capstan_kustomize::BuildOptions::default();
    match capstan_kustomize::build_dir_to_yaml(Path::new(dir), None, &opts) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `args` as a child, prints "<wall ms> <peak rss KiB>" on stdout (child stdout goes to
/// the file named by the first argument).
fn measure_mode(out: &str, args: &[String]) -> ExitCode {
    let Some((prog, rest)) = args.split_first() else {
        return ExitCode::FAILURE;
    };
    let Ok(file) = std::fs::File::create(out) else {
        return ExitCode::FAILURE;
    };
    let start = Instant::now();
    let status = Command::new(prog)
        .args(rest)
        .stdout(file)
        .stderr(Stdio::null())
        .status();
    let elapsed = start.elapsed();
    let Ok(status) = status else {
        return ExitCode::FAILURE;
    };
    let (rss, cpu_ms) =
        match nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN) {
            Ok(u) => {
                let tv = |t: nix::sys::time::TimeVal| {
                    t.tv_sec() as f64 * 1000.0 + t.tv_usec() as f64 / 1000.0
                };
                (u.max_rss(), tv(u.user_time()) + tv(u.system_time()))
            }
            Err(_) => (0, 0.0),
        };
    println!("{} {} {}", elapsed.as_secs_f64() * 1000.0, rss, cpu_ms);
    if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

struct Sample {
    ms: f64,
    rss_kib: i64,
    cpu_ms: f64,
}

fn run_measured(me: &Path, out: &Path, cmd: &[String]) -> Result<Sample, String> {
    let res = Command::new(me)
        .arg("--measure")
        .arg(out)
        .args(cmd)
        .output()
        .map_err(|e| format!("cannot run measurer: {e}"))?;
    if !res.status.success() {
        return Err(format!("{} failed", cmd.join(" ")));
    }
    let text = String::from_utf8_lossy(&res.stdout);
    let mut parts = text.split_whitespace();
    let ms = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("bad measurer output")?;
    let rss_kib = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("bad measurer output")?;
    let cpu_ms = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("bad measurer output")?;
    Ok(Sample {
        ms,
        rss_kib,
        cpu_ms,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Writes an overlay of about 2,000 objects: 500 apps (Deployment, Service, ConfigMap,
/// ServiceAccount) in a base, and an overlay with namespace, prefix, labels, images, a
/// targeted patch, generators and replicas.
fn write_large(dir: &Path) -> std::io::Result<()> {
    let base = dir.join("base");
    let overlay = dir.join("overlay");
    std::fs::create_dir_all(&base)?;
    std::fs::create_dir_all(&overlay)?;
    let mut res = String::new();
    let mut files = Vec::new();
    for chunk in 0..10 {
        res.clear();
        for i in chunk * 50..(chunk + 1) * 50 {
            let _ = write!(
                res,
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{i}\n  labels:\n    app: app{i}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: app{i}\n  template:\n    metadata:\n      labels:\n        app: app{i}\n    spec:\n      serviceAccountName: app{i}\n      containers:\n      - name: main\n        image: registry.example.com/app{i}:1.0.0\n        ports:\n        - containerPort: 8080\n          protocol: TCP\n        envFrom:\n        - configMapRef:\n            name: app{i}-config\n        env:\n        - name: INDEX\n          value: \"{i}\"\n        volumeMounts:\n        - name: config\n          mountPath: /etc/app\n      volumes:\n      - name: config\n        configMap:\n          name: app{i}-config\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app{i}\nspec:\n  selector:\n    app: app{i}\n  ports:\n  - port: 80\n    targetPort: 8080\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app{i}-config\ndata:\n  index: \"{i}\"\n  description: application number {i} of the generated benchmark overlay\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app{i}\n---\n"
            );
        }
        let name = format!("apps{chunk}.yaml");
        std::fs::write(base.join(&name), &res)?;
        files.push(name);
    }
    let mut k = String::from("resources:\n");
    for f in &files {
        let _ = writeln!(k, "- {f}");
    }
    k.push_str("configMapGenerator:\n- name: shared\n  literals:\n  - mode=base\n");
    std::fs::write(base.join("kustomization.yaml"), k)?;
    let mut o = String::from(
        "resources:\n- ../base\nnamespace: bench\nnamePrefix: prod-\nlabels:\n- pairs:\n    env: prod\n  includeSelectors: true\ncommonAnnotations:\n  owner: platform\nimages:\n- name: registry.example.com/app7\n  newTag: 2.0.0\nconfigMapGenerator:\n- name: shared\n  behavior: merge\n  literals:\n  - mode=prod\npatches:\n- target:\n    kind: Deployment\n  patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: any\n    spec:\n      template:\n        spec:\n          containers:\n          - name: main\n            resources:\n              limits:\n                memory: 256Mi\nreplicas:\n",
    );
    for i in 0..20 {
        let _ = write!(o, "- name: app{i}\n  count: 3\n");
    }
    std::fs::write(overlay.join("kustomization.yaml"), o)?;
    Ok(())
}

fn oracle() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CAPSTAN_ORACLE_BIN") {
        return Some(PathBuf::from(p).join("kubectl"));
    }
    let home = std::env::var_os("HOME")?;
    let p = PathBuf::from(home).join(".cache/capstan/oracles/bin/kubectl");
    p.exists().then_some(p)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--build") => return build_mode(args.get(2).map(String::as_str).unwrap_or(".")),
        Some("--write-large") => {
            let dir = PathBuf::from(args.get(2).cloned().unwrap_or_else(|| ".".into()));
            return if write_large(&dir).is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
        Some("--measure") => {
            let out = args.get(2).cloned().unwrap_or_default();
            return measure_mode(&out, args.get(3..).unwrap_or(&[]));
        }
        _ => {}
    }
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let Ok(me) = std::env::current_exe() else {
        return ExitCode::FAILURE;
    };
    let Some(kubectl) = oracle() else {
        eprintln!("kubectl not found: run `bash scripts/oracles.sh` or set CAPSTAN_ORACLE_BIN");
        return ExitCode::FAILURE;
    };
    let Ok(tmp) = tempfile::tempdir() else {
        return ExitCode::FAILURE;
    };
    if let Err(e) = write_large(tmp.path()) {
        eprintln!("cannot write the generated overlay: {e}");
        return ExitCode::FAILURE;
    }
    let podinfo =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/_podinfo/deploy/overlays/production");
    let workloads = [
        ("podinfo deploy/overlays/production", podinfo),
        (
            "generated overlay (2,000 objects)",
            tmp.path().join("overlay"),
        ),
    ];
    println!(
        "| workload | tool | runs | wall time (median) | CPU time user+sys (median) | peak RSS (max) |"
    );
    println!("|---|---|---|---|---|---|");
    for (i, (label, dir)) in workloads.iter().enumerate() {
        // The small workload is cheap for both tools: more runs make its median steadier.
        let n = if i == 0 { runs * 4 } else { runs };
        let dir_s = dir.display().to_string();
        let ours_cmd = vec![
            me.display().to_string(),
            "--build".to_string(),
            dir_s.clone(),
        ];
        let theirs_cmd = vec![
            kubectl.display().to_string(),
            "kustomize".to_string(),
            dir_s.clone(),
        ];
        let ours_out = tmp.path().join("ours.yaml");
        let theirs_out = tmp.path().join("theirs.yaml");
        let tools = [
            ("capstan", &ours_cmd, &ours_out),
            ("kubectl kustomize", &theirs_cmd, &theirs_out),
        ];
        // Runs alternate between the tools so both see the same machine load.
        let mut samples: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
        for _ in 0..n {
            for (k, (_, cmd, out)) in tools.iter().enumerate() {
                match run_measured(&me, out, cmd) {
                    Ok(s) => samples[k].push(s),
                    Err(e) => {
                        eprintln!("{label}: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
        }
        let mut results = Vec::new();
        for (k, (tool, _, _)) in tools.iter().enumerate() {
            let t = median(samples[k].iter().map(|s| s.ms).collect());
            let c = median(samples[k].iter().map(|s| s.cpu_ms).collect());
            let rss = samples[k].iter().map(|s| s.rss_kib).max().unwrap_or(0);
            println!(
                "| {label} | {tool} | {n} | {t:.1} ms | {c:.1} ms | {:.1} MiB |",
                rss as f64 / 1024.0
            );
            results.push((t, c, rss));
        }
        let same = std::fs::read(&ours_out).ok() == std::fs::read(&theirs_out).ok();
        if let [(t0, c0, r0), (t1, c1, r1)] = results[..] {
            println!(
                "| {label} | ratio | | {:.1}× faster | {:.1}× less | {:.1}% of kubectl's |",
                t1 / t0.max(0.001),
                c1 / c0.max(0.001),
                100.0 * r0 as f64 / (r1.max(1) as f64)
            );
        }
        if !same {
            eprintln!("{label}: outputs differ between capstan and kubectl kustomize");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
