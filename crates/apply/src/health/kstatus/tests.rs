//! kstatus fixtures per kind.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::*;

fn status_of(object: Value) -> (Status, String) {
    let result = compute(&object);
    (result.status, result.message)
}

fn deployment(status: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "apps", "generation": 2},
        "spec": {"replicas": 2, "progressDeadlineSeconds": 600},
        "status": status})
}

#[test]
fn deployment_progressing_is_in_progress() {
    let (status, message) = status_of(deployment(json!({
        "observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 0,
        "readyReplicas": 0,
        "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"},
                       {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"}]})));
    assert_eq!(status, Status::InProgress);
    assert_eq!(message, "Available: 0/2");
}

#[test]
fn deployment_available_is_current() {
    let (status, message) = status_of(deployment(json!({
        "observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2,
        "readyReplicas": 2,
        "conditions": [{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
                       {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}]})));
    assert_eq!(status, Status::Current, "{message}");
}

#[test]
fn deployment_past_its_deadline_is_failed() {
    let (status, message) = status_of(deployment(json!({
        "observedGeneration": 2, "replicas": 2, "updatedReplicas": 2,
        "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
            "message": "ReplicaSet \"web-1\" has timed out progressing."}]})));
    assert_eq!(status, Status::Failed);
    assert_eq!(message, "Progress deadline exceeded");
}

#[test]
fn unobserved_generation_is_in_progress() {
    let (status, message) = status_of(deployment(json!({"observedGeneration": 1})));
    assert_eq!(status, Status::InProgress);
    assert_eq!(
        message,
        "Deployment generation is 2, but latest observed generation is 1"
    );
}

#[test]
fn deletion_timestamp_is_terminating() {
    let mut object = deployment(json!({}));
    object["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:00:00Z");
    assert_eq!(status_of(object).0, Status::Terminating);
}

#[test]
fn reconciling_and_stalled_conditions_win() {
    let object = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
        "status": {"conditions": [{"type": "Reconciling", "status": "True", "message": "working"}]}});
    assert_eq!(
        status_of(object),
        (Status::InProgress, "working".to_string())
    );
    let object = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
        "status": {"conditions": [{"type": "Stalled", "status": "True", "message": "broken"},
                                  {"type": "Ready", "status": "True"}]}});
    assert_eq!(status_of(object), (Status::Failed, "broken".to_string()));
}

fn sts(spec: Value, status: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "generation": 1},
        "spec": spec, "status": status})
}

#[test]
fn stateful_set_partition_rollout() {
    let spec = json!({"replicas": 3, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}});
    let base =
        json!({"observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "currentReplicas": 3});
    let mut rolling = base.clone();
    rolling["updatedReplicas"] = json!(1);
    let (status, message) = status_of(sts(spec.clone(), rolling));
    assert_eq!(status, Status::InProgress);
    assert_eq!(message, "updated: 1/2");
    let mut done = base;
    done["updatedReplicas"] = json!(2);
    assert_eq!(status_of(sts(spec, done)).0, Status::Current);
}

#[test]
fn stateful_set_revision_and_on_delete() {
    let spec = json!({"replicas": 1});
    let status = json!({"observedGeneration": 1, "replicas": 1, "readyReplicas": 1, "currentReplicas": 1,
        "currentRevision": "a", "updateRevision": "b"});
    assert_eq!(status_of(sts(spec.clone(), status)).0, Status::InProgress);
    let on_delete = json!({"replicas": 5, "updateStrategy": {"type": "OnDelete"}});
    assert_eq!(status_of(sts(on_delete, json!({}))).0, Status::Current);
    let status = json!({"observedGeneration": 1, "replicas": 1, "readyReplicas": 1, "currentReplicas": 1,
        "currentRevision": "a", "updateRevision": "a"});
    assert_eq!(status_of(sts(spec, status)).0, Status::Current);
}

#[test]
fn daemon_set_needs_observed_generation_and_all_numbers() {
    let ds = |status: Value| {
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d", "generation": 1},
            "status": status})
    };
    assert_eq!(status_of(ds(json!({}))).0, Status::InProgress);
    let partial = json!({"observedGeneration": 1, "desiredNumberScheduled": 2, "currentNumberScheduled": 2,
        "updatedNumberScheduled": 2, "numberAvailable": 1, "numberReady": 2});
    assert_eq!(
        status_of(ds(partial)),
        (Status::InProgress, "Available: 1/2".to_string())
    );
    let all = json!({"observedGeneration": 1, "desiredNumberScheduled": 2, "currentNumberScheduled": 2,
        "updatedNumberScheduled": 2, "numberAvailable": 2, "numberReady": 2});
    assert_eq!(status_of(ds(all)).0, Status::Current);
}

fn job(status: Value) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
        "spec": {"completions": 1}, "status": status})
}

