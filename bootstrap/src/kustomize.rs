//! `capstan kustomize`: a drop-in for `kubectl kustomize <dir>`, built by `capstan-kustomize`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

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
