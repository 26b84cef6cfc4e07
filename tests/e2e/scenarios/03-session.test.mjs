// Scenario 3: a session rule. Once an agent's MCP session has called a tool that reads secrets
// (get-env, labelled "read-secrets" by the permit that allowed it), a later call in the same
// session to a tool that sends data out (gzip-file-as-resource) is denied.
//
// DESIGN.md: the label goes on the session *and* on the agent for `label_ttl`, so simply opening
// a new session does not shed it. The gateway here runs with label_ttl: 5s: right after the
// secret was read a new session of the same agent is still refused; once the agent's label has
// lapsed a new session is not affected — while the tainted session stays tainted. Another agent
// is never affected.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTopology, viaGateway } from '../lib/topology.mjs';
import { connectMcp, resultText } from '../lib/mcp-agent.mjs';
import { assertDenied, marker } from '../lib/expect.mjs';

// Long enough for the calls between the secret read and the new session's refused call (two
// calls, a new session's initialize, one more call) on a loaded machine: under load 14 on 2 cores
// they took up to 1.0 s, which a 2 s TTL left little room for.
const LABEL_TTL_MS = 5000;
// gzip-file-as-resource accepts data: URIs, so it works without any network.
const gzipArgs = (name) => ({ name, data: `data:text/plain;base64,${Buffer.from('hello').toString('base64')}`, outputType: 'resource' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('scenario 3: session rule', () => {
  let topo;
  before(async () => { topo = await startTopology('session', { extraConfig: `label_ttl: ${LABEL_TTL_MS / 1000}s` }); });
  after(async () => { await topo?.stop(); });

  const sendOut = (session, what) => {
    const name = `${marker(what)}.gz`;
    return { name, call: session.client.callTool({ name: 'gzip-file-as-resource', arguments: gzipArgs(name) }) };
  };
  const assertAllowed = async ({ name, call }, why) => {
    const r = await call;
    assert.ok(!r.isError, `${why}: ${resultText(r)}`);
    assert.ok(topo.tools.tap.received().includes(name), `${why}: the tool server received it`);
  };
  const assertRefused = async ({ name, call }, why) => {
    if (!viaGateway) return assertAllowed({ name, call }, `${why} (direct: nothing tracks sessions)`);
    const err = await assertDenied(call, { reason: 'this session has read secrets' });
    assert.deepEqual(err.data?.policy_ids, ['no-egress-after-secrets'], why);
    assert.ok(!topo.tools.tap.received().includes(name), `${why}: the tool server never saw it`);
  };

  it('allows sending data out in a fresh session', async () => {
    const s = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('beta') });
    await assertAllowed(sendOut(s, 'fresh'), 'before any secret was read');
    await s.close();
  });

  it('denies sending data out after the same session read secrets, until the end of that session', async () => {
    const tainted = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('beta') });
    const other = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('alpha') });
    const env = await tainted.client.callTool({ name: 'get-env', arguments: {} });
    assert.match(resultText(env), /"PATH"/, 'beta may read the environment');

    await assertRefused(sendOut(tainted, 'exfil'), 'the session that read secrets');
    await assertAllowed(sendOut(other, 'other-agent'), 'another agent is not affected');

    const sameAgent = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('beta') });
    assert.notEqual(sameAgent.sessionId, tainted.sessionId);
    await assertRefused(sendOut(sameAgent, 'same-agent-new-session'), 'a new session of the same agent, within label_ttl');

    await sleep(LABEL_TTL_MS + 700);
    const later = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('beta') });
    await assertAllowed(sendOut(later, 'after-ttl'), 'a new session once the agent label lapsed');
    await assertRefused(sendOut(tainted, 'exfil-later'), 'the tainted session, after label_ttl');

    for (const s of [later, sameAgent, other, tainted]) await s.close();
  });
});
