// Writes three large heap snapshots of one process for `cargo xtask bench` (`leaks S1 S2 S3`):
// Item instances (each with a payload object and its own string) pushed onto one array that only
// grows, the leak, beside a bounded cache whose entries churn between snapshots, the noise a
// leak finder must not report. Defaults: 1.2 M, 1.3 M and 1.4 M items (about 330, 350 and
// 370 MB).
// Usage: node --max-old-space-size=8000 make-big-snapshots.js OUT1 OUT2 OUT3 [N1 N2 N3]
const v8 = require('v8');
class Item {
  constructor(n) {
    this.n = n;
    this.payload = { v: n };
    this.tag = 'tag' + n;
  }
}
class CacheEntry {
  constructor(key) {
    this.key = key;
    this.body = { text: 'entry ' + key };
  }
}
const CACHE_LIMIT = 50000;
const cache = new Map();
let nextKey = 0;
function churn(count) {
  for (let i = 0; i < count; i++) {
    const key = nextKey++;
    cache.set(key, new CacheEntry(key));
    if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value);
  }
}
globalThis.items = [];
globalThis.cache = cache;
const outs = process.argv.slice(2, 5);
const counts = [1200000, 1300000, 1400000].map((d, i) => Number(process.argv[5 + i] || d));
outs.forEach((out, i) => {
  while (items.length < counts[i]) items.push(new Item(items.length));
  churn(2 * CACHE_LIMIT);
  v8.writeHeapSnapshot(out);
});
