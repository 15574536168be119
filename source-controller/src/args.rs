//! source-controller's flags: the runtime's plus Flux's storage flags.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use capstan_runtime::args::{RuntimeArgs, parse_addr, parse_duration};
use clap::Parser;

/// Capstan source-controller: turns Git and OCI sources into artifacts served over HTTP.
#[derive(Debug, Clone, Parser)]
#[command(name = "source-controller", version)]
pub struct Args {
    /// Flags every controller shares.
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    /// Where artifacts are stored.
    #[arg(long, env = "STORAGE_PATH", default_value = "/data")]
    pub storage_path: PathBuf,
    /// The address the artifact file server binds to.
    #[arg(long, env = "STORAGE_ADDRESS", default_value = ":9090", value_parser = parse_addr)]
    pub storage_addr: SocketAddr,
    /// The advertised `host[:port]` artifact URLs are built from; default: this host's name
    /// and the storage port.
    #[arg(long, env = "STORAGE_ADV_ADDR", default_value = "")]
    pub storage_adv_addr: String,
    /// How long non-current artifacts are kept.
    #[arg(long, default_value = "1m", value_parser = parse_duration)]
    pub artifact_retention_ttl: Duration,
    /// How many artifacts per object are kept, the current one included.
    #[arg(long, default_value_t = 2)]
    pub artifact_retention_records: usize,
}

impl Args {
    /// `--storage-adv-addr`, or `<hostname>:<storage port>` as Flux derives it.
    pub fn advertised_storage_addr(&self) -> String {
        if !self.storage_adv_addr.is_empty() {
            return self.storage_adv_addr.clone();
        }
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_string());
        format!("{host}:{}", self.storage_addr.port())
    }
}
