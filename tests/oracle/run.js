#!/usr/bin/env node
'use strict';
// Differential test: random Cedar cases through cedar-wasm (Cedar's reference implementation)
// and through `portcullis check --batch`; every decision, reason and error must agree.
//
//   node tests/oracle/run.js --cases 3000 --seed 20261127 --portcullis build/portcullis
//   node tests/oracle/run.js --cases 1000000 --seed $RANDOM --portcullis build/portcullis  # long run
//   node tests/oracle/run.js --cedar-only --cases 2000 --seed 1     # generator check, no engine
//
// Prints every disagreement with a minimal reproduction and exits 1 if there is any; otherwise
// the last line is `N passed, 0 failed`. Exit 2: bad usage or cedar-wasm not installed.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { generateGroup } = require('./lib/generator');
const { cornerGroup } = require('./lib/corners');
const { CedarOracle } = require('./lib/cedar');
const { writeGroupFiles, runBatch } = require('./lib/portcullis');
const { difference, shrink } = require('./lib/compare');

const USAGE = `usage: run.js --cases N --seed S (--portcullis PATH | --cedar-only)
                [--per-group K] [--group G] [--max-reports R] [--save-dir DIR] [--keep]
  --cases N        number of requests to decide (default 1000)
  --seed S         integer seed; group G of seed S is always the same case
  --portcullis P   the portcullis binary (or a .js stand-in)
  --per-group K    requests per policy set / check --batch call (default 50)
  --group G        run only group G (to reproduce a reported disagreement)
  --max-reports R  shrink and print at most R disagreements (default 10)
  --save-dir DIR   also write each reproduction as files under DIR
  --cedar-only     only check that cedar-wasm accepts every generated case; print statistics
  --no-corners     skip the hand-picked corner group (lib/corners.js) that runs first`;

