// Holds N objects of a class in a global array, then aborts so the kernel writes a core
// (`cargo xtask bench` runs it with the core size limit raised, in target/bench).
// The shape follows the research note's benchmark: 1.5 M instances, a ~222 MB heap.
class LeakyThing {
  constructor(i) { this.id = i; this.payload = 'x' + i; this.tags = [i]; }
}
const n = Number(process.argv[2] || 1500000);
globalThis.leaks = [];
for (let i = 0; i < n; i++) leaks.push(new LeakyThing(i));
console.error(`heapUsed ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);
process.abort();
