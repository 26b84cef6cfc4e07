'use strict';
// Cedar's reference implementation (cedar-wasm, the Rust engine compiled to WebAssembly) as the
// oracle. One node process decides a whole batch: the policy set is pre-parsed once per group.

const path = require('path');
const fs = require('fs');

const PACKAGE_DIR = path.join(__dirname, '..', 'node_modules', '@cedar-policy', 'cedar-wasm');

function loadCedar() {
  if (!fs.existsSync(PACKAGE_DIR)) {
    const where = path.join(__dirname, '..');
    throw new Error(
      `cedar-wasm is not installed (${PACKAGE_DIR} is missing).\n` +
      `Run \`npm ci\` in ${where} (scripts/setup.sh does it), then re-run.`);
  }
  return require(path.join(PACKAGE_DIR, 'nodejs'));
}

// Normalises a cedar-wasm answer to {decision, reasons, errors, messages} or {rejected: message}.
function normalise(answer) {
  if (answer.type !== 'success') {
    return { rejected: answer.errors.map((e) => e.message).join('; ') };
  }
  const diag = answer.response.diagnostics;
  return {
    decision: answer.response.decision,
    reasons: [...diag.reason].sort(byteOrder),
    errors: diag.errors.map((e) => e.policyId).sort(byteOrder),
    messages: diag.errors.map((e) => `${e.policyId}: ${e.error.message}`),
  };
}

// Sorts strings by UTF-8 byte order (DESIGN.md: reasons and errors are sorted by byte order).
function byteOrder(a, b) {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

class CedarOracle {
  constructor() {
    this.cedar = loadCedar();
    this.version = this.cedar.getCedarVersion();
  }

  // Parse check for a policy text: null when it parses, else the error messages.
  parseError(policyText) {
    const answer = this.cedar.checkParsePolicySet({ staticPolicies: policyText });
    return answer.type === 'success' ? null : answer.errors.map((e) => e.message).join('; ');
  }

  // Decides every request of a group against its policy set. Returns one normalised result per
  // request (or {rejected} when cedar refuses the request or the entities).
  decideAll(policyText, entities, requests) {
    const id = 'oracle-group';
    const parsed = this.cedar.preparsePolicySet(id, { staticPolicies: policyText });
    if (parsed.type !== 'success') {
      const message = parsed.errors.map((e) => e.message).join('; ');
      return requests.map(() => ({ rejected: `policy parse error: ${message}` }));
    }
    return requests.map((request) => normalise(this.cedar.statefulIsAuthorized({
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      context: request.context || {},
      preparsedPolicySetId: id,
      entities,
    })));
  }

  // Decides one request without pre-parsing (used while shrinking a disagreement).
  decideOne(policyText, entities, request) {
    return normalise(this.cedar.isAuthorized({
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      context: request.context || {},
      policies: { staticPolicies: policyText },
      entities,
    }));
  }
}

module.exports = { CedarOracle, byteOrder, PACKAGE_DIR };
