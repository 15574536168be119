//! `capstan install`: `flux install` for Capstan. With `--export` it prints the generated YAML
//! and nothing else; otherwise it applies it (staged server-side apply: CRDs and the Namespace
//! first) and waits until every controller Deployment is Available.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use capstan_apply::{Applier, ApplyOptions, health};
use capstan_install::{Component, InstallOptions};
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;

use crate::global::GlobalArgs;

/// The field manager of everything `capstan install` applies.
pub(crate) const FIELD_MANAGER: &str = "capstan";

/// `capstan install` flags, as `flux install`'s. The controllers' log level is the global
/// `--log-level` (default `info`), so `capstan install --log-level=debug` means what it means
/// for Flux.
#[derive(Debug, clap::Args)]
// `--version` is the controllers' image tag, as in `flux install`, not the CLI's version.
#[command(disable_version_flag = true)]
pub(crate) struct Args {
    /// Print the YAML of the installation instead of applying it.
    #[arg(long)]
    pub(crate) export: bool,
    /// The controllers to install, comma separated (with the CRDs they own).
    #[arg(long, default_value_t = Component::all().iter().map(|c| c.name()).collect::<Vec<_>>().join(","))]
    pub(crate) components: String,
    /// The registry the controller images are pulled from.
    #[arg(long, default_value = capstan_install::DEFAULT_REGISTRY)]
    pub(crate) registry: String,
    /// The controllers' image tag (default: this CLI's version).
    #[arg(short = 'v', long)]
    pub(crate) version: Option<String>,
    /// A Secret in the namespace the images are pulled with.
    #[arg(long)]
    pub(crate) image_pull_secret: Option<String>,
    /// Whether the controllers watch all namespaces (false: only their own).
    #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub(crate) watch_all_namespaces: bool,
    /// Whether to install the NetworkPolicies (allow-egress, allow-scraping).
    #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub(crate) network_policy: bool,
    /// The cluster's DNS domain.
    #[arg(long, default_value = "cluster.local")]
    pub(crate) cluster_domain: String,
    /// Taint keys the controllers tolerate, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub(crate) toleration_keys: Vec<String>,
}

impl Args {
    /// The install options of these flags and the global ones, checked.
    pub(crate) fn options(&self, global: &GlobalArgs) -> anyhow::Result<InstallOptions> {
        let components = capstan_install::parse_components(&self.components)
            .map_err(|e| anyhow::anyhow!("--components: {e}"))?;
        let options = InstallOptions {
            namespace: global.namespace.clone(),
            components,
            registry: self.registry.clone(),
            version: self
                .version
                .clone()
                .unwrap_or_else(capstan_install::default_version),
            image_pull_secret: self.image_pull_secret.clone(),
            watch_all_namespaces: self.watch_all_namespaces,
            network_policy: self.network_policy,
            log_level: global
                .log_level
                .clone()
                .unwrap_or_else(|| "info".to_string()),
            cluster_domain: self.cluster_domain.clone(),
            toleration_keys: self
                .toleration_keys
                .iter()
                .filter(|k| !k.trim().is_empty())
                .cloned()
                .collect(),
        };
        options.validate()?;
        Ok(options)
    }
}

/// Runs `capstan install`.
pub(crate) fn run(args: &Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let options = args.options(global)?;
    if args.export {
        print!(
            "{}",
            capstan_install::to_yaml(&capstan_install::generate(&options))
        );
        return Ok(ExitCode::SUCCESS);
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(install(&options, global))?;
    Ok(ExitCode::SUCCESS)
}

async fn install(options: &InstallOptions, global: &GlobalArgs) -> anyhow::Result<()> {
    let deadline = Instant::now() + global.timeout;
    let client = global.client().await?;
    eprintln!("► installing components in {} namespace", options.namespace);
    let mut apply_options = ApplyOptions::new(FIELD_MANAGER);
    apply_options.wait_timeout = global.timeout;
    let applier = Applier::new(client.clone(), apply_options);
    let changes = applier
        .apply_all_staged(capstan_install::generate(options))
        .await
        .with_context(|| {
            format!(
                "installing Capstan in namespace {}; fix the objects named above, or check your rights with `capstan check --pre`",
                options.namespace
            )
        })?;
    for entry in &changes.entries {
        eprintln!("{entry}");
    }
    eprintln!("✔ install completed");

    eprintln!("◎ verifying installation");
    let api: Api<Deployment> = Api::namespaced(client, &options.namespace);
    for component in options.selected() {
        match wait_available(&api, &options.namespace, component.name(), deadline).await {
            Ok(()) => eprintln!("✔ {component}: deployment ready"),
            Err(error) => {
                eprintln!("✗ {component}: deployment not ready");
                return Err(error);
            }
        }
    }
    eprintln!("✔ install finished");
    Ok(())
}

/// Polls a Deployment's kstatus until it is Current, Failed, or the deadline passes; errors
/// name the Deployment and the last status read.
pub(crate) async fn wait_available(
    api: &Api<Deployment>,
    namespace: &str,
    name: &str,
    deadline: Instant,
) -> anyhow::Result<()> {
    let mut last;
    loop {
        match api.get_opt(name).await {
            Ok(Some(deployment)) => {
                let status = health::compute(&serde_json::to_value(&deployment)?);
                match status.status {
                    health::Status::Current => return Ok(()),
                    health::Status::Failed => anyhow::bail!(
                        "Deployment/{namespace}/{name} failed: {}; see `kubectl -n {namespace} describe deployment {name}`",
                        status.message
                    ),
                    _ => last = format!("{}: {}", status.status, status.message),
                }
            }
            Ok(None) => last = "not found".to_string(),
            Err(error) => last = format!("cannot read it: {error}"),
        }
        if Instant::now() >= deadline {
            anyhow::bail!(
                "Deployment/{namespace}/{name} is not Available after the timeout ({last}); see `kubectl -n {namespace} describe deployment {name}` or raise --timeout"
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
