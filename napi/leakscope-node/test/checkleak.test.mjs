// checkLeak() and assertNoLeak(): the three-snapshot leak finder on a function, as a test
// suite uses it. Leaky functions keep objects of a class of their own in a global; clean ones
// allocate and drop, or keep a bounded cache that is full after the warm-up.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

import { fixture } from './helpers.mjs';

const require = createRequire(import.meta.url);
const leakscope = require('..');

/** About 1.1 kB each: 125 doubles of its own. */
class Session {
  constructor(id) {
    this.id = id;
    this.payload = new Array(125).fill(id + 0.5);
  }
}
class QueuedJob {
  constructor(id) {
    this.id = id;
    this.payload = new Array(125).fill(id + 0.5);
  }
}
class Transient {
  constructor(id) {
    this.id = id;
    this.payload = new Array(125).fill(id + 0.5);
  }
}

/** Each Session's retained size, from the census of a snapshot holding some. */
async function sessionSize() {
  const row = (await leakscope.takeSnapshot().summary()).find((r) => r.class === 'Session');
  assert.ok(row && row.retained_size % row.count === 0, JSON.stringify(row));
  return row.retained_size / row.count;
}

test('assertNoLeak() rejects naming the class, count, size, holder and path; err.leaks has the findings', async () => {
  globalThis.sessionCache = new Map();
  let key = 0;
  const leaky = () => {
    globalThis.sessionCache.set(key, new Session(key++));
  };
  const err = await leakscope.assertNoLeak(leaky).then(
    () => assert.fail('assertNoLeak() resolved for a leak'),
    (e) => e,
  );
  // Warm-up, then two windows of the default 100 runs.
  assert.equal(globalThis.sessionCache.size, 210);
  const each = await sessionSize();
  assert.ok(err instanceof Error);
  assert.equal(err.leaks.length, 1, JSON.stringify(err.leaks.map((f) => f.class)));
  const [f] = err.leaks;
  // The objects allocated between the first two snapshots and still alive in the third.
  assert.equal(f.class, 'Session');
  assert.equal(f.count, 100);
  assert.equal(f.retained_size, 100 * each);
  assert.equal(f.holder, 'sessionCache');
  assert.equal(f.holder_class, 'Map');
  assert.deepEqual(f.counts, [null, 110, 210]);
  assert.equal(f.survival, 1);
  assert.equal(f.confidence, 'high');
  assert.equal(f.retainer_path.at(-1).class, 'Session');
  assert.match(f.location, /checkleak\.test\.mjs:\d+:\d+$/);
  const size = `${((100 * each) / 1000).toPrecision(3)} kB`;
  const message = new RegExp(
    `^leak: 100 Session objects \\(${size}\\) held by sessionCache \\(Map\\): ` +
      'global → sessionCache → table → \\[\\d+\\] → Session @\\d+ \\(at file://.*checkleak\\.test\\.mjs:\\d+:\\d+\\)$',
  );
  assert.match(err.message, message);
  assert.ok(err.growth_per_iteration > 0.9 * each && err.growth_per_iteration < 2 * each, `${err.growth_per_iteration} for ${each}`);
  globalThis.sessionCache = null;
});

test('checkLeak() reports a leak with its growth per run, and awaits an async function', async () => {
  globalThis.jobQueue = [];
  let running = 0;
  let mostAtOnce = 0;
  let runs = 0;
  const leaky = async () => {
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    await new Promise((resolve) => setImmediate(resolve));
    globalThis.jobQueue.push(new QueuedJob(runs++));
    running--;
  };
  const r = await leakscope.checkLeak(leaky, { iterations: 40, warmup: 5 });
  assert.equal(runs, 85);
  assert.equal(mostAtOnce, 1, 'runs overlapped: a returned promise was not awaited');
  assert.deepEqual(Object.keys(r), ['leaked', 'growth_per_iteration', 'leaks']);
  assert.equal(r.leaked, true);
  assert.equal(r.leaks.length, 1, JSON.stringify(r.leaks.map((f) => f.class)));
  const [f] = r.leaks;
  assert.equal(f.class, 'QueuedJob');
  assert.equal(f.count, 40);
  assert.equal(f.holder, 'jobQueue');
  assert.deepEqual(f.counts, [null, 45, 85]);
  // What one QueuedJob retains, plus the array's slot for it (and its growth in steps).
  const each = f.retained_size / f.count;
  assert.ok(r.growth_per_iteration > each && r.growth_per_iteration < 1.5 * each, `${r.growth_per_iteration} for ${each}`);
  globalThis.jobQueue = null;
});

