//! The controllers' Deployments and source-controller's Service, shaped as Flux's
//! `config/manager/*.yaml` plus the patches `flux install` applies, adapted to Capstan.
//!
//! Decisions worth knowing:
//! - **Restricted security context** on every container (Pod Security Standard `restricted`):
//!   non-root (uid/gid 65534, so `runAsNonRoot` holds whatever the image declares), read-only
//!   root filesystem with emptyDirs for `/tmp` (and source-controller's `/data`), no privilege
//!   escalation, every capability dropped, the runtime's default seccomp profile.
//! - **Small resources**: 50m/64Mi requested, 1 CPU/256Mi limit. Capstan's controllers stream
//!   artifacts and never hold a whole Helm index in memory, so Flux's 1Gi limit is not needed.
//! - **Readiness** is `/readyz` on `healthz` for every controller. Flux probes
//!   source-controller with `GET /` on its file server, which answers 200 only on the leader;
//!   Capstan's file server does not list directories, so `/` is a 404 and would keep the pod
//!   unready for ever.
//! - `--events-addr` is left to its empty default until notification-controller exists.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    HTTPGetAction, LocalObjectReference, ObjectFieldSelector, PodSecurityContext, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, SecurityContext, Service,
    ServicePort, ServiceSpec, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::component::Component;
use crate::labels;
use crate::options::InstallOptions;

/// The artifact server's port (source-controller `--storage-addr`).
pub const HTTP_PORT: i32 = 9090;
/// The Prometheus metrics port (`--metrics-addr`).
pub const METRICS_PORT: i32 = 8080;
/// The health probes' port (`--health-addr`).
pub const HEALTH_PORT: i32 = 9440;

/// The name of the controller container (Flux's).
pub const CONTAINER_NAME: &str = "manager";

/// The uid and gid the controllers run as (`nobody`).
const NONROOT_ID: i64 = 65534;
/// Flux's `fsGroup`: emptyDirs are group-writable by it.
const FS_GROUP: i64 = 1337;

fn port(name: &str, number: i32) -> ContainerPort {
    ContainerPort {
        name: Some(name.to_string()),
        container_port: number,
        protocol: Some("TCP".to_string()),
        ..ContainerPort::default()
    }
}

fn http_probe(path: &str, port: &str) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_string()),
            port: IntOrString::String(port.to_string()),
            ..HTTPGetAction::default()
        }),
        ..Probe::default()
    }
}

fn quantities(cpu: &str, memory: &str) -> BTreeMap<String, Quantity> {
    BTreeMap::from([
        ("cpu".to_string(), Quantity(cpu.to_string())),
        ("memory".to_string(), Quantity(memory.to_string())),
    ])
}

/// The restricted container security context.
pub(crate) fn restricted_security_context() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_string()]),
            add: None,
        }),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        run_as_user: Some(NONROOT_ID),
        run_as_group: Some(NONROOT_ID),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_string(),
            localhost_profile: None,
        }),
        ..SecurityContext::default()
    }
}

/// The controller's flags, in Flux's order.
fn args(options: &InstallOptions, component: Component) -> Vec<String> {
    let mut args = vec![
        format!("--watch-all-namespaces={}", options.watch_all_namespaces),
        format!("--log-level={}", options.log_level),
        "--log-encoding=json".to_string(),
        "--enable-leader-election".to_string(),
    ];
    match component {
        Component::SourceController => {
            args.push("--storage-path=/data".to_string());
            args.push(format!("--storage-addr=:{HTTP_PORT}"));
            args.push(format!(
                "--storage-adv-addr={}.$(RUNTIME_NAMESPACE).svc.{}.",
                component.name(),
                options.cluster_domain
            ));
        }
        Component::KustomizeController => {}
    }
    args
}

/// The emptyDir volumes a controller writes to (its root filesystem is read-only).
fn scratch_volumes(component: Component) -> &'static [(&'static str, &'static str)] {
    match component {
        // Artifacts in /data; git and OCI work trees in /tmp.
        Component::SourceController => &[("data", "/data"), ("tmp", "/tmp")],
        // Unpacked artifacts (--artifact-cache-path under /tmp) and builds.
        Component::KustomizeController => &[("tmp", "/tmp")],
    }
}

fn ports(component: Component) -> Vec<ContainerPort> {
    let mut ports = Vec::new();
    match component {
        Component::SourceController => ports.push(port("http", HTTP_PORT)),
        Component::KustomizeController => {}
    }
    ports.push(port("http-prom", METRICS_PORT));
    ports.push(port("healthz", HEALTH_PORT));
    ports
}