function parseArgs(argv) {
  const opts = { cases: 1000, seed: 1, perGroup: 50, maxReports: 10, group: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const int = (v) => {
      if (!/^-?\d+$/.test(v)) usage(`${a}: not an integer: ${v}`);
      return Number(v);
    };
    switch (a) {
      case '--cases': opts.cases = int(next()); break;
      case '--seed': opts.seed = int(next()); break;
      case '--portcullis': opts.portcullis = path.resolve(next()); break;
      case '--per-group': opts.perGroup = int(next()); break;
      case '--group': opts.group = int(next()); break;
      case '--max-reports': opts.maxReports = int(next()); break;
      case '--save-dir': opts.saveDir = path.resolve(next()); break;
      case '--keep': opts.keep = true; break;
      case '--cedar-only': opts.cedarOnly = true; break;
      case '--no-corners': opts.noCorners = true; break;
      case '--help': case '-h': console.log(USAGE); process.exit(0); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (!opts.cedarOnly && !opts.portcullis) usage('--portcullis PATH is required (or --cedar-only)');
  if (opts.portcullis && !fs.existsSync(opts.portcullis)) usage(`no such file: ${opts.portcullis}`);
  if (opts.cases < 1 || opts.perGroup < 1) usage('--cases and --per-group must be positive');
  return opts;
}

function usage(message) {
  console.error(`run.js: ${message}\n${USAGE}`);
  process.exit(2);
}

function formatResult(r) {
  if (r.rejected) return `refused: ${r.rejected}`;
  const out = { decision: r.decision, reasons: r.reasons, errors: r.errors };
  return `${JSON.stringify(out)}${r.messages && r.messages.length ? `\n      messages: ${JSON.stringify(r.messages)}` : ''}`;
}

function reportDisagreement(n, where, what, repro, opts) {
  const lines = [
    `DISAGREEMENT #${n} at ${where}: ${what}`,
    `  cedar-wasm: ${formatResult(repro.cedar)}`,
    `  portcullis: ${formatResult(repro.portcullis)}`,
    repro.unshrunk ? '  reproduction (does not disagree when run alone; it depends on the rest of the batch):' : '  minimal reproduction:',
    '  --- policies.cedar ---',
    repro.policies.split('\n').map((l) => `    ${l}`).join('\n'),
    '  --- entities.json ---',
    `    ${JSON.stringify(repro.entities)}`,
    '  --- request ---',
    `    ${JSON.stringify(repro.request)}`,
    `  (reproduce the whole group: node tests/oracle/run.js ${where.replace(/request \d+/, '').trim()} --portcullis PATH)`,
  ];
  console.log(lines.join('\n'));
  if (opts.saveDir) {
    const dir = path.join(opts.saveDir, `repro-${n}`);
    writeGroupFiles(dir, repro.policies, repro.entities, [repro.request]);
    fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(repro.cedar, null, 1) + '\n');
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  let oracle;
  try {
    oracle = new CedarOracle();
  } catch (e) {
    console.error(`run.js: ${e.message}`);
    process.exit(2);
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-oracle-'));
  const groups = Math.ceil(opts.cases / opts.perGroup);
  const first = opts.group ?? 0;
  const last = opts.group ?? groups - 1;
  const stats = { cases: 0, passed: 0, failed: 0, allow: 0, deny: 0, withErrors: 0, refused: 0, policies: 0 };
  let reports = 0;
  const started = Date.now();
  console.log(`cedar-wasm ${oracle.version}; seed ${opts.seed}; ${opts.cases} cases in ${last - first + 1} groups of ${opts.perGroup}`);

  // Group -1 is the hand-picked corners (the same in every run), then the random groups.
  const start = opts.group === null && !opts.noCorners ? -1 : first;
  for (let g = start; g <= last; g++) {
    let group;
    let count;
    if (g === -1) {
      group = cornerGroup();
      count = group.requests.length;
    } else {
      count = opts.group !== null ? opts.perGroup : Math.min(opts.perGroup, opts.cases - g * opts.perGroup);
      if (count <= 0) break;
      group = generateGroup(opts.seed, g, { requestsPerGroup: count });
    }
    const policyText = group.policies.join('\n');
    stats.policies += group.policies.length;
    const where = g === -1 ? 'the corner group (tests/oracle/lib/corners.js)' : `--seed ${opts.seed} --per-group ${opts.perGroup} --group ${g}`;

    // Start portcullis first so it runs while node evaluates the same cases.
    let pending = null;
    const groupDir = path.join(scratch, `g${g}`);
    if (!opts.cedarOnly) {
      const files = writeGroupFiles(groupDir, policyText, group.entities, group.requests);
      // The group's files go as soon as portcullis has read them (a long run has thousands).
      pending = runBatch(opts.portcullis, files, count).then((result) => {
        if (!opts.keep) fs.rmSync(groupDir, { recursive: true, force: true });
        return result;
      });
    }
    const expected = oracle.decideAll(policyText, group.entities, group.requests);
    stats.cases += count;
    for (const e of expected) {
      if (e.rejected) stats.refused++;
      else {
        stats[e.decision]++;
        if (e.errors.length) stats.withErrors++;
      }
    }

    // The generator must produce input Cedar accepts, except the deliberately cyclic or
    // corrupted entity files.
    const badInput = expected.find((e) => e.rejected && !group.cyclic && !group.mutation);
    if (badInput) {
      stats.failed += count;
      console.log(`GENERATOR BUG at ${where}: cedar-wasm refuses a generated case: ${badInput.rejected}`);
      if (pending) await pending;
      continue;
    }
    if (opts.cedarOnly) {
      stats.passed += count;
      continue;
    }

    const actual = await pending;
    if (actual.rejected) {
      // portcullis refused the whole group: agreement only if cedar-wasm refuses it too.
      if (expected.every((e) => e.rejected)) {
        stats.passed += count;
        continue;
      }
      stats.failed += count;
      reports++;
      if (reports <= opts.maxReports) {
        const first200 = group.requests[0];
        const repro = shrink(oracle, opts.portcullis, path.join(scratch, 'shrink'), group.policies, group.entities, first200);
        reportDisagreement(reports, where, `portcullis refused the group: ${actual.rejected}`, repro, opts);
      }
      continue;
    }
    if (expected.every((e) => e.rejected)) {
      // cedar-wasm refuses the group's entities (a parent cycle) but portcullis decided: one
      // disagreement for the group, not one per request.
      stats.failed += count;
      reports++;
      const repro = shrink(oracle, opts.portcullis, path.join(scratch, 'shrink'), group.policies, group.entities, group.requests[0]);
      const why = group.mutation ? `entities corrupted by ${group.mutation}` : 'entities with a parent cycle';
      reportDisagreement(reports, where, `${why}: cedar-wasm refuses them (${expected[0].rejected}) but portcullis decided all ${count} requests`, repro, opts);
      continue;
    }
    if (actual.problem) console.log(`PROBLEM at ${where}: ${actual.problem}`);
    for (let i = 0; i < count; i++) {
      const got = actual.results[i] || { rejected: 'missing output line' };
      const what = difference(expected[i], got);
      if (what === null) {
        stats.passed++;
        continue;
      }
      stats.failed++;
      reports++;
      if (reports <= opts.maxReports) {
        const repro = shrink(oracle, opts.portcullis, path.join(scratch, 'shrink'), group.policies, group.entities, group.requests[i]);
        reportDisagreement(reports, `${where} request ${i}`, what, repro, opts);
      } else if (reports <= opts.maxReports + 100) {
        console.log(`DISAGREEMENT #${reports} at ${where} request ${i}: ${what} (not shrunk: over --max-reports)`);
      } else if (reports === opts.maxReports + 101) {
        console.log('(more disagreements not listed)');
      }
    }
    if (g % 200 === 199) {
      console.log(`... ${stats.cases} cases, ${stats.failed} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  }

  if (!opts.keep) fs.rmSync(scratch, { recursive: true, force: true });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`cases: ${stats.allow} allow, ${stats.deny} deny, ${stats.withErrors} with policy errors, ` +
    `${stats.refused} refused input (cyclic or corrupted entities); ${stats.policies} policies; ${secs} s`);
  console.log(`${stats.passed} passed, ${stats.failed} failed`);
  process.exit(stats.failed === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(2);
});
