//! Running a controller process: client, probes and metrics servers, leader election, the
//! watch loop with `--concurrent` workers, and graceful shutdown.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use capstan_api::annotation;
use futures::StreamExt;
use kube::runtime::controller::{Config as ControllerConfig, Controller};
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::args::RuntimeArgs;
use crate::events::EventRecorder;
use crate::leader::{self, LeaseConfig};
use crate::metrics::Metrics;
use crate::probes::{self, Readiness};
use crate::reconcile::{self, Context, Reconcilable, Reconciler};

/// A started controller process: connected, serving probes, electing a leader.
#[derive(Clone)]
pub struct Runtime {
    /// The cluster client.
    pub client: Client,
    /// The configuration the client was built from (for impersonating clients).
    pub config: kube::Config,
    /// The flags the process was started with.
    pub args: RuntimeArgs,
    /// Metrics registry shared by every reconciler of the process.
    pub metrics: Metrics,
    /// Readiness reported on `/readyz`.
    pub readiness: Readiness,
    /// Cancelled on SIGTERM / SIGINT, or when leadership is lost.
    pub shutdown: CancellationToken,
    /// The controller's name (e.g. `source-controller`).
    pub name: &'static str,
    leading: watch::Receiver<bool>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Connects, starts `/metrics`, `/healthz`, `/readyz`, and (with
    /// `--enable-leader-election`) the election on `<name>-leader-election`.
    pub async fn start(name: &'static str, args: RuntimeArgs) -> anyhow::Result<Self> {
        let config = crate::client::load_config(args.kubeconfig.as_deref(), None).await?;
        let client = Client::try_from(config.clone())?;
        let shutdown = crate::shutdown::on_signal();
        let metrics = Metrics::new();
        let readiness = Readiness::default();
        let metrics_listener = tokio::net::TcpListener::bind(args.metrics_addr).await?;
        let health_listener = tokio::net::TcpListener::bind(args.health_addr).await?;
        tokio::spawn(probes::serve(
            metrics_listener,
            health_listener,
            metrics.clone(),
            readiness.clone(),
            shutdown.clone(),
        ));

        let (leading_tx, leading) = watch::channel(!args.enable_leader_election);
        if args.enable_leader_election {
            let mut lease = LeaseConfig::new(name, &args.runtime_namespace);
            lease.lease_duration = args.leader_election_lease_duration;
            lease.renew_deadline = args.leader_election_renew_deadline;
            lease.retry_period = args.leader_election_retry_period;
            lease.release_on_cancel = args.leader_election_release_on_cancel;
            let election_client = client.clone();
            let stop = shutdown.clone();
            tokio::spawn(async move {
                if let Err(lost) =
                    leader::run(election_client, lease, leading_tx, stop.clone()).await
                {
                    error!(error = %lost, "stopping: leadership lost");
                    stop.cancel();
                }
            });
        }
        readiness.set_ready();
        info!(controller = name, "started");
        Ok(Self {
            client,
            config,
            args,
            metrics,
            readiness,
            shutdown,
            name,
            leading,
        })
    }

    /// Waits until this replica leads; false when shutdown came first.
    pub async fn until_leader(&self) -> bool {
        let mut leading = self.leading.clone();
        tokio::select! {
            result = leading.wait_for(|is| *is) => result.is_ok(),
            () = self.shutdown.cancelled() => false,
        }
    }

    /// An event recorder for this controller (forwarding to `--events-addr`).
    pub fn recorder(&self) -> EventRecorder {
        EventRecorder::new(self.client.clone(), self.name, &self.args.events_addr)
    }

    /// The reconcile context for `reconciler`, with this process's metrics and flags.
    pub fn context<K, R>(&self, reconciler: R) -> Arc<Context<K, R>> {
        let mut context = Context::new(
            self.client.clone(),
            reconciler,
            self.metrics.clone(),
            self.recorder(),
            self.name,
        );
        context.jitter_percentage = self.args.interval_jitter_percentage;
        context.harness_retry = self
            .args
            .min_retry_delay
            .max(std::time::Duration::from_secs(1))
            * 4;
        Arc::new(context)
    }

    /// The API handle objects are watched through: all namespaces, or the runtime namespace
    /// with `--watch-all-namespaces=false`.
    pub fn watched_api<K: Reconcilable>(&self) -> Api<K> {
        if self.args.watch_all_namespaces {
            Api::all(self.client.clone())
        } else {
            Api::namespaced(self.client.clone(), &self.args.runtime_namespace)
        }
    }

    /// The watcher config: `--watch-label-selector` applied.
    pub fn watcher_config(&self) -> watcher::Config {
        let config = watcher::Config::default();
        if self.args.watch_label_selector.is_empty() {
            config
        } else {
            config.labels(&self.args.watch_label_selector)
        }
    }

    /// Runs the reconcile loop of one kind until shutdown, with `concurrency` workers.
    /// `configure` adds triggers (e.g. "a source changed → reconcile its Kustomizations").
    pub async fn run<K, R>(
        &self,
        ctx: Arc<Context<K, R>>,
        concurrency: usize,
        configure: impl FnOnce(Controller<K>) -> Controller<K>,
    ) where
        K: Reconcilable,
        R: Reconciler<K>,
    {
        let (reader, writer) = reflector::store();
        let stream = watcher(self.watched_api::<K>(), self.watcher_config())
            .default_backoff()
            .modify(strip_managed_fields)
            .reflect(writer)
            .applied_objects()
            .predicate_filter(reconcile_predicate::<K>, Default::default());
        let controller = Controller::for_stream(stream, reader).with_config(
            ControllerConfig::default().concurrency(u16::try_from(concurrency).unwrap_or(u16::MAX)),
        );
        let shutdown = self.shutdown.clone();
        configure(controller)
            .graceful_shutdown_on(async move { shutdown.cancelled().await })
            .run(reconcile::reconcile, reconcile::error_policy, ctx)
            .for_each(|result| async move {
                if let Err(error) = result {
                    warn!(error = %reconcile::error_chain(&error), "controller event");
                }
            })
            .await;
    }
}

/// Objects are reconciled when their generation changes, a `reconcile.fluxcd.io/requestedAt`
/// arrives, or deletion starts — never for their own status writes (Flux's predicates).
pub fn reconcile_predicate<K: Resource>(object: &K) -> Option<u64> {
    let meta = object.meta();
    let mut hasher = DefaultHasher::new();
    meta.generation.hash(&mut hasher);
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(annotation::RECONCILE_REQUESTED_AT))
        .hash(&mut hasher);
    meta.deletion_timestamp.is_some().hash(&mut hasher);
    meta.finalizers
        .as_ref()
        .is_some_and(|f| f.iter().any(|f| f == capstan_api::FINALIZER))
        .hash(&mut hasher);
    Some(hasher.finish())
}

