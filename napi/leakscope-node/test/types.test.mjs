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

/** The member names declared in `interface|class NAME … { … }` (one level of braces). */
function members(kind, name) {
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
    const m = line.match(/^\s{4}(?:readonly\s+)?([A-Za-z_]\w*)\??(?:\(|:)/);
    if (m && m[1] !== 'constructor') names.add(m[1]);
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
