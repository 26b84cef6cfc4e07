#!/usr/bin/env node
// MCP conformance (@modelcontextprotocol/conformance, server scenarios, active suite) against
// server-everything, directly or through Portcullis with an allow-all policy.
//
//   node conformance/run.mjs --target direct --record    writes conformance-baseline.json
//   node conformance/run.mjs --target direct             checks the direct run against it
//   node conformance/run.mjs --target gateway [--record] runs through Portcullis and checks the
//                                                        results against the direct baseline;
//                                                        --record also writes conformance-gateway.json
//
// Through the gateway the runner presents a client certificate by a Node `--import` preload
// (client-cert-preload.mjs) that sets undici's global dispatcher: the gateway's real mTLS listener
// is what is tested, not a plaintext_identity shortcut.
// Results compared: for each scenario, every check that is not INFO, by id → status. Direct runs
// must equal the baseline exactly. Through the gateway, a scenario that passes directly must give
// exactly the same checks; a scenario that fails directly may fail through the gateway (its
// failing checks may then differ), but must not pass — that too would be the gateway changing
// what the server does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startToolServer } from '../lib/peers.mjs';
import { startGateway } from '../lib/gateway.mjs';
import { sharedPki } from '../lib/topology.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const e2eRoot = path.resolve(here, '..');
const baselineFile = path.join(e2eRoot, 'conformance-baseline.json');
const gatewayFile = path.join(e2eRoot, 'conformance-gateway.json');
const cli = path.join(e2eRoot, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');

const { values } = parseArgs({ options: { target: { type: 'string', default: 'gateway' }, record: { type: 'boolean', default: false } } });

/** Reads <out>/server-<scenario>-<timestamp>/checks.json into { scenario: { checkId: status } }. */
export function readResults(outDir) {
  const results = {};
  for (const d of fs.readdirSync(outDir).sort()) {
    const m = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(d);
    if (!m) continue;
    const checks = JSON.parse(fs.readFileSync(path.join(outDir, d, 'checks.json'), 'utf8'));
    const byId = {};
    for (const c of checks) {
      if (c.status === 'INFO') continue;
      byId[c.id] = byId[c.id] ? [byId[c.id], c.status].flat().sort().join(',') : c.status;
    }
    results[m[1]] = Object.fromEntries(Object.entries(byId).sort());
  }
  return results;
}

// Asynchronous on purpose: the tap in front of server-everything runs in this process, and a
// synchronous child would block the event loop the tap relays on (every call would time out).
function runConformance(url, outDir, env = {}, preload = null) {
  const args = [...(preload ? ['--import', preload] : []), cli, 'server', '--url', url, '-o', outDir];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 280000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      fs.writeFileSync(path.join(outDir, 'runner.log'), output);
      resolve(readResults(outDir));
    });
  });
}

const failed = (checks) => Object.values(checks).some((status) => status !== 'SUCCESS');

/** Differences of `actual` from `expected`; `lenient`: a scenario failing in both may differ. */
function diff(expected, actual, { lenient = false } = {}) {
  const problems = [];
  for (const s of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    const e = expected[s];
    const a = actual[s];
    if (!e) { problems.push(`${s}: not in the baseline`); continue; }
    if (!a) { problems.push(`${s}: did not run`); continue; }
    if (lenient && failed(e) && failed(a)) continue;
    for (const id of new Set([...Object.keys(e), ...Object.keys(a)])) {
      if (e[id] !== a[id]) problems.push(`${s} / ${id}: baseline ${e[id] ?? '(absent)'}, now ${a[id] ?? '(absent)'}`);
    }
  }
  return problems;
}

