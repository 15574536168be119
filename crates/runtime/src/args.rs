//! Flags every controller takes, with Flux's names and defaults, so Flux's Deployment
//! manifests and runbooks carry over.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// Flags shared by every controller (`fluxcd/pkg/runtime` BindFlags).
#[derive(Debug, Clone, Args)]
pub struct RuntimeArgs {
    /// The address the Prometheus metric endpoint binds to.
    #[arg(long, default_value = ":8080", value_parser = parse_addr)]
    pub metrics_addr: SocketAddr,
    /// The address the health endpoints (/healthz, /readyz) bind to.
    #[arg(long, default_value = ":9440", value_parser = parse_addr)]
    pub health_addr: SocketAddr,
    /// Enable leader election: only the replica holding the lease reconciles.
    #[arg(long, default_value_t = false, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub enable_leader_election: bool,
    /// How long a non-leader waits before it may take over an unrenewed lease.
    #[arg(long, default_value = "35s", value_parser = parse_duration)]
    pub leader_election_lease_duration: Duration,
    /// How long the leader retries renewing before it gives the lease up.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub leader_election_renew_deadline: Duration,
    /// How often candidates retry acquiring or renewing the lease.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub leader_election_retry_period: Duration,
    /// Release the lease on shutdown so a successor takes over at once.
    #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub leader_election_release_on_cancel: bool,
    /// The number of objects reconciled at the same time.
    #[arg(long)]
    pub concurrent: Option<usize>,
    /// The interval at which failing dependencies are re-checked.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub requeue_dependency: Duration,
    /// The lower bound of the failure backoff.
    #[arg(long, default_value = "750ms", value_parser = parse_duration)]
    pub min_retry_delay: Duration,
    /// The upper bound of the failure backoff.
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    pub max_retry_delay: Duration,
    /// Percentage of random jitter added to each object's interval.
    #[arg(long, default_value_t = 5)]
    pub interval_jitter_percentage: u8,
    /// Watch objects in all namespaces; when false, only the runtime namespace.
    #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub watch_all_namespaces: bool,
    /// Only reconcile objects matching this label selector (sharding).
    #[arg(long, default_value = "")]
    pub watch_label_selector: String,
    /// Refuse references to objects in other namespaces (multi-tenancy lockdown).
    #[arg(long, default_value_t = false, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub no_cross_namespace_refs: bool,
    /// The HTTP address of notification-controller's event receiver; empty disables forwarding.
    #[arg(long, default_value = "")]
    pub events_addr: String,
    /// Log verbosity: trace, debug, info or error.
    #[arg(long, default_value = "info")]
    pub log_level: String,
    /// Log format: json or console (human-readable).
    #[arg(long, value_enum, default_value = "console")]
    pub log_encoding: LogEncoding,
    /// Kubeconfig to use outside a cluster (else `KUBECONFIG`, then in-cluster config).
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// Namespace the controller runs in (holds its Lease); Flux's `RUNTIME_NAMESPACE`.
    #[arg(long, env = "RUNTIME_NAMESPACE", default_value = "flux-system")]
    pub runtime_namespace: String,
}

impl RuntimeArgs {
    /// `--concurrent`, or the controller's own default when unset (Flux: 2 for
    /// source-controller, 4 for the others).
    pub fn concurrency(&self, default: usize) -> usize {
        self.concurrent.unwrap_or(default).max(1)
    }
}

/// Log formats, named as Flux's `--log-encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogEncoding {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Console,
}

/// Parses `:8080` (all interfaces, as Go's net.Listen) or `host:port`.
pub fn parse_addr(value: &str) -> Result<SocketAddr, String> {
    let full = if value.starts_with(':') {
        format!("0.0.0.0{value}")
    } else {
        value.to_string()
    };
    full.parse()
        .map_err(|e| format!("invalid address {value:?}: {e}"))
}

/// Parses a Go duration (`30s`, `1m30s`, `750ms`).
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    capstan_api::duration::parse_duration(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        runtime: RuntimeArgs,
    }

    #[test]
    fn defaults_match_flux() {
        let cli = Cli::parse_from(["c"]);
        let args = cli.runtime;
        assert_eq!(args.metrics_addr.port(), 8080);
        assert_eq!(args.health_addr.port(), 9440);
        assert!(!args.enable_leader_election);
        assert_eq!(args.leader_election_lease_duration, Duration::from_secs(35));
        assert_eq!(args.requeue_dependency, Duration::from_secs(30));
        assert!(args.watch_all_namespaces);
        assert_eq!(args.concurrency(4), 4);
        assert_eq!(args.log_encoding, LogEncoding::Console);
    }

    #[test]
    fn boolean_flags_accept_go_style_values() {
        let cli = Cli::parse_from([
            "c",
            "--enable-leader-election",
            "--watch-all-namespaces=false",
            "--concurrent=8",
        ]);
        assert!(cli.runtime.enable_leader_election);
        assert!(!cli.runtime.watch_all_namespaces);
        assert_eq!(cli.runtime.concurrency(4), 8);
    }

    #[test]
    fn bad_addresses_are_refused() {
        assert!(parse_addr("nonsense").is_err());
        assert_eq!(parse_addr("127.0.0.1:9").unwrap().port(), 9);
    }
}
