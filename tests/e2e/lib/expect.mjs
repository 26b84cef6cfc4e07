// Assertions shared by the scenarios.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

/** The gateway's JSON-RPC code for a denied request (DESIGN.md "Answers the gateway gives"). */
export const DENY_CODE = -32099;
export const BATCH_REFUSED_CODE = -32097;

/** A marker string unique to one call, to find that call in what an upstream received. */
export const marker = (what) => `e2e-${what}-${randomUUID().slice(0, 8)}`;

/** Awaits `promise` and asserts it failed with a JSON-RPC deny error whose message has `reason`. */
export async function assertDenied(promise, { reason } = {}) {
  let error;
  try {
    const value = await promise;
    assert.fail(`expected a denial, got a result: ${JSON.stringify(value).slice(0, 300)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    error = e;
  }
  assert.equal(error.code, DENY_CODE, `expected JSON-RPC code ${DENY_CODE}, got ${error.code}: ${error.message}`);
  if (reason) assert.match(error.message, new RegExp(reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the deny message carries the policy reason');
  return error;
}

/** Asserts that `text` (what an upstream received) does / does not contain `needle`. */
export function assertReached(tap, needle, expected, what = needle) {
  const got = tap.received().includes(needle);
  assert.equal(got, expected, expected ? `the upstream should have received ${what}` : `the upstream must NOT have received ${what}`);
}