const summary = (res) => {
  const all = Object.values(res).flatMap((c) => Object.values(c));
  return `${Object.keys(res).length} scenarios, ${all.filter((s) => s === 'SUCCESS').length} checks passed, ${all.filter((s) => s.includes('FAILURE')).length} failed, ${all.filter((s) => s.includes('WARNING')).length} warnings`;
};

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-conformance-'));
const outDir = path.join(work, 'results');
fs.mkdirSync(outDir);
const tools = await startToolServer({ logDir: work });
let gateway = null;
let results;
try {
  if (values.target === 'direct') {
    results = await runConformance(tools.directUrl, outDir);
  } else if (values.target === 'gateway') {
    const pki = sharedPki();
    gateway = await startGateway(path.join(work, 'gateway'), {
      pkiDir: pki, logDir: work,
      routes: [{ name: 'tools', prefix: '/mcp', protocol: 'mcp', upstream: tools.url }],
      policiesDir: path.join(e2eRoot, 'policies/allow-all'),
    });
    results = await runConformance(`${gateway.url}/mcp`, outDir, { PORTCULLIS_E2E_PKI: pki }, path.join(here, 'client-cert-preload.mjs'));
  } else {
    throw new Error(`--target must be direct or gateway, not ${values.target}`);
  }
} finally {
  if (gateway) await gateway.stop();
  await tools.stop();
}

const versions = () => Object.fromEntries(['@modelcontextprotocol/conformance', '@modelcontextprotocol/server-everything', '@modelcontextprotocol/sdk'].map((p) => [p, JSON.parse(fs.readFileSync(path.join(e2eRoot, 'node_modules', p, 'package.json'), 'utf8')).version]));
const scenarioCounts = (res) => {
  const names = Object.keys(res);
  const bad = names.filter((n) => failed(res[n]));
  return { scenarios: names.length, passed: names.length - bad.length, failed: bad.length, failing: bad };
};

console.log(`conformance (${values.target}): ${summary(results)}; results in ${outDir}`);
if (values.record && values.target === 'direct') {
  const baseline = {
    description: 'MCP conformance server scenarios (active suite) run directly against server-everything; per scenario, every non-INFO check id and its status. Through Portcullis (allow-all policy) the results must be identical.',
    versions: versions(),
    node: process.version,
    results,
  };
  fs.writeFileSync(baselineFile, `${JSON.stringify(baseline, null, 2)}\n`);
  console.log(`recorded ${baselineFile}`);
  process.exit(0);
}
const baseline = JSON.parse(fs.readFileSync(baselineFile, 'utf8'));
const viaGateway = values.target === 'gateway';
const problems = diff(baseline.results, results, { lenient: viaGateway });
const exact = diff(baseline.results, results);
if (viaGateway && exact.length && !problems.length) {
  console.log(`differences inside scenarios that fail both directly and through the gateway (allowed):\n  ${exact.join('\n  ')}`);
}
if (values.record && viaGateway) {
  const record = {
    description: 'MCP conformance server scenarios (active suite) run through Portcullis (mTLS listener, allow-all policy, tools/list filtering on) in front of server-everything; compared with conformance-baseline.json (the same suite run directly) by conformance/run.mjs.',
    client_certificate: 'the conformance runner is unmodified; it presents the agent certificate "alpha" through a Node --import preload (conformance/client-cert-preload.mjs) that sets undici\'s global dispatcher. No plaintext_identity listener is used.',
    versions: versions(),
    node: process.version,
    direct: scenarioCounts(baseline.results),
    gateway: scenarioCounts(results),
    identical_to_direct: exact.length === 0,
    differences: exact,
    results,
  };
  fs.writeFileSync(gatewayFile, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`recorded ${gatewayFile}`);
}
if (problems.length) {
  console.log(`${problems.length} difference(s) from the baseline:\n  ${problems.join('\n  ')}`);
  if (gateway) console.log(`gateway log: ${path.join(work, 'portcullis.log')}`);
  console.log(`0 passed, 1 failed`);
  process.exit(1);
}
console.log(viaGateway ? 'same results as the direct baseline' : 'identical to the baseline');
console.log('1 passed, 0 failed');
