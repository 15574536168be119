//! `capstan dev`: the embedded local environment for people without a cluster.

mod cluster;

use std::process::ExitCode;

use crate::cli::DevCommand;

pub(crate) fn run(command: DevCommand) -> anyhow::Result<ExitCode> {
    match command {
        DevCommand::Cluster(command) => cluster::run(command),
    }
}
