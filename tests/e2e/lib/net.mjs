// Small network helpers for the end-to-end harness: free loopback ports, TLS-aware fetch, waiting.
import net from 'node:net';
import fs from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';

// Ports this process has handed out: the kernel may give a port that was just closed to the
// next bind(0) again, and two services of one topology must not be told the same port.
const handedOut = new Set();

function unusedPort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A port that was free a moment ago on 127.0.0.1 (the OS picks it; tiny race with other
 * processes, fine for tests), never one this process handed out before.
 */
export async function freePort() {
  for (;;) {
    const port = await unusedPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/**
 * A WHATWG fetch whose connections present `identity` (files `<pki>/<name>.pem/.key`) and trust
 * `<pki>/ca.pem`. `identity === null` gives a fetch that trusts the CA but has no client cert.
 * Returns { fetch, close }: close() destroys the pooled connections.
 */
export function tlsFetch(pkiDir, identity, { caFile = 'ca.pem' } = {}) {
  const connect = { ca: fs.readFileSync(`${pkiDir}/${caFile}`) };
  if (identity) {
    connect.cert = fs.readFileSync(`${pkiDir}/${identity}.pem`);
    connect.key = fs.readFileSync(`${pkiDir}/${identity}.key`);
  }
  const dispatcher = new Agent({ connect });
  const f = (input, init = {}) => undiciFetch(input, { ...init, dispatcher });
  return { fetch: f, dispatcher, close: () => dispatcher.close().catch(() => {}) };
}

/** Polls `probe()` until it resolves truthy or `timeoutMs` passes. */
export async function waitFor(probe, { timeoutMs = 15000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
}

/** Resolves when something accepts TCP connections on 127.0.0.1:port. */
export function waitForPort(port, opts = {}) {
  return waitFor(
    () =>
      new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => { s.destroy(); resolve(true); });
        s.once('error', () => resolve(false));
      }),
    { what: `port ${port}`, ...opts },
  );
}
