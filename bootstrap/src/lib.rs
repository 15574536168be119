//! The `capstan` CLI: what users type to install, bootstrap, inspect and drive Capstan.
//!
//! `main` parses flags into [`cli::Cli`] and dispatches to one module per command group; each
//! returns an exit code so commands like `diff` can report "changes found" as exit 1.

mod cli;
mod controller;
mod dev;
mod global;
mod kustomize;
mod template;

use std::process::ExitCode;

use clap::Parser;

/// Parses the command line, runs the command and prints any error once, with its causes.
pub fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_tracing(cli.global.log_level.as_deref());
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("✗ {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        cli::Command::Dev(dev) => dev::run(dev),
        cli::Command::Template(args) => template::run(&args.args),
        cli::Command::Kustomize(args) => kustomize::run(&args.dir),
        cli::Command::Controller(command) => controller::run(command),
    }
}

fn init_tracing(level: Option<&str>) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level.unwrap_or("warn")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
