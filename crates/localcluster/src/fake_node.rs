//! The fake node: a stand-in for a kubelet.
//!
//! There is no container runtime, so no kubelet. This loop registers one Node, binds every
//! pending pod to it (through the Binding subresource, as the scheduler would) and reports bound
//! pods as the kubelet would: Running and Ready, or Succeeded for run-to-completion pods. The
//! real controller-manager then computes Deployment, ReplicaSet, StatefulSet and Job status from
//! those pods, so health checks downstream are real. Pods being deleted are removed at once,
//! because without a kubelet graceful deletion never finishes.

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use tracing::{debug, warn};

use crate::Error;

/// The name of the Node the fake node registers.
pub const NODE_NAME: &str = "capstan-node";

/// Pod annotation that keeps a pod Running but not Ready (value `"false"`), so tests can model
/// a rollout that never becomes healthy. Put it on a Deployment's pod template.
pub const NOT_READY_ANNOTATION: &str = "fake-node.capstan.dev/ready";

/// Pod annotation giving the exit code of a run-to-completion pod (default `"0"`); a non-zero
/// code makes the pod Failed, so Jobs can fail in tests.
pub const EXIT_CODE_ANNOTATION: &str = "fake-node.capstan.dev/exit-code";

const FIELD_MANAGER: &str = "capstan-fake-node";

/// Keeps pods moving until the stream ends or the task is dropped; call [`register`] first.
pub(crate) async fn run(client: Client) -> Result<(), Error> {
    let pods: Api<Pod> = Api::all(client.clone());
    let mut events = watcher(pods, watcher::Config::default())
        .default_backoff()
        .applied_objects()
        .boxed();
    loop {
        match events.try_next().await {
            Ok(Some(pod)) => {
                if let Err(error) = handle_pod(&client, &pod).await {
                    debug!(pod = %pod.name_any(), %error, "fake node could not update pod; it will retry on the next event");
                }
            }
            Ok(None) => return Ok(()),
            Err(error) => warn!(%error, "fake node watch error"),
        }
    }
}

/// Registers the Node and reports it Ready.
pub(crate) async fn register(client: &Client) -> Result<(), Error> {
    let nodes: Api<Node> = Api::all(client.clone());
    let node: Node = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": NODE_NAME,
            "labels": {
                "kubernetes.io/hostname": NODE_NAME,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node-role.kubernetes.io/control-plane": "",
            }
        }
    }))
    .map_err(|e| Error::Provision(format!("node template: {e}")))?;
    let params = PatchParams::apply(FIELD_MANAGER).force();
    nodes
        .patch(NODE_NAME, &params, &Patch::Apply(&node))
        .await
        .map_err(Error::kube("registering the fake node"))?;
    let now = now();
    let status = json!({
        "apiVersion": "v1",
        "kind": "Node",
        "status": {
            "capacity": { "cpu": "64", "memory": "256Gi", "pods": "1000", "ephemeral-storage": "1Ti" },
            "allocatable": { "cpu": "64", "memory": "256Gi", "pods": "1000", "ephemeral-storage": "1Ti" },
            "addresses": [
                { "type": "InternalIP", "address": "127.0.0.1" },
                { "type": "Hostname", "address": NODE_NAME }
            ],
            "conditions": [
                { "type": "Ready", "status": "True", "reason": "KubeletReady", "message": "capstan fake node is ready",
                  "lastHeartbeatTime": now, "lastTransitionTime": now },
                { "type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory",
                  "lastHeartbeatTime": now, "lastTransitionTime": now },
                { "type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure",
                  "lastHeartbeatTime": now, "lastTransitionTime": now },
                { "type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID",
                  "lastHeartbeatTime": now, "lastTransitionTime": now }
            ],
            "nodeInfo": {
                "machineID": "capstan", "systemUUID": "capstan", "bootID": "capstan",
                "kernelVersion": "", "osImage": "capstan fake node", "containerRuntimeVersion": "fake://0",
                "kubeletVersion": "v1.20.2", "kubeProxyVersion": "v1.20.2",
                "operatingSystem": "linux", "architecture": "amd64"
            }
        }
    });
    nodes
        .patch_status(NODE_NAME, &params, &Patch::Apply(&status))
        .await
        .map_err(Error::kube("reporting the fake node Ready"))?;
    Ok(())
}

