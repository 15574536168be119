//! Leader election on a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does.
//!
//! Only the holder of the lease reconciles (and, for source-controller, serves artifacts).
//! The holder renews every `retry_period`; a candidate takes over a lease whose `renewTime`
//! is older than `lease_duration`. Every write carries the `resourceVersion` it read, so two
//! candidates can never both win. A leader that cannot renew within `renew_deadline` steps
//! down, and the caller stops its work (Flux exits; the Deployment restarts it).

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ObjectMeta, PostParams};
use kube::{Client, ResourceExt};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Timing and identity of one candidate.
#[derive(Debug, Clone)]
pub struct LeaseConfig {
    /// The Lease name, `<controller>-leader-election` as Flux.
    pub name: String,
    /// The Lease namespace (the controller's runtime namespace).
    pub namespace: String,
    /// This replica's identity (hostname plus a random suffix).
    pub identity: String,
    /// How long a lease is valid without renewal.
    pub lease_duration: Duration,
    /// How long the leader keeps trying to renew before stepping down.
    pub renew_deadline: Duration,
    /// How often to try acquiring or renewing.
    pub retry_period: Duration,
    /// Whether to clear the holder on shutdown so a successor takes over at once.
    pub release_on_cancel: bool,
}

impl LeaseConfig {
    /// A config for `controller` with Flux's defaults (35 s / 30 s / 5 s).
    pub fn new(controller: &str, namespace: &str) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_string());
        let suffix: u32 = rand::random();
        Self {
            name: format!("{controller}-leader-election"),
            namespace: namespace.to_string(),
            identity: format!("{host}_{suffix:08x}"),
            lease_duration: Duration::from_secs(35),
            renew_deadline: Duration::from_secs(30),
            retry_period: Duration::from_secs(5),
            release_on_cancel: true,
        }
    }
}

/// Runs the election until `shutdown`; `leading` is true while this replica holds the lease.
///
/// Returns `Ok(())` on shutdown, or an error when leadership was lost (the caller should stop
/// reconciling and exit so another replica can lead).
pub async fn run(
    client: Client,
    config: LeaseConfig,
    leading: watch::Sender<bool>,
    shutdown: CancellationToken,
) -> Result<(), LostLease> {
    let api: Api<Lease> = Api::namespaced(client, &config.namespace);
    let mut last_renewal = tokio::time::Instant::now();
    loop {
        let attempt = try_acquire_or_renew(&api, &config).await;
        let is_leader = *leading.borrow();
        match attempt {
            Ok(true) => {
                last_renewal = tokio::time::Instant::now();
                if !is_leader {
                    info!(lease = %config.name, identity = %config.identity, "acquired the leader lease");
                    let _ = leading.send(true);
                }
            }
            Ok(false) => {
                if is_leader {
                    warn!(lease = %config.name, "another replica holds the leader lease");
                    let _ = leading.send(false);
                    return Err(LostLease {
                        lease: config.name.clone(),
                    });
                }
            }
            Err(error) => {
                warn!(lease = %config.name, %error, "leader election request failed");
                if is_leader && last_renewal.elapsed() > config.renew_deadline {
                    let _ = leading.send(false);
                    return Err(LostLease {
                        lease: config.name.clone(),
                    });
                }
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => {
                if *leading.borrow() && config.release_on_cancel {
                    release(&api, &config).await;
                }
                let _ = leading.send(false);
                return Ok(());
            }
            _ = tokio::time::sleep(config.retry_period) => {}
        }
    }
}

/// Leadership was lost; the controller must stop acting.
#[derive(Debug, thiserror::Error)]
#[error("lost the leader lease {lease}")]
pub struct LostLease {
    /// The Lease name.
    pub lease: String,
}

/// One election round: true when this replica holds the lease afterwards.
async fn try_acquire_or_renew(api: &Api<Lease>, config: &LeaseConfig) -> Result<bool, kube::Error> {
    let now = MicroTime(Timestamp::now());
    let Some(mut lease) = api.get_opt(&config.name).await? else {
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(config.name.clone()),
                ..Default::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(config.identity.clone()),
                lease_duration_seconds: Some(seconds(config.lease_duration)),
                acquire_time: Some(now.clone()),
                renew_time: Some(now),
                lease_transitions: Some(0),
                ..Default::default()
            }),
        };
        return match api.create(&PostParams::default(), &lease).await {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(status)) if status.is_already_exists() => Ok(false),
            Err(error) => Err(error),
        };
    };
    let spec = lease.spec.get_or_insert_with(Default::default);
    let holder = spec.holder_identity.clone().unwrap_or_default();
    let ours = holder == config.identity;
    if !ours && !holder.is_empty() && !expired(spec, config.lease_duration) {
        return Ok(false);
    }
    if !ours {
        spec.holder_identity = Some(config.identity.clone());
        spec.acquire_time = Some(now.clone());
        spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
    }
    spec.lease_duration_seconds = Some(seconds(config.lease_duration));
    spec.renew_time = Some(now);
    let name = lease.name_any();
    // `replace` sends the resourceVersion we read: a concurrent writer makes this a 409.
    match api.replace(&name, &PostParams::default(), &lease).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.is_conflict() => Ok(false),
        Err(error) => Err(error),
    }
}

fn expired(spec: &LeaseSpec, default_duration: Duration) -> bool {
    let duration = spec
        .lease_duration_seconds
        .and_then(|s| u64::try_from(s).ok())
        .map_or(default_duration, Duration::from_secs);
    let Some(renewed) = spec.renew_time.as_ref().or(spec.acquire_time.as_ref()) else {
        return true;
    };
    let age = Timestamp::now().duration_since(renewed.0);
    age.as_secs() >= i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

async fn release(api: &Api<Lease>, config: &LeaseConfig) {
    let Ok(Some(mut lease)) = api.get_opt(&config.name).await else {
        return;
    };
    let Some(spec) = lease.spec.as_mut() else {
        return;
    };
    if spec.holder_identity.as_deref() != Some(config.identity.as_str()) {
        return;
    }
    spec.holder_identity = None;
    spec.lease_duration_seconds = Some(1);
    spec.renew_time = Some(MicroTime(Timestamp::now()));
    if let Err(error) = api
        .replace(&config.name, &PostParams::default(), &lease)
        .await
    {
        warn!(lease = %config.name, %error, "could not release the leader lease");
    } else {
        info!(lease = %config.name, "released the leader lease");
    }
}

fn seconds(duration: Duration) -> i32 {
    i32::try_from(duration.as_secs()).unwrap_or(i32::MAX)
}
