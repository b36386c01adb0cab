// A program that leaks, then ends on its own after --after seconds (default 8):
//   --how crash  throws an uncaught exception (exit code 1)
//   --how exit   calls process.exit(3)
//   --how end    stops its timers, so the event loop empties (with a debugger attached,
//                Node then waits for it to disconnect)
'use strict';
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

class Pending {
  constructor(n) {
    this.n = n;
    this.payload = Array.from({ length: 120 }, (_, i) => n + i + 0.5);
  }
}
const queue = [];
let n = 0;
const timer = setInterval(() => {
  for (let i = 0; i < 10; i++) queue.push(new Pending(n++));
}, 10);

setTimeout(() => {
  const how = opt('--how', 'crash');
  if (how === 'exit') process.exit(3);
  if (how === 'end') {
    clearInterval(timer);
    return;
  }
  throw new Error(`dies-midway: giving up after ${queue.length} pending items`);
}, Number(opt('--after', 8)) * 1000);
console.log(`dies-midway pid ${process.pid}`);
