//! Opening the inspector of a running Node process from outside: SIGUSR1, then find the port
//! it listens on, then `/json/list` for the websocket address.
//!
//! SIGUSR1 always makes Node listen on `process.debugPort` (9229 unless the program changed
//! it), with no fallback when the port is taken, and Node 20 cannot refuse the signal (the
//! `--disable-sigusr1` flag came later). While it is open, any local user who can reach the
//! port can run code in the process, so leakscope closes it again when it opened it.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;

use crate::cdp::{Cdp, Target};
use crate::error::{Error, Result};
use crate::procfs;

/// Node's default inspector port.
pub const DEFAULT_PORT: u16 = 9229;

/// An inspector that is listening.
#[derive(Clone, Debug)]
pub struct Inspector {
    /// The process.
    pub pid: u32,
    /// The port it listens on (loopback).
    pub port: u16,
    /// `ws://127.0.0.1:PORT/UUID`.
    pub ws_url: String,
    /// Whether leakscope opened it (and so should close it again).
    pub opened_by_us: bool,
}

/// A debugging target an inspector lists.
#[derive(Clone, Debug, Deserialize)]
pub struct ListedTarget {
    /// Its id.
    pub id: String,
    /// `node` for Node's inspector; `page`, `iframe`, `worker`… for Chromium's.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The websocket address it gives (it echoes the Host header, so callers should check it
    /// is loopback).
    #[serde(rename = "webSocketDebuggerUrl", default)]
    pub ws_url: String,
}

/// `GET /json/list` on a loopback port: the targets of the inspector listening there, or
/// `None` when nothing (or no inspector) answers.
#[must_use]
pub fn list_targets(port: u16) -> Option<Vec<ListedTarget>> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(300)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let request =
        format!("GET /json/list HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    let mut buf = [0u8; 8192];
    // Read until the end of the body: Node's inspector sends Content-Length and may keep the
    // connection open.
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                response.extend_from_slice(buf.get(..n)?);
                if body_complete(&response) {
                    break;
                }
            }
            Err(_) => break,
        }
        if response.len() > 1 << 20 {
            return None;
        }
    }
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.") || !head.lines().next()?.contains(" 200") {
        return None;
    }
    serde_json::from_str(body.trim()).ok()
}

/// The websocket address of the first Node target listening on `port`.
fn inspector_at(port: u16) -> Option<String> {
    let entry = list_targets(port)?.into_iter().find(|e| e.kind == "node")?;
    // Build the address ourselves: the listed one echoes our Host header and must stay loopback.
    Some(format!("ws://127.0.0.1:{port}/{}", entry.id))
}

fn body_complete(response: &[u8]) -> bool {
    let text = String::from_utf8_lossy(response);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse::<usize>().ok())?
        })
        .is_some_and(|len| body.len() >= len)
}

/// The inspector the process already has open, if any.
pub fn find_open(pid: u32) -> Result<Option<Inspector>> {
    for port in procfs::listening_ports(pid)? {
        if let Some(ws_url) = inspector_at(port) {
            return Ok(Some(Inspector { pid, port, ws_url, opened_by_us: false }));
        }
    }
    Ok(None)
}

/// Makes `pid` open its inspector (unless it is open already) and returns where it listens.
pub fn open(pid: u32, timeout: Duration) -> Result<Inspector> {
    procfs::check_node(pid)?;
    if let Some(open) = find_open(pid)? {
        return Ok(open);
    }
    if procfs::cmdline(pid)?.iter().any(|a| a == "--disable-sigusr1") {
        return Err(Error::NoInspector {
            pid,
            waited_s: 0,
            detail: ": it was started with --disable-sigusr1".into(),
        });
    }
    signal(pid, libc::SIGUSR1)?;
    let start = Instant::now();
    while start.elapsed() < timeout {
        std::thread::sleep(Duration::from_millis(20));
        if !procfs::is_alive(pid) {
            return Err(Error::Exited { pid, when: "while opening its inspector".into() });
        }
        if let Some(mut found) = find_open(pid)? {
            found.opened_by_us = true;
            return Ok(found);
        }
    }
    if let Some((holder, comm)) = procfs::port_holder(DEFAULT_PORT).filter(|(h, _)| *h != pid) {
        let holder = if holder == 0 {
            "a process of another user".to_owned()
        } else {
            format!("process {holder} ({comm})")
        };
        return Err(Error::PortTaken { pid, port: DEFAULT_PORT, holder });
    }
    Err(Error::NoInspector { pid, waited_s: timeout.as_secs(), detail: String::new() })
}

