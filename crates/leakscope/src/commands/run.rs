//! `leakscope run [OPTIONS] -- node app.js ARGS…`: launch a program with its inspector on a
//! random loopback port, watch its GCs, decide leak or not, capture, report.

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use leakscope_live::monitor::{self, Process};
use leakscope_live::{attach, launch};

use crate::commands::session::{self, Defaults, SessionArgs, TextObserver};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub session: SessionArgs,
    /// The program: `node app.js ARGS…` (after `--`)
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let options = args.session.options(&Defaults {
        duration: Some(Duration::from_secs(60)),
        gc_every: Some(Duration::from_secs(2)),
        warmup: Duration::from_secs(5),
    })?;
    let stop = session::stop_flag();
    let mut launched =
        launch::launch(&args.command, Box::new(std::io::stderr()), Duration::from_secs(30))?;
    let mut cdp = attach::connect(&launched.inspector)?;
    let mut observer = TextObserver::new(args.session.quiet);
    let result =
        monitor::watch(&mut cdp, Process::Launched(&mut launched), &options, stop, &mut observer);
    drop(observer);
    cdp.close();
    let exit = launched.stop(Duration::from_secs(5));
    let mut report = result?;
    if report.exit.is_none()
        && matches!(report.stop_reason, leakscope_live::report::StopReason::Exited)
    {
        report.exit = exit;
    }
    let what: Vec<String> = args.command.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    session::finish(&report, &args.session, &what.join(" "))
}
