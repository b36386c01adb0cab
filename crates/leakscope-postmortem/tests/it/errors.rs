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

/// Random words overwritten all over a real core: every query still returns (an error or an
/// answer), never panics or hangs.
#[test]
fn corrupted_cores_never_panic() {
    let node = node();
    let dir = scratch();
    let core = node.core_dump(dir.path(), "globalThis.keep = Array.from({length: 2000}, (_, i) => ({ i, s: 'v' + i, m: new Map([[i, [i]]]) }));");
    let mut bytes = std::fs::read(&core.path).unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let bad = dir.path().join("bad-core");
    let mut opened = 0;
    for round in 0..4 {
        // Leave the headers (first 64 KiB) alone: they are checked at open; corrupt the heap.
        for _ in 0..2000 * (round + 1) {
            let at = 65536 + (next() as usize % (bytes.len() - 65536 - 8)) / 8 * 8;
            let word = match next() % 4 {
                0 => next(),
                1 => next() & !0xffff_ffff, // a Smi
                2 => u64::from_le_bytes(bytes[(at ^ 0x40)..(at ^ 0x40) + 8].try_into().unwrap()),
                _ => u64::MAX,
            };
            bytes[at..at + 8].copy_from_slice(&word.to_le_bytes());
        }
        std::fs::write(&bad, &bytes).unwrap();
        let dump = match Dump::open_core(&bad, None) {
            Ok(dump) => dump,
            Err(e) => {
                eprintln!("round {round}: {e}");
                continue;
            }
        };
        opened += 1;
        let groups = dump.object_groups();
        for g in groups.iter().take(50) {
            let _ = dump.inspect(g.example, 100);
        }
        if let Ok(graph) = dump.graph() {
            let _ = graph.graph.retainers();
        }
    }
    assert!(opened > 0, "the corruption should leave some cores readable");
}
