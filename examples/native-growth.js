// A native leak: Buffers (memory outside the JS heap) are retained at about --rate bytes per
// second (default 1 MB/s, 256 KB each, filled so the pages are resident). The JS heap
// barely grows; RSS does.
//
//   node examples/native-growth.js [--rate BYTES_PER_S] [--duration S]
'use strict';
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};

const SIZE = 256 * 1024;
const retained = [];
const perTick = opt('--rate', 1e6) / SIZE / 10; // buffers per 100 ms tick
let debt = 0;
setInterval(() => {
  debt += perTick;
  for (; debt >= 1; debt--) retained.push(Buffer.alloc(SIZE, retained.length & 0xff));
  const scratch = [];
  for (let i = 0; i < 2000; i++) scratch.push({ i, s: `tmp ${i}` });
}, 100);

console.log(`native-growth pid ${process.pid}`);
const duration = opt('--duration', 0);
if (duration > 0) setTimeout(() => process.exit(0), duration * 1000);
