// Scenario 7: raw bypass attempts with curl against the running gateway. Each is blocked and none
// reaches the tool server (every attempt carries a unique marker; the tap shows what arrived).
// Directly, each of them reaches server-everything — which is what shows the tap would notice.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTopology, viaGateway } from '../lib/topology.mjs';
import { curlPost, jsonRpcMessages, rawMcpSession } from '../lib/curl.mjs';
import { BATCH_REFUSED_CODE, DENY_CODE, marker } from '../lib/expect.mjs';

// The text of a tools/call result in a raw response.
const toolText = (r) => (jsonRpcMessages(r.body)[0]?.result?.content ?? []).map((c) => c.text ?? '').join('\n');
const call = (id, name, args) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

describe('scenario 7: raw bypass attempts', () => {
  let topo;
  let session;
  const post = (body, { identity = 'alpha', headers = {} } = {}) =>
    curlPost(topo.mcpUrl, body, { pki: topo.pki, identity, headers: { ...session, ...headers } });
  const reached = (m) => topo.tools.tap.received().includes(m);

  before(async () => {
    topo = await startTopology('bypass');
    session = await rawMcpSession(topo.mcpUrl, { pki: topo.pki, identity: 'alpha' });
  });
  after(async () => { await topo?.stop(); });

  it('refuses a JSON-RPC batch that hides a forbidden call, as a whole', async () => {
    const m1 = marker('batch-echo');
    const m2 = marker('batch-env');
    const r = await post(JSON.stringify([call(11, 'echo', { message: m1 }), call(12, 'get-env', { probe: m2 })]));
    if (viaGateway) {
      assert.equal(r.status, 200, r.body);
      const byId = new Map(jsonRpcMessages(r.body).map((msg) => [msg.id, msg]));
      assert.equal(byId.get(12)?.error?.code, DENY_CODE, r.body);
      assert.equal(byId.get(11)?.error?.code, BATCH_REFUSED_CODE, r.body);
      assert.ok(!reached(m1) && !reached(m2), 'no element of the batch was forwarded');
    } else {
      assert.ok(reached(m1) && reached(m2), 'directly, server-everything executes the batch');
    }
  });

  it('refuses a call with duplicate "name" keys (the upstream would read the last one)', async () => {
    const m = marker('dup');
    const body = `{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"echo","arguments":{"message":"${m}"},"name":"get-env"}}`;
    const r = await post(body);
    if (viaGateway) {
      assert.equal(r.status, 400, `duplicate keys: HTTP ${r.status} ${r.body}`);
      assert.ok(!reached(m));
    } else {
      assert.ok(reached(m));
      assert.match(toolText(r), /"PATH"/, 'directly, JSON.parse keeps the last "name": get-env ran');
    }
  });

  for (const [what, name] of [
    ['differing only in case', 'Get-Env'],
    ['with a Cyrillic look-alike letter', 'g\u0435t-env'],
    ['with a Unicode hyphen', 'get\u2010env'],
    ['with a zero-width space', 'get-env\u200b'],
  ]) {
    it(`refuses a tool name ${what}`, async () => {
      const m = marker('lookalike');
      const r = await post(JSON.stringify(call(14, name, { probe: m })));
      if (viaGateway) {
        const [msg] = jsonRpcMessages(r.body);
        assert.equal(msg?.error?.code, DENY_CODE, `${JSON.stringify(name)}: ${r.status} ${r.body}`);
        assert.ok(!reached(m));
      } else {
        assert.ok(reached(m));
      }
    });
  }

  it('decides a JSON-escaped tool name as the name it decodes to', async () => {
    const m = marker('escaped');
    const r = await post(`{"jsonrpc":"2.0","id":15,"method":"tools/call","params":{"name":"get\\u002denv","arguments":{"probe":"${m}"}}}`);
    if (viaGateway) {
      const [msg] = jsonRpcMessages(r.body);
      assert.equal(msg?.error?.code, DENY_CODE, r.body);
      assert.match(msg.error.message, /reveals the tool server's secrets/);
      assert.ok(!reached(m));
    } else {
      assert.match(toolText(r), /"PATH"/, 'directly, the escaped name is get-env');
    }
  });

  it('ignores an identity header set by the client', async () => {
    const forged = { 'X-Portcullis-Agent': 'spiffe://example.org/agent/beta' };
    const m = marker('forged');
    const r = await post(JSON.stringify(call(16, 'get-env', { probe: m })), { headers: forged });
    const m2 = marker('forged-echo');
    const ok = await post(JSON.stringify(call(17, 'echo', { message: m2 })), { headers: forged });
    assert.match(ok.body, new RegExp(`Echo: ${m2}`));
    const seen = topo.tools.tap.received();
    const request = seen.slice(seen.lastIndexOf('POST ', seen.indexOf(m2)), seen.indexOf(m2));
    if (viaGateway) {
      const [msg] = jsonRpcMessages(r.body);
      assert.equal(msg?.error?.code, DENY_CODE, `alpha pretending to be beta: ${r.body}`);
      assert.ok(!reached(m));
      assert.match(request, /x-portcullis-agent: spiffe:\/\/example\.org\/agent\/alpha/i, 'upstream told the verified identity');
      assert.doesNotMatch(request, /agent\/beta/, 'the forged header was removed');
    } else {
      assert.ok(reached(m));
      assert.match(request, /agent\/beta/i, 'directly, the header goes through untouched');
    }
  });
});
