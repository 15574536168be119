//! Tests against the real kube-apiserver: the CRDs, Flux's documentation examples, schema
//! validation, and the fake node that makes workloads healthy.

mod crds;
mod examples;
mod fake_node;
mod validation;
