//! YAML reading and writing with kustomize's exact dialect (see the submodules).

pub(crate) mod emit;
pub(crate) mod parse;
pub(crate) mod scalar;

#[cfg(test)]
mod proptests;

pub use emit::EmitError;
pub use parse::YamlError;
