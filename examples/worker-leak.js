// The main thread is flat; a worker thread leaks `WorkerJob`s at about 500 KB/s.
//
//   node examples/worker-leak.js [--duration S]
'use strict';
const { Worker, isMainThread } = require('worker_threads');

if (isMainThread) {
  const worker = new Worker(__filename);
  worker.on('error', (e) => console.error(e));
  setInterval(() => {
    const scratch = [];
    for (let i = 0; i < 200; i++) scratch.push({ i, s: `tmp ${i}` });
  }, 10);
  const i = process.argv.indexOf('--duration');
  if (i >= 0) setTimeout(() => process.exit(0), Number(process.argv[i + 1]) * 1000);
  console.log(`worker-leak pid ${process.pid}`);
} else {
  class WorkerJob {
    constructor(n) {
      this.n = n;
      this.result = Array.from({ length: 120 }, (_, k) => n + k + 0.5);
    }
  }
  const done = [];
  let n = 0;
  setInterval(() => {
    for (let k = 0; k < 5; k++) done.push(new WorkerJob(n++));
  }, 10);
}
