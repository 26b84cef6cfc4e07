// Scenario 2: one tool, allowed or denied by the value of an argument (get-sum with a > 1000).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTopology, viaGateway } from '../lib/topology.mjs';
import { connectMcp, resultText } from '../lib/mcp-agent.mjs';
import { assertDenied } from '../lib/expect.mjs';

describe('scenario 2: argument-based rule', () => {
  let topo;
  let agent;
  before(async () => {
    topo = await startTopology('arguments');
    agent = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('alpha') });
  });
  after(async () => { await agent?.close(); await topo?.stop(); });

  it('allows get-sum with a = 1000 (the boundary)', async () => {
    assert.equal(resultText(await agent.client.callTool({ name: 'get-sum', arguments: { a: 1000, b: 1 } })), 'The sum of 1000 and 1 is 1001.');
  });

  it('denies get-sum with a = 1001, naming the rule, and the tool never sees it', async () => {
    const call = agent.client.callTool({ name: 'get-sum', arguments: { a: 1001, b: 7331 } });
    if (viaGateway) {
      const err = await assertDenied(call, { reason: 'get-sum is limited to a <= 1000' });
      assert.deepEqual(err.data?.policy_ids, ['sum-limit']);
      assert.ok(!topo.tools.tap.received().includes('7331'), 'the denied call did not reach server-everything');
    } else {
      assert.equal(resultText(await call), 'The sum of 1001 and 7331 is 8332.');
      assert.ok(topo.tools.tap.received().includes('7331'));
    }
  });

  it('denies a value the rule cannot compare (a string a) instead of skipping the rule', async () => {
    // server-everything would reject a string too; the point is who refuses first. Through the
    // gateway the forbid errors on "5000" > 1000, and policy_errors: deny refuses the call.
    const call = agent.client.callTool({ name: 'get-sum', arguments: { a: '5000', b: 4242 } });
    if (viaGateway) {
      await assertDenied(call);
      assert.ok(!topo.tools.tap.received().includes('4242'));
    } else {
      const r = await call.catch((e) => ({ isError: true, e }));
      assert.ok(r.isError, 'server-everything refuses a string argument itself');
    }
  });
});
