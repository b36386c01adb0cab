// The addon is N-API: one build loads in every Node the project supports. LEAKSCOPE_TEST_NODES
// (set by `cargo xtask ci`) lists extra node binaries; each runs the package's main paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fixture, runNode } from './helpers.mjs';

const nodes = (process.env.LEAKSCOPE_TEST_NODES ?? '').split(':').filter(Boolean);

test('the package works on every Node in LEAKSCOPE_TEST_NODES', { skip: nodes.length === 0 && 'LEAKSCOPE_TEST_NODES is not set' }, async () => {
  for (const node of [process.execPath, ...nodes]) {
    const r = await runNode([fixture('node-probe.js')], { node });
    assert.equal(r.code, 0, `${node}: ${r.stderr}`);
    const [out] = r.json;
    assert.equal(out.stats.num_full_gc, 1, node);
    assert.ok(out.stats.current_base > 0 && out.stats.rss > out.stats.current_base, node);
    assert.equal(out.sync, 2468, node);
    assert.equal(out.async, 2468, node);
    assert.equal(out.gcGlobal, 'undefined', node);
    assert.deepEqual(out.inWorker.stats.map((s) => s.num_full_gc), [1, 2, 3], node);
    assert.equal(out.inWorker.workerPlanted, 42, node);
    assert.equal(out.inWorker.mainPlanted, 0, node);
    assert.deepEqual(out.heapDiff, { sync: [321, 0], async: [123, 0] }, node);
    assert.deepEqual(out.checkLeak, { leaked: true, leaks: [['ProbeLeaked', 20, 'probeLeaks']] }, node);
  }
});
