'use strict';
// leakscope for Node.js: memwatch's API in-process, backed by Rust.
//
// N-API has no GC callbacks, so the data comes from Node's own built-ins (perf_hooks GC entries,
// v8.getHeapStatistics, v8.getHeapSnapshot) and the decisions from the addon, which runs the
// same Rust code as the `leakscope` command line. Everything here is per isolate: the main
// thread and each worker load their own copy with their own statistics.

const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const path = require('node:path');
const { PerformanceObserver, performance, constants: perf } = require('node:perf_hooks');
const v8 = require('node:v8');
const vm = require('node:vm');
const { isMainThread, threadId } = require('node:worker_threads');

const native = loadAddon();

const FULL_GC = perf.NODE_PERFORMANCE_GC_MAJOR;
const FORCED_GC = perf.NODE_PERFORMANCE_GC_FLAGS_FORCED;
/** Heap spaces that hold young objects: allocated since the last GC, not part of the baseline. */
const YOUNG_SPACES = new Set(['new_space', 'new_large_object_space']);

function loadAddon() {
  const file = path.join(__dirname, 'leakscope.node');
  try {
    return require(file);
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND' || !fs.existsSync(file)) {
      const hint = `run \`npm run build\` in ${__dirname} (it builds the addon with cargo)`;
      throw new Error(`leakscope: the native addon ${file} is not built; ${hint}`);
    }
    throw err;
  }
}

let gcFunction;
/**
 * One queue per observing monitor: the heap read right after each forced GC. GC entries
 * arrive later, after code that may have allocated a lot, so a forced GC's stats use this
 * exact reading.
 */
const forcedReadingQueues = new Set();
const MAX_FORCED_READINGS = 64;

/**
 * While someone listens to `leak`, a full GC is forced when V8 has run none for this long:
 * baselines only come from full GCs, and V8 may run none for minutes in a process whose
 * garbage dies young. Never more often than every GC_BUDGET pauses (about 1 % of the time).
 */
const DEFAULT_GC_EVERY_S = 5;
const GC_BUDGET = 100;
const PAUSES_KEPT = 9;

/**
 * A full, synchronous garbage collection, with or without --expose-gc.
 *
 * Without the flag, V8 still makes `gc` available to contexts created while --expose-gc is set:
 * set it, create one context, and unset it again so no other context sees `gc`.
 */
function gc() {
  if (!gcFunction) {
    if (typeof globalThis.gc === 'function') {
      gcFunction = globalThis.gc;
    } else {
      v8.setFlagsFromString('--expose-gc');
      try {
        gcFunction = vm.runInNewContext('gc');
      } finally {
        v8.setFlagsFromString('--no-expose-gc');
      }
    }
  }
  gcFunction();
  if (forcedReadingQueues.size) {
    const reading = heapAfterGc();
    for (const queue of forcedReadingQueues) if (queue.length < MAX_FORCED_READINGS) queue.push(reading);
    // Node hands GC entries over on an unref'd native immediate, which waits for the next
    // wake-up of an idle loop; a ref'd immediate is that wake-up, so `stats` comes promptly.
    setImmediate(noop);
  }
}

function noop() {}

/** heapdump's file name: `heapdump-<seconds>.<microseconds>.heapsnapshot` (monotonic clock). */
function heapdumpName() {
  const [s, ns] = process.hrtime();
  const worker = isMainThread ? '' : `.worker${threadId}`;
  return `heapdump-${s}.${String(Math.floor(ns / 1000)).padStart(6, '0')}${worker}.heapsnapshot`;
}

/**
 * Writes a heap snapshot to `file` (default: heapdump's name in the current directory) and
 * returns its path. Synchronous: the isolate pauses while V8 takes and writes the snapshot.
 * With a callback (heapdump's form), errors go to it instead of being thrown.
 */
function writeSnapshot(file, callback) {
  if (typeof file === 'function') {
    callback = file;
    file = undefined;
  }
  const target = path.resolve(file ?? heapdumpName());
  let written;
  try {
    written = v8.writeHeapSnapshot(target);
  } catch (err) {
    const wrapped = new Error(`leakscope.writeSnapshot: cannot write ${target}: ${err.message}`, { cause: err });
    if (callback) {
      callback(wrapped);
      return undefined;
    }
    throw wrapped;
  }
  if (callback) callback(null, written);
  return written;
}

