'use strict';
// Compares one request's answers from cedar-wasm and portcullis, and shrinks a disagreement to
// a minimal reproduction (fewest policies, entities and context keys that still disagree).

const { runOne } = require('./portcullis');

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// Returns null when the answers agree, else a one-line description of the difference.
function difference(cedar, port) {
  if (cedar.rejected && port.rejected) return null;  // both refuse the input
  if (cedar.rejected) return `cedar-wasm refuses the input (${cedar.rejected}) but portcullis decided ${port.decision}`;
  if (port.rejected) return `portcullis gave no decision (${port.rejected}); cedar-wasm decided ${cedar.decision}`;
  const diffs = [];
  if (cedar.decision !== port.decision) diffs.push(`decision ${port.decision}, expected ${cedar.decision}`);
  if (!same(cedar.reasons, port.reasons)) diffs.push(`reasons ${JSON.stringify(port.reasons)}, expected ${JSON.stringify(cedar.reasons)}`);
  if (!same(cedar.errors, port.errors)) diffs.push(`errors ${JSON.stringify(port.errors)}, expected ${JSON.stringify(cedar.errors)}`);
  if (diffs.length === 0) {
    // Same sets; DESIGN.md also requires them printed sorted.
    if (port.reasonsAsPrinted && !same(port.reasonsAsPrinted, port.reasons)) diffs.push('reasons not sorted');
    if (port.errorsAsPrinted && !same(port.errorsAsPrinted, port.errors)) diffs.push('errors not sorted');
  }
  return diffs.length ? diffs.join('; ') : null;
}

// Greedy shrinking: drop whatever can be dropped while the two engines still disagree.
// `budget` bounds the number of portcullis runs.
function shrink(oracle, binary, scratch, policies, entities, request, budget = 150) {
  let runs = 0;
  const disagrees = (pols, ents, req) => {
    if (runs >= budget) return false;
    runs++;
    const text = pols.join('\n');
    const c = oracle.decideOne(text, ents, req);
    const p = runOne(binary, scratch, text, ents, req);
    return difference(c, p) !== null;
  };

  let pols = policies.slice();
  // No policy at all (the entities alone disagree), else a single policy that disagrees on its
  // own, is the best reproduction.
  const alone = pols.find((p) => disagrees([p], entities, request));
  if (disagrees([], entities, request)) {
    pols = [];
  } else if (alone) {
    pols = [alone];
  } else {
    for (let i = pols.length - 1; i >= 0 && pols.length > 1; i--) {
      const candidate = pols.filter((_, j) => j !== i);
      if (disagrees(candidate, entities, request)) pols = candidate;
    }
  }
  let ents = entities.slice();
  for (let i = ents.length - 1; i >= 0; i--) {
    const candidate = ents.filter((_, j) => j !== i);
    if (disagrees(pols, candidate, request)) ents = candidate;
  }
  // Then what the remaining entities carry: attributes and tags.
  for (let i = 0; i < ents.length; i++) {
    const bare = { ...ents[i], attrs: {} };
    delete bare.tags;
    const candidate = ents.map((e, j) => (j === i ? bare : e));
    if (disagrees(pols, candidate, request)) ents = candidate;
  }
  let req = request;
  for (const key of Object.keys(request.context || {})) {
    const context = { ...req.context };
    delete context[key];
    const candidate = { ...req, context };
    if (disagrees(pols, ents, candidate)) req = candidate;
  }
  const result = (ps, es, rq) => {
    const text = ps.join('\n');
    return {
      policies: text,
      entities: es,
      request: rq,
      cedar: oracle.decideOne(text, es, rq),
      portcullis: runOne(binary, scratch, text, es, rq),
      runs,
    };
  };
  const shrunk = result(pols, ents, req);
  if (difference(shrunk.cedar, shrunk.portcullis) !== null) return shrunk;
  // The disagreement does not reproduce on its own (it depends on the rest of the batch):
  // report the unshrunk case.
  return { ...result(policies, entities, request), unshrunk: true };
}

module.exports = { difference, shrink };
