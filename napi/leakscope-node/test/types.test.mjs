// index.d.ts is hand-written: every member it declares must exist on the module, and every
// function the module has must be declared. (tsc itself is not available offline.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';

import { packageDir } from './helpers.mjs';

const require = createRequire(import.meta.url);
const leakscope = require('..');
const dts = readFileSync(join(packageDir, 'index.d.ts'), 'utf8');

/**
 * The member names declared in `interface|class NAME … { … }` (one level of braces); with
 * `optional`, only those declared `name?:`.
 */
function members(kind, name, { optional = false } = {}) {
  const start = dts.indexOf(`${kind} ${name} `);
  assert.ok(start >= 0, `${kind} ${name} is not declared`);
  let depth = 0;
  let body = '';
  for (let i = dts.indexOf('{', start); i < dts.length; i++) {
    if (dts[i] === '{') depth++;
    if (dts[i] === '}') depth--;
    body += dts[i];
    if (depth === 0) break;
  }
  const names = new Set();
  for (const line of body.split('\n')) {
    const m = line.match(/^\s{4}(?:readonly\s+)?([A-Za-z_]\w*)(\??)(?:\(|:)/);
    if (m && m[1] !== 'constructor' && (!optional || m[2])) names.add(m[1]);
  }
  return [...names];
}

test('every member of the Leakscope interface exists on the module', () => {
  const declared = members('interface', 'Leakscope');
  assert.ok(declared.length > 10, declared.join(', '));
  for (const name of declared) assert.ok(leakscope[name] !== undefined, `${name} is declared but missing`);
  const proto = Object.getPrototypeOf(leakscope);
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name !== 'constructor' && typeof proto[name] === 'function') assert.ok(declared.includes(name), `${name} is not declared`);
  }
});

test('the classes and event payloads are declared with the fields the module produces', async () => {
  const parser = new leakscope.SnapshotParser();
  for (const name of members('class', 'SnapshotParser')) assert.ok(name in parser, `SnapshotParser.${name}`);
  const snap = leakscope.takeSnapshot();
  for (const name of members('class', 'HeapSnapshot')) assert.ok(name in snap, `HeapSnapshot.${name}`);
  assert.deepEqual(members('interface', 'Trend').sort(), Object.keys(leakscope.trend()).sort());
  const [row] = await snap.summary();
  assert.deepEqual(members('interface', 'ClassSummary').sort(), Object.keys(row).sort());
  const stats = await new Promise((resolve) => {
    leakscope.once('stats', resolve);
    leakscope.gc();
  });
  assert.deepEqual(members('interface', 'Stats').sort(), Object.keys(stats).sort());
  // The Leak payload's fields are the Rust report's; the leak test checks the live event.
  assert.deepEqual(members('interface', 'Leak').sort(), ['baseline_end', 'baseline_start', 'confidence', 'end', 'growth', 'growth_bytes_per_hour', 'reason', 'samples', 'start', 'what']);
});

class TypesPlanted {
  constructor() {
    this.payload = new Array(100).fill(0.5);
  }
}

test('HeapDiff, checkLeak() and their results are declared with the fields they produce', async () => {
  globalThis.typesKept = [];
  const hd = new leakscope.HeapDiff();
  for (const name of members('class', 'HeapDiff')) assert.equal(typeof hd[name], 'function', `HeapDiff.${name}`);
  for (let i = 0; i < 100; i++) globalThis.typesKept.push(new TypesPlanted());
  const diff = hd.end();
  assert.deepEqual(members('interface', 'HeapDiffResult').sort(), Object.keys(diff).sort());
  assert.deepEqual(members('interface', 'HeapDiffTotals').sort(), Object.keys(diff.before).sort());
  const detail = diff.change.details.find((d) => d.what === 'TypesPlanted');
  // `'+'` and `'-'` are quoted in the declaration.
  assert.deepEqual([...members('interface', 'HeapDiffDetail'), '+', '-'].sort(), Object.keys(detail).sort());
  assert.deepEqual(members('interface', 'RetainerStep').sort(), Object.keys(detail.retainer_path[0]).sort());

  const leaky = () => globalThis.typesKept.push(new TypesPlanted());
  const r = await leakscope.checkLeak(leaky, { iterations: 20, warmup: 2 });
  assert.deepEqual(members('interface', 'CheckLeakResult').sort(), Object.keys(r).sort());
  const [f] = r.leaks;
  const required = members('interface', 'LeakFinding').filter((m) => !members('interface', 'LeakFinding', { optional: true }).includes(m));
  // A class's finding, alone in its array: no function name, nothing else in the container.
  assert.deepEqual(required.sort(), Object.keys(f).sort());
  assert.deepEqual(members('interface', 'LeakFinding', { optional: true }).sort(), ['also', 'name']);
  assert.deepEqual(members('interface', 'ObjectView').sort(), Object.keys(f.example).sort());
  assert.deepEqual(members('interface', 'CheckLeakOptions').sort(), ['iterations', 'minSize', 'warmup']);

  const err = await leakscope.assertNoLeak(leaky, { iterations: 20, warmup: 2 }).catch((e) => e);
  assert.ok(err instanceof Error);
  for (const name of members('interface', 'LeakError')) assert.ok(name in err, `LeakError.${name}`);
  globalThis.typesKept = null;
});
