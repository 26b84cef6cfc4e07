// Starts the real upstream peers: server-everything (MCP, streamable HTTP) and the A2A echo agent,
// each behind a logging tap (tap.mjs) so tests can see what the upstream itself received.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from './net.mjs';
import { startProcess } from './procs.mjs';
import { startTap } from './tap.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const e2eRoot = path.resolve(here, '..');
const serverEverything = path.join(e2eRoot, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

/**
 * server-everything in streamable HTTP mode. It takes its port from the PORT environment variable
 * (default 3001; it listens on every interface, and prints the PORT it was given, not the one it
 * got — so we choose a free port ourselves). The returned `url` goes through the tap.
 */
export async function startToolServer({ logDir } = {}) {
  const port = await freePort();
  const proc = startProcess('server-everything', process.execPath, [serverEverything, 'streamableHttp'], {
    env: { PORT: String(port) }, logDir,
  });
  await proc.waitForOutput(/listening on port/);
  await waitForPort(port);
  const tap = await startTap(port);
  return {
    port,
    tap,
    proc,
    url: `http://127.0.0.1:${tap.port}/mcp`,
    directUrl: `http://127.0.0.1:${port}/mcp`,
    async stop() { await tap.close(); await proc.stop(); },
  };
}

/**
 * The A2A echo agent (peers/echo-agent.mjs). Its card advertises `publicUrl` (default: the tap's
 * URL, which is what a gateway route's upstream points at).
 */
export async function startEchoAgent({ logDir, stepMs } = {}) {
  const port = await freePort();
  // The tap must exist before the agent so the card can name the tap's address as its own.
  const tap = await startTap(port);
  const base = `http://127.0.0.1:${tap.port}`;
  const args = [path.join(e2eRoot, 'peers/echo-agent.mjs'), '--port', String(port), '--public-url', base];
  if (stepMs !== undefined) args.push('--step-ms', String(stepMs));
  const proc = startProcess('echo-agent', process.execPath, args, { logDir });
  await proc.waitForOutput(/echo agent listening/);
  return {
    port,
    tap,
    proc,
    baseUrl: base,
    async stop() { await tap.close(); await proc.stop(); },
  };
}
