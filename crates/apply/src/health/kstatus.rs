//! kstatus rules, pure over JSON (`fluxcd/cli-utils` `pkg/kstatus/status`): generic checks
//! first (deletion, observed generation, `Reconciling`/`Stalled`), then per-kind rules, then the
//! generic `Ready` condition; an object with none of these is Current.

use std::time::{Duration, SystemTime};

use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use super::{ObjectStatus, Status};
use crate::object::split_api_version;

/// A Pod that stays unschedulable this long is Failed.
const UNSCHEDULABLE_GRACE: Duration = Duration::from_secs(15);

/// The status of an object now; see [`compute_at`].
pub fn compute(object: &Value) -> ObjectStatus {
    compute_at(object, SystemTime::now())
}

/// The status of an object at `now` (the clock only matters for unschedulable Pods).
pub fn compute_at(object: &Value, now: SystemTime) -> ObjectStatus {
    if let Some(result) = generic(object) {
        return result;
    }
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (group, _) = split_api_version(api_version);
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match (group, kind) {
        ("", "Service") => service(object),
        ("", "Pod") => pod(object, now),
        ("", "Secret" | "ConfigMap") | ("batch", "CronJob") => always_ready(),
        ("", "PersistentVolumeClaim") => pvc(object),
        ("apps", "StatefulSet") => stateful_set(object),
        ("apps" | "extensions", "DaemonSet") => daemon_set(object),
        ("apps" | "extensions", "Deployment") => deployment(object),
        ("apps" | "extensions", "ReplicaSet") => replica_set(object),
        ("policy", "PodDisruptionBudget") => current("AllowedDisruptions has been computed."),
        ("batch", "Job") => job(object),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => crd(object),
        _ => ready_condition(object),
    }
}

fn current(message: impl Into<String>) -> ObjectStatus {
    ObjectStatus::new(Status::Current, message)
}

fn in_progress(message: impl Into<String>) -> ObjectStatus {
    ObjectStatus::new(Status::InProgress, message)
}

fn failed(message: impl Into<String>) -> ObjectStatus {
    ObjectStatus::new(Status::Failed, message)
}

fn always_ready() -> ObjectStatus {
    current("Resource is always ready")
}

fn int(object: &Value, pointer: &str, default: i64) -> i64 {
    object
        .pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or(default)
}

fn string<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer).and_then(Value::as_str)
}

/// A status condition (`type`, `status`, `reason`, `message`).
struct Condition<'a> {
    type_: &'a str,
    status: &'a str,
    reason: &'a str,
    message: &'a str,
    last_transition: Option<&'a str>,
}

