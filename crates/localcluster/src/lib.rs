//! Capstan's embedded local Kubernetes cluster.
//!
//! No container runtime exists on the machines Capstan is developed and tested on, so kind or
//! k3d cannot run. This crate runs a real control plane as local processes instead: etcd from
//! Debian, kube-apiserver and kube-controller-manager v1.20.2 built once from Debian's source
//! package (see `scripts/provision-cluster.sh`), and a *fake node* that binds pending pods to a
//! Node object and reports them Running and Ready, so the real controller-manager marks
//! Deployments Available and health checks are real.
//!
//! Entry points: [`provision`] (install and build what is missing, idempotent and cached outside
//! the clone) and [`LocalCluster::start`] (start everything on free loopback ports and hand out a
//! kubeconfig). The processes are children of a supervisor thread and are asked to die with it
//! (`PR_SET_PDEATHSIG`), so a crashed test binary leaves nothing running.

mod cluster;
mod error;
mod fake_node;
mod kubeconfig;
mod pki;
mod ports;
mod process;
mod provision;

pub use cluster::{ClusterOptions, LocalCluster};
pub use error::Error;
pub use fake_node::{EXIT_CODE_ANNOTATION, NODE_NAME, NOT_READY_ANNOTATION};
pub use provision::{Binaries, provision};
