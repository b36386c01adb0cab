// HeapDiff: memwatch's result shape from two snapshots of this isolate, diffed in Rust, with
// what each added class retains and the path of its largest object. Each test plants objects
// of classes of its own between the constructor and end().
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
const leakscope = require('..');

const ENDED = { name: 'Error', message: 'attempt to end() a HeapDiff that was already ended' };

class LeakingClass {
  constructor(i) {
    this.i = i;
  }
}
class FreedClass {}
class LeakingAsync {
  constructor(i) {
    this.i = i;
  }
}

// In functions of their own, so that no stack slot of the caller still holds one of them.
function plant(holder, Class, n) {
  for (let i = 0; i < n; i++) holder.push(new Class(i));
}
function freed(n) {
  globalThis.heapDiffFreed = Array.from({ length: n }, () => new FreedClass());
}

/** The detail of `what`, and the checks that hold for every HeapDiff result. */
function detail(diff, what) {
  assert.deepEqual(Object.keys(diff), ['before', 'after', 'change']);
  for (const side of [diff.before, diff.after]) {
    assert.deepEqual(Object.keys(side), ['nodes', 'size_bytes', 'size']);
    assert.ok(side.nodes > 10_000 && side.size_bytes > 1e6, JSON.stringify(side));
    assert.match(side.size, /^\d+(\.\d+)? mb$/);
  }
  const { change } = diff;
  assert.deepEqual(Object.keys(change), ['size_bytes', 'size', 'freed_nodes', 'allocated_nodes', 'details']);
  assert.equal(change.size_bytes, diff.after.size_bytes - diff.before.size_bytes);
  // memwatch's order: by `what`, as C++'s std::map of strings sorts them (bytewise).
  const names = change.details.map((d) => d.what);
  assert.deepEqual(names, [...names].sort((a, b) => (Buffer.from(a).compare(Buffer.from(b)))));
  assert.equal(new Set(names).size, names.length);
  const found = change.details.find((d) => d.what === what);
  assert.ok(found, `no detail for ${what}: ${names.join(', ')}`);
  return found;
}

test('end() reports the planted class with exact counts, its retained size and its path', () => {
  globalThis.heapDiffHolder = [];
  freed(500);
  const hd = new leakscope.HeapDiff();
  plant(globalThis.heapDiffHolder, LeakingClass, 2000);
  globalThis.heapDiffFreed = null;
  const diff = hd.end();

  const d = detail(diff, 'LeakingClass');
  assert.deepEqual(Object.keys(d), ['what', 'size_bytes', 'size', '+', '-', 'retained_size', 'retainer_path']);
  assert.equal(d['+'], 2000);
  assert.equal(d['-'], 0);
  // Each object has the same size, and owns nothing else (its one field is a small integer).
  assert.ok(d.size_bytes > 0 && d.size_bytes % 2000 === 0, `${d.size_bytes}`);
  assert.equal(d.retained_size, d.size_bytes);
  assert.match(d.size, /^\d+(\.\d+)? kb$/);
  const path = d.retainer_path;
  assert.deepEqual(Object.keys(path[0]), ['edge', 'edge_type', 'class', 'id']);
  // global → heapDiffHolder → [i] → LeakingClass
  assert.deepEqual(
    path.map((s) => [s.edge_type, s.class]),
    [['shortcut', 'global'], ['property', 'Array'], ['element', 'LeakingClass']],
  );
  assert.equal(path[1].edge, 'heapDiffHolder');
  assert.ok(Number.isInteger(path[2].edge) && path[2].edge < 2000, `${path[2].edge}`);

  const gone = detail(diff, 'FreedClass');
  assert.deepEqual([gone['+'], gone['-'], gone.retained_size], [0, 500, 0]);
  assert.ok(gone.size_bytes < 0 && gone.size_bytes % 500 === 0, `${gone.size_bytes}`);
  assert.ok(diff.change.allocated_nodes >= 2000 && diff.change.freed_nodes >= 500, JSON.stringify(diff.change));

  assert.throws(() => hd.end(), ENDED);
  globalThis.heapDiffHolder = null;
});

test('endAsync() gives the same result while the event loop keeps running', async () => {
  globalThis.heapDiffAsync = [];
  const hd = new leakscope.HeapDiff();
  plant(globalThis.heapDiffAsync, LeakingAsync, 1234);
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  const pending = hd.endAsync();
  assert.ok(pending instanceof Promise);
  const diff = await pending;
  clearInterval(ticker);
  // The parse and the diff ran on the thread pool: timers fired meanwhile.
  assert.ok(ticks > 0, 'the event loop did not turn while endAsync() ran');

  const d = detail(diff, 'LeakingAsync');
  assert.equal(d['+'], 1234);
  assert.equal(d['-'], 0);
  assert.equal(d.retained_size, d.size_bytes);
  assert.equal(d.retainer_path.at(-2).edge, 'heapDiffAsync');
  assert.equal(d.retainer_path.at(-1).class, 'LeakingAsync');

  await assert.rejects(hd.endAsync(), ENDED);
  assert.throws(() => hd.end(), ENDED);
  globalThis.heapDiffAsync = null;
});

test('endAsync() after end() rejects; HeapDiff needs new, as in memwatch', async () => {
  const hd = new leakscope.HeapDiff();
  hd.end();
  await assert.rejects(hd.endAsync(), ENDED);
  assert.throws(() => leakscope.HeapDiff(), TypeError);
});
