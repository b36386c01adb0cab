//! `leakscope watch PID [OPTIONS]`: the same as `run` for a process that is already running.
//! Its inspector is opened with SIGUSR1 and closed again at the end; the program keeps
//! running.

use std::process::ExitCode;
use std::time::Duration;

use leakscope_live::monitor::{self, Process};

use crate::commands::session::{self, Defaults, SessionArgs, TextObserver};
use crate::live;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Node process (18 or later)
    pub pid: u32,
    #[command(flatten)]
    pub session: SessionArgs,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let options = args.session.options(&Defaults {
        duration: None,
        gc_every: None,
        warmup: Duration::ZERO,
    })?;
    let stop = session::stop_flag();
    let mut attached = live::Attached::open(args.pid, args.session.quiet)?;
    let mut observer = TextObserver::new(args.session.quiet);
    let result = monitor::watch(
        &mut attached.cdp,
        Process::Attached(args.pid),
        &options,
        stop,
        &mut observer,
    );
    drop(observer);
    attached.detach();
    let report = result?;
    let command = leakscope_live::procfs::cmdline(args.pid)
        .map(|c| c.join(" "))
        .unwrap_or_else(|_| "exited".into());
    session::finish(&report, &args.session, &command)
}
