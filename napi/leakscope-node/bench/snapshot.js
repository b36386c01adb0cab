'use strict';
// What an in-process HeapDiff costs, the way memwatch's was measured: a heap of N objects
// (default 1 M `{i, next}` in one array), then a snapshot streamed into the Rust parser.
//
//   [SHAPE=array|list] node bench/snapshot.js [N] [sync|async|pair|heapdiff|heapdiff-async|memwatch]
//
// Prints one JSON line: the event-loop pause (the longest gap of a 1 ms timer, and the time
// spent inside the synchronous call), the time until the parsed snapshot is in hand, and the
// process's peak RSS (VmHWM). `pair` takes two snapshots and times the second (HeapDiff's
// end() before the diff itself; the pause is the second snapshot's). `heapdiff` times
// leakscope's `new HeapDiff()` and `end()`, `heapdiff-async` the same with `endAsync()` (its
// pause is the second snapshot's; the parse and the diff run on the thread pool). `memwatch`
// times `new HeapDiff()` + `end()` of the module named by MEMWATCH (e.g. @airbnb/node-memwatch)
// for comparison. Build with `npm run build` first.
const fs = require('node:fs');

const n = Number(process.argv[2] ?? 1e6);
const mode = process.argv[3] ?? 'async';

function peakRssMb() {
  const m = fs.readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return m ? Math.round(Number(m[1]) / 1024) : null;
}

// SHAPE=list: the same objects as one linked list (memwatch's recursive HeapDiff overflows
// its stack past about 60 k of them).
const shape = process.env.SHAPE ?? 'array';
if (shape === 'list') {
  let head = null;
  for (let i = 0; i < n; i++) head = { i, next: head };
  globalThis.heap = head;
} else {
  globalThis.heap = [];
  for (let i = 0; i < n; i++) globalThis.heap.push({ i, next: null });
}
const rssBefore = peakRssMb();

let last = performance.now();
let maxGap = 0;
const ticker = setInterval(() => {
  const now = performance.now();
  maxGap = Math.max(maxGap, now - last);
  last = now;
}, 1);

async function run() {
  await new Promise((r) => setTimeout(r, 20));
  last = performance.now();
  maxGap = 0;
  const t0 = performance.now();
  const result = { n, shape, mode, node: process.version };
  if (mode === 'memwatch') {
    const memwatch = require(process.env.MEMWATCH ?? '@airbnb/node-memwatch');
    const hd = new memwatch.HeapDiff();
    result.construct_ms = Math.round(performance.now() - t0);
    const t1 = performance.now();
    const diff = hd.end();
    result.end_ms = Math.round(performance.now() - t1);
    result.details = diff.change.details.length;
  } else if (mode === 'heapdiff' || mode === 'heapdiff-async') {
    const leakscope = require('..');
    const hd = new leakscope.HeapDiff();
    // Synchronous: this is also the pause.
    result.construct_ms = Math.round(performance.now() - t0);
    // Let the first snapshot's parse finish, as it would while a program runs between the two.
    await new Promise((r) => setTimeout(r, 2000));
    last = performance.now();
    maxGap = 0;
    const t1 = performance.now();
    let diff;
    if (mode === 'heapdiff') {
      diff = hd.end();
    } else {
      const pending = hd.endAsync();
      result.sync_call_ms = Math.round(performance.now() - t1);
      diff = await pending;
    }
    result.end_ms = Math.round(performance.now() - t1);
    result.details = diff.change.details.length;
    result.nodes = diff.after.nodes;
    // The wait between the two is not part of the cost.
    result.total_ms = result.construct_ms + result.end_ms;
  } else {
    const leakscope = require('..');
    let snap;
    if (mode === 'pair') {
      // What HeapDiff's end() will cost before its diff: a second snapshot while the first
      // is held, parsed, in Rust.
      globalThis.first = await leakscope.takeSnapshotAsync();
      result.first_ms = Math.round(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
      last = performance.now();
      maxGap = 0;
      const t1 = performance.now();
      const pending = leakscope.takeSnapshotAsync();
      result.sync_call_ms = Math.round(performance.now() - t1);
      snap = await pending;
      result.end_ms = Math.round(performance.now() - t1);
    } else if (mode === 'sync') {
      snap = leakscope.takeSnapshot();
    } else {
      const pending = leakscope.takeSnapshotAsync();
      result.sync_call_ms = Math.round(performance.now() - t0);
      snap = await pending;
    }
    result.nodes = snap.nodeCount;
    result.json_mb = Math.round(snap.jsonBytes / 1e6);
  }
  result.total_ms ??= Math.round(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 5));
  result.max_loop_gap_ms = Math.round(maxGap);
  result.peak_rss_mb = peakRssMb();
  result.rss_before_mb = rssBefore;
  clearInterval(ticker);
  console.log(JSON.stringify(result));
}
run();