/// Sends a signal, with our errors.
pub fn signal(pid: u32, sig: libc::c_int) -> Result<()> {
    let target = libc::pid_t::try_from(pid).map_err(|_| Error::NoSuchProcess { pid })?;
    // SAFETY: kill has no memory preconditions.
    if unsafe { libc::kill(target, sig) } == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    Err(match e.raw_os_error() {
        Some(libc::ESRCH) => Error::NoSuchProcess { pid },
        Some(libc::EPERM) => Error::PermissionDenied { pid, action: "signal" },
        _ => Error::io(format!("cannot signal process {pid}"), e),
    })
}

/// `process.pid` once Node has finished bootstrapping, else -1. Loading a built-in module
/// (as the GC agent does) while Node is still bootstrapping can fail half-way and leave the
/// module broken for the program too (seen on Node 24: `setDispatchBufferFull is not a
/// function` from perf_hooks). Bootstrapping shows as a stack made only of `node:` frames; an
/// idle event loop shows none, and running user code shows its own.
const READY: &str = "(() => { if (typeof process !== 'object') return -1; \
    const limit = Error.stackTraceLimit; Error.stackTraceLimit = Infinity; \
    const frames = new Error().stack.split('\\n').slice(1).filter((f) => !f.includes('<anonymous>')); \
    Error.stackTraceLimit = limit; \
    const booting = frames.length > 0 && frames.every((f) => /[( ]node:/.test(f)); \
    return booting ? -1 : process.pid; })()";

/// Connects to the inspector and checks that it belongs to `pid` (a port can be reused);
/// waits (at most 10 s) until the process has finished bootstrapping.
pub fn connect(inspector: &Inspector) -> Result<Cdp> {
    let mut cdp = Cdp::connect(&inspector.ws_url, Duration::from_secs(5))?;
    let start = Instant::now();
    loop {
        let reply = cdp.call(
            &Target::Main,
            "Runtime.evaluate",
            json!({ "expression": READY, "returnByValue": true }),
            Duration::from_secs(10),
        )?;
        match reply.pointer("/result/value").and_then(serde_json::Value::as_i64) {
            Some(got) if got == i64::from(inspector.pid) => return Ok(cdp),
            Some(got) if got > 0 => {
                return Err(Error::PortTaken {
                    pid: inspector.pid,
                    port: inspector.port,
                    holder: format!("another Node process (pid {got})"),
                });
            }
            _ if start.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => return Err(Error::Agent(format!("Node did not finish starting: {reply}"))),
        }
    }
}

/// Closes the target's inspector from inside, then our connection. `require` exists only
/// during an `includeCommandLineAPI` evaluation, so the module is taken there and only `close`
/// is deferred: by 200 ms, so that our session has gone away cleanly before the server does.
pub fn close_inspector(cdp: &mut Cdp) {
    const CLOSE: &str = "(() => { const m = typeof process.getBuiltinModule === 'function' \
        ? process.getBuiltinModule('inspector') : require('inspector'); \
        setTimeout(() => m.close(), 200); return 'closing'; })()";
    let _ = cdp.call(
        &Target::Main,
        "Runtime.evaluate",
        json!({ "expression": CLOSE, "includeCommandLineAPI": true, "returnByValue": true }),
        Duration::from_secs(5),
    );
    cdp.close();
}

/// Waits until `pid` no longer listens on `port` (the inspector closed).
#[must_use]
pub fn wait_closed(pid: u32, port: u16, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        match procfs::listening_ports(pid) {
            Ok(ports) if ports.contains(&port) => std::thread::sleep(Duration::from_millis(20)),
            _ => return true,
        }
    }
    false
}