fn container(options: &InstallOptions, component: Component) -> Container {
    Container {
        name: CONTAINER_NAME.to_string(),
        image: Some(options.image(component)),
        image_pull_policy: Some("IfNotPresent".to_string()),
        args: Some(args(options, component)),
        env: Some(vec![EnvVar {
            name: "RUNTIME_NAMESPACE".to_string(),
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: "metadata.namespace".to_string(),
                    api_version: None,
                }),
                ..EnvVarSource::default()
            }),
            value: None,
        }]),
        ports: Some(ports(component)),
        liveness_probe: Some(http_probe("/healthz", "healthz")),
        readiness_probe: Some(http_probe("/readyz", "healthz")),
        resources: Some(ResourceRequirements {
            requests: Some(quantities("50m", "64Mi")),
            limits: Some(quantities("1000m", "256Mi")),
            ..ResourceRequirements::default()
        }),
        security_context: Some(restricted_security_context()),
        volume_mounts: Some(
            scratch_volumes(component)
                .iter()
                .map(|(name, path)| VolumeMount {
                    name: (*name).to_string(),
                    mount_path: (*path).to_string(),
                    ..VolumeMount::default()
                })
                .collect(),
        ),
        ..Container::default()
    }
}

/// A controller's Deployment: one replica with leader election, as Flux.
pub(crate) fn deployment(options: &InstallOptions, component: Component) -> Deployment {
    let mut labels = labels::of_component(options, component);
    labels.insert("control-plane".to_string(), "controller".to_string());
    let pod_annotations = BTreeMap::from([
        ("prometheus.io/port".to_string(), METRICS_PORT.to_string()),
        ("prometheus.io/scrape".to_string(), "true".to_string()),
    ]);
    let (strategy, grace) = match component {
        // One artifact store per pod: never run two stores side by side.
        Component::SourceController => (
            Some(DeploymentStrategy {
                type_: Some("Recreate".to_string()),
                rolling_update: None,
            }),
            10,
        ),
        // Let an apply in flight finish.
        Component::KustomizeController => (None, 60),
    };
    let tolerations: Vec<Toleration> = options
        .toleration_keys
        .iter()
        .map(|key| Toleration {
            key: Some(key.trim().to_string()),
            operator: Some("Exists".to_string()),
            ..Toleration::default()
        })
        .collect();
    let pod = PodSpec {
        containers: vec![container(options, component)],
        image_pull_secrets: options
            .image_pull_secret
            .as_ref()
            .map(|name| vec![LocalObjectReference { name: name.clone() }]),
        node_selector: Some(BTreeMap::from([(
            "kubernetes.io/os".to_string(),
            "linux".to_string(),
        )])),
        // As Flux: GitOps must keep running when the cluster is short of resources.
        priority_class_name: Some("system-cluster-critical".to_string()),
        security_context: Some(PodSecurityContext {
            fs_group: Some(FS_GROUP),
            ..PodSecurityContext::default()
        }),
        service_account_name: Some(component.name().to_string()),
        termination_grace_period_seconds: Some(grace),
        tolerations: (!tolerations.is_empty()).then_some(tolerations),
        volumes: Some(
            scratch_volumes(component)
                .iter()
                .map(|(name, _)| Volume {
                    name: (*name).to_string(),
                    empty_dir: Some(EmptyDirVolumeSource::default()),
                    ..Volume::default()
                })
                .collect(),
        ),
        ..PodSpec::default()
    };
    Deployment {
        metadata: ObjectMeta {
            name: Some(component.name().to_string()),
            namespace: Some(options.namespace.clone()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        spec: Some(DeploymentSpec {
            replicas: Some(1),
            selector: LabelSelector {
                match_labels: Some(labels::app(component)),
                match_expressions: None,
            },
            strategy,
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    annotations: Some(pod_annotations),
                    labels: Some(labels::app(component)),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod),
            },
            ..DeploymentSpec::default()
        }),
        status: None,
    }
}

/// The Service in front of a controller, if it serves anything to other pods: only
/// source-controller's artifact server (port 80 → `http`), as Flux.
pub(crate) fn service(options: &InstallOptions, component: Component) -> Option<Service> {
    match component {
        Component::SourceController => {}
        Component::KustomizeController => return None,
    }
    Some(Service {
        metadata: ObjectMeta {
            name: Some(component.name().to_string()),
            namespace: Some(options.namespace.clone()),
            labels: Some(labels::of_component(options, component)),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_string()),
            selector: Some(labels::app(component)),
            ports: Some(vec![ServicePort {
                name: Some("http".to_string()),
                port: 80,
                protocol: Some("TCP".to_string()),
                target_port: Some(IntOrString::String("http".to_string())),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        status: None,
    })
}
