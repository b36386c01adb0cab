//! The error of this crate.

use std::path::PathBuf;

/// Reading a process's memory information failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcfsError {
    /// /proc/PID/smaps exists only on Linux.
    #[error("reading memory mappings needs Linux (/proc/PID/smaps); this is {os}")]
    NotLinux {
        /// The operating system leakscope was built for.
        os: &'static str,
    },
    /// No process has this id (or it exited).
    #[error("no process with id {pid}")]
    NoSuchProcess {
        /// The process id.
        pid: u32,
    },
    /// The process belongs to someone else.
    #[error("no permission to read {}{}", .path.display(), owner_text(*.owner))]
    PermissionDenied {
        /// The file that could not be read.
        path: PathBuf,
        /// The owner of the process, when /proc says.
        owner: Option<u32>,
    },
    /// Another I/O error.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file did not look like smaps.
    #[error("{path}: unexpected line {line}: {text:?}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// The line, cut to 120 characters.
        text: String,
    },
}

fn owner_text(owner: Option<u32>) -> String {
    owner.map(|uid| format!(" (the process belongs to uid {uid})")).unwrap_or_default()
}
