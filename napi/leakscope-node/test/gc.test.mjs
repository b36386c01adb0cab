// gc(): a full, synchronous GC without --expose-gc (this test process has no such flag).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';

import { runNode } from './helpers.mjs';

const require = createRequire(import.meta.url);
const leakscope = require('..');

test('gc() frees old-generation garbage synchronously, without --expose-gc', () => {
  assert.equal(process.execArgv.includes('--expose-gc'), false);
  assert.equal(typeof globalThis.gc, 'undefined');
  leakscope.gc();
  const empty = v8.getHeapStatistics().used_heap_size;
  // 30 MB that survives a few scavenges (so it reaches the old generation), then dropped.
  globalThis.garbage = Array.from({ length: 3000 }, (_, i) => new Array(1250).fill(i + 0.5));
  for (let i = 0; i < 3; i++) globalThis.sink = Array.from({ length: 1e5 }, (_, j) => ({ j }));
  globalThis.garbage = null;
  const full = v8.getHeapStatistics().used_heap_size;
  assert.ok(full - empty > 25e6, `${empty} -> ${full}`);
  leakscope.gc();
  const after = v8.getHeapStatistics().used_heap_size;
  assert.ok(full - after > 25e6, `gc() freed only ${full - after} bytes`);
});

test('gc() leaves no `gc` global behind, here or in new contexts', () => {
  leakscope.gc();
  assert.equal(typeof globalThis.gc, 'undefined');
  assert.equal(vm.runInNewContext('typeof gc'), 'undefined');
});

test('gc() uses the real one when node runs with --expose-gc', async () => {
  const script = `
    const l = require(${JSON.stringify(require.resolve('..'))});
    let calls = 0; const real = globalThis.gc; globalThis.gc = (...a) => { calls++; return real(...a); };
    l.gc(); l.gc();
    console.log(JSON.stringify({ calls }));`;
  const r = await runNode(['--expose-gc', '-e', script]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json, [{ calls: 2 }]);
});
