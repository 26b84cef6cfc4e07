// Scenario 3: a session rule. Once an agent's MCP session has called a tool that reads secrets
// (get-env, labelled "read-secrets" by the permit that allowed it), a later call in the same
// session to a tool that sends data out (gzip-file-as-resource) is denied; a new session is not.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTopology, viaGateway } from '../lib/topology.mjs';
import { connectMcp, resultText } from '../lib/mcp-agent.mjs';
import { assertDenied, marker } from '../lib/expect.mjs';

// gzip-file-as-resource accepts data: URIs, so it works without any network.
const gzipArgs = (name) => ({ name, data: `data:text/plain;base64,${Buffer.from('hello').toString('base64')}`, outputType: 'resource' });

describe('scenario 3: session rule', () => {
  let topo;
  before(async () => { topo = await startTopology('session'); });
  after(async () => { await topo?.stop(); });

  it('allows sending data out in a fresh session', async () => {
    const s = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('beta') });
    const r = await s.client.callTool({ name: 'gzip-file-as-resource', arguments: gzipArgs(`${marker('fresh')}.gz`) });
    assert.ok(!r.isError, resultText(r));
    await s.close();
  });

  it('denies sending data out after the same session read secrets; a new session is unaffected', async () => {
    const tainted = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('beta') });
    const env = await tainted.client.callTool({ name: 'get-env', arguments: {} });
    assert.match(resultText(env), /"PATH"/, 'beta may read the environment');

    const exfil = `${marker('exfil')}.gz`;
    const call = tainted.client.callTool({ name: 'gzip-file-as-resource', arguments: gzipArgs(exfil) });
    if (viaGateway) {
      const err = await assertDenied(call, { reason: 'this session has read secrets' });
      assert.deepEqual(err.data?.policy_ids, ['no-egress-after-secrets']);
      assert.ok(!topo.tools.tap.received().includes(exfil), 'the tool server never saw the call');
    } else {
      assert.ok(!(await call).isError, 'directly nothing tracks the session');
    }

    const fresh = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('beta') });
    assert.notEqual(fresh.sessionId, tainted.sessionId);
    const ok = `${marker('clean')}.gz`;
    const r = await fresh.client.callTool({ name: 'gzip-file-as-resource', arguments: gzipArgs(ok) });
    assert.ok(!r.isError, `a new session may send data out: ${resultText(r)}`);
    assert.ok(topo.tools.tap.received().includes(ok));
    await fresh.close();
    await tainted.close();
  });
});