/**
 * Pushes a heap snapshot of this isolate into `parser`. On every Node we support,
 * `getHeapSnapshot()` serialises synchronously inside the first read, so the JSON is all
 * pushed when this returns `null`. If a Node ever streams lazily, the stream is returned with
 * the rest still to come. (Reading synchronously also matters on Node 18, where waiting for the
 * stream's events does not keep the event loop alive.)
 */
function pushSnapshot(parser) {
  const stream = v8.getHeapSnapshot();
  let chunk;
  // 64 KiB reads hand over V8's own chunks without concatenating them.
  while ((chunk = stream.read(65536)) !== null) parser.push(chunk);
  const state = stream._readableState;
  return state && !state.ended ? stream : null;
}

/**
 * Takes a heap snapshot of this isolate and hands it to a new parser, which goes on parsing
 * on a thread of its own. Synchronous, so it throws on a Node that streams snapshots lazily
 * (none we support does): `caller` and `instead` name the call and its asynchronous form.
 */
function startSnapshot(caller, instead) {
  const parser = new native.SnapshotParser();
  const rest = pushSnapshot(parser);
  if (rest) {
    rest.destroy();
    throw new Error(`${caller}: this Node streams heap snapshots lazily; use ${instead}`);
  }
  return parser;
}

/** startSnapshot() for callers that can wait for a lazily streamed rest. */
async function startSnapshotAsync(parser = new native.SnapshotParser()) {
  const rest = pushSnapshot(parser);
  if (rest) for await (const chunk of rest) parser.push(chunk);
  return parser;
}

/**
 * Takes a heap snapshot of this isolate and parses it in Rust. The isolate pauses while V8
 * takes the snapshot and then while the parser finishes; see takeSnapshotAsync().
 */
function takeSnapshot() {
  return startSnapshot('leakscope.takeSnapshot', 'takeSnapshotAsync()').finishSync();
}

/**
 * Takes a heap snapshot of this isolate; the promise resolves when Rust has parsed it. The
 * isolate pauses only while V8 takes and serialises the snapshot (that part cannot be avoided:
 * V8 walks the heap on the isolate's thread); parsing runs on a thread of its own.
 */
async function takeSnapshotAsync() {
  return (await startSnapshotAsync()).finish();
}

/** Reads a `.heapsnapshot` file (plain or gzip) off the event loop. */
function readSnapshot(file) {
  return native.readSnapshot(path.resolve(file));
}

/** memwatch's words, kept so that code matching on them still does. */
const HEAPDIFF_ENDED = 'attempt to end() a HeapDiff that was already ended';

/**
 * memwatch's HeapDiff: a heap snapshot of this isolate now, another at `end()`, compared in
 * Rust. The constructor pauses the isolate only while V8 takes the snapshot, which is parsed
 * on a thread of its own meanwhile; nothing but the (small) result is ever `JSON.parse`d.
 */
class HeapDiff {
  /** The parser fed the first snapshot; null once ended. */
  #before;

  constructor() {
    this.#before = startSnapshot('leakscope.HeapDiff', 'takeSnapshotAsync()');
  }

  /**
   * Takes the second snapshot and returns memwatch's result, each detail with the
   * `retained_size` and `retainer_path` of what it added. Synchronous: the isolate also waits
   * for the parse and the diff; endAsync() does not.
   */
  end() {
    const before = this.#take();
    const after = startSnapshot('leakscope.HeapDiff.end', 'endAsync()');
    return JSON.parse(native.memwatchDiff(before, after));
  }

  /** end(), with the parse and the diff on the libuv thread pool. */
  async endAsync() {
    const before = this.#take();
    const after = await startSnapshotAsync();
    return JSON.parse(await native.memwatchDiffAsync(before, after));
  }

  #take() {
    const before = this.#before;
    if (!before) throw new Error(HEAPDIFF_ENDED);
    this.#before = null;
    return before;
  }
}

/**
 * checkLeak()'s defaults. 100 iterations put at least 100 objects of any leak in the window;
 * 10 warm-up runs fill what a first call fills once (lazy compilation, module caches,
 * memoised values). 1 kB over 100 runs is 10 bytes a run: one leaked object per run, however
 * small, is reported, while a single object V8 made once along the way (an allocation site
 * of tens of bytes) is not.
 */
