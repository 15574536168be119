//! `capstan template`: a drop-in for `helm template`, rendered by `capstan-helm` without Helm,
//! a network or a cluster.

use std::io::Write;
use std::process::ExitCode;

/// `capstan template`: everything after the subcommand goes to Helm's flag parser untouched,
/// so flags, their defaults and their errors are exactly `helm template`'s.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// `[NAME] CHART [flags]`, as for `helm template`; CHART is a chart directory or `.tgz`.
    #[arg(
        value_name = "HELM_TEMPLATE_ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub(crate) args: Vec<String>,
}

/// Renders the chart `args` name (they are `helm template`'s arguments, parsed by Helm's
/// rules in `capstan-helm`) and prints the manifests. Failures print as Helm prints them,
/// `Error: <message>` on stderr with exit code 1, so scripts written for Helm keep working.
pub(crate) fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    match capstan_helm::template_command(args) {
        Ok(manifests) => {
            std::io::stdout().lock().write_all(manifests.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("Error: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}
