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

    readonly Leakscope: new () => Leakscope;
    readonly SnapshotParser: typeof SnapshotParser;
    readonly HeapSnapshot: typeof HeapSnapshot;
  }
}

declare const leakscope: leakscope.Leakscope;
export = leakscope;
