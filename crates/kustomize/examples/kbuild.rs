//! Builds a directory like `kubectl kustomize <dir>` (used by the benchmark and for debugging).
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: kbuild <dir>");
        return ExitCode::from(2);
    };
    let opts = capstan_kustomize::BuildOptions::default();
    match capstan_kustomize::build_dir_to_yaml(std::path::Path::new(&dir), None, &opts) {
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
