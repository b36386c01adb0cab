// Installed in each isolate by leakscope (Runtime.evaluate with includeCommandLineAPI, where
// `require` exists only during the evaluation: modules are taken now, never `require` later).
// After every GC batch it reports over the inspector binding __BINDING__, then removes itself
// when told (stop). Nothing here changes the program's behaviour.
((load) => {
  const KEY = Symbol.for('leakscope.agent');
  if (globalThis[KEY]) globalThis[KEY].stop();
  const { PerformanceObserver, performance } = load('perf_hooks');
  const v8 = load('v8');
  const { threadId, isMainThread } = load('worker_threads');
  const BINDING = '__BINDING__';
  const send = (msg) => {
    const f = globalThis[BINDING];
    if (typeof f !== 'function') return;
    try { f(JSON.stringify(msg)); } catch { /* the monitor went away */ }
  };
  const now = () => performance.timeOrigin + performance.now();
  // Minor GCs come by the hundred per second on a busy server: they are batched and sent at
  // most once a second; a major GC is sent at once, with the reading that makes a baseline.
  let pending = [];
  let lastSent = 0;
  const observer = new PerformanceObserver((list) => {
    let major = false;
    for (const e of list.getEntries()) {
      const kind = e.detail ? e.detail.kind : e.kind;
      const flags = e.detail ? e.detail.flags : e.flags;
      if (kind === 4) major = true;
      pending.push([kind, flags, e.duration]);
    }
    const t = now();
    if (!major && t - lastSent < 1000) return;
    lastSent = t;
    const gcs = pending;
    pending = [];
    const m = process.memoryUsage();
    // After a full GC the young generation is empty; what is there now was allocated since,
    // so the old generation alone is the clean baseline.
    let young = -1;
    if (major) {
      young = 0;
      for (const s of v8.getHeapSpaceStatistics()) {
        if (s.space_name === 'new_space' || s.space_name === 'new_large_object_space') young += s.space_used_size;
      }
    }
    send({ t, gcs, m: [m.heapUsed, m.heapTotal, m.external, m.arrayBuffers, m.rss], young });
  });
  observer.observe({ entryTypes: ['gc'] });
  const onExit = (code) => send({ t: now(), exit: code });
  process.on('exit', onExit);
  Object.defineProperty(globalThis, KEY, {
    configurable: true,
    enumerable: false,
    value: {
      stop() {
        observer.disconnect();
        process.removeListener('exit', onExit);
        delete globalThis[KEY];
        delete globalThis[BINDING];
      },
    },
  });
  return JSON.stringify({ pid: process.pid, version: process.version, threadId, isMainThread, t: now() });
})((name) => (typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule(name) : require(name)))
