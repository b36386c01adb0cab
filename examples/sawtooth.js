// No leak: a large sawtooth. Each cycle builds a batch of about 30 MB of objects over
// about 2 s (a report being assembled), holds it briefly, then drops it all.
//
//   node examples/sawtooth.js [--batch-mb N] [--duration S]
'use strict';
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};

class ReportRow {
  constructor(i) {
    this.i = i;
    this.cells = Array.from({ length: 120 }, (_, k) => i + k + 0.5); // about 1 KB
  }
}

const rowsPerBatch = opt('--batch-mb', 30) * 1000;
let batch = [];
setInterval(() => {
  for (let i = 0; i < rowsPerBatch / 200; i++) batch.push(new ReportRow(i));
  if (batch.length >= rowsPerBatch) batch = []; // the report is sent: all of it is garbage
}, 10);

console.log(`sawtooth pid ${process.pid}`);
const duration = opt('--duration', 0);
if (duration > 0) setTimeout(() => process.exit(0), duration * 1000);