const CHECK_DEFAULTS = { iterations: 100, warmup: 10, minSize: 1000 };

function checkOptions(caller, fn, options) {
  if (typeof fn !== 'function') throw new TypeError(`${caller}: the first argument must be the function to test, got ${typeof fn}`);
  const o = {};
  for (const [name, value] of Object.entries(CHECK_DEFAULTS)) o[name] = options?.[name] ?? value;
  for (const [name, least] of [['iterations', 1], ['warmup', 0]]) {
    if (!Number.isSafeInteger(o[name]) || o[name] < least) {
      throw new TypeError(`${caller}: ${name} must be an integer of at least ${least}, got ${o[name]}`);
    }
  }
  if (typeof o.minSize !== 'number' || !(o.minSize >= 0) || !Number.isFinite(o.minSize)) {
    throw new TypeError(`${caller}: minSize must be a number of bytes (0 or more), got ${o.minSize}`);
  }
  return o;
}

/** Runs `fn` `times` times, one after the other, awaiting it when it returns a promise. */
async function repeat(fn, times) {
  for (let i = 0; i < times; i++) {
    const r = fn();
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') await r;
  }
}

/** Taken at load: a test's fake timers must not stop checkLeak(). */
const realSetImmediate = setImmediate;

/**
 * Lets the event loop turn once, then forces a full GC: callbacks queued by the last run of
 * `fn` and by the last snapshot's stream (process.nextTick, which a loop of synchronous runs
 * never reaches) run and let go of what they hold before the next snapshot.
 */
async function settle() {
  await new Promise(realSetImmediate);
  gc();
}

/** checkLeak() and assertNoLeak(): the result, and one line for people per leak. */
async function runCheck(caller, fn, options) {
  const { iterations, warmup, minSize } = checkOptions(caller, fn, options);
  if (checking) {
    // Its runs would land in this one's windows, and this one's in its.
    throw new Error(`${caller}: another check is running in this isolate; await it first`);
  }
  checking = true;
  try {
    return await threeSnapshots(fn, iterations, warmup, minSize);
  } finally {
    checking = false;
  }
}

/** Whether a check is running in this isolate. */
let checking = false;

/**
 * The three-snapshot technique on `fn`: warm up, full GC, S1; `iterations` runs, GC, S2;
 * `iterations` more, GC, S3; then `leakscope leaks`' finder on the libuv thread pool. What
 * the runs between S1 and S2 allocated and S3 still holds, in groups that keep growing, is a
 * leak.
 */
async function threeSnapshots(fn, iterations, warmup, minSize) {
  // Made before S1, so that S1 has them too: they are not something `fn` allocated.
  const [s1, s2, s3] = [0, 1, 2].map(() => new native.SnapshotParser());
  await repeat(fn, warmup);
  await settle();
  await startSnapshotAsync(s1);
  await repeat(fn, iterations);
  await settle();
  await startSnapshotAsync(s2);
  await repeat(fn, iterations);
  await settle();
  await startSnapshotAsync(s3);
  const found = JSON.parse(await native.findLeaksAsync(s1, s2, s3, { minSize }));
  const [, second, third] = found.heap_sizes;
  const result = {
    leaked: found.report.leaks.length > 0,
    // Every live object's own size but compiled code's, summed: from S2 to S3, per run.
    growth_per_iteration: (third - second) / iterations,
    leaks: found.report.leaks,
  };
  return { result, culprits: found.culprits };
}

function checkLeak(fn, options) {
  return runCheck('leakscope.checkLeak', fn, options).then(({ result }) => result);
}

/** Shown in the message of assertNoLeak()'s error; the rest are in `err.leaks`. */
const CULPRITS_SHOWN = 3;

async function assertNoLeak(fn, options) {
  const { result, culprits } = await runCheck('leakscope.assertNoLeak', fn, options);
  if (!result.leaked) return result;
  const lines = culprits.slice(0, CULPRITS_SHOWN).map((c) => `leak: ${c}`);
  if (culprits.length > CULPRITS_SHOWN) lines.push(`… and ${culprits.length - CULPRITS_SHOWN} more (err.leaks)`);
  const err = new Error(lines.join('\n'));
  err.leaks = result.leaks;
  err.growth_per_iteration = result.growth_per_iteration;
  throw err;
}

