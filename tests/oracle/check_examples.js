#!/usr/bin/env node
'use strict';
// Checks the shipped example policy sets (policies/<set>/) against Cedar's reference
// implementation: every line of requests.jsonl ({"request":..., "expect":"allow"|"deny",
// "reasons":[ids]?, "errors":[ids]?}) must get that answer from cedar-wasm. This keeps the
// documented expectations honest independently of our engine (tests/examples runs the same
// files through `portcullis check`).
//
//   node tests/oracle/check_examples.js [policies-dir]

const fs = require('fs');
const path = require('path');
const { CedarOracle, byteOrder } = require('./lib/cedar');

const root = path.resolve(process.argv[2] || path.join(__dirname, '..', '..', 'policies'));
let oracle;
try {
  oracle = new CedarOracle();
} catch (e) {
  console.error(`check_examples.js: ${e.message}`);
  process.exit(2);
}

// Policy ids as Portcullis names them: @id, else policy<N> over the whole set (files in lexical
// order). cedar-wasm always says policy<N>, so its ids are mapped through this table.
function policyIds(text) {
  const parts = oracle.cedar.policySetTextToParts(text);
  if (parts.type !== 'success') throw new Error(parts.errors.map((e) => e.message).join('; '));
  return parts.policies.map((p, n) => {
    const json = oracle.cedar.policyToJson(p);
    const id = json.type === 'success' && json.json.annotations && json.json.annotations.id;
    return id || `policy${n}`;
  });
}

let failures = 0;
let checked = 0;
for (const set of fs.readdirSync(root).sort()) {
  const dir = path.join(root, set);
  const requestsFile = path.join(dir, 'requests.jsonl');
  if (!fs.existsSync(requestsFile)) continue;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cedar')).sort(byteOrder);
  const text = files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
  const ids = policyIds(text);
  const entitiesFile = path.join(dir, 'entities.json');
  const entities = fs.existsSync(entitiesFile) ? JSON.parse(fs.readFileSync(entitiesFile, 'utf8')) : [];
  const lines = fs.readFileSync(requestsFile, 'utf8').split('\n').filter((l) => l.trim());
  lines.forEach((line, i) => {
    const tc = JSON.parse(line);
    const got = oracle.decideOne(text, entities, tc.request);
    checked++;
    const where = `${set}/requests.jsonl:${i + 1} (${tc.description || ''})`;
    if (got.rejected) {
      failures++;
      console.log(`FAIL ${where}: cedar-wasm refuses it: ${got.rejected}`);
      return;
    }
    const map = (list) => list.map((p) => ids[Number(p.replace('policy', ''))]).sort(byteOrder);
    const reasons = map(got.reasons);
    const errors = map(got.errors);
    const problems = [];
    if (got.decision !== tc.expect) problems.push(`decision ${got.decision}, expected ${tc.expect}`);
    if (tc.reasons && JSON.stringify(reasons) !== JSON.stringify([...tc.reasons].sort(byteOrder))) {
      problems.push(`reasons ${JSON.stringify(reasons)}, expected ${JSON.stringify(tc.reasons)}`);
    }
    const wantErrors = tc.errors || [];
    if (JSON.stringify(errors) !== JSON.stringify([...wantErrors].sort(byteOrder))) {
      problems.push(`errors ${JSON.stringify(errors)}, expected ${JSON.stringify(wantErrors)} ${JSON.stringify(got.messages)}`);
    }
    if (problems.length) {
      failures++;
      console.log(`FAIL ${where}: ${problems.join('; ')}`);
    }
  });
}
console.log(`${checked - failures} passed, ${failures} failed`);
process.exit(failures === 0 && checked > 0 ? 0 : 1);
