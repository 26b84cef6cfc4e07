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
    const names = (await agent.client.listTools()).tools.map((t) => t.name);
    for (const allowed of ['echo', 'get-sum', 'trigger-long-running-operation']) assert.ok(names.includes(allowed), `${allowed} listed`);
    if (viaGateway) {
      assert.ok(!names.includes('get-env'), 'get-env is filtered out of tools/list');
      assert.ok(!names.includes('get-tiny-image'), 'tools no policy permits are filtered out');
    } else {
      assert.ok(names.includes('get-env'), 'directly, server-everything offers get-env');
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
