//! Capstan's end-to-end test harness.
//!
//! [`cluster`] gives every test in a test binary the same cluster: by default Capstan's local
//! cluster (provisioned and started on first use, stopped when the binary exits), or the cluster
//! of `CAPSTAN_E2E_KUBECONFIG` when set (any real cluster; the CRDs are applied to it). Each test
//! makes its own [`TestNamespace`] and waits on conditions with [`wait_for`], never a fixed
//! sleep. When the cluster cannot be had, tests fail loudly: they never skip.

mod binaries;
mod controller;
mod git_server;
mod install;
mod memory;
mod namespace;
mod oracle;
mod process;
mod registry;
mod shared;
mod wait;

pub use binaries::workspace_binary;
pub use controller::{ControllerProcess, GitOpsControllers, free_port, http_get};
pub use git_server::{GitServer, SshHostKeyType, WorkingCopy};
pub use memory::{ProcessMemory, mib};
pub use namespace::{TEST_NAMESPACE_LABEL, TestNamespace};
pub use oracle::{kubectl, kubectl_stdin, oracle_bin};
pub use registry::{Registry, RegistryError};
pub use shared::{TestCluster, cluster};
pub use wait::{WaitError, wait_for};
