// Scenario 5: identity is the client certificate. No certificate, an expired one, or one from
// another CA is refused at the TLS handshake (nothing read, nothing forwarded); two agents with
// different certificates get different decisions for the same call.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTopology, viaGateway } from '../lib/topology.mjs';
import { connectMcp, resultText } from '../lib/mcp-agent.mjs';
import { assertDenied, marker } from '../lib/expect.mjs';

const direct = !viaGateway && 'direct mode: the upstream has no TLS listener';

describe('scenario 5: identity', () => {
  let topo;
  before(async () => { topo = await startTopology('identity'); });
  after(async () => { await topo?.stop(); });

  for (const [who, identity] of [['no certificate', null], ['an expired certificate', 'expired'], ['a certificate from another CA', 'rogue']]) {
    it(`refuses a client with ${who} at the handshake`, { skip: direct }, async () => {
      const m = marker('refused');
      const f = topo.fetchAs(identity);
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: m, version: '1' } } });
      let outcome;
      try {
        const r = await f(topo.mcpUrl, { method: 'POST', body, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } });
        outcome = `HTTP ${r.status}`;
      } catch (e) {
        outcome = e;
      }
      assert.ok(outcome instanceof Error, `expected the TLS handshake to fail, got ${outcome}`);
      assert.ok(!topo.tools.tap.received().includes(m), 'nothing was forwarded');
    });
  }

  it('gives two agents different decisions for the same call', async () => {
    const alpha = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('alpha') });
    const beta = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('beta') });
    const call = (a) => a.client.callTool({ name: 'get-env', arguments: {} });
    assert.match(resultText(await call(beta)), /"PATH"/, 'beta may call get-env');
    if (viaGateway) {
      await assertDenied(call(alpha), { reason: "get-env reveals the tool server's secrets" });
    } else {
      assert.match(resultText(await call(alpha)), /"PATH"/);
    }
    await alpha.close();
    await beta.close();
  });

  it('accepts a certificate without a URI SAN and acts as its subject CN', { skip: direct }, async () => {
    const a = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('cn-only') });
    const m = marker('cn');
    assert.equal(resultText(await a.client.callTool({ name: 'echo', arguments: { message: m } })), `Echo: ${m}`);
    assert.ok(topo.tools.tap.received().toLowerCase().includes('cn-only-agent'), 'the upstream was told the identity (CN)');
    await a.close();
  });
});
