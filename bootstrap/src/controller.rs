//! `capstan controller <name> [flags]`: the controllers inside the `capstan` binary, so the
//! local demo (`capstan dev up`) needs nothing but this one executable. The flags are exactly
//! the controllers' own.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The controllers.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// source-controller (GitRepository, OCIRepository).
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Source(Passthrough),
    /// kustomize-controller (Kustomization).
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Kustomize(Passthrough),
}

/// The controller's own arguments, parsed by the controller.
#[derive(Debug, clap::Args)]
pub(crate) struct Passthrough {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub(crate) fn run(command: Command) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    match command {
        Command::Source(pass) => {
            let args = source_controller::Args::try_parse_from(
                std::iter::once("source-controller".to_string()).chain(pass.args),
            )?;
            runtime.block_on(source_controller::run(args))?;
        }
        Command::Kustomize(pass) => {
            let args = kustomize_controller::Args::try_parse_from(
                std::iter::once("kustomize-controller".to_string()).chain(pass.args),
            )?;
            runtime.block_on(kustomize_controller::run(args))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