test('a function that allocates and drops, or fills a bounded cache, does not leak', async () => {
  let id = 0;
  const dropping = () => {
    const batch = [];
    for (let i = 0; i < 20; i++) batch.push(new Transient(id++));
    return batch.length;
  };
  const clean = await leakscope.checkLeak(dropping);
  assert.deepEqual(clean.leaks, []);
  assert.equal(clean.leaked, false);
  // Each run allocates 20 objects of about 1 kB; none stays, and compiled code is not counted.
  assert.ok(Math.abs(clean.growth_per_iteration) < 100, `${clean.growth_per_iteration}`);

  // Least recently used goes past 8 entries: full after the warm-up.
  const lru = new Map();
  const cached = () => {
    lru.set(id, new Transient(id++));
    if (lru.size > 8) lru.delete(lru.keys().next().value);
  };
  const result = await leakscope.assertNoLeak(cached);
  assert.deepEqual(result.leaks, []);
  assert.equal(lru.size, 8);
  assert.ok(Math.abs(result.growth_per_iteration) < 100, `${result.growth_per_iteration}`);
});

test('minSize leaves out smaller leaks; bad arguments and overlapping checks reject', async () => {
  globalThis.smallLeak = [];
  const small = () => {
    globalThis.smallLeak.push({ n: globalThis.smallLeak.length });
  };
  const found = await leakscope.checkLeak(small, { iterations: 50 });
  assert.equal(found.leaked, true);
  assert.equal(found.leaks[0].count, 50);
  const size = found.leaks[0].retained_size;
  assert.ok(size >= 1000 && size < 5000, `${size}`);
  const ignored = await leakscope.checkLeak(small, { iterations: 50, minSize: size + 1 });
  assert.deepEqual([ignored.leaked, ignored.leaks], [false, []]);
  globalThis.smallLeak = null;

  await assert.rejects(leakscope.checkLeak('nope'), { name: 'TypeError', message: /the first argument must be the function to test, got string/ });
  await assert.rejects(leakscope.assertNoLeak(() => {}, { iterations: 0 }), { name: 'TypeError', message: /iterations must be an integer of at least 1, got 0/ });
  await assert.rejects(leakscope.checkLeak(() => {}, { minSize: -1 }), { name: 'TypeError', message: /minSize must be a number of bytes/ });
  await assert.rejects(
    leakscope.checkLeak(() => {
      throw new Error('boom');
    }),
    /^Error: boom$/,
  );
  const first = leakscope.checkLeak(() => {}, { iterations: 5, warmup: 0 });
  await assert.rejects(leakscope.assertNoLeak(() => {}), /^Error: leakscope\.assertNoLeak: another check is running in this isolate; await it first$/);
  assert.equal((await first).leaked, false);
});

test('in a worker thread, while the main thread checks its own heap', async () => {
  const worker = new Worker(fixture('checkleak-worker.js'), { workerData: { iterations: 30 } });
  const fromWorker = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  globalThis.mainSessions = [];
  const main = await leakscope.checkLeak(() => globalThis.mainSessions.push(new Session(0)), { iterations: 30 });
  const m = await fromWorker;
  await worker.terminate();
  assert.equal(m.error, undefined, m.error);

  // Each isolate finds its own leak only.
  assert.deepEqual(main.leaks.map((f) => [f.class, f.count, f.holder]), [['Session', 30, 'mainSessions']]);
  assert.deepEqual(m.leak.leaks.map((f) => [f.class, f.count, f.holder]), [['WorkerSession', 30, 'workerSessions']]);
  assert.equal(m.leak.leaked, true);
  assert.ok(m.leak.growth_per_iteration > 1000, `${m.leak.growth_per_iteration}`);
  assert.deepEqual([m.noLeak.leaked, m.noLeak.leaks], [false, []]);
  assert.ok(Math.abs(m.noLeak.growth_per_iteration) < 100, `${m.noLeak.growth_per_iteration}`);
  assert.match(m.message, /^leak: 30 WorkerSession objects \(\d.* kB\) held by workerSessions \(Array\): global → workerSessions → \[\d+\] → WorkerSession @\d+ \(at .*checkleak-worker\.js:\d+:\d+\)$/);
  assert.equal(m.kept, 2 * (10 + 2 * 30));
  globalThis.mainSessions = null;
});
