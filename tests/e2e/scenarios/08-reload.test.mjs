// Scenario 8: hot reload while an agent is mid-session. A newly forbidden tool is refused from the
// next call on, in the same MCP session; a broken policy file is rejected by /reload and the
// policies in force keep working.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTopology, viaGateway } from '../lib/topology.mjs';
import { connectMcp, resultText } from '../lib/mcp-agent.mjs';
import { assertDenied, marker } from '../lib/expect.mjs';

const skip = !viaGateway && 'direct mode: there is no gateway to reload';

describe('scenario 8: hot reload', { skip }, () => {
  let topo;
  let agent;
  const echo = (m) => agent.client.callTool({ name: 'echo', arguments: { message: m } });
  before(async () => {
    topo = await startTopology('reload', { copyPolicies: true });
    agent = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('alpha') });
  });
  after(async () => { await agent?.close(); await topo?.stop(); });

  it('refuses a newly forbidden tool from the next call on, in the same session', async () => {
    const m1 = marker('before');
    assert.equal(resultText(await echo(m1)), `Echo: ${m1}`);
    fs.writeFileSync(path.join(topo.policiesDir, '90-reload.cedar'),
      '@id("echo-off")\n@reason("echo is switched off for maintenance")\n' +
      'forbid (principal, action == Action::"tools/call", resource == Tool::"tools/echo");\n');
    const r = await topo.gateway.reload();
    assert.equal(r.status, 200, `reload: ${r.status} ${r.body}`);
    const m2 = marker('after');
    await assertDenied(echo(m2), { reason: 'echo is switched off for maintenance' });
    assert.ok(!topo.tools.tap.received().includes(m2));
    assert.equal(resultText(await agent.client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })), 'The sum of 1 and 2 is 3.');
  });

  it('rejects a broken policy file and keeps the policies in force', async () => {
    const broken = path.join(topo.policiesDir, '95-broken.cedar');
    fs.writeFileSync(broken, '@id("oops")\npermit (principal, action == Action::"tools/call", resource) when { context.input.a > };\n');
    const r = await topo.gateway.reload();
    assert.ok(r.status >= 400, `a broken policy must be refused: ${r.status} ${r.body}`);
    assert.match(r.body, /95-broken\.cedar:2:\d+/, 'the refusal names file:line:column');
    // Old set still in force: echo still denied (the reload above), get-sum still allowed.
    await assertDenied(echo(marker('still-off')), { reason: 'echo is switched off' });
    assert.equal(resultText(await agent.client.callTool({ name: 'get-sum', arguments: { a: 2, b: 2 } })), 'The sum of 2 and 2 is 4.');
    fs.rmSync(broken);
    const again = await topo.gateway.reload();
    assert.equal(again.status, 200, `reload after the fix: ${again.status} ${again.body}`);
  });

  it('keeps an intact audit chain across reloads', () => {
    const v = topo.gateway.verifyAudit();
    assert.equal(v.code, 0, `${v.command}\n${v.output}`);
  });
});
