//! The `capstan` CLI: what users type to install, bootstrap, inspect and drive Capstan.
//!
//! `main` parses flags into [`cli::Cli`] and dispatches to one module per command group; each
//! returns an exit code so commands like `diff` can report "changes found" as exit 1.

mod bootstrap;
mod build;
mod check;
mod cli;
mod completion;
mod controller;
mod dev;
mod diff;
mod events;
mod export;
mod get;
mod global;
mod install;
mod kustomize;
mod reconcile;
mod resources;
mod suspend;
mod template;
mod tree;
mod uninstall;

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
        cli::Command::Bootstrap(command) => bootstrap::run(command, &cli.global),
        cli::Command::Get(args) => get::run(args, &cli.global),
        cli::Command::Reconcile(args) => reconcile::run(args, &cli.global),
        cli::Command::Suspend(args) => suspend::run_suspend(args, &cli.global),
        cli::Command::Resume(args) => suspend::run_resume(args, &cli.global),
        cli::Command::Events(args) => events::run(args, &cli.global),
        cli::Command::Tree(args) => tree::run(args, &cli.global),
        cli::Command::Export(args) => export::run(args, &cli.global),
        cli::Command::Build(args) => build::run(args, &cli.global),
        cli::Command::Diff(args) => diff::run(args, &cli.global),
        cli::Command::Completion(args) => completion::run(&args),
        cli::Command::Install(args) => install::run(&args, &cli.global),
        cli::Command::Uninstall(args) => uninstall::run(&args, &cli.global),
        cli::Command::Check(args) => check::run(&args, &cli.global),
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
