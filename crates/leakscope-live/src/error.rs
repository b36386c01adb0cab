//! The one error type of leakscope-live: each message says what went wrong and with which process.

use std::path::PathBuf;

/// Why attaching, watching or snapshotting failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No process has this pid.
    #[error("no process with pid {pid}")]
    NoSuchProcess { pid: u32 },
    /// The process exists but is not Node; signalling it with SIGUSR1 could kill it.
    #[error("process {pid} is not a Node process (its executable is {exe})")]
    NotNode { pid: u32, exe: String },
    /// We may not signal or inspect the process.
    #[error("permission denied: cannot {action} process {pid}")]
    PermissionDenied { pid: u32, action: &'static str },
    /// Another process listens on the port the inspector wants.
    #[error("process {pid} could not open its inspector: port {port} is taken by {holder}")]
    PortTaken { pid: u32, port: u16, holder: String },
    /// The signal was sent but no inspector appeared.
    #[error("process {pid} did not open its inspector within {waited_s} s{detail}")]
    NoInspector { pid: u32, waited_s: u64, detail: String },
    /// The process went away while we worked with it.
    #[error("process {pid} exited {when}")]
    Exited { pid: u32, when: String },
    /// The websocket or its handshake failed.
    #[error("cannot connect to the inspector at {url}: {reason}")]
    Connect { url: String, reason: String },
    /// The inspector connection broke.
    #[error("the inspector connection was closed{detail}")]
    Disconnected { detail: String },
    /// The target answered a command with an error.
    #[error("inspector command {method} failed: {message}")]
    Protocol { method: String, message: String },
    /// A message from the inspector that we could not understand.
    #[error("unexpected message from the inspector: {0}")]
    BadMessage(String),
    /// The target did not answer in time.
    #[error("timed out after {waited_s:.0} s waiting for {what}")]
    Timeout { what: String, waited_s: f64 },
    /// Writing a file failed.
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    /// Not enough room on disk for a snapshot.
    #[error(
        "not enough disk space in {}: {free} bytes free, a snapshot needs about {needed}",
        dir.display()
    )]
    DiskSpace { dir: PathBuf, free: u64, needed: u64 },
    /// The program could not be started.
    #[error("cannot start {program}: {reason}")]
    Launch { program: String, reason: String },
    /// Code we run in the target failed (the target is left as it was).
    #[error("the monitoring code failed in the target: {0}")]
    Agent(String),
    /// Any other I/O error, with what we were doing.
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io { what: what.into(), source }
    }
}
