// No leak: a bounded LRU cache fills at about 2 MB/s up to its limit (default 20 MB,
// reached after ~10 s), then evicts as much as it adds, and the heap levels off.
//
//   node examples/bounded-cache.js [--limit-mb N] [--duration S]
'use strict';
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};

class CacheEntry {
  constructor(key) {
    this.key = key;
    this.value = Array.from({ length: 120 }, (_, i) => key + i + 0.5); // about 1 KB
  }
}

const limit = opt('--limit-mb', 20) * 1000; // entries of ~1 KB
const cache = new Map();
let key = 0;
setInterval(() => {
  for (let i = 0; i < 20; i++) {
    cache.set(key, new CacheEntry(key));
    key++;
    if (cache.size > limit) cache.delete(cache.keys().next().value);
  }
  const scratch = [];
  for (let i = 0; i < 200; i++) scratch.push({ i, s: `tmp ${i}` });
}, 10);

console.log(`bounded-cache pid ${process.pid}`);
const duration = opt('--duration', 0);
if (duration > 0) setTimeout(() => process.exit(0), duration * 1000);
