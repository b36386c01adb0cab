#!/usr/bin/env node
// Builds the addon with cargo and puts it where index.js loads it (leakscope.node).
// Nothing is downloaded from npm: cargo builds the Rust crate from the workspace, with its
// crates.io dependencies from cargo's own cache. `--release` for an optimised build.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const release = process.argv.includes('--release');
const args = ['build', '-p', 'leakscope-node', '--locked', '--message-format=json-render-diagnostics'];
if (release) args.push('--release');

const result = spawnSync('cargo', args, {
  cwd: __dirname,
  stdio: ['ignore', 'pipe', 'inherit'],
  maxBuffer: 256 << 20,
  encoding: 'utf8',
});
if (result.error) {
  console.error(`leakscope build: cannot run cargo (${result.error.message}); install Rust from https://rustup.rs`);
  process.exit(2);
}
if (result.status !== 0) {
  console.error(`leakscope build: cargo build failed (exit ${result.status})`);
  process.exit(result.status || 1);
}

let library;
for (const line of result.stdout.split('\n')) {
  if (!line.startsWith('{')) continue;
  const msg = JSON.parse(line);
  if (msg.reason === 'compiler-artifact' && msg.target.name === 'leakscope_node' && msg.target.kind.includes('cdylib')) {
    library = msg.filenames.find((f) => /\.(so|dylib|dll)$/.test(f));
  }
}
if (!library) {
  console.error('leakscope build: cargo did not report the leakscope_node library');
  process.exit(1);
}
const target = path.join(__dirname, '..', 'leakscope.node');
// Copy to a temporary name and rename, so a running process never sees half a file.
fs.copyFileSync(library, `${target}.tmp`);
fs.renameSync(`${target}.tmp`, target);
console.error(`leakscope build: ${path.relative(process.cwd(), target)} (${release ? 'release' : 'debug'})`);
