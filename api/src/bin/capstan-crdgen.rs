//! `capstan-crdgen <dir>`: writes every Capstan CRD (Flux file names) and a
//! `kustomization.yaml` listing them into `<dir>`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: capstan-crdgen <output-dir>");
        return ExitCode::from(2);
    };
    match capstan_api::crd::write_all(&dir) {
        Ok(paths) => {
            for path in paths {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("capstan-crdgen: writing {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
