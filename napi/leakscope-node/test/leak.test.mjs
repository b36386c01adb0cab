// The `leak` event, on real programs: a steady 1 MB/s leak fires within 60 s; a cache that
// fills and levels off, and a sawtooth of temporary memory, never fire. The three programs run
// at once (they mostly sleep) so the file takes about a minute.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { fixture, runNode } from './helpers.mjs';

const LIMIT_S = 60;

describe('leak event', { concurrency: true }, () => {
  test('fires for a 1 MB/s leak within 60 s, with the evidence', async () => {
    const r = await runNode([fixture('workload.js'), 'leak', String(LIMIT_S), '--exit-on-leak'], {
      timeoutMs: (LIMIT_S + 30) * 1000,
    });
    assert.equal(r.code, 0, r.stderr);
    const leak = r.json.find((e) => e.event === 'leak');
    assert.ok(leak, `no leak event in ${LIMIT_S} s; last trend: ${JSON.stringify(r.json.at(-1))}`);
    assert.ok(leak.t < LIMIT_S, `${leak.t}`);
    const l = leak.leak;
    assert.deepEqual(
      Object.keys(l).sort(),
      ['baseline_end', 'baseline_start', 'confidence', 'end', 'growth', 'growth_bytes_per_hour', 'reason', 'samples', 'start', 'what'].sort(),
    );
    assert.equal(l.what, 'heap');
    // Dates, serialised: the window of baselines the decision used.
    const span = (Date.parse(l.end) - Date.parse(l.start)) / 1000;
    assert.ok(span >= 30 && span < LIMIT_S, `window of ${span} s`);
    // 1 MB/s is 3.6 GB/hour; the heap grows a bit faster than the payload (object headers,
    // the array holding them).
    assert.ok(l.growth_bytes_per_hour > 3.0e9 && l.growth_bytes_per_hour < 5.0e9, `${l.growth_bytes_per_hour}`);
    assert.ok(Math.abs(l.growth - (l.growth_bytes_per_hour * span) / 3600) < 0.2 * l.growth, `${l.growth} over ${span} s`);
    assert.ok(l.confidence > 0.99 && l.confidence <= 1, `${l.confidence}`);
    assert.match(l.reason, /^grew \d.* MB over \d+ samples in \d+ s: \d.* GB\/hour, steady \(p [<=] 0\.0\d+\)$/);
    // Every stats event before it has a growing baseline.
    const stats = r.json.filter((e) => e.event === 'stats').map((e) => e.stats);
    assert.ok(stats.length >= 6, `${stats.length} full GCs`);
    assert.ok(stats.at(-1).current_base - stats[0].current_base > 20e6);
  });

  test('fires for 1 MB/s of leaked Buffers, which barely move the heap, as external memory', async () => {
    const r = await runNode([fixture('workload.js'), 'buffers', String(LIMIT_S), '--exit-on-leak=external'], {
      timeoutMs: (LIMIT_S + 30) * 1000,
    });
    assert.equal(r.code, 0, r.stderr);
    const leak = r.json.find((e) => e.event === 'leak' && e.leak.what === 'external');
    assert.ok(leak, `no external leak event in ${LIMIT_S} s; last: ${JSON.stringify(r.json.at(-1))}`);
    const l = leak.leak;
    assert.ok(l.growth_bytes_per_hour > 3.0e9 && l.growth_bytes_per_hour < 4.5e9, `${l.growth_bytes_per_hour}`);
    assert.match(l.reason, /GB\/hour, steady/);
    const stats = r.json.filter((e) => e.event === 'stats').map((e) => e.stats);
    assert.ok(stats.at(-1).external - stats[0].external > 20e6, 'external memory grew');
  });

  test('does not fire for a 20 MB cache that fills and levels off', async () => {
    const r = await runNode([fixture('workload.js'), 'cache', String(LIMIT_S)], {
      timeoutMs: (LIMIT_S + 30) * 1000,
      env: { CACHE_MB: '20' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.filter((e) => e.event === 'leak'), []);
    const stats = r.json.filter((e) => e.event === 'stats').map((e) => e.stats);
    assert.ok(stats.length >= 6, `only ${stats.length} full GCs: the test saw too little`);
    // It did grow by the cache's size first: the detector had something to resist.
    assert.ok(Math.max(...stats.map((s) => s.current_base)) - stats[0].current_base > 10e6);
    const { trend } = r.json.at(-1);
    assert.equal(trend.verdict, 'no-leak', trend.reason);
  });

  test('does not fire for a sawtooth of temporary memory', async () => {
    const r = await runNode([fixture('workload.js'), 'sawtooth', String(LIMIT_S)], {
      timeoutMs: (LIMIT_S + 30) * 1000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.filter((e) => e.event === 'leak'), []);
    const bases = r.json.filter((e) => e.event === 'stats').map((e) => e.stats.current_base);
    assert.ok(bases.length >= 6, `only ${bases.length} full GCs: the test saw too little`);
    // The baselines really went up and down by megabytes.
    assert.ok(Math.max(...bases) - Math.min(...bases) > 4e6, bases.join(' '));
    const { trend } = r.json.at(-1);
    assert.equal(trend.verdict, 'no-leak', trend.reason);
  });
});
