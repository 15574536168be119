use std::future::Future;
use std::time::{Duration, Instant};

/// A condition that did not hold in time; names what was awaited.
#[derive(Debug)]
pub struct WaitError {
    /// What the test was waiting for.
    pub what: String,
    /// How long it waited.
    pub waited: Duration,
}

impl std::fmt::Display for WaitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "timed out after {:?} waiting for {}",
            self.waited, self.what
        )
    }
}

impl std::error::Error for WaitError {}

/// Polls `probe` every 100 ms until it returns `Some`, or fails after `timeout`.
///
/// Tests wait on observable conditions with this, never on a fixed sleep.
pub async fn wait_for<T, F, Fut>(
    what: &str,
    timeout: Duration,
    mut probe: F,
) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return Ok(value);
        }
        if start.elapsed() >= timeout {
            return Err(WaitError {
                what: what.to_string(),
                waited: start.elapsed(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
