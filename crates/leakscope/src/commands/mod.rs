//! One module per command.

pub mod core;
pub mod diff;
pub mod info;
pub mod leak_finder;
pub mod leaks;
pub mod maps;
pub mod native;
pub mod objects;
pub mod retainers;
pub mod run;
pub mod session;
pub mod show;
pub mod snapshot;
pub mod summary;
pub mod top;
pub mod watch;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Diff(args) => diff::run(&args),
        Command::Info(args) => info::run(&args),
        Command::Leaks(args) => leaks::run(&args),
        Command::Maps(args) => maps::run(&args),
        Command::Native(args) => native::run(&args),
        Command::Summary(args) => summary::run(&args),
        Command::Top(args) => top::run(&args),
        Command::Retainers(args) => retainers::run(&args),
        Command::Show(args) => show::run(&args),
        Command::Objects(args) => objects::run(&args),
        Command::Core(args) => core::run(&args),
        Command::Snapshot(args) => snapshot::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Watch(args) => watch::run(&args),
    }
}
