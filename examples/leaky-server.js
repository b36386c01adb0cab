// A small HTTP service with one planted leak, for the README demo and the tests.
//
// Every request creates a Session. Sessions are meant to live in a bounded LRU cache, but a
// "recently seen" Map added for an analytics feature keeps every one of them forever: that is
// the leak (about 1 KB per request). The service also does honest work that must NOT be
// reported: a bounded LRU cache of rendered pages, and lots of short-lived garbage per request.
//
//   node examples/leaky-server.js                  serve on 127.0.0.1, drive its own traffic
//   node examples/leaky-server.js --port 8080      serve on a fixed port
//   node examples/leaky-server.js --snapshots DIR  drive traffic, write s1/s2/s3.heapsnapshot
//                                                  in DIR between rounds, then exit
//   --rate N (requests per second, default 200), --duration S (exit after S seconds)
'use strict';
const http = require('http');
const v8 = require('v8');
const path = require('path');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

class Session {
  constructor(id, url) {
    this.id = id;
    this.user = `user-${id}`;
    this.url = url;
    this.createdAt = Date.now();
    this.preferences = { theme: 'dark', language: 'en', items: new Array(64).fill(id) };
  }
}

// A bounded LRU cache: fills up to its limit and stays there.
class LruCache {
  constructor(limit) {
    this.limit = limit;
    this.map = new Map();
  }
  get(key) {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key, value) {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value);
  }
}

const pageCache = new LruCache(500);
// The leak: analytics keeps every session it ever saw.
const recentlySeen = new Map();
let nextSession = 1;

function handle(url) {
  const session = new Session(nextSession++, url);
  recentlySeen.set(session.id, session);
  // Short-lived garbage: a sawtooth between GCs, nothing retained.
  const scratch = [];
  for (let i = 0; i < 50; i++) scratch.push({ i, text: `row ${i} of ${url}` });
  const page = Math.floor(Math.random() * 2000);
  let body = pageCache.get(page);
  if (body === undefined) {
    body = `<html><body>page ${page}: ${scratch.length} rows</body></html>`;
    pageCache.set(page, body);
  }
  return body;
}

const server = http.createServer((req, res) => {
  const body = handle(req.url);
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(body);
});

function request(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/page/${Math.random()}`, agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', resolve);
  });
}

async function drive(port, count) {
  for (let i = 0; i < count; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, count - i) }, () => request(port)));
  }
}

function fullGc() {
  v8.setFlagsFromString('--expose-gc');
  require('vm').runInNewContext('gc')();
}

server.listen(Number(opt('--port', 0)), '127.0.0.1', async () => {
  const { port } = server.address();
  const dir = opt('--snapshots');
  if (dir) {
    // The three-snapshot technique: warm up, then snapshot between equal rounds of work.
    await drive(port, 500);
    for (const name of ['s1', 's2', 's3']) {
      fullGc();
      const file = v8.writeHeapSnapshot(path.join(dir, `${name}.heapsnapshot`));
      console.log(`wrote ${file}`);
      await drive(port, 2000);
    }
    server.close();
    return;
  }
  console.log(`leaky-server listening on http://127.0.0.1:${port}/ (pid ${process.pid})`);
  const rate = Number(opt('--rate', 200));
  const timer = setInterval(() => drive(port, Math.max(1, Math.round(rate / 10))), 100);
  const duration = Number(opt('--duration', 0));
  if (duration > 0) {
    setTimeout(() => {
      clearInterval(timer);
      server.close();
    }, duration * 1000);
  }
});
