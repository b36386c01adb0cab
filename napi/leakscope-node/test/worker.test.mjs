// Worker threads: every isolate loads its own copy of the addon, with its own statistics and
// its own heap (memwatch's addon could not load in a second thread at all).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

import { fixture } from './helpers.mjs';

const require = createRequire(import.meta.url);
const leakscope = require('..');

class MainPlanted {}

function runProbe(plant) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(fixture('worker-probe.js'), { workerData: { plant } });
    worker.once('message', (m) => {
      worker.terminate().then(() => resolve(m), reject);
    });
    worker.once('error', reject);
  });
}

test('two workers at once: own stats, own heap, no signals', async () => {
  globalThis.mainPlanted = Array.from({ length: 99 }, () => new MainPlanted());
  let mainFullGcs = 0;
  const onMainStats = () => mainFullGcs++;
  leakscope.on('stats', onMainStats);
  leakscope.gc();
  leakscope.gc();

  const [a, b] = await Promise.all([runProbe(111), runProbe(222)]);
  for (const [m, planted] of [[a, 111], [b, 222]]) {
    // Each isolate counts its own GCs from zero.
    assert.deepEqual(m.stats.map((s) => s.num_full_gc), [1, 2, 3]);
    assert.ok(m.stats.every((s) => s.current_base > 0 && s.heap_size_limit > 0));
    // Its snapshot is of its own heap.
    assert.equal(m.workerPlanted, planted);
    assert.equal(m.mainPlanted, 0);
    assert.match(m.signalError, /signals reach only the main thread/);
  }
  assert.notEqual(a.threadId, b.threadId);

  await new Promise((r) => setTimeout(r, 50));
  leakscope.removeListener('stats', onMainStats);
  // The workers' six forced GCs did not show up here (V8 may have run one of its own).
  assert.ok(mainFullGcs >= 2 && mainFullGcs < 8, `${mainFullGcs}`);
  const main = leakscope.takeSnapshot();
  assert.equal(main.countObjects('MainPlanted'), 99);
  assert.equal(main.countObjects('WorkerPlanted'), 0);
  globalThis.mainPlanted = null;
});
