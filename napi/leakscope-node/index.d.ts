// Type definitions for leakscope (hand-written; checked against the module by test/types.test.mjs).

import { EventEmitter } from 'node:events';

declare namespace leakscope {
  /** memwatch's `stats` event, after every full GC, plus the heap figures memwatch lacked. */
  interface Stats {
    /** Full (mark-sweep-compact) GCs seen by this isolate. */
    num_full_gc: number;
    /** Other GCs (scavenges, incremental marking) seen. */
    num_inc_gc: number;
    /** Full GCs whose baseline was recorded. */
    heap_compactions: number;
    /** Percent difference between the recent (about 10 GCs) and long-term baseline averages; negative when shrinking. */
    usage_trend: number;
    /** The recent baseline average, in bytes. */
    estimated_base: number;
    /** The heap in use right after this GC, in bytes (the baseline). */
    current_base: number;
    /** The smallest baseline seen. */
    min: number;
    /** The largest baseline seen. */
    max: number;
    /** `v8.getHeapStatistics().used_heap_size` when the event was prepared. */
    used_heap_size: number;
    heap_size_limit: number;
    /** Memory held outside the V8 heap by JavaScript objects (Buffers…). */
    external: number;
    /** The process's resident set size. */
    rss: number;
    /** This GC's pause. */
    gc_duration_ms: number;
  }

  /** The `leak` event: the post-GC baseline rises steadily (Theil–Sen slope, Mann–Kendall test). */
  interface Leak {
    /** What grows: the V8 heap, or memory held outside it by JavaScript objects (Buffers…). */
    what: 'heap' | 'external';
    /** The first baseline of the window the decision used. */
    start: Date;
    /** The last one. */
    end: Date;
    /** Fitted growth over the window, in bytes. */
    growth: number;
    growth_bytes_per_hour: number;
    /** 1 − p of the rank test for a rise. */
    confidence: number;
    /** One sentence, e.g. "grew 32.8 MB over 8 samples in 33 s: 3.63 GB/hour, steady (p < 0.001)". */
    reason: string;
    /** Baselines in the window. */
    samples: number;
    baseline_start: number;
    baseline_end: number;
  }

  /** The leak statistic's current verdict, whether or not it fired. */
  interface Trend {
    what: 'heap' | 'external';
    verdict: 'leak' | 'no-leak' | 'inconclusive';
    samples: number;
    span_s: number;
    growth_bytes_per_hour: number;
    confidence: number;
    reason: string;
  }

  /** What counts as a leak. */
  interface LeakOptions {
    /** Seconds of baselines the decision looks at (default 900). */
    windowSeconds?: number;
    /** Fewer baselines never decide (default 6, at least 3). */
    minSamples?: number;
    /** A shorter window never decides, in seconds (default 30). */
    minSpanSeconds?: number;
    /** Slower growth is never reported (default 1e6 bytes/hour). */
    minBytesPerHour?: number;
    /** Significance of the rank test (default 0.01). */
    alpha?: number;
    /**
     * While a `leak` listener is attached, force a full GC when V8 ran none for this long
     * (default 5; paced to at most about 1 % of the time; 0 for never).
     */
    gcEverySeconds?: number;
  }

  interface SignalOptions {
    /** Where snapshots go (default: the current directory). */
    directory?: string;
  }

  /** One class of the census (DevTools' Summary view, `leakscope summary --json`). */
  interface ClassSummary {
    class: string;
    count: number;
    shallow_size: number;
    retained_size: number;
    /** Steps from the user roots (`global` is 1); null when only system roots or weak refs hold it. */
    distance: number | null;
  }

  /** A heap snapshot parsed in Rust: a few columns per node, not JavaScript objects. */
  class HeapSnapshot {
    private constructor();
    readonly nodeCount: number;
    readonly edgeCount: number;
    /** The sum of every node's own size, in bytes. */
    readonly totalSize: number;
    /** Bytes of JSON it was read from. */
    readonly jsonBytes: number;
    /** The largest V8 heap object id (odd ids grow with allocation). */
    readonly maxObjectId: number;
    /** Objects made by the constructor or class `name`. */
    countObjects(name: string): number;
    /** The class census, largest retained size first; computed off the event loop. */
    summary(): Promise<ClassSummary[]>;
  }

