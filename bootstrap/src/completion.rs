//! `capstan completion <shell>`: a completion script for the whole command line, generated
//! from the same clap grammar the CLI parses with, so it never lags behind a new flag.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

/// `capstan completion`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The shell to complete for (bash, zsh, fish, powershell, elvish).
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the completion script on stdout; e.g. `source <(capstan completion bash)`.
pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut command = crate::cli::Cli::command();
    clap_complete::generate(args.shell, &mut command, "capstan", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}
