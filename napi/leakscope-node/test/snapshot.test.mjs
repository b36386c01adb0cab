// Heap snapshots: taken in-process, streamed into the Rust parser, written like heapdump, and
// on a signal. Each test plants objects of a class of its own and counts them in the snapshot.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';

import { runNode, scratch } from './helpers.mjs';

const require = createRequire(import.meta.url);
const leakscope = require('..');
const packagePath = JSON.stringify(require.resolve('..'));

class PlantedSync {}
class PlantedAsync {}
class PlantedFile {}

test('takeSnapshot() parses this heap in Rust and finds the planted objects', () => {
  globalThis.plantedSync = Array.from({ length: 1234 }, () => new PlantedSync());
  const snap = leakscope.takeSnapshot();
  assert.equal(snap.countObjects('PlantedSync'), 1234);
  assert.equal(snap.countObjects('NoSuchClass'), 0);
  assert.ok(snap.nodeCount > 10_000 && snap.edgeCount > snap.nodeCount, `${snap.nodeCount} ${snap.edgeCount}`);
  assert.ok(snap.totalSize > 1e6);
  assert.ok(snap.jsonBytes > 1e6);
  assert.ok(snap.maxObjectId % 2 === 1);
  globalThis.plantedSync = null;
});

test('takeSnapshotAsync() resolves with the same snapshot, parsed off the event loop', async () => {
  globalThis.plantedAsync = Array.from({ length: 777 }, () => new PlantedAsync());
  const pending = leakscope.takeSnapshotAsync();
  assert.ok(pending instanceof Promise);
  const snap = await pending;
  assert.equal(snap.countObjects('PlantedAsync'), 777);
  const later = await leakscope.takeSnapshotAsync();
  assert.ok(later.maxObjectId >= snap.maxObjectId, 'ids grow between snapshots of one isolate');
  globalThis.plantedAsync = null;
});

class SummaryPlanted {
  constructor() {
    this.payload = new Array(1250).fill(1.5);
  }
}

test('summary() is the class census of leakscope summary, with exact retained sizes', async () => {
  globalThis.summaryHolder = Array.from({ length: 1000 }, () => new SummaryPlanted());
  const rows = await leakscope.takeSnapshot().summary();
  globalThis.summaryHolder = null;
  const row = rows.find((r) => r.class === 'SummaryPlanted');
  // Each object: itself (map, properties, elements, one field: 32 bytes), its Array (32) and
  // the array's 1250 doubles (16 + 10 000), which only it holds.
  assert.deepEqual(row, { class: 'SummaryPlanted', count: 1000, shallow_size: 32_000, retained_size: 10_080_000, distance: 3 });
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].retained_size >= rows[i].retained_size, 'largest retained first');
  assert.equal(rows.filter((r) => r.class === 'SummaryPlanted').length, 1);
});

test('writeSnapshot() writes a file that readSnapshot() and the chunked parser both read', async (t) => {
  const dir = scratch(t);
  globalThis.plantedFile = Array.from({ length: 4321 }, () => new PlantedFile());
  const file = join(dir, 'app.heapsnapshot');
  assert.equal(leakscope.writeSnapshot(file), file);
  const fromFile = await leakscope.readSnapshot(file);
  assert.equal(fromFile.countObjects('PlantedFile'), 4321);

  // The same bytes pushed in odd-sized pieces: chunk boundaries fall anywhere.
  const bytes = readFileSync(file);
  const parser = new leakscope.SnapshotParser();
  for (let at = 0; at < bytes.length; at += 9973) parser.push(bytes.subarray(at, at + 9973));
  assert.equal(parser.bytes, bytes.length);
  const chunked = parser.finishSync();
  assert.equal(chunked.nodeCount, fromFile.nodeCount);
  assert.equal(chunked.edgeCount, fromFile.edgeCount);
  assert.equal(chunked.countObjects('PlantedFile'), 4321);

  await new Promise((resolve, reject) => {
    leakscope.writeSnapshot(join(dir, 'cb.heapsnapshot'), (err, written) => {
      if (err) reject(err);
      else resolve(assert.equal(written, join(dir, 'cb.heapsnapshot')));
    });
  });
  globalThis.plantedFile = null;
});

