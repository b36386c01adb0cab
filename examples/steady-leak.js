// A steady leak of a named class, for the tests and the benchmarks.
//
// Every 10 ms it files `Invoice`s into a module-level archive that is never pruned, at
// --rate bytes per second (default 1 MB/s; each Invoice holds about 1 KB), and makes some
// short-lived garbage as a real service would.
//
//   node examples/steady-leak.js [--rate BYTES_PER_S] [--duration S]
'use strict';
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};

class Invoice {
  constructor(n) {
    this.number = n;
    this.customer = `customer-${n % 977}`;
    // About 1 KB: 120 doubles in a packed array.
    this.lines = Array.from({ length: 120 }, (_, i) => n + i + 0.5);
  }
}

const archive = [];
const perTick = opt('--rate', 1e6) / 1000 / 100; // invoices per 10 ms tick
let debt = 0;
let n = 0;
setInterval(() => {
  debt += perTick;
  for (; debt >= 1; debt--) archive.push(new Invoice(n++));
  // Short-lived garbage.
  const scratch = [];
  for (let i = 0; i < 200; i++) scratch.push({ i, s: `tmp ${i}` });
}, 10);

console.log(`steady-leak pid ${process.pid}`);
const duration = opt('--duration', 0);
if (duration > 0) setTimeout(() => process.exit(0), duration * 1000);
