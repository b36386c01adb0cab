//! Bad input: each gives its own clear error, never a panic.

use std::io::Write as _;

use leakscope_postmortem::{Dump, Error, LiveProcess};
use leakscope_testkit::{all_nodes, node, scratch};

const SMALL: &str = "globalThis.keep = [1, 2, 3];";

#[test]
fn truncated_core() {
    let node = node();
    let dir = scratch();
    let core = node.core_dump(dir.path(), SMALL);
    let bytes = std::fs::read(&core.path).unwrap();
    for keep in [bytes.len() / 2, bytes.len() - 1, 200, 10] {
        let cut = dir.path().join("cut");
        std::fs::File::create(&cut).unwrap().write_all(&bytes[..keep]).unwrap();
        match Dump::open_core(&cut, Some(&node.path)) {
            Err(Error::TruncatedCore { .. } | Error::Elf { .. } | Error::NotACore { .. }) => {}
            other => panic!("cut at {keep}: {other:?}"),
        }
    }
    let cut = dir.path().join("cut");
    std::fs::File::create(&cut).unwrap().write_all(&bytes[..bytes.len() / 2]).unwrap();
    let err = Dump::open_core(&cut, Some(&node.path)).unwrap_err();
    assert!(matches!(err, Error::TruncatedCore { .. }), "{err}");
    assert!(err.to_string().starts_with("truncated core"), "{err}");
}

#[test]
fn not_a_core_and_binary_without_metadata() {
    let dir = scratch();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    assert!(matches!(Dump::open_core(&text, None), Err(Error::NotACore { .. })));
    // An ELF executable is not a core either.
    let err = Dump::open_core("/bin/sh".as_ref(), None).unwrap_err();
    assert!(err.to_string().contains("not a core"), "{err}");

    let node = node();
    let core = node.core_dump(dir.path(), SMALL);
    let err = Dump::open_core(&core.path, Some("/bin/sh".as_ref())).unwrap_err();
    assert!(matches!(err, Error::NoMetadata { .. }), "{err}");
    assert!(err.to_string().contains("no v8dbg_* symbols"), "{err}");
}

#[test]
fn core_of_another_binary() {
    let nodes = all_nodes();
    if nodes.len() < 2 {
        eprintln!("note: one Node only; set LEAKSCOPE_TEST_NODES to test a mismatched binary");
        return;
    }
    let dir = scratch();
    let core = nodes[0].core_dump(dir.path(), SMALL);
    let other = nodes.last().unwrap();
    let err = Dump::open_core(&core.path, Some(&other.path)).unwrap_err();
    assert!(matches!(err, Error::BinaryMismatch { .. }), "{err}");
    assert!(err.to_string().contains("the core was not made by"), "{err}");
}

#[test]
fn missing_process() {
    // Pids wrap far below this on Linux (pid_max is at most 2^22).
    let err = LiveProcess::attach(u32::MAX - 1).unwrap_err();
    assert!(matches!(err, Error::NoProcess { .. }), "{err}");
}