#[test]
fn job_states() {
    assert_eq!(status_of(job(json!({}))).0, Status::InProgress);
    assert_eq!(
        status_of(job(
            json!({"startTime": "2024-01-01T00:00:00Z", "active": 1})
        )),
        (
            Status::InProgress,
            "Job in progress. succeeded: 0/1, active: 1, failed: 0".to_string()
        )
    );
    let mut suspended = job(json!({}));
    suspended["spec"]["suspend"] = json!(true);
    assert_eq!(status_of(suspended).0, Status::Current);
    let complete = job(json!({"succeeded": 1,
        "conditions": [{"type": "Complete", "status": "True"}]}));
    assert_eq!(
        status_of(complete),
        (Status::Current, "Job Completed. succeeded: 1/1".to_string())
    );
    let failed = job(
        json!({"failed": 2, "conditions": [{"type": "Failed", "status": "True",
        "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}),
    );
    let (status, message) = status_of(failed);
    assert_eq!(status, Status::Failed);
    assert!(message.contains("backoff limit"), "{message}");
}

fn pod(status: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "status": status})
}

#[test]
fn pod_crash_loop_is_failed() {
    let crashing = pod(json!({"phase": "Running",
        "conditions": [{"type": "Ready", "status": "False"}],
        "containerStatuses": [{"name": "app", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}));
    assert_eq!(
        status_of(crashing),
        (
            Status::Failed,
            "Containers in CrashLoop state: app".to_string()
        )
    );
    let ready =
        pod(json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}));
    assert_eq!(status_of(ready).0, Status::Current);
    assert_eq!(
        status_of(pod(json!({"phase": "Succeeded"}))).0,
        Status::Current
    );
    assert_eq!(status_of(pod(json!({}))).0, Status::InProgress);
}

#[test]
fn pod_unschedulable_fails_after_grace() {
    let since = "2024-01-01T00:00:00Z";
    let object = pod(
        json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
        "reason": "Unschedulable", "message": "0/1 nodes available", "lastTransitionTime": since}]}),
    );
    let start = SystemTime::from(since.parse::<k8s_openapi::jiff::Timestamp>().unwrap());
    assert_eq!(
        compute_at(&object, start + Duration::from_secs(5)).status,
        Status::InProgress
    );
    assert_eq!(
        compute_at(&object, start + Duration::from_secs(20)).status,
        Status::Failed
    );
}

#[test]
fn pvc_must_be_bound() {
    let pvc = |phase: &str| {
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"},
            "status": {"phase": phase}})
    };
    assert_eq!(
        status_of(pvc("Pending")),
        (
            Status::InProgress,
            "PVC is not Bound. phase: Pending".to_string()
        )
    );
    assert_eq!(status_of(pvc("Bound")).0, Status::Current);
}

#[test]
fn service_load_balancer_needs_cluster_ip() {
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
        "spec": {"type": "LoadBalancer"}});
    assert_eq!(status_of(svc).0, Status::InProgress);
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
        "spec": {"type": "ClusterIP", "clusterIP": "10.0.0.1"}});
    assert_eq!(status_of(svc).0, Status::Current);
}

fn crd(conditions: Value) -> Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"}, "status": {"conditions": conditions}})
}

#[test]
fn crd_established_names_rejected() {
    assert_eq!(status_of(crd(json!([]))).0, Status::InProgress);
    let established = crd(json!([{"type": "NamesAccepted", "status": "True"},
        {"type": "Established", "status": "True"}]));
    assert_eq!(status_of(established).0, Status::Current);
    let rejected = crd(
        json!([{"type": "NamesAccepted", "status": "False", "reason": "MultipleNameConflict",
        "message": "plural is already in use"}]),
    );
    assert_eq!(status_of(rejected).0, Status::Failed);
}

#[test]
fn pdb_secret_config_map_cron_job_are_current() {
    for (api_version, kind) in [
        ("policy/v1", "PodDisruptionBudget"),
        ("v1", "Secret"),
        ("v1", "ConfigMap"),
        ("batch/v1", "CronJob"),
    ] {
        let object = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}});
        assert_eq!(status_of(object).0, Status::Current, "{kind}");
    }
}

#[test]
fn generic_ready_condition() {
    let widget = |conditions: Value| {
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "generation": 1},
            "status": {"observedGeneration": 1, "conditions": conditions}})
    };
    assert_eq!(
        status_of(widget(json!([{"type": "Ready", "status": "True"}]))).0,
        Status::Current
    );
    assert_eq!(
        status_of(widget(
            json!([{"type": "Ready", "status": "False", "message": "waiting for db"}])
        )),
        (Status::InProgress, "waiting for db".to_string())
    );
    assert_eq!(
        status_of(widget(json!([{"type": "Ready", "status": "Unknown"}]))).0,
        Status::InProgress
    );
    assert_eq!(status_of(widget(json!([]))).0, Status::Current);
    let bare = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}});
    assert_eq!(status_of(bare).0, Status::Current);
}
