//! Wall time and peak memory of rendering the conformance charts, ours beside `helm template`.
//!
//!     cargo run --release -p capstan-helm --example bench [-- --runs 10]
//!
//! `helm` is taken from `CAPSTAN_ORACLE_BIN` (default `~/.cache/capstan/oracles/bin`, installed
//! by `scripts/oracles.sh`). Each render runs as a child process of a fresh measuring process,
//! whose `getrusage(RUSAGE_CHILDREN)` then reports exactly that child's peak RSS; our side is
//! this binary re-invoked as a renderer, so both pay process start-up. Prints a Markdown table
//! of medians.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

fn charts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/_charts")
}

fn oracle_helm() -> PathBuf {
    let dir = std::env::var_os("CAPSTAN_ORACLE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/capstan/oracles/bin")
        });
    dir.join("helm")
}

/// `bench measure <program> <args...>`: run once, print "<wall_us> <maxrss_kb>".
fn measure(args: &[String]) -> ExitCode {
    let Some((prog, rest)) = args.split_first() else {
        return ExitCode::FAILURE;
    };
    let start = Instant::now();
    let status = Command::new(prog)
        .args(rest)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let wall = start.elapsed().as_micros();
    let Ok(status) = status else {
        return ExitCode::FAILURE;
    };
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN);
    let rss = usage.map(|u| u.max_rss()).unwrap_or(0);
    println!("{wall} {rss} {}", i32::from(status.success()));
    ExitCode::SUCCESS
}

/// `bench render <helm template args>`: our renderer.
fn render(args: &[String]) -> ExitCode {
    match capstan_helm::template_command(args) {
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

struct Sample {
    wall_ms: f64,
    rss_mb: f64,
}

fn run_measured(cmd: &[String]) -> Option<Sample> {
    let me = std::env::current_exe().ok()?;
    let out = Command::new(me).arg("measure").args(cmd).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace();
    let wall: f64 = it.next()?.parse().ok()?;
    let rss: f64 = it.next()?.parse().ok()?;
    let ok = it.next()? == "1";
    if !ok {
        return None;
    }
    Some(Sample {
        wall_ms: wall / 1000.0,
        rss_mb: rss / 1024.0,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("measure") => return measure(args.get(1..).unwrap_or(&[])),
        Some("render") => return render(args.get(1..).unwrap_or(&[])),
        _ => {}
    }
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let helm = oracle_helm();
    let me = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let dir = charts_dir();
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("podinfo", vec![]),
        (
            "podinfo",
            vec![
                "-f".into(),
                dir.join("podinfo/values-prod.yaml").display().to_string(),
            ],
        ),
        ("kube-state-metrics", vec![]),
        ("prometheus-node-exporter", vec![]),
    ];
    println!(
        "| chart | helm wall (ms) | capstan wall (ms) | speed-up | helm peak RSS (MiB) | capstan peak RSS (MiB) | RSS ratio |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (chart, extra) in cases {
        let chart_path = dir.join(chart).display().to_string();
        let mut base = vec!["template".to_string(), "rel".to_string(), chart_path];
        base.extend(extra.iter().cloned());
        let helm_cmd: Vec<String> = std::iter::once(helm.display().to_string())
            .chain(base.iter().cloned())
            .collect();
        let ours_cmd: Vec<String> = [me.clone(), "render".to_string()]
            .into_iter()
            .chain(base.iter().skip(1).cloned())
            .collect();
        let (mut hw, mut hr, mut ow, mut or) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            if let Some(s) = run_measured(&helm_cmd) {
                hw.push(s.wall_ms);
                hr.push(s.rss_mb);
            }
            if let Some(s) = run_measured(&ours_cmd) {
                ow.push(s.wall_ms);
                or.push(s.rss_mb);
            }
        }
        if hw.is_empty() || ow.is_empty() {
            eprintln!("{chart}: a run failed (helm at {})", helm.display());
            continue;
        }
        let (h_wall, o_wall) = (median(hw), median(ow));
        let (h_rss, o_rss) = (
            hr.iter().copied().fold(0.0, f64::max),
            or.iter().copied().fold(0.0, f64::max),
        );
        let label = if extra.is_empty() {
            chart.to_string()
        } else {
            format!("{chart} (values-prod)")
        };
        println!(
            "| {label} | {h_wall:.1} | {o_wall:.1} | {:.1}x | {h_rss:.1} | {o_rss:.1} | {:.2} |",
            h_wall / o_wall,
            o_rss / h_rss
        );
    }
    ExitCode::SUCCESS
}
