//! The error of this crate.

use std::io;
use std::path::PathBuf;

use leakscope_graph::GraphError;

/// Why a core dump or a process could not be read. Each message names the file, address or
/// symbol involved; the binary adds what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened or mapped.
    #[error("cannot read {path}")]
    Open {
        /// The path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The file is not an ELF core dump.
    #[error("{path} is not an ELF core dump: {reason}")]
    NotACore {
        /// The path.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// The core was written for a machine leakscope cannot read.
    #[error("{path} is a core dump for {what}; leakscope reads x86_64 Linux cores")]
    UnsupportedCore {
        /// The path.
        path: PathBuf,
        /// The machine or class found.
        what: String,
    },
    /// The core file is shorter than its own headers say.
    #[error(
        "truncated core {path}: segment at {vaddr:#x} needs bytes up to {needed} but the file \
         has {actual}"
    )]
    TruncatedCore {
        /// The path.
        path: PathBuf,
        /// The segment's address.
        vaddr: u64,
        /// The file size the segment needs.
        needed: u64,
        /// The file size.
        actual: u64,
    },
    /// An ELF structure in the core or the binary is malformed.
    #[error("malformed ELF in {path}: {message}")]
    Elf {
        /// The path.
        path: PathBuf,
        /// What object reported.
        message: String,
    },
    /// The core does not say which program it is from, and no binary was given.
    #[error("the core does not name its executable; pass --binary PATH/TO/node")]
    NoExecutable,
    /// The node binary has no `v8dbg_*` symbols.
    #[error(
        "{path} has no V8 postmortem metadata (no v8dbg_* symbols): is it the node binary that \
         made the core?"
    )]
    NoMetadata {
        /// The binary.
        path: PathBuf,
    },
    /// A symbol the walk needs is missing from the metadata and from the version table.
    #[error("{binary}: V8 metadata lacks {symbol}")]
    MissingSymbol {
        /// The binary.
        binary: PathBuf,
        /// The symbol (without the `v8dbg_` prefix).
        symbol: String,
    },
    /// The build uses pointer compression (4-byte tagged slots).
    #[error(
        "{binary} is a pointer-compressed V8 build (tagged size {tagged_size}); leakscope reads \
         builds with 8-byte tagged slots (official Node.js builds)"
    )]
    PointerCompression {
        /// The binary.
        binary: PathBuf,
        /// `v8dbg_TaggedSize`.
        tagged_size: i64,
    },
    /// The V8 version has no entry in the version table.
    #[error(
        "unsupported V8 version {version} (supported: {supported}); see docs/new-node-version.md"
    )]
    UnsupportedVersion {
        /// The version found.
        version: String,
        /// The versions the table knows.
        supported: String,
    },
    /// The V8 version could not be found in the binary or the core.
    #[error(
        "cannot tell the V8 version of {binary}: no v8::internal::Version symbols or version string"
    )]
    UnknownVersion {
        /// The binary.
        binary: PathBuf,
    },
    /// The binary given is not the one that made the core.
    #[error(
        "the core was not made by {binary}: {reason}; pass the exact node binary with --binary"
    )]
    BinaryMismatch {
        /// The binary.
        binary: PathBuf,
        /// What differs.
        reason: String,
    },
    /// A fact of the version table does not hold in this core.
    #[error("V8 {version} layout check failed: {check}; the version table is wrong for this build")]
    LayoutCheck {
        /// The V8 version.
        version: String,
        /// The failed check.
        check: String,
    },
    /// No V8 heap was found in the memory.
    #[error("no V8 heap found in {what}: {reason}")]
    NoHeap {
        /// The core or process.
        what: String,
        /// Why.
        reason: String,
    },
    /// An address is not in any mapping of the core or process.
    #[error("address {addr:#x} is not in the dump")]
    Unmapped {
        /// The address.
        addr: u64,
    },
    /// Reading a live process was refused.
    #[error(
        "no permission to read the memory of process {pid}: run leakscope as the same user with \
         ptrace allowed (sudo, or `sysctl kernel.yama.ptrace_scope=0`; in Docker \
         `--cap-add=SYS_PTRACE`)"
    )]
    Permission {
        /// The process.
        pid: u32,
    },
    /// The process does not exist.
    #[error("no process {pid}")]
    NoProcess {
        /// The process.
        pid: u32,
    },
    /// Reading a live process failed.
    #[error("cannot read process {pid}: {what}")]
    Process {
        /// The process.
        pid: u32,
        /// What failed.
        what: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The graph built from the heap failed its own checks.
    #[error("inconsistent heap graph: {0}")]
    Graph(#[from] GraphError),
}
