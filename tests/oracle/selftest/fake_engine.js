'use strict';
// A stand-in for `portcullis check --policies P --entities E --batch F` built on cedar-wasm, so
// the differential runner itself can be tested without the C++ engine: the honest variant must
// pass, and the lying variant (which flips some decisions) must be caught.

const fs = require('fs');
const { CedarOracle } = require('../lib/cedar');

function arg(args, name) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function runFake(lie) {
  const args = process.argv.slice(2);
  if (args[0] !== 'check') {
    process.stderr.write('fake portcullis: only `check` is supported\n');
    process.exit(2);
  }
  const policies = fs.readFileSync(arg(args, '--policies'), 'utf8');
  const entities = JSON.parse(fs.readFileSync(arg(args, '--entities'), 'utf8'));
  const lines = fs.readFileSync(arg(args, '--batch'), 'utf8').split('\n').filter((l) => l.trim());
  const oracle = new CedarOracle();
  const requests = lines.map((l) => JSON.parse(l));
  const results = oracle.decideAll(policies, entities, requests);
  if (results.some((r) => r.rejected)) {
    process.stderr.write(`fake portcullis: ${results.find((r) => r.rejected).rejected}\n`);
    process.exit(2);
  }
  const out = results.map((r, i) => {
    // The liar flips the decision for one principal when no policy error is involved, so a
    // disagreement depends on the request's content and survives shrinking.
    const flip = lie && requests[i].principal.id === 'alice' && r.errors.length === 0;
    const decision = flip ? (r.decision === 'allow' ? 'deny' : 'allow') : r.decision;
    return JSON.stringify({ decision, reasons: r.reasons, errors: r.errors, diagnostics: r.messages });
  });
  process.stdout.write(out.join('\n') + '\n');
}

module.exports = { runFake };
