//! What the live commands (`snapshot`, `run`, `watch`) share: attaching with a note about the
//! inspector, detaching, file names.
#![allow(clippy::print_stderr)]

use std::path::PathBuf;
use std::time::Duration;

use leakscope_live::attach::{self, Inspector};
use leakscope_live::cdp::Cdp;
use leakscope_live::{Error, procfs};

/// A connection to a process whose inspector we opened (or found open).
pub struct Attached {
    pub inspector: Inspector,
    pub cdp: Cdp,
}

impl Attached {
    /// Opens the inspector of `pid` (SIGUSR1 when it is closed) and connects.
    pub fn open(pid: u32, quiet: bool) -> anyhow::Result<Self> {
        let inspector = attach::open(pid, Duration::from_secs(5))?;
        if inspector.opened_by_us && !quiet {
            eprintln!(
                "leakscope: opened the inspector of process {pid} on 127.0.0.1:{} (it will be \
                 closed again; while open, local users can run code in the process)",
                inspector.port
            );
        }
        let cdp = match attach::connect(&inspector) {
            Ok(cdp) => cdp,
            Err(e) => {
                // Leave the process as we found it.
                if inspector.opened_by_us
                    && let Ok(mut cdp) = Cdp::connect(&inspector.ws_url, Duration::from_secs(2))
                {
                    attach::close_inspector(&mut cdp);
                }
                return Err(e.into());
            }
        };
        Ok(Self { inspector, cdp })
    }

    /// Closes the inspector if we opened it, and disconnects.
    pub fn detach(mut self) {
        if self.inspector.opened_by_us && procfs::is_alive(self.inspector.pid) {
            attach::close_inspector(&mut self.cdp);
            if !attach::wait_closed(self.inspector.pid, self.inspector.port, Duration::from_secs(3))
            {
                crate::ui::warn(&format!(
                    "the inspector of process {} still listens on port {}",
                    self.inspector.pid, self.inspector.port
                ));
            }
        }
        self.cdp.close();
    }
}

/// `leakscope-PID-SECONDS.heapsnapshot` in the current directory.
pub fn default_snapshot_name(pid: u32) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    PathBuf::from(format!("leakscope-{pid}-{secs}.heapsnapshot"))
}

/// A lost connection to a process that is gone is "the process exited", not a socket error.
pub fn explain_exit(e: Error, pid: u32) -> Error {
    match e {
        Error::Disconnected { .. } | Error::Timeout { .. } if !procfs::is_alive(pid) => {
            Error::Exited { pid, when: "during the snapshot".into() }
        }
        e => e,
    }
}