  /** Parses snapshot JSON pushed in chunks, on a thread of its own. */
  class SnapshotParser {
    constructor();
    /** Bytes pushed so far. */
    readonly bytes: number;
    push(chunk: Uint8Array): void;
    /** Ends the input; resolves off the event loop. */
    finish(): Promise<HeapSnapshot>;
    /** Ends the input and waits on this thread. */
    finishSync(): HeapSnapshot;
  }

  /** One step of a retainer path: the edge into an object, and the object. */
  interface RetainerStep {
    /** The edge's name, or an element's index. */
    edge: string | number;
    /** `property`, `element`, `context`, `internal`, `shortcut`… */
    edge_type: string;
    /** The object's class. */
    class: string;
    /** The object's V8 heap id. */
    id: number;
  }

  /** One snapshot's totals in a HeapDiff result. */
  interface HeapDiffTotals {
    /** Nodes in the snapshot. */
    nodes: number;
    /** Shallow size of the nodes reachable from the root. */
    size_bytes: number;
    /** The same as memwatch prints it (`3.05 mb`). */
    size: string;
  }

  /** One group of nodes a HeapDiff added or freed (memwatch's detail, with two more fields). */
  interface HeapDiffDetail {
    /** The constructor name, or `Array`, `String`, `Code`, `Closure`, `RegExp`, `Number`, `Native`. */
    what: string;
    /** Shallow size added minus shallow size freed. */
    size_bytes: number;
    size: string;
    /** Nodes added (alive at end(), not at the constructor). */
    '+': number;
    /** Nodes freed. */
    '-': number;
    /** What the added nodes retain, each counted once (memwatch had no such field). */
    retained_size: number;
    /** The path from the root to the added node retaining the most (memwatch had none). */
    retainer_path?: RetainerStep[];
  }

  /** `HeapDiff.end()`'s result, memwatch's shape. */
  interface HeapDiffResult {
    before: HeapDiffTotals;
    after: HeapDiffTotals;
    change: {
      size_bytes: number;
      size: string;
      freed_nodes: number;
      allocated_nodes: number;
      /** Sorted by `what`, as memwatch sorts them. */
      details: HeapDiffDetail[];
    };
  }

  /** memwatch's HeapDiff: a snapshot of this isolate now, another at end(), diffed in Rust. */
  class HeapDiff {
    /** Takes the first snapshot (the isolate pauses while V8 takes it). */
    constructor();
    /** Takes the second snapshot and diffs, on this thread. Throws when called twice. */
    end(): HeapDiffResult;
    /** Takes the second snapshot; parses and diffs on the libuv thread pool. Rejects when called twice. */
    endAsync(): Promise<HeapDiffResult>;
  }

  interface CheckLeakOptions {
    /** Runs of the function between two snapshots (default 100). */
    iterations?: number;
    /** Runs before the first snapshot (default 10). */
    warmup?: number;
    /** Groups of leaked objects retaining fewer bytes are not reported (default 1000). */
    minSize?: number;
  }

  /** A leaked object, as `leakscope leaks --json` prints it (the example at depth 1). */
  interface ObjectView {
    id: number;
    class: string;
    name: string;
    type: string;
    self_size: number;
    retained_size: number;
    location: string | null;
    properties: unknown[];
    elements: unknown[];
    element_count: number;
    entries: unknown[];
    entry_count: number;
    context: unknown[];
    omitted_properties: number;
  }

