//! kustomize-controller's flags: the runtime's plus Flux's kustomize-controller flags.

use std::path::PathBuf;

use capstan_runtime::args::RuntimeArgs;
use clap::Parser;

/// Capstan kustomize-controller: makes the cluster equal to Kustomizations' sources.
#[derive(Debug, Clone, Parser)]
#[command(name = "kustomize-controller", version)]
pub struct Args {
    /// Flags every controller shares.
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    /// Objects applied concurrently within one apply stage.
    #[arg(long, default_value_t = 4)]
    pub concurrent_ssa: usize,
    /// Retries of an artifact download.
    #[arg(long, default_value_t = 9)]
    pub http_retry: u32,
    /// Refuse remote kustomize bases (only files of the artifact may be used).
    #[arg(long, default_value_t = false, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub no_remote_bases: bool,
    /// ServiceAccount impersonated by Kustomizations that name none (multi-tenancy lockdown).
    #[arg(long, default_value = "")]
    pub default_service_account: String,
    /// Field managers whose fields are taken over (and their edits reverted), besides kubectl's.
    #[arg(long = "override-manager")]
    pub override_managers: Vec<String>,
    /// Kinds applied in a stage of their own, before the rest.
    #[arg(long, value_delimiter = ',')]
    pub custom_apply_stage_kinds: Vec<String>,
    /// Feature gates, `Name=true|false`, comma separated (`StrictPostBuildSubstitutions`,
    /// `CancelHealthCheckOnNewRevision`, `DisableFailFastBehavior`).
    #[arg(long, value_delimiter = ',')]
    pub feature_gates: Vec<String>,
    /// A Secret (`namespace/name`) of age keys used by Kustomizations whose `spec.decryption`
    /// names no Secret.
    #[arg(long, default_value = "")]
    pub sops_age_secret: String,
    /// Where fetched artifacts are unpacked (cached by digest).
    #[arg(
        long,
        env = "ARTIFACT_CACHE_PATH",
        default_value = "/tmp/kustomize-controller"
    )]
    pub artifact_cache_path: PathBuf,
    /// Largest artifact accepted, in bytes.
    #[arg(long, default_value_t = 1 << 30)]
    pub artifact_max_size: u64,
}

/// The feature gates kustomize-controller knows, with Flux's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureGates {
    /// Undefined post-build variables without a default are errors (Flux default: on).
    pub strict_post_build_substitutions: bool,
    /// A new source revision cancels a running health check (Capstan default: on).
    pub cancel_health_check_on_new_revision: bool,
    /// Health checks wait for the timeout even after an object failed (default: off).
    pub disable_fail_fast: bool,
}

impl Args {
    /// `--sops-age-secret` split into namespace and name (namespace defaults to the runtime's).
    pub fn sops_age_secret(&self) -> Option<(String, String)> {
        if self.sops_age_secret.is_empty() {
            return None;
        }
        Some(match self.sops_age_secret.split_once('/') {
            Some((namespace, name)) => (namespace.to_string(), name.to_string()),
            None => (
                self.runtime.runtime_namespace.clone(),
                self.sops_age_secret.clone(),
            ),
        })
    }

    /// The feature gates after `--feature-gates`; unknown gates are an error naming them.
    pub fn feature_gates(&self) -> Result<FeatureGates, String> {
        let mut gates = FeatureGates {
            strict_post_build_substitutions: true,
            cancel_health_check_on_new_revision: true,
            disable_fail_fast: false,
        };
        for entry in self.feature_gates.iter().filter(|e| !e.is_empty()) {
            let (name, value) = entry.split_once('=').unwrap_or((entry, "true"));
            let value = match value {
                "true" => true,
                "false" => false,
                other => {
                    return Err(format!(
                        "feature gate {name}: '{other}' is not true or false"
                    ));
                }
            };
            match name {
                "StrictPostBuildSubstitutions" => gates.strict_post_build_substitutions = value,
                "CancelHealthCheckOnNewRevision" => {
                    gates.cancel_health_check_on_new_revision = value
                }
                "DisableFailFastBehavior" => gates.disable_fail_fast = value,
                other => return Err(format!("unknown feature gate '{other}'")),
            }
        }
        Ok(gates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_gates() {
        let args = Args::parse_from(["kc"]);
        assert_eq!(args.concurrent_ssa, 4);
        assert_eq!(args.http_retry, 9);
        let gates = args.feature_gates().unwrap();
        assert!(gates.strict_post_build_substitutions);
        let args = Args::parse_from([
            "kc",
            "--feature-gates=StrictPostBuildSubstitutions=false,DisableFailFastBehavior=true",
        ]);
        let gates = args.feature_gates().unwrap();
        assert!(!gates.strict_post_build_substitutions && gates.disable_fail_fast);
        assert!(
            Args::parse_from(["kc", "--feature-gates=Nope=true"])
                .feature_gates()
                .is_err()
        );
    }
}