test('writeSnapshot() without a name uses heapdump\'s, in the current directory', async (t) => {
  const dir = scratch(t);
  const r = await runNode(['-e', `console.log(JSON.stringify({ file: require(${packagePath}).writeSnapshot() }))`], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const [{ file }] = r.json;
  const name = file.slice(dir.length + 1);
  assert.match(name, /^heapdump-\d+\.\d{6}\.heapsnapshot$/);
  assert.deepEqual(readdirSync(dir), [name]);
});

test('writeSnapshot() into a missing directory says so', (t) => {
  const target = join(scratch(t), 'missing', 'x.heapsnapshot');
  assert.throws(() => leakscope.writeSnapshot(target), (err) => err.message.startsWith(`leakscope.writeSnapshot: cannot write ${target}: `));
  let got;
  assert.equal(leakscope.writeSnapshot(target, (err) => (got = err)), undefined);
  assert.match(got.message, /^leakscope\.writeSnapshot: cannot write /);
});

test('snapshotOnSignal() writes a snapshot when SIGUSR2 arrives, and not before', async (t) => {
  const dir = scratch(t);
  const script = `
    const l = require(${packagePath});
    class SignalPlanted {}
    globalThis.kept = Array.from({ length: 555 }, () => new SignalPlanted());
    l.on('snapshot', (file) => { console.log(JSON.stringify({ file })); clearTimeout(wait); });
    l.snapshotOnSignal('SIGUSR2', { directory: ${JSON.stringify(dir)} });
    const wait = setTimeout(() => {}, 20000);
    console.log(JSON.stringify({ ready: true }));`;
  const r = await runNode(['-e', script], {
    onLine: (line, child) => {
      if (line.includes('"ready"')) {
        assert.deepEqual(readdirSync(dir), []);
        child.kill('SIGUSR2');
      }
    },
  });
  assert.equal(r.code, 0, r.stderr);
  const { file } = r.json.find((e) => e.file);
  assert.ok(file.startsWith(dir) && existsSync(file));
  assert.equal((await leakscope.readSnapshot(file)).countObjects('SignalPlanted'), 555);
});

test('a snapshot on signal that cannot be written is a warning, not a crash', async (t) => {
  const missing = join(scratch(t), 'missing');
  const script = `
    const l = require(${packagePath});
    l.snapshotOnSignal('SIGUSR2', { directory: ${JSON.stringify(missing)} });
    const keep = setInterval(() => {}, 1000);
    process.on('warning', () => setTimeout(() => {
      console.log(JSON.stringify({ alive: true }));
      clearInterval(keep);
    }, 50));
    console.log(JSON.stringify({ ready: true }));`;
  const r = await runNode(['-e', script], {
    onLine: (line, child) => {
      if (line.includes('"ready"')) child.kill('SIGUSR2');
    },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json, [{ ready: true }, { alive: true }]);
  assert.match(r.stderr, /LeakscopeWarning: leakscope\.writeSnapshot: cannot write .*missing\/heapdump-/);
});

test('snapshotOnSignal() refuses SIGUSR1 and returns a remover', () => {
  assert.throws(() => leakscope.snapshotOnSignal('SIGUSR1'), /SIGUSR1 is Node's inspector signal/);
  const before = process.listenerCount('SIGUSR2');
  const remove = leakscope.snapshotOnSignal();
  assert.equal(process.listenerCount('SIGUSR2'), before + 1);
  remove();
  assert.equal(process.listenerCount('SIGUSR2'), before);
});

test('the parser rejects bad input with a clear error and refuses misuse', async (t) => {
  const parser = new leakscope.SnapshotParser();
  parser.push(Buffer.from('{"snapshot": {"meta": 12'));
  await assert.rejects(parser.finish(), /^Error: cannot read the heap snapshot: /);
  assert.throws(() => parser.push(Buffer.from('x')), /push\(\) after finish\(\)/);
  assert.throws(() => parser.finishSync(), /finish\(\) called twice/);

  const empty = new leakscope.SnapshotParser();
  assert.throws(() => empty.finishSync(), /cannot read the heap snapshot: /);

  const notSnapshot = join(scratch(t), 'x.heapsnapshot');
  writeFileSync(notSnapshot, '[1, 2, 3]');
  await assert.rejects(leakscope.readSnapshot(notSnapshot), new RegExp(`cannot read heap snapshot ${notSnapshot}: `));
  await assert.rejects(leakscope.readSnapshot('/no/such/file.heapsnapshot'), /^Error: cannot read \/no\/such\/file\.heapsnapshot: No such file/);
});