/** Heap figures right after a full GC, read in the observer callback. */
function heapAfterGc() {
  const h = v8.getHeapStatistics();
  // The callback runs a little after the GC; objects allocated since then sit in the young
  // spaces and are not part of the post-GC baseline.
  let young = 0;
  for (const s of v8.getHeapSpaceStatistics()) {
    if (YOUNG_SPACES.has(s.space_name)) young += s.space_used_size;
  }
  return {
    used: h.used_heap_size,
    baseline: Math.max(0, h.used_heap_size - young),
    limit: h.heap_size_limit,
    external: h.external_memory ?? process.memoryUsage().external,
  };
}

function leakEvent(report) {
  return {
    what: report.what,
    start: new Date(report.startMs),
    end: new Date(report.endMs),
    growth: report.growth,
    growth_bytes_per_hour: report.growth_bytes_per_hour,
    confidence: report.confidence,
    reason: report.reason,
    samples: report.samples,
    baseline_start: report.baseline_start,
    baseline_end: report.baseline_end,
  };
}

/**
 * The module: an EventEmitter like memwatch's. Listening to `stats` or `leak` starts a GC
 * observer for this isolate; removing the last such listener (or `stop()`) ends it. The
 * observer never keeps the process alive.
 */
class Leakscope extends EventEmitter {
  #monitor;
  #observer = null;
  #forcedReadings = [];
  #gcEveryS = DEFAULT_GC_EVERY_S;
  #sampler = null;
  /** performance.now() at the end of the last full GC seen. */
  #lastFullGc = performance.now();
  /** The last few forced GCs' pauses, in ms. */
  #forcedPauses = [];

