//! source-controller against the real apiserver, real git servers (sshd, lighttpd +
//! git-http-backend) and a real OCI registry, the controller running as a process.

mod git;
mod oci;
mod runtime;
mod support;
