//! The little of /proc that attaching needs: is it Node, its listening sockets, who holds a
//! port, its RSS. (Mapping-level sampling lives in `leakscope-procfs`.)

use std::io::ErrorKind;
use std::path::PathBuf;

use crate::error::{Error, Result};

fn proc_path(pid: u32, leaf: &str) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/{leaf}"))
}

/// Maps an error reading `/proc/PID/...` to ours.
fn proc_error(pid: u32, action: &'static str, e: &std::io::Error) -> Error {
    match e.kind() {
        ErrorKind::NotFound => Error::NoSuchProcess { pid },
        ErrorKind::PermissionDenied => Error::PermissionDenied { pid, action },
        _ => Error::io(
            format!("cannot {action} process {pid}"),
            std::io::Error::new(e.kind(), e.to_string()),
        ),
    }
}

/// Whether the process exists (zombies count as gone).
#[must_use]
pub fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(proc_path(pid, "stat")) {
        // The state follows the command name in parentheses, which may hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}

/// Checks that `pid` is a Node process we may inspect, and returns its executable.
pub fn check_node(pid: u32) -> Result<PathBuf> {
    if !proc_path(pid, "").exists() {
        return Err(Error::NoSuchProcess { pid });
    }
    let exe =
        std::fs::read_link(proc_path(pid, "exe")).map_err(|e| proc_error(pid, "inspect", &e))?;
    let name = exe.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // `node`, `nodejs`, `node20`, and a binary deleted by an upgrade (`node (deleted)`).
    if !name.starts_with("node") {
        return Err(Error::NotNode { pid, exe: exe.display().to_string() });
    }
    Ok(exe)
}

/// The process's command line.
pub fn cmdline(pid: u32) -> Result<Vec<String>> {
    let raw =
        std::fs::read(proc_path(pid, "cmdline")).map_err(|e| proc_error(pid, "inspect", &e))?;
    Ok(raw
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect())
}

/// Resident set size in bytes (from `/proc/PID/statm`).
pub fn rss_bytes(pid: u32) -> Result<u64> {
    let statm = std::fs::read_to_string(proc_path(pid, "statm"))
        .map_err(|e| proc_error(pid, "read", &e))?;
    let pages: u64 =
        statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).ok_or_else(|| {
            Error::io(format!("cannot read process {pid}"), std::io::Error::other("bad statm"))
        })?;
    Ok(pages * page_size())
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).unwrap_or(4096)
}

/// A TCP socket in LISTEN state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Listener {
    port: u16,
    inode: u64,
    /// Listens on loopback or on every address (so 127.0.0.1 reaches it).
    reachable: bool,
}

fn listeners() -> Vec<Listener> {
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            let (Some(local), Some(state), Some(inode)) = (f.get(1), f.get(3), f.get(9)) else {
                continue;
            };
            if *state != "0A" {
                continue;
            }
            let Some((ip, port)) = local.split_once(':') else { continue };
            let (Ok(port), Ok(inode)) = (u16::from_str_radix(port, 16), inode.parse()) else {
                continue;
            };
            let reachable = matches!(
                ip,
                "0100007F"
                    | "00000000"
                    | "00000000000000000000000000000000"
                    | "00000000000000000000000001000000"
                    | "0000000000000000FFFF00000100007F"
            );
            out.push(Listener { port, inode, reachable });
        }
    }
    out
}

fn socket_inodes(pid: u32) -> Result<Vec<u64>> {
    let dir =
        std::fs::read_dir(proc_path(pid, "fd")).map_err(|e| proc_error(pid, "inspect", &e))?;
    Ok(dir
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|link| {
            let s = link.to_str()?;
            s.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
        })
        .collect())
}

/// TCP ports the process listens on that 127.0.0.1 reaches.
pub fn listening_ports(pid: u32) -> Result<Vec<u16>> {
    let inodes = socket_inodes(pid)?;
    let mut ports: Vec<u16> = listeners()
        .into_iter()
        .filter(|l| l.reachable && inodes.contains(&l.inode))
        .map(|l| l.port)
        .collect();
    ports.sort_unstable();
    ports.dedup();
    Ok(ports)
}

/// Who listens on `port`: `Some((pid, command name))` when visible, `Some((0, ..))` when a
/// listener exists but its owner is hidden from us, `None` when nobody listens.
#[must_use]
pub fn port_holder(port: u16) -> Option<(u32, String)> {
    let inodes: Vec<u64> =
        listeners().into_iter().filter(|l| l.port == port).map(|l| l.inode).collect();
    if inodes.is_empty() {
        return None;
    }
    let procs = std::fs::read_dir("/proc").ok()?;
    for entry in procs.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if socket_inodes(pid).is_ok_and(|s| s.iter().any(|i| inodes.contains(i))) {
            let comm = std::fs::read_to_string(proc_path(pid, "comm")).unwrap_or_default();
            return Some((pid, comm.trim().to_owned()));
        }
    }
    Some((0, String::new()))
}

/// Free bytes for an unprivileged user on the file system holding `dir`.
pub fn free_disk_bytes(dir: &std::path::Path) -> Result<u64> {
    use std::os::unix::ffi::OsStrExt as _;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).map_err(|_| {
        Error::io(format!("bad path {}", dir.display()), std::io::Error::other("NUL byte"))
    })?;
    // SAFETY: an all-zero statvfs is a valid value for statvfs to overwrite.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `st` is valid for writes.
    if unsafe { libc::statvfs(c.as_ptr(), &raw mut st) } != 0 {
        return Err(Error::io(
            format!("cannot check free space in {}", dir.display()),
            std::io::Error::last_os_error(),
        ));
    }
    #[allow(clippy::useless_conversion)] // the fields are 32-bit on 32-bit targets
    Ok(u64::from(st.f_bavail) * u64::from(st.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process() {
        let me = std::process::id();
        assert!(is_alive(me));
        assert!(rss_bytes(me).unwrap() > 0);
        assert!(matches!(check_node(me), Err(Error::NotNode { .. })));
        assert!(matches!(check_node(u32::MAX - 1), Err(Error::NoSuchProcess { .. })));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(listening_ports(me).unwrap().contains(&port));
        assert_eq!(port_holder(port).map(|h| h.0), Some(me));
        assert!(free_disk_bytes(std::path::Path::new("/tmp")).unwrap() > 0);
    }
}
