//! `leakscope`: find, explain and prove the fix of memory leaks in Node.js programs.
//!
//! The binary is the only part of leakscope that prints or exits; every command lives in
//! `commands/<verb>.rs` and returns an exit code or an error.

mod analyze;
mod cli;
mod commands;
mod interrupt;
mod live;
mod load;
mod object_text;
mod pages;
mod select;
mod ui;

use std::io;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            ui::print_error(&err);
            ExitCode::from(2)
        }
    }
}

/// `leakscope summary big.heapsnapshot | head` closes our stdout early: that is success.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
