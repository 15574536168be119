//! The artifact file server: plain HTTP GET of the storage directory, as Flux's
//! `http.FileServer`. Only the leader serves, so artifacts come from the replica that wrote them.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Router;
use tokio_util::sync::CancellationToken;
use tower_http::services::ServeDir;
use tracing::info;

/// Serves `root` on `addr` until `shutdown`. `ServeDir` refuses `..` and never lists
/// directories; storage holds nothing but artifacts.
pub async fn serve(
    root: PathBuf,
    addr: SocketAddr,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    std::fs::create_dir_all(&root)?;
    let app = Router::new()
        .fallback_service(ServeDir::new(&root).append_index_html_on_directories(false));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    info!(%addr, root = %root.display(), "serving artifacts");
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}