async fn handle_pod(client: &Client, pod: &Pod) -> Result<(), kube::Error> {
    let namespace = pod.namespace().unwrap_or_default();
    let name = pod.name_any();
    let api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    if pod.metadata.deletion_timestamp.is_some() {
        // No kubelet will confirm termination: finish the deletion now.
        return ignore_not_found(
            api.delete(
                &name,
                &DeleteParams {
                    grace_period_seconds: Some(0),
                    ..Default::default()
                },
            )
            .await
            .map(|_| ()),
        );
    }
    let Some(spec) = &pod.spec else { return Ok(()) };
    match spec.node_name.as_deref() {
        None => {
            let binding = json!({
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": { "name": name, "namespace": namespace },
                "target": { "apiVersion": "v1", "kind": "Node", "name": NODE_NAME }
            });
            let created = api
                .create_subresource::<_, Value>("binding", &name, &PostParams::default(), &binding)
                .await;
            ignore_not_found(created.map(|_| ()))
        }
        Some(NODE_NAME) => {
            let desired = desired_state(pod);
            if current_state(pod) == desired {
                return Ok(());
            }
            let patch = status_patch(pod, desired);
            ignore_not_found(
                api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map(|_| ()),
            )
        }
        Some(_) => Ok(()),
    }
}

fn ignore_not_found(result: Result<(), kube::Error>) -> Result<(), kube::Error> {
    match result {
        Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
        other => other,
    }
}

/// What the fake kubelet reports for a pod: its phase and whether it is Ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PodState {
    Running { ready: bool },
    Succeeded,
    Failed,
    Other,
}

fn desired_state(pod: &Pod) -> PodState {
    let annotations = pod.annotations();
    let runs_to_completion = pod
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .is_some_and(|policy| policy != "Always");
    if runs_to_completion {
        let exit_code = annotations
            .get(EXIT_CODE_ANNOTATION)
            .map(String::as_str)
            .unwrap_or("0");
        return if exit_code == "0" {
            PodState::Succeeded
        } else {
            PodState::Failed
        };
    }
    let ready = annotations.get(NOT_READY_ANNOTATION).map(String::as_str) != Some("false");
    PodState::Running { ready }
}

fn current_state(pod: &Pod) -> PodState {
    let Some(status) = &pod.status else {
        return PodState::Other;
    };
    match status.phase.as_deref() {
        Some("Succeeded") => PodState::Succeeded,
        Some("Failed") => PodState::Failed,
        Some("Running") => {
            let ready = status
                .conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == "Ready" && c.status == "True");
            PodState::Running { ready }
        }
        _ => PodState::Other,
    }
}

