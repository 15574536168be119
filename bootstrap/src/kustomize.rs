//! `capstan kustomize`: a drop-in for `kubectl kustomize <dir>`, built by `capstan-kustomize`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `capstan kustomize`: the directory to build, with kubectl's defaults.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The directory holding `kustomization.yaml` (default: the current directory).
    #[arg(default_value = ".")]
    pub(crate) dir: PathBuf,
}

use capstan_kustomize::BuildOptions;

/// Builds the kustomization in `dir` with kubectl's options and prints the objects exactly as
/// kubectl does. Failures print as kubectl prints them, `error: <message>` on stderr with exit
/// code 1.
pub(crate) fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    match capstan_kustomize::build_dir_to_yaml(dir, None, &BuildOptions::kubectl()) {
        Ok(yaml) => {
            std::io::stdout().lock().write_all(yaml.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("error: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}
