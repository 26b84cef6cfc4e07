// One scenario's world: the real peers, and — in "gateway" mode — Portcullis in front of them.
//
//   E2E_TARGET=gateway (default): agent ──mTLS──▶ portcullis ──▶ tap ──▶ server-everything / echo agent
//   E2E_TARGET=direct:            agent ─────────────────────────▶ tap ──▶ server-everything / echo agent
//
// Direct mode checks the harness and the peers without a gateway: there, what the gateway should
// block reaches the upstream, and the tests assert exactly that (so every sensor is shown to see
// a call when there is one). Gateway mode is the real test.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { e2eRoot, startEchoAgent, startToolServer } from './peers.mjs';
import { startGateway } from './gateway.mjs';
import { startRsyslog } from './rsyslog.mjs';
import { tlsFetch } from './net.mjs';

export const target = process.env.E2E_TARGET ?? 'gateway';
if (!['gateway', 'direct'].includes(target)) throw new Error(`E2E_TARGET must be gateway or direct, not ${target}`);
export const viaGateway = target === 'gateway';
export const repoRoot = path.resolve(e2eRoot, '../..');

/** Makes a PKI with pki/make-pki.sh in `dir`. */
export function makePki(dir) {
  execFileSync('bash', [path.join(e2eRoot, 'pki/make-pki.sh'), dir], { stdio: 'pipe' });
  return dir;
}

/**
 * The PKI shared by the scenarios of one run: `$E2E_PKI_DIR` (default <tmp>/portcullis-e2e-pki),
 * made once and reused while its certificates stay valid for another hour. Making one costs
 * ~20 openssl runs, seconds on a loaded 2-core machine. Safe when several test processes race:
 * each builds in its own folder and the first rename wins.
 */
export function sharedPki() {
  const dir = process.env.E2E_PKI_DIR ?? path.join(os.tmpdir(), 'portcullis-e2e-pki');
  const fresh = () => {
    try {
      execFileSync('openssl', ['x509', '-checkend', '3600', '-noout', '-in', path.join(dir, 'alpha.pem')], { stdio: 'ignore' });
      return fs.existsSync(path.join(dir, 'siem-client.key'));
    } catch {
      return false;
    }
  };
  if (fresh()) return dir;
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  makePki(tmp);
  if (!fresh() && fs.existsSync(dir)) {
    // Move the stale one aside atomically (never delete a folder another process may be using).
    const stale = `${dir}.stale-${process.pid}-${Date.now()}`;
    try { fs.renameSync(dir, stale); fs.rmSync(stale, { recursive: true, force: true }); } catch { /* raced */ }
  }
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another process won the race
  }
  if (!fresh()) throw new Error(`could not make the shared PKI in ${dir}`);
  return dir;
}

/**
 * Starts the peers (and the gateway in gateway mode).
 *   policies: directory of .cedar files (default tests/e2e/policies/scenarios)
 *   entities: entities file (default <policies>/entities.json if present)
 *   a2a:      also start the echo agent (route /peer)
 *   echoStepMs: the echo agent's pause between the events of a task (default: the agent's 150 ms)
 *   extraConfig: top-level YAML added to the gateway's config (e.g. "label_ttl: 2s")
 *   siem:     also start rsyslog (RELP over TLS) and make it the gateway's audit sink
 * Returns { mcpUrl, a2aUrl, fetchAs(identity), tools, echo, gateway, pki, work, stop() }.
 */
export async function startTopology(name, { policies, entities, a2a = false, echoStepMs, siem = false, copyPolicies = false, extraConfig } = {}) {
  const work = fs.mkdtempSync(path.join(process.env.E2E_WORK_DIR ?? os.tmpdir(), `portcullis-e2e-${name}-`));
  const pki = sharedPki();
  const logDir = work;
  const tools = await startToolServer({ logDir });
  const echo = a2a ? await startEchoAgent({ logDir, stepMs: echoStepMs }) : null;
  const fetches = [];
  const rsyslog = siem && viaGateway ? await startRsyslog(path.join(work, 'rsyslog'), { pki, logDir }) : null;
  const sinks = rsyslog ? [{
    type: 'relp', address: rsyslog.address,
    // librelp's name check looks at DNS SANs only, not IP SANs: verify rsyslog as "localhost".
    tls: { ca: `${pki}/ca.pem`, cert: `${pki}/siem-client.pem`, key: `${pki}/siem-client.key`, serverName: 'localhost' },
  }] : [];
  const topo = { name, work, pki, tools, echo, rsyslog, gateway: null, viaGateway };

  topo.stop = async () => {
    for (const f of fetches) await f.close();
    if (topo.gateway) await topo.gateway.stop();
    await tools.stop();
    if (echo) await echo.stop();
    if (rsyslog) await rsyslog.stop();
  };

  try {
    if (viaGateway) {
      let policiesDir = policies ?? path.join(e2eRoot, 'policies/scenarios');
      let entitiesFile = entities ?? (fs.existsSync(path.join(policiesDir, 'entities.json')) ? path.join(policiesDir, 'entities.json') : undefined);
      if (copyPolicies) {
        // A private copy the test may edit (hot reload).
        const copy = path.join(work, 'policies');
        fs.cpSync(policiesDir, copy, { recursive: true });
        if (entitiesFile && path.dirname(entitiesFile) === policiesDir) entitiesFile = path.join(copy, path.basename(entitiesFile));
        policiesDir = copy;
      }
      const routes = [{ name: 'tools', prefix: '/mcp', protocol: 'mcp', upstream: tools.url }];
      if (echo) routes.push({ name: 'peer', prefix: '/peer', protocol: 'a2a', upstream: echo.baseUrl });
      topo.policiesDir = policiesDir;
      topo.gateway = await startGateway(path.join(work, 'gateway'), { pkiDir: pki, routes, policiesDir, entities: entitiesFile, sinks, logDir, extraConfig });
      topo.mcpUrl = `${topo.gateway.url}/mcp`;
      topo.a2aUrl = echo ? `${topo.gateway.url}/peer` : null;
    } else {
      topo.mcpUrl = tools.url;
      topo.a2aUrl = echo ? echo.baseUrl : null;
    }
  } catch (e) {
    await topo.stop();
    throw e;
  }

  /** A fetch acting as `identity` (a PKI file stem: alpha, beta, expired, rogue, ...; null = no cert). */
  topo.fetchAs = (identity) => {
    if (!viaGateway) return fetch; // direct: the upstreams are plain HTTP, nobody checks identity
    const f = tlsFetch(pki, identity);
    fetches.push(f);
    return f.fetch;
  };
  return topo;
}
