//! YAML, JSON and TOML the way Helm's Go libraries read and write them.

pub(crate) mod emit;
pub(crate) mod json;
pub(crate) mod parse;
pub(crate) mod toml;
