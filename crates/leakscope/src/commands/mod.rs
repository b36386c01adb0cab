//! One module per command.

pub mod info;
pub mod maps;
pub mod native;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Info(args) => info::run(&args),
        Command::Maps(args) => maps::run(&args),
        Command::Native(args) => native::run(&args),
    }
}
