// Child processes of the harness: output kept (in memory and in a log file), stopped at exit.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const running = new Set();
process.on('exit', () => {
  for (const p of running) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/**
 * Starts `cmd args` with stdout+stderr captured to `<logDir>/<name>.log` and to `.output()`.
 * Returns { child, name, output(), waitForOutput(re, ms), stop(signal) }.
 */
export function startProcess(name, cmd, args, { env = {}, cwd, logDir } = {}) {
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let text = '';
  const log = logDir ? fs.createWriteStream(path.join(logDir, `${name}.log`)) : null;
  const onData = (d) => { text += d.toString(); if (log) log.write(d); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      if (log) log.end();
      resolve(exited);
    });
  });
  return {
    child,
    name,
    output: () => text,
    exited: () => exited,
    exitPromise,
    async waitForOutput(re, timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (re.test(text)) return;
        if (exited) throw new Error(`${name} exited (${JSON.stringify(exited)}) before printing ${re}:\n${text}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`${name} did not print ${re} within ${timeoutMs} ms:\n${text}`);
    },
    async stop(signal = 'SIGTERM', graceMs = 5000) {
      if (exited) return exited;
      child.kill(signal);
      const t = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, graceMs);
      const r = await exitPromise;
      clearTimeout(t);
      return r;
    },
  };
}
