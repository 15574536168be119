//! Go `text/template`: lexer, parser, executor and the value model and `fmt` rules it needs.

pub(crate) mod exec;
pub(crate) mod gofmt;
pub(crate) mod lexer;
pub(crate) mod node;
pub(crate) mod parser;
pub(crate) mod value;
