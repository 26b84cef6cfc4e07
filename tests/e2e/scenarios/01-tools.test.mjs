// Scenario 1: the agent sees only the tools its policy allows, gets real answers from allowed
// tools, and a forbidden call is refused with the policy's reason — and never reaches the tool
// server (checked on the tool server's side of the connection, by the tap).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTopology, viaGateway } from '../lib/topology.mjs';
import { connectMcp, resultText } from '../lib/mcp-agent.mjs';
import { assertDenied, assertReached, marker } from '../lib/expect.mjs';

describe(`scenario 1: tools through ${viaGateway ? 'Portcullis' : 'nothing (direct)'}`, () => {
  let topo;
  let agent;
  before(async () => {
    topo = await startTopology('tools');
    agent = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('alpha') });
  });
  after(async () => {
    await agent?.close();
    await topo?.stop();
  });

  it('lists only the tools the policy lets this agent call', async () => {
    const names = (await agent.client.listTools()).tools.map((t) => t.name).sort();
    // What server-everything itself offers, asked directly (around the gateway, for the test only).
    const upstream = await connectMcp(topo.tools.directUrl);
    const offered = (await upstream.client.listTools()).tools.map((t) => t.name).sort();
    await upstream.close();
    assert.ok(offered.includes('get-env') && offered.includes('get-tiny-image'), `server-everything offers get-env and get-tiny-image: ${offered}`);
    if (viaGateway) {
      // policies/scenarios: alpha may call exactly these (get-env is forbidden to it; no policy
      // permits the rest), so tools/list must offer exactly these and nothing else.
      const mayCall = ['echo', 'get-sum', 'gzip-file-as-resource', 'trigger-long-running-operation'];
      assert.deepEqual(names, offered.filter((n) => mayCall.includes(n)), 'tools/list is filtered to the tools alpha may call');
      assert.deepEqual(names, mayCall, 'every tool alpha may call is still offered');
      // The same call by beta, whom a permit lets call get-env: another agent, another list.
      const beta = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('beta') });
      try {
        const betaNames = (await beta.client.listTools()).tools.map((t) => t.name).sort();
        assert.deepEqual(betaNames, [...mayCall, 'get-env'].sort(), 'beta is also offered get-env');
      } finally {
        await beta.close();
      }
    } else {
      assert.deepEqual(names, offered, 'directly, the agent is offered everything');
    }
  });

  it('calls echo and get-sum and gets the tool server\'s real answers', async () => {
    const m = marker('echo');
    assert.equal(resultText(await agent.client.callTool({ name: 'echo', arguments: { message: m } })), `Echo: ${m}`);
    assert.equal(resultText(await agent.client.callTool({ name: 'get-sum', arguments: { a: 20, b: 22 } })), 'The sum of 20 and 22 is 42.');
    assertReached(topo.tools.tap, m, true, 'the allowed echo call');
  });

  it('refuses get-env with the policy reason, and server-everything never receives it', async () => {
    const m = marker('env');
    const call = agent.client.callTool({ name: 'get-env', arguments: { probe: m } });
    if (viaGateway) {
      const err = await assertDenied(call, { reason: "get-env reveals the tool server's secrets" });
      assert.ok(err.data?.audit_uid, 'the error names the audit record');
      assert.deepEqual(err.data?.policy_ids, ['no-env']);
      assertReached(topo.tools.tap, m, false, 'the denied get-env call');
      assertReached(topo.tools.tap, '"get-env"', false, 'any get-env call');
    } else {
      const r = await call;
      assert.match(resultText(r), /"PATH"/, 'directly, get-env returns the environment');
      assertReached(topo.tools.tap, m, true, 'the get-env call (direct: nothing stops it)');
    }
  });
});