  /** One group of leaked objects: one class, one holder (a finding of `leakscope leaks --json`). */
  interface LeakFinding {
    /** The constructor (`Session`), `{a, b, c}` for plain objects, `(string)`, `Function`… */
    class: string;
    /** For closures: the function's name. */
    name?: string;
    /** Objects allocated between the first two snapshots and still alive in the third. */
    count: number;
    shallow_size: number;
    /** What they retain, each counted once. */
    retained_size: number;
    /** The edges that name the holder: `sessionCache`, `bus._events.tick`. */
    holder: string;
    holder_class: string;
    holder_id: number;
    /** The objects hang from one another (a linked chain) below the holder. */
    chain: boolean;
    /** The example's path from the root. */
    retainer_path: RetainerStep[];
    /** The same on one line: `global → sessionCache → table → [12] → Session @4321`. */
    path: string;
    example_id: number;
    example: ObjectView;
    /** `file:line:column` of the class's constructor or the closure, when the snapshot has it. */
    location: string | null;
    /** For strings: the example's text. */
    sample: string | null;
    /** Objects of the group's path in each snapshot (null for the first). */
    counts: (number | null)[];
    /** Of the objects the group gained between the first two snapshots, the share still alive. */
    survival: number | null;
    confidence: 'high' | 'low';
    /** Smaller groups of leaked objects in the same container; `retained_size` includes theirs. */
    also?: { class: string; name?: string; count: number; retained_size: number; example_id: number }[];
  }

  interface CheckLeakResult {
    /** Whether any group of objects the function allocated stays and keeps growing. */
    leaked: boolean;
    /**
     * Bytes the heap grew by per run over the last window: the sum of every live object's own
     * size in the third snapshot less that in the second, divided by `iterations`.
     */
    growth_per_iteration: number;
    /** Largest retained size first. */
    leaks: LeakFinding[];
  }

  /** assertNoLeak()'s rejection. */
  interface LeakError extends Error {
    leaks: LeakFinding[];
    growth_per_iteration: number;
  }

  interface Leakscope extends EventEmitter {
    on(event: 'stats', listener: (stats: Stats) => void): this;
    on(event: 'leak', listener: (leak: Leak) => void): this;
    on(event: 'snapshot', listener: (file: string) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    once(event: 'stats', listener: (stats: Stats) => void): this;
    once(event: 'leak', listener: (leak: Leak) => void): this;
    once(event: 'snapshot', listener: (file: string) => void): this;

    /** Starts observing GCs (listening to `stats` or `leak` does it). */
    start(): this;
    /** Stops observing GCs; removing the last `stats`/`leak` listener does it too. */
    stop(): this;
    /** Changes what counts as a leak and starts the statistics afresh. */
    configure(options?: LeakOptions): this;
    /** The leak statistic's current verdict and reason for the heap (default) or external memory. */
    trend(what?: 'heap' | 'external'): Trend;

    /** A full, synchronous GC, without --expose-gc. */
    gc(): void;
    /** Writes a heap snapshot (default name heapdump-<s>.<us>.heapsnapshot in the cwd); returns its path. */
    writeSnapshot(file?: string): string;
    writeSnapshot(callback: (err: Error | null, file?: string) => void): undefined;
    writeSnapshot(file: string, callback: (err: Error | null, file?: string) => void): string | undefined;
    /** Writes a snapshot on each `signal` (main thread only); returns a function removing the handler. */
    snapshotOnSignal(signal?: NodeJS.Signals, options?: SignalOptions): () => void;
    /** Snapshot of this isolate, parsed in Rust; pauses for the snapshot and the parse. */
    takeSnapshot(): HeapSnapshot;
    /** Snapshot of this isolate; pauses for the snapshot only, parses off the event loop. */
    takeSnapshotAsync(): Promise<HeapSnapshot>;
    /** Reads a .heapsnapshot file (plain or gzip) off the event loop. */
    readSnapshot(file: string): Promise<HeapSnapshot>;
    /**
     * Runs `fn` (awaited when it returns a promise) `warmup` times, then `iterations` times
     * between each of three snapshots, and reports what the runs leave behind and keep adding to.
     */
    checkLeak(fn: () => unknown, options?: CheckLeakOptions): Promise<CheckLeakResult>;
    /** checkLeak(); rejects with a LeakError naming the class, holder and path of each leak. */
    assertNoLeak(fn: () => unknown, options?: CheckLeakOptions): Promise<CheckLeakResult>;

    readonly Leakscope: new () => Leakscope;
    readonly SnapshotParser: typeof SnapshotParser;
    readonly HeapSnapshot: typeof HeapSnapshot;
    readonly HeapDiff: typeof HeapDiff;
  }
}

declare const leakscope: leakscope.Leakscope;
export = leakscope;
