//! `leakscope snapshot PID [-o FILE]`: a heap snapshot of a running Node process, taken from
//! outside (SIGUSR1 opens its inspector; leakscope closes it again if it was closed).
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use leakscope_live::cdp::Target;
use leakscope_live::snapshot;

use crate::{live, ui};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Node process (18 or later)
    pub pid: u32,
    /// Where to write the snapshot [default: leakscope-PID-TIME.heapsnapshot]
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// No progress bar
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let pid = args.pid;
    let path = args.output.clone().unwrap_or_else(|| live::default_snapshot_name(pid));
    let mut session = live::Attached::open(pid, args.quiet)?;
    let dir =
        path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let result = (|| {
        snapshot::check_disk_space(&mut session.cdp, &Target::Main, dir)?;
        let start = Instant::now();
        let bar = ui::snapshot_progress(args.quiet, &format!("snapshot of {pid}"));
        let written = snapshot::take_to_file(&mut session.cdp, &Target::Main, &path, &mut |p| {
            ui::update_snapshot_progress(bar.as_ref(), p);
        });
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        let written = written.map_err(|e| live::explain_exit(e, pid))?;
        anyhow::Ok((written, start.elapsed()))
    })();
    session.detach();
    let (written, elapsed) = result.with_context(|| format!("cannot snapshot process {pid}"))?;
    println!("wrote {} ({}) in {:.1} s", path.display(), ui::bytes(written), elapsed.as_secs_f64());
    Ok(ExitCode::SUCCESS)
}