fn conditions(object: &Value) -> Vec<Condition<'_>> {
    object
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|c| {
                    let field =
                        |name: &str| c.get(name).and_then(Value::as_str).unwrap_or_default();
                    Condition {
                        type_: field("type"),
                        status: field("status"),
                        reason: field("reason"),
                        message: field("message"),
                        last_transition: c.get("lastTransitionTime").and_then(Value::as_str),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn generic(object: &Value) -> Option<ObjectStatus> {
    if string(object, "/metadata/deletionTimestamp").is_some_and(|t| !t.is_empty()) {
        return Some(ObjectStatus::new(
            Status::Terminating,
            "Resource scheduled for deletion",
        ));
    }
    if let (Some(generation), Some(observed)) = (
        object
            .pointer("/metadata/generation")
            .and_then(Value::as_i64),
        object
            .pointer("/status/observedGeneration")
            .and_then(Value::as_i64),
    ) && generation != observed
    {
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("Resource");
        return Some(in_progress(format!(
            "{kind} generation is {generation}, but latest observed generation is {observed}"
        )));
    }
    for condition in conditions(object) {
        if condition.type_ == "Reconciling" && condition.status == "True" {
            return Some(in_progress(condition.message));
        }
        if condition.type_ == "Stalled" && condition.status == "True" {
            return Some(failed(condition.message));
        }
    }
    None
}

fn ready_condition(object: &Value) -> ObjectStatus {
    match conditions(object).into_iter().find(|c| c.type_ == "Ready") {
        Some(c) if c.status == "True" => current(if c.message.is_empty() {
            "Resource is Ready"
        } else {
            c.message
        }),
        Some(c) => in_progress(if c.message.is_empty() {
            format!("Ready condition is {}", c.status)
        } else {
            c.message.to_string()
        }),
        None => current("Resource is current"),
    }
}

fn service(object: &Value) -> ObjectStatus {
    let kind = string(object, "/spec/type").unwrap_or("ClusterIP");
    let cluster_ip = string(object, "/spec/clusterIP").unwrap_or_default();
    if kind == "LoadBalancer" && cluster_ip.is_empty() {
        return in_progress("ClusterIP not set. Service type: LoadBalancer");
    }
    current("Service is ready")
}

fn pvc(object: &Value) -> ObjectStatus {
    let phase = string(object, "/status/phase").unwrap_or("unknown");
    if phase != "Bound" {
        return in_progress(format!("PVC is not Bound. phase: {phase}"));
    }
    current("PVC is Bound")
}

fn pod(object: &Value, now: SystemTime) -> ObjectStatus {
    let conditions = conditions(object);
    match string(object, "/status/phase").unwrap_or_default() {
        "Succeeded" => current("Pod has completed successfully"),
        "Failed" => current("Pod has completed, but not successfully"),
        "Running" => {
            if conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
            {
                return current("Pod is Ready");
            }
            let crashing = crash_looping_containers(object);
            if !crashing.is_empty() {
                return failed(format!(
                    "Containers in CrashLoop state: {}",
                    crashing.join(",")
                ));
            }
            in_progress("Pod is running but is not Ready")
        }
        "Pending" => {
            let unschedulable = conditions.iter().find(|c| {
                c.type_ == "PodScheduled" && c.status == "False" && c.reason == "Unschedulable"
            });
            if let Some(c) = unschedulable {
                let since = c
                    .last_transition
                    .and_then(|t| t.parse::<Timestamp>().ok())
                    .map(SystemTime::from);
                let long_enough = since.is_none_or(|t| {
                    now.duration_since(t).unwrap_or_default() >= UNSCHEDULABLE_GRACE
                });
                if long_enough {
                    return failed(format!("Pod could not be scheduled: {}", c.message));
                }
            }
            in_progress("Pod is in the Pending phase")
        }
        "" => in_progress("Pod phase not available"),
        other => ObjectStatus::new(Status::Unknown, format!("unknown Pod phase {other}")),
    }
}

fn crash_looping_containers(object: &Value) -> Vec<String> {
    object
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .map(|statuses| {
            statuses
                .iter()
                .filter(|s| {
                    s.pointer("/state/waiting/reason").and_then(Value::as_str)
                        == Some("CrashLoopBackOff")
                })
                .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn deployment(object: &Value) -> ObjectStatus {
    // Without progressDeadlineSeconds the controller never sets Progressing.
    let mut progressing = object.pointer("/spec/progressDeadlineSeconds").is_none();
    let mut available = false;
    for c in conditions(object) {
        match c.type_ {
            "Progressing" => {
                if c.reason == "ProgressDeadlineExceeded" {
                    return failed("Progress deadline exceeded");
                }
                if c.status == "True" && c.reason == "NewReplicaSetAvailable" {
                    progressing = true;
                }
            }
            "Available" if c.status == "True" => available = true,
            _ => {}
        }
    }
    let spec = int(object, "/spec/replicas", 1);
    let replicas = int(object, "/status/replicas", 0);
    let updated = int(object, "/status/updatedReplicas", 0);
    let ready = int(object, "/status/readyReplicas", 0);
    let avail = int(object, "/status/availableReplicas", 0);
    if spec > replicas {
        return in_progress(format!("Replicas: {replicas}/{spec}"));
    }
    if spec > updated {
        return in_progress(format!("Updated: {updated}/{spec}"));
    }
    if replicas > spec {
        return in_progress(format!("Pending termination: {}", replicas - spec));
    }
    if updated > avail {
        return in_progress(format!("Available: {avail}/{updated}"));
    }
    if spec > ready {
        return in_progress(format!("Ready: {ready}/{spec}"));
    }
    if !progressing {
        return in_progress("ReplicaSet not Available");
    }
    if !available {
        return in_progress("Deployment not Available");
    }
    current(format!("Deployment is available. Replicas: {replicas}"))
}

fn stateful_set(object: &Value) -> ObjectStatus {
    if string(object, "/spec/updateStrategy/type") == Some("OnDelete") {
        return current("StatefulSet is using the ondelete update strategy");
    }
    let spec = int(object, "/spec/replicas", 1);
    let ready = int(object, "/status/readyReplicas", 0);
    let current_replicas = int(object, "/status/currentReplicas", 0);
    let updated = int(object, "/status/updatedReplicas", 0);
    let replicas = int(object, "/status/replicas", 0);
    let partition = int(object, "/spec/updateStrategy/rollingUpdate/partition", -1);
    if spec > replicas {
        return in_progress(format!("Replicas: {replicas}/{spec}"));
    }
    if spec > ready {
        return in_progress(format!("Ready: {ready}/{spec}"));
    }
    if replicas > spec {
        return in_progress(format!("Pending termination: {}", replicas - spec));
    }
    if partition != -1 {
        if updated < spec - partition {
            return in_progress(format!("updated: {updated}/{}", spec - partition));
        }
        return current(format!("Partition rollout complete. updated: {updated}"));
    }
    if spec > current_replicas {
        return in_progress(format!("current: {current_replicas}/{spec}"));
    }
    if string(object, "/status/currentRevision") != string(object, "/status/updateRevision") {
        return in_progress("Waiting for updated revision to match current");
    }
    current(format!(
        "All replicas scheduled as expected. Replicas: {replicas}"
    ))
}

fn daemon_set(object: &Value) -> ObjectStatus {
    // The controller always sets observedGeneration once it acted; without it, nothing is known.
    if object.pointer("/status/observedGeneration").is_none() {
        return in_progress("DaemonSet has not been observed by its controller yet");
    }
    let desired = int(object, "/status/desiredNumberScheduled", -1);
    let scheduled = int(object, "/status/currentNumberScheduled", 0);
    let updated = int(object, "/status/updatedNumberScheduled", 0);
    let available = int(object, "/status/numberAvailable", 0);
    let ready = int(object, "/status/numberReady", 0);
    if desired == -1 {
        return in_progress("Missing .status.desiredNumberScheduled");
    }
    if desired > scheduled {
        return in_progress(format!("Current: {scheduled}/{desired}"));
    }
    if desired > updated {
        return in_progress(format!("Updated: {updated}/{desired}"));
    }
    if desired > available {
        return in_progress(format!("Available: {available}/{desired}"));
    }
    if desired > ready {
        return in_progress(format!("Ready: {ready}/{desired}"));
    }
    current(format!(
        "All replicas scheduled as expected. Replicas: {desired}"
    ))
}

fn replica_set(object: &Value) -> ObjectStatus {
    if conditions(object)
        .iter()
        .any(|c| c.type_ == "ReplicaFailure" && c.status == "True")
    {
        return in_progress("Replica Failure condition. Check Pods");
    }
    let spec = int(object, "/spec/replicas", 1);
    let replicas = int(object, "/status/replicas", 0);
    let ready = int(object, "/status/readyReplicas", 0);
    let available = int(object, "/status/availableReplicas", 0);
    let labelled = int(object, "/status/fullyLabeledReplicas", 0);
    if spec > labelled {
        return in_progress(format!("Labelled: {labelled}/{spec}"));
    }
    if spec > available {
        return in_progress(format!("Available: {available}/{spec}"));
    }
    if spec > ready {
        return in_progress(format!("Ready: {ready}/{spec}"));
    }
    if replicas > spec {
        return in_progress(format!("Pending termination: {}", replicas - spec));
    }
    current(format!("ReplicaSet is available. Replicas: {replicas}"))
}

/// As Flux's own Job status reader (`fluxcd/pkg` `runtime/statusreaders`), not upstream
/// kstatus: a Job is Current only once complete (or suspended), so a health check waits for it
/// and sees it fail.
fn job(object: &Value) -> ObjectStatus {
    let parallelism = int(object, "/spec/parallelism", 1);
    let completions = int(object, "/spec/completions", parallelism);
    let succeeded = int(object, "/status/succeeded", 0);
    let active = int(object, "/status/active", 0);
    let failed_pods = int(object, "/status/failed", 0);
    for c in conditions(object) {
        if c.status != "True" {
            continue;
        }
        match c.type_ {
            "Complete" => {
                return current(format!(
                    "Job Completed. succeeded: {succeeded}/{completions}"
                ));
            }
            "Failed" => {
                let detail = if c.message.is_empty() {
                    String::new()
                } else {
                    format!(": {}", c.message)
                };
                return failed(format!(
                    "Job Failed. failed: {failed_pods}/{completions}{detail}"
                ));
            }
            _ => {}
        }
    }
    if object.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
        return current("Job is suspended");
    }
    if string(object, "/status/startTime").is_none_or(str::is_empty) {
        return in_progress(format!("Job not started. parallelism: {parallelism}"));
    }
    in_progress(format!(
        "Job in progress. succeeded: {succeeded}/{completions}, active: {active}, failed: {failed_pods}"
    ))
}

fn crd(object: &Value) -> ObjectStatus {
    for c in conditions(object) {
        if c.type_ == "NamesAccepted" && c.status == "False" {
            return failed(format!("{}: {}", c.reason, c.message));
        }
        if c.type_ == "Established" {
            if c.status == "False" && c.reason != "Installing" {
                return failed(format!("{}: {}", c.reason, c.message));
            }
            if c.status == "True" {
                return current("CRD is established");
            }
        }
    }
    in_progress("Install in progress")
}

#[cfg(test)]
mod tests;
