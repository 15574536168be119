//! `capstan check`: `flux check` for Capstan. One `✔`/`✗` line per check; exit code 1 when any
//! fails.
//!
//! - Always: the Kubernetes version is at least [`MIN_KUBERNETES`], the oldest version Capstan
//!   is tested against (its end-to-end tests run a v1.20 kube-apiserver).
//! - `--pre` (before an install): the user may create what an install creates (CRDs,
//!   ClusterRoles, ClusterRoleBindings, Namespaces), asked with SelfSubjectAccessReviews.
//! - Otherwise: every controller Deployment of `--components` in the namespace is Available
//!   (kstatus), with its image printed, and every CRD those controllers own is Established.
//!   The state is read once: `capstan install` already waits for readiness.

use std::process::ExitCode;

use anyhow::Context;
use capstan_apply::health;
use capstan_install::Component;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::PostParams;
use kube::{Api, Client, ResourceExt};

use crate::global::GlobalArgs;

/// The oldest Kubernetes minor version Capstan supports (`1.<minor>`): the version its
/// end-to-end tests run against.
pub(crate) const MIN_KUBERNETES: (u32, u32) = (1, 20);

/// `capstan check` flags, as `flux check`'s.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only check the prerequisites of an install: Kubernetes version and permissions.
    #[arg(long)]
    pub(crate) pre: bool,
    /// The controllers to check, comma separated.
    #[arg(long, default_value_t = Component::all().iter().map(|c| c.name()).collect::<Vec<_>>().join(","))]
    pub(crate) components: String,
}

/// Runs `capstan check`.
pub(crate) fn run(args: &Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let components = capstan_install::parse_components(&args.components)
        .map_err(|e| anyhow::anyhow!("--components: {e}"))?;
    let passed = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(check(args.pre, &components, global))?;
    if passed {
        eprintln!("✔ all checks passed");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("✗ check failed");
        Ok(ExitCode::FAILURE)
    }
}

/// Prints one line per check and returns whether all passed.
struct Checks {
    passed: bool,
}

impl Checks {
    fn pass(&self, message: &str) {
        eprintln!("✔ {message}");
    }

    fn fail(&mut self, message: &str) {
        self.passed = false;
        eprintln!("✗ {message}");
    }
}

async fn check(pre: bool, components: &[Component], global: &GlobalArgs) -> anyhow::Result<bool> {
    let client = global.client().await?;
    let mut checks = Checks { passed: true };

    eprintln!("► checking prerequisites");
    check_version(&client, &mut checks).await?;
    if pre {
        for (group, resource) in [
            ("apiextensions.k8s.io", "customresourcedefinitions"),
            ("rbac.authorization.k8s.io", "clusterroles"),
            ("rbac.authorization.k8s.io", "clusterrolebindings"),
            ("", "namespaces"),
        ] {
            check_can_create(&client, group, resource, &mut checks).await?;
        }
        return Ok(checks.passed);
    }

    eprintln!("► checking controllers");
    let namespace = global.namespace.as_str();
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    for component in components {
        check_deployment(&deployments, namespace, *component, &mut checks).await?;
    }

    eprintln!("► checking crds");
    let crds: Api<CustomResourceDefinition> = Api::all(client);
    for crd in capstan_install::crds_of(components) {
        let name = crd.name_any();
        let live = crds
            .get_opt(&name)
            .await
            .with_context(|| format!("reading CustomResourceDefinition/{name}"))?;
        match live {
            None => checks.fail(&format!("{name}: not found; run `capstan install`")),
            Some(live) => {
                let established = live
                    .status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .into_iter()
                    .flatten()
                    .any(|c| c.type_ == "Established" && c.status == "True");
                if established {
                    checks.pass(&name);
                } else {
                    checks.fail(&format!("{name}: not Established"));
                }
            }
        }
    }
    Ok(checks.passed)
}

/// Parses `1.20`, `1.20+` (GKE, EKS) into numbers.
pub(crate) fn parse_version(major: &str, minor: &str) -> Option<(u32, u32)> {
    let digits = |s: &str| -> Option<u32> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        s[..end].parse().ok()
    };
    Some((digits(major)?, digits(minor)?))
}

async fn check_version(client: &Client, checks: &mut Checks) -> anyhow::Result<()> {
    let info = client
        .apiserver_version()
        .await
        .context("reading the Kubernetes version (GET /version)")?;
    let (min_major, min_minor) = MIN_KUBERNETES;
    match parse_version(&info.major, &info.minor) {
        Some(version) if version >= MIN_KUBERNETES => checks.pass(&format!(
            "Kubernetes {} >={min_major}.{min_minor}.0",
            info.git_version
        )),
        Some(_) => checks.fail(&format!(
            "Kubernetes {} <{min_major}.{min_minor}.0: Capstan is tested against {min_major}.{min_minor} and later",
            info.git_version
        )),
        None => checks.fail(&format!(
            "Kubernetes version {:?}.{:?} ({}) cannot be read",
            info.major, info.minor, info.git_version
        )),
    }
    Ok(())
}

async fn check_can_create(
    client: &Client,
    group: &str,
    resource: &str,
    checks: &mut Checks,
) -> anyhow::Result<()> {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                group: Some(group.to_string()),
                resource: Some(resource.to_string()),
                verb: Some("create".to_string()),
                ..ResourceAttributes::default()
            }),
            non_resource_attributes: None,
        },
        ..SelfSubjectAccessReview::default()
    };
    let what = if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let answer = api
        .create(&PostParams::default(), &review)
        .await
        .with_context(|| format!("asking whether you may create {what}"))?;
    let status = answer.status.unwrap_or_default();
    if status.allowed {
        checks.pass(&format!("can create {what}"));
    } else {
        let reason = status
            .reason
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "not allowed by RBAC".to_string());
        checks.fail(&format!(
            "cannot create {what} ({reason}): installing Capstan needs cluster-admin rights"
        ));
    }
    Ok(())
}

async fn check_deployment(
    api: &Api<Deployment>,
    namespace: &str,
    component: Component,
    checks: &mut Checks,
) -> anyhow::Result<()> {
    let name = component.name();
    let live = api
        .get_opt(name)
        .await
        .with_context(|| format!("reading Deployment/{namespace}/{name}"))?;
    let Some(deployment) = live else {
        checks.fail(&format!(
            "{name}: deployment not found in namespace {namespace}; run `capstan install -n {namespace}`"
        ));
        return Ok(());
    };
    let images: Vec<String> = deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .map(|pod| {
            pod.containers
                .iter()
                .filter_map(|c| c.image.clone())
                .collect()
        })
        .unwrap_or_default();
    let status = health::compute(&serde_json::to_value(&deployment)?);
    if status.is_current() {
        checks.pass(&format!("{name}: deployment ready"));
    } else {
        checks.fail(&format!(
            "{name}: deployment not ready ({}: {}); see `kubectl -n {namespace} describe deployment {name}`",
            status.status, status.message
        ));
    }
    for image in images {
        eprintln!("► {image}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_with_vendor_suffixes_parse() {
        assert_eq!(parse_version("1", "20"), Some((1, 20)));
        assert_eq!(parse_version("1", "27+"), Some((1, 27)));
        assert_eq!(parse_version("", "20"), None);
        assert!(parse_version("1", "19").is_some_and(|v| v < MIN_KUBERNETES));
    }
}
