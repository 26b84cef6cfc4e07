#!/usr/bin/env node
// MCP conformance (@modelcontextprotocol/conformance, server scenarios, active suite) against
// server-everything, directly or through Portcullis with an allow-all policy.
//
//   node conformance/run.mjs --target direct --record   writes conformance-baseline.json
//   node conformance/run.mjs --target direct            checks the direct run against the baseline
//   node conformance/run.mjs --target gateway           runs through Portcullis; requires results
//                                                       identical to the baseline
//
// Through the gateway the runner presents a client certificate by a Node `--import` preload
// (client-cert-preload.mjs) that sets undici's global dispatcher: the gateway's real mTLS listener
// is what is tested, not a plaintext_identity shortcut.
// Results compared: for each scenario, every check that is not INFO, by id → status. A scenario
// that fails directly may fail through the gateway; nothing else may differ.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startToolServer } from '../lib/peers.mjs';
import { startGateway } from '../lib/gateway.mjs';
import { sharedPki } from '../lib/topology.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const e2eRoot = path.resolve(here, '..');
const baselineFile = path.join(e2eRoot, 'conformance-baseline.json');
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

function runConformance(url, outDir, env = {}, preload = null) {
  const args = [...(preload ? ['--import', preload] : []), cli, 'server', '--url', url, '-o', outDir];
  const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300000 });
  fs.writeFileSync(path.join(outDir, 'runner.log'), `${r.stdout}\n${r.stderr}`);
  return readResults(outDir);
}

function diff(expected, actual) {
  const problems = [];
  for (const s of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    const e = expected[s];
    const a = actual[s];
    if (!e) { problems.push(`${s}: not in the baseline`); continue; }
    if (!a) { problems.push(`${s}: did not run`); continue; }
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
    results = runConformance(tools.directUrl, outDir);
  } else if (values.target === 'gateway') {
    const pki = sharedPki();
    gateway = await startGateway(path.join(work, 'gateway'), {
      pkiDir: pki, logDir: work,
      routes: [{ name: 'tools', prefix: '/mcp', protocol: 'mcp', upstream: tools.url }],
      policiesDir: path.join(e2eRoot, 'policies/allow-all'),
    });
    results = runConformance(`${gateway.url}/mcp`, outDir, { PORTCULLIS_E2E_PKI: pki }, path.join(here, 'client-cert-preload.mjs'));
  } else {
    throw new Error(`--target must be direct or gateway, not ${values.target}`);
  }
} finally {
  if (gateway) await gateway.stop();
  await tools.stop();
}

console.log(`conformance (${values.target}): ${summary(results)}; results in ${outDir}`);
if (values.record) {
  const baseline = {
    description: 'MCP conformance server scenarios (active suite) run directly against server-everything; per scenario, every non-INFO check id and its status. Through Portcullis (allow-all policy) the results must be identical.',
    versions: Object.fromEntries(['@modelcontextprotocol/conformance', '@modelcontextprotocol/server-everything', '@modelcontextprotocol/sdk'].map((p) => [p, JSON.parse(fs.readFileSync(path.join(e2eRoot, 'node_modules', p, 'package.json'), 'utf8')).version])),
    node: process.version,
    results,
  };
  fs.writeFileSync(baselineFile, `${JSON.stringify(baseline, null, 2)}\n`);
  console.log(`recorded ${baselineFile}`);
  process.exit(0);
}
const baseline = JSON.parse(fs.readFileSync(baselineFile, 'utf8'));
const problems = diff(baseline.results, results);
if (problems.length) {
  console.log(`${problems.length} difference(s) from the baseline:\n  ${problems.join('\n  ')}`);
  console.log(`0 passed, 1 failed`);
  process.exit(1);
}
console.log('identical to the baseline');
console.log('1 passed, 0 failed');
