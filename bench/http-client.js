// Load generator for `cargo xtask bench-native`: CONNS keep-alive connections to 127.0.0.1:PORT,
// each sending requests back to back for SECONDS; prints the requests per second.
// Usage: node http-client.js PORT SECONDS CONNS
const http = require('http');
const [port, seconds, conns] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
const end = Date.now() + seconds * 1000;
let done = 0, failed = 0;
function loop() {
  if (Date.now() >= end) return Promise.resolve();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/items?q=bench', agent }, (res) => {
      res.resume();
      res.on('end', () => { done++; resolve(); });
    });
    req.on('error', () => { failed++; resolve(); });
  }).then(loop);
}
const start = Date.now();
Promise.all(Array.from({ length: conns }, loop)).then(() => {
  const s = (Date.now() - start) / 1000;
  console.log(JSON.stringify({ requests: done, failed, seconds: s, rps: done / s }));
  agent.destroy();
});