  constructor() {
    super();
    this.#monitor = new native.GcMonitor();
    this.on('newListener', (event) => {
      if (event === 'stats' || event === 'leak') this.start();
      // The listener is added after this event: schedule once it is there.
      if (event === 'leak') queueMicrotask(() => this.#scheduleSample());
    });
    this.on('removeListener', (event) => {
      if ((event === 'stats' || event === 'leak') && this.listenerCount('stats') + this.listenerCount('leak') === 0) {
        this.stop();
      }
      if (event === 'leak' && this.listenerCount('leak') === 0) this.#stopSampling();
    });
  }

  /** Starts observing GCs (done for you by `on('stats' | 'leak', …)`). */
  start() {
    if (this.#observer) return this;
    this.#observer = new PerformanceObserver((list) => this.#onGcEntries(list.getEntries()));
    this.#observer.observe({ entryTypes: ['gc'] });
    forcedReadingQueues.add(this.#forcedReadings);
    this.#scheduleSample();
    return this;
  }

  /** Stops observing GCs; statistics so far are kept. */
  stop() {
    if (this.#observer) {
      this.#observer.disconnect();
      this.#observer = null;
    }
    forcedReadingQueues.delete(this.#forcedReadings);
    this.#forcedReadings.length = 0;
    this.#stopSampling();
    return this;
  }

  /**
   * Changes what counts as a leak (windowSeconds, minSamples, minSpanSeconds,
   * minBytesPerHour, alpha) and how often a full GC may be forced for a baseline
   * (gcEverySeconds, 0 for never), and starts the statistics afresh.
   */
  configure(options = {}) {
    const { gcEverySeconds = DEFAULT_GC_EVERY_S, ...leak } = options;
    if (typeof gcEverySeconds !== 'number' || !(gcEverySeconds >= 0) || !Number.isFinite(gcEverySeconds)) {
      throw new TypeError(`leakscope.configure: gcEverySeconds must be a number of seconds (0 for never), got ${gcEverySeconds}`);
    }
    this.#monitor = new native.GcMonitor(leak);
    this.#gcEveryS = gcEverySeconds;
    this.#stopSampling();
    this.#scheduleSample();
    return this;
  }

  /** Forces a full GC when none happened for a while, while someone listens to `leak`. */
  #scheduleSample() {
    if (this.#sampler || !this.#observer || this.#gcEveryS === 0 || this.listenerCount('leak') === 0) return;
    const pauses = [...this.#forcedPauses].sort((a, b) => a - b);
    const budgetMs = pauses.length ? GC_BUDGET * pauses[pauses.length >> 1] : 0;
    const everyMs = Math.max(this.#gcEveryS * 1000, budgetMs);
    const dueIn = this.#lastFullGc + everyMs - performance.now();
    this.#sampler = setTimeout(() => {
      this.#sampler = null;
      if (performance.now() - this.#lastFullGc >= everyMs - 1) {
        gc();
        // Its entry arrives later; do not count from the GC before it meanwhile.
        this.#lastFullGc = performance.now();
      }
      this.#scheduleSample();
    }, Math.max(0, dueIn));
    this.#sampler.unref();
  }

  #stopSampling() {
    clearTimeout(this.#sampler);
    this.#sampler = null;
  }

  /** The leak statistic's current verdict over the window of `what` ('heap' or 'external'). */
  trend(what = 'heap') {
    return this.#monitor.trend(what);
  }

  #onGcEntries(entries) {
    let minor = 0;
    const full = [];
    for (const entry of entries) {
      const { kind, flags } = entry.detail ?? entry;
      if (kind === FULL_GC) full.push({ entry, forced: (flags & FORCED_GC) !== 0 });
      else minor += 1;
    }
    if (minor) this.#monitor.recordMinor(minor);
    if (full.length === 0) return;
    const now = heapAfterGc();
    const rss = process.memoryUsage.rss();
    for (const { entry, forced } of full) {
      this.#lastFullGc = Math.max(this.#lastFullGc, entry.startTime + entry.duration);
      if (forced) {
        this.#forcedPauses.push(entry.duration);
        if (this.#forcedPauses.length > PAUSES_KEPT) this.#forcedPauses.shift();
      }
      const heap = (forced && this.#forcedReadings.shift()) || now;
      const outcome = this.#monitor.recordFull({
        timeMs: performance.timeOrigin + entry.startTime + entry.duration,
        usedHeapSize: heap.baseline,
        heapSizeLimit: heap.limit,
        external: heap.external,
        rss,
        gcDurationMs: entry.duration,
      });
      outcome.stats.used_heap_size = heap.used;
      this.emit('stats', outcome.stats);
      for (const leak of outcome.leaks) this.emit('leak', leakEvent(leak));
    }
  }

  gc() {
    gc();
  }

  writeSnapshot(file, callback) {
    return writeSnapshot(file, callback);
  }

  /**
   * Writes a snapshot whenever `signal` (default SIGUSR2) arrives, like heapdump; emits
   * `snapshot` with the file's path. Returns a function that removes the handler. Signals
   * reach only the main thread.
   */
  snapshotOnSignal(signal = 'SIGUSR2', options = {}) {
    if (!isMainThread) {
      throw new Error('leakscope.snapshotOnSignal: signals reach only the main thread; call it there (a worker can use writeSnapshot())');
    }
    if (signal === 'SIGUSR1') {
      throw new Error('leakscope.snapshotOnSignal: SIGUSR1 is Node\'s inspector signal; use SIGUSR2 or another signal');
    }
    const directory = options.directory ?? process.cwd();
    const handler = () => {
      try {
        this.emit('snapshot', writeSnapshot(path.join(directory, heapdumpName())));
      } catch (err) {
        // Never take the process down for a diagnostic.
        if (this.listenerCount('error')) this.emit('error', err);
        else process.emitWarning(err.message, 'LeakscopeWarning');
      }
    };
    process.on(signal, handler);
    return () => process.removeListener(signal, handler);
  }

  takeSnapshot() {
    return takeSnapshot();
  }

  takeSnapshotAsync() {
    return takeSnapshotAsync();
  }

  readSnapshot(file) {
    return readSnapshot(file);
  }

  /**
   * Runs `fn` (awaited when it returns a promise) `warmup` times, then twice `iterations`
   * times between three heap snapshots, and reports what it leaks.
   */
  checkLeak(fn, options) {
    return checkLeak(fn, options);
  }

  /** checkLeak(), rejecting with an Error naming the leaked class, its holder and path. */
  assertNoLeak(fn, options) {
    return assertNoLeak(fn, options);
  }
}

const leakscope = new Leakscope();
leakscope.Leakscope = Leakscope;
leakscope.SnapshotParser = native.SnapshotParser;
leakscope.HeapSnapshot = native.HeapSnapshot;
leakscope.HeapDiff = HeapDiff;
module.exports = leakscope;
