//! Logging setup: `tracing`, human-readable by default, JSON with `--log-encoding=json`.
//!
//! Log lines name objects and revisions; secret values never reach them because the types that
//! hold secrets do not implement `Display`.

use tracing_subscriber::EnvFilter;

use crate::args::LogEncoding;

/// Installs the global subscriber. `level` is Flux's `--log-level` (trace, debug, info, error);
/// `RUST_LOG` overrides it for finer filtering. Calling it twice is harmless.
pub fn init(level: &str, encoding: LogEncoding) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(directive(level)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match encoding {
        LogEncoding::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        LogEncoding::Console => builder.try_init(),
    };
}

/// Maps Flux's levels onto a filter: our crates at `level`, dependencies one step quieter
/// so `debug` shows the controller's decisions rather than HTTP chatter.
fn directive(level: &str) -> String {
    let level = match level {
        "trace" | "debug" | "info" | "warn" | "error" => level,
        _ => "info",
    };
    let deps = match level {
        "trace" => "debug",
        "debug" => "info",
        other => other,
    };
    format!(
        "{deps},capstan={level},capstan_runtime={level},source_controller={level},kustomize_controller={level},helm_controller={level},notification_controller={level},image_automation_controller={level}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_levels_fall_back_to_info() {
        assert!(directive("loud").starts_with("info,"));
        assert!(directive("debug").starts_with("info,"));
        assert!(directive("debug").contains("capstan_runtime=debug"));
    }
}
