// A busy little JSON service for `cargo xtask bench-native`: every request parses its URL,
// builds a ~1 KB JSON answer and sends it (allocations in V8, Buffers and node's C++).
// Usage: node http-server.js PORT   (prints "listening PORT" when ready)
const http = require('http');
const port = Number(process.argv[2] || 0);
let served = 0;
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const items = [];
  for (let i = 0; i < 16; i++) items.push({ id: i, name: 'item-' + i, q: url.searchParams.get('q') });
  const body = JSON.stringify({ served: ++served, path: url.pathname, items });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(port, '127.0.0.1', () => console.log('listening', server.address().port));
