//! The HTTP endpoints every controller serves: Prometheus `/metrics` on `--metrics-addr`,
//! `/healthz` and `/readyz` on `--health-addr`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// Whether the controller is ready to work: set once caches are synced and, with leader
/// election, also on standby replicas (a standby is healthy, just not leading).
#[derive(Clone, Debug, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// Marks the controller ready.
    pub fn set_ready(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`Readiness::set_ready`] was called.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Serves `/metrics` and the health endpoints on already bound listeners until `shutdown`
/// (binding first lets start-up fail fast on a taken port).
pub async fn serve(
    metrics_listener: tokio::net::TcpListener,
    health_listener: tokio::net::TcpListener,
    metrics: Metrics,
    readiness: Readiness,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let metrics_router = Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
                    metrics.encode(),
                )
            }
        }),
    );
    let health_router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let readiness = readiness.clone();
                async move {
                    if readiness.is_ready() {
                        (StatusCode::OK, "ok")
                    } else {
                        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
                    }
                }
            }),
        );
    let stop_metrics = shutdown.clone();
    let metrics_server = axum::serve(metrics_listener, metrics_router)
        .with_graceful_shutdown(async move { stop_metrics.cancelled().await });
    let health_server = axum::serve(health_listener, health_router)
        .with_graceful_shutdown(async move { shutdown.cancelled().await });
    tokio::try_join!(async { metrics_server.await }, async {
        health_server.await
    })?;
    Ok(())
}
