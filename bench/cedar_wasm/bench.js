#!/usr/bin/env node
'use strict';
// Side-by-side benchmark, the reference half: decides realistic agent-policy requests with
// cedar-wasm (Cedar's Rust engine as WebAssembly) in a loop on one core — policy set pre-parsed
// once (preparsePolicySet), each call given only the entities it can touch
// (statefulIsAuthorized), which is the fastest way its API allows — and prints decisions/s and
// p50/p99 latency per policy-set size. With --write-batch it also writes the same cases as
// files for `portcullis check --batch` (bench/compare_cedar.sh runs both).
//
//   node bench/cedar_wasm/bench.js [--sizes 10,100,1000] [--seconds 3] [--write-batch DIR]
//                                  [--batch-lines 200000] [--json FILE]

const fs = require('fs');
const path = require('path');
const { agentWorkload } = require('./agent_cases');

const CEDAR = path.join(__dirname, '..', '..', 'tests', 'oracle', 'node_modules', '@cedar-policy', 'cedar-wasm', 'nodejs');

function parseArgs(argv) {
  const opts = { sizes: [10, 100, 1000], seconds: 3, batchLines: 200000 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--sizes': opts.sizes = v.split(',').map(Number); i++; break;
      case '--seconds': opts.seconds = Number(v); i++; break;
      case '--write-batch': opts.writeBatch = path.resolve(v); i++; break;
      case '--batch-lines': opts.batchLines = Number(v); i++; break;
      case '--json': opts.json = path.resolve(v); i++; break;
      default:
        console.error(`bench.js: unknown argument ${argv[i]}`);
        process.exit(2);
    }
  }
  return opts;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(CEDAR)) {
    console.error(`bench.js: cedar-wasm is not installed; run \`npm ci\` in tests/oracle (scripts/setup.sh does it)`);
    process.exit(2);
  }
  const cedar = require(CEDAR);
  const results = [];
  console.log(`cedar-wasm ${cedar.getCedarVersion()} on node ${process.version}, one core, ${opts.seconds} s per size`);
  console.log('policies  decisions/s  per CPU-s   p50 µs    p99 µs   allow/2000');
  for (const n of opts.sizes) {
    const w = agentWorkload(n);
    const id = `bench-${n}`;
    const parsed = cedar.preparsePolicySet(id, { staticPolicies: w.policies });
    if (parsed.type !== 'success') throw new Error(JSON.stringify(parsed.errors));
    const calls = w.requests.map((r) => ({
      principal: r.principal, action: r.action, resource: r.resource, context: r.context,
      preparsedPolicySetId: id, entities: w.entitiesFor(r),
    }));
    // Check every request decides, and count allows (compare_cedar.sh checks portcullis agrees).
    let allows = 0;
    for (const call of calls) {
      const a = cedar.statefulIsAuthorized(call);
      if (a.type !== 'success') throw new Error(JSON.stringify(a.errors));
      if (a.response.decision === 'allow') allows++;
    }
    // Timed loop.
    const latencies = [];
    const deadline = process.hrtime.bigint() + BigInt(Math.round(opts.seconds * 1e9));
    const cpuStarted = process.cpuUsage();
    const started = process.hrtime.bigint();
    let i = 0;
    let now = started;
    while (now < deadline) {
      const t0 = now;
      cedar.statefulIsAuthorized(calls[i % calls.length]);
      now = process.hrtime.bigint();
      latencies.push(Number(now - t0) / 1000);
      i++;
    }
    const elapsed = Number(now - started) / 1e9;
    const cpu = process.cpuUsage(cpuStarted);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    latencies.sort((a, b) => a - b);
    // Decisions per CPU-second as well as per wall-second: on a shared machine the wall-clock
    // rate includes time the process spent descheduled; the CPU rate does not.
    const row = {
      policies: n, decisionsPerSecond: i / elapsed, decisionsPerCpuSecond: i / cpuSeconds,
      p50us: percentile(latencies, 0.5), p99us: percentile(latencies, 0.99), allows, requests: calls.length,
    };
    results.push(row);
    console.log(`${String(n).padStart(8)}  ${row.decisionsPerSecond.toFixed(0).padStart(11)}  ${row.decisionsPerCpuSecond.toFixed(0).padStart(11)}  ` +
      `${row.p50us.toFixed(1).padStart(7)}  ${row.p99us.toFixed(1).padStart(8)}   ${allows}`);

    if (opts.writeBatch) {
      const dir = path.join(opts.writeBatch, String(n));
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'policies.cedar'), w.policies + '\n');
      fs.writeFileSync(path.join(dir, 'entities.json'), JSON.stringify(w.entities));
      const lines = w.requests.map((r) => JSON.stringify(r));
      fs.writeFileSync(path.join(dir, 'requests.jsonl'), lines.join('\n') + '\n');
      // The same requests repeated, so a timed `check --batch` run is dominated by decisions.
      const out = fs.openSync(path.join(dir, 'requests-repeated.jsonl'), 'w');
      const block = lines.join('\n') + '\n';
      for (let k = 0; k < Math.ceil(opts.batchLines / lines.length); k++) fs.writeSync(out, block);
      fs.closeSync(out);
    }
  }
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify(results, null, 1) + '\n');
}

main();
