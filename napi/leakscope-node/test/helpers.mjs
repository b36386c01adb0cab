// Shared by the tests: run real node programs as child processes, with a time limit.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const fixture = (name) => join(packageDir, 'test', 'fixtures', name);

/**
 * Runs `node args…` (or `options.node`), kills it after `timeoutMs`, and resolves with its exit
 * code, output and stdout's JSON lines. `onLine` sees each stdout line as it arrives.
 */
export function runNode(args, { timeoutMs = 30_000, node = process.execPath, env, cwd, onLine, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { cwd: cwd ?? packageDir, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    let pending = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (s) => {
      stdout += s;
      pending += s;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        onLine?.(line, child);
      }
    });
    child.stderr.on('data', (s) => {
      stderr += s;
    });
    child.on('error', reject);
    onSpawn?.(child);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const json = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      resolve({ code, signal, stdout, stderr, json, timedOut });
    });
  });
}

/** A scratch directory removed when the test ends. */
export function scratch(t) {
  const dir = mkdtempSync(join(tmpdir(), 'leakscope-node-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
