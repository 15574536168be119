//! Flux's NetworkPolicies for the install namespace (`manifests/policies/*.yaml`):
//! `allow-egress` (egress anywhere, ingress only from pods of the namespace) and
//! `allow-scraping` (metrics port 8080 from any namespace). Flux's third, `allow-webhooks`,
//! opens notification-controller's receiver and comes with that controller.

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::labels;
use crate::options::InstallOptions;
use crate::workload::METRICS_PORT;

fn policy(options: &InstallOptions, name: &str, spec: NetworkPolicySpec) -> NetworkPolicy {
    NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(options.namespace.clone()),
            labels: Some(labels::common(options)),
            ..ObjectMeta::default()
        },
        spec: Some(spec),
    }
}

/// The policies, when `network_policy` is on.
pub(crate) fn network_policies(options: &InstallOptions) -> Vec<NetworkPolicy> {
    if !options.network_policy {
        return Vec::new();
    }
    let every_pod = LabelSelector::default();
    let allow_egress = policy(
        options,
        "allow-egress",
        NetworkPolicySpec {
            pod_selector: Some(every_pod.clone()),
            egress: Some(vec![NetworkPolicyEgressRule::default()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![NetworkPolicyPeer {
                    pod_selector: Some(every_pod.clone()),
                    ..NetworkPolicyPeer::default()
                }]),
                ports: None,
            }]),
            policy_types: Some(vec!["Ingress".to_string(), "Egress".to_string()]),
        },
    );
    let allow_scraping = policy(
        options,
        "allow-scraping",
        NetworkPolicySpec {
            pod_selector: Some(every_pod.clone()),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![NetworkPolicyPeer {
                    namespace_selector: Some(every_pod),
                    ..NetworkPolicyPeer::default()
                }]),
                ports: Some(vec![NetworkPolicyPort {
                    port: Some(IntOrString::Int(METRICS_PORT)),
                    protocol: Some("TCP".to_string()),
                    end_port: None,
                }]),
            }]),
            policy_types: Some(vec!["Ingress".to_string()]),
            egress: None,
        },
    );
    vec![allow_egress, allow_scraping]
}
