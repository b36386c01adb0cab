//! Project automation. `cargo xtask ci` is what CI runs; `cargo xtask bench` measures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod bench_live;
mod bench_native;
mod nodes;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

const HELP: &str = "\
cargo xtask <task>

  ci       everything CI checks: fmt, clippy, tests on Node 18/20/22/24 (against Chrome
           DevTools' own heap snapshot code, built from npm), the Node package's tests
  bench    load/analysis throughput and peak RSS on a ~370 MB snapshot made with node
  bench-native [--sample-bytes N]
           requests/s of a busy Node HTTP server with and without `leakscope native`
  bench-live [verdict|overhead]
           time to a leak verdict (1 MB/s, 10 KB/s) and `watch` overhead on a busy HTTP server
  nodes    install the extra Node versions the tests use (into target/test-nodes)
";

fn main() -> anyhow::Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    let root = workspace_root();
    match task.as_str() {
        "ci" => ci(&root),
        "bench" => bench::run(&root, std::env::args().skip(2).collect()),
        "bench-native" => bench_native::run(&root, &std::env::args().skip(2).collect::<Vec<_>>()),
        "bench-live" => bench_live::run(&root, &std::env::args().skip(2).collect::<Vec<_>>()),
        "nodes" => {
            let paths = nodes::ensure(&root)?;
            println!("{}", std::env::join_paths(paths)?.to_string_lossy());
            Ok(())
        }
        _ => {
            print!("{HELP}");
            if task.is_empty() || task == "help" || task == "--help" {
                Ok(())
            } else {
                bail!("unknown task {task}")
            }
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

/// Runs a command in `dir`, failing with its name when it fails.
pub fn run(
    dir: &Path,
    program: &str,
    args: &[&str],
    envs: &[(&str, &std::ffi::OsStr)],
) -> anyhow::Result<()> {
    eprintln!("\n==> {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(envs.iter().copied())
        .status()
        .with_context(|| format!("cannot run {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn ci(root: &Path) -> anyhow::Result<()> {
    run(root, "cargo", &["fmt", "--all", "--", "--check"], &[])?;
    run(root, "cargo", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"], &[])?;
    let nodes = std::env::join_paths(nodes::ensure(root)?)?;
    // Chrome DevTools' heap snapshot worker, which the analyses' tests compare against.
    let oracle_dir = root.join("target/devtools-oracle");
    let oracle_dir = oracle_dir.to_str().context("non-UTF-8 path")?;
    run(root, "bash", &["tools/devtools-oracle/build.sh", oracle_dir], &[])?;
    let oracle = root.join("target/devtools-oracle/oracle.cjs");
    let env = [
        ("LEAKSCOPE_TEST_NODES", nodes.as_os_str()),
        ("LEAKSCOPE_DEVTOOLS_ORACLE", oracle.as_os_str()),
    ];
    run(root, "cargo", &["test", "--workspace", "--all-targets"], &env)?;
    run(root, "cargo", &["test", "--workspace", "--doc"], &[])?;
    let napi = root.join("napi/leakscope-node");
    if napi.join("package.json").exists() {
        run(&napi, "npm", &["test"], &env)?;
    }
    eprintln!("\nci: all checks passed");
    Ok(())
}
