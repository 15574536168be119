//! `capstan-manifests <dir>`: writes the committed install tree (`crds/`, `rbac/`, one folder
//! per controller, `policies/`, `install/`) for the default options into `<dir>`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: capstan-manifests <output-dir>");
        return ExitCode::from(2);
    };
    let options = capstan_install::InstallOptions::default();
    match capstan_install::write_manifests(&dir, &options) {
        Ok(paths) => {
            for path in paths {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("capstan-manifests: writing {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