/// Drops `metadata.managedFields` before an object enters the cache: no reconciler reads them,
/// and they are often larger than the rest of the object.
pub fn strip_managed_fields<K: Resource>(object: &mut K) {
    object.meta_mut().managed_fields = None;
}

/// The object reference of `object`, for `Controller::reconcile_on` triggers.
pub fn object_ref<K: Resource<DynamicType = ()>>(object: &K) -> ObjectRef<K> {
    ObjectRef::new(&object.name_any()).within(&object.namespace().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ManagedFieldsEntry, Time};

    fn object(generation: i64) -> ConfigMap {
        let mut object = ConfigMap::default();
        object.metadata.name = Some("app".into());
        object.metadata.generation = Some(generation);
        object
    }

    #[test]
    fn managed_fields_never_enter_the_cache() {
        let mut cached = object(1);
        cached.metadata.managed_fields = Some(vec![ManagedFieldsEntry {
            manager: Some("kubectl".into()),
            ..Default::default()
        }]);
        strip_managed_fields(&mut cached);
        assert_eq!(cached.metadata.managed_fields, None);
        assert_eq!(cached.metadata.name.as_deref(), Some("app"));
    }

    #[test]
    fn only_spec_changes_requests_and_deletion_trigger_a_reconcile() {
        let base = reconcile_predicate(&object(1));
        // A write that leaves the generation alone, like the controller's own status patch.
        let mut same_generation = object(1);
        same_generation.metadata.resource_version = Some("42".into());
        same_generation.data = Some([("k".to_string(), "v".to_string())].into());
        assert_eq!(reconcile_predicate(&same_generation), base);

        assert_ne!(reconcile_predicate(&object(2)), base);
        let mut requested = object(1);
        requested.metadata.annotations = Some(
            [(
                annotation::RECONCILE_REQUESTED_AT.to_string(),
                "now".to_string(),
            )]
            .into(),
        );
        assert_ne!(reconcile_predicate(&requested), base);
        let mut deleting = object(1);
        deleting.metadata.deletion_timestamp = Some(Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH));
        assert_ne!(reconcile_predicate(&deleting), base);
    }
}
