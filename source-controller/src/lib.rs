//! Capstan's source-controller: turns GitRepository and OCIRepository objects into verified,
//! deterministic tar.gz artifacts served over HTTP to the appliers.

pub mod storage;
