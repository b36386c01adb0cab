//! Starting a program with its inspector on a random loopback port.

use std::ffi::OsString;
use std::io::{BufRead as _, BufReader, Write};
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::attach;
use crate::error::{Error, Result};

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ExitInfo {
    /// Its exit code, when it exited.
    pub code: Option<i32>,
    /// The signal that killed it, when one did.
    pub signal: Option<i32>,
}

impl std::fmt::Display for ExitInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.code, self.signal) {
            (Some(c), _) => write!(f, "exit code {c}"),
            (None, Some(s)) => write!(f, "signal {s}"),
            (None, None) => f.write_str("unknown status"),
        }
    }
}

/// A program started by leakscope.
#[derive(Debug)]
pub struct Launched {
    child: Child,
    /// Its pid.
    pub pid: u32,
    /// Its inspector.
    pub inspector: attach::Inspector,
    waiting: Arc<AtomicBool>,
    exit: Option<ExitInfo>,
}

/// Lines the inspector prints on the program's stderr; leakscope reads them and keeps them out
/// of the program's output.
const INSPECTOR_LINES: &[&str] = &[
    "Debugger listening on ",
    "For help, see: https://nodejs.org/",
    "Debugger attached.",
    "Debugger ending on ",
    "Waiting for the debugger to disconnect...",
];

/// Starts `command` (`node app.js ARGS…`) with `--inspect=127.0.0.1:0` added after the node
/// executable, forwarding its stderr to `stderr` (its stdout is inherited). The program runs
/// in its own process group, so a Ctrl-C reaches leakscope, which then stops it cleanly.
pub fn launch(
    command: &[OsString],
    mut stderr: Box<dyn Write + Send>,
    timeout: Duration,
) -> Result<Launched> {
    let Some((program, args)) = command.split_first() else {
        return Err(Error::Launch { program: String::new(), reason: "no command given".into() });
    };
    let name = std::path::Path::new(program).file_name().map(|n| n.to_string_lossy().into_owned());
    if !name.as_deref().is_some_and(|n| n.starts_with("node")) {
        return Err(Error::Launch {
            program: program.to_string_lossy().into_owned(),
            reason: "the command must start with node (`leakscope run -- node app.js`)".into(),
        });
    }
    let mut child = Command::new(program)
        .arg("--inspect=127.0.0.1:0")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| Error::Launch {
            program: program.to_string_lossy().into_owned(),
            reason: e.to_string(),
        })?;
    let pid = child.id();
    let pipe = child.stderr.take().ok_or_else(|| Error::Launch {
        program: program.to_string_lossy().into_owned(),
        reason: "no stderr pipe".into(),
    })?;
    let waiting = Arc::new(AtomicBool::new(false));
    let (url_tx, url_rx) = mpsc::channel();
    let waiting_flag = Arc::clone(&waiting);
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = Vec::new();
        let mut tail: Vec<String> = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line);
            if let Some(i) = INSPECTOR_LINES.iter().position(|p| text.starts_with(p)) {
                if i == 0 {
                    let url = text.trim_end().trim_start_matches(INSPECTOR_LINES[0]).to_owned();
                    let _ = url_tx.send(Ok(url));
                } else if i == 4 {
                    waiting_flag.store(true, Ordering::SeqCst);
                }
                continue;
            }
            tail.push(text.trim_end().to_owned());
            if tail.len() > 5 {
                tail.remove(0);
            }
            let _ = stderr.write_all(&line);
            let _ = stderr.flush();
        }
        let _ = url_tx.send(Err(tail.join("\n")));
    });
    let start = Instant::now();
    let ws_url = loop {
        match url_rx.recv_timeout(Duration::from_millis(50)) {
            Ok(Ok(url)) => break url,
            Ok(Err(tail)) => {
                let status = child.wait().ok().map(describe);
                return Err(Error::Launch {
                    program: program.to_string_lossy().into_owned(),
                    reason: format!(
                        "it exited before opening its inspector ({}){}",
                        status.map_or_else(|| "unknown status".into(), |s| s.to_string()),
                        if tail.is_empty() { String::new() } else { format!(": {tail}") }
                    ),
                });
            }
            Err(_) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Timeout {
                    what: "the program's inspector".into(),
                    waited_s: timeout.as_secs_f64(),
                });
            }
            Err(_) => {}
        }
    };
    let port = ws_url
        .strip_prefix("ws://127.0.0.1:")
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| Error::BadMessage(format!("inspector address {ws_url}")))?;
    Ok(Launched {
        child,
        pid,
        inspector: attach::Inspector { pid, port, ws_url, opened_by_us: false },
        waiting,
        exit: None,
    })
}

fn describe(status: std::process::ExitStatus) -> ExitInfo {
    ExitInfo { code: status.code(), signal: status.signal() }
}

impl Launched {
    /// How it ended, once it has.
    pub fn exited(&mut self) -> Option<ExitInfo> {
        if self.exit.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.exit = Some(describe(status));
        }
        self.exit
    }

    /// Whether its main script finished and Node now waits for the debugger to disconnect.
    #[must_use]
    pub fn waiting_for_debugger(&self) -> bool {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Waits up to `timeout` for it to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitInfo> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(e) = self.exited() {
                return Some(e);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// Stops it: SIGTERM, then SIGKILL after `grace`.
    pub fn stop(&mut self, grace: Duration) -> Option<ExitInfo> {
        if let Some(e) = self.exited() {
            return Some(e);
        }
        let _ = attach::signal(self.pid, libc::SIGTERM);
        if let Some(e) = self.wait_exit(grace) {
            return Some(e);
        }
        let _ = self.child.kill();
        self.wait_exit(Duration::from_secs(5))
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        // Never leave a program we started running behind us.
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
