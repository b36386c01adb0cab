// Writes a large, realistic heap snapshot for `cargo xtask bench`: N class instances, each with a
// payload object and its own string, held by one array (1.4 M items: about 370 MB, 4.2 M nodes).
// Usage: node --max-old-space-size=8000 make-big-snapshot.js OUT [N]
const v8 = require('v8');
class Item {
  constructor(n) {
    this.n = n;
    this.payload = { v: n };
    this.tag = 'tag' + n;
  }
}
globalThis.items = [];
const n = Number(process.argv[3] || 1400000);
for (let i = 0; i < n; i++) items.push(new Item(i));
v8.writeHeapSnapshot(process.argv[2]);