fn status_patch(pod: &Pod, state: PodState) -> Value {
    let now = now();
    let uid = pod.uid().unwrap_or_default();
    let ip = pod_ip(&uid);
    let exit_code: i32 = pod
        .annotations()
        .get(EXIT_CODE_ANNOTATION)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (phase, ready) = match state {
        PodState::Running { ready } => ("Running", ready),
        PodState::Succeeded => ("Succeeded", false),
        PodState::Failed | PodState::Other => ("Failed", false),
    };
    let container_state = |started: &str| match state {
        PodState::Running { .. } => json!({ "running": { "startedAt": started } }),
        _ => json!({ "terminated": {
            "exitCode": exit_code,
            "reason": if exit_code == 0 { "Completed" } else { "Error" },
            "startedAt": started, "finishedAt": started } }),
    };
    let spec = pod.spec.as_ref();
    let containers: Vec<Value> = spec
        .map(|s| s.containers.iter().collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            let image = c.image.clone().unwrap_or_default();
            json!({
                "name": c.name,
                "image": image,
                "imageID": format!("fake://{image}"),
                "containerID": format!("fake://{uid}/{}", c.name),
                "ready": ready,
                "started": matches!(state, PodState::Running { .. }),
                "restartCount": 0,
                "state": container_state(&now),
            })
        })
        .collect();
    let init_containers: Vec<Value> = spec
        .and_then(|s| s.init_containers.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            let image = c.image.unwrap_or_default();
            json!({
                "name": c.name, "image": image, "imageID": format!("fake://{image}"),
                "ready": true, "restartCount": 0,
                "state": { "terminated": { "exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now } }
            })
        })
        .collect();
    let ready_status = if ready { "True" } else { "False" };
    let not_ready_reason = match state {
        PodState::Succeeded | PodState::Failed => "PodCompleted",
        _ => "ContainersNotReady",
    };
    let condition = |type_: &str, status: &str| {
        let mut c = BTreeMap::new();
        c.insert("type", json!(type_));
        c.insert("status", json!(status));
        c.insert("lastTransitionTime", json!(now));
        if status == "False" {
            c.insert("reason", json!(not_ready_reason));
        }
        json!(c)
    };
    json!({
        "status": {
            "phase": phase,
            "hostIP": "127.0.0.1",
            "podIP": ip,
            "podIPs": [{ "ip": ip }],
            "startTime": now,
            "conditions": [
                condition("Initialized", "True"),
                condition("Ready", ready_status),
                condition("ContainersReady", ready_status),
                condition("PodScheduled", "True"),
            ],
            "containerStatuses": containers,
            "initContainerStatuses": init_containers,
        }
    })
}

/// A stable pod IP in 10.244.0.0/16 derived from the pod's UID.
fn pod_ip(uid: &str) -> String {
    let hash = uid
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let third = (hash >> 8) & 0xff;
    let fourth = (hash & 0xff).clamp(2, 254);
    format!("10.244.{third}.{fourth}")
}

fn now() -> String {
    k8s_openapi::jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(value: Value) -> Pod {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn long_running_pods_become_ready_unless_annotated() {
        let ready =
            pod(json!({"metadata": {"name": "a"}, "spec": {"containers": [{"name": "c"}]}}));
        assert_eq!(desired_state(&ready), PodState::Running { ready: true });
        let stuck = pod(
            json!({"metadata": {"name": "a", "annotations": {NOT_READY_ANNOTATION: "false"}},
            "spec": {"containers": [{"name": "c"}]}}),
        );
        assert_eq!(desired_state(&stuck), PodState::Running { ready: false });
    }

    #[test]
    fn run_to_completion_pods_succeed_or_fail_by_exit_code() {
        let job = pod(
            json!({"metadata": {"name": "a"}, "spec": {"restartPolicy": "Never", "containers": [{"name": "c"}]}}),
        );
        assert_eq!(desired_state(&job), PodState::Succeeded);
        let failing = pod(
            json!({"metadata": {"name": "a", "annotations": {EXIT_CODE_ANNOTATION: "3"}},
            "spec": {"restartPolicy": "OnFailure", "containers": [{"name": "c"}]}}),
        );
        assert_eq!(desired_state(&failing), PodState::Failed);
    }

    #[test]
    fn reported_status_reads_back_as_the_desired_state() {
        for (annotations, want) in [
            (json!({}), PodState::Running { ready: true }),
            (
                json!({NOT_READY_ANNOTATION: "false"}),
                PodState::Running { ready: false },
            ),
        ] {
            let mut p = pod(
                json!({"metadata": {"name": "a", "uid": "u1", "annotations": annotations},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
            );
            assert_eq!(current_state(&p), PodState::Other);
            let patch = status_patch(&p, want);
            p.status = Some(serde_json::from_value(patch["status"].clone()).unwrap());
            assert_eq!(current_state(&p), want);
        }
    }

    #[test]
    fn pod_ips_are_stable_and_inside_the_pod_range() {
        assert_eq!(pod_ip("abc"), pod_ip("abc"));
        assert!(pod_ip("abc").starts_with("10.244."));
    }
}
