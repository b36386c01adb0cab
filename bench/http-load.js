// Loopback load for `cargo xtask bench-live`: CONNECTIONS keep-alive connections send
// requests back to back for SECONDS, then it prints the requests per second.
//   node bench/http-load.js PORT SECONDS [CONNECTIONS]
'use strict';
const http = require('http');
const [port, seconds, connections = 16] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
let done = 0;
let stop = false;
function loop() {
  if (stop) return;
  http
    .get({ host: '127.0.0.1', port, path: `/item/${done}`, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        done++;
        loop();
      });
    })
    .on('error', () => setTimeout(loop, 10));
}
for (let i = 0; i < connections; i++) loop();
const start = process.hrtime.bigint();
setTimeout(() => {
  stop = true;
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({ requests: done, seconds: s, rps: done / s }));
  agent.destroy();
  process.exit(0);
}, seconds * 1000);
