use std::net::TcpListener;

/// Asks the kernel for a free loopback port. The port is released before the caller binds it,
/// so a race with another process is possible; callers detect it as a process that dies early.
pub(crate) fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}
